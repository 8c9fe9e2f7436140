"""The offline docs site: `python tools/build_docs.py` builds it from nbdev's processed notebooks, and every page
opens in headless Chromium with no error, no traceback in any cell, every image rendered and every internal link
resolving to a page and anchor that exist."""
import ast, json, os, re, subprocess, sys
from pathlib import Path
from urllib.parse import urlparse, unquote
import pytest
from conftest import open_page

ROOT = Path(__file__).resolve().parent.parent
ANALYSIS_PAGES = ('08a_frequency_plots', '14a_predict', '16a_queries', '19c_viz', '22a_architectures', '23_tour')  # pages that must show plots from stored outputs

def _recording_commands(folder:Path, names=('pip', 'pip3', 'sudo')) -> Path:
    "Stand-ins for commands a docs build must not run: each records its call in `folder/called` and fails."
    for name in names:
        (folder/name).write_text(f'#!/bin/sh\necho "{name} $*" >> "{folder}/called"\nexit 1\n')
        (folder/name).chmod(0o755)
    return folder/'called'

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    "The site, built with pip and sudo on PATH replaced by stand-ins that record a call."
    out, trap = tmp_path_factory.mktemp('site')/'_docs', tmp_path_factory.mktemp('trap')
    called = _recording_commands(trap)
    env = os.environ | {'PATH': f"{trap}{os.pathsep}{os.environ.get('PATH', '')}"}
    r = subprocess.run([sys.executable, 'tools/build_docs.py', '--out', str(out)], cwd=ROOT, capture_output=True, text=True,
                       env=env, timeout=1200)
    assert r.returncode == 0, r.stderr[-3000:]
    assert not called.exists(), f"the docs build ran: {called.read_text()}"
    return out

def _ids(path:Path, cache={}) -> set:
    if path not in cache: cache[path] = set(re.findall(r'\bid="([^"]+)"', path.read_text(encoding='utf-8')))
    return cache[path]

def broken_links(page_path:Path, hrefs:list) -> list:
    "Internal links whose file or anchor does not exist."
    bad = []
    for h in hrefs:
        u = urlparse(h)
        if u.scheme in ('http', 'https', 'mailto', 'javascript', 'data') or not (u.path or u.fragment): continue
        target = (page_path.parent/unquote(u.path)).resolve() if u.path else page_path
        if not target.exists(): bad.append(h)
        elif u.fragment and target.suffix == '.html' and unquote(u.fragment) not in _ids(target): bad.append(h)
    return bad

def test_site_has_every_notebook_in_order(site):
    notebooks = sorted(p.stem for p in (ROOT/'nbs').glob('*.ipynb') if p.stem != 'index')
    html = (site/'index.html').read_text(encoding='utf-8')
    found = [m for m in re.findall(r'href="([\w]+)\.html"', html) if m in notebooks]
    assert list(dict.fromkeys(found)) == notebooks  # the navigation lists every notebook, in number order
    assert (site/'search.html').exists() and (site/'searchindex.js').exists()

def test_every_page_renders_cleanly(site, browser):
    pages = sorted(site.glob('*.html'))
    assert len(pages) > 20
    for path in pages:
        page, errors = open_page(browser, path, settle_ms=300)
        assert not errors, (path.name, errors)
        assert 'Traceback (most recent call last)' not in page.inner_text('body'), path.name
        assert page.locator('.output.traceback, .output.error').count() == 0, path.name
        broken = page.eval_on_selector_all('img', 'els => els.filter(e => !(e.complete && e.naturalWidth > 0)).map(e => e.src)')
        assert not broken, (path.name, broken)
        hrefs = page.eval_on_selector_all('a[href]', 'els => els.map(e => e.getAttribute("href"))')
        assert not broken_links(path, hrefs), (path.name, broken_links(path, hrefs))
        page.close()

def test_analysis_pages_show_stored_outputs(site):
    for name in ANALYSIS_PAGES:
        html = (site/f'{name}.html').read_text(encoding='utf-8')
        assert re.search(r'<img [^>]*src="_images/', html), f'{name}: no plot'
    assert '<table' in (site/'18d_variant_evaluation.html').read_text(encoding='utf-8')

def test_api_reference_has_anchors_and_cross_links(site):
    "show_doc sections carry nbdev's anchors, and prose links to symbols on other pages (checked to resolve above)."
    assert 'id="fit_power_law"' in (site/'07b_power_law.html').read_text(encoding='utf-8')
    cross = [m for p in site.glob('*.html') for m in re.findall(r'href="(\d\w*\.html#[\w.]+)"', p.read_text(encoding='utf-8'))]
    assert len(cross) > 20, cross

def test_formulas_render_offline(site, browser):
    page, errors = open_page(browser, site/'08_frequency.html', settle_ms=2500)
    assert not errors and page.locator('mjx-container').count() > 0

def test_hostile_tags_in_examples_render_as_text(site, browser):
    "The safe-HTML notebook's examples hold `<script>` tags: on the site they are text, and no script carries them."
    page, errors = open_page(browser, site/'20_safe_html.html')
    assert not errors
    assert "<script>alert(1)</script>" in page.inner_text('body')
    scripts = page.eval_on_selector_all('script', 'els => els.map(e => e.getAttribute("src") || e.textContent)')
    assert not any('alert(' in s for s in scripts)

def _mixes_imports_with_work(cell:dict) -> bool:
    "nbdev's docs processing runs every cell with an import in it; True where such a cell also computes (nbdev's rule)."
    source = ''.join(cell['source'])
    directives = [l[2:].strip() for l in source.splitlines() if l.startswith('#|')]
    if any(d.split()[0] in ('export', 'exports', 'exporti', 'exec_doc') for d in directives if d) or 'eval: false' in directives:
        return False
    tree = ast.parse('\n'.join(l for l in source.splitlines() if not l.lstrip().startswith(('%', '!'))))
    has = lambda types: any(isinstance(node, types) for node in ast.walk(tree))
    return has((ast.Import, ast.ImportFrom)) and has((ast.Expr, ast.Assign))

def test_docs_build_runs_no_notebook_work():
    "Cells that import and compute would run again at every docs build and show that run's output, not the stored one."
    mixed = [f"{p.name} cell {i}" for p in sorted((ROOT/'nbs').glob('*.ipynb'))
             for i, c in enumerate(json.loads(p.read_text())['cells']) if c['cell_type'] == 'code' and _mixes_imports_with_work(c)]
    assert not mixed, f"move these imports into a cell of their own: {mixed}"
