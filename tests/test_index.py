"""The index is incremental, rebuilt when content changes, resumable, and agrees with a naive count."""
import collections, json, sqlite3
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck
from tagsim import index as index_mod
from tagsim.index import update_index
from tagsim.index_format import TagIndex
from tagsim.storage import write_pr0loader_db
from conftest import pr0_item, run_at_once

def naive_counts(db):
    "The pr0loader trainer's way: json.loads per row, dict counting; also the tag set of each item."
    c, per_item = collections.Counter(), {}
    for (i, td) in sqlite3.connect(db).execute('SELECT id, tags_data FROM items ORDER BY id'):
        per_item[i] = {x['tag'] for x in json.loads(td)}
        for t in per_item[i]: c[t] += 1
    return dict(c), per_item

tag_lists = st.lists(st.lists(st.tuples(st.sampled_from(['a', 'b', 'Katze', 'grün', 'x y', '0']), st.floats(0, 1)), max_size=6), min_size=1, max_size=40)

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=tag_lists, chunk=st.integers(1, 7), seg=st.integers(1, 9))
def test_counts_match_naive_loop(tmp_path_factory, items, chunk, seg):
    d = tmp_path_factory.mktemp('h')
    db = write_pr0loader_db(d/'s.db', [pr0_item(i + 1, tags) for i, tags in enumerate(items)])
    idx, _ = update_index(db, d/'idx', chunk_size=chunk, segment_items=seg)
    counts, per_item = naive_counts(db)
    assert {t: n for t, n in zip(idx.tags, idx.tag_counts().tolist()) if n} == counts
    got = {int(i): set() for i in idx.item_id}
    for r, t in zip(idx.row_item, idx.row_tag): got[int(idx.item_id[r])].add(idx.tags[t])
    assert got == per_item

def test_resumes_after_interruption(tmp_path, monkeypatch):
    db = write_pr0loader_db(tmp_path/'s.db', [pr0_item(i, [(f't{i % 7}', 0.5), ('all', 0.9)]) for i in range(1, 101)])
    real, calls = index_mod._commit_segment, []
    def dying_commit(*a, **k):
        if len(calls) == 3: raise KeyboardInterrupt  # killed after three committed segments
        calls.append(1); return real(*a, **k)
    monkeypatch.setattr(index_mod, '_commit_segment', dying_commit)
    with pytest.raises(KeyboardInterrupt): update_index(db, tmp_path/'idx', chunk_size=10, segment_items=10)
    partial = TagIndex(tmp_path/'idx')
    assert partial.n_items == 30 and partial.meta['max_id'] == 30
    monkeypatch.setattr(index_mod, '_commit_segment', real)
    idx, action = update_index(db, tmp_path/'idx', chunk_size=10, segment_items=10)
    assert action == 'grown' and idx.n_items == 100 and len(idx.meta['segments']) == 10
    fresh, _ = update_index(db, tmp_path/'fresh')
    assert idx.tags == fresh.tags and np.array_equal(idx.row_tag, fresh.row_tag) and np.array_equal(idx.row_item, fresh.row_item)
    assert not [p for p in (tmp_path/'idx').iterdir() if p.name.endswith('.tmp')]

def test_rebuilds_when_indexed_rows_change(tmp_path):
    db = write_pr0loader_db(tmp_path/'s.db', [pr0_item(i, [('a', 0.5)]) for i in range(1, 4)])
    update_index(db, tmp_path/'idx')
    con = sqlite3.connect(db)
    con.execute("UPDATE items SET tags_data = '[{\"id\": 1, \"confidence\": 0.51, \"tag\": \"a\"}]' WHERE id = 2"); con.commit()
    idx, action = update_index(db, tmp_path/'idx')
    assert action == 'rebuilt' and abs(idx.confidence[1] - 0.51) < 1e-6
    con.execute('DELETE FROM items WHERE id = 1'); con.commit(); con.close()
    idx, action = update_index(db, tmp_path/'idx')
    assert action == 'rebuilt' and idx.item_id.tolist() == [2, 3]

def test_layout_change_or_rebuild_flag(tmp_path):
    db = write_pr0loader_db(tmp_path/'s.db', [pr0_item(1, [('a', 0.5)])])
    update_index(db, tmp_path/'idx')
    assert update_index(db, tmp_path/'idx', rebuild=True)[1] == 'rebuilt'
    (tmp_path/'idx'/'meta.json').write_text('{broken')
    idx, action = update_index(db, tmp_path/'idx')  # an unreadable index is treated as none
    assert (action, idx.n_items) == ('built', 1)

def test_empty_scrape(tmp_path):
    db = write_pr0loader_db(tmp_path/'e.db', [])
    idx, action = update_index(db, tmp_path/'idx')
    assert (action, idx.n_items, idx.n_tags, idx.tag_counts().tolist()) == ('built', 0, 0, [])

