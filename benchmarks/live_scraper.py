#!/usr/bin/env python
"""A scraper writing while tagsim reads: the commit latency of a pr0loader-like writer, alone and while `tagsim stats`
and `tagsim index` run again and again on the same WAL-mode scrape (200,000 items to start with).

The writer (tests/live_writer.py) commits batches of 50 rows with a busy timeout of 0, so a reader that blocked it
would show up as an error rather than as a delay. `tagsim embed` is left out here: tests/test_live_scraper.py runs it
against a live writer for correctness, but embedding 200,000 images would measure the CPU, not the locks.

    python benchmarks/live_scraper.py [--items 200000] [--batches 1500]
"""
import argparse, json, subprocess, sys, threading, time
from pathlib import Path
import numpy as np
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE)); sys.path.insert(0, str(HERE.parent/'tests'))
from index_benchmark import make_scrape

def write_batches(db:Path, batches:int, out:Path) -> dict:
    "Run the writer as its own process; its latencies and errors."
    subprocess.run([sys.executable, str(HERE.parent/'tests'/'live_writer.py'), str(db), '--out', str(out),
                    '--batches', str(batches), '--batch-size', '50', '--pause', '0.01'], check=True)
    return json.loads(out.read_text())

def read_repeatedly(db:Path, work:Path, stop:threading.Event, counts:dict):
    "Run `tagsim stats` and `tagsim index` in turn until `stop`; count runs and failures."
    common = ['--db', str(db), '--work-dir', str(work)]
    while not stop.is_set():
        for cmd in (['stats', '--json'], ['index']):
            r = subprocess.run([sys.executable, '-m', 'tagsim.cli', *cmd, *common], capture_output=True, text=True)
            counts['runs'] += 1; counts['failures'] += r.returncode != 0

def describe(lat:list) -> str:
    ms = np.array(lat) * 1000
    return f"median {np.median(ms):6.2f}  p95 {np.percentile(ms, 95):6.2f}  p99 {np.percentile(ms, 99):6.2f}  max {ms.max():7.2f} ms"

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--items', type=int, default=200_000); ap.add_argument('--batches', type=int, default=1500)
    a = ap.parse_args()
    from tagsim.processes import scratch_folder
    d = scratch_folder(prefix='tagsim-bench-')
    db = d/'live.db'
    make_scrape(db, a.items)
    import sqlite3
    sqlite3.connect(db).execute('PRAGMA journal_mode=WAL').fetchone()
    subprocess.run([sys.executable, '-m', 'tagsim.cli', 'index', '--db', str(db), '--work-dir', str(d/'work')], check=True, capture_output=True)
    alone = write_batches(db, a.batches, d/'alone.json')
    stop, counts = threading.Event(), {'runs': 0, 'failures': 0}
    reader = threading.Thread(target=read_repeatedly, args=(db, d/'work', stop, counts)); reader.start()
    time.sleep(2)  # the readers are running
    shared = write_batches(db, a.batches, d/'shared.json')
    stop.set(); reader.join()
    print(f"scrape: {a.items:,} items to start with, {a.batches} commits of 50 rows in each phase\n")
    print(f"writer alone:              {describe(alone['latencies'])}   errors: {len(alone['errors'])}")
    print(f"writer while tagsim reads: {describe(shared['latencies'])}   errors: {len(shared['errors'])}")
    print(f"tagsim commands run meanwhile: {counts['runs']} ({counts['failures']} failed)")
    ratio = np.median(shared['latencies']) / np.median(alone['latencies'])
    print(f"median commit latency, with readers / alone: {ratio:.2f}x")

if __name__ == '__main__': main()
