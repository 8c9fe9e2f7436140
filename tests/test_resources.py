"""Resources: a work directory that fills up mid-write, a read-only work directory, and a scrape on a read-only medium.

Each uses a small tmpfs mounted for the test (root can mount; elsewhere the test is skipped and says why)."""
import os, subprocess
from pathlib import Path
import pytest
from conftest import pr0_item, run_cli, error_line
from tagsim.storage import write_pr0loader_db

@pytest.fixture
def tmpfs(tmp_path):
    "A 512 KiB tmpfs, unmounted afterwards."
    mnt = tmp_path/'mnt'; mnt.mkdir()
    r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', str(mnt)], capture_output=True, text=True)
    if r.returncode: pytest.skip(f'cannot mount a tmpfs here: {r.stderr.strip()}')
    yield mnt
    subprocess.run(['umount', '-l', str(mnt)], capture_output=True)

def remount_read_only(mnt:Path):
    subprocess.run(['mount', '-o', 'remount,ro', str(mnt)], check=True, capture_output=True)

def fill(mnt:Path):
    "Write until the file system is full."
    fd = os.open(mnt/'filler', os.O_WRONLY | os.O_CREAT)
    try:
        while True: os.write(fd, b'\0' * 4096)
    except OSError: pass
    finally: os.close(fd)

def scrape(path:Path, n:int=60) -> Path:
    return write_pr0loader_db(path, [pr0_item(i, [(f'tag{i % 7}', 0.9), (f'long-tag-name-{i}', 0.5)]) for i in range(1, n + 1)])

def test_full_disk_mid_write_keeps_the_previous_output(tmp_path, tmpfs):
    db = scrape(tmp_path/'s.db')
    out, work = tmpfs/'vocab.json', tmpfs/'work'
    first = run_cli('vocab', '--db', db, '--work-dir', work, '--min-occurrences', '5', '--out', out, check=False)
    assert first.returncode == 0, first.stderr[-1500:]
    before = out.read_bytes()
    fill(tmpfs)
    r = run_cli('vocab', '--db', db, '--work-dir', work, '--min-occurrences', '1', '--out', out, check=False)  # a bigger vocabulary
    assert 'No space left' in error_line(r)
    assert out.read_bytes() == before
    assert not [p for p in tmpfs.rglob('*') if p.name.endswith('.tmp') or '.tmp.' in p.name]

def test_read_only_work_dir_is_a_clear_error(tmp_path, tmpfs):
    db = scrape(tmp_path/'s.db')
    remount_read_only(tmpfs)
    line = error_line(run_cli('stats', '--db', db, '--work-dir', tmpfs/'work', check=False))
    assert 'work_dir' in line and 'Read-only file system' in line, line

def test_scrape_on_a_read_only_medium_works(tmp_path, tmpfs):
    db = scrape(tmpfs/'s.db')
    remount_read_only(tmpfs)
    r = run_cli('stats', '--db', db, '--work-dir', tmp_path/'work', check=False)
    assert r.returncode == 0 and '60' in r.stdout, r.stderr[-1500:]
