"""The 13 command-line defects a careful new user found (issue 14), each with a test that failed before the fix,
and a sweep of every numeric option with an out-of-range value."""
import json, os, sqlite3, stat, subprocess, sys
from pathlib import Path
import pytest
from conftest import make_image_scrape, make_danbooru_db, pr0_item, run_cli
from tagsim.storage import write_pr0loader_db

def one_line_error(r, *words):
    "A refusal: exit 2, one error line on stderr naming `words`, no traceback (progress bars and TensorFlow's logs aside)."
    lines = [l for l in r.stderr.splitlines() if l.startswith('tagsim') and ': error:' in l]
    assert r.returncode == 2, (r.returncode, r.stdout[-500:], r.stderr[-1500:])
    assert 'Traceback' not in r.stderr and len(lines) == 1, r.stderr[-1500:]
    for w in words: assert w in lines[0], (w, lines[0])
    return lines[0]

def test_1_run_folder_of_another_scrape_or_vocabulary_is_refused(tmp_path):
    a = make_image_scrape(tmp_path/'a', 60, seed=1); b = make_image_scrape(tmp_path/'b', 60, seed=2)
    common = ['--work-dir', tmp_path/'w', '--arch', 'small-cnn', '--epochs', '1', '--image-size', '32', '--no-baseline',
              '--repost-distance', '-1', '--out', tmp_path/'run']
    env = {'TAGSIM_MIN_TAG_OCCURRENCES': '3'}
    run_cli('train', '--db', a, *common, env=env)
    r = run_cli('train', '--db', b, *common, env=env, check=False)
    one_line_error(r, 'belongs to another run', str(a.resolve()), '--force')
    run_cli('train', '--db', b, *common, '--force', env=env)
    identity = json.loads((tmp_path/'run/identity.json').read_text())
    assert identity['scrape'] == str(b.resolve())
    import csv
    with open(tmp_path/'run/history.csv') as f: assert [r['epoch'] for r in csv.DictReader(f)] == ['0']
    # the same scrape with another vocabulary (5 tags at 3 occurrences, only the two sizes at 25) is another run too:
    # it was resumed, and its finished figures were handed back as the new vocabulary's
    r = run_cli('train', '--db', b, *common, env={'TAGSIM_MIN_TAG_OCCURRENCES': '25'}, check=False)
    one_line_error(r, 'belongs to another run', identity['vocabulary'], '--force')

def test_1b_training_again_with_other_options_starts_its_training_afresh(tmp_path):
    "The same scrape and vocabulary with other options: the epochs and the split are the new options' own."
    db = make_image_scrape(tmp_path/'s', 60)
    common = ['--db', db, '--work-dir', tmp_path/'w', '--arch', 'small-cnn', '--image-size', '32', '--no-baseline',
              '--repost-distance', '-1', '--out', tmp_path/'run']
    env = {'TAGSIM_MIN_TAG_OCCURRENCES': '3'}
    run_cli('train', *common, '--epochs', '2', env=env)
    split_before = (tmp_path/'run/split.json').read_text()
    run_cli('train', *common, '--epochs', '3', env=env)
    import csv
    with open(tmp_path/'run/history.csv') as f: assert [r['epoch'] for r in csv.DictReader(f)] == ['0', '1', '2']
    metrics = json.loads((tmp_path/'run/metrics.json').read_text())
    assert metrics['epochs_run'] == 3  # it said 5: the old run's two epochs were counted with the new three
    assert (tmp_path/'run/split.json').read_text() == split_before  # other epochs: the same held-out items
    run_cli('train', *common, '--epochs', '3', '--split', 'time', env=env)
    metrics = json.loads((tmp_path/'run/metrics.json').read_text())
    assert (metrics['options']['split'], metrics['split']['method']) == ('time', 'time')  # it kept the hash split

