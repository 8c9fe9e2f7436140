#!/usr/bin/env python
"""Wall time of the main job, `tagsim demo run`, from an empty work folder: demo build, statistics, training on the
default recipe with the pr0loader baseline and evaluation, embeddings, similar items and near-duplicates, tag variants
scored against the ground truth, the maps, and the report. Prints each stage's time, the total and the budget ratio
(goal: at most 10 minutes on 2 cores, ratio <= 1).

    python benchmarks/main_job.py [--keep DIR] [-- extra demo-run flags]
"""
import argparse, os, subprocess, sys, time

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--keep', help='work folder to use and keep (default: a temporary one, removed afterwards)')
    ap.add_argument('--budget', type=float, default=600, help='seconds the job may take (default 600)')
    ap.add_argument('extra', nargs='*')
    a = ap.parse_args()
    from tagsim.processes import scratch_folder
    work = a.keep or str(scratch_folder(prefix='tagsim-bench-'))  # removed when this process ends
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
    t = time.perf_counter()
    r = subprocess.run([sys.executable, '-m', 'tagsim.cli', 'demo', 'run', '--quiet', '--work-dir', work, *a.extra],
                       capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t
    if r.returncode: sys.exit(f"tagsim demo run failed ({r.returncode}):\n{r.stderr[-2000:]}")
    print(r.stdout[r.stdout.find('device:'):].strip())
    print(f"wall time: {seconds:.0f} s; budget {a.budget:.0f} s; ratio {seconds / a.budget:.2f} (CPUs: {os.cpu_count()})")
