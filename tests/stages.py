"""Each long stage of tagsim on its own, as a process that a test (or `tools/soak.py`) kills at random points.

    python tests/stages.py STAGE INPUTS OUT     # run STAGE on the inputs that `prepare` made, writing into OUT

`prepare(stage, folder)` makes a stage's inputs; `read(stage, out)` reads what a later command would read from OUT
(None where that command would say "not there"); `agrees(stage, got, want, whole)` compares two readings within the
stage's tolerance (`whole=False` accepts what a killed run may leave: nothing, or for the index a committed prefix).
"""
import json, shutil, signal, subprocess, sys, time
from pathlib import Path
import numpy as np

STAGES = ('index', 'demo', 'features', 'train', 'ann', 'variants', 'report', 'predict')
VARIANT_TAGS = ['katze', 'Katze', 'k4tze', 'hund', 'Hund', 'auto', 'Auto', 'haus', 'home', 'baum', 'pr0gramm', 'programm']

def synthetic_scrape(path:Path, n:int, tags_for) -> Path:
    "A pr0loader scrape of `n` items whose tags come from `tags_for(id, rng)`; no media."
    from tagsim.storage import write_pr0loader_db, pr0_item
    rng = np.random.default_rng(0)
    return write_pr0loader_db(path, (pr0_item(i, tags_for(i, rng)) for i in range(1, n + 1)))

def random_embeddings(out:Path, ids:np.ndarray, dim:int, seed:int=0, clusters:np.ndarray|None=None) -> Path:
    "An embeddings folder of normalised float16 vectors for `ids` (near a cluster centre per item where given)."
    from tagsim.parts import save_part
    from tagsim.embed import claim_parts, vector_format, assemble
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(len(ids), dim)).astype(np.float32)
    if clusters is not None: v = v * 0.5 + rng.normal(size=(clusters.max() + 1, dim)).astype(np.float32)[clusters] * 2
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    model = {'arch': 'random', 'seed': seed}
    parts = claim_parts(out, model, vector_format())
    save_part(parts, 0, v.astype(np.float16), ids, kind='vec')
    assemble(out, np.asarray(ids, np.int64), {'format_version': 1, 'model': model, 'format': vector_format(), 'shard': '0/1'}, {})
    return out

def _variant_tags(i, rng):
    topic = i % 6
    pick = [VARIANT_TAGS[2 * topic], VARIANT_TAGS[2 * topic + 1]]
    return [pick[int(rng.integers(0, 2))]] + [f'thema{topic}', f'rand{int(rng.integers(0, 50))}']

def prepare(stage:str, folder:Path) -> Path:
    "Make the inputs of `stage` in `folder`; returns `folder`."
    folder.mkdir(parents=True, exist_ok=True)
    if stage == 'index': synthetic_scrape(folder/'scrape.db', 300_000, lambda i, rng: [f'tag{int(t)}' for t in set(rng.zipf(1.5, 6) % 5000)])
    elif stage in ('features', 'train'):
        from tagsim.squares import squares_scrape
        squares_scrape(folder, 240, 40, 0)
    elif stage == 'ann': random_embeddings(folder/'embeddings', np.arange(1, 30_001), 64)
    elif stage == 'variants':
        synthetic_scrape(folder/'scrape.db', 20_000, _variant_tags)
        random_embeddings(folder/'embeddings', np.arange(1, 20_001), 32, clusters=np.arange(1, 20_001) % 6)
    elif stage == 'report':  # a finished main job; the folder itself is the input
        from tagsim.squares import squares_scrape
        db = squares_scrape(folder/'scrape', 80, 32, 0)
        subprocess.run([sys.executable, '-m', 'tagsim.cli', 'run', '--db', str(db), '--work-dir', str(folder/'work'), '--out', str(folder/'job'),
                        '--epochs', '1', '--image-size', '32', '--no-baseline', '--quiet'], check=True, capture_output=True)
        return folder/'job'
    elif stage == 'predict': _prepare_predict(folder)
    return folder

