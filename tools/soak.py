#!/usr/bin/env python
"""Soak test: kill -9 every long stage at many random points, resume, and compare with an uninterrupted run.

The same stages and checks as tests/test_kills.py (see tests/stages.py), with more kill points and rounds:

    python tools/soak.py [--stages index,demo,features,ann,variants,report] [--kills 10] [--rounds 3] [--seed N] [--keep DIR]

Prints one line per round and a table: stage, kills that landed before the stage ended, rounds that ended with the
uninterrupted result, and the tolerance used. Exits with 1 if any round failed.
"""
import argparse, random, sys, time, traceback
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent/'tests'))
import stages

def soak_stage(stage:str, root:Path, kills:int, rounds:int, rng:random.Random) -> dict:
    "Prepare once, run once uninterrupted, then `rounds` times kill `kills` times and resume."
    inputs = stages.prepare(stage, root/'inputs')
    took = stages.timed_run(stage, inputs, root/'reference')
    want = stages.read(stage, root/'reference')
    landed, ok = 0, 0
    for r in range(rounds):
        delays = sorted(rng.uniform(0.05, 1.0) * took for _ in range(kills))
        try:
            landed_now = stages.kill_and_resume(stage, inputs, root/f'round{r}', want, delays)['kills']
            landed += landed_now; ok += 1
            print(f"{stage} round {r + 1}: {landed_now} of {kills} kills landed; resumed to the same result", flush=True)
        except Exception as e:
            print(f"{stage} round {r + 1}: FAILED: {e}", flush=True); traceback.print_exc()
    return {'stage': stage, 'seconds uninterrupted': round(took, 1), 'kills landed': landed, 'rounds ok': f'{ok}/{rounds}'}

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--stages', default=','.join(stages.STAGES)); ap.add_argument('--kills', type=int, default=10)
    ap.add_argument('--rounds', type=int, default=3); ap.add_argument('--seed', type=int, default=None)
    ap.add_argument('--keep', help='work in this folder and keep it')
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(10**6)
    from tagsim.processes import scratch_folder
    root = Path(a.keep) if a.keep else scratch_folder(prefix='tagsim-soak-')
    print(f"seed {seed}; working in {root}", flush=True)
    t0, rows = time.perf_counter(), []
    for stage in a.stages.split(','):
        rows.append(soak_stage(stage, root/stage, a.kills, a.rounds, random.Random(f'{seed}-{stage}')))
    print(f"\n{'stage':<10}{'uninterrupted s':>16}{'kills landed':>14}{'rounds ok':>11}  tolerance")
    for r in rows:
        print(f"{r['stage']:<10}{r['seconds uninterrupted']:>16}{r['kills landed']:>14}{r['rounds ok']:>11}  {stages.TOLERANCES[r['stage']]}")
    print(f"\n{time.perf_counter() - t0:.0f} s in all")
    sys.exit(0 if all(r['rounds ok'].split('/')[0] == r['rounds ok'].split('/')[1] for r in rows) else 1)

if __name__ == '__main__': main()