def quiet(*paths):
    "Set the files' times an hour back, as if nobody had written them lately."
    import os, time
    for p in paths: os.utime(p, (time.time() - 3600,) * 2)

def test_change_detection_in_wal_mode(tmp_path):
    "The file-state check sees an edit of the same size that sits only in the WAL, appended rows, and a VACUUM."
    db = write_pr0loader_db(tmp_path/'s.db', [pr0_item(i, [('katze', 0.5)]) for i in range(1, 50)])
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute('PRAGMA journal_mode=WAL'); writer.execute('PRAGMA wal_autocheckpoint=0')  # edits stay in the WAL
    writer.execute("UPDATE items SET up = 1 WHERE id = 1")
    wal = tmp_path/'s.db-wal'
    quiet(db, wal)
    assert update_index(db, tmp_path/'idx')[0].meta['checked'] == 'no usable index'
    assert update_index(db, tmp_path/'idx')[0].meta['checked'] == 'file state'
    size = db.stat().st_size
    writer.execute("UPDATE items SET tags_data = replace(tags_data, 'katze', 'kater') WHERE id = 7")  # same size, same id
    quiet(db, wal)  # even with the times put back, the WAL's size and header differ
    idx, action = update_index(db, tmp_path/'idx')
    assert (action, idx.meta['checked'], db.stat().st_size) == ('rebuilt', 'checksum', size)
    assert idx.tags[idx.row_tag[6]] == 'kater'
    writer.execute("INSERT INTO items (id, image, tags_data) VALUES (50, '50.png', '[]')")
    idx, action = update_index(db, tmp_path/'idx')
    assert (action, idx.n_items) == ('grown', 50)
    writer.execute('PRAGMA wal_checkpoint(TRUNCATE)'); writer.execute('VACUUM')
    quiet(db, wal)
    idx, action = update_index(db, tmp_path/'idx')
    assert (action, idx.meta['checked'], idx.n_items) == ('unchanged', 'checksum', 50)
    assert update_index(db, tmp_path/'idx')[0].meta['checked'] == 'file state'
    writer.close()

def test_recent_writes_are_never_trusted(tmp_path):
    "A scrape written within RACY_SECONDS is checked row by row, so an edit in the same clock tick cannot hide."
    db = write_pr0loader_db(tmp_path/'s.db', [pr0_item(1, [('a', 0.5)])])
    update_index(db, tmp_path/'idx')
    idx, _ = update_index(db, tmp_path/'idx')
    assert idx.meta['checked'] == 'checksum' and idx.meta.get('state') is None

def test_a_segment_renamed_but_not_recorded_is_rebuilt(tmp_path):
    "kill -9 between moving a segment into place and recording it in meta.json: the next build replaces the orphan."
    db = write_pr0loader_db(tmp_path/'s.db', [pr0_item(i, [(f't{i % 3}', 0.5)]) for i in range(1, 31)])
    update_index(db, tmp_path/'idx', chunk_size=10, segment_items=10)
    meta = json.loads((tmp_path/'idx/meta.json').read_text())
    meta['segments'], meta['max_id'] = meta['segments'][:2], meta['segments'][1]['upto']
    meta['checksum'] = [sum(x) for x in zip(*[s['checksum'] for s in meta['segments']])]
    (tmp_path/'idx/meta.json').write_text(json.dumps(meta))  # seg-00002 is on disk but not recorded, as after the kill
    idx, action = update_index(db, tmp_path/'idx', chunk_size=10, segment_items=10)
    assert (action, idx.n_items, len(idx.meta['segments'])) == ('grown', 30, 3)

def test_processes_that_open_one_index_take_turns(tmp_path):
    "Three processes open the index of one scrape at once: one builds it, the others wait and find it built."
    import sys
    n = 60_000
    db = write_pr0loader_db(tmp_path/'s.db', [pr0_item(i, [f't{i % 997}', f'u{i % 13}']) for i in range(1, n + 1)])
    code = ("import sys; from tagsim.index import update_index; "
            "index, action = update_index(sys.argv[1], sys.argv[2], chunk_size=2_000, segment_items=10_000); "
            "print(action, index.n_items, len(index.meta['segments']))")
    results = run_at_once([[sys.executable, '-c', code, db, tmp_path/'index']] * 3)
    assert all(rc == 0 for rc, _, _ in results), [err[-300:] for _, _, err in results]
    assert sorted(out.split()[0] for _, out, _ in results) == ['built', 'unchanged', 'unchanged']
    assert {tuple(out.split()[1:]) for _, out, _ in results} == {(str(n), '6')}
    assert TagIndex(tmp_path/'index').n_items == n
