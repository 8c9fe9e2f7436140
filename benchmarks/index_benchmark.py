#!/usr/bin/env python
"""Index benchmark: a synthetic 1M-item pr0loader scrape with Zipf-distributed tags (3 to 15 per item).

Measures in one run:
- indexing time vs the pr0loader-style Python loop (json.loads per row, dict counting);
- after indexing: tag counts, and `build_vocabulary` at 5 thresholds (normalised, block list, report), per query;
- the refresh check of an unchanged scrape: by file state (the fast path) and by content checksum (the fallback);
- a repeated `tagsim stats` (a fresh process each time) with each check, as a ratio to the loop (goal: at most 0.25x);
- peak memory (RSS) of indexing, and the on-disk index size;
and projects memory to pr0gramm's scale (about 6 M items, 60 M tag rows).

    python benchmarks/index_benchmark.py [--items 1000000] [--keep DIR]
"""
import argparse, collections, json, os, sqlite3, subprocess, sys, time, threading
from pathlib import Path
import numpy as np, psutil

def make_scrape(path:Path, n_items:int, n_vocab:int=200_000, seed:int=0):
    "A pr0loader-layout scrape with Zipf(1.3)-distributed tags, 3 to 15 per item."
    from tagsim.storage import PR0LOADER_SCHEMA
    rng = np.random.default_rng(seed)
    k = rng.integers(3, 16, n_items); total = int(k.sum())
    tags = np.minimum(rng.zipf(1.3, total), n_vocab); conf = rng.random(total).round(3)
    con = sqlite3.connect(path); con.execute(PR0LOADER_SCHEMA)
    off, rows = 0, []
    for i in range(n_items):
        kk = int(k[i]); tt, cc = tags[off:off+kk], conf[off:off+kk]; off += kk
        seen = set(); entries = []
        for j, (t, c) in enumerate(zip(tt.tolist(), cc.tolist())):
            if t in seen: continue
            seen.add(t); entries.append({'id': off + j, 'confidence': c, 'tag': f'tag{t}'})
        rows.append((i + 1, f'2024/01/{i+1}.jpg', 1 + (i % 5 == 0), 1_600_000_000 + i, json.dumps(entries)))
        if len(rows) == 100_000:
            con.executemany("INSERT INTO items (id, image, flags, created, tags_data) VALUES (?,?,?,?,?)", rows); rows = []
    if rows: con.executemany("INSERT INTO items (id, image, flags, created, tags_data) VALUES (?,?,?,?,?)", rows)
    con.commit(); con.close()

class PeakRSS:
    "Sample this process's RSS in a thread; `.peak` in bytes."
    def __init__(self): self.peak, self._stop = 0, threading.Event(); self.p = psutil.Process()
    def __enter__(self):
        self.peak = self.p.memory_info().rss; self.t = threading.Thread(target=self._run, daemon=True); self.t.start(); return self
    def _run(self):
        while not self._stop.is_set(): self.peak = max(self.peak, self.p.memory_info().rss); time.sleep(0.01)
    def __exit__(self, *a): self._stop.set(); self.t.join()

def pr0loader_loop(db):
    "How the pr0loader trainer counts tags: json.loads per row, dict counting."
    c = collections.Counter()
    for (td,) in sqlite3.connect(f'file:{db}?mode=ro', uri=True).execute('SELECT tags_data FROM items'):
        for x in json.loads(td): c[x['tag']] += 1
    return c

