#!/usr/bin/env python
"""Readability figures of the library (issue 13's measures), over tagsim/*.py without _modidx.py:
mean and longest function length (from the `def` line to the function's last line, and what the mean would be
with every signature on one line and then without docstrings), `;` joins per 100 lines,
share of lines over 120 characters (and, in the notebooks' example cells, long lines and `;` joins), public functions with three or more parameters that lack docments (and those
with any parameters, the issue's wider ask), the largest number of positional arguments passed in one call, and the
public functions and classes of nbs/ that no example cell of their notebook names (the issue's "a small labelled
example that shows the value"), and the example cells that check a value no reader sees (no value shown by them or
by the cell before, or no output stored).

    python tools/code_metrics.py [--list N] [--compare PACKAGE ...]

`--compare nbdev fastcore execnb` measures installed packages the same way, with the signature lines (from `def` to
the body) counted apart, since docments put one parameter on each line.
"""
import argparse, ast, io, json, re, tokenize
from pathlib import Path

def functions(tree):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]

def semicolons(src:str) -> int:
    """`;` joins: a `;` with another statement after it on its line. A trailing `;`, which silences a notebook's output,
    is not one."""
    toks = list(tokenize.generate_tokens(io.StringIO(src).readline))
    ends = (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER)
    return sum(t.type == tokenize.OP and t.string == ';' and nxt.type not in ends for t, nxt in zip(toks, toks[1:]))

def has_docments(fn, lines) -> bool:
    "Every parameter but self/cls has a trailing comment on its line (fastcore's docments)."
    params = [a for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if a.arg not in ('self', 'cls')]
    return all('#' in lines[a.lineno - 1] for a in params)

def lengths_of(folder:Path) -> tuple[int, int, int]:
    "Functions, their lines (def to last line) and their signature lines (def to the first body line) under `folder`."
    fns = [fn for f in sorted(folder.glob('*.py')) if f.name != '_modidx.py' for fn in functions(ast.parse(f.read_text()))]
    return len(fns), sum(fn.end_lineno - fn.lineno + 1 for fn in fns), sum(fn.body[0].lineno - fn.lineno for fn in fns)

def documentation_lines(fns:list) -> tuple[int, int]:
    """The lines that signatures take beyond one (docments put each parameter on a line of its own), and those of
    docstrings (of functions with more to them): what a mean function length of 7 would cost."""
    is_doc = lambda n: isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
    signatures = sum(max(fn.body[0].lineno - fn.lineno - 1, 0) for fn in fns)
    docstrings = sum(fn.body[0].end_lineno - fn.body[0].lineno + 1 for fn in fns if len(fn.body) > 1 and is_doc(fn.body[0]))
    return signatures, docstrings

def unshown_symbols(notebooks:Path) -> tuple[list, int]:
    """Public functions and classes of export cells that no later non-export code cell of their notebook names (no
    example shows them), and how many public functions and classes the export cells define."""
    unshown, total = [], 0
    for nb in sorted(notebooks.glob('*.ipynb')):
        cells = [(c['cell_type'], ''.join(c['source'])) for c in json.loads(nb.read_text())['cells']]
        for i, (kind, text) in enumerate(cells):
            if kind != 'code' or not text.lstrip().startswith('#| export'): continue
            names = [n.name for n in ast.parse(text).body
                     if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not n.name.startswith('_')]
            total += len(names)
            later = [t for k, t in cells[i + 1:] if k == 'code' and not t.lstrip().startswith('#| export')]
            unshown += [f'{nb.stem}:{n}' for n in names if not any(re.search(rf'\b{n}\b', t) for t in later)]
    return unshown, total

def python_lines(text:str) -> list:
    "A code cell's lines, with IPython magics and shell escapes (`%`, `!`) blanked: they are not Python."
    return ['' if l.lstrip().startswith(('%', '!')) else l for l in text.split('\n')]

def example_layout(notebooks:Path) -> tuple[int, int, int]:
    "Lines of the example cells (code cells that are not `#| export`), those over 120 characters, and their `;` joins."
    lines = long = joins = 0
    for nb in sorted(notebooks.glob('*.ipynb')):
        for c in json.loads(nb.read_text())['cells']:
            text = ''.join(c['source'])
            if c['cell_type'] != 'code' or text.lstrip().startswith('#| export'): continue
            cell = python_lines(text)
            lines += len(cell)
            long += sum(len(l) > 120 for l in cell)
            joins += semicolons('\n'.join(cell))
    return lines, long, joins

def _shows(text:str) -> bool:
    "Whether an example cell shows a value: it prints, or its last statement is an expression (not a check's call)."
    if 'print(' in text or 'display(' in text: return True
    try: body = ast.parse('\n'.join(python_lines(text))).body
    except SyntaxError: return False
    last = body[-1].value if body and isinstance(body[-1], ast.Expr) else None
    called = getattr(last.func, 'id', getattr(last.func, 'attr', '')) if isinstance(last, ast.Call) else ''
    return last is not None and not called.startswith(('test_', 'assert_'))