def test_1c_options_that_would_be_ignored_are_refused(tmp_path, pr0loader_db):
    "A saved vocabulary with --min-occurrences, or fine-tune options in the cached mode: refused, not ignored."
    (tmp_path/'v.json').write_text('{}')  # refused before it is read
    r = run_cli('train', '--db', pr0loader_db, '--vocab', tmp_path/'v.json', '--min-occurrences', '5', check=False)
    one_line_error(r, '--min-occurrences', 'not allowed with', '--vocab')
    r = run_cli('train', '--db', pr0loader_db, '--mode', 'cached', '--unfreeze-top', '2', '--work-dir', tmp_path/'w',
                check=False)
    one_line_error(r, 'unfreeze_top', '--mode finetune')  # metrics.json said unfreeze_top 2 for a head on features

def test_2_empty_split_is_named(tmp_path):
    from PIL import Image
    (tmp_path/'media').mkdir()
    for i in range(1, 21): Image.new('RGB', (40, 40), (200, 10, 10)).save(tmp_path/f'media/{i}.png')
    db = write_pr0loader_db(tmp_path/'same.db', [pr0_item(i, [('red', 0.9)], image=f'{i}.png') for i in range(1, 21)])
    for split in ('hash', 'time'):
        r = run_cli('train', '--db', db, '--work-dir', tmp_path/'w', '--arch', 'small-cnn', '--image-size', '32', '--epochs', '1',
                    '--split', split, '--out', tmp_path/f'run-{split}', check=False, env={'TAGSIM_MIN_TAG_OCCURRENCES': '3'})
        one_line_error(r, 'split', 'empty', 'repost group', '--repost-distance -1')

def test_2b_the_main_job_takes_the_advice_it_gives(tmp_path):
    """`tagsim run` advised `--repost-distance -1` for an empty split but had no such option. With it, a scrape of one
    image twelve times runs to its report; its variant stage found no candidate pair (that was a TypeError) and its
    maps stage draws the items and leaves out the tag map, which two tags cannot make (that stopped the job)."""
    import shutil
    db = make_image_scrape(tmp_path, 12)
    media = sorted((tmp_path/'media').glob('*.png'))
    for p in media[1:]: shutil.copy(media[0], p)
    common = ['run', '--db', db, '--work-dir', tmp_path/'w', '--arch', 'small-cnn', '--weights', 'none', '--image-size', '32',
              '--epochs', '1', '--no-baseline', '--quiet']
    env = {'TAGSIM_MIN_TAG_OCCURRENCES': '3'}
    one_line_error(run_cli(*common, '--out', tmp_path/'refused', env=env, check=False), 'empty', '--repost-distance -1')
    r = run_cli(*common, '--out', tmp_path/'job', '--repost-distance', '-1', env=env)
    assert r.stdout.splitlines()[-1] == f"report: {tmp_path/'job'/'report.html'}" and 'warning' not in r.stderr
    assert (tmp_path/'job/maps/items.png').is_file() and not (tmp_path/'job/maps/tags.png').exists()
    assert (tmp_path/'job/variants/pairs.csv').read_text().count('\n') == 1  # the header: no pair

def test_2c_the_main_job_runs_on_a_scrape_with_one_tag(tmp_path):
    """A scrape whose items all carry one tag stopped `tagsim run` at its variant stage ("only 1 tags have at least 5
    items; lower min_support", advice that cannot help). The stage now finds no pair, and the report says so."""
    make_image_scrape(tmp_path, 40)
    db = write_pr0loader_db(tmp_path/'one.db', [pr0_item(i, ['katze'], image=f'{i}.png') for i in range(1, 41)])
    r = run_cli('run', '--db', db, '--media-dir', tmp_path/'media', '--work-dir', tmp_path/'w', '--out', tmp_path/'job',
                '--arch', 'small-cnn', '--weights', 'none', '--image-size', '32', '--epochs', '1', '--no-baseline', '--quiet')
    assert r.stdout.splitlines()[-1] == f"report: {tmp_path/'job'/'report.html'}" and 'warning' not in r.stderr
    report = (tmp_path/'job/report.html').read_text()
    assert 'No candidate pair was found: pairs.csv is empty' in report and 'No tag map' in report and ' 1 tags' not in report

