"""Training runs: both modes train, a killed run resumes, and the CLI trains, evaluates and predicts."""
import csv, json, os, signal, sqlite3, subprocess, sys, time
import pytest
from conftest import make_image_scrape, run_at_once, run_cli

def history_epochs(run):
    with open(run/'history.csv') as f: return [int(r['epoch']) for r in csv.DictReader(f)]

def whole_h5(path) -> bool:
    "Whether `path` is an HDF5 file that opens: a kill can land while Keras copies the checkpoint to its `.bkp`."
    import h5py
    try:
        with h5py.File(path, 'r'): return True
    except OSError: return False

def start_train(db, work, run, *extra):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', TAGSIM_MIN_TAG_OCCURRENCES='5')
    args = [sys.executable, '-m', 'tagsim.cli', 'train', '--db', str(db), '--work-dir', str(work), '--out', str(run),
            '--image-size', '32', '--batch-size', '16', '--no-baseline', *extra]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)

@pytest.mark.parametrize('mode', ['finetune', 'cached'])
def test_killed_run_resumes(tmp_path, mode):
    db = make_image_scrape(tmp_path, 150)
    run = tmp_path/'run'
    epochs = '8' if mode == 'finetune' else '40'
    p = start_train(db, tmp_path/'work', run, '--mode', mode, '--epochs', epochs)
    deadline = time.time() + 240
    while time.time() < deadline and p.poll() is None:  # kill it once two epochs are checkpointed
        if (run/'history.csv').exists() and len(history_epochs(run)) >= 2 and (run/'backup').exists(): break
        time.sleep(0.2)
    assert p.poll() is None, 'the run finished before it could be killed:\n' + p.stdout.read()[-2000:]
    p.send_signal(signal.SIGKILL); p.wait()
    latest = run/'backup/latest.weights.h5'
    if whole_h5(run/'backup/latest.weights.h5.bkp'):  # as if the kill had landed mid-write: the previous epoch's state must serve
        latest.write_bytes(b'\x89HDF\r\n\x1a\n' + b'\0' * 64)
    first = history_epochs(run)
    assert not (run/'metrics.json').exists()
    p = start_train(db, tmp_path/'work', run, '--mode', mode, '--epochs', epochs)
    out, _ = p.communicate(timeout=600)
    assert p.returncode == 0, out[-3000:]
    epochs_all = history_epochs(run)
    second = epochs_all[len(first):]
    # resumed, not restarted at epoch 0; the kill may land after an epoch's checkpoint but before its CSV row
    assert second and 1 <= second[0] <= first[-1] + 2, (first, second)
    m = json.loads((run/'metrics.json').read_text())
    assert m['test']['items'] > 0 and not (run/'backup').exists()

HOSTILE_PATHS = {151: '../../../../etc/passwd', 152: '/etc/hostname'}

def add_hostile_rows(db):
    "Two posts whose media paths point outside the media folder, tagged like the others."
    con = sqlite3.connect(db)
    for i, image in HOSTILE_PATHS.items():
        con.execute("INSERT INTO items (id, image, flags, created, tags_data) VALUES (?, ?, 1, ?, ?)",
                    (i, image, i, '[{"id": 1, "confidence": 0.9, "tag": "rot"}]'))
    con.commit(); con.close()

