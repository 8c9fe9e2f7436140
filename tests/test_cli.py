"""The command line: help everywhere, the demo, stats, no TensorFlow for model-free commands."""
import json, os, subprocess, sys
from pathlib import Path
import pytest
from conftest import run_cli, fingerprint, run_at_once
from tagsim.cli import build_parser

def test_help_on_every_subcommand():
    assert 'demo' in run_cli('--help').stdout
    p = build_parser()
    sub = next(a for a in p._actions if a.dest == 'command')
    for name in sub.choices:
        assert run_cli(name, '--help').stdout.startswith('usage: tagsim ' + name)
    for action in ('build', 'run'): assert 'usage' in run_cli('demo', action, '--help').stdout

@pytest.mark.parametrize('cmd', [['stats'], ['config'], ['index'], ['check-media']])
def test_model_free_commands_do_not_import_tensorflow(pr0loader_db, work, cmd):
    (pr0loader_db.parent/'media').mkdir(exist_ok=True)  # check-media needs the folder to exist
    code = ("import sys; from tagsim.cli import main; rc = main(sys.argv[1:]); "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'tensorflow imported'; sys.exit(rc)")
    r = subprocess.run([sys.executable, '-c', code, *cmd, '--db', str(pr0loader_db)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr

def test_output_to_a_reader_that_has_gone_stops_quietly(pr0loader_db, tmp_path):
    "`tagsim stats | head -1`: the reader closes the pipe; tagsim exits 141 without an error line or a traceback."
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before tagsim prints its first line
    p = subprocess.run([sys.executable, '-m', 'tagsim.cli', 'stats', '--db', str(pr0loader_db), '--work-dir', str(tmp_path/'w')],
                       stdout=write_end, stderr=subprocess.PIPE, text=True)
    os.close(write_end)
    assert p.returncode == 141 and 'error' not in p.stderr and 'Traceback' not in p.stderr, p.stderr

def test_stats_on_demo(demo_db, tmp_path):
    before = fingerprint(demo_db)
    r = json.loads(run_cli('stats', '--db', demo_db, '--work-dir', tmp_path/'w', '--json', '--tail-tests').stdout)
    assert r['layout'] == 'pr0loader' and r['items'] == 7188
    assert r['tags'] > 1000 and r['tag_assignments'] > 2 * r['items'] and r['items_without_tags'] == 0 and r['skipped tags'] == {}
    assert r['tail'] == 'not shown to be a power law' and r['tail_tests']['lognormal']['favours'] == 'lognormal'  # 08_frequency's finding
    assert fingerprint(demo_db) == before

def test_demo_build_and_run(tmp_path):
    r = run_cli('demo', 'run', '--size', '24', '--quiet', '--work-dir', tmp_path/'w', '--skip-training')
    assert 'items: 7,188' in r.stdout and (tmp_path/'w/demo/variant_truth.json').exists()
    truth = json.loads((tmp_path/'w/demo/variant_truth.json').read_text())
    assert {'a': 'home', 'b': 'house'} in [{'a': p['a'], 'b': p['b']} for p in truth['alias_token_pairs']]
    assert {'a': '0ff', 'b': 'off'} in [{'a': p['a'], 'b': p['b']} for p in truth['spelling_pairs']]  # the demo's own leetspeak
    media = sorted((tmp_path/'w/demo/media').rglob('*.png'))
    assert len(media) == 7188
    run_cli('demo', 'build', '--size', '24', '--quiet', '--work-dir', tmp_path/'w')  # reused (run_cli checks the exit status)
    assert sorted((tmp_path/'w/demo/media').rglob('*.png')) == media

def test_demo_is_deterministic(tmp_path):
    from tagsim.demo import build_demo
    import hashlib, sqlite3
    dump = lambda db: hashlib.sha256('\n'.join(sqlite3.connect(db).iterdump()).encode()).hexdigest()
    a = build_demo(tmp_path/'a', size=16, limit=300); b = build_demo(tmp_path/'b', size=16, limit=300)
    assert dump(a) == dump(b)
    fa, fb = sorted((tmp_path/'a/media').rglob('*.png')), sorted((tmp_path/'b/media').rglob('*.png'))
    assert [f.read_bytes() for f in fa] == [f.read_bytes() for f in fb]

def test_demo_builds_started_at_once_take_turns(tmp_path):
    "Two processes build the same demo at once: one builds it, the other waits and finds it built."
    code = "import sys; from tagsim.demo import build_demo; print(build_demo(sys.argv[1], size=16, limit=600))"
    results = run_at_once([[sys.executable, '-c', code, tmp_path/'demo']] * 2)
    assert all(rc == 0 for rc, _, _ in results), [err[-300:] for _, _, err in results]
    assert sum('waiting for another process' in err for _, _, err in results) == 1
    assert len(list((tmp_path/'demo'/'media').rglob('*.png'))) == 600 and not (tmp_path/'demo.partial').exists()

def test_import_json_cli(tmp_path):
    (tmp_path/'p.json').write_text(json.dumps({'items': [{'id': 1, 'image': 'a.jpg', 'flags': 1}]}))
    r = run_cli('import-json', tmp_path/'p.json', '--out', tmp_path/'o.db')
    assert 'items: 1' in r.stdout
    r = run_cli('import-json', tmp_path/'p.json', '--out', tmp_path/'o.db', check=False)
    assert r.returncode == 2 and 'refusing to overwrite' in r.stderr

def test_main_job_trains_on_demo(tmp_path):
    r = run_cli('demo', 'run', '--size', '24', '--quiet', '--work-dir', tmp_path/'w', '--epochs', '1', '--image-size', '32', '--no-baseline')
    assert 'items: 7,188' in r.stdout and 'macro mAP' in r.stdout
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith('report: ') and Path(last[8:]).is_file()
    job = tmp_path/'w/jobs/demo'
    assert json.loads((job/'run/metrics.json').read_text())['test']['items'] > 500
    ev = json.loads((job/'variants/evaluation.json').read_text())
    assert set(ev) >= {'method', 'DBSCAN(eps=0.3)', 'chance precision'} and ev['method']['P@10'] > ev['chance precision']
