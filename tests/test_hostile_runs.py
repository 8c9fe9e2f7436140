"""Run folders are untrusted input: a model.keras holding a Lambda layer or a class tagsim did not register is refused
with one clear line (Keras safe_mode), and its code never runs."""
import json
import pytest
from conftest import run_cli

def run_folder(root, model):
    "A run folder whose files are all present and well-formed, with the given model."
    root.mkdir(parents=True)
    model.save(root/'model.keras')
    (root/'vocab.json').write_text(json.dumps({'tags': ['a', 'b'], 'counts': [5, 5]}))
    (root/'thresholds.json').write_text(json.dumps({'a': 0.5, 'b': 0.5}))
    (root/'settings.json').write_text(json.dumps({'options': {'arch': 'small-cnn', 'resize_mode': 'pad'}, 'settings': {}}))
    (root/'split.json').write_text('{}')
    return root

def test_lambda_layer_is_refused_and_never_runs(tmp_path):
    import keras
    marker, where = tmp_path/'pwned', str(tmp_path/'pwned')
    inp = keras.Input((4,))
    out = keras.layers.Lambda(lambda x, where=where: x * 0 + float(len(open(where, 'w').name)))(inp)
    run = run_folder(tmp_path/'run', keras.Model(inp, keras.layers.Dense(2, name='tags')(out)))
    marker.unlink(missing_ok=True)  # building the model above called the lambda once
    from tagsim.predict import load_run
    from tagsim.run_folder import RunError
    with pytest.raises(RunError, match='cannot load'): load_run(run)
    assert not marker.exists()
    from PIL import Image
    (tmp_path/'imgs').mkdir()
    Image.new('RGB', (8, 8)).save(tmp_path/'imgs'/'x.png')
    r = run_cli('predict', '--run', run, tmp_path/'imgs', check=False)
    assert r.returncode == 2 and 'cannot load' in r.stderr and 'Traceback' not in r.stderr and not marker.exists()

def test_unregistered_custom_layer_is_refused(tmp_path):
    import keras
    class Sneaky(keras.layers.Layer):
        def call(self, x): return x
    inp = keras.Input((4,))
    run = run_folder(tmp_path/'run', keras.Model(inp, keras.layers.Dense(2, name='tags')(Sneaky()(inp))))
    from tagsim.predict import load_run
    from tagsim.run_folder import RunError
    with pytest.raises(RunError, match='cannot load'): load_run(run)
