"""Callbacks and progress output: the Keras epoch line, verbose 0/1/2, History, ModelCheckpoint,
EarlyStopping, TerminateOnNaN, LearningRateScheduler, ReduceLROnPlateau, CSVLogger,
GradientStats and its plot."""

import csv
import os
import re

import numpy as np
import pytest

import tinynet as tn
from tinynet import callbacks as cb
from tinynet.layers import Dense
from tinynet.models import Sequential
from tinynet.optimizers import SGD

LINE = re.compile(
    r"^(\d+)/(\d+) \[(=*)([>]?)(\.*)\] - \d+s \d+(us|ms|s)/step( - [a-z_]+: \d\.\d{4}(e[-+]\d+)?)*$"
)


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x[:, 0] + x[:, 1] > 0).astype("int64")


def model(lr=0.1):
    tn.seed(0)
    m = Sequential([Dense(8, activation="tanh", input_shape=(4,)), Dense(2, activation="softmax")])
    m.compile(SGD(lr), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


# ----- progress output -----
def test_epoch_line_is_the_keras_line():
    line = cb.epoch_line(
        48000,
        48000,
        2.16,
        [("loss", 0.0060), ("acc", 0.9979), ("val_loss", 0.0455), ("val_acc", 0.9902)],
    )
    assert line == (
        "48000/48000 [==============================] - 2s 45us/step - loss: 0.0060 - "
        "acc: 0.9979 - val_loss: 0.0455 - val_acc: 0.9902"
    )
    assert (
        cb.epoch_line(10, 40, 5.0, []) == "10/40 [======>.......................] - 5s 500ms/step"
    )
    assert (
        cb.epoch_line(3, 3, 7.0, [("loss", 1e-4)])
        == "3/3 [==============================] - 7s 2s/step - loss: 1.0000e-04"
    )
    assert cb.epoch_line(5, 375, 1.0, [])[:9] == "  5/375 ["


def test_verbose_2_prints_only_the_epoch_lines(capsys):
    x, y = data()
    model().fit(x, y, batch_size=16, epochs=2, validation_split=0.25, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["Train on 30 samples, validate on 10 samples", "Epoch 1/2"]
    assert lines[3] == "Epoch 2/2" and len(lines) == 5
    for line in (lines[2], lines[4]):
        assert LINE.match(line), line
        assert line.startswith("30/30 [==============================] - ")
        assert re.search(r" - loss: \S+ - acc: \S+ - val_loss: \S+ - val_acc: \S+$", line)


def test_verbose_0_prints_nothing(capsys):
    x, y = data()
    model().fit(x, y, epochs=2, validation_split=0.25, verbose=0)
    assert capsys.readouterr().out == ""


def test_verbose_1_shows_a_live_bar_then_the_epoch_line(capsys):
    x, y = data(200)
    model().fit(x, y, batch_size=8, epochs=1, verbose=1)
    out = capsys.readouterr().out
    last = out.split("\n")[-2].split("\r")[-1].strip()  # the bar is cleared with \r before the line
    assert LINE.match(last), last
    assert last.startswith("200/200 [") and "loss:" in last and "acc:" in last
    assert re.search(r"\d+/200 \|", out), "no live progress bar was drawn"


def test_generator_progress_counts_steps(capsys):
    x, y = data(40)

    def batches():
        while True:
            for i in range(0, 40, 10):
                yield x[i : i + 10], y[i : i + 10]

    model().fit(batches(), steps_per_epoch=4, epochs=1, verbose=2)
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .startswith("4/4 [==============================] - ")
    )


# ----- records -----
def test_history_and_csv_logger(tmp_path):
    x, y = data()
    path = tmp_path / "log.csv"
    h = model().fit(
        x, y, epochs=3, validation_split=0.25, verbose=0, callbacks=[cb.CSVLogger(path)]
    )
    rows = list(csv.reader(open(path)))
    assert rows[0] == ["epoch", "acc", "loss", "val_acc", "val_loss"] and len(rows) == 4
    assert [float(r[2]) for r in rows[1:]] == pytest.approx(h.history["loss"])
    model().fit(
        x,
        y,
        epochs=2,
        verbose=0,
        validation_split=0.25,
        callbacks=[cb.CSVLogger(path, append=True)],
    )
    assert len(list(csv.reader(open(path)))) == 6


def test_model_checkpoint_best_only_and_atomic(tmp_path):
    m = model()
    m.build()
    ck = cb.ModelCheckpoint(
        str(tmp_path / "best-{epoch:02d}.tnz"), monitor="val_loss", save_best_only=True
    )
    ck.set_model(m)
    for epoch, val in enumerate([1.0, 2.0, 0.5, 0.7]):
        ck.on_epoch_end(epoch, {"val_loss": val})
    assert sorted(os.listdir(tmp_path)) == ["best-01.tnz", "best-03.tnz"]
    acc = cb.ModelCheckpoint(str(tmp_path / "acc.tnz"), monitor="val_acc", save_best_only=True)
    acc.set_model(m)
    acc.on_epoch_end(0, {"val_acc": 0.5})
    os.remove(tmp_path / "acc.tnz")
    acc.on_epoch_end(1, {"val_acc": 0.4})  # mode 'auto' is 'max' for accuracy
    assert not (tmp_path / "acc.tnz").exists()
    with pytest.warns(RuntimeWarning, match="'val_loss' is not in the logs"):
        ck.on_epoch_end(4, {"loss": 0.1})


def test_model_checkpoint_in_fit_saves_every_epoch(tmp_path):
    x, y = data()
    model().fit(
        x, y, epochs=2, verbose=0, callbacks=[cb.ModelCheckpoint(str(tmp_path / "m{epoch}.tnz"))]
    )
    assert sorted(os.listdir(tmp_path)) == ["m1.tnz", "m2.tnz"]


def test_early_stopping_patience():
    x, y = data()
    m = model(lr=0.0)  # the validation loss never improves after the first epoch
    es = cb.EarlyStopping(monitor="val_loss", patience=2)
    h = m.fit(x, y, epochs=10, validation_split=0.25, verbose=0, callbacks=[es])
    assert h.epoch == [0, 1, 2] and es.stopped_epoch == 2


def test_early_stopping_restores_best_weights():
    m = model()
    m.build()
    es = cb.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    es.set_model(m)
    es.on_train_begin()
    snapshots = []
    for epoch, val in enumerate([0.9, 0.4, 0.6, 0.8]):
        m.set_weights([w + epoch for w in m.get_weights()])
        snapshots.append(m.get_weights())
        es.on_epoch_end(epoch, {"val_loss": val})
    es.on_train_end()
    for a, b in zip(m.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(a, b)


class Poison(cb.Callback):
    """Turns the weights to NaN before batch ``at`` of epoch ``epoch`` (both 0-based)."""

    def __init__(self, epoch, at):
        super().__init__()
        self.epoch_at, self.at, self.batches = epoch, at, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_begin(self, batch, logs=None):
        self.batches += 1
        if self.epoch == self.epoch_at and batch == self.at:
            self.model.layers[0].kernel.data[...] = np.nan


def test_terminate_on_nan_names_epoch_and_batch(capsys):
    x, y = data()
    poison, stop = Poison(1, 2), cb.TerminateOnNaN()
    h = model().fit(x, y, batch_size=10, epochs=5, verbose=0, callbacks=[poison, stop])
    assert stop.stopped_at == (2, 3) and poison.batches == 4 + 3
    assert "epoch 2, batch 3" in capsys.readouterr().out and h.epoch == [0, 1]


def test_learning_rate_scheduler_and_reduce_on_plateau():
    x, y = data()
    m = model()
    h = m.fit(
        x, y, epochs=3, verbose=0, callbacks=[cb.LearningRateScheduler(lambda e: 0.1 * 0.5**e)]
    )
    assert h.history["lr"] == pytest.approx([0.1, 0.05, 0.025])
    m2 = model(lr=0.2)
    m2.trainable = False  # a constant validation loss: a plateau from the start
    m2.fit(
        x,
        y,
        epochs=4,
        validation_split=0.25,
        verbose=0,
        callbacks=[cb.ReduceLROnPlateau(factor=0.5, patience=1)],
    )
    assert m2.optimizer.lr == pytest.approx(0.2 * 0.5**3)


def test_lambda_callback():
    seen = []
    x, y = data()
    model().fit(
        x,
        y,
        epochs=2,
        verbose=0,
        callbacks=[cb.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e))],
    )
    assert seen == [0, 1]
    with pytest.raises(TypeError, match="unknown hook"):
        cb.LambdaCallback(on_step=print)


