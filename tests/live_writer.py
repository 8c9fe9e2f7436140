"""A stand-in for pr0loader while it scrapes: inserts rows into a WAL-mode scrape in batches, one transaction per
batch, and records how long each commit took. It never waits for a lock (busy timeout 0), so a reader that blocked
it would show up as an error, not as a delay.

    python tests/live_writer.py DB --out result.json [--batches N] [--batch-size N] [--pause S] [--until FILE]
"""
import argparse, json, sqlite3, time
from pathlib import Path
from tagsim.storage import pr0_item

TAGS_PER_ITEM = 3
INSERT = "INSERT INTO items (id, image, flags, created, tags_data) VALUES (?, ?, ?, ?, ?)"

def new_rows(first_id:int, n:int, images:list) -> list:
    "`n` pr0loader rows from `first_id` on, each with `TAGS_PER_ITEM` tags and an existing image."
    rows = [pr0_item(i, [f'live{k}' for k in range(TAGS_PER_ITEM)], image=images[i % len(images)])
            for i in range(first_id, first_id + n)]
    return [(r['id'], r['image'], r['flags'], r['created'], json.dumps(r['tags_data'])) for r in rows]

def commit_batch(con, rows) -> float:
    "Insert `rows` in one transaction; seconds from BEGIN to the end of COMMIT."
    t = time.perf_counter()
    con.execute('BEGIN IMMEDIATE')
    con.executemany(INSERT, rows)
    con.execute('COMMIT')
    return time.perf_counter() - t

def scrape_live(db, batches:int=1000, batch_size:int=10, pause:float=0.05, until=None) -> dict:
    "Write batches until `batches` are done or the file `until` exists; latencies, errors and rows written."
    con = sqlite3.connect(db, isolation_level=None, timeout=0)
    con.execute('PRAGMA journal_mode=WAL')
    images = [r[0] for r in con.execute('SELECT image FROM items ORDER BY id LIMIT 1000')] or ['none.png']
    next_id = con.execute('SELECT coalesce(max(id), 0) FROM items').fetchone()[0] + 1
    out = {'latencies': [], 'errors': [], 'rows': 0}
    for _ in range(batches):
        if until and Path(until).exists(): break
        try:
            out['latencies'].append(commit_batch(con, new_rows(next_id, batch_size, images)))
            next_id += batch_size; out['rows'] += batch_size
        except sqlite3.Error as e:
            out['errors'].append(str(e))
            if con.in_transaction: con.execute('ROLLBACK')
        time.sleep(pause)
    con.close()
    return out

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('db'); ap.add_argument('--out', required=True)
    ap.add_argument('--batches', type=int, default=1000); ap.add_argument('--batch-size', type=int, default=10)
    ap.add_argument('--pause', type=float, default=0.05); ap.add_argument('--until')
    a = ap.parse_args()
    result = scrape_live(a.db, a.batches, a.batch_size, a.pause, a.until)
    Path(a.out).write_text(json.dumps(result))
