"""Every kind of bad input gets a clear error or a counted skip, and nothing is lost."""
import json, sqlite3
import pytest
from tagsim.index import update_index
from tagsim.scrape import Scrape
from tagsim.storage import ScrapeError, write_pr0loader_db
from tagsim.media import check_media, resolve_media, UnsafeMediaPath, classify_media
from tagsim.apijson import import_api_json, ApiJsonError
from conftest import pr0_item, run_cli, error_line

def test_not_sqlite(tmp_path, work):
    (tmp_path/'x.db').write_text('id,tags\n1,cat\n')
    with pytest.raises(ScrapeError, match="not an SQLite database.*starting with b'id,tags"): Scrape(tmp_path/'x.db')
    (tmp_path/'empty.db').write_bytes(b'')
    with pytest.raises(ScrapeError, match='an empty file'): Scrape(tmp_path/'empty.db')
    r = run_cli('stats', '--db', tmp_path/'x.db', check=False)
    assert r.returncode == 2 and r.stderr.startswith('tagsim: error: not an SQLite database') and len(r.stderr.strip().splitlines()) == 1

def test_unknown_layout(tmp_path):
    con = sqlite3.connect(tmp_path/'u.db'); con.execute('CREATE TABLE images (id, path, labels)'); con.commit(); con.close()
    with pytest.raises(ScrapeError, match=r'unknown scrape layout: found images\(id, labels, path\)'): Scrape(tmp_path/'u.db')

def test_malformed_null_nonutf8_empty(tmp_path):
    db = write_pr0loader_db(tmp_path/'s.db', [pr0_item(1, [('ok', 0.5)]), dict(id=2, image='2.png', tags_data='[{"tag": "x"'),
                                              dict(id=3, image='3.png', tags_data=None), pr0_item(4, [('', 0.5), ('  ', 0.2), ('\u200b', 0.4), ('fine', 0.3)]),
                                              dict(id=5, image='5.png', tags_data='"just a string"'), pr0_item(6, [('dup', 0.1), ('dup', 0.2)])])
    con = sqlite3.connect(db)
    con.execute("INSERT INTO items (id, image, tags_data) VALUES (7, '7.png', CAST(? AS BLOB))", (b'[{"id": 1, "confidence": 0.5, "tag": "gr\xfcn"}]',))
    con.execute("INSERT INTO items (id, image, tags_data) VALUES (8, '8.png', CAST(? AS TEXT))", (b'[{"id": 1, "confidence": 0.5, "tag": "caf\xc3\xa9"}]',))
    con.commit(); con.close()
    idx, _ = update_index(db, tmp_path/'idx')
    assert idx.n_items == 8  # nothing lost: every item is in the index
    assert idx.skipped == {'malformed_json': [2], 'null_tags': [3], 'empty_tag': [4], 'bad_tag_entries': [5], 'duplicate_tag': [6]}
    assert sorted(idx.tags) == sorted(['ok', 'fine', 'dup', 'gr\ufffdn', 'café'])
    assert idx.tags_per_item().tolist() == [1, 0, 0, 1, 0, 1, 1, 1]

def test_media_checks(tmp_path):
    media = tmp_path/'media'; (media/'2024/01').mkdir(parents=True)
    for n in ('1.png', '3.gif'): (media/'2024/01'/n).write_bytes(b'x')
    db = write_pr0loader_db(tmp_path/'s.db', [pr0_item(1, [('a', 1)]), pr0_item(2, [('a', 1)], image='2024/01/2.mp4'),
                                              pr0_item(3, [('a', 1)], image='2024/01/3.gif'), pr0_item(4, [('a', 1)], image='../outside.png'),
                                              pr0_item(5, [('a', 1)], image='/etc/passwd'), pr0_item(6, [('a', 1)], image='2024/01/missing.jpg')])
    with Scrape(db) as s: r = check_media(s, media)
    assert r.left_out == {2: 'missing_file', 4: 'refused_path', 5: 'refused_path', 6: 'missing_file'}
    assert r.kinds == {'image': 3, 'video': 1, 'gif': 1, 'other': 1}
    with pytest.raises(UnsafeMediaPath): resolve_media(media, '2024/../../x.png')
    assert [classify_media(x) for x in ('a.MP4', 'a.webm', 'b.GIF', 'c.webp')] == ['video', 'video', 'gif', 'image']

