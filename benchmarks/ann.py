#!/usr/bin/env python
"""Approximate nearest-neighbour search on synthetic clustered vectors: faiss (HNSW) against usearch (HNSW), and the
exact BLAS search tagsim uses for small sets, measured in one run on this machine.

Vectors: N x D float16, L2-normalised, drawn around C random centres (spread chosen so that neighbours are mostly
in-cluster, as image embeddings are). Queries: 200 fresh draws from the same clusters. Truth: exact top-10 by inner
product. For each library and search breadth: recall@10, mean single-query latency, and the speed-up over exact
single-query search; plus build time and the process's RSS growth during the build. Goal: recall@10 >= 0.95 at
>= 20x the exact single-query speed.

    python benchmarks/ann.py [--n 200000] [--dim 1280] [--clusters 2000] [--libs usearch faiss] [--quantization f16 i8]
"""
import argparse, json, os, time
import numpy as np, psutil

def clustered(n, centres, rng, spread=0.6):
    "n unit vectors (float16) scattered around random picks of `centres`."
    out = np.empty((n, centres.shape[1]), np.float16); clusters = len(centres)
    for s in range(0, n, 50_000):
        m = min(50_000, n - s); c = centres[rng.integers(0, clusters, m)]
        x = c + spread * rng.standard_normal((m, centres.shape[1])).astype(np.float32)
        out[s:s + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out

def exact_topk(base32, queries, k):
    scores = queries.astype(np.float32) @ base32.T
    top = np.argpartition(-scores, k, axis=1)[:, :k]
    return np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, 1), 1), 1)

def timed_single(fn, queries):
    t = time.perf_counter()
    for q in queries: fn(q)
    return (time.perf_counter() - t) / len(queries)

def bench_usearch(base, queries, truth, k, quant, rss0):
    from usearch.index import Index
    idx = Index(ndim=base.shape[1], metric='ip', dtype=quant, connectivity=16, expansion_add=128)
    t = time.perf_counter(); idx.add(np.arange(len(base)), base, threads=os.cpu_count()); build = time.perf_counter() - t
    out = {'lib': f'usearch hnsw {quant} M=16', 'build_s': round(build, 1), 'rss_growth_mb': round((psutil.Process().memory_info().rss - rss0) / 2**20)}
    for ef in (32, 64, 128, 256, 512):
        idx.expansion_search = ef
        found = idx.search(queries, k, threads=1).keys
        rec = float(np.mean([len(set(f) & set(t)) / k for f, t in zip(found, truth)]))
        out[f'ef{ef}'] = {'recall@10': round(rec, 3), 'ms': round(1000 * timed_single(lambda q: idx.search(q, k, threads=1), queries), 3)}
    return out

def bench_faiss(base, queries, truth, k, rss0):
    import faiss
    faiss.omp_set_num_threads(os.cpu_count())
    idx = faiss.IndexHNSWFlat(base.shape[1], 16, faiss.METRIC_INNER_PRODUCT); idx.hnsw.efConstruction = 128
    t = time.perf_counter(); idx.add(base.astype(np.float32)); build = time.perf_counter() - t
    out = {'lib': 'faiss hnsw flat f32 M=16', 'build_s': round(build, 1), 'rss_growth_mb': round((psutil.Process().memory_info().rss - rss0) / 2**20)}
    faiss.omp_set_num_threads(1)
    q32 = queries.astype(np.float32)
    for ef in (32, 64, 128, 256, 512):
        idx.hnsw.efSearch = ef
        _, found = idx.search(q32, k)
        rec = float(np.mean([len(set(f) & set(t)) / k for f, t in zip(found, truth)]))
        out[f'ef{ef}'] = {'recall@10': round(rec, 3), 'ms': round(1000 * timed_single(lambda q: idx.search(q[None], k), q32), 3)}
    faiss.omp_set_num_threads(os.cpu_count())
    return out

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=200_000); ap.add_argument('--dim', type=int, default=1280)
    ap.add_argument('--clusters', type=int, default=2000); ap.add_argument('--k', type=int, default=10)
    ap.add_argument('--libs', nargs='*', default=['usearch', 'faiss']); ap.add_argument('--quantization', nargs='*', default=['f16'])
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((a.clusters, a.dim)).astype(np.float32)
    base = clustered(a.n, centres, rng); queries = clustered(200, centres, rng)
    base32 = base.astype(np.float32)
    truth = np.concatenate([exact_topk(base32, queries[s:s + 50], a.k) for s in range(0, 200, 50)])
    exact_ms = 1000 * timed_single(lambda q: exact_topk(base32, q[None], a.k), queries[:20])
    del base32
    results = {'n': a.n, 'dim': a.dim, 'exact_single_query_ms': round(exact_ms, 2), 'cpus': os.cpu_count(), 'runs': []}
    for lib in a.libs:
        rss0 = psutil.Process().memory_info().rss
        if lib == 'usearch':
            for q in a.quantization: results['runs'].append(bench_usearch(base, queries, truth, a.k, q, rss0))
        else: results['runs'].append(bench_faiss(base, queries, truth, a.k, rss0))
    for r in results['runs']:
        for key, v in r.items():
            if key.startswith('ef'): v['speedup_vs_exact'] = round(exact_ms / v['ms'], 1)
    print(json.dumps(results, indent=1))
