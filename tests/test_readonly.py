"""tagsim never changes a scrape: its bytes and mtime are the same after every command, also in WAL mode."""
import sqlite3
import pytest
from tagsim.index import update_index
from conftest import fingerprint, run_cli, pr0_item
from tagsim.storage import write_pr0loader_db

COMMANDS = [('stats',), ('stats', '--json'), ('index',), ('index', '--rebuild'), ('check-media',), ('config',)]

@pytest.mark.parametrize('wal', [False, True])
def test_commands_leave_scrape_untouched(pr0loader_db, tmp_path, work, wal):
    if wal:
        con = sqlite3.connect(pr0loader_db); con.execute('PRAGMA journal_mode=WAL'); con.close()
    before = fingerprint(pr0loader_db)
    (tmp_path/'media').mkdir(exist_ok=True)
    for cmd in COMMANDS: run_cli(*cmd, '--db', pr0loader_db, '--media-dir', tmp_path/'media')
    after = fingerprint(pr0loader_db)
    assert after['pr0loader.db'] == before['pr0loader.db']  # the scrape's bytes and mtime
    # A WAL-mode reader may create SQLite's standard sidecar files, as any reader does, but writes no pages:
    wal = pr0loader_db.parent/'pr0loader.db-wal'
    assert set(after) - {'pr0loader.db-wal', 'pr0loader.db-shm'} == {'pr0loader.db'}
    assert not wal.exists() or wal.stat().st_size == 0
    assert not (pr0loader_db.parent/'index').exists() and (work/'index').is_dir()

def test_reads_while_scraper_writes(tmp_path):
    db = write_pr0loader_db(tmp_path/'live.db', [pr0_item(i, [('a', 0.5)]) for i in range(1, 6)])
    writer = sqlite3.connect(db, isolation_level=None); writer.execute('PRAGMA journal_mode=WAL')
    writer.execute('BEGIN IMMEDIATE')  # the scraper holds an open write transaction
    writer.execute("INSERT INTO items (id, image, tags_data) VALUES (6, '6.png', '[{\"tag\": \"b\", \"confidence\": 1}]')")
    idx, action = update_index(db, tmp_path/'idx')
    assert (action, idx.n_items) == ('built', 5)  # uncommitted rows are not seen
    writer.execute('COMMIT')
    idx, action = update_index(db, tmp_path/'idx')
    assert (action, idx.n_items, idx.tags) == ('grown', 6, ['a', 'b'])
    writer.close()

def test_database_is_opened_readonly(pr0loader_db):
    from tagsim.scrape import Scrape
    with Scrape(pr0loader_db) as s, pytest.raises(sqlite3.OperationalError, match='readonly'):
        s.con.execute("DELETE FROM items")
