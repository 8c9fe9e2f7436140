#!/usr/bin/env python
"""Variant discovery at scale: 50,000 synthetic tags on 2 cores (goal: under a minute), in one run.

Synthetic data: ITEMS items with 3 to 8 tags each, drawn from a Zipf law over TAGS tags (every tag on at least
5 items), and a 1,280-d visual vector per tag around one of 2,000 random centres (the tag centroids
`visual_vectors` would give). Timed: the table's co-occurrence and PPMI, the PCA visual neighbours (one search that serves both the
candidates and hubness), candidate generation by blocking (3-gram index, context SVD neighbours), hubness, the evidence of every candidate pair,
and the fused score. Embedding extraction is not included (that is `tagsim embed`'s cost).

    python benchmarks/variants.py [--tags 50000] [--items 400000]
"""
import argparse, json, string, time
import numpy as np
from scipy import sparse

def synthetic(n_tags:int, n_items:int, seed:int=0):
    from tagsim.tag_table import TagTable
    rng = np.random.default_rng(seed)
    per_item = rng.integers(3, 9, n_items)
    p = 1 / np.arange(1, n_tags + 1) ** 0.9; p /= p.sum()
    cols = rng.choice(n_tags, per_item.sum(), p=p)
    rows = np.repeat(np.arange(n_items), per_item)
    extra = np.repeat(np.arange(n_tags), 5); cols = np.concatenate([cols, extra]); rows = np.concatenate([rows, rng.integers(0, n_items, len(extra))])
    Y = sparse.csr_matrix((np.ones(len(cols), np.float32), (rows, cols)), shape=(n_items, n_tags)); Y.data[:] = 1
    letters = np.array(list(string.ascii_lowercase))
    keys = [''.join(rng.choice(letters, rng.integers(4, 11))) + str(i) for i in range(n_tags)]
    table = TagTable(keys, keys, np.asarray(Y.sum(0)).ravel(), np.arange(n_items), Y)
    centres = rng.standard_normal((2000, 1280)).astype(np.float32)
    v = centres[rng.integers(0, 2000, n_tags)] + 0.7 * rng.standard_normal((n_tags, 1280)).astype(np.float32)
    return table, v / np.linalg.norm(v, axis=1, keepdims=True)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--tags', type=int, default=50_000); ap.add_argument('--items', type=int, default=400_000)
    a = ap.parse_args()
    from tagsim.signals import cooccurrence, ppmi
    from tagsim.candidates import candidate_pairs, reduced, nearest_rows
    from tagsim.evidence import hubness, pair_evidence
    from tagsim.variants import fuse
    table, visual = synthetic(a.tags, a.items)
    times, t = {}, time.perf_counter()
    def lap(name):
        global t; now = time.perf_counter(); times[name] = round(now - t, 1); t = now
    C = cooccurrence(table); P = ppmi(table, C); lap('co-occurrence and PPMI')
    found = nearest_rows(reduced(visual), 20); lap('visual neighbours (one search, for pairs and hubness)')
    pairs = candidate_pairs(table, P, k=20, visual_found=found); lap('candidates by blocking')
    hubs = hubness(found, len(table)); lap('hubness')
    ev = pair_evidence(table, pairs, C, P, visual=visual, hubs=hubs); lap('evidence per pair')
    ev['score'] = fuse(ev); lap('fused score')
    total = sum(times.values())
    print(json.dumps({'tags': a.tags, 'items': a.items, 'candidate_pairs': len(pairs), 'seconds': times, 'total_seconds': round(total, 1),
                      'goal_seconds': 60, 'ratio_to_goal': round(total / 60, 2)}, indent=1))
