"""The pretrained backbone: the torch-free reader against files written by real PyTorch, hostile pickles, the
Lite0 registry entry, and the settings that choose the model."""
import os, pickle, zipfile
from pathlib import Path
import numpy as np
import pytest
from conftest import make_image_scrape, run_cli
from tagsim.torchpickle import WeightsError
from tagsim.torchweights import read_torch_weights, LEGACY_MAGIC

DATA = Path(__file__).parent/'data'

@pytest.mark.parametrize('name', ['tiny_legacy.pth', 'tiny_zip.pth'])
def test_reader_matches_pytorch(name):
    "Both formats, written by torch 2.13: float, half, bfloat16, int64, bool, a transposed and a sliced view."
    got, want = read_torch_weights(DATA/name), np.load(DATA/'tiny_expected.npz', allow_pickle=False)
    assert sorted(got) == sorted(want.files)
    for k in want.files:
        assert got[k].dtype == want[k].dtype and np.array_equal(got[k], want[k]), k

def evil_payload(marker):
    class Evil:
        def __reduce__(self): return (os.system, (f'touch {marker}',))
    return pickle.dumps(Evil(), protocol=2)

def test_crafted_pickles_run_nothing(tmp_path):
    marker = tmp_path/'marker'
    legacy = tmp_path/'legacy.pth'; legacy.write_bytes(pickle.dumps(LEGACY_MAGIC, protocol=2) + evil_payload(marker))
    bare = tmp_path/'bare.pth'; bare.write_bytes(evil_payload(marker))
    zipped = tmp_path/'zipped.pth'
    with zipfile.ZipFile(zipped, 'w') as z: z.writestr('archive/data.pkl', evil_payload(marker))
    for f in (legacy, bare, zipped):
        with pytest.raises(WeightsError, match='refused to load posix.system'): read_torch_weights(f)
    # through the command line, as a user's --weights file
    db = make_image_scrape(tmp_path, 40)
    r = run_cli('train', '--db', db, '--work-dir', tmp_path/'w', '--weights', zipped, '--image-size', '32', check=False,
                env={'TAGSIM_MIN_TAG_OCCURRENCES': '3'})
    assert r.returncode == 2 and 'refused to load posix.system' in r.stderr and 'Traceback' not in r.stderr
    assert not marker.exists()

def test_lite0_unfreeze_top_and_torch_file(tmp_path):
    "unfreeze_top works on Lite0's blocks (its head conv counts as the last block); a PyTorch file loads like 'imagenet'."
    from tagsim.tagger import build_tagger
    from tagsim.models import build_backbone
    from tagsim.torchweights import lite0_imagenet_file
    t = build_tagger('efficientnet-lite0', 3, weights='imagenet', image_size=64, unfreeze_top=2)
    trainable = {l.name.split('_')[0] for l in t.get_layer('efficientnet_lite0').layers if l.trainable and l.weights}
    assert trainable == {'block7a', 'top'}
    a = build_backbone('efficientnet-lite0', 'imagenet', 64)
    b = build_backbone('efficientnet-lite0', lite0_imagenet_file(), 64)
    assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))

def test_settings_choose_the_model(tmp_path):
    db = make_image_scrape(tmp_path, 40)
    r = run_cli('train', '--db', db, '--work-dir', tmp_path/'w', check=False, env={'TAGSIM_MODEL_ARCHITECTURE': 'vgg16'})
    assert r.returncode == 2 and "settings field 'model_architecture'" in r.stderr and 'efficientnet-lite0' in r.stderr
    (tmp_path/'tagsim.toml').write_text('image_size = 8\n')
    r = run_cli('train', '--db', db, '--work-dir', tmp_path/'w', '--config', tmp_path/'tagsim.toml', check=False)
    assert r.returncode == 2 and "settings field 'image_size'" in r.stderr
    out = run_cli('config', '--json', env={'TAGSIM_MODEL_ARCHITECTURE': 'small-cnn', 'TAGSIM_IMAGE_SIZE': '48'}).stdout
    assert '"model_architecture": "small-cnn"' in out and '"image_size": 48' in out
    (tmp_path/'tagsim.toml').write_text('model_architecture = "small-cnn"\nimage_size = 32\n')
    r = run_cli('train', '--db', db, '--work-dir', tmp_path/'w', '--config', tmp_path/'tagsim.toml', '--epochs', '1',
                '--no-baseline', '--out', tmp_path/'run', env={'TAGSIM_MIN_TAG_OCCURRENCES': '3'})
    import json
    opts = json.loads((tmp_path/'run/settings.json').read_text())['options']
    assert (opts['arch'], opts['image_size'], opts['weights'], opts['mode']) == ('small-cnn', 32, None, 'finetune')