def test_2d_training_takes_min_occurrences_as_its_advice_says(tmp_path):
    """On a small scrape `tagsim run` said "lower min_occurrences", which only `vocab` took (as --min-occurrences);
    `run` and `train` answered `unrecognized arguments`. Both take it now, and the refusals name it."""
    make_image_scrape(tmp_path, 12)
    db = write_pr0loader_db(tmp_path/'few.db', [pr0_item(i, ['katze' if i % 2 else 'hund'], image=f'{i}.png') for i in range(1, 13)])
    common = ['--db', db, '--media-dir', tmp_path/'media', '--work-dir', tmp_path/'w', '--arch', 'small-cnn', '--weights', 'none',
              '--image-size', '32', '--epochs', '1', '--no-baseline', '--repost-distance', '-1']
    one_line_error(run_cli('run', *common, '--quiet', '--out', tmp_path/'job', check=False), 'no tag is on 10 items', '--min-occurrences')
    r = run_cli('train', *common, '--min-occurrences', '6', '--out', tmp_path/'run', '--json')  # each tag is on 6 items
    assert sorted(json.loads((tmp_path/'run/vocab.json').read_text())['tags']) == ['hund', 'katze'], r.stdout[-500:]
    r = run_cli('run', *common, '--quiet', '--min-occurrences', '7', '--out', tmp_path/'job', check=False)
    one_line_error(r, 'no tag is on 7 items')

def test_2e_the_main_job_runs_again_in_its_folder(tmp_path):
    """Run again in its folder with another --image-size, `tagsim run` trained afresh and then stopped at its embeddings
    ("holds embeddings of another model ... or --force"); on another scrape it advised --force, which `run` lacked."""
    db = make_image_scrape(tmp_path, 30)
    other = make_image_scrape(tmp_path/'other', 30)
    common = ['run', '--work-dir', tmp_path/'w', '--arch', 'small-cnn', '--weights', 'none', '--epochs', '1',
              '--no-baseline', '--repost-distance', '-1', '--quiet', '--out', tmp_path/'job']
    env = {'TAGSIM_MIN_TAG_OCCURRENCES': '3'}
    run_cli(*common, '--db', db, '--image-size', '32', env=env)
    run_cli(*common, '--db', db, '--image-size', '48', env=env)
    manifest = json.loads((tmp_path/'job/run/embeddings/manifest.json').read_text())
    assert manifest['model']['image_size'] == 48
    one_line_error(run_cli(*common, '--db', other, '--image-size', '48', env=env, check=False), 'another scrape', '--force')
    run_cli(*common, '--db', other, '--image-size', '48', '--force', env=env)
    assert json.loads((tmp_path/'job/statistics.json').read_text())['scrape'] == str(other)

def test_3_damaged_pages_give_one_line(tmp_path):
    db = write_pr0loader_db(tmp_path/'s.db', [pr0_item(i, [('tag%d' % (i % 7), 0.5)] * 3) for i in range(1, 3000)])
    raw = bytearray(db.read_bytes()); page = 4096
    raw[page * 3: page * 3 + 200] = b'\xff' * 200  # a data page, past the schema
    (tmp_path/'bad.db').write_bytes(bytes(raw))
    r = run_cli('stats', '--db', tmp_path/'bad.db', '--work-dir', tmp_path/'w', check=False)
    one_line_error(r, str(tmp_path/'bad.db'))

