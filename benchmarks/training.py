#!/usr/bin/env python
"""Training benchmarks, measured on this machine in one run.

1. Cached-features training vs the baseline's frozen-backbone training, 5 epochs on the same demo images:
   the baseline reruns the frozen backbone on every image every epoch (pr0loader's trainer); tagsim runs it
   once, stores float16 features, and trains the head on them. Goal: >= 4x less wall time.
2. Peak memory (RSS) of training EfficientNetV2-L end to end (all layers trainable) at batch 8 and 32, at
   its registered size (480) and at 384, to check the claim "batch 128 at 384 px needs about 6 GB".
   Each configuration runs two training steps in a fresh subprocess; one that passes --mem-cap GB is stopped
   and reported as such, so the benchmark cannot take the machine down.

    python benchmarks/training.py [--arch efficientnetv2-b0] [--images 1024] [--skip-memory]
"""
import argparse, json, os, resource, subprocess, sys, threading, time
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

def child_memory(size, batch, cap_gb):
    import numpy as np, psutil, keras
    proc = psutil.Process()
    def watchdog():
        while True:
            if proc.memory_info().rss > cap_gb * 2**30:
                print('RESULT ' + json.dumps({'size': size, 'batch': batch, 'capped': True, 'peak_rss_gb': proc.memory_info().rss / 2**30}), flush=True)
                os._exit(0)
            time.sleep(0.05)
    threading.Thread(target=watchdog, daemon=True).start()
    from tagsim.tagger import build_tagger
    m = build_tagger('efficientnetv2-l', 1000, image_size=size, freeze_backbone=False)
    m.compile(optimizer='adam', loss='binary_crossentropy')
    x = np.random.default_rng(0).uniform(0, 255, (batch, size, size, 3)).astype('float32'); y = (np.random.default_rng(1).random((batch, 1000)) < 0.01).astype('float32')
    times = []
    for _ in range(2):
        t = time.perf_counter(); m.train_on_batch(x, y); times.append(time.perf_counter() - t)
    print('RESULT ' + json.dumps({'size': size, 'batch': batch, 'capped': False, 'peak_rss_gb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                                  'step_seconds': times[-1], 'params': m.count_params()}), flush=True)

def time_comparison(arch, size, n_images, batch):
    import numpy as np, keras
    from tagsim.config import load_settings
    from tagsim.demo import build_demo
    from tagsim.index import update_index
    from tagsim.index_format import index_dir_for
    from tagsim.vocabulary import build_vocabulary
    from tagsim.data import build_examples, make_dataset
    from tagsim.tagger import build_tagger
    from tagsim.train import cache_features, build_head
    from tagsim.losses import make_loss
    from tagsim.processes import scratch_folder
    s = load_settings(); db = build_demo(s.demo_dir)
    idx, _ = update_index(db, index_dir_for(s.work_dir, db))
    ex = build_examples(idx, build_vocabulary(idx), db, s.demo_dir/'media')
    ex = ex.subset(np.arange(min(n_images, len(ex)))); y = ex.labels()
    # the baseline: frozen backbone in the model, every epoch decodes and runs it on every image
    keras.utils.set_random_seed(0)
    base = build_tagger(arch, ex.n_tags, image_size=size, embedding_dim=None, dropout=0.5)
    base.compile(optimizer='adam', loss='binary_crossentropy')
    ds = make_dataset(ex, image_size=size, batch_size=batch)
    t = time.perf_counter(); base.fit(ds, epochs=5, verbose=0); t_base = time.perf_counter() - t
    # tagsim: features once (fresh cache), then the head
    root = scratch_folder(prefix='tagsim-bench-')  # removed when this process ends, failed or not
    t = time.perf_counter()
    feats, rows, _ = cache_features(ex, arch, size, root, batch_size=batch)
    t_feat = time.perf_counter() - t
    head = build_head(feats.shape[1], ex.n_tags, None, 0.5); head.compile(optimizer='adam', loss=make_loss('bce'))
    t = time.perf_counter(); head.fit(feats.astype('float32'), y[rows], epochs=5, batch_size=batch, verbose=0); t_head = time.perf_counter() - t
    # a second run reuses the cache
    t = time.perf_counter(); cache_features(ex, arch, size, root, batch_size=batch); t_reuse = time.perf_counter() - t
    print('RESULT ' + json.dumps({'arch': arch, 'size': size, 'images': len(ex), 'batch': batch, 'baseline_s': t_base, 'features_s': t_feat,
                                  'head_s': t_head, 'cached_total_s': t_feat + t_head, 'reuse_s': t_reuse}), flush=True)

def run_child(args):
    r = subprocess.run([sys.executable, __file__, '--child', *map(str, args)], capture_output=True, text=True)
    lines = [l for l in r.stdout.splitlines() if l.startswith('RESULT ')]
    return json.loads(lines[-1][7:]) if lines else {'error': (r.stderr or r.stdout)[-600:], 'returncode': r.returncode}

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--arch', default='efficientnetv2-b0'); ap.add_argument('--size', type=int, default=224)
    ap.add_argument('--images', type=int, default=1024); ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--skip-memory', action='store_true'); ap.add_argument('--skip-time', action='store_true')
    ap.add_argument('--mem-cap', type=float, default=18.0, help='stop a memory run above this RSS (GB)')
    ap.add_argument('--child', nargs='*', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        if a.child[0] == 'memory': child_memory(int(a.child[1]), int(a.child[2]), float(a.child[3]))
        else: time_comparison(a.child[1], int(a.child[2]), int(a.child[3]), int(a.child[4]))
        return
    if not a.skip_time:
        r = run_child(['time', a.arch, a.size, a.images, a.batch])
        if 'error' in r: print('time comparison failed:', r['error'])
        else:
            print(f"5 epochs, {r['images']} demo images, {r['arch']} at {r['size']} px, batch {r['batch']}:")
            print(f"  baseline (frozen backbone rerun every epoch): {r['baseline_s']:.1f} s")
            print(f"  tagsim cached features: features {r['features_s']:.1f} s + head {r['head_s']:.1f} s = {r['cached_total_s']:.1f} s")
            print(f"  ratio baseline / cached: {r['baseline_s'] / r['cached_total_s']:.2f}x (goal >= 4x); a rerun reusing the cache: {r['reuse_s']:.1f} s to load features")
    if not a.skip_memory:
        print('\nEfficientNetV2-L, all layers trainable, peak RSS over two train steps (1000 tags, Adam):')
        for size, batch in [(384, 8), (384, 32), (480, 8), (480, 32)]:
            r = run_child(['memory', size, batch, a.mem_cap])
            if 'error' in r: print(f"  {size} px batch {batch}: failed ({r['error'][-200:]})"); continue
            if r['capped']: print(f"  {size} px batch {batch}: above the {a.mem_cap:.0f} GB cap (stopped at {r['peak_rss_gb']:.1f} GB)"); continue
            print(f"  {size} px batch {batch:>3}: peak RSS {r['peak_rss_gb']:.1f} GB, {r['step_seconds']:.1f} s per step")

if __name__ == '__main__': main()