# ----- gradient statistics -----
def deep(activation):
    tn.seed(0)
    m = Sequential(
        [Dense(32, activation=activation, input_shape=(20,))]
        + [Dense(32, activation=activation) for _ in range(5)]
        + [Dense(4, activation="softmax")]
    )
    m.compile("sgd", "sparse_categorical_crossentropy")
    return m


def gradient_stats(activation):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(128, 20)).astype("float32"), rng.integers(0, 4, 128)
    stats = cb.GradientStats(every=2)
    m = deep(activation)
    m.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[stats])
    assert not any(layer._forward_hooks for layer in m.layers)  # the hooks are removed
    return stats


def test_gradient_stats_show_vanishing_gradients_with_sigmoid():
    sig, relu = gradient_stats("sigmoid"), gradient_stats("relu")
    assert sig.steps == [0, 2] and len(sig.layer_names) == 7
    for stats in (sig, relu):
        for name in stats.layer_names:
            assert all(np.isfinite(v) for s in cb.STATS for v in stats.history[name][s])
    ratio = {}
    for label, stats in (("sigmoid", sig), ("relu", relu)):
        _, g = stats.as_arrays("grad_norm")
        ratio[label] = g[stats.layer_names[0]].mean() / g[stats.layer_names[-2]].mean()
    assert ratio["sigmoid"] < 0.05 * ratio["relu"]


