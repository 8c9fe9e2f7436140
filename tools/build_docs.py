#!/usr/bin/env python
"""Build tagsim's README and docs site offline (no Quarto needed).

    python tools/build_docs.py --readme          # nbs/index.ipynb -> README.md
    python tools/build_docs.py --readme --check  # fail if README.md is out of date
    python tools/build_docs.py                   # README + the site in _docs/ (start at _docs/index.html)

The site is built from nbdev's own processed notebooks: nbdev's `proc_nbs` runs the `show_doc` cells (the API
reference) and writes `_proc/`; Sphinx with myst-nb renders those notebooks with their stored outputs (plots,
tables), in notebook order, with full-text search. Notebooks are not executed here: their outputs come from
`python tools/run_notebooks.py`. With Quarto installed, `nbdev_docs` builds the Quarto site from nbs/_quarto.yml.
"""
import argparse, hashlib, html, json, re, shutil, subprocess, sys, tempfile
from pathlib import Path
from tagsim.outputs import atomic_output

ROOT = Path(__file__).resolve().parent.parent
NBS, PROC, DOCS = ROOT/'nbs', ROOT/'_proc', ROOT/'_docs'
HIDE = re.compile(r'^\s*#\|\s*(hide|export|exporti|default_exp)\b', re.M)
DIRECTIVE = re.compile(r'^\s*#\|.*\n?', re.M)
QUARTO_ATTRS = re.compile(r'\{target="_blank"[^}]*\}')  # Quarto link attributes on show_doc's [source] links
DOC_LINK = re.compile(r'\[([^\]]*)\]\(https://tagsim\.github\.io/tagsim/([A-Za-z0-9_]+)\.html(#[^)\s]*)?\)')
NOTEBOOK_LINK = re.compile(r'\]\(nbs/([\w]+)\.ipynb\)')  # README links (`nbs/23_tour.ipynb`): myst resolves `23_tour.ipynb`
FENCED = re.compile(r'```.*?```', re.S)
CODE_LINK = re.compile(r'\[`([^`\]]+)`\]\([^)]*\)')
SHOW_DOC_HEADING = re.compile(r'^(#{2,4}) ([A-Za-z_][\w.]*)\s*$', re.M)

def _source(cell): return ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']

def notebook_markdown(nb_path:Path) -> str:
    "Markdown for a notebook: prose as is, visible code cells fenced, directives removed."
    nb = json.loads(nb_path.read_text(encoding='utf-8'))
    out = []
    for c in nb['cells']:
        src = _source(c)
        if c['cell_type'] == 'markdown': out.append(src.strip())
        elif c['cell_type'] == 'code' and src.strip() and not HIDE.search(src):
            out.append('```python\n' + DIRECTIVE.sub('', src).strip() + '\n```')
    return '\n\n'.join(x for x in out if x) + '\n'

def build_readme(check:bool=False) -> bool:
    "Write README.md from nbs/index.ipynb; with check, only report whether it is current."
    text = '<!-- Generated from nbs/index.ipynb by tools/build_docs.py; edit the notebook, not this file. -->\n\n' + notebook_markdown(NBS/'index.ipynb')
    readme = ROOT/'README.md'
    current = readme.exists() and readme.read_text(encoding='utf-8') == text
    if check:
        if not current: print('README.md is out of date: run python tools/build_docs.py --readme', file=sys.stderr)
        return current
    if not current:
        with atomic_output(readme) as tmp: tmp.write_text(text, encoding='utf-8')
    return True

def _frontmatter(nb:dict) -> dict:
    "nbdev's processing (`proc_nbs`) puts the title, description and output file in a leading raw YAML cell."
    import yaml
    first = nb['cells'][0] if nb['cells'] else None
    if first and first['cell_type'] == 'raw' and _source(first).startswith('---'):
        return yaml.safe_load(_source(first).strip().strip('-')) or {}
    return {}

