"""The Keras-style API on a CUDA GPU (CuPy): layers, optimizers and training give the CPU's
numbers; files and devices mix freely. Skipped without a GPU."""

import numpy as np
import pytest

import tinynet as tn
from tinynet.backend import asnumpy, gpu_available, to_device
from tinynet.callbacks import GradientStats
from tinynet.layers import (
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Conv2DTranspose,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    MaxPooling2D,
    Reshape,
    UpSampling2D,
    ZeroPadding2D,
    functional_call,
)
from tinynet.models import Sequential, load_model
from tinynet.optimizers import SGD, Adagrad, Adam, RMSprop

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not gpu_available(), reason="needs a CUDA GPU (CuPy)"),
]

LAYERS = [
    lambda: Dense(5, activation="tanh"),
    lambda: Conv2D(3, 3, padding="same", activation="relu"),
    lambda: Conv2D(3, 4, strides=2, padding="same"),
    lambda: Conv2DTranspose(2, 3, strides=2, padding="same"),
    lambda: MaxPooling2D(3, strides=2, padding="same"),
    lambda: AveragePooling2D(2, padding="same"),
    lambda: UpSampling2D(2),
    lambda: ZeroPadding2D(1),
    lambda: BatchNormalization(),
    lambda: LeakyReLU(),
    lambda: Activation("softmax"),
    lambda: Flatten(),
    lambda: Reshape((-1,)),
]


@pytest.mark.parametrize("make", LAYERS)
def test_layer_forward_and_backward_match_cpu(make):
    x = np.random.default_rng(0).normal(size=(4, 2, 5, 5))
    results = []
    for device in ("cpu", "gpu"):
        tn.seed(0)
        layer = make()
        shape = (2, 5, 5) if not isinstance(layer, Dense) else (2, 5, 5)
        layer.build(shape, dtype="float64")
        layer.to(device)
        ws = [tn.Tensor(w.data, requires_grad=True) for w in layer.weights]
        xt = tn.Tensor(to_device(x, device), requires_grad=True)
        y = functional_call(layer, ws, xt, training=True)
        assert y.device == device
        gy = np.random.default_rng(1).normal(size=y.shape)
        y.backward(to_device(gy, device))
        results.append(
            [asnumpy(y.data), asnumpy(xt.grad)]
            + [asnumpy(w.grad) for w in ws if w.grad is not None]
        )
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize(
    "make",
    [
        lambda: SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda: Adam(0.01, amsgrad=True, clipnorm=0.5),
        lambda: RMSprop(0.01, clipvalue=0.3),
        lambda: Adagrad(0.1),
    ],
)
def test_optimizers_match_cpu(make):
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=(6, 3)).astype("float32")
    grads = [rng.normal(size=(6, 3)).astype("float32") for _ in range(4)]
    out = []
    for device in ("cpu", "gpu"):
        p, opt = tn.Tensor(to_device(p0.copy(), device), requires_grad=True), make()
        for g in grads:
            p.grad = to_device(g, device)
            opt.step([p])
        assert p.device == device and p.dtype == np.float32
        out.append(asnumpy(p.data))
    np.testing.assert_allclose(out[0], out[1], rtol=1e-5, atol=1e-6)


def convnet():
    """No Dropout: CuPy's generator draws other masks than NumPy's."""
    tn.seed(0)
    return Sequential(
        [
            Conv2D(4, 3, padding="same", activation="relu", input_shape=(1, 8, 8)),
            BatchNormalization(),
            MaxPooling2D(2),
            Flatten(),
            Dense(16, activation="tanh"),
            Dense(3, activation="softmax"),
        ]
    )


def test_dropout_on_gpu_draws_on_the_gpu():
    tn.seed(0)
    y = Dropout(0.5)(to_device(np.ones((100, 100), "float32"), "gpu"), training=True)
    assert y.device == "gpu" and 0.45 < float((y.data == 0).mean()) < 0.55


def data(n=64):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 1, 8, 8)).astype("float32"), rng.integers(0, 3, n)


def test_fit_on_gpu_matches_cpu_with_callbacks_and_class_weight():
    x, y = data()
    runs = []
    for device in ("cpu", "gpu"):
        model = convnet().to(device)
        model.compile(
            Adam(0.01, clipnorm=1.0), "sparse_categorical_crossentropy", metrics=["accuracy"]
        )
        stats = GradientStats(every=2)
        tn.seed(3)
        h = model.fit(
            x,
            y,
            batch_size=16,
            epochs=2,
            validation_split=0.25,
            class_weight={0: 2.0},
            callbacks=[stats],
            verbose=0,
        )
        assert all(type(v) is float for vs in h.history.values() for v in vs)
        assert all(w.device == device for w in model.weights)
        runs.append((model.get_weights(), h.history, stats.history))
    for a, b in zip(runs[0][0], runs[1][0]):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)
    for k in runs[0][1]:
        np.testing.assert_allclose(runs[0][1][k], runs[1][1][k], rtol=1e-3, atol=1e-4)


def test_move_between_devices_mid_training_and_files(tmp_path):
    x, y = data()
    a, b = convnet(), convnet()
    for m in (a, b):
        m.compile(SGD(0.05, momentum=0.9), "sparse_categorical_crossentropy")
        m.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    b.to("gpu")  # moves the momentum too
    assert all(
        s["velocity"].__class__.__module__.startswith("cupy") for s in b.optimizer.state.values()
    )
    for m in (a, b):
        tn.seed(1)
        m.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-4, atol=1e-5)
    b.save(tmp_path / "gpu.tnz")
    loaded = load_model(tmp_path / "gpu.tnz")
    assert loaded.device == "cpu"
    np.testing.assert_allclose(loaded.predict(x), b.predict(x), rtol=1e-5, atol=1e-6)
    loaded.to("gpu").fit(x, y, epochs=1, verbose=0)


def test_binary_fused_loss_and_predict_on_gpu():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    tn.seed(0)
    model = Sequential(
        [Dense(8, activation="relu", input_shape=(4,)), Dense(1, activation="sigmoid")]
    ).to("gpu")
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=3, verbose=0)
    loss, acc = model.evaluate(x, y, verbose=0)
    p = model.predict(x)
    assert isinstance(p, np.ndarray) and p.shape == (32, 1) and 0 <= p.min() and p.max() <= 1
    assert acc == pytest.approx(((p[:, 0] > 0.5) == y).mean())
