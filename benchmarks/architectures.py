#!/usr/bin/env python
"""The architecture comparison of nbs/22a_architectures, as a script: the same measurements on any machine.

Each measurement runs in a fresh process and is stored in --store, so an interrupted run resumes. On a machine
without TensorFlow (a GPU box with JAX), run it under Keras's JAX backend with --no-profile (FLOPs need TensorFlow's
profiler; they do not depend on the hardware):

    python benchmarks/architectures.py --store DIR                      # CPU: 1 and 2 threads, training batch 2 and 8
    KERAS_BACKEND=jax python benchmarks/architectures.py --threads 0 --train-batches 8 32 --no-profile \\
        --extra efficientnetv2-s:384:128 --store DIR --out gpu.json       # GPU column

--out writes every stored result (one JSON list) for the notebook to read.
"""
import argparse, os, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
from tagsim.architectures import COMPARED, comparison_jobs, compare_architectures, stored_results
from tagsim.outputs import write_json

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--store', type=Path, required=True, help='folder of stored measurements')
    ap.add_argument('--arch', nargs='*', default=list(COMPARED))
    ap.add_argument('--threads', nargs='*', type=int, default=[1, 2], help='inference thread counts (0: the default)')
    ap.add_argument('--train-batches', nargs='*', type=int, default=[2, 8])
    ap.add_argument('--no-profile', action='store_true', help='skip parameters and FLOPs (they need TensorFlow)')
    ap.add_argument('--extra', nargs='*', default=[], help='more training steps, as ARCH:SIZE:BATCH')
    ap.add_argument('--timeout', type=float, default=1800, help='seconds per measurement')
    ap.add_argument('--out', type=Path, help='write all stored results here as one JSON list')
    a = ap.parse_args()
    jobs = comparison_jobs(a.arch, [t or None for t in a.threads], a.train_batches, not a.no_profile)
    for x in a.extra:
        arch, size, batch = x.split(':')
        jobs.append({'kind': 'train', 'arch': arch, 'size': int(size), 'batch': int(batch)})
    table = compare_architectures(a.store, jobs, timeout=a.timeout)
    print(table.round(2).to_string())
    if a.out: write_json(a.out, stored_results(a.store))

if __name__ == '__main__': main()
