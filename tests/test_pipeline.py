"""The input pipeline skips and reports every kind of bad image, keeps the good ones, and splits safely."""
import numpy as np
from PIL import Image
from tagsim.data import Examples, make_dataset, SkipLog, split_items
from tagsim.images import repost_groups, compute_dhashes

def test_pipeline_skips_every_bad_input(tmp_path):
    good = tmp_path/'good.jpg'; Image.new('RGB', (50, 30), (10, 200, 10)).save(good)
    gif = tmp_path/'anim.gif'; Image.new('RGB', (20, 20), (0, 0, 255)).save(gif, save_all=True, append_images=[Image.new('RGB', (20, 20))])
    webp = tmp_path/'x.webp'; Image.new('RGB', (20, 20), (255, 0, 0)).save(webp)
    (tmp_path/'zero.png').write_bytes(b'')
    (tmp_path/'text.png').write_text('<html>not an image</html>')
    (tmp_path/'trunc.jpg').write_bytes(good.read_bytes()[:200])
    (tmp_path/'v.mp4').write_bytes(b'\x00\x00\x00\x18ftypmp42')
    Image.new('L', (4000, 4000)).save(tmp_path/'bomb.png')
    names = ['good.jpg', 'anim.gif', 'x.webp', 'zero.png', 'text.png', 'trunc.jpg', 'v.mp4', 'bomb.png', 'missing.png']
    n = len(names)
    ex = Examples(np.arange(1, n + 1), [str(tmp_path/x) for x in names], np.arange(n), np.arange(n + 1), np.zeros(n, np.int32), 1)
    log = SkipLog()
    batches = list(make_dataset(ex, image_size=24, batch_size=4, skip_log=log, max_pixels=10_000_000))
    assert sum(int(b[0].shape[0]) for b in batches) == 3
    assert log.items == {4: 'empty_file', 5: 'not_an_image', 6: 'corrupt_image', 7: 'video', 8: 'too_many_pixels', 9: 'missing_file'}
    assert all(b[1].shape[1] == 1 for b in batches)

def test_time_split_and_reposts_stay_together(tmp_path):
    rng = np.random.default_rng(0)
    base = [rng.integers(0, 255, (32, 32, 3), dtype=np.uint8) for _ in range(30)]
    paths = []
    for i, a in enumerate(base):
        p = tmp_path/f'{i}.png'; Image.fromarray(a).save(p); paths.append(p)
    for i in (0, 5, 29):  # re-encoded, resized reposts of three pictures
        p = tmp_path/f'repost{i}.jpg'; Image.fromarray(base[i]).resize((64, 64)).save(p, quality=80); paths.append(p)
    hashes, ok, bad = compute_dhashes(paths)
    assert ok.all() and not bad
    groups = repost_groups(hashes, 6)
    assert groups[30] == groups[0] and groups[31] == groups[5] and groups[32] == groups[29]
    ids = np.arange(1, len(paths) + 1); created = np.r_[np.arange(30), [100, 101, 102]]  # reposts uploaded later
    split, rep = split_items(ids, created, 'time', groups=groups)
    assert split[30] == split[0] and split[31] == split[5] and split[32] == split[29]
    assert rep['repost_groups'] == 3 and rep['items_moved'] >= 2
