"""The analysis notebooks carry their results: every code cell that ran has outputs stored, and none is an error."""
import json, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
from run_notebooks import ANALYSIS_NOTEBOOKS

WITH_PICTURES = {'19_viz'}  # notebooks whose results are plots

@pytest.mark.parametrize('name', ANALYSIS_NOTEBOOKS)
def test_analysis_notebook_has_outputs_and_no_errors(name):
    nb = json.loads((ROOT/'nbs'/f'{name}.ipynb').read_text())
    code = [c for c in nb['cells'] if c['cell_type'] == 'code' and not ''.join(c['source']).lstrip().startswith(('#| export', '#| hide', '#| default_exp'))]
    shown = [c for c in code if c.get('outputs')]
    errors = [o for c in code for o in c.get('outputs', []) if o.get('output_type') == 'error']
    assert not errors, [e.get('ename') for e in errors]
    assert len(shown) >= len(code) // 2, f"{name}: {len(shown)} of {len(code)} cells show a result; run tools/run_notebooks.py"
    images = [o for c in code for o in c.get('outputs', []) if 'image/png' in o.get('data', {})]
    assert images or name not in WITH_PICTURES, f"{name} shows no picture"
