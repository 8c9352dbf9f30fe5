"""fit / evaluate / predict / train_on_batch check their arguments at the door (issue 18): empty
data, sizes and counts, validation_freq honoured, unknown keywords refused, a NaN loss stops fit
saying where; BatchNorm and a last batch of one; shuffling draws a new permutation each epoch;
Dense biases train."""

import warnings

import numpy as np
import pytest

from tinynet import backend
from tinynet.layers import BatchNormalization, Dense
from tinynet.models import Sequential
from tinynet.training.trainer import Trainer


def classifier(bn=False):
    backend.seed(0)
    layers = [Dense(5, input_shape=(4,))] + ([BatchNormalization()] if bn else [])
    model = Sequential(layers + [Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def data(n=20, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype("float32"), np.eye(3, dtype="float32")[np.arange(n) % 3]


# ----- empty data and sizes -----
@pytest.mark.parametrize(
    "call",
    [
        lambda m, x, y: m.fit(x[:0], y[:0], verbose=0),
        lambda m, x, y: m.train_on_batch(x[:0], y[:0]),
        lambda m, x, y: m.test_on_batch(x[:0], y[:0]),
        lambda m, x, y: m.evaluate(x[:0], y[:0], verbose=0),
        lambda m, x, y: m.fit(x, y, validation_data=(x[:0], y[:0]), verbose=0),
    ],
)
def test_empty_data_is_refused(call):
    x, y = data()
    with pytest.raises(ValueError, match="has no samples"):
        call(classifier(), x, y)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1, got 0"),
        ({"batch_size": -1}, ValueError, "batch_size must be an integer >= 1, got -1"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be an integer >= 1, got 2.5"),
        ({"epochs": 2.5}, TypeError, "epochs must be an integer >= 0, got 2.5"),
        ({"epochs": -1}, ValueError, "epochs must be an integer >= 0, got -1"),
        ({"epochs": True}, TypeError, "epochs must be an integer"),
        ({"initial_epoch": -2}, ValueError, "initial_epoch must be"),
        ({"steps_per_epoch": 0}, ValueError, "steps_per_epoch must be an integer >= 1 or None"),
        ({"validation_freq": 0}, ValueError, "validation_freq must be an integer >= 1"),
        ({"verbose": 3}, ValueError, "verbose must be 0, 1, 2 or 'auto', got 3"),
        ({"validaton_split": 0.2}, TypeError, "unexpected keyword argument 'validaton_split'"),
    ],
)
def test_fit_names_the_bad_argument(kwargs, error, message):
    x, y = data()
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        classifier().fit(x, y, **{"verbose": 0, **kwargs})


def test_predict_and_evaluate_refuse_non_positive_batch_sizes():
    x, y = data()
    model = classifier()
    for bs in (0, -1):
        with pytest.raises(
            ValueError, match=f"predict: batch_size must be an integer >= 1, got {bs}"
        ):
            model.predict(x, batch_size=bs)
        with pytest.raises(ValueError, match="evaluate: batch_size must be an integer >= 1"):
            model.evaluate(x, y, batch_size=bs, verbose=0)
    with pytest.raises(ValueError, match="predict: steps must be"):
        model.predict(x, steps=0)


def test_epochs_zero_trains_nothing():
    x, y = data()
    model = classifier()
    before = model.get_weights()
    history = model.fit(x, y, epochs=0, verbose=0)
    assert history.history == {}
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_keras_worker_arguments_are_accepted():
    x, y = data()
    classifier().fit(x, y, verbose=0, workers=4, use_multiprocessing=True, max_queue_size=3)


@pytest.mark.parametrize("freq, validated", [(2, [2, 4]), ([1, 3], [1, 3]), (1, [1, 2, 3, 4])])
def test_validation_freq_is_honoured(freq, validated):
    x, y = data()
    seen = []
    from tinynet.callbacks import Callback

    class Record(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if "val_loss" in logs:
                seen.append(epoch + 1)

    h = classifier().fit(
        x, y, epochs=4, verbose=0, validation_split=0.25, validation_freq=freq, callbacks=[Record()]
    )
    assert seen == validated
    assert len(h.history["loss"]) == 4


def test_verbose_auto_is_two_when_stdout_is_not_a_terminal(capsys):
    x, y = data()
    classifier().fit(x, y, epochs=1, verbose="auto", batch_size=4)
    out = capsys.readouterr().out
    assert "\r" not in out and out.count("loss:") == 1


# ----- non-finite losses -----
def test_a_nan_sample_stops_fit_naming_epoch_batch_and_row():
    x, y = data()
    x[13, 2] = np.nan  # shuffle=False, batch_size 5: batch 3, row 3 of it
    model = classifier()
    with pytest.warns(
        RuntimeWarning, match=r"loss nan at epoch 1, batch 3 \(x row 3 of this batch"
    ):
        history = model.fit(x, y, batch_size=5, epochs=3, verbose=0, shuffle=False)
    assert len(history.history["loss"]) == 1 and model.stop_training


def test_stop_on_nonfinite_can_be_turned_off():
    x, y = data()
    x[0, 0] = np.inf
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with np.errstate(all="ignore"):
            history = classifier().fit(
                x, y, batch_size=5, epochs=2, verbose=0, shuffle=False, stop_on_nonfinite=False
            )
    assert len(history.history["loss"]) == 2
    assert not any("stopping training" in str(w.message) for w in record)


# ----- BatchNorm and a batch of one -----
def test_batchnorm_refuses_to_train_on_one_sample():
    x, y = data()
    model = classifier(bn=True)
    with pytest.raises(ValueError, match=r"expected more than 1 value per channel when training"):
        model.train_on_batch(x[:1], y[:1])
    assert model.predict(x[:1]).shape == (1, 3)  # inference on one sample is fine


def test_fit_merges_a_last_batch_of_one_when_the_model_has_batchnorm():
    x, y = data(9)
    model = classifier(bn=True)
    sizes = []
    from tinynet.callbacks import Callback

    class Sizes(Callback):
        def on_batch_begin(self, batch, logs=None):
            sizes.append(logs["size"])

    with pytest.warns(UserWarning, match="last batch would hold 1 sample") as record:
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[Sizes()])
    assert sum("last batch" in str(w.message) for w in record) == 1  # said once per fit
    assert sizes == [4, 5, 4, 5]
    var = model.layers[1].moving_variance.numpy()
    assert np.all(var > 0.05)


def test_without_batchnorm_a_last_batch_of_one_stays():
    x, y = data(9)
    sizes = []
    from tinynet.callbacks import Callback

    class Sizes(Callback):
        def on_batch_begin(self, batch, logs=None):
            sizes.append(logs["size"])

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        classifier().fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[Sizes()])
    assert sizes == [4, 4, 1]


# ----- shuffling -----
class Recorder(Trainer):
    metrics_names = ("loss",)
    name = "recorder"

    def __init__(self):
        self.batches = []

    def train_step(self, batch):
        self.batches.append(batch[0][:, 0].copy())
        return {"loss": np.asarray(0.0)}


def test_shuffle_draws_a_new_permutation_each_epoch_covering_every_sample_once():
    backend.seed(3)
    n, bs, epochs = 40, 8, 4
    model = Recorder()
    model.fit(np.arange(n, dtype=float)[:, None], batch_size=bs, epochs=epochs, verbose=0)
    per_epoch = [
        np.concatenate(model.batches[e * (n // bs) : (e + 1) * (n // bs)]) for e in range(epochs)
    ]
    for order in per_epoch:
        np.testing.assert_array_equal(np.sort(order), np.arange(n))  # every sample once
    assert any(not np.array_equal(order, np.arange(n)) for order in per_epoch)
    partitions = {tuple(order) for order in per_epoch}
    assert len(partitions) == epochs  # a new permutation each epoch


def test_shuffle_false_keeps_the_order():
    model = Recorder()
    model.fit(np.arange(10.0)[:, None], batch_size=4, epochs=2, verbose=0, shuffle=False)
    np.testing.assert_array_equal(np.concatenate(model.batches), np.tile(np.arange(10.0), 2))


# ----- Dense biases -----
def test_dense_bias_learns_an_offset_the_kernel_cannot():
    backend.seed(0)
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((32, 3), "float32")  # the kernel gets zero gradient: only the bias can learn
    y = np.tile(np.array([[3.0, -1.0]], "float32"), (32, 1))
    kernel = model.layers[0].kernel.numpy().copy()
    model.fit(x, y, batch_size=8, epochs=40, verbose=0)
    # mse's gradient on each bias is (b - y) (mean over the 2 outputs and the batch, times 2):
    # after k SGD steps at lr 0.01, b = y (1 - 0.99^k)
    expected = np.array([3.0, -1.0]) * (1 - 0.99**160)
    np.testing.assert_allclose(model.layers[0].bias.numpy(), expected, rtol=1e-4)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), kernel)


# ----- optimizers, losses, callbacks -----
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda o: o.Adam(epsilon=0), "Adam: epsilon must be > 0, got 0"),
        (lambda o: o.RMSprop(rho=2), r"RMSprop: rho must be in \[0, 1\), got 2"),
        (lambda o: o.RMSprop(epsilon=-1), "RMSprop: epsilon must be > 0"),
        (lambda o: o.Adagrad(epsilon=float("nan")), "Adagrad: epsilon must be > 0, got nan"),
        (lambda o: o.SGD(clipnorm=0), "SGD: clipnorm must be > 0, got 0"),
        (lambda o: o.SGD(clipvalue=0.0), "SGD: clipvalue must be > 0"),
        (lambda o: o.SGD(decay=-1), "SGD: decay must be >= 0"),
        (lambda o: o.SGD(weight_decay=float("inf")), "SGD: weight_decay must be >= 0"),
        (lambda o: o.Adam(beta_1=1.0), r"Adam: beta_1 must be in \[0, 1\), got 1.0"),
        (lambda o: o.Adam(lr=float("nan")), "Adam: learning rate must be a finite"),
        (lambda o: o.CosineDecay(0.1, decay_steps=0), "CosineDecay: decay_steps must be > 0"),
    ],
)
def test_optimizer_hyperparameters_are_checked(make, message):
    from tinynet import optimizers

    with pytest.raises(ValueError, match=message):
        make(optimizers)


