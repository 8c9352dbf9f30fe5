"""Sequential: building, summary, compile, fused losses, targets, fit (arrays and iterators),
evaluate/predict, trainable, dtype, devices, the lecture's GAN code, and a real MNIST run."""

import math
import os

import numpy as np
import pytest

import tinynet as tn
from tinynet.backend import gpu_available
from tinynet.gradcheck import check_grad
from tinynet.layers import (
    Activation,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPooling2D,
    reset_names,
)
from tinynet.models import Sequential
from tinynet.optimizers import SGD, Adam


def lenet():
    return Sequential(
        [
            Conv2D(20, kernel_size=5, padding="same", activation="relu", input_shape=(1, 28, 28)),
            MaxPooling2D(pool_size=(2, 2)),
            Conv2D(50, kernel_size=5, padding="same", activation="relu"),
            MaxPooling2D(pool_size=(2, 2)),
            Flatten(),
            Dense(500, activation="relu"),
            Dense(10, activation="softmax"),
        ]
    )


def blobs(n=120, k=3, d=4, seed=0):
    """k well-separated Gaussian clusters in d dimensions: (x float32 (n, d), labels (n,))."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, d)) * 4
    labels = rng.integers(0, k, n)
    return (centers[labels] + rng.normal(size=(n, d))).astype("float32"), labels


def mlp(k=3, d=4, out="softmax", **kwargs):
    tn.seed(0)
    return Sequential(
        [Dense(16, activation="tanh", input_shape=(d,)), Dense(k, activation=out)], **kwargs
    )


def onehot(labels, k):
    return np.eye(k, dtype="float32")[labels]


# ----- structure -----
LENET_SUMMARY = """\
_________________________________________________________________
Layer (type)                 Output Shape              Param #   
=================================================================
conv2d_1 (Conv2D)            (None, 20, 28, 28)        520       
_________________________________________________________________
max_pooling2d_1 (MaxPooling2 (None, 20, 14, 14)        0         
_________________________________________________________________
conv2d_2 (Conv2D)            (None, 50, 14, 14)        25050     
_________________________________________________________________
max_pooling2d_2 (MaxPooling2 (None, 50, 7, 7)          0         
_________________________________________________________________
flatten_1 (Flatten)          (None, 2450)              0         
_________________________________________________________________
dense_1 (Dense)              (None, 500)               1225500   
_________________________________________________________________
dense_2 (Dense)              (None, 10)                5010      
=================================================================
Total params: 1,256,080
Trainable params: 1,256,080
Non-trainable params: 0
_________________________________________________________________"""


def test_lenet_param_count_and_keras_summary():
    reset_names()
    model = lenet()
    assert model.count_params() == 1_256_080
    lines = []
    model.summary(print_fn=lines.append)
    assert "\n".join(lines) == LENET_SUMMARY
    assert model.output_shape == (10,) and model.input_shape == (1, 28, 28)


def test_summary_counts_non_trainable_weights():
    model = Sequential([Dense(8, input_shape=(4,)), BatchNormalization(), Dense(2)])
    lines = []
    model.summary(print_fn=lines.append)
    assert (
        "Total params: 90" in lines
        and "Trainable params: 74" in lines
        and "Non-trainable params: 16" in lines
    )
    model.layers[0].trainable = False
    model.summary(print_fn=lines.append)
    assert lines[-2] == "Non-trainable params: 56"


def test_add_reports_shape_mismatch_at_build_time():
    model = Sequential([Dense(8, input_shape=(4,))])
    other = Dense(3)
    other.build((5,))
    with pytest.raises(ValueError, match=r"dense.*expected input shape \(None, 5\).*\(None, 8\)"):
        model.add(other)
    with pytest.raises(ValueError, match=r"\(C, H, W\).*\(None, 8\)"):
        model.add(Conv2D(3, 3))
    assert len(model.layers) == 1
    with pytest.raises(TypeError, match="expected a Layer"):
        model.add("dense")


def test_model_without_input_shape_builds_from_data():
    model = Sequential([Dense(3), Activation("softmax")])
    with pytest.raises(ValueError, match="input shape is unknown"):
        model.summary()
    assert model.predict(np.zeros((2, 7), "float32")).shape == (2, 3)
    assert model.input_shape == (7,)
    with pytest.raises(ValueError, match=r"expected input shape \(None, 7\).*\(2, 6\)"):
        model.predict(np.zeros((2, 6), "float32"))


# ----- compile, losses, targets -----
def test_compile_errors():
    model = mlp()
    with pytest.raises(RuntimeError, match="compile the model first"):
        model.fit(*blobs(), verbose=0)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        model.compile("sgd", "hinge")
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        model.compile("sgd", "mse", metrics=["f1"])
        model.metrics_names


def test_categorical_crossentropy_with_integer_labels_is_a_clear_error():
    model = mlp()
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    x, labels = blobs()
    for y in (labels, labels[:, None]):
        with pytest.raises(ValueError, match="one-hot.*sparse_categorical_crossentropy"):
            model.fit(x, y, verbose=0)


def test_sparse_labels_train_like_one_hot():
    x, labels = blobs()
    results = []
    for loss, y in (
        ("sparse_categorical_crossentropy", labels),
        ("sparse_categorical_crossentropy", labels[:, None]),
        ("categorical_crossentropy", onehot(labels, 3)),
    ):
        model = mlp()
        model.compile(SGD(0.1), loss, metrics=["accuracy"])
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        results.append(model.get_weights())
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_allclose(a, b, rtol=1e-6)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        model = mlp()
        model.compile("sgd", "sparse_categorical_crossentropy")
        model.fit(x, labels + 1, verbose=0)


def test_fused_softmax_loss_is_exact_where_probabilities_underflow():
    """Training/evaluation use the logits: the loss of a confidently wrong model is its true value,
    not the -log(1e-7) = 16.1 that clipped probabilities give; predict still returns probabilities."""
    model = Sequential([Dense(2, input_shape=(1,), use_bias=False), Activation("softmax")])
    model.compile("sgd", "categorical_crossentropy")
    model.set_weights([np.array([[100.0, -100.0]], "float32")])
    x, y = np.ones((4, 1), "float32"), onehot(np.ones(4, int), 2)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(200.0, rel=1e-5)
    p = model.predict(x)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    assert p[0, 1] < 1e-40 or p[0, 1] == 0
    unfused = Sequential([Dense(2, input_shape=(1,), use_bias=False), Activation("softmax")])
    unfused.compile("sgd", "mse")  # same layers, loss on probabilities: no fusion
    assert unfused._fused() is None and model._fused() == "softmax"


def test_fused_sigmoid_binary_loss_is_exact_and_finite():
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(1,), use_bias=False)])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    model.set_weights([np.array([[60.0]], "float32")])
    loss, acc = model.evaluate(np.ones((3, 1), "float32"), np.zeros(3), verbose=0)
    assert loss == pytest.approx(60.0, rel=1e-5) and acc == 0.0


def test_fused_and_unfused_losses_agree_on_moderate_logits():
    x, labels = blobs(40)
    model = mlp()
    model.compile("sgd", "categorical_crossentropy")
    p = model.predict(x).astype(float)
    manual = -np.log(p[np.arange(40), labels]).mean()
    assert model.evaluate(x, onehot(labels, 3), verbose=0) == pytest.approx(manual, rel=1e-5)


def test_binary_targets_shapes_and_range():
    model = mlp(k=1, out="sigmoid")
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    x, labels = blobs(60, k=2)
    model.fit(x, labels, verbose=0, epochs=1)  # (N,) accepted for a single output
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        model.fit(x, labels * 2.0, verbose=0)
    with pytest.raises(ValueError, match=r"targets of shape \(60, 2\) do not match.*\(None, 1\)"):
        model.fit(x, onehot(labels, 2), verbose=0)


def test_accuracy_picks_the_right_variant():
    x, labels = blobs(60, k=2)
    binary = mlp(k=1, out="sigmoid")
    binary.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    p = binary.predict(x)[:, 0]
    assert binary.evaluate(x, labels, verbose=0)[1] == pytest.approx(((p > 0.5) == labels).mean())
    cat = mlp(k=2)
    cat.compile("sgd", "categorical_crossentropy", metrics=["acc"])
    p = cat.predict(x)
    assert cat.evaluate(x, onehot(labels, 2), verbose=0)[1] == pytest.approx(
        (p.argmax(1) == labels).mean()
    )
    assert cat.metrics_names == ["loss", "acc"]


def test_class_weight_weights_each_sample_like_keras():
    x, labels = blobs(30, k=2)
    model = mlp(k=2)
    model.compile(SGD(0.0), "categorical_crossentropy")
    y = onehot(labels, 2)
    p = model.predict(x).astype(float)
    per_sample = -np.log(p[np.arange(30), labels])
    w = np.where(labels == 1, 5.0, 1.0)
    h = model.fit(
        x, y, batch_size=30, epochs=1, class_weight={0: 1.0, 1: 5.0}, verbose=0, shuffle=False
    )
    assert h.history["loss"][0] == pytest.approx((w * per_sample).mean(), rel=1e-5)
    # unit class weights give exactly the unweighted training
    a, b = mlp(k=2), mlp(k=2)
    for m, cw in ((a, None), (b, {0: 1.0, 1: 1.0})):
        m.compile(SGD(0.5), "categorical_crossentropy")
        m.fit(x, y, batch_size=10, epochs=2, class_weight=cw, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-7)


def test_class_weight_on_binary_logits_path_matches_gradient_check():
    from tinynet.training import losses

    z = np.random.default_rng(0).normal(size=(6, 1))
    t = np.array([[0.0], [1.0], [1.0], [0.0], [1.0], [0.0]])
    w = np.array([1.0, 2.0, 0.5, 1.0, 3.0, 0.0])
    loss = losses.BinaryCrossentropy()
    value = loss.from_logits(tn.Tensor(z), t, w).item()
    per = np.logaddexp(0, z[:, 0]) - z[:, 0] * t[:, 0]
    assert value == pytest.approx((w * per).mean())
    check_grad(lambda z: loss.from_logits(z, t, w), [z])
    check_grad(
        lambda z: losses.CategoricalCrossentropy().from_logits(z, np.eye(3)[[0, 2, 1, 1, 0, 2]], w),
        [np.random.default_rng(1).normal(size=(6, 3))],
    )


# ----- fit -----
def test_fit_learns_and_returns_history():
    x, labels = blobs(200)
    model = mlp()
    model.compile(Adam(0.05), "categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, onehot(labels, 3), batch_size=32, epochs=5, validation_split=0.25, verbose=0)
    assert set(h.history) == {"loss", "acc", "val_loss", "val_acc"} and h.epoch == [0, 1, 2, 3, 4]
    assert h.history["loss"][-1] < h.history["loss"][0] and h.history["val_acc"][-1] > 0.9
    assert model.history is h


def test_validation_split_holds_out_the_last_fraction():
    x, labels = blobs(50)
    y = onehot(labels, 3)
    model = mlp()
    model.compile(SGD(0.0), "categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, validation_split=0.2, epochs=1, verbose=0)
    loss, acc = model.evaluate(x[40:], y[40:], verbose=0)
    assert h.history["val_loss"][0] == pytest.approx(loss) and h.history["val_acc"][0] == acc
    assert h.history["loss"][0] == pytest.approx(
        model.evaluate(x[:40], y[:40], verbose=0)[0], rel=1e-5
    )


def test_training_is_deterministic_under_seed():
    x, labels = blobs(64)
    runs = []
    for _ in range(2):
        tn.seed(5)
        model = Sequential(
            [
                Dense(8, activation="relu", input_shape=(4,)),
                Dropout(0.3),
                Dense(3, activation="softmax"),
            ]
        )
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x, labels, batch_size=8, epochs=2, verbose=0)
        runs.append(model.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_initial_epoch_and_stop_training():
    x, labels = blobs(40)
    model = mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    h = model.fit(x, labels, epochs=4, initial_epoch=2, verbose=0)
    assert h.epoch == [2, 3]


class Batches:
    """An infinite iterator of (x, y) batches with len() and close(), like ImageDataGenerator.flow."""

    def __init__(self, x, y, batch_size, fail_at=None):
        self.x, self.y, self.bs, self.i, self.closed, self.fail_at = (
            x,
            y,
            batch_size,
            0,
            False,
            fail_at,
        )

    def __len__(self):
        return math.ceil(len(self.x) / self.bs)

    def __iter__(self):
        return self

    def __next__(self):
        if self.fail_at is not None and self.i == self.fail_at:
            raise RuntimeError("disk on fire")
        j = (self.i % len(self)) * self.bs
        self.i += 1
        return self.x[j : j + self.bs], self.y[j : j + self.bs]

    def close(self):
        self.closed = True


def test_fit_on_an_iterator_matches_arrays_and_closes_it():
    x, labels = blobs(60)
    a, b = mlp(), mlp()
    for m in (a, b):
        m.compile(SGD(0.2), "sparse_categorical_crossentropy", metrics=["accuracy"])
    a.fit(x, labels, batch_size=20, epochs=2, shuffle=False, verbose=0)
    it, val = Batches(x, labels, 20), Batches(x, labels, 30)
    h = b.fit_generator(it, epochs=2, validation_data=val, verbose=0)
    assert it.i == 6 and it.closed and val.closed and val.i == 4
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6)
    assert h.history["val_acc"][-1] == pytest.approx(b.evaluate(x, labels, verbose=0)[1])
    it2 = Batches(x, labels, 20)
    b.fit(it2, steps_per_epoch=2, epochs=1, verbose=0)
    assert it2.i == 2


def test_iterator_is_closed_when_fit_fails():
    x, labels = blobs(60)
    model = mlp()
    model.compile("sgd", "sparse_categorical_crossentropy")
    it = Batches(x, labels, 20, fail_at=2)
    with pytest.raises(RuntimeError, match="disk on fire"):
        model.fit(it, epochs=1, verbose=0)
    assert it.closed
    gen = ((x[:10], labels[:10]) for _ in range(3))
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(gen, verbose=0)


def test_train_and_test_on_batch():
    x, labels = blobs(16)
    model = mlp()
    model.compile(SGD(0.5), "sparse_categorical_crossentropy", metrics=["accuracy"])
    before = model.test_on_batch(x, labels)
    for _ in range(20):
        loss, acc = model.train_on_batch(x, labels)
    after = model.test_on_batch(x, labels)
    assert len(before) == 2 and after[0] < before[0] and 0 <= acc <= 1
    model.compile("sgd", "sparse_categorical_crossentropy")
    assert isinstance(model.train_on_batch(x, labels), float)
    assert model.predict_classes(x).shape == (16,)


# ----- trainable, nested models: the lecture's GAN -----
def lecture_gan():
    """The lecture's generator_model / discriminator_model (Keras 1 spellings), imports changed."""
    import warnings

    from tinynet.layers import (
        Activation,
        BatchNormalization,
        Convolution2D,
        Dense,
        Flatten,
        MaxPooling2D,
        Reshape,
        UpSampling2D,
    )

    def generator_model():
        model = Sequential()
        model.add(Dense(input_dim=100, output_dim=1024))
        model.add(Activation("tanh"))
        model.add(Dense(128 * 7 * 7))
        model.add(BatchNormalization())
        model.add(Activation("tanh"))
        model.add(Reshape((128, 7, 7), input_shape=(128 * 7 * 7,)))
        model.add(UpSampling2D(size=(2, 2)))
        model.add(Convolution2D(64, 5, 5, border_mode="same"))
        model.add(Activation("tanh"))
        model.add(UpSampling2D(size=(2, 2)))
        model.add(Convolution2D(1, 5, 5, border_mode="same"))
        model.add(Activation("tanh"))
        return model

    def discriminator_model():
        model = Sequential()
        model.add(Convolution2D(64, 5, 5, border_mode="same", input_shape=(1, 28, 28)))
        model.add(Activation("tanh"))
        model.add(MaxPooling2D(pool_size=(2, 2)))
        model.add(Convolution2D(128, 5, 5))
        model.add(Activation("tanh"))
        model.add(MaxPooling2D(pool_size=(2, 2)))
        model.add(Flatten())
        model.add(Dense(1024))
        model.add(Activation("tanh"))
        model.add(Dense(1))
        model.add(Activation("sigmoid"))
        return model

    def generator_containing_discriminator(generator, discriminator):
        model = Sequential()
        model.add(generator)
        discriminator.trainable = False
        model.add(discriminator)
        return model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return generator_model(), discriminator_model(), generator_containing_discriminator


def test_lecture_gan_builds_and_trains_each_player_alone():
    tn.seed(0)
    generator, discriminator, combine = lecture_gan()
    discriminator_on_generator = combine(generator, discriminator)
    assert generator.output_shape == (1, 28, 28) and discriminator.output_shape == (1,)
    assert discriminator.layers[6].input_shape == (128, 5, 5)
    assert discriminator_on_generator.output_shape == (1,)
    BATCH_SIZE = 4
    d_optim = SGD(lr=0.0005, momentum=0.9, nesterov=True)
    g_optim = SGD(lr=0.0005, momentum=0.9, nesterov=True)
    generator.compile(loss="binary_crossentropy", optimizer="SGD")
    discriminator_on_generator.compile(loss="binary_crossentropy", optimizer=g_optim)
    discriminator.trainable = True
    discriminator.compile(loss="binary_crossentropy", optimizer=d_optim)

    image_batch = np.random.uniform(-1, 1, (BATCH_SIZE, 1, 28, 28)).astype("float32")
    noise = np.random.uniform(-1, 1, (BATCH_SIZE, 100))
    generated_images = generator.predict(noise, verbose=0)
    assert generated_images.shape == (BATCH_SIZE, 1, 28, 28) and np.abs(generated_images).max() <= 1
    X = np.concatenate((image_batch, generated_images))
    y = [1] * BATCH_SIZE + [0] * BATCH_SIZE
    g_before = generator.get_weights()
    d_loss = discriminator.train_on_batch(X, y)
    assert np.isfinite(d_loss)
    for a, b in zip(g_before, generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    d_before = discriminator.get_weights()
    discriminator.trainable = False
    g_loss = discriminator_on_generator.train_on_batch(noise, [1] * BATCH_SIZE)
    discriminator.trainable = True
    assert np.isfinite(g_loss)
    for a, b in zip(d_before, discriminator.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(g_before, generator.get_weights()))


def test_frozen_model_does_not_change():
    x, labels = blobs(20)
    model = Sequential(
        [Dense(4, input_shape=(4,)), BatchNormalization(), Dense(3, activation="softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.trainable = False
    before = model.get_weights()
    model.train_on_batch(x, labels)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.trainable = True
    model.layers[0].trainable = False
    model.train_on_batch(x, labels)
    after = model.get_weights()
    np.testing.assert_array_equal(before[0], after[0])
    assert not np.array_equal(before[-2], after[-2])


def test_setting_trainable_on_a_model_reaches_its_weights_at_once():
    tn.seed(0)
    x = np.random.default_rng(0).normal(size=(8, 2)).astype(np.float32)
    bn = BatchNormalization()
    own = Dense(3)
    own.trainable = False
    model = Sequential([Dense(3, input_shape=(2,)), bn, own])
    model.trainable = False
    moving = [bn.moving_mean.numpy().copy(), bn.moving_variance.numpy().copy()]
    xt = tn.Tensor(x, requires_grad=True)
    # squared: the batch sum of a batch-normalised output is constant in x, so .sum() would
    # leave only rounding noise in x's gradient
    out = model(xt, training=True)
    (out * out).sum().backward()
    np.testing.assert_array_equal(moving[0], bn.moving_mean.numpy())
    np.testing.assert_array_equal(moving[1], bn.moving_variance.numpy())
    assert all(w.grad is None and not w.requires_grad for w in model.weights)
    assert xt.grad is not None and np.abs(xt.grad).sum() > 0
    model.trainable = True  # each layer's own flag again: `own` stays frozen
    assert [w.requires_grad for w in model.weights] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    model(x, training=True).sum().backward()
    assert not np.array_equal(moving[0], bn.moving_mean.numpy())
    assert model.layers[0].kernel.grad is not None and own.kernel.grad is None


def test_a_frozen_model_freezes_what_it_contains_and_what_is_added_later():
    inner = Sequential([Dense(3, input_shape=(2,))])
    inner.trainable = False
    outer = Sequential([inner])
    outer.trainable = False
    outer.add(Dense(2))
    assert not any(w.requires_grad for w in outer.weights)
    outer.trainable = True
    assert not any(w.requires_grad for w in inner.weights)
    assert all(w.requires_grad for w in outer.layers[1].weights)


# ----- dtype and devices -----
def test_float64_model_gradients_check_end_to_end():
    tn.seed(0)
    layers = lambda: [
        Conv2D(2, 3, padding="same", activation="tanh", input_shape=(1, 5, 5)),
        MaxPooling2D(2),
        Flatten(),
        Dense(3, activation="softmax"),
    ]
    model = Sequential(layers())
    model.build(dtype="float64")  # converts the float32 weights
    assert all(w.dtype == np.float64 for w in model.weights) and model.dtype == np.float64
    assert all(w.dtype == np.float64 for w in Sequential(layers(), dtype="float64").weights)
    x = np.random.default_rng(0).normal(size=(2, 1, 5, 5))
    check_grad(lambda x: model(x, training=True), [x])
    model.compile("sgd", "categorical_crossentropy")
    assert model.predict(x).dtype == np.float64


@pytest.mark.skipif(gpu_available(), reason="checks the error on a machine without a GPU")
def test_to_gpu_without_gpu_is_a_clear_error():
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        mlp().to("gpu")


@pytest.mark.skipif(not gpu_available(), reason="needs a CUDA GPU")
def test_gpu_training_matches_cpu():
    x, labels = blobs(64)
    cpu, gpu = mlp(), mlp()
    gpu.to("gpu")
    for m in (cpu, gpu):
        m.compile(Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
        h = m.fit(x, labels, batch_size=16, epochs=2, shuffle=False, verbose=0)
        assert all(isinstance(v, float) for v in h.history["loss"])
    for a, b in zip(cpu.get_weights(), gpu.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(cpu.predict(x), gpu.predict(x), rtol=1e-4, atol=1e-5)
    gpu.to("cpu")
    gpu.fit(x, labels, epochs=1, verbose=0)


# ----- real data -----
@pytest.fixture(scope="module")
def mnist_small():
    root = os.environ.get("TINYNET_DATA")
    if not root or not os.path.exists(os.path.join(root, "mnist", "t10k-images-idx3-ubyte.gz")):
        pytest.skip("TINYNET_DATA is unset or holds no mnist/ files")
    from tinynet.datasets import mnist

    (x, y), (xt, yt) = mnist.load_data(root, download=False)
    return (
        (x[:2000, None] / 255).astype("float32"),
        y[:2000],
        (xt[:1000, None] / 255).astype("float32"),
        yt[:1000],
    )


def test_mnist_2000_images_well_above_chance(mnist_small):
    x, y, xt, yt = mnist_small
    tn.seed(0)
    model = Sequential(
        [
            Flatten(input_shape=(1, 28, 28)),
            Dense(128, activation="relu"),
            Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, onehot(y, 10), batch_size=64, epochs=5, verbose=0)
    loss, acc = model.evaluate(xt, onehot(yt, 10), verbose=0)
    assert acc > 0.85, f"test accuracy {acc:.3f} after 5 epochs on 2,000 images"


def test_fit_generator_with_image_data_generator_flow():
    """The lecture's fit_generator(datagen.flow(...)): steps from len(), background loader closed."""
    from tinynet.preprocessing import ImageDataGenerator

    rng = np.random.default_rng(0)
    x = rng.random((48, 1, 8, 8)).astype("float32")
    y = onehot((x[:, 0, :4].mean(axis=(1, 2)) > x[:, 0, 4:].mean(axis=(1, 2))).astype(int), 2)
    tn.seed(0)
    model = Sequential(
        [
            Conv2D(4, 3, padding="same", activation="relu", input_shape=(1, 8, 8)),
            MaxPooling2D(2),
            Flatten(),
            Dense(2, activation="softmax"),
        ]
    )
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    flow = ImageDataGenerator(width_shift_range=0.1).flow(
        x, y, batch_size=16, seed=0, background=True
    )
    h = model.fit_generator(flow, epochs=2, validation_data=(x, y), verbose=0)
    assert len(h.history["loss"]) == 2 and flow.source.total_batches_seen == 6
    assert not flow.running  # fit closed the background loader
