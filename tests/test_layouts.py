"""The three scrape layouts and the JSON import are read correctly, through the index."""
import json
import numpy as np
from tagsim.index import update_index
from tagsim.scrape import Scrape
from tagsim.media import media_table
from tagsim.apijson import import_api_json
from conftest import make_pr0gramm_db, make_danbooru_db

def counts(idx): return dict(zip(idx.tags, idx.tag_counts().tolist()))

def pairs(idx):
    "Set of (item id, tag, confidence rounded) rows of an index."
    return {(int(idx.item_id[r]), idx.tags[t], None if np.isnan(c) else round(float(c), 3))
            for r, t, c in zip(idx.row_item, idx.row_tag, idx.confidence)}

def test_pr0loader(pr0loader_db, tmp_path):
    idx, action = update_index(pr0loader_db, tmp_path/'idx')
    assert (action, idx.layout, idx.n_items) == ('built', 'pr0loader', 3)
    assert pairs(idx) == {(1, 'Katze', 0.9), (1, 'sfw', 0.4), (2, 'katze', 0.8), (2, 'hund', 0.6), (3, 'hund', 0.7)}
    assert idx.flags.tolist() == [1, 2, 4]
    assert idx.created.tolist() == [1_700_000_001, 1_700_000_002, 1_700_000_003]

def test_pr0gramm_normalised(tmp_path):
    db = make_pr0gramm_db(tmp_path/'n.db', [(5, 1, [('katze', 0.9), ('hund', 0.2)]), (7, 2, []), (9, 1, [('katze', 0.5)])])
    import sqlite3
    con = sqlite3.connect(db); con.execute("INSERT INTO tags VALUES (99, 42, 0.5, 'orphan')"); con.commit(); con.close()
    idx, _ = update_index(db, tmp_path/'idx', chunk_size=2)
    assert idx.layout == 'pr0gramm'
    assert idx.item_id.tolist() == [5, 7, 9]
    assert pairs(idx) == {(5, 'katze', 0.9), (5, 'hund', 0.2), (9, 'katze', 0.5)}
    assert idx.tags_per_item().tolist() == [2, 0, 1]
    assert idx.flags.tolist() == [1, 2, 1]
    with Scrape(db) as s: assert media_table(s)['path'].tolist() == ['5.jpg', '7.jpg', '9.jpg']

def test_danbooru(tmp_path):
    db = make_danbooru_db(tmp_path/'d.db', [(1, 'abcdef', 'jpg', 'cat  solo highres', 'g'), (2, '123456', 'png', 'cat dog', 'e'),
                                            (3, 'ffffff', 'webm', None, 'q')])
    idx, _ = update_index(db, tmp_path/'idx')
    assert idx.layout == 'danbooru'
    assert counts(idx) == {'cat': 2, 'solo': 1, 'highres': 1, 'dog': 1}
    assert np.isnan(idx.confidence).all()  # Danbooru has no confidence
    assert idx.flags.tolist() == [1, 2, 2]
    assert idx.created.tolist() == [1577934245] * 3
    assert idx.skipped == {'null_tags': [3]}
    with Scrape(db) as s:
        assert media_table(s)[['path', 'kind']].values.tolist() == [['ab/abcdef.jpg', 'image'], ['12/123456.png', 'image'], ['ff/ffffff.webm', 'video']]

def test_json_import_matches_pr0loader_reading(tmp_path):
    (tmp_path/'get.json').write_text(json.dumps({'items': [
        {'id': 3, 'image': 'a.jpg', 'flags': 1, 'created': 10, 'up': 5, 'down': 1, 'user': 'x', 'promoted': 1},
        {'id': 4, 'image': 'b.mp4', 'flags': 2, 'created': 11}], 'atEnd': True}))
    (tmp_path/'3.json').write_text(json.dumps({'tags': [{'id': 1, 'confidence': 0.6, 'tag': 'Auto'}, {'id': 2, 'confidence': 0.1, 'tag': 'rot'}]}))
    (tmp_path/'info.json').write_text(json.dumps({'itemId': 4, 'tags': [{'id': 3, 'confidence': 0.3, 'tag': 'auto'}]}))
    r = import_api_json([tmp_path/'get.json', tmp_path/'3.json', tmp_path/'info.json'], tmp_path/'out.db')
    assert r['items'] == 2 and r['items_with_tags'] == 2
    idx, _ = update_index(tmp_path/'out.db', tmp_path/'idx')
    assert pairs(idx) == {(3, 'Auto', 0.6), (3, 'rot', 0.1), (4, 'auto', 0.3)}
    import sqlite3
    row = sqlite3.connect(tmp_path/'out.db').execute("SELECT up, down, user_name, promoted, item_data FROM items WHERE id = 3").fetchone()
    assert row[:4] == (5, 1, 'x', 1) and json.loads(row[4])['image'] == 'a.jpg'

def test_a_danbooru_post_without_md5_has_no_media_path(tmp_path):
    "Danbooru withholds the md5 of some posts: check-media says they have no media path, not that their path was refused."
    from tagsim.media import check_media
    db = make_danbooru_db(tmp_path/'d.db', [(1, 'abcdef', 'jpg', 'cat', 'g'), (2, None, None, 'cat', 'g')])
    (tmp_path/'media/ab').mkdir(parents=True)
    (tmp_path/'media/ab/abcdef.jpg').write_bytes(b'x')
    with Scrape(db) as s: report = check_media(s, tmp_path/'media').as_dict()
    assert report['no_media_path_ids'] == [2] and report['refused_path'] == 0 and report['missing_file'] == 0