def _prepare_predict(folder:Path):
    "A small CNN run on 60 squares, and 12,000 images to tag: 3,000 squares, each also linked from three more folders."
    from tagsim.squares import squares_scrape
    db = squares_scrape(folder/'run-scrape', 60, 32, 0)
    subprocess.run([sys.executable, '-m', 'tagsim.cli', 'train', '--db', str(db), '--work-dir', str(folder/'work'), '--arch', 'small-cnn',
                    '--epochs', '1', '--image-size', '32', '--no-baseline', '--repost-distance', '-1', '--out', str(folder/'run')],
                   check=True, capture_output=True, env={**__import__('os').environ, 'TAGSIM_MIN_TAG_OCCURRENCES': '3'})
    squares_scrape(folder/'squares', 3000, 32, 1)
    for copy in ('b', 'c', 'd'):  # hard links: distinct paths that the command does not fold together, at no disk cost
        (folder/'images'/copy).mkdir(parents=True)
        for f in (folder/'squares/media').glob('*.png'): (folder/'images'/copy/f.name).hardlink_to(f)
    (folder/'squares/media').rename(folder/'images/a')

def _copy_once(src:Path, dst:Path):
    "Copy a folder (the driver's own setup, not the stage under test) so that a kill never leaves half a copy."
    if dst.exists(): return
    tmp = dst.with_name(dst.name + '.copying')
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp, ignore=shutil.ignore_patterns('report.html'))
    tmp.rename(dst)

def run(stage:str, inputs:Path, out:Path) -> dict:
    "Run `stage` on `inputs` into `out`, as a command would; returns how much it reused."
    out.mkdir(parents=True, exist_ok=True)
    if stage == 'index':
        from tagsim.index import update_index
        return {'action': update_index(inputs/'scrape.db', out/'index', chunk_size=20_000, segment_items=40_000)[1]}
    elif stage == 'demo':
        from tagsim.demo import build_demo
        build_demo(out/'demo', size=24, limit=1500)
    elif stage == 'features':
        from tagsim.embeddable import unlabelled_examples
        from tagsim.train import cache_features
        ids = np.arange(1, 241)
        examples = unlabelled_examples(ids, [str(inputs/'media'/f'{i}.png') for i in ids])
        return {'reused': cache_features(examples, 'efficientnet-lite0', 32, out/'cache', part_size=24, batch_size=8)[2]['reused']}
    elif stage == 'train':  # cached mode: the feature cache, then the head, then the evaluation
        import os
        os.environ['TAGSIM_MIN_TAG_OCCURRENCES'] = '5'
        from tagsim.config import load_settings
        from tagsim.runs import train_run
        from tagsim.run_setup import TrainOptions
        settings = load_settings(db_path=inputs/'scrape.db', media_dir=inputs/'media', work_dir=out/'work')
        opts = TrainOptions(mode='cached', image_size=32, epochs=12, batch_size=16)
        return {'epochs': train_run(settings, out/'run', opts, baseline=False, verbose=0)['epochs_run']}
    elif stage == 'ann':
        from tagsim.embeddings import load_embeddings
        from tagsim.search import open_vector_index
        _copy_once(inputs/'embeddings', out/'embeddings')
        open_vector_index(load_embeddings(out/'embeddings'), backend='hnsw')
    elif stage == 'variants':
        from tagsim.cli import main
        main(['variants', '--db', str(inputs/'scrape.db'), '--work-dir', str(out/'work'), '--embeddings', str(inputs/'embeddings'),
              '--out', str(out/'pairs.csv'), '--aliases-out', str(out/'proposals.yaml'), '--min-support', '20'])
    elif stage == 'predict':  # what `tagsim predict IMAGES --run RUN --out tags.csv` does
        from tagsim.model_commands import expand_image_args
        from tagsim.predict import load_run
        from tagsim.prediction_file import predict_to_file
        summary = predict_to_file(load_run(inputs/'run'), expand_image_args([inputs/'images']), out/'tags.csv')
        return {'reused': summary['reused']}
    elif stage == 'report':
        from tagsim.report import write_report
        _copy_once(inputs, out/'job')
        write_report(out/'job', title='kill test')
    else: raise SystemExit(f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
    return {}

def _files(folder:Path) -> dict|None:
    "Relative path -> bytes of every file under `folder`, or None if it is absent."
    if not folder.is_dir(): return None
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob('*')) if p.is_file()}

def _read_index(out:Path):
    from tagsim.index_format import TagIndex
    try: index = TagIndex(out/'index')
    except FileNotFoundError: return None
    return {'tags': index.tags, **{n: np.asarray(getattr(index, n)) for n in ('item_id', 'row_item', 'row_tag', 'confidence')}}

