"""Builders for small scrapes in every layout, and helpers shared by the tests."""
import hashlib, os, sqlite3, subprocess, sys
from pathlib import Path
import pytest
from tagsim.storage import write_pr0loader_db, pr0_item  # noqa: F401 (pr0_item: the one toy-row helper, used by the tests)

ROOT = Path(__file__).resolve().parent.parent

def make_pr0gramm_db(path, items):
    "A normalised pr0gramm scrape: items + tags tables; `items` as (id, flags, [(tag, conf)])."
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, promoted INT, up INT, down INT, created INT, image TEXT, thumb TEXT, fullsize TEXT, source TEXT, flags INT)")
    con.execute("CREATE TABLE tags (id INTEGER PRIMARY KEY, item_id INT, confidence REAL, tag TEXT)")
    n = 0
    for iid, flags, tags in items:
        con.execute("INSERT INTO items (id, created, image, flags) VALUES (?, ?, ?, ?)", (iid, 1000 + iid, f'{iid}.jpg', flags))
        for t, c in tags:
            n += 1; con.execute("INSERT INTO tags VALUES (?, ?, ?, ?)", (n, iid, c, t))
    con.commit(); con.close()
    return Path(path)

def make_danbooru_db(path, posts):
    "A Danbooru-style scrape; `posts` as (id, md5, ext, tag_string, rating)."
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, md5 TEXT, file_ext TEXT, tag_string TEXT, rating TEXT, created_at TEXT)")
    con.executemany("INSERT INTO posts VALUES (?, ?, ?, ?, ?, '2020-01-02T03:04:05Z')", posts)
    con.commit(); con.close()
    return Path(path)

def fingerprint(path):
    "Bytes hash and mtime of a file (and its WAL/SHM siblings)."
    out = {}
    for p in [Path(path), Path(str(path) + '-wal'), Path(str(path) + '-shm')]:
        if p.exists(): out[p.name] = (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
    return out

def run_cli(*args, env=None, check=True):
    "Run `python -m tagsim.cli ARGS` in a subprocess; returns the CompletedProcess."
    e = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', **(env or {}))
    r = subprocess.run([sys.executable, '-m', 'tagsim.cli', *map(str, args)], capture_output=True, text=True, env=e)
    if check and r.returncode != 0: raise AssertionError(f"tagsim {' '.join(map(str, args))} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r

def run_at_once(commands:list, env=None, timeout:int=600) -> list:
    "Start every command (a list of arguments) at the same moment; returns each one's (exit status, stdout, stderr)."
    e = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2') | (env or {})
    procs = [subprocess.Popen(list(map(str, c)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
             for c in commands]
    outputs = [p.communicate(timeout=timeout) for p in procs]  # read while waiting, so a full pipe never blocks
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs)]

def error_line(r) -> str:
    "The one `tagsim: error:` line a failed command ends with (progress bars before it are fine); no traceback."
    lines = [l for l in r.stderr.replace('\r', '\n').splitlines() if l.strip()]
    assert r.returncode != 0 and 'Traceback' not in r.stderr, r.stderr[-1500:]
    assert lines and lines[-1].startswith('tagsim: error:') and sum(l.startswith('tagsim: error:') for l in lines) == 1, r.stderr[-1500:]
    return lines[-1]

@pytest.fixture
def work(tmp_path, monkeypatch):
    "A private work_dir for tagsim, set through the environment."
    w = tmp_path/'work'; monkeypatch.setenv('TAGSIM_WORK_DIR', str(w))
    return w

@pytest.fixture
def pr0loader_db(tmp_path):
    return write_pr0loader_db(tmp_path/'pr0loader.db', [
        pr0_item(1, [('Katze', 0.9), ('sfw', 0.4)]),
        pr0_item(2, [('katze', 0.8), ('hund', 0.6)], flags=2, image='2024/01/2.mp4'),
        pr0_item(3, [('hund', 0.7)], flags=4, image='2024/01/3.gif'),
    ])

@pytest.fixture(scope='session')
def demo_db(tmp_path_factory):
    "The full demo scrape at a small icon size, built once per test session."
    from tagsim.demo import build_demo
    return build_demo(tmp_path_factory.mktemp('demo')/'demo', size=32)

def make_image_scrape(root, n=120, size=40, seed=0):
    "A pr0loader scrape of coloured squares (big or small) with PNG media: tags are colour and size."
    from tagsim.squares import squares_scrape
    return squares_scrape(root, n, size, seed)

CHROMIUM = '/usr/bin/chromium'

@pytest.fixture(scope='session')
def browser():
    "Headless Chromium (the Debian package) driven by Playwright; CI installs both, elsewhere the test is skipped without them."
    if not Path(CHROMIUM).exists() or not __import__('importlib').util.find_spec('playwright'):
        if os.environ.get('CI'): pytest.fail(f"CI needs {CHROMIUM} and the playwright package (.ci/run installs them)")
        pytest.skip('needs the Debian package chromium and the playwright package')
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=['--no-sandbox'])
        yield b
        b.close()

def open_page(browser, path, settle_ms=800):
    "Open a local HTML file; returns the page and the list of console errors and uncaught exceptions it collects."
    page, errors = browser.new_page(viewport={'width': 1400, 'height': 1100}), []
    page.on('console', lambda m: errors.append(f'console {m.type}: {m.text}') if m.type == 'error' else None)
    page.on('pageerror', lambda e: errors.append(f'page error: {e}'))
    page.on('requestfailed', lambda r: errors.append(f'request failed: {r.url}'))
    page.goto(Path(path).resolve().as_uri())
    page.wait_for_timeout(settle_ms)
    return page, errors

def pytest_terminal_summary(terminalreporter):
    "How many cases each fuzzing target tried (tests/test_fuzz.py), in the summary."
    fuzz = sys.modules.get('test_fuzz')
    if fuzz is not None and fuzz.CASES:
        terminalreporter.write_line('fuzz cases tried: ' + ', '.join(f'{k} {v}' for k, v in sorted(fuzz.CASES.items())))