def test_json_import_errors(tmp_path):
    (tmp_path/'junk.json').write_text('not json')
    with pytest.raises(ApiJsonError, match='junk.json: not valid JSON'): import_api_json([tmp_path/'junk.json'], tmp_path/'o.db')
    (tmp_path/'info.json').write_text('{"tags": []}')
    with pytest.raises(ApiJsonError, match='info.json: items/info answer without an item id'): import_api_json([tmp_path/'info.json'], tmp_path/'o.db')
    assert not (tmp_path/'o.db').exists()  # no half-written output

def test_bad_settings_name_the_field(tmp_path, work):
    r = run_cli('stats', env={'TAGSIM_MIN_TAG_OCCURRENCES': 'many'}, check=False)
    assert r.returncode == 2 and "min_tag_occurrences" in r.stderr

def test_plots_with_an_overflowing_confidence(tmp_path, work):
    "A confidence too large for float32 is read as infinity; the plots leave it out instead of failing."
    db = write_pr0loader_db(tmp_path/'s.db', [pr0_item(i, [('a', 1e39 if i == 3 else 0.5), ('b', 0.7)]) for i in range(1, 20)])
    r = run_cli('plots', '--db', db, '--out', tmp_path/'plots', check=False)
    assert r.returncode == 0, r.stderr
    assert (tmp_path/'plots'/'confidence.png').stat().st_size > 0
    r = run_cli('stats', '--db', db, '--rebuild', env={'PYTHONWARNINGS': 'error::RuntimeWarning'}, check=False)
    assert r.returncode == 0 and 'overflow' not in r.stderr, r.stderr[-500:]  # the reading to infinity is meant

def test_items_without_a_positive_id_are_counted_not_lost(tmp_path, work):
    "The readers start after id 0: `tagsim stats` counts and names the rows they never read, and the media table agrees."
    db = write_pr0loader_db(tmp_path/'s.db', [pr0_item(i, ['katze']) for i in (-5, 0, 1, 2, 3)])
    r = run_cli('stats', '--db', db, '--json')
    stats = json.loads(r.stdout)
    assert (stats['items'], stats['items_not_read']) == (3, 2), stats
    assert 'tagsim: warning: items without an id above 0 are not read: 2 (first ids: -5, 0)' in r.stderr
    (tmp_path/'media').mkdir()
    with Scrape(db) as scrape: assert sum(check_media(scrape, tmp_path/'media').kinds.values()) == 3

def _posts(path, id_type:str, ids:list):
    "A Danbooru-layout scrape whose id column has the given type."
    con = sqlite3.connect(path)
    con.execute(f"CREATE TABLE posts (id {id_type}, md5 TEXT, file_ext TEXT, tag_string TEXT)")
    con.executemany("INSERT INTO posts VALUES (?, 'aa', 'png', 'cat')", [(i,) for i in ids])
    con.commit(); con.close()
    return path

def test_item_ids_that_are_not_whole_numbers(tmp_path, work):
    "Fractions, words and digits stored as text: one error line naming the id (numpy used to cut 2.5 to 2)."
    cases = (('REAL', [1, 2.5, 3], "2.5"), ('REAL', [1, 'zwei', 3], "'zwei', stored as text"),
             ('TEXT', [str(i) for i in range(1, 13)], "'1', stored as text"))
    for k, (id_type, ids, named) in enumerate(cases):
        r = run_cli('stats', '--db', _posts(tmp_path/f'{k}.db', id_type, ids), check=False)
        assert error_line(r).startswith("tagsim: error: item ids must be whole numbers of at most 64 bits; "
                                        f"the scrape has the id {named}")

def test_text_ids_would_detach_tags(tmp_path):
    "Why digits stored as text are refused: SQLite sorts them as text, and the pr0gramm reader lost half the tags."
    con = sqlite3.connect(tmp_path/'p.db')
    con.execute('CREATE TABLE items (id TEXT, image TEXT, flags INTEGER)')
    con.execute('CREATE TABLE tags (id INTEGER PRIMARY KEY, item_id TEXT, tag TEXT, confidence REAL)')
    for i in range(1, 13):
        con.execute('INSERT INTO items VALUES (?, ?, 1)', (str(i), f'{i}.png'))
        con.execute('INSERT INTO tags (item_id, tag, confidence) VALUES (?, ?, 0.5)', (str(i), f'tag{i}'))
    con.commit(); con.close()
    with pytest.raises(ScrapeError, match="the scrape has the id '1', stored as text"):
        update_index(tmp_path/'p.db', tmp_path/'index')
