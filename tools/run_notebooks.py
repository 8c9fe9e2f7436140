#!/usr/bin/env python
"""Re-execute notebooks in place so that their stored outputs are never stale, then clean them with nbdev_clean.

Cells marked `#| eval: false` are left unrun, as nbdev_test leaves them. Slow cells run too: they compute the
analysis on the demo scrape, which is built (or reused) in the work folder.

    python tools/run_notebooks.py [NOTEBOOK ...] [--work-dir DIR] [--timeout SECONDS]

Without names it runs the analysis notebooks listed in ANALYSIS_NOTEBOOKS.
"""
import argparse, os, subprocess, sys, time
from pathlib import Path
from tagsim.outputs import atomic_output

ROOT = Path(__file__).resolve().parent.parent
ANALYSIS_NOTEBOOKS = ('07a_vocabulary', '08_frequency', '08a_frequency_plots', '14a_predict', '15a_embeddings', '16a_queries', '17a_quality', '18d_variant_evaluation', '19c_viz',
                      '21_mainjob', '22a_architectures', '23_tour')  # notebooks whose committed outputs CI checks

def run(path:Path, timeout:int):
    "Execute one notebook in its own folder and write it back with its outputs."
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    held = {i: c.source for i, c in enumerate(nb.cells) if c.cell_type == 'code' and '#| eval: false' in c.source}
    for i in held: nb.cells[i].source = ''  # as nbdev_test, never run them (99_cli's `sys.exit(main())`)
    NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}}).execute()
    for i, source in held.items(): nb.cells[i].update(source=source, outputs=[])
    for cell in nb.cells:  # library log lines on stderr (TensorFlow's start-up, tqdm) are not results; errors stay
        if cell.cell_type == 'code': cell.outputs = [o for o in cell.outputs if not (o.output_type == 'stream' and o.name == 'stderr')]
    with atomic_output(path) as tmp: nbformat.write(nb, tmp)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('notebooks', nargs='*', help='notebook names or paths (default: the analysis notebooks)')
    ap.add_argument('--work-dir', help='TAGSIM_WORK_DIR for the run (default: the settings)')
    ap.add_argument('--timeout', type=int, default=1800, help='seconds per cell (default 1800)')
    a = ap.parse_args()
    if a.work_dir: os.environ['TAGSIM_WORK_DIR'] = a.work_dir
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
    os.environ.setdefault('MPLBACKEND', 'module://matplotlib_inline.backend_inline')
    names = a.notebooks or ANALYSIS_NOTEBOOKS
    paths = [Path(n) if n.endswith('.ipynb') else ROOT/'nbs'/f'{n}.ipynb' for n in names]
    for p in paths:
        t = time.perf_counter()
        run(p, a.timeout)
        print(f"{p.name}: {time.perf_counter() - t:.0f} s", flush=True)
    beside = Path(sys.executable).parent/'nbdev_clean'  # the venv's, when it is not on PATH
    subprocess.run([str(beside) if beside.exists() else 'nbdev_clean'], cwd=ROOT, check=True)
