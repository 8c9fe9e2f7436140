"""Console output a person wants to read: TensorFlow's start-up lines held back unless asked for, one line per
epoch in a log file, and the device named once."""
import os, subprocess, sys
from conftest import make_image_scrape

def tagsim(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != 'TF_CPP_MIN_LOG_LEVEL'} | (env_extra or {})
    return subprocess.run([sys.executable, '-m', 'tagsim.cli', *map(str, args)], capture_output=True, text=True, env=env)

def test_quiet_by_default_and_one_line_per_epoch(tmp_path):
    db = make_image_scrape(tmp_path, 40)
    r = tagsim('train', '--db', db, '--work-dir', tmp_path/'w', '--arch', 'small-cnn', '--image-size', '32', '--epochs', '3',
               '--no-baseline', '--repost-distance', '-1', '--out', tmp_path/'run', env_extra={'TAGSIM_MIN_TAG_OCCURRENCES': '3'})
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'cuInit' not in r.stderr and 'I0000' not in r.stderr and 'oneDNN' not in r.stderr, r.stderr[-2000:]
    assert r.stdout.count('device: ') == 1
    assert '\x08' not in r.stdout and r.stdout.count('Epoch ') <= 3  # no progress-bar frames in a log file
    loud = tagsim('--verbose', 'train', '--db', db, '--work-dir', tmp_path/'w', '--arch', 'small-cnn', '--image-size', '32',
                  '--epochs', '1', '--no-baseline', '--repost-distance', '-1', '--out', tmp_path/'run2', '--force',
                  env_extra={'TAGSIM_MIN_TAG_OCCURRENCES': '3'})
    assert loud.returncode == 0 and ('I0000' in loud.stderr or 'oneDNN' in loud.stderr or 'cuda' in loud.stderr.lower())

def test_a_log_level_that_asks_for_quiet_is_quiet(tmp_path):
    "This TensorFlow prints start-up lines before it reads TF_CPP_MIN_LOG_LEVEL, so a level of 3 alone would not hold them."
    # tmp_path is a folder but no run: the refusal comes after TensorFlow has loaded (a missing one is refused first)
    r = tagsim('predict', tmp_path/'x.png', '--run', tmp_path, env_extra={'TF_CPP_MIN_LOG_LEVEL': '3'})
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr[-2000:]
    loud = tagsim('predict', tmp_path/'x.png', '--run', tmp_path, env_extra={'TF_CPP_MIN_LOG_LEVEL': '0'})
    assert loud.returncode == 2 and ('I0000' in loud.stderr or 'oneDNN' in loud.stderr or 'cuda' in loud.stderr.lower())

def test_every_command_that_reads_a_scrape_takes_quiet(tmp_path):
    "`--quiet` is one flag of every command that reads a scrape (each may build the index, with its progress bar)."
    import argparse
    from tagsim.parser import build_parser
    def commands(p, prefix=()):
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                for name, sp in a.choices.items(): yield from commands(sp, prefix + (name,))
        yield prefix, {o for a in p._actions for o in a.option_strings}
    reads = {'--db', '--embeddings'}  # umap reads the scrape that its embeddings name
    lacking = [' '.join(c) for c, opts in commands(build_parser()) if reads & opts and '--quiet' not in opts]
    assert lacking == []
    db = make_image_scrape(tmp_path, 40)
    shown = tagsim('index', '--db', db, '--work-dir', tmp_path/'w', '--rebuild')
    quiet = tagsim('index', '--db', db, '--work-dir', tmp_path/'w', '--rebuild', '--quiet')
    assert 'indexing' in shown.stderr and quiet.returncode == 0 and quiet.stderr == '', quiet.stderr
    trained = tagsim('train', '--db', db, '--work-dir', tmp_path/'w', '--arch', 'small-cnn', '--image-size', '32',
                     '--epochs', '1', '--no-baseline', '--repost-distance', '-1', '--out', tmp_path/'run', '--quiet',
                     env_extra={'TAGSIM_MIN_TAG_OCCURRENCES': '3'})
    assert trained.returncode == 0 and 'Epoch' not in trained.stdout and trained.stderr == '', trained.stderr[-2000:]
