#!/usr/bin/env python
"""Wall time of the analysis notebook (nbs/08_frequency.ipynb) run top to bottom.

    python benchmarks/notebook_timing.py            # on the small scrape made in the notebook
    python benchmarks/notebook_timing.py --demo     # on the full demo scrape (slow cells included)

The demo scrape is built first (outside the timing) if it is missing.
"""
import argparse, subprocess, sys, time
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--demo', action='store_true', help='include the #| slow cells: analyse the full demo scrape')
    a = ap.parse_args()
    if a.demo:
        from tagsim.config import load_settings
        from tagsim.demo import build_demo
        build_demo(load_settings().demo_dir)
    cmd = ['nbdev_test', '--path', str(ROOT/'nbs/08_frequency.ipynb')] + (['--flags', 'slow'] if a.demo else [])
    t = time.perf_counter(); r = subprocess.run(cmd, cwd=ROOT); dt = time.perf_counter() - t
    print(f"analysis notebook ({'demo scrape' if a.demo else 'small scrape'}): {dt:.1f} s wall, exit {r.returncode}")
    sys.exit(r.returncode)

if __name__ == '__main__': main()
