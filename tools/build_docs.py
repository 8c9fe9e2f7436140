#!/usr/bin/env python
"""Build tagsim's README and docs site offline (no Quarto needed).

    python tools/build_docs.py --readme          # nbs/index.ipynb -> README.md
    python tools/build_docs.py --readme --check  # fail if README.md is out of date
    python tools/build_docs.py                   # README + HTML pages in _docs/ (nbconvert)
    python tools/build_docs.py --execute         # the same, running each notebook first

With Quarto installed, `nbdev_docs` builds the full site from nbs/_quarto.yml instead.
"""
import argparse, json, os, re, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS, DOCS = ROOT/'nbs', ROOT/'_docs'
HIDE = re.compile(r'^\s*#\|\s*(hide|export|exporti|default_exp)\b', re.M)
DIRECTIVE = re.compile(r'^\s*#\|.*\n?', re.M)

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

def _atomic_write(path:Path, text:str):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + '.', suffix='.tmp')
    with os.fdopen(fd, 'w', encoding='utf-8') as f: f.write(text)
    os.replace(tmp, path)

def build_readme(check:bool=False) -> bool:
    "Write README.md from nbs/index.ipynb; with check, only report whether it is current."
    text = '<!-- Generated from nbs/index.ipynb by tools/build_docs.py; edit the notebook, not this file. -->\n\n' + notebook_markdown(NBS/'index.ipynb')
    readme = ROOT/'README.md'
    current = readme.exists() and readme.read_text(encoding='utf-8') == text
    if check:
        if not current: print('README.md is out of date: run python tools/build_docs.py --readme', file=sys.stderr)
        return current
    if not current: _atomic_write(readme, text)
    return True

def build_site(execute:bool=False):
    "Render every notebook to HTML in _docs/ with nbconvert, plus an index page."
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import ExecutePreprocessor
    DOCS.mkdir(exist_ok=True)
    pages = []
    for nb_path in sorted(NBS.glob('*.ipynb')):
        nb = nbformat.read(nb_path, as_version=4)
        if execute: ExecutePreprocessor(timeout=1200).preprocess(nb, {'metadata': {'path': str(NBS)}})
        nb.cells = [c for c in nb.cells if not (c.cell_type == 'code' and HIDE.search(c.source) and 'export' not in c.source)]
        html, _ = HTMLExporter(template_name='lab').from_notebook_node(nb)
        out = DOCS/(nb_path.stem + '.html'); _atomic_write(out, html)
        title = next((c.source.splitlines()[0].lstrip('# ') for c in nb.cells if c.cell_type == 'markdown' and c.source.strip()), nb_path.stem)
        pages.append((out.name, title))
    links = '\n'.join(f'<li><a href="{n}">{t}</a></li>' for n, t in pages)
    _atomic_write(DOCS/'toc.html', f'<!doctype html><meta charset="utf-8"><title>tagsim docs</title><h1>tagsim</h1><ul>{links}</ul>\n')
    print(f'wrote {len(pages)} pages to {DOCS} (start at {DOCS/"toc.html"})')

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--readme', action='store_true', help='only build README.md')
    p.add_argument('--check', action='store_true', help='with --readme: exit 1 if README.md is out of date')
    p.add_argument('--execute', action='store_true', help='run notebooks before rendering')
    a = p.parse_args()
    ok = build_readme(check=a.check)
    if not a.readme: build_site(a.execute)
    sys.exit(0 if ok else 1)
