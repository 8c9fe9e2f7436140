"""Embeddings and search from the command line: shards in separate processes and their merge, kill -9 and resume,
growth, every bad input as one line, similar by id/image/tag, and the quality-control CSVs."""
import json, os, shutil, signal, sqlite3, subprocess, sys, time
import numpy as np
import pandas as pd
import pytest
from conftest import make_image_scrape, run_at_once, run_cli
from tagsim.parts import complete_parts

EMBED = ['--arch', 'efficientnet-lite0', '--image-size', '64', '--quiet']

def embed(db, work, out, *extra, check=True):
    return run_cli('embed', '--db', db, '--work-dir', work, '--out', out, *EMBED, *extra, check=check)

def error_line(r, *words):
    lines = [l for l in r.stderr.splitlines() if l.startswith('tagsim') and ': error:' in l]
    assert r.returncode == 2 and len(lines) == 1 and 'Traceback' not in r.stderr, r.stderr[-1500:]
    for w in words: assert w in lines[0], (w, lines[0])

@pytest.fixture(scope='module')
def scrape(tmp_path_factory):
    d = tmp_path_factory.mktemp('emb')
    db = make_image_scrape(d, 120)
    embed(db, d/'w', d/'all', '--part-size', '32')
    return d, db

def load(folder):
    return (np.load(folder/'embeddings.npy', allow_pickle=False), np.load(folder/'image_ids.npy', allow_pickle=False),
            json.loads((folder/'manifest.json').read_text()))