def test_4_run_folders_store_absolute_paths(tmp_path):
    make_image_scrape(tmp_path/'dan', 60)
    env = {'TAGSIM_MIN_TAG_OCCURRENCES': '3'}
    import subprocess, sys
    r = subprocess.run([sys.executable, '-m', 'tagsim.cli', 'train', '--db', 'dan/scrape.db', '--work-dir', 'w', '--arch', 'small-cnn',
                        '--epochs', '1', '--image-size', '32', '--no-baseline', '--repost-distance', '-1', '--out', 'run'],
                       cwd=tmp_path, capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', **env))
    assert r.returncode == 0, r.stderr[-2000:]
    saved = json.loads((tmp_path/'run/settings.json').read_text())['settings']
    assert Path(saved['db_path']).is_absolute() and Path(saved['work_dir']).is_absolute()
    run_cli('evaluate', '--run', tmp_path/'run', '--json')  # from another folder

@pytest.mark.parametrize('args', [
    ['vocab', '--min-occurrences', '0'], ['vocab', '--max-size', '0'], ['vocab', '--min-tags-per-item', '-1'],
    ['vocab', '--min-confidence', 'nan'], ['vocab', '--min-confidence', '-1'], ['vocab', '--min-confidence', 'inf'],
    ['train', '--epochs', '0'], ['train', '--image-size', '0'], ['train', '--image-size', '31'], ['train', '--batch-size', '0'],
    ['train', '--unfreeze-top', '-1'], ['train', '--repost-distance', '-2'], ['train', '--epochs', 'x'],
    ['predict', 'x.png', '--run', '.', '--top-k', '-3'], ['predict', 'x.png', '--run', '.', '--top-k', '0'],
    ['demo', 'build', '--size', '-5'], ['demo', 'build', '--size', '0'], ['demo', 'run', '--size', '0'],
    ['demo', 'run', '--epochs', '0'], ['demo', 'run', '--image-size', '0'],
    ['duplicates', '--embeddings', '.', '--out', 'd.csv', '--threshold', '2'],  # cosines and scores end at 1
    ['suggest', '--embeddings', '.', '--out', 's.csv', '--min-score', '1.5'],
    ['mislabelled', '--embeddings', '.', '--out', 'm.csv', '--max-score', '-0.1'],
    ['variants', '--out', 'v.csv', '--min-score', '2'], ['umap', '--out', 'maps', '--min-score', '-3'],
])
def test_5_every_numeric_option_is_range_checked(tmp_path, args):
    "The sweep: every subcommand's numeric options, out of range: one line naming the option, exit 2."
    option = [a for a in args if a.startswith('--')][-1]
    r = run_cli(*args, '--work-dir', tmp_path/'w', check=False) if args[0] != 'predict' else run_cli(*args, check=False)
    one_line_error(r, f'argument {option}', 'expected')

def test_6_config_errors(tmp_path):
    (tmp_path/'t.toml').write_text('tagsim = 5\n')
    one_line_error(run_cli('config', '--config', tmp_path/'t.toml', check=False), "'tagsim' must be a table")
    (tmp_path/'file').write_text('x')
    one_line_error(run_cli('config', check=False, env={'TAGSIM_WORK_DIR': str(tmp_path/'file')}), "'work_dir'", 'not a folder')
    locked = tmp_path/'locked'; locked.mkdir(); locked.chmod(0o500)
    db = make_image_scrape(tmp_path/'s', 20)
    if os.geteuid() != 0:  # root may write anywhere
        one_line_error(run_cli('stats', '--db', db, '--work-dir', locked/'w', check=False), "'work_dir'")
    r = run_cli('config', env={'TAGSIM_DBPATH': 'x.db'})
    assert 'tagsim: warning: unknown environment variable TAGSIM_DBPATH' in r.stderr and 'Traceback' not in r.stderr

def test_7_vocab_names_the_filter(tmp_path, pr0loader_db):
    r = run_cli('vocab', '--db', pr0loader_db, '--work-dir', tmp_path/'w', '--min-confidence', '2', '--min-occurrences', '1', check=False)
    line = one_line_error(r, 'every tag was filtered out', 'min_confidence=2.0 removed')
    assert 'min_occurrences' not in line.split('removed')[0]
    dan = make_danbooru_db(tmp_path/'d.db', [(1, 'a' * 32, 'jpg', 'cat dog', 's'), (2, 'b' * 32, 'png', 'cat', 'q')])
    r = run_cli('vocab', '--db', dan, '--work-dir', tmp_path/'w2', '--min-confidence', '0.5', '--min-occurrences', '1')
    assert 'tagsim: warning' in r.stderr and 'no confidences' in r.stderr and '--min-confidence was not applied' in r.stderr

def test_8_unknown_layout_names_missing_columns(tmp_path):
    con = sqlite3.connect(tmp_path/'p.db'); con.execute('CREATE TABLE posts (id INTEGER PRIMARY KEY, file_ext TEXT, tag_string TEXT)')
    con.commit(); con.close()
    one_line_error(run_cli('stats', '--db', tmp_path/'p.db', '--work-dir', tmp_path/'w', check=False), 'danbooru: table posts lacks md5')

@pytest.fixture(scope='module')
def small_run(tmp_path_factory):
    d = tmp_path_factory.mktemp('run')
    db = make_image_scrape(d, 60)
    run_cli('train', '--db', db, '--work-dir', d/'w', '--arch', 'small-cnn', '--epochs', '1', '--image-size', '32', '--no-baseline',
            '--repost-distance', '-1', '--out', d/'run', env={'TAGSIM_MIN_TAG_OCCURRENCES': '3'})
    return d

def test_9_predict_reports_bad_files_and_reads_folders(small_run, tmp_path):
    d = small_run
    (tmp_path/'clip.mp4').write_bytes(b'\0' * 100); (tmp_path/'junk.png').write_bytes(b'not a png')
    r = run_cli('predict', d/'media/1.png', tmp_path/'junk.png', tmp_path/'clip.mp4', d/'media/2.png', '--run', d/'run', '--json', check=False)
    assert r.returncode == 1 and 'Traceback' not in r.stderr
    out = json.loads(r.stdout)
    assert [('error' in x) for x in out] == [False, True, True, False]
    assert out[2]['error'] == 'video' and 'junk.png' in r.stderr and 'clip.mp4' in r.stderr
    assert 'cannot tag ' + str(tmp_path/'junk.png') + ' (not_an_image): its file is not an image' in r.stderr
    assert r.stderr.count('junk.png') == 1
    folder = json.loads(run_cli('predict', d/'media', '--run', d/'run', '--json').stdout)
    assert len(folder) == len(list((d/'media').glob('*.png')))

def predict_beside_a_terminal(d, out_file, *flags, stdout_too=False) -> tuple[int, str]:
    "`tagsim predict` on the run's media with stderr (and stdout, with `stdout_too`) on a pseudo-terminal: what it shows."
    import fcntl, pty, struct, subprocess, sys, termios
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 100, 0, 0))  # 24 by 100: a bar needs columns
    with open(out_file, 'w') as out:
        r = subprocess.run([sys.executable, '-m', 'tagsim.cli', 'predict', str(d/'media'), '--run', str(d/'run'), *flags],
                           stdout=follower if stdout_too else out, stderr=follower, timeout=600,
                           env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2'))
    os.close(follower)
    shown = b''
    while True:
        try: chunk = os.read(leader, 1 << 16)
        except OSError: break  # the terminal is closed and read to its end
        if not chunk: break
        shown += chunk
    os.close(leader)
    return r.returncode, shown.decode('utf-8', 'replace')

def test_9b_predict_shows_progress_when_its_tags_go_to_a_file(small_run, tmp_path):
    "A folder takes minutes to tag: with the tags going to a file, a bar on the terminal shows how far it got."
    d, images = small_run, len(list(small_run.glob('media/*.png')))
    status, shown = predict_beside_a_terminal(d, tmp_path/'tags.txt')
    assert status == 0 and 'tagging' in shown and f'/{images}' in shown, shown[-2000:]
    assert (tmp_path/'tags.txt').read_text().count(str(d/'media')) == images
    status, shown = predict_beside_a_terminal(d, tmp_path/'quiet.txt', '--quiet')
    assert status == 0 and 'tagging' not in shown and (tmp_path/'quiet.txt').read_text().count(str(d/'media')) == images
    status, shown = predict_beside_a_terminal(d, tmp_path/'none.txt', stdout_too=True)  # the tags themselves show progress
    assert status == 0 and 'tagging' not in shown and shown.count(str(d/'media')) == images

def test_9c_predict_out_writes_a_file_that_a_rerun_resumes(small_run, tmp_path):
    "A killed `predict` kept nothing; with `--out` the tags go to a CSV or JSON file, and a rerun reuses its journal."
    d, images = small_run, sorted(small_run.glob('media/*.png'))
    one_line_error(run_cli('predict', d/'media', '--run', d/'run', '--out', tmp_path/'tags.txt', check=False), '.csv or .json')
    (tmp_path/'junk.png').write_bytes(b'not a png')
    r = run_cli('predict', d/'media', tmp_path/'junk.png', '--run', d/'run', '--out', tmp_path/'tags.csv', '--top-k', '2', check=False)
    assert r.returncode == 1 and 'junk.png (not_an_image)' in r.stderr and f'new: {len(images) + 1}' in r.stdout, r
    import pandas as pd
    table = pd.read_csv(tmp_path/'tags.csv')
    assert len(table) == 2 * len(images) + 1 and list(table.error.dropna()) == ['not_an_image']
    assert not (tmp_path/'tags.csv.partial').exists()
    as_json = json.loads(run_cli('predict', d/'media', '--run', d/'run', '--json', '--top-k', '2').stdout)
    run_cli('predict', d/'media', '--run', d/'run', '--out', tmp_path/'new/all.json', '--top-k', '2')  # a new folder too
    assert json.loads((tmp_path/'new/all.json').read_text()) == as_json  # the JSON file holds what --json prints
    from tagsim.predict import load_run
    from tagsim.prediction_file import journal_header
    journal = [journal_header(load_run(d/'run'), 2)] + as_json[:5]  # as a run killed after five images leaves it
    (tmp_path/'again.json.partial').write_text('\n'.join(map(json.dumps, journal)) + '\n{"path": "to')
    r = run_cli('predict', d/'media', '--run', d/'run', '--out', tmp_path/'again.json', '--top-k', '2', '--json')
    assert json.loads(r.stdout) | {'out': ''} == {'out': '', 'images': len(images), 'new': len(images) - 5, 'reused': 5,
                                                  'restarted': False, 'unreadable': 0}
    assert json.loads((tmp_path/'again.json').read_text()) == as_json

def test_10_hostile_tags_are_escaped_on_screen_and_folded_in_keys(tmp_path):
    long_tag = 'x' * 10_000
    items = [pr0_item(i, [(long_tag, 0.9), ('red\x1b[31m\tdanger', 0.9)]) for i in range(1, 4)]
    db = write_pr0loader_db(tmp_path/'s.db', items)
    r = run_cli('vocab', '--db', db, '--work-dir', tmp_path/'w', '--min-occurrences', '1', '--no-normalize', '--out', tmp_path/'v.json')
    assert '\x1b' not in r.stdout and '\t' not in r.stdout and len(max(r.stdout.splitlines(), key=len)) < 400
    assert long_tag in json.loads((tmp_path/'v.json').read_text())['tags']  # the file keeps tags exact
    from tagsim.normalize import normalize_tag
    assert normalize_tag('pr0\u200bgramm') == normalize_tag('pr0gramm') and '\0' not in normalize_tag('a\0b')

def test_11_json_files_are_strict_json(tmp_path, small_run):
    def strict(text): return json.loads(text, parse_constant=lambda c: pytest.fail(f'non-JSON constant {c}'))
    db = write_pr0loader_db(tmp_path/'s.db', [pr0_item(1, [('a', 0.5)])])
    strict(run_cli('stats', '--db', db, '--work-dir', tmp_path/'w', '--json').stdout)
    run_cli('vocab', '--db', db, '--work-dir', tmp_path/'w', '--min-occurrences', '1', '--out', tmp_path/'v.json')
    strict((tmp_path/'v.json').read_text())
    for f in ('metrics.json', 'settings.json', 'split.json', 'thresholds.json'): strict((small_run/'run'/f).read_text())

def test_12_import_json_matches_info_files_by_id(tmp_path):
    (tmp_path/'page.json').write_text(json.dumps({'items': [{'id': 2, 'image': 'a.jpg', 'flags': 1}, {'id': 101, 'image': 'b.jpg', 'flags': 1}]}))
    info = {'tags': [{'id': 1, 'tag': 'katze', 'confidence': 0.8}], 'comments': []}
    (tmp_path/'item101_v2.json').write_text(json.dumps(info))
    one_line_error(run_cli('import-json', tmp_path/'page.json', tmp_path/'item101_v2.json', '--out', tmp_path/'o.db', check=False),
                   'item101_v2.json', 'without an item id')
    (tmp_path/'info_101.json').write_text(json.dumps(info))
    r = run_cli('import-json', tmp_path/'page.json', tmp_path/'info_101.json', '--out', tmp_path/'o.db')
    assert 'items_with_tags: 1' in r.stdout
    (tmp_path/'info_7.json').write_text(json.dumps(info))
    one_line_error(run_cli('import-json', tmp_path/'page.json', tmp_path/'info_7.json', '--out', tmp_path/'o2.db', check=False), 'matches an item')

def test_13_missing_media_folder(tmp_path):
    db = make_image_scrape(tmp_path, 30)
    one_line_error(run_cli('check-media', '--db', db, '--media-dir', tmp_path/'nowhere', check=False), 'media folder not found')
    r = run_cli('train', '--db', db, '--media-dir', tmp_path/'nowhere', '--work-dir', tmp_path/'w', check=False)
    line = one_line_error(r, 'media folder not found')
    assert '{' not in line
    items = [pr0_item(i, [('a', 0.5)], image=f'{i}.png') for i in range(1, 150)]
    db2 = write_pr0loader_db(tmp_path/'many.db', items); (tmp_path/'empty').mkdir()
    report = json.loads(run_cli('check-media', '--db', db2, '--media-dir', tmp_path/'empty', '--json').stdout)
    assert report['missing_file'] == 149 and len(report['missing_file_ids']) == 100 and report['missing_file_ids_shown'] == 'first 100 of 149'

@pytest.mark.parametrize('args, words', [
    (['duplicates', '--embeddings', '{folder}', '--out', '{folder}'], 'is a folder; name a file'),
    (['variants', '--embeddings', '{folder}', '--out', 'v.csv', '--requests-out', '{folder}'], 'is a folder; name a file'),
    (['import-json', '{file}', '--out', '{folder}'], 'is a folder; name a file'),
    (['plots', '--out', '{file}'], 'is a file; name a folder'),
    (['embed', '--out', '{file}'], 'is a file; name a folder'),
    (['run', '--out', '{file}'], 'is a file; name a folder'),
    (['umap', '--run', '{file}', '--out', 'maps'], 'run folder not found'),  # it advised embedding into FILE/embeddings
    (['stats', '--db', '{folder}'], 'scrape is not a file'),  # it said only 'Is a directory'
    (['stats', '--db', '~nosuchuser/scrape.db'], "unknown user's home"),  # a traceback
    (['embed', '--weights', '{folder}/nope.h5', '--out', 'e'], 'weights file for'),  # late, '[Errno 2]' only
    (['run', '--truth', '{folder}'], 'truth file not found: {folder} (it is a folder)'),  # 'Is a directory' only
    (['variants', '--out', 'v.csv', '--evaluate', '--truth', '{folder}'], 'truth file not found'),  # 'needs ground truth'
    (['stats', '--config', '{folder}'], 'config file not found: {folder} (it is a folder)'),
    (['stats', '--aliases', '{folder}'], 'alias file not found'),  # '[Errno 21] Is a directory'
    (['train', '--vocab', '{folder}'], 'vocabulary file not found'),  # '[Errno 21] Is a directory'
    (['similar', '--embeddings', '{folder}/nope', '--id', '1'], 'embeddings folder not found'),
    (['import-json', '{folder}', '--out', 'x.db'], 'JSON file not found'),  # 'cannot be read (Is a directory)'
    (['evaluate', '--run', '~nosuchuser/run'], "unknown user's home"),
    (['embed', 'merge', '{folder}/nope', '--out', 'm'], 'shard folder not found: {folder}/nope'),
    (['embed', 'merge', '{file}', '--out', 'm'], 'shard folder not found: {folder}/notes.txt (it is a file)'),
])
def test_13b_a_path_of_the_wrong_kind_is_refused_before_any_work(tmp_path, args, words):
    """A folder where a file goes (the CSV commands failed at the end on a temporary file's name), a file for a folder,
    a --run that is no folder, an unknown user's ~, a missing weights file: one line, before any work."""
    (tmp_path/'notes.txt').write_text('kept')
    args = [a.format(folder=tmp_path, file=tmp_path/'notes.txt') for a in args]
    r = run_cli(*args, check=False)
    one_line_error(r, words.format(folder=tmp_path))
    assert (tmp_path/'notes.txt').read_text() == 'kept'

def test_13c_a_tilde_that_the_shell_left_is_the_home_folder(tmp_path, pr0loader_db):
    "`--out=~/maps` and a quoted '~/run' reach tagsim as typed: `plots` wrote into a folder named `~`, `--run` refused."
    home, here = tmp_path/'home', tmp_path/'here'
    here.mkdir()
    (home/'run').mkdir(parents=True)
    common = dict(env={'HOME': str(home)}, check=False)
    r = subprocess.run([sys.executable, '-m', 'tagsim.cli', 'plots', '--db', str(pr0loader_db), '--work-dir', str(tmp_path/'w'),
                        '--quiet', '--out=~/maps'], cwd=here, capture_output=True, text=True, env=dict(os.environ, HOME=str(home)))
    assert r.returncode == 0, r.stderr
    assert (home/'maps').is_dir() and not (here/'~').exists()
    one_line_error(run_cli('evaluate', '--run', '~/run', **common), 'is not a finished tagsim run')  # found, then checked

def test_13d_a_quoted_tilde_in_predict_and_embed_merge_and_a_config_folder_in_the_environment(small_run, tmp_path):
    "predict's images and embed merge's folders took '~/x' literally; a folder in TAGSIM_CONFIG was 'not found'."
    home = {'HOME': str(small_run)}
    out = json.loads(run_cli('predict', '~/media/1.png', '--run', '~/run', '--json', env=home).stdout)
    assert out[0]['path'] == str(small_run/'media/1.png') and 'error' not in out[0]
    one_line_error(run_cli('embed', 'merge', '~/run', '--out', tmp_path/'m', env=home, check=False),
                   f"{small_run/'run'}")  # found, then refused as no embeddings folder
    one_line_error(run_cli('config', env={'TAGSIM_CONFIG': str(tmp_path)}, check=False),
                   f'config file not found: {tmp_path} (it is a folder)')

def test_library_messages_that_span_lines_are_one_line(tmp_path):
    "Keras explains a weights file of another shape over several lines; tagsim says it on the error line, shapes included."
    from tagsim.models import small_cnn
    small_cnn((32, 32, 3), width=8, blocks=2).save_weights(tmp_path/'other.weights.h5')
    r = run_cli('train', '--db', make_image_scrape(tmp_path, 40), '--work-dir', tmp_path/'w', '--arch', 'small-cnn',
                '--image-size', '32', '--weights', tmp_path/'other.weights.h5', '--epochs', '1', '--no-baseline',
                '--out', tmp_path/'run', env={'TAGSIM_MIN_TAG_OCCURRENCES': '3'}, check=False)
    line = one_line_error(r, 'does not fit small-cnn at 32px', 'must match')
    assert r.stderr.rstrip().endswith(line)  # nothing of the message is left on the lines below

def test_smaller_things(tmp_path, pr0loader_db):
    import tagsim
    assert run_cli('--version').stdout.strip() == f'tagsim {tagsim.__version__}'
    out = run_cli('config', '--db', pr0loader_db, '--work-dir', tmp_path/'w').stdout
    assert 'None' not in out and f'scrape in use: {pr0loader_db}' in out and 'media folder in use' in out
    out = run_cli('stats', '--db', pr0loader_db, '--work-dir', tmp_path/'w').stdout
    assert 'None' not in out and 'TagIndex(' not in out
    assert 'TagIndex(' not in run_cli('index', '--db', pr0loader_db, '--work-dir', tmp_path/'w').stdout
    for opt in ('--epochs', '--image-size', '--batch-size', '--loss', '--split', '--json'):
        help_text = run_cli('train', '--help').stdout
        after = help_text[help_text.index(opt):].split('\n  -')[0]
        assert len(after.split()) > 2, opt  # the option has a description
    (tmp_path/'vdir').mkdir()
    run_cli('vocab', '--db', pr0loader_db, '--work-dir', tmp_path/'w', '--min-occurrences', '1', '--out', str(tmp_path/'vdir') + '/')
    saved = tmp_path/'vdir/vocab.json'
    assert saved.is_file() and stat.S_IMODE(saved.stat().st_mode) == 0o666 & ~current_umask()

def current_umask():
    m = os.umask(0); os.umask(m); return m
