"""The analysis notebooks carry their results: outputs computed on the demo scrape are stored, none is an error,
the notebooks whose results are plots show them, and each ends with a "What we found" in prose."""
import json, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
from run_notebooks import ANALYSIS_NOTEBOOKS

SWITCHES_TO_DEMO = {'08_frequency', '08a_frequency_plots'}  # a slow cell swaps the small scrape for the demo, so every later output is the demo's
WITH_PICTURES = {'08a_frequency_plots', '14a_predict', '15a_embeddings', '16a_queries', '17a_quality', '19c_viz', '22a_architectures', '23_tour'}

def _source(c): return ''.join(c['source'])

@pytest.mark.parametrize('name', ANALYSIS_NOTEBOOKS)
def test_analysis_notebook_has_outputs_and_no_errors(name):
    nb = json.loads((ROOT/'nbs'/f'{name}.ipynb').read_text())
    code = [c for c in nb['cells'] if c['cell_type'] == 'code']
    errors = [o for c in code for o in c.get('outputs', []) if o.get('output_type') == 'error']
    assert not errors, [e.get('ename') for e in errors]
    slow = [c for c in code if _source(c).lstrip().startswith('#| slow') and c.get('outputs')]
    assert slow or name in SWITCHES_TO_DEMO, f"{name}: no demo-scrape cell shows a result; run python tools/run_notebooks.py {name}"
    images = [o for c in code for o in c.get('outputs', []) if 'image/png' in o.get('data', {})]
    assert images or name not in WITH_PICTURES, f"{name} shows no picture"
    found = [c for c in nb['cells'] if c['cell_type'] == 'markdown' and _source(c).startswith('## What we found')]
    assert found and any(ch.isdigit() for ch in _source(found[-1])), f"{name}: no 'What we found' with measured numbers"

def test_examples_write_to_scratch_folders():
    "A `tempfile.mkdtemp()` in an example outlives the notebook's run: each `nbdev_test` would leave it in the temporary directory."
    lasting = [f"{p.name} cell {i}" for p in sorted((ROOT/'nbs').glob('*.ipynb'))
               for i, c in enumerate(json.loads(p.read_text())['cells'])
               if c['cell_type'] == 'code' and not _source(c).startswith('#| export') and 'mkdtemp(' in _source(c)]
    assert not lasting, f"use tagsim.processes.scratch_folder() in these cells: {lasting}"