class SiteMap:
    "Where each nbdev link lands in this site: Quarto page name -> notebook stem, and the anchors each page defines."
    def __init__(self, notebooks:list):
        self.pages, self.anchors = {}, {}
        for p in notebooks:
            nb = json.loads(p.read_text(encoding='utf-8'))
            self.anchors[p.stem] = {m.group(2).lower() for m in SHOW_DOC_HEADING.finditer(_outputs_markdown(nb))}
            if p.stem != 'index':  # 04_index's Quarto page is index.html too: nbdev's symbol links mean it
                self.pages[Path(_frontmatter(nb).get('output-file', p.stem + '.html')).stem] = p.stem

    def href(self, page:str, fragment:str) -> str|None:
        """The link; a member's anchor (`taggroups.counts`) falls back to its class's (`taggroups`) when it has none.
        None for a private helper: nbdev writes no documentation entry for it to link to."""
        stem = self.pages.get(page, page)
        anchor = fragment.lstrip('#')
        while anchor and anchor not in self.anchors.get(stem, ()) and '.' in anchor: anchor = anchor.rsplit('.', 1)[0]
        if anchor.startswith('_') and anchor not in self.anchors.get(stem, ()): return None
        return f"{stem}.html" + (f"#{anchor}" if anchor else '')

def _outputs_markdown(nb:dict) -> str:
    return '\n'.join(''.join(o.get('data', {}).get('text/markdown', '')) for c in nb['cells'] for o in c.get('outputs', []))

def _local_link(m:re.Match, site:SiteMap) -> str:
    """One nbdev link as an HTML link to this site's page (myst would read a markdown link as a Sphinx cross-reference);
    a private helper named in prose stays plain code."""
    text = re.sub(r'`([^`]*)`', r'<code>\1</code>', html.escape(m.group(1)))
    href = site.href(m.group(2), m.group(3) or "")
    return text if href is None else f'<a href="{href}">{text}</a>'

def _local_links(text:str, site:SiteMap) -> str:
    "Point nbdev's links at the published site, and the README's links to notebooks, to the pages of this site."
    return NOTEBOOK_LINK.sub(r'](\1.ipynb)', DOC_LINK.sub(lambda m: _local_link(m, site), text))

def _unlink_code(text:str) -> str:
    "Inside fenced code a markdown link shows as its raw text: keep only the name (`[`TagIndex`](...)` -> TagIndex)."
    return FENCED.sub(lambda m: CODE_LINK.sub(r'\1', m.group(0)), text)

def _show_doc_markdown(text:str) -> str:
    "show_doc's markdown without Quarto's link attributes, each symbol heading with nbdev's anchor (`#fit_power_law`)."
    text = _unlink_code(QUARTO_ATTRS.sub('', text))
    return SHOW_DOC_HEADING.sub(lambda m: f'<a id="{m.group(2).lower()}"></a>\n\n{m.group(1)} {m.group(2)}', text)

def _code_cell(c:dict, site:SiteMap):
    "Strip directives; a cell marked `echo: false` (show_doc) keeps only its output."
    src = _source(c)
    if re.search(r'^\s*#\|\s*echo:\s*false', src, re.M): c.setdefault('metadata', {})['tags'] = ['remove-input']
    c['source'] = DIRECTIVE.sub('', src)
    for o in c.get('outputs', []):
        md = o.get('data', {}).get('text/markdown')
        if md is not None: o['data']['text/markdown'] = _local_links(_show_doc_markdown(''.join(md)), site)

