"""Backbones and hardware: the multi-device path on two logical CPUs, mixed precision, weights files."""
import subprocess, sys, textwrap
import numpy as np
import pytest

def run_py(code):
    r = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], capture_output=True, text=True, env={**__import__('os').environ, 'TF_CPP_MIN_LOG_LEVEL': '2'})
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout

def test_mirrored_strategy_on_two_logical_cpus():
    out = run_py("""
        import tensorflow as tf, numpy as np, keras
        cpu = tf.config.list_physical_devices('CPU')[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from tagsim.hardware import get_strategy
        from tagsim.tagger import build_tagger
        s = get_strategy()
        print(type(s).__name__, s.num_replicas_in_sync)
        with s.scope():
            m = build_tagger('small-cnn', 3, image_size=32, embedding_dim=8, freeze_backbone=False)
            m.compile(optimizer='adam', loss='binary_crossentropy')
        h = m.fit(np.random.rand(16, 32, 32, 3).astype('float32') * 255, (np.random.rand(16, 3) > 0.5).astype('float32'), epochs=1, batch_size=8, verbose=0)
        print('loss', np.isfinite(h.history['loss'][0]))
    """)
    assert 'MirroredStrategy 2' in out and 'loss True' in out

def test_multiworker_when_tf_config(monkeypatch):
    out = run_py("""
        import os, json
        os.environ['TF_CONFIG'] = json.dumps({'cluster': {'worker': ['localhost:1', 'localhost:2']}, 'task': {'type': 'worker', 'index': 0}})
        from tagsim.hardware import get_strategy
        import tensorflow as tf
        orig = tf.distribute.MultiWorkerMirroredStrategy
        tf.distribute.MultiWorkerMirroredStrategy = lambda *a, **k: 'multi-worker'  # do not start a real cluster
        print(get_strategy())
    """)
    assert 'multi-worker' in out

def test_mixed_precision_keeps_output_float32():
    out = run_py("""
        import keras
        keras.mixed_precision.set_global_policy('mixed_float16')
        from tagsim.tagger import build_tagger
        m = build_tagger('small-cnn', 4, image_size=32)
        print(m.get_layer('embedding').compute_dtype, m.output.dtype)
    """)
    assert out.split() == ['float16', 'float32']

def test_weights_file_round_trip_and_wrong_file(tmp_path):
    from tagsim.models import build_backbone, WeightsError
    a = build_backbone('efficientnetv2-b0', None, 64)
    a.save_weights(tmp_path/'b0.weights.h5')
    b = build_backbone('efficientnetv2-b0', tmp_path/'b0.weights.h5', 64)
    for x, y in zip(a.get_weights(), b.get_weights()): np.testing.assert_array_equal(x, y)
    with pytest.raises(WeightsError, match='does not fit convnext-tiny'): build_backbone('convnext-tiny', tmp_path/'b0.weights.h5', 64)
    (tmp_path/'junk.weights.h5').write_bytes(b'not hdf5')
    with pytest.raises(WeightsError, match='junk.weights.h5'): build_backbone('efficientnetv2-b0', tmp_path/'junk.weights.h5', 64)
