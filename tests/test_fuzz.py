"""Fuzzing with hypothesis: every reader of outside input either works or fails with one line naming the problem.

Targets: pr0loader `tags_data` JSON, alias files (JSON, YAML, CSV), saved API JSON, settings TOML, vocabulary JSON and
image bytes; then the same kinds of file through the command line, which must never show a traceback. The number
of cases each target tried is printed in pytest's summary (see `pytest_terminal_summary` in conftest.py)."""
import io, json, os, tempfile
from collections import Counter
from pathlib import Path
from conftest import run_cli, error_line
from hypothesis import HealthCheck, given, settings, strategies as st

CASES = Counter()
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLI = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])

def one_line(e:Exception) -> bool: return bool(str(e).strip()) and '\n' not in str(e).strip()

scalars = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=20)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5), max_leaves=15)
tag_entries = st.lists(st.dictionaries(st.sampled_from(['tag', 'confidence', 'id', 'x']), scalars, max_size=4), max_size=6)

def _dumps(v):
    try: return json.dumps(v)
    except ValueError: return 'null'

raw_tags = (st.none() | st.binary(max_size=60) | st.text(max_size=60) | json_values.map(_dumps) | tag_entries.map(_dumps))

@FAST
@given(rows=st.lists(st.tuples(st.integers(1, 10**9), scalars, scalars, raw_tags), max_size=8))
def test_tags_data_rows_never_crash(rows):
    "Any `tags_data` value is parsed or counted as skipped; the chunk stays consistent."
    from tagsim.chunks import parse_pr0loader_rows
    CASES['tags_data'] += 1
    chunk = parse_pr0loader_rows(rows)
    assert len(chunk.item_id) == len(rows)

def _write(suffix:str, data) -> Path:
    fd, name = tempfile.mkstemp(suffix=suffix); os.close(fd)
    Path(name).write_bytes(data if isinstance(data, bytes) else data.encode('utf-8', 'surrogatepass'))
    return Path(name)

def _yaml(v):
    import yaml
    return yaml.safe_dump(v)

alias_text = st.one_of(st.text(max_size=80), st.binary(max_size=80), json_values.map(_dumps),
                       st.dictionaries(st.text(max_size=10), st.text(max_size=10) | st.lists(st.text(max_size=6), max_size=3), max_size=5).map(_dumps),
                       st.lists(st.lists(st.text(max_size=6), max_size=3), max_size=5).map(lambda rows: '\n'.join(','.join(r) for r in rows)))

@FAST
@given(text=alias_text | st.dictionaries(st.text(max_size=8), scalars, max_size=4).map(_yaml), suffix=st.sampled_from(['.json', '.yaml', '.csv']))
def test_alias_files(text, suffix):
    from tagsim.normalize import read_alias_pairs, AliasError
    CASES['alias files'] += 1
    path = _write(suffix, text)
    try: pairs = read_alias_pairs(path)
    except AliasError as e: assert one_line(e), str(e)
    else: assert all(isinstance(a, str) and isinstance(b, str) for a, b in pairs)
    finally: path.unlink()

api_item = st.fixed_dictionaries({'id': st.integers(1, 10**6) | scalars}, optional={'image': scalars, 'flags': scalars, 'created': scalars, 'up': scalars})
api_page = st.one_of(json_values, st.fixed_dictionaries({'items': st.lists(api_item | json_values, max_size=4)}),
                     st.fixed_dictionaries({'tags': st.lists(tag_entries | json_values, max_size=4)}, optional={'id': scalars, 'itemId': scalars}))

@FAST
@given(pages=st.lists(api_page.map(_dumps) | st.binary(max_size=40), min_size=1, max_size=3))
def test_api_json_import(pages):
    from tagsim.apijson import import_api_json, ApiJsonError
    CASES['API JSON'] += 1
    with tempfile.TemporaryDirectory() as d:
        paths = [Path(d)/f'p{i}.json' for i in range(len(pages))]
        for p, text in zip(paths, pages): p.write_bytes(text if isinstance(text, bytes) else text.encode('utf-8', 'surrogatepass'))
        try: counts = import_api_json(paths, Path(d)/'out.db')
        except ApiJsonError as e: assert one_line(e), str(e)
        else: assert counts and (Path(d)/'out.db').exists()

FIELDS = ['db_path', 'media_dir', 'work_dir', 'min_tag_occurrences', 'model_architecture', 'image_size', 'model_weights', 'unknown_field']
toml_values = st.one_of(st.integers(-10**6, 10**6).map(str), st.floats(allow_nan=False, allow_infinity=False).map(repr), st.booleans().map(lambda b: str(b).lower()),
                        st.text(max_size=20).map(json.dumps), st.just('[1, "a"]'), st.just('{a = 1}'), st.text(max_size=10))
