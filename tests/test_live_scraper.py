"""A scraper writing while tagsim reads: a writer process (tests/live_writer.py) commits pr0loader rows in batches
to a WAL-mode scrape while `tagsim stats`, `index` and `embed` run again and again. No command fails, none sees
part of a batch, the writer never waits for a lock, and the last refresh holds exactly the rows written."""
import json, sqlite3, subprocess, sys, time
from pathlib import Path
import numpy as np
from conftest import make_image_scrape, run_cli
from live_writer import TAGS_PER_ITEM

BATCH = 7
EMBED = ['--arch', 'efficientnet-lite0', '--image-size', '32', '--quiet']

def test_commands_read_a_scrape_while_it_is_written(tmp_path):
    db = make_image_scrape(tmp_path/'s', 40, size=24)
    base = 40
    stop, result = tmp_path/'stop', tmp_path/'writer.json'
    writer = subprocess.Popen([sys.executable, str(Path(__file__).parent/'live_writer.py'), str(db), '--out', str(result),
                               '--batch-size', str(BATCH), '--pause', '0.02', '--until', str(stop)])
    common = ['--db', db, '--media-dir', db.parent/'media', '--work-dir', tmp_path/'w']
    try:
        time.sleep(1)
        for _ in range(2):
            stats = json.loads(run_cli('stats', *common, '--json').stdout)
            assert (stats['items'] - base) % BATCH == 0, stats['items']  # whole batches only
            assert stats['tag_assignments'] == 2 * base + TAGS_PER_ITEM * (stats['items'] - base)  # whole rows only
            run_cli('index', *common)
            run_cli('embed', *common, '--out', tmp_path/'e', *EMBED)
    finally:
        stop.touch(); writer.wait(timeout=120)
    written = json.loads(result.read_text())
    assert written['errors'] == [] and written['rows'] > 0, written['errors'][:3]  # never blocked, never failed
    out = run_cli('index', *common).stdout
    assert f"{base + written['rows']:,} items" in out, out
    from tagsim.index_format import index_dir_for, TagIndex
    index = TagIndex(index_dir_for(tmp_path/'w', db))
    ids = [r[0] for r in sqlite3.connect(f'file:{db}?mode=ro', uri=True).execute('SELECT id FROM items ORDER BY id')]
    assert index.item_id.tolist() == ids
    run_cli('embed', *common, '--out', tmp_path/'e', *EMBED)
    assert np.load(tmp_path/'e'/'image_ids.npy', allow_pickle=False).tolist() == ids
