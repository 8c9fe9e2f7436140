"""`tagsim umap` on a small scrape with hostile tags: the files it writes, the pages in headless Chromium (no console
errors, a thumbnail for every point, tags shown as text), and the TensorBoard projector export."""
import json, sqlite3
import numpy as np
import pytest
from conftest import make_image_scrape, run_cli, open_page

SCRIPT_TAG = "<script>document.title='PWNED'</script>"
ATTR_TAG = "\"><img src=x onerror=\"document.title='PWNED2'\">"
TAB_TAG = "tab\there\nnewline"
MATH_TAGS = ('$$', '100$ vs 200$')  # matplotlib reads the text between two '$' as mathematics

POINTS = """(name) => { const out = [];
  for (const root of Object.values(Bokeh.index)) for (const r of (root.renderer_views ? root.renderer_views.values() : [])) {
    if (r.model.name !== name) continue;
    const d = r.model.data_source.data, f = root.frame;
    for (let i = 0; i < d.x.length; i++) out.push({x: f.x_scale.compute(d.x[i]), y: f.y_scale.compute(d.y[i]),
      tags: d.tags ? d.tags[i] : d.name[i], thumb: d.thumb ? d.thumb[i] : null}); }
  return out; }"""

TOOLTIPS = """() => { const out = []; const walk = (n) => { if (n.shadowRoot) walk(n.shadowRoot);
  for (const c of n.children || []) walk(c);
  if (typeof n.className === 'string' && n.className.toLowerCase().includes('tooltip')) out.push(n.innerHTML); };
  walk(document); return out.join('\\n'); }"""

@pytest.fixture(scope='module')
def maps(tmp_path_factory):
    d = tmp_path_factory.mktemp('viz')
    db = make_image_scrape(d, 60)
    con = sqlite3.connect(db)
    for i, tag in ((1, SCRIPT_TAG), (2, ATTR_TAG), (4, TAB_TAG), (5, MATH_TAGS[0]), (6, MATH_TAGS[1])):
        rows = [{'id': 1, 'tag': tag, 'confidence': 0.9}, {'id': 2, 'tag': 'rot', 'confidence': 0.9}]
        con.execute("UPDATE items SET tags_data = ? WHERE id IN (?, ?, ?, ?, ?)", (json.dumps(rows), i, i + 10, i + 20, i + 30, i + 40))
    con.commit(); con.close()
    run_cli('embed', '--db', db, '--work-dir', d/'w', '--out', d/'e', '--arch', 'efficientnet-lite0', '--image-size', '64', '--quiet')
    r = run_cli('umap', '--embeddings', d/'e', '--out', d/'maps', '--work-dir', d/'w', '--json')
    return d, json.loads(r.stdout)

def test_umap_writes_every_map(maps):
    d, done = maps
    for name in ('items.png', 'items.html', 'tags.png', 'tags.html'): assert (d/'maps'/name).stat().st_size > 1000, name
    assert done['items on the map'] == 60 and done['tags on the map'] >= 6
    assert 'subsampled' not in done

def test_pages_render_offline_with_thumbnails_and_tags_as_text(maps, browser):
    d, _ = maps
    page, errors = open_page(browser, d/'maps'/'items.html')
    points = page.evaluate(POINTS, 'items')
    assert len(points) == 60 and all(p['thumb'].startswith('data:image/jpeg;base64,') for p in points)
    hostile = [p for p in points if SCRIPT_TAG in p['tags'] or ATTR_TAG in p['tags']]
    assert len(hostile) == 10
    shown = []
    for p in hostile:
        page.mouse.move(p['x'], p['y'])
        page.wait_for_timeout(250)
        shown.append(page.evaluate(TOOLTIPS))
    text = '\n'.join(shown)
    assert sum(SCRIPT_TAG[:7].replace('<', '&lt;') in s or 'onerror' in s for s in shown) >= 4, shown
    assert '&lt;script&gt;' in text and '<script>' not in text and 'data:image/jpeg;base64,' in text
    assert '&lt;img src=x' in text and text.count('<img') == text.count('<img src="data:image/jpeg;base64,')  # the tag is text, not an element
    assert page.title() != 'PWNED' and page.title() != 'PWNED2' and page.evaluate("document.querySelectorAll('script[src]').length") == 0
    assert not errors, errors
    page.close()
    page, errors = open_page(browser, d/'maps'/'tags.html')
    names = [p['tags'] for p in page.evaluate(POINTS, 'tags')]
    assert SCRIPT_TAG in names and ATTR_TAG in names and set(MATH_TAGS) <= set(names)
    assert page.title() not in ('PWNED', 'PWNED2') and not errors, errors
    page.close()

def test_tags_with_dollar_signs_are_drawn_as_text(maps):
    "`$$` as a label stopped matplotlib's savefig, and with it `tagsim umap`; here it labels the tag map and the legend."
    d, _ = maps
    r = run_cli('umap', '--embeddings', d/'e', '--out', d/'maps-dollar', '--work-dir', d/'w', '--colour-tag', '$$', '--json')
    assert json.loads(r.stdout)['items on the map'] == 60 and (d/'maps-dollar'/'items.png').stat().st_size > 1000

def test_projector_export_reads_back(maps):
    import tensorflow as tf
    d, done = maps
    tb = d/'maps'/'tensorboard'
    vectors = tf.train.load_checkpoint(str(tb)).get_tensor('embedding/.ATTRIBUTES/VARIABLE_VALUE')
    assert vectors.shape == (60, 1280) and np.allclose(vectors, np.load(d/'e'/'embeddings.npy').astype(np.float32))
    lines = (tb/'metadata.tsv').read_text(encoding='utf-8').split('\n')[:-1]
    assert len(lines) == 61 and all(len(l.split('\t')) == 2 for l in lines)
    assert any('tab here newline' in l for l in lines)
    config = (tb/'projector_config.pbtxt').read_text()
    assert 'sprite.png' in config and not list(tb.glob('.projector-*'))

def test_umap_errors_are_one_line(maps, tmp_path):
    d, _ = maps
    r = run_cli('umap', '--out', tmp_path/'m', check=False)
    assert r.returncode == 2 and 'pass --embeddings' in r.stderr and 'Traceback' not in r.stderr
    r = run_cli('umap', '--run', tmp_path, '--out', tmp_path/'m', check=False)
    assert r.returncode == 2 and 'no embeddings folder' in r.stderr and 'Traceback' not in r.stderr
    r = run_cli('umap', '--embeddings', d/'e', '--out', tmp_path/'m', '--work-dir', d/'w', '--colour-tag', 'rott', check=False)
    assert r.returncode == 2 and "no item on the map carries the tag 'rott'" in r.stderr and 'Traceback' not in r.stderr

def test_umap_shows_its_progress_unless_quiet(maps, tmp_path):
    """A map of 50,000 photos takes minutes (the index, UMAP, a thumbnail per point, the sprite), and `umap` showed
    nothing: bars now show how far it got, and --quiet hides them."""
    d, _ = maps
    shown = run_cli('umap', '--embeddings', d/'e', '--out', tmp_path/'m', '--work-dir', tmp_path/'w')
    for bar in ('indexing', 'UMAP epochs', 'thumbnails', 'sprite'): assert bar in shown.stderr, (bar, shown.stderr[-2000:])
    quiet = run_cli('umap', '--embeddings', d/'e', '--out', tmp_path/'q', '--work-dir', tmp_path/'w2', '--quiet')
    assert quiet.stderr == '', quiet.stderr[-2000:]
