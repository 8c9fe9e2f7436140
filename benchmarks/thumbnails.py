#!/usr/bin/env python
"""Map thumbnails: how long one 48-pixel thumbnail of a photo takes, decoding the JPEG in full (as training does)
against decoding it at a reduced scale (`load_image(..., thumbnail=True)`, what `tagsim umap`'s item page and the
projector sprite use), measured in one run on the same files; and how far the two thumbnails differ.

Photos are synthetic full-HD JPEGs (a gradient with mild noise, quality 90: about 540 KB, a phone photo's size),
so the figures do not depend on files that
are not in the repository. PNGs are decoded in full either way; they are timed for comparison.

    python benchmarks/thumbnails.py [--images 40] [--size 1920x1080]
"""
import argparse, tempfile, time
from pathlib import Path
import numpy as np
from PIL import Image
from tagsim.images import load_image

def photos(folder:Path, count:int, width:int, height:int, suffix:str) -> list:
    "Synthetic photos: a colour gradient with noise, each a little different."
    rng, paths = np.random.default_rng(0), []
    ramp = np.linspace(0, 200, width, dtype=np.float32)[None, :, None]
    for k in range(count):
        pixels = ramp + rng.normal(0, 8, (height, width, 3)).astype(np.float32) + k
        paths.append(folder/f'{k}.{suffix}')
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(paths[-1], quality=90)
    return paths

def ms_per_image(paths:list, thumbnail:bool) -> float:
    "Milliseconds per 48-pixel thumbnail, best of three passes."
    best = float('inf')
    for _ in range(3):
        t = time.perf_counter()
        for p in paths: load_image(p, 48, thumbnail=thumbnail)
        best = min(best, (time.perf_counter() - t) / len(paths) * 1000)
    return best

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--images', type=int, default=40, help='photos per format (default 40)')
    ap.add_argument('--size', default='1920x1080', help='photo size WxH (default 1920x1080)')
    a = ap.parse_args()
    width, height = map(int, a.size.split('x'))
    with tempfile.TemporaryDirectory() as d:
        for suffix in ('jpg', 'png'):
            paths = photos(Path(d), a.images, width, height, suffix)
            full, quick = ms_per_image(paths, False), ms_per_image(paths, True)
            diff = np.mean([np.abs(load_image(p, 48).astype(int) - load_image(p, 48, thumbnail=True)).mean()
                            for p in paths])
            kb = np.mean([p.stat().st_size for p in paths]) / 1024
            print(f"{suffix}: {width}x{height}, {a.images} images of {kb:.0f} KB: full decode {full:.1f} ms, thumbnail decode "
                  f"{quick:.1f} ms, ratio {quick / full:.2f}; mean pixel difference {diff:.2f} of 255")
            print(f"  50,000 thumbnails (the item map's most): {full * 50:.0f} s against {quick * 50:.0f} s")

if __name__ == '__main__': main()