def test_shards_in_separate_processes_merge_to_the_whole(scrape, tmp_path):
    d, db = scrape
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
    procs = [subprocess.Popen([sys.executable, '-m', 'tagsim.cli', 'embed', '--db', str(db), '--work-dir', str(tmp_path/f'w{i}'),
                               '--out', str(tmp_path/f'shard{i}'), '--shard', f'{i}/2', *EMBED], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in (0, 1)]
    for p in procs: assert p.wait(timeout=600) == 0, p.stderr.read()[-2000:]
    run_cli('embed', 'merge', tmp_path/'shard0', tmp_path/'shard1', '--out', tmp_path/'merged')
    v, ids, m = load(tmp_path/'merged'); v_all, ids_all, _ = load(d/'all')
    assert np.array_equal(ids, ids_all) and np.allclose(v.astype(np.float32), v_all.astype(np.float32), atol=2e-3)
    assert set(load(tmp_path/'shard0')[1] % 2) == {0} and set(load(tmp_path/'shard1')[1] % 2) == {1}
    error_line(run_cli('embed', 'merge', tmp_path/'shard0', tmp_path/'shard0', '--out', tmp_path/'m2', check=False), 'not disjoint')

@pytest.mark.parametrize('after_parts', [1, 2, 3])
def test_killed_embedding_resumes(scrape, tmp_path, after_parts):
    "kill -9 once `after_parts` parts are complete: the rerun embeds only the rest; vectors equal an uninterrupted run's within float16 rounding."
    d, db = scrape
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
    args = [sys.executable, '-m', 'tagsim.cli', 'embed', '--db', str(db), '--work-dir', str(tmp_path/'w'), '--out', str(tmp_path/'e'),
            '--part-size', '8', '--batch-size', '4', *EMBED]
    p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and p.poll() is None and len(list((tmp_path/'e/parts').glob('*.ids.npy'))) < after_parts: time.sleep(0.05)
    assert p.poll() is None, 'finished before it could be killed'
    p.send_signal(signal.SIGKILL); p.wait()
    assert not (tmp_path/'e/manifest.json').exists()  # nothing half-done looks complete
    done = len(complete_parts(tmp_path/'e/parts')[0])  # as the rerun counts them: a killed writer's temporary is none
    out = subprocess.run(args[:-1], env=env, capture_output=True, text=True)  # without --quiet's last flag: same model
    assert out.returncode == 0, out.stderr[-2000:]
    reused = int(out.stdout.split('reused: ')[1].split()[0].replace(',', ''))
    assert reused >= 8 * min(done, after_parts)
    v, ids, _ = load(tmp_path/'e'); v_all, ids_all, _ = load(d/'all')
    assert np.array_equal(ids, ids_all) and np.abs(v.astype(np.float32) - v_all.astype(np.float32)).max() < 2e-3

def test_a_killed_writers_temporary_is_not_a_complete_part(scrape, tmp_path):
    """kill -9 between writing a part's ids file and renaming it leaves `part-N.ids.npy.PID.*.tmp.ids.npy`, which the
    pattern `part-*.ids.npy` matches too: the rerun must embed that part again, not read the temporary as a part."""
    d, db = scrape
    embed(db, tmp_path/'w', tmp_path/'e', '--part-size', '32')
    parts = tmp_path/'e/parts'
    for name in ('embeddings.npy', 'image_ids.npy', 'manifest.json'): (tmp_path/'e'/name).unlink()
    for f in parts.glob('part-00000[2-9].*'): f.unlink()  # parts the killed run never reached
    (parts/'part-000001.ids.npy').rename(parts/'part-000001.ids.npy.999999999.ab12cd34.tmp.ids.npy')
    r = embed(db, tmp_path/'w', tmp_path/'e', '--part-size', '32', check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    assert int(r.stdout.split('reused: ')[1].split()[0].replace(',', '')) == 32  # part 0 only
    v, ids, _ = load(tmp_path/'e'); v_all, ids_all, _ = load(d/'all')
    assert np.array_equal(ids, ids_all) and np.abs(v.astype(np.float32) - v_all.astype(np.float32)).max() < 2e-3
    assert not list(parts.glob('*.tmp*'))  # writing part 1 again removed the dead writer's temporary

def test_growth_embeds_only_new_items(scrape, tmp_path):
    d, db = scrape
    grown = tmp_path/'grown.db'; shutil.copy(db, grown)
    con = sqlite3.connect(grown); row = con.execute('SELECT * FROM items ORDER BY id DESC LIMIT 1').fetchone()
    cols = [c[1] for c in con.execute('PRAGMA table_info(items)')]
    for k in (1, 2):
        new = dict(zip(cols, row)); new['id'] = row[0] + k
        con.execute(f"INSERT INTO items ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", [new[c] for c in cols])
    con.commit(); con.close()
    shutil.copytree(d/'all', tmp_path/'e')
    r = run_cli('embed', '--db', grown, '--media-dir', d/'media', '--work-dir', tmp_path/'w', '--out', tmp_path/'e', *EMBED)
    assert 'embedded now: 2' in r.stdout and load(tmp_path/'e')[2]['count'] == 122

def test_embedding_after_training_reuses_its_feature_cache(scrape, tmp_path):
    """`tagsim train` caches the backbone's features; `tagsim embed` with the same backbone and work folder takes them
    instead of reading those images again, and its vectors equal a plain embedding's within float16 rounding."""
    d, db = scrape
    run_cli('train', '--db', db, '--work-dir', tmp_path/'w', '--arch', 'efficientnet-lite0', '--image-size', '64', '--epochs', '1',
            '--no-baseline', '--repost-distance', '-1', '--out', tmp_path/'run', env={'TAGSIM_MIN_TAG_OCCURRENCES': '3'})
    cached = sum(len(np.load(f)) for f in (tmp_path/'w/features').glob('*/part-*.ids.npy'))
    r = run_cli('embed', '--db', db, '--work-dir', tmp_path/'w', '--out', tmp_path/'e', *EMBED)
    assert cached > 0 and f'of them from the training feature cache: {cached}' in r.stdout, (cached, r.stdout)
    v, ids, m = load(tmp_path/'e'); v_all, ids_all, m_all = load(d/'all')
    assert np.array_equal(ids, ids_all) and m['model'] == m_all['model']
    assert np.abs(v.astype(np.float32) - v_all.astype(np.float32)).max() < 2e-3
    plain = run_cli('embed', '--db', db, '--work-dir', tmp_path/'w2', '--out', tmp_path/'e2', *EMBED)
    assert 'of them from the training feature cache: 0' in plain.stdout

def test_embedding_with_a_cached_run_reuses_its_feature_cache(scrape, tmp_path):
    """`tagsim embed --run` read every image again, though a run trained on cached features has a frozen backbone
    whose output training kept: it now puts the cached features through the run's head, with the vectors the images
    give."""
    d, db = scrape
    run_cli('train', '--db', db, '--work-dir', tmp_path/'w', '--arch', 'efficientnet-lite0', '--image-size', '64', '--epochs', '1',
            '--no-baseline', '--repost-distance', '-1', '--out', tmp_path/'run', env={'TAGSIM_MIN_TAG_OCCURRENCES': '3'})
    cached = sum(len(np.load(f)) for f in (tmp_path/'w/features').glob('*/part-*.ids.npy'))
    by_cache = run_cli('embed', '--run', tmp_path/'run', '--out', tmp_path/'by-cache', '--quiet')
    assert cached > 0 and f'of them from the training feature cache: {cached}' in by_cache.stdout, by_cache.stdout
    elsewhere = tmp_path/'run-elsewhere'  # the same run, with its feature cache out of reach
    shutil.copytree(tmp_path/'run', elsewhere)
    config = json.loads((elsewhere/'settings.json').read_text())
    config['settings']['work_dir'] = str(tmp_path/'nowhere')
    (elsewhere/'settings.json').write_text(json.dumps(config))
    by_images = run_cli('embed', '--run', elsewhere, '--out', tmp_path/'by-images', '--quiet')
    assert 'of them from the training feature cache: 0' in by_images.stdout, by_images.stdout
    (v, ids, _), (v_images, ids_images, _) = load(tmp_path/'by-cache'), load(tmp_path/'by-images')
    assert np.array_equal(ids, ids_images) and np.abs(v.astype(np.float32) - v_images.astype(np.float32)).max() < 5e-3
    for f in (tmp_path/'w/features').glob('*/part-*.feat.npy'):  # a cache that another backbone wrote: not used
        np.save(f, np.random.default_rng(0).normal(size=np.load(f).shape).astype(np.float16))
    stale = run_cli('embed', '--run', tmp_path/'run', '--out', tmp_path/'stale', '--quiet')
    assert 'disagrees with the model' in stale.stderr and 'training feature cache: 0' in stale.stdout, stale.stderr
    v_stale, _, _ = load(tmp_path/'stale')
    assert np.abs(v_stale.astype(np.float32) - v_images.astype(np.float32)).max() < 5e-3

def test_bad_inputs_are_one_line(scrape, tmp_path):
    d, db = scrape
    bad = tmp_path/'bad'; shutil.copytree(d/'all', bad)
    v, ids, m = load(d/'all')
    np.save(bad/'image_ids.npy', ids[:-1])
    error_line(run_cli('similar', '--embeddings', bad, '--id', ids[0], check=False), 'ids but', 'vectors')
    np.save(bad/'image_ids.npy', np.array([object()], dtype=object), allow_pickle=True)
    error_line(run_cli('similar', '--embeddings', bad, '--id', ids[0], check=False), 'not a plain numpy')
    np.save(bad/'image_ids.npy', ids); nan = v.copy(); nan[5] = np.nan; np.save(bad/'embeddings.npy', nan)
    error_line(run_cli('similar', '--embeddings', bad, '--id', ids[0], check=False), 'NaN')
    np.save(tmp_path/'q.npy', np.ones(7, np.float32))
    error_line(run_cli('similar', '--embeddings', d/'all', '--vector', tmp_path/'q.npy', check=False), '1280 dimensions')
    for values, why in [(np.array(['a'] * 1280), 'not numbers'), (np.zeros(1280), 'zero vector'), (np.ones((3, 1280)), 'not one vector')]:
        np.save(tmp_path/'q.npy', values)
        error_line(run_cli('similar', '--embeddings', d/'all', '--vector', tmp_path/'q.npy', check=False), why)
    np.save(tmp_path/'q.npy', v[3].astype(np.float32) * 7)  # any length: the scores are still cosines
    top = json.loads(run_cli('similar', '--embeddings', d/'all', '--vector', tmp_path/'q.npy', '--k', '1', '--json', '--work-dir', d/'w').stdout)[0]
    assert top['id'] == ids[3] and abs(top['score'] - 1) < 2e-3
    error_line(embed(db, tmp_path/'w', d/'all', '--image-size', '96', check=False), 'another model')
    error_line(run_cli('similar', '--embeddings', tmp_path, '--id', 1, check=False), 'not an embeddings folder')
    error_line(run_cli('embed', '--db', db, '--out', tmp_path/'x', '--shard', '3/2', check=False), '0 <= I < N')

def test_similar_by_id_image_and_tag(scrape):
    d, db = scrape
    _, ids, _ = load(d/'all')
    by_id = json.loads(run_cli('similar', '--embeddings', d/'all', '--id', ids[3], '--k', '3', '--json', '--work-dir', d/'w').stdout)
    assert by_id[0]['id'] == ids[3] and set(by_id[0]) == {'id', 'score', 'path', 'tags'}
    by_image = json.loads(run_cli('similar', '--embeddings', d/'all', '--image', by_id[0]['path'], '--k', '2', '--json', '--work-dir', d/'w').stdout)
    assert by_image[0]['id'] == ids[3]
    tag = by_id[0]['tags'][0]
    by_tag = json.loads(run_cli('similar', '--embeddings', d/'all', '--tag', tag, '--k', '3', '--json', '--work-dir', d/'w').stdout)
    assert all(tag in r['tags'] for r in by_tag)

def test_queries_on_finished_embeddings_do_not_load_tensorflow(scrape, tmp_path):
    "Queries by id or tag, quality CSVs without a run and `embed merge` need only numpy; only an --image query loads TensorFlow, quietly."
    d, db = scrape
    _, ids, _ = load(d/'all')
    code = "import sys; from tagsim.cli import main; rc = main(sys.argv[1:]); print('tensorflow' in sys.modules); sys.exit(rc)"
    env = {k: v for k, v in os.environ.items() if k != 'TF_CPP_MIN_LOG_LEVEL'}  # as a user runs it: the quiet loader decides
    def loaded(*args, query=True):
        where = ['--embeddings', str(d/'all'), '--work-dir', str(d/'w')] if query else []
        r = subprocess.run([sys.executable, '-c', code, *map(str, args), *where], capture_output=True, text=True, env=env)
        assert r.returncode == 0 and 'oneDNN' not in r.stderr, r.stderr[-1500:]
        return r.stdout.strip().splitlines()[-1]
    assert loaded('similar', '--id', ids[0], '--json') == 'False'
    assert loaded('outliers', '--out', tmp_path/'o.csv') == 'False'
    assert loaded('embed', 'merge', d/'all', '--out', tmp_path/'copy', query=False) == 'False'  # merging is numpy's work
    assert loaded('similar', '--image', d/'media'/'1.png', '--json') == 'True'

def test_quality_csvs_and_formula_tags(tmp_path):
    db = make_image_scrape(tmp_path, 40)
    con = sqlite3.connect(db); con.execute("""UPDATE items SET tags_data = '[{"id": 1, "tag": "=HYPERLINK(1)", "confidence": 0.9}]' WHERE id = 1""")
    con.commit(); con.close()
    shutil.copy(tmp_path/'media/2.png', tmp_path/'media/3.png')
    embed(db, tmp_path/'w', tmp_path/'e')
    run_cli('duplicates', '--embeddings', tmp_path/'e', '--out', tmp_path/'d.csv', '--threshold', '0.999', '--work-dir', tmp_path/'w')
    pairs = pd.read_csv(tmp_path/'d.csv')
    assert ((pairs.id_a == 2) & (pairs.id_b == 3)).any()
    run_cli('outliers', '--embeddings', tmp_path/'e', '--out', tmp_path/'o.csv', '--work-dir', tmp_path/'w')
    o = pd.read_csv(tmp_path/'o.csv')
    assert len(o) == 40 and o.loc[o.id == 1, 'tags'].iloc[0] == "'=HYPERLINK(1)"
    run_cli('suggest', '--embeddings', tmp_path/'e', '--out', tmp_path/'s.csv', '--work-dir', tmp_path/'w', env={'TAGSIM_MIN_TAG_OCCURRENCES': '3'})
    s = pd.read_csv(tmp_path/'s.csv')
    assert list(s.columns) == ['id', 'tag', 'score', 'knn_score'] and len(s)

def test_two_processes_writing_one_folder_take_turns(scrape, tmp_path):
    "Two shards embedded into one --out at once: they take turns, and the parts keep every vector exactly once."
    from tagsim.embed import read_parts
    d, db = scrape
    results = run_at_once([[sys.executable, '-m', 'tagsim.cli', 'embed', '--db', db, '--work-dir', tmp_path/f'w{i}',
                            '--out', tmp_path/'one', '--shard', f'{i}/2', '--part-size', '8', *EMBED] for i in (0, 1)])
    errors = [err for _, _, err in results]
    assert [rc for rc, _, _ in results] == [0, 0], [e[-1500:] for e in errors]
    _, ids, _ = read_parts(tmp_path/'one'/'parts')
    assert sorted(ids.tolist()) == sorted(load(d/'all')[1].tolist())
    assert sum('waiting for another process' in e for e in errors) == 1

def test_an_unreadable_image_is_left_out_not_counted_as_embedded(tmp_path):
    "A file that turns out not to decode is named in `left out`, and `embedded now` agrees with the manifest's count."
    db = make_image_scrape(tmp_path, 12)
    (tmp_path/'media'/'3.png').write_bytes(b'\x89PNG but no picture')
    r = run_cli('embed', '--db', db, '--work-dir', tmp_path/'w', '--out', tmp_path/'e', *EMBED)
    assert load(tmp_path/'e')[2]['count'] == 11 and 'embedded now: 11' in r.stdout and 'not_an_image: 1' in r.stdout, r.stdout