def unseen_checks(notebooks:Path) -> tuple[int, int, int]:
    """Example cells that check a value (`test_*`, `assert`), those of them that show no value themselves and follow
    no cell that does (a reader of the docs sees only that something passed), and the cells that would show a value
    but have no stored output."""
    checks = unseen = unstored = 0
    for nb in sorted(notebooks.glob('*.ipynb')):
        shown_before = False
        for c in json.loads(nb.read_text())['cells']:
            text = ''.join(c['source'])
            if c['cell_type'] != 'code': continue
            if text.lstrip().startswith(('#| export', '#| hide', '#| default_exp', '#| eval: false')):
                shown_before = False
                continue
            shows = _shows(text) or bool(c.get('outputs'))  # 99a's cells print from a helper
            unstored += shows and not c.get('outputs')
            if 'test_' in text or 'assert' in text:
                checks += 1
                unseen += not shows and not shown_before
            shown_before = shows
    return checks, unseen, unstored

def compare(packages:list):
    "Mean function length, with and without signature lines, of tagsim and installed packages."
    import importlib
    for name in ['tagsim'] + packages:
        n, total, sig = lengths_of(Path(importlib.import_module(name).__file__).parent)
        print(f"{name}: {n} functions, mean {total / n:.1f} lines, signature {sig / n:.1f}, body {(total - sig) / n:.1f}")

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--list', type=int, default=5)
    ap.add_argument('--compare', nargs='+', default=[], help='installed packages to measure the same way')
    a = ap.parse_args()
    if a.compare: compare(a.compare); raise SystemExit
    files = sorted(p for p in Path(__file__).resolve().parent.parent.joinpath('tagsim').glob('*.py') if p.name != '_modidx.py')
    lengths, n_lines, joins, long_lines, undocumented, calls = [], 0, 0, 0, [], []
    with_params, undocumented_any, every_fn = 0, [], []
    for f in files:
        src = f.read_text(); lines = src.splitlines(); tree = ast.parse(src)
        n_lines += len(lines); joins += semicolons(src); long_lines += sum(len(l) > 120 for l in lines)
        for fn in functions(tree):
            every_fn.append(fn)
            lengths.append((fn.end_lineno - fn.lineno + 1, f'{f.name}:{fn.name}'))
            params = [x for x in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if x.arg not in ('self', 'cls')]
            public = not fn.name.startswith('_') or fn.name == '__init__'
            with_params += public and len(params) > 0
            if public and params and not has_docments(fn, lines):
                undocumented_any.append(f'{f.name}:{fn.name}')
                if len(params) >= 3: undocumented.append(f'{f.name}:{fn.name}')
        calls += [(len(c.args), f'{f.name}:{c.lineno}') for c in ast.walk(tree) if isinstance(c, ast.Call)]
    lengths.sort(reverse=True); calls.sort(reverse=True)
    print(f"files: {len(files)}, lines: {n_lines:,}, functions: {len(lengths)}")
    print(f"mean function length: {sum(l for l, _ in lengths) / len(lengths):.2f} lines; longest: {', '.join(f'{n} ({l})' for l, n in lengths[:a.list])}")
    total, (signatures, docstrings) = sum(l for l, _ in lengths), documentation_lines(every_fn)
    print(f"  the same mean with every signature on one line (no docments): {(total - signatures) / len(lengths):.2f}; "
          f"and with no docstrings either: {(total - signatures - docstrings) / len(lengths):.2f}")
    print(f"';' joins: {joins} ({100 * joins / n_lines:.1f} per 100 lines)")
    print(f"lines over 120 characters: {long_lines} ({100 * long_lines / n_lines:.1f}%)")
    print(f"public functions with 3+ parameters lacking docments: {len(undocumented)}" + (f" (e.g. {', '.join(undocumented[:a.list])})" if undocumented else ''))
    print(f"public functions with parameters lacking docments: {len(undocumented_any)} of {with_params}"
          + (f" ({', '.join(undocumented_any)})" if undocumented_any else ''))
    print(f"most positional arguments in one call: {calls[0][0]} at {calls[0][1]}; calls with more than 5: {sum(n > 5 for n, _ in calls)}")
    ex_lines, ex_long, ex_joins = example_layout(Path(__file__).resolve().parent.parent/'nbs')
    print(f"example cells of nbs/: {ex_lines:,} lines, {ex_long} over 120 characters, {ex_joins} ';' joins")
    unshown, total = unshown_symbols(Path(__file__).resolve().parent.parent/'nbs')
    commands = [u for u in unshown if ':cmd_' in u]
    print(f"public functions and classes that no example cell of their notebook names: {len(unshown)} of {total} "
          f"({len(commands)} of them cmd_* commands, which tests/test_cli*.py run)")
    checks, unseen, unstored = unseen_checks(Path(__file__).resolve().parent.parent/'nbs')
    print(f"example cells that check a value: {checks}; of them showing no value, with no shown value before: {unseen}; "
          f"cells that show a value without a stored output: {unstored}")
