#!/usr/bin/env python
"""`tagsim embed` memory and speed, measured in one run.

Memory: peak RSS of a fresh process embedding 1,000 and then 10,000 items (a pr0loader scrape whose items point
at the demo's icons, reused in turn), ImageNet EfficientNet-Lite0 at 224 px, batch 32, parts of 2,048. Goal: the
10k peak within 10% of the 1k peak (streaming in fixed memory).
Speed: images/s of the 10k extraction against the same model's forward-only images/s on one in-memory batch of
the same size, measured in the same process (goal >= 0.9).

    python benchmarks/embedding.py [--sizes 1000 10000]
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

def child(n:int, work:str):
    "Runs in a subprocess: embed n items, then measure forward-only speed; prints one JSON line."
    import numpy as np, tensorflow as tf
    from tagsim.config import load_settings, Settings
    from tagsim.demo import build_demo
    from tagsim.storage import write_pr0loader_db
    from tagsim.scrape import Scrape
    from tagsim.media import media_table
    from tagsim.embed import embed_scrape
    from tagsim.embedder import backbone_embedder
    demo = load_settings(work_dir=work); build_demo(demo.demo_dir)
    with Scrape(demo.scrape_path) as s: paths = media_table(s).path.tolist()
    db = write_pr0loader_db(Path(work)/f'bench{n}.db', [{'id': i + 1, 'image': paths[i % len(paths)], 'flags': 1,
                                                        'tags_data': [{'id': i, 'tag': 'x', 'confidence': 1.0}]} for i in range(n)])
    s = Settings(db_path=db, media_dir=demo.media_path, work_dir=work)
    emb = backbone_embedder('efficientnet-lite0', 'imagenet')
    out = tempfile.mkdtemp(dir=work)
    t = time.perf_counter(); m = embed_scrape(s, emb, out, progress=False); dt = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    infer = tf.function(lambda x: emb.model(x, training=False))
    x = tf.constant(np.random.default_rng(0).uniform(0, 255, (32, 224, 224, 3)).astype('float32')); infer(x).numpy()
    k, t = 0, time.perf_counter()
    while time.perf_counter() - t < 20: infer(x).numpy(); k += 32
    print('RESULT ' + json.dumps({'items': m['count'], 'extraction_img_s': m['count'] / dt, 'peak_rss_mb': rss,
                                  'forward_only_img_s': k / (time.perf_counter() - t)}), flush=True)

from pathlib import Path
if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == '--child': child(int(sys.argv[2]), sys.argv[3]); sys.exit()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--sizes', nargs=2, type=int, default=[1000, 10000]); ap.add_argument('--work', default=None)
    a = ap.parse_args()
    from tagsim.processes import scratch_folder
    work = a.work or str(scratch_folder(prefix='tagsim-bench-'))
    res = []
    for n in a.sizes:
        r = subprocess.run([sys.executable, __file__, '--child', str(n), work], capture_output=True, text=True)
        line = [l for l in r.stdout.splitlines() if l.startswith('RESULT ')]
        if not line: sys.exit(r.stderr[-2000:])
        res.append(json.loads(line[0][7:]))
    small, big = res
    print(json.dumps({'runs': res, 'peak_rss_ratio_10k_to_1k': round(big['peak_rss_mb'] / small['peak_rss_mb'], 3),
                      'speed_ratio_extraction_to_forward_only': round(big['extraction_img_s'] / big['forward_only_img_s'], 3)}, indent=1))