def test_a_schedule_returning_nan_is_named_at_the_step():
    from tinynet.optimizers import SGD

    x, y = data()
    model = classifier()
    model.compile(
        optimizer=SGD(lr=lambda step: 0.01 if step < 2 else float("nan")),
        loss="categorical_crossentropy",
    )
    with pytest.raises(ValueError, match="schedule .* returned nan at iteration 2"):
        model.fit(x, y, batch_size=5, verbose=0)


def test_categorical_crossentropy_targets_must_be_distributions():
    x, y = data(4)
    bad = np.array([[0.5, 0.7, 0.0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], "float32")
    with pytest.raises(ValueError, match=r"row 0 is \[0\.5 +0\.7 +0\. *\] \(sum 1\.2\)"):
        classifier().fit(x, bad, verbose=0)
    with pytest.raises(ValueError, match="must be a distribution"):
        classifier().fit(x, -np.eye(3, dtype="float32")[[0, 1, 2, 0]], verbose=0)
    smoothed = np.full((4, 3), 0.05, "float32") + 0.85 * np.eye(3, dtype="float32")[[0, 1, 2, 0]]
    classifier().fit(x, smoothed, verbose=0)  # label smoothing: still distributions
    with pytest.raises(ValueError, match=r"targets hold NaN or inf \(first in row 2\)"):
        classifier().fit(x, np.where(np.arange(4)[:, None] == 2, np.nan, smoothed), verbose=0)


def test_reduce_lr_on_plateau_warns_about_a_monitor_not_in_the_logs():
    from tinynet.callbacks import ReduceLROnPlateau

    x, y = data()
    with pytest.warns(RuntimeWarning, match="ReduceLROnPlateau: 'val_los' is not in the logs"):
        classifier().fit(
            x, y, verbose=0, validation_split=0.25, callbacks=[ReduceLROnPlateau(monitor="val_los")]
        )


def test_model_checkpoint_with_keys_the_logs_lack(tmp_path):
    from tinynet.callbacks import ModelCheckpoint

    x, y = data()
    model = classifier()
    before = model.get_weights()
    pattern = str(tmp_path / "m-{val_acc:.2f}.tnz")
    with pytest.raises(ValueError, match=r"uses \{val_acc\}, but this fit has no validation data"):
        model.fit(x, y, verbose=0, callbacks=[ModelCheckpoint(pattern)])
    np.testing.assert_array_equal(model.get_weights()[0], before[0])  # refused before training
    with pytest.raises(ValueError, match=r"uses \{foo\}, which is not in this epoch's logs"):
        model.fit(x, y, verbose=0, callbacks=[ModelCheckpoint(str(tmp_path / "{foo}.tnz"))])
    model.fit(x, y, verbose=0, validation_split=0.25, callbacks=[ModelCheckpoint(pattern)])
    assert len(list(tmp_path.glob("m-*.tnz"))) == 1


def test_class_weight_keys_must_be_classes():
    x, y = data()
    with pytest.raises(
        ValueError, match=r"class_weight: keys must be class indices 0\.\.2, got \[3\]"
    ):
        classifier().fit(x, y, verbose=0, class_weight={0: 1.0, 3: 2.0})
    with pytest.raises(ValueError, match=r"got \['1'\]"):
        classifier().fit(x, y, verbose=0, class_weight={"1": 2.0})


def test_a_nan_from_the_weights_is_traced_to_a_gradient():
    x, y = data()
    model = classifier()
    kernel = model.layers[-1].kernel
    kernel.data[0, 0] = np.inf  # finite inputs; the loss and the gradients become NaN
    with np.errstate(all="ignore"):
        with pytest.warns(RuntimeWarning, match=r"batch 1 \(the gradient of dense_\d+/\w+ holds"):
            model.fit(x, y, batch_size=5, verbose=0, shuffle=False)


def test_stop_on_nonfinite_false_is_for_that_fit_only():
    model = classifier()
    x, y = data()
    model.fit(x, y, verbose=0, stop_on_nonfinite=False)
    assert model.stop_on_nonfinite is True