toml_text = st.lists(st.tuples(st.sampled_from(FIELDS), toml_values), max_size=5).map(lambda kv: '\n'.join(f'{k} = {v}' for k, v in kv))

@FAST
@given(text=st.one_of(toml_text, toml_text.map(lambda t: '[tagsim]\n' + t), st.text(max_size=60), st.binary(max_size=60)))
def test_settings_toml(text):
    from tagsim.config import load_settings, SettingsError
    CASES['settings TOML'] += 1
    path = _write('.toml', text)
    try: load_settings(config_file=path, env={})
    except SettingsError as e: assert one_line(e), str(e)
    finally: path.unlink()

vocab_doc = st.fixed_dictionaries({'format': st.just('tagsim.vocabulary/1') | scalars},
                                  optional={'tags': st.lists(st.text(max_size=6), max_size=4) | scalars, 'keys': st.lists(st.text(max_size=6), max_size=4) | scalars,
                                            'counts': st.lists(st.integers(0, 9), max_size=4) | scalars,
                                            'params': json_values, 'fingerprint': scalars, 'report': json_values, 'aliases': json_values, 'extra': scalars})

@FAST
@given(text=vocab_doc.map(_dumps) | json_values.map(_dumps) | st.binary(max_size=40))
def test_vocabulary_json(text):
    from tagsim.vocabulary import Vocabulary
    CASES['vocabulary JSON'] += 1
    path = _write('.json', text)
    try: v = Vocabulary.load(path)
    except ValueError as e: assert one_line(e), str(e)
    else: assert len(v.tags) == len(v.counts) and all(0 <= i < len(v) for i in v.process_tags(v.tags))
    finally: path.unlink()

def _image_bytes(fmt:str) -> bytes:
    from PIL import Image
    buf = io.BytesIO(); Image.new('RGB', (9, 7), (200, 10, 10)).save(buf, format=fmt); return buf.getvalue()

VALID = {'.png': _image_bytes('PNG'), '.gif': _image_bytes('GIF'), '.jpg': _image_bytes('JPEG')}

@st.composite
def image_files(draw):
    suffix = draw(st.sampled_from(sorted(VALID)))
    data = bytearray(draw(st.sampled_from([VALID[suffix], b''])) or draw(st.binary(max_size=200)))
    for _ in range(draw(st.integers(0, 4))):
        if data: data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(data)))
    return suffix, bytes(data[:cut] if draw(st.booleans()) else data)

@FAST
@given(case=image_files())
def test_image_bytes(case):
    from tagsim.images import load_image, ImageError
    CASES['image bytes'] += 1
    suffix, data = case
    path = _write(suffix, data)
    try: x = load_image(path, 16)
    except ImageError as e: assert one_line(e), str(e)
    else: assert x.shape == (16, 16, 3)
    finally: path.unlink()

def tagsim(*args): return run_cli(*args, check=False)

def _no_traceback(r):
    "No traceback; a failure ends in exactly one `tagsim: error:` line (progress bars before it are fine)."
    assert 'Traceback' not in r.stderr, r.stderr[-1500:]
    if r.returncode: error_line(r)

@CLI
@given(text=st.one_of(toml_text, st.text(max_size=40)))
def test_cli_config_never_shows_a_traceback(text):
    CASES['CLI config'] += 1
    path = _write('.toml', text)
    try: _no_traceback(tagsim('config', '--config', path))
    finally: path.unlink()

@CLI
@given(pages=st.lists(api_page.map(_dumps), min_size=1, max_size=2))
def test_cli_import_json_never_shows_a_traceback(pages):
    CASES['CLI import-json'] += 1
    with tempfile.TemporaryDirectory() as d:
        paths = [Path(d)/f'p{i}.json' for i in range(len(pages))]
        for p, text in zip(paths, pages): p.write_text(text, encoding='utf-8', errors='surrogatepass')
        _no_traceback(tagsim('import-json', *paths, '--out', Path(d)/'out.db'))

@CLI
@given(text=alias_text, suffix=st.sampled_from(['.json', '.yaml', '.csv']))
def test_cli_vocab_aliases_never_show_a_traceback(text, suffix):
    CASES['CLI vocab --aliases'] += 1
    from conftest import pr0_item
    from tagsim.storage import write_pr0loader_db
    with tempfile.TemporaryDirectory() as d:
        db = write_pr0loader_db(Path(d)/'s.db', [pr0_item(i, [('katze', 0.9), ('hund', 0.5)]) for i in range(1, 30)])
        path = Path(d)/f'aliases{suffix}'
        path.write_bytes(text if isinstance(text, bytes) else text.encode('utf-8', 'surrogatepass'))
        _no_traceback(tagsim('vocab', '--db', db, '--work-dir', Path(d)/'w', '--aliases', path, '--out', Path(d)/'v.json'))