def test_cli_train_evaluate_predict(tmp_path):
    db = make_image_scrape(tmp_path, 150)
    add_hostile_rows(db)
    env = {'TAGSIM_MIN_TAG_OCCURRENCES': '5'}
    r = run_cli('train', '--db', db, '--work-dir', tmp_path/'w', '--out', tmp_path/'run', '--image-size', '32', '--batch-size', '16',
                '--epochs', '10', '--json', env=env)
    summary = json.loads(r.stdout[r.stdout.index('{'):])
    # what training leaves out is named with id and reason, in the same words as check-media
    assert summary['left out (each named in left_out.csv)'] == {'refused_path': 2}
    assert (tmp_path/'run/left_out.csv').read_text().splitlines() == ['stage,id,reason', 'train,151,refused_path', 'train,152,refused_path']
    media = json.loads(run_cli('check-media', '--db', db, '--media-dir', tmp_path/'media', '--json').stdout)
    assert media['refused_path_ids'] == [151, 152] and media['refused_path'] == 2
    t, b = summary['tagsim (test split)'], summary['pr0loader baseline (same test split)']
    assert 0 <= b['macro mAP'] <= 1 and 0 <= t['macro mAP'] <= 1
    ev = json.loads(run_cli('evaluate', '--run', tmp_path/'run', '--json', env=env).stdout)
    assert abs(ev['macro_map'] - t['macro mAP']) < 1e-3
    pred = json.loads(run_cli('predict', tmp_path/'media/1.png', tmp_path/'media/2.png', '--run', tmp_path/'run', '--top-k', '3', '--json').stdout)
    assert [len(p['tags']) for p in pred] == [3, 3]
    r = run_cli('predict', tmp_path/'nope.png', '--run', tmp_path/'run', check=False)
    assert r.returncode == 2 and 'missing' in r.stderr and 'nope.png' in r.stderr
    r = run_cli('predict', tmp_path/'media/1.png', '--run', tmp_path/'media', check=False)
    assert r.returncode == 2 and 'not a finished tagsim run' in r.stderr
    (tmp_path/'run/model.keras').write_bytes(b'broken')
    r = run_cli('predict', tmp_path/'media/1.png', '--run', tmp_path/'run', check=False)
    assert r.returncode == 2 and 'cannot load' in r.stderr

FEATURE_HALF = """
import sys
import numpy as np
from pathlib import Path
from tagsim.index import update_index
from tagsim.vocabulary import build_vocabulary
from tagsim.data import build_examples
from tagsim.train import cache_features
root, half = Path(sys.argv[1]), int(sys.argv[2])
index, _ = update_index(root/'scrape.db', root/f'index{half}')
ex = build_examples(index, build_vocabulary(index, min_occurrences=2), root/'scrape.db', root/'media')
mine = ex.subset(np.arange(len(ex))[half::2])
feats, rows, report = cache_features(mine, 'small-cnn', 32, root/'features', part_size=10)
print(len(mine), len(rows))
"""

def test_two_processes_fill_one_feature_cache(tmp_path):
    "Two runs with other items fill the shared feature cache at once: each gets the features of all its items."
    from tagsim.squares import squares_scrape
    squares_scrape(tmp_path, n=200, size=32)
    results = run_at_once([[sys.executable, '-c', FEATURE_HALF, tmp_path, half] for half in (0, 1)],
                          env={'TF_CPP_MIN_LOG_LEVEL': '3'})
    assert all(rc == 0 for rc, _, _ in results), [err[-500:] for _, _, err in results]
    asked_got = [tuple(map(int, out.split()[-2:])) for _, out, _ in results]
    assert all(asked == got > 0 for asked, got in asked_got), asked_got

def test_two_trainings_into_one_run_folder_take_turns(tmp_path):
    "Started twice with one --out: the second waits, then finds the run finished; neither fails."
    db = make_image_scrape(tmp_path, 150)
    runs = [start_train(db, tmp_path/'work', tmp_path/'run', '--arch', 'small-cnn', '--mode', 'finetune', '--epochs', '4')
            for _ in range(2)]
    outputs = [r.communicate(timeout=600)[0] for r in runs]
    assert [r.returncode for r in runs] == [0, 0], [o[-1500:] for o in outputs]
    assert sum('waiting for another process that is training into' in o for o in outputs) == 1
    assert json.loads((tmp_path/'run'/'metrics.json').read_text())['epochs_run'] == 4

def test_cli_finetune_from_a_warm_start(tmp_path):
    "`--warm-start` first trains a head on cached features, then fine-tunes the whole tagger from it."
    db = make_image_scrape(tmp_path, 60)
    run_cli('train', '--db', db, '--work-dir', tmp_path/'w', '--out', tmp_path/'run', '--image-size', '32', '--batch-size', '16',
            '--epochs', '2', '--mode', 'finetune', '--warm-start', '--unfreeze-top', '1', '--no-baseline',
            env={'TAGSIM_MIN_TAG_OCCURRENCES': '5'})
    metrics = json.loads((tmp_path/'run/metrics.json').read_text())
    assert (metrics['options']['mode'], metrics['options']['warm_start'], metrics['epochs_run']) == ('finetune', True, 2)
    assert (tmp_path/'run/warm_start/history.csv').is_file() and (tmp_path/'run/model.keras').is_file()