def site_notebook(nb:dict, site:SiteMap) -> dict:
    "A processed notebook made ready for myst-nb: a title heading from its front matter, links local, directives gone."
    fm = _frontmatter(nb)
    cells = nb['cells'][1:] if fm else nb['cells']
    head = f"# {fm.get('title', 'tagsim')}\n\n" + (f"> {fm['description']}\n" if fm.get('description') else '')
    out = [{'cell_type': 'markdown', 'metadata': {}, 'source': head}]
    for c in cells:
        if c['cell_type'] == 'markdown' and 'AUTOGENERATED' in _source(c): continue
        if c['cell_type'] == 'markdown': c['source'] = _local_links(_source(c), site)
        elif c['cell_type'] == 'code': _code_cell(c, site)
        out.append(c)
    nb['cells'] = out
    nb.setdefault('metadata', {}).setdefault('kernelspec', {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'})
    return nb

SPHINX_CONF = """
project = 'tagsim'
extensions = ['myst_nb', 'sphinx-mathjax-offline']  # MathJax 3 shipped in the package: formulas render offline
html_theme = 'furo'
html_title = 'tagsim'
nb_execution_mode = 'off'
nb_render_markdown_format = 'myst'
myst_enable_extensions = ['dollarmath', 'colon_fence']
suppress_warnings = ['myst.header', 'misc.highlighting_failure']
exclude_patterns = ['_build']
html_show_sourcelink = False
html_copy_source = False
"""

def stage_site(src:Path, notebooks:list):
    "Write the processed notebooks, a toctree in notebook order and Sphinx's conf.py into `src`."
    site = SiteMap(notebooks)
    for p in notebooks:
        nb = site_notebook(json.loads(p.read_text(encoding='utf-8')), site)
        if p.stem == 'index':
            toc = '```{toctree}\n:hidden:\n:maxdepth: 1\n\n' + '\n'.join(q.stem for q in notebooks if q.stem != 'index') + '\n```\n'
            nb['cells'].append({'cell_type': 'markdown', 'metadata': {}, 'source': toc})
        (src/p.name).write_text(json.dumps(nb), encoding='utf-8')
    (src/'conf.py').write_text(SPHINX_CONF, encoding='utf-8')

def build_site(out:Path=DOCS):
    "nbdev's `proc_nbs`, then Sphinx into a fresh folder that replaces `out` only when the build succeeded."
    # nbdev's own processing step. Not `nbdev_proc_nbs`: without Quarto it tries to install it with sudo and runs
    # `pip install -e .` with whatever pip is first on PATH. This interpreter's nbdev, activated or not.
    symbols = hashlib.sha1((ROOT/'tagsim'/'_modidx.py').read_bytes()).hexdigest()
    stamp = PROC/'.symbols.sha1'  # nbdev reuses a processed notebook while the notebook is older, but its links come
    force = not stamp.exists() or stamp.read_text() != symbols  # from _modidx.py: a moved symbol must relink every page
    subprocess.run([sys.executable, '-c', f'from nbdev.serve import proc_nbs; proc_nbs(force={force})'], cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)
    stamp.write_text(symbols)
    notebooks = sorted(p for p in PROC.glob('*.ipynb') if (NBS/p.name).exists())  # _proc keeps notebooks since renamed or deleted
    with tempfile.TemporaryDirectory(dir=ROOT) as tmp:
        src, html = Path(tmp)/'src', Path(tmp)/'html'
        src.mkdir()
        stage_site(src, notebooks)
        r = subprocess.run([sys.executable, '-m', 'sphinx', '-q', '-b', 'html', str(src), str(html)], capture_output=True, text=True)
        if r.returncode: sys.exit(f'sphinx failed:\n{r.stderr[-3000:]}')
        old = out.with_name(out.name + '.old')
        shutil.rmtree(old, ignore_errors=True)
        if out.exists(): out.rename(old)
        html.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    print(f'wrote {len(notebooks)} pages to {out} (start at {out/"index.html"})')

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--readme', action='store_true', help='only build README.md')
    p.add_argument('--check', action='store_true', help='with --readme: exit 1 if README.md is out of date')
    p.add_argument('--out', type=Path, default=DOCS, help='site folder (default _docs/)')
    a = p.parse_args()
    ok = build_readme(check=a.check)
    if not a.readme: build_site(a.out)
    sys.exit(0 if ok else 1)
