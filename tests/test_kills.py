"""kill -9 at random points, stage by stage (tests/stages.py): the index build, the demo build, the feature cache,
training in cached mode, the ANN index build, the variants, and tagging a folder into a file (`predict --out`). After
each kill, what a later command reads is nothing or the finished result (for the index, whole committed segments);
started again, the stage resumes and ends with what an uninterrupted run gives, within the tolerance
`stages.TOLERANCES` states. The seed of the kill points is printed; set TAGSIM_KILL_SEED to repeat a run.
`tools/soak.py` does the same with many more points."""
import os, random
import pytest
import stages

SEED = int(os.environ.get('TAGSIM_KILL_SEED', random.SystemRandom().randrange(10**6)))
KILLS = 3

@pytest.mark.parametrize('stage', ['index', 'demo', 'features', 'train', 'ann', 'variants', 'predict'])
def test_killed_stage_resumes_to_the_same_result(stage, tmp_path):
    inputs = stages.prepare(stage, tmp_path/'inputs')
    took = stages.timed_run(stage, inputs, tmp_path/'reference')
    want = stages.read(stage, tmp_path/'reference')
    rng = random.Random(f'{SEED}-{stage}')
    delays = stages.kill_points(rng, took, KILLS)
    print(f"{stage}: seed {SEED}, uninterrupted {took:.1f} s, kills at {', '.join(f'{d:.2f}' for d in delays)} s")
    result = stages.kill_and_resume(stage, inputs, tmp_path/'killed', want, delays)
    assert result['kills'] >= 2, f"only {result['kills']} of the kills landed before the stage ended"
