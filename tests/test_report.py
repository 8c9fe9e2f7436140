"""The main job on a user's scrape (`tagsim run`): its stages, `report: PATH` as the last line, the report in headless
Chromium (every image decodes, nothing comes from the network, hostile tags stay text), and resumption after kill -9."""
import json, os, signal, sqlite3, subprocess, sys
import pytest
from conftest import make_image_scrape, run_cli, open_page
from tagsim.report_sections import tail_sentence

HOSTILE = ["<script>document.title='PWNED'</script>", "\"><img src=x onerror=\"document.title='PWNED2'\">", "=HYPERLINK(\"x\")"]
JOB = ['--epochs', '1', '--image-size', '32', '--no-baseline', '--quiet']

def hostile_scrape(root):
    db = make_image_scrape(root, 80)
    con = sqlite3.connect(db)
    for k, tag in enumerate(HOSTILE):
        rows = json.dumps([{'id': 1, 'tag': tag, 'confidence': 0.9}, {'id': 2, 'tag': 'rot', 'confidence': 0.9}])
        con.execute("UPDATE items SET tags_data = ? WHERE id % 7 = ?", (rows, k))
    for i, image in ((81, '../../../../etc/passwd'), (82, '/etc/hostname')):  # paths out of the media folder
        con.execute("INSERT INTO items (id, image, flags, created, tags_data) VALUES (?, ?, 1, ?, ?)",
                    (i, image, i, '[{"id": 1, "confidence": 0.9, "tag": "rot"}]'))
    con.commit(); con.close()
    return db

@pytest.fixture(scope='module')
def job(tmp_path_factory):
    d = tmp_path_factory.mktemp('job')
    db = hostile_scrape(d)
    r = run_cli('run', '--db', db, '--work-dir', d/'w', '--out', d/'job', *JOB, env={'TAGSIM_MIN_TAG_OCCURRENCES': '5'})
    return d, db, r.stdout

def test_run_writes_every_stage_and_ends_with_the_report(job):
    d, _, out = job
    lines = out.strip().splitlines()
    assert lines[-1] == f"report: {(d/'job'/'report.html').resolve()}"
    for stage in ('statistics', 'vocabulary, training and evaluation', 'embeddings', 'similar items and near-duplicates', 'tag variants', 'maps'):
        assert any(l.startswith(stage + ':') for l in lines), stage
    for f in ('statistics.json', 'similar.json', 'duplicates.csv', 'variants/pairs.csv', 'variants/proposals.yaml',
              'maps/items.html', 'run/metrics.json', 'run/tensorboard/projector_config.pbtxt', 'left_out.csv', 'timings.json'):
        assert (d/'job'/f).is_file(), f
    assert not (d/'job/variants/evaluation.json').exists()  # no ground truth given
    left = (d/'job/left_out.csv').read_text().splitlines()
    for stage in ('train', 'embed'):  # named by id, in the words check-media uses
        assert f'{stage},81,refused_path' in left and f'{stage},82,refused_path' in left, left

def test_report_renders_offline_with_hostile_tags_as_text(job, browser):
    d, _, _ = job
    page, errors = open_page(browser, d/'job'/'report.html')
    images = page.evaluate("[...document.images].map(i => [i.src.slice(0, 15), i.naturalWidth])")
    assert len(images) > 20 and all(src.startswith('data:image/') and w > 0 for src, w in images), images[:5]
    assert page.evaluate("document.querySelectorAll('script, iframe, object, img[src=\"x\"]').length") == 0
    text = page.inner_text('body')
    assert HOSTILE[0] in text and page.title().startswith('tagsim report')
    assert 'refused_path' in text.split('Left out')[-1]
    tail_tests = json.loads((d/'job/statistics.json').read_text())['tail_tests']  # whether the tail is a power law
    assert tail_sentence(tail_tests) in text.split('Statistics')[1], tail_tests
    assert not errors, errors
    page.close()

def test_killed_job_resumes_and_gives_the_same_report_data(job, tmp_path):
    d, db, _ = job
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', TAGSIM_MIN_TAG_OCCURRENCES='5')
    args = [sys.executable, '-m', 'tagsim.cli', 'run', '--db', str(db), '--work-dir', str(d/'w'), '--out', str(tmp_path/'job'), *JOB]
    for stage in ('statistics', 'embeddings', 'tag variants'):  # kill right after each of these stages finished
        p = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in p.stdout:
            if line.startswith(stage + ':'): break
        os.kill(p.pid, signal.SIGKILL); p.wait()
    r = subprocess.run(args, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-1500:]
    timings = json.loads((tmp_path/'job/timings.json').read_text())
    assert timings['vocabulary, training and evaluation'] < 10 and timings['embeddings'] < 30  # reused, not redone
    for f in ('variants/pairs.csv', 'duplicates.csv', 'similar.json', 'left_out.csv'):
        assert (tmp_path/'job'/f).read_bytes() == (d/'job'/f).read_bytes(), f
    assert not list((tmp_path/'job').rglob('*.tmp*'))

def test_killed_report_writing_leaves_the_previous_report_or_none(job, tmp_path):
    "kill -9 at random points while only the report is written: no half-written report.html; the rerun's is byte-identical."
    import random, stages
    from test_kills import SEED
    d, _, _ = job
    took = stages.timed_run('report', d/'job', tmp_path/'reference')
    want = stages.read('report', tmp_path/'reference')
    rng = random.Random(f'{SEED}-report')
    delays = stages.kill_points(rng, took)
    print(f"report: seed {SEED}, uninterrupted {took:.1f} s, kills at {', '.join(f'{x:.2f}' for x in delays)} s")
    assert stages.kill_and_resume('report', d/'job', tmp_path/'killed', want, delays)['kills'] >= 2
