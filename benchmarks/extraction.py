#!/usr/bin/env python
"""Feature extraction for the cache against the backbone's forward-only speed, on the demo scrape.

Forward-only: the pooled backbone (preprocessing + EfficientNet-Lite0 + pooling, ImageNet weights) compiled once
and run on one batch already in memory, again and again. Extraction: `tagsim.train.cache_features` into a fresh
cache folder, which reads and decodes the demo's PNG files, runs the same model on the same batch size and writes
float16 parts. Both in one process, one after the other; the ratio extraction / forward-only is the figure
(goal: >= 0.9). Peak RSS is the process's high-water mark after both.

    python benchmarks/extraction.py [--images 2048] [--batch 32] [--size 224] [--arch efficientnet-lite0]
"""
import argparse, json, os, resource, time
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

def demo_examples(n_images:int):
    "The first `n_images` examples of the demo scrape (built in the work folder if needed)."
    import numpy as np
    from tagsim.config import load_settings
    from tagsim.demo import build_demo
    from tagsim.index import open_index
    from tagsim.vocabulary import build_vocabulary
    from tagsim.data import build_examples
    s = load_settings(); build_demo(s.demo_dir)
    index, _ = open_index(s)
    ex = build_examples(index, build_vocabulary(index), s.scrape_path, s.media_path)
    return ex.subset(np.arange(min(n_images, len(ex)))), s

def forward_only(arch:str, size:int, batch:int, seconds:float=20.0) -> float:
    "Images/s of the compiled pooled backbone on one in-memory batch."
    import numpy as np, tensorflow as tf
    from tagsim.train import pooled_backbone
    model = pooled_backbone(arch, size, 'imagenet')
    infer = tf.function(lambda x: model(x, training=False))
    x = tf.constant(np.random.default_rng(0).uniform(0, 255, (batch, size, size, 3)).astype('float32'))
    infer(x).numpy()
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds: infer(x).numpy(); n += batch
    return n / (time.perf_counter() - t)

def extraction(ex, arch:str, size:int, batch:int) -> tuple[float, int]:
    "Images/s of `cache_features` over the examples, into a fresh cache."
    from tagsim.train import cache_features
    from tagsim.processes import scratch_folder
    t = time.perf_counter()
    feats, rows, rep = cache_features(ex, arch, size, scratch_folder(prefix='tagsim-bench-'), weights='imagenet', batch_size=batch)
    return len(rows) / (time.perf_counter() - t), len(rows)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--images', type=int, default=2048); ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--size', type=int, default=224); ap.add_argument('--arch', default='efficientnet-lite0')
    a = ap.parse_args()
    ex, _ = demo_examples(a.images)
    fwd = forward_only(a.arch, a.size, a.batch)
    ext, n = extraction(ex, a.arch, a.size, a.batch)
    out = {'arch': a.arch, 'size': a.size, 'batch': a.batch, 'images': n, 'forward_only_img_s': round(fwd, 1),
           'extraction_img_s': round(ext, 1), 'ratio': round(ext / fwd, 3),
           'peak_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    print(json.dumps(out, indent=1))