def _read_features(out:Path):
    "Id -> feature row of every complete part, as `cache_features` will read them (a killed writer's temporary is none)."
    from tagsim.parts import complete_parts, values_file
    parts = [f for folder in sorted(out.glob('cache/*')) if folder.is_dir() for f in complete_parts(folder)[0]]
    if not parts: return None
    ids = np.concatenate([np.load(p, allow_pickle=False) for p in parts])
    feats = np.concatenate([np.load(values_file(p, 'feat'), allow_pickle=False) for p in parts])
    order = np.argsort(ids)
    return {'ids': ids[order], 'features': feats[order].astype(np.float32)}

def _read_ann(out:Path):
    "Neighbours of 200 vectors from the saved HNSW index, if `open_vector_index` would use it."
    from tagsim.embeddings import load_embeddings
    from tagsim.search import _index_key, VectorIndex
    if not (out/'embeddings').is_dir(): return None  # killed before the driver's own copy was in place
    e = load_embeddings(out/'embeddings')
    folder = e.path/'ann'
    if not (folder/'index.json').is_file(): return None
    assert json.loads((folder/'index.json').read_text()) == _index_key(e, 'hnsw', 'f16'), 'index.json names another index'
    search_index = VectorIndex(e.vectors.shape[1], 'hnsw', 'f16')
    search_index.hnsw.view(str(folder/'index.usearch'))
    search_index.ids = e.ids
    assert len(search_index.hnsw) == len(e), 'index.json is there but the saved index is not whole'
    return search_index.query(np.asarray(e.vectors[:200], np.float32), 10)[0]

def read(stage:str, out:Path):
    "What a later command reads from `out` after `stage`, or None where it would find nothing."
    if stage == 'index': return _read_index(out)
    if stage == 'demo': return _files(out/'demo')
    if stage == 'features': return _read_features(out)
    if stage == 'train':  # a run is finished when metrics.json is there; then its inputs and score are compared
        if not (out/'run/metrics.json').is_file(): return None
        metrics = json.loads((out/'run/metrics.json').read_text())
        return {'split': (out/'run/split.json').read_bytes(), 'vocab': (out/'run/vocab.json').read_bytes(),
                'macro_map': metrics['test']['macro_map']}
    if stage == 'ann': return _read_ann(out)
    if stage == 'variants':
        files = {f: (out/f).read_bytes() for f in ('pairs.csv', 'proposals.yaml') if (out/f).is_file()}
        return files or None
    if stage == 'report':  # the report names its folder; the rest must not differ
        report = out/'job/report.html'
        return report.read_bytes().replace(str((out/'job').resolve()).encode(), b'JOB') if report.is_file() else None
    if stage == 'predict':  # the tags file, or None while only its journal is there
        import csv
        return list(csv.reader(open(out/'tags.csv', newline=''))) if (out/'tags.csv').is_file() else None

TOLERANCES = {
    'index': 'bit-identical arrays; a killed build leaves a prefix of whole segments',
    'demo': 'bit-identical files',
    'features': 'the same ids; features within float16 rounding (max difference 2e-3), since batches differ after a resume',
    'train': ('the same vocabulary and split (bit-identical) and a finished run; the resumed head sees its epochs in another '
              'order, so test macro mAP within 0.05 of the uninterrupted run'),
    'ann': 'HNSW insertion is multi-threaded, so the graph differs: top-10 neighbours of 200 queries agree at least 95%',
    'variants': 'bit-identical pairs.csv and proposals.yaml',
    'report': 'bit-identical report.html, but for the folder it names',
    'predict': ('the same rows of paths, ranks and tags; probabilities within 1e-5, since a resumed run batches the images '
                'differently'),
}

def _same_predictions(got:list, want:list) -> bool:
    "Two tags files (CSV rows) alike but for the last digits of the probabilities and thresholds."
    def close(a, b): return a == b or abs(float(a) - float(b)) <= 1e-5
    return len(got) == len(want) and all(
        len(g) == len(w) and all(close(a, b) if i in (3, 4) and a and b else a == b for i, (a, b) in enumerate(zip(g, w)))
        for g, w in zip(got[1:], want[1:])) and got[0] == want[0]