def best_of(fn, n=5):
    ts = []
    for _ in range(n): t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return min(ts)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--items', type=int, default=1_000_000); ap.add_argument('--keep', help='keep the scrape and index in this folder')
    a = ap.parse_args()
    from tagsim.index import update_index
    from tagsim.processes import scratch_folder
    d = Path(a.keep) if a.keep else scratch_folder(prefix='tagsim-bench-')
    d.mkdir(parents=True, exist_ok=True)
    db = d/'bench.db'
    if not db.exists():
        t = time.perf_counter(); make_scrape(db, a.items); print(f"generated {a.items:,} items in {time.perf_counter()-t:.1f} s")
    base_rss = psutil.Process().memory_info().rss
    t = time.perf_counter(); counts = pr0loader_loop(db); t_loop = time.perf_counter() - t
    with PeakRSS() as mem:
        t = time.perf_counter(); idx, action = update_index(db, d/'index', rebuild=True); t_index = time.perf_counter() - t
    assert {t: n for t, n in zip(idx.tags, idx.tag_counts().tolist())} == dict(counts), 'index disagrees with the loop'
    from tagsim import index as index_module
    quiet = time.time() - 3600; os.utime(db, (quiet, quiet))  # a scrape nobody wrote in the last RACY_SECONDS
    update_index(db, d/'index')  # records the trusted file state
    t_check_state = best_of(lambda: update_index(db, d/'index'), 3)
    assert update_index(db, d/'index')[0].meta['checked'] == 'file state'
    work = d/'work'; stats = [sys.executable, '-m', 'tagsim.cli', 'stats', '--db', str(db), '--work-dir', str(work), '--json']
    subprocess.run(stats, check=True, capture_output=True)  # builds the CLI's own index once
    t_stats_state = best_of(lambda: subprocess.run(stats, check=True, capture_output=True), 3)
    real_trusted = index_module.trusted_state
    index_module.trusted_state = lambda *a, **k: None  # force the checksum fallback
    t_check = best_of(lambda: update_index(db, d/'index'), 2)
    index_module.trusted_state = real_trusted
    # touched just before each run, the scrape is not trusted and each command checks its rows
    t_stats_checksum = best_of(lambda: (os.utime(db, None), subprocess.run(stats, check=True, capture_output=True)), 3)
    t_counts = best_of(idx.tag_counts)
    thresholds = [2, 5, 10, 50, 100]
    from tagsim.vocabulary import build_vocabulary
    t = time.perf_counter(); build_vocabulary(idx); t_first_vocab = time.perf_counter() - t  # includes normalising the tag list once
    vocab_times = {m: best_of(lambda m=m: build_vocabulary(idx, min_occurrences=m)) for m in thresholds}
    vocab_sizes = {m: len(build_vocabulary(idx, min_occurrences=m)) for m in thresholds}
    disk = sum(f.stat().st_size for f in (d/'index').rglob('*') if f.is_file())
    n_rows = idx.n_assignments
    print(f"\nscrape: {idx.n_items:,} items, {idx.n_tags:,} distinct tags, {n_rows:,} tag rows")
    print(f"{'measure':<44}{'value':>14}")
    print(f"{'pr0loader loop (json.loads + dict count)':<44}{t_loop:>12.2f} s")
    print(f"{'tagsim index build (one time)':<44}{t_index:>12.2f} s")
    print(f"{'  ratio loop / index build':<44}{t_loop/t_index:>13.2f}x")
    print(f"{'refresh check, unchanged: file state':<44}{t_check_state*1000:>11.1f} ms")
    print(f"{'refresh check, unchanged: checksum fallback':<44}{t_check:>12.2f} s")
    print(f"{'repeated tagsim stats, file state':<44}{t_stats_state:>12.2f} s")
    print(f"{'  ratio to the loop (goal <= 0.25)':<44}{t_stats_state/t_loop:>13.2f}x")
    print(f"{'repeated tagsim stats, checksum fallback':<44}{t_stats_checksum:>12.2f} s")
    print(f"{'  ratio to the loop':<44}{t_stats_checksum/t_loop:>13.2f}x")
    print(f"{'tag counts after indexing':<44}{t_counts*1000:>11.1f} ms")
    print(f"{'  ratio loop / counts query':<44}{t_loop/t_counts:>12.0f}x")
    print(f"{'first build_vocabulary (normalises tag list)':<44}{t_first_vocab*1000:>11.1f} ms")
    for m in thresholds:
        print(f"{'build_vocabulary, min ' + str(m) + f' ({vocab_sizes[m]:,} tags)':<44}{vocab_times[m]*1000:>11.1f} ms")
    print(f"{'peak RSS during index build':<44}{mem.peak/2**20:>11.0f} MB")
    print(f"{'  above the process before building':<44}{(mem.peak-base_rss)/2**20:>11.0f} MB")
    print(f"{'index size on disk':<44}{disk/2**20:>11.0f} MB")
    per_row = (mem.peak - base_rss) / n_rows
    proj = base_rss + per_row * 60_000_000
    print(f"\nprojection to 6 M items / 60 M tag rows (linear in rows, {per_row:.0f} B/row of build memory):")
    print(f"  build peak ~ {proj/2**30:.1f} GB (goal: under 8 GB); index on disk ~ {disk / n_rows * 60e6 / 2**30:.2f} GB")
    print(f"  loaded index arrays: {60e6*12/2**30 + 6e6*18/2**30:.2f} GB (12 B per tag row, 18 B per item)")
    goal = all(v < 0.1 for v in vocab_times.values()) and t_counts < 0.1
    print(f"\nqueries under 100 ms: {'yes' if goal else 'NO'}")

if __name__ == '__main__': main()
