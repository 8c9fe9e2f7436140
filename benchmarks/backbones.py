#!/usr/bin/env python
"""Backbone benchmark on this machine's CPU (or GPU, where TensorFlow sees one).

For each registered backbone at its native input size, in a fresh subprocess each (so peak RSS is its own):
parameters, inference images/s at batch sizes 1, 8 and 32 (backbone + pooling, random weights; speed does
not depend on the weight values), and peak RSS. Then the input-pipeline ratio: images/s reading and decoding
demo-scrape files through `tagsim.data.make_dataset` into the model, divided by the same model's `predict`
throughput on tensors already in memory, at the same batch size (goal: >= 0.9).

    python benchmarks/backbones.py [--arch resnet50 ...] [--batches 1 8 32] [--size-override ARCH=SIZE]
"""
import argparse, json, os, resource, subprocess, sys, time
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

def measure(arch, size, batches, reps):
    "Runs inside the subprocess: prints one JSON line."
    import numpy as np, keras, tensorflow as tf
    from tagsim.models import build_backbone
    bb = build_backbone(arch, None, size)
    model = keras.Sequential([bb, keras.layers.GlobalAveragePooling2D()])
    out = {'arch': arch, 'size': size, 'params': int(bb.count_params())}
    fn = tf.function(lambda x: model(x, training=False), jit_compile=False)
    for b in batches:
        x = tf.constant(np.random.default_rng(0).uniform(0, 255, (b, size, size, 3)).astype('float32'))
        fn(x).numpy()  # trace and warm up
        n = max(1, reps if b > 1 else reps * 3)
        t = time.perf_counter()
        for _ in range(n): fn(x).numpy()
        dt = (time.perf_counter() - t) / n
        out[f'img_s_b{b}'] = b / dt; out[f'ms_per_img_b{b}'] = 1000 * dt / b
    out['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print('RESULT ' + json.dumps(out), flush=True)

def pipeline_ratio(arch, size, batch, n_images):
    "Runs inside the subprocess: pipeline-from-disk throughput vs in-memory predict, same model and batch."
    import numpy as np, keras, tensorflow as tf
    from tagsim.config import load_settings
    from tagsim.demo import build_demo
    from tagsim.index import update_index
    from tagsim.index_format import index_dir_for
    from tagsim.vocabulary import build_vocabulary
    from tagsim.data import build_examples, make_dataset
    from tagsim.tagger import build_tagger
    s = load_settings(); db = build_demo(s.demo_dir)
    idx, _ = update_index(db, index_dir_for(s.work_dir, db))
    ex = build_examples(idx, build_vocabulary(idx), db, s.demo_dir/'media')
    rows = np.arange(min(n_images, len(ex)))
    model = build_tagger(arch, len(ex.labels([0])[0]), image_size=size)
    x = np.random.default_rng(0).uniform(0, 255, (len(rows), size, size, 3)).astype('float32')
    model.predict(x[:batch], batch_size=batch, verbose=0)
    t = time.perf_counter(); model.predict(x, batch_size=batch, verbose=0); mem = len(rows) / (time.perf_counter() - t)
    ds = make_dataset(ex, rows, image_size=size, batch_size=batch).map(lambda im, y: im)
    model.predict(ds.take(1), verbose=0)
    t = time.perf_counter(); model.predict(ds, verbose=0); disk = len(rows) / (time.perf_counter() - t)
    print('RESULT ' + json.dumps({'arch': arch, 'size': size, 'batch': batch, 'images': len(rows), 'in_memory_img_s': mem,
                                  'from_disk_img_s': disk, 'ratio': disk / mem}), flush=True)

def run_child(args):
    r = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    lines = [l for l in r.stdout.splitlines() if l.startswith('RESULT ')]
    if not lines: return {'error': (r.stderr or r.stdout)[-800:]}
    return json.loads(lines[-1][7:])

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--arch', nargs='*'); ap.add_argument('--batches', nargs='*', type=int, default=[1, 8, 32])
    ap.add_argument('--reps', type=int, default=2, help='timed repetitions per batch size (x3 at batch 1)')
    ap.add_argument('--also', nargs='*', default=['efficientnetv2-l=384'], help='extra ARCH=SIZE runs')
    ap.add_argument('--no-pipeline', action='store_true')
    ap.add_argument('--child', nargs='*', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        kind, arch, size, *rest = a.child
        if kind == 'measure': measure(arch, int(size), [int(b) for b in rest[0].split(',')], int(rest[1]))
        else: pipeline_ratio(arch, int(size), int(rest[0]), int(rest[1]))
        return
    from tagsim.models import BACKBONES
    from tagsim.hardware import describe_hardware
    print('hardware:', json.dumps(describe_hardware()))
    runs = [(n, b.size) for n, b in BACKBONES.items() if not a.arch or n in a.arch]
    runs += [(x.split('=')[0], int(x.split('=')[1])) for x in a.also if not a.arch or x.split('=')[0] in a.arch]
    hdr = f"{'arch':<20}{'size':>5}{'params':>13}" + ''.join(f"{'img/s b' + str(b):>12}" for b in a.batches) + f"{'ms/img best':>13}{'peak RSS MB':>13}"
    print(hdr)
    for arch, size in runs:
        r = run_child(['--child', 'measure', arch, str(size), ','.join(map(str, a.batches)), str(a.reps)])
        if 'error' in r: print(f"{arch:<20}{size:>5}  failed: {r['error']}"); continue
        best = min(r[f'ms_per_img_b{b}'] for b in a.batches)
        print(f"{arch:<20}{size:>5}{r['params']:>13,}" + ''.join(f"{r[f'img_s_b{b}']:>12.2f}" for b in a.batches) + f"{best:>13.0f}{r['peak_rss_mb']:>13.0f}", flush=True)
    if not a.no_pipeline:
        print('\ninput pipeline (demo PNGs from disk) vs predict on in-memory tensors, same model and batch size:')
        for arch, size, batch, n in [('resnet50', 224, 32, 256), ('small-cnn', 128, 32, 2048)]:
            r = run_child(['--child', 'pipeline', arch, str(size), str(batch), str(n)])
            if 'error' in r: print(f"  {arch}: failed: {r['error']}"); continue
            print(f"  {arch:<12} {size}px batch {batch}: from disk {r['from_disk_img_s']:.1f} img/s, in memory {r['in_memory_img_s']:.1f} img/s, "
                  f"ratio {r['ratio']:.2f} (goal >= 0.9) over {r['images']} images")

if __name__ == '__main__': main()
