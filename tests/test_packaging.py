"""The wheel that `pip install` builds carries every module and the offline assets, and setuptools has nothing to warn
about in how the package is declared."""
import shutil, subprocess, sys, zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def _source_copy(dest:Path) -> Path:
    "The files a build reads, copied, so that setuptools' build/ and egg-info folders never land in the checkout."
    for name in ('setup.py', 'settings.ini', 'pyproject.toml', 'MANIFEST.in', 'README.md', 'LICENSE'):
        shutil.copy(ROOT/name, dest)
    shutil.copytree(ROOT/'tagsim', dest/'tagsim', ignore=shutil.ignore_patterns('__pycache__'))
    return dest

def test_wheel_carries_modules_and_assets(tmp_path):
    src = _source_copy(tmp_path)
    pip_wheel = [sys.executable, '-m', 'pip', 'wheel', str(src), '--no-deps', '--no-build-isolation', '-w', str(tmp_path/'dist')]
    r = subprocess.run(pip_wheel, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'absent from the `packages` configuration' not in r.stdout + r.stderr, 'setuptools would leave a package out'
    names = set(zipfile.ZipFile(next((tmp_path/'dist').glob('tagsim-*.whl'))).namelist())
    modules = {f'tagsim/{p.name}' for p in (ROOT/'tagsim').glob('*.py')}
    assert modules <= names, sorted(modules - names)
    assert {f'tagsim/assets/{p.name}' for p in (ROOT/'tagsim'/'assets').iterdir()} <= names