def agrees(stage:str, got, want, whole:bool=True) -> bool:
    "Does `got` match the uninterrupted `want` within the stage's tolerance (or, unless `whole`, as a killed run may leave it)?"
    if got is None: return not whole
    if stage == 'index':
        n, m = len(got['item_id']), len(got['row_tag'])
        if whole and (n, m) != (len(want['item_id']), len(want['row_tag'])): return False
        return (got['tags'] == want['tags'][:len(got['tags'])] and all(np.array_equal(got[k], want[k][:n]) for k in ('item_id',))
                and all(np.array_equal(got[k], want[k][:m]) for k in ('row_item', 'row_tag', 'confidence')))
    if stage == 'features':
        if not whole: want = {k: v[np.isin(want['ids'], got['ids'])] for k, v in want.items()}
        return np.array_equal(got['ids'], want['ids']) and float(np.abs(got['features'] - want['features']).max(initial=0)) < 2e-3
    if stage == 'train':
        return got['split'] == want['split'] and got['vocab'] == want['vocab'] and abs(got['macro_map'] - want['macro_map']) <= 0.05
    if stage == 'ann':
        return np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(got.tolist(), want.tolist())]) >= 0.95
    if stage == 'predict': return _same_predictions(got, want)  # the tags file appears whole or not at all
    if stage in ('demo', 'report') or whole: return got == want  # the demo folder and the report appear whole or not at all
    return all(got[f] == want.get(f) for f in got)  # each file present is the finished one

def start(stage:str, inputs:Path, out:Path) -> subprocess.Popen:
    "The stage as its own process, printing its summary as JSON."
    return subprocess.Popen([sys.executable, __file__, stage, str(inputs), str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

def finish(p:subprocess.Popen, timeout:float=900) -> dict:
    out, err = p.communicate(timeout=timeout)
    if p.returncode != 0: raise AssertionError(f"the stage failed ({p.returncode}):\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])

def timed_run(stage:str, inputs:Path, out:Path) -> float:
    "Run the stage uninterrupted; seconds it took."
    t = time.perf_counter(); finish(start(stage, inputs, out))
    return time.perf_counter() - t

def kill_points(rng, took:float, kills:int=3) -> list:
    """Seconds after each start at which to kill: each a random 20-80% of the time surely left. A resumed run redoes
    at most what a kill interrupted, so after kills at d1, d2, ... it still runs at least `took - d1 - d2 - ...`; drawn
    from the whole of `took` instead, later kills would often come after a resumed run had finished."""
    left, delays = took, []
    for _ in range(kills):
        delays.append(rng.uniform(0.2, 0.8) * left)
        left -= delays[-1]
    return delays

def _journal_rows(journal:Path) -> int:
    "Whole image rows in a `predict --out` journal: lines that read as a row (not its header, not a torn line)."
    def row(line):
        try: return 'path' in json.loads(line)
        except ValueError: return False
    return sum(map(row, journal.read_bytes().split(b'\n'))) if journal.is_file() else 0

def kill_and_resume(stage:str, inputs:Path, out:Path, want, delays:list) -> dict:
    """Start the stage, SIGKILL it after each delay in turn (checking that what it left reads as nothing, or as the
    finished result), then run it to the end and compare with the uninterrupted run `want`."""
    kills, left = 0, None
    for delay in delays:
        p = start(stage, inputs, out)
        try: p.wait(delay)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL); p.wait(); kills += 1
        p.communicate()
        left = read(stage, out)
        assert agrees(stage, left, want, whole=False), f"{stage}: after a kill at {delay:.2f} s, a reader finds a half-written result"
    journal_rows = _journal_rows(out/'tags.csv.partial')
    summary = finish(start(stage, inputs, out))
    assert agrees(stage, read(stage, out), want), f"{stage}: the resumed result differs from an uninterrupted run ({TOLERANCES[stage]})"
    if stage == 'index' and left is not None and len(left['item_id']): assert summary['action'] in ('grown', 'unchanged'), summary
    if stage == 'features' and left is not None: assert summary['reused'] >= len(left['ids']), (summary, len(left['ids']))
    if stage == 'predict': assert summary['reused'] >= journal_rows, (summary, journal_rows)
    leftovers = [p for p in out.rglob('*') if '.tmp' in p.name and 'work' not in p.parts]
    assert not leftovers, f"{stage}: temporary files left: {leftovers[:3]}"
    return {'kills': kills, 'summary': summary}

if __name__ == '__main__':
    stage, inputs, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    print(json.dumps(run(stage, inputs, out)))