def test_gradient_stats_match_a_manual_backward():
    stats = cb.GradientStats(every=1)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.integers(0, 2, 8)
    m = model(lr=0.0)
    m.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[stats])
    first = m.layers[0]
    h = first(x)
    act = h.data.astype(float)
    rec = stats.history[first.name]
    assert rec["act_mean"][0] == pytest.approx(act.mean(), rel=1e-5)
    assert rec["act_norm"][0] == pytest.approx(np.linalg.norm(act), rel=1e-5)
    assert rec["weight_grad_norm"][0] == pytest.approx(
        np.sqrt(sum((w.grad.astype(float) ** 2).sum() for w in first.trainable_weights)), rel=1e-5
    )


def test_gradient_norm_plots(tmp_path):
    from tinynet import plot

    sig, relu = gradient_stats("sigmoid"), gradient_stats("relu")
    fig = plot.compare_gradient_norms({"sigmoid": sig, "relu": relu})
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 7 and fig.axes[0].get_yscale() == "log"
    fig.savefig(tmp_path / "grads.png")
    assert (tmp_path / "grads.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="stat must be one of"):
        plot.plot_gradient_norms(sig, stat="speed")
    with pytest.raises(ValueError, match="recorded nothing"):
        plot.plot_gradient_norms(cb.GradientStats())


def test_lr_scheduler_reads_the_base_rate_so_decay_does_not_compound():
    from tinynet.callbacks import LearningRateScheduler
    from tinynet.layers import Dense
    from tinynet.models import Sequential
    from tinynet.optimizers import SGD

    tn.seed(0)
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile(SGD(lr=0.1, decay=0.5), "mse")
    seen = []
    sched = LearningRateScheduler(lambda epoch, lr: seen.append(lr) or lr)
    x, y = np.ones((4, 2), np.float32), np.ones((4, 1), np.float32)
    model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[sched])
    assert seen == [0.1, 0.1, 0.1]  # the base rate, untouched by decay
    np.testing.assert_allclose(model.optimizer.current_lr(), 0.1 / (1 + 0.5 * 3))


def test_validation_data_overrides_validation_split():
    from tinynet.layers import Dense
    from tinynet.models import Sequential

    tn.seed(0)
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 2)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    vx, vy = rng.normal(size=(5, 2)).astype("float32"), rng.normal(size=(5, 1)).astype("float32")
    h = model.fit(
        x,
        y,
        batch_size=8,
        epochs=1,
        verbose=0,
        validation_split=0.5,
        validation_data=(vx, vy),
        shuffle=False,
    )
    np.testing.assert_allclose(
        h.history["val_loss"][0], model.evaluate(vx, vy, verbose=0), rtol=1e-5
    )
