"""The one training loop: a subclassed Model trains, saves and loads through it; a model that
gives only train_step/test_step gets fit/evaluate; forward hooks; CallbackList's own callbacks."""

import numpy as np
import pytest

from tinynet import backend
from tinynet.callbacks import Callback, History
from tinynet.layers import Dense
from tinynet.models import Model, Sequential, load_model
from tinynet.optimizers import Adam
from tinynet.training.trainer import Trainer


class TwoDense(Model):
    def __init__(self, hidden=8, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.features = Dense(hidden, activation="relu")
        self.head = Dense(3, activation="softmax")

    def call(self, x, training=False):
        return self.head(self.features(x, training), training)

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden}


def blobs(n=96, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 4)).astype("float32") + 3 * np.eye(3, 4, dtype="float32")[y]
    return x, np.eye(3, dtype="float32")[y]


def test_subclassed_model_tracks_layers_and_trains():
    backend.seed(0)
    model = TwoDense(input_shape=(4,))
    model.compile(optimizer=Adam(lr=0.02), loss="categorical_crossentropy", metrics=["accuracy"])
    x, y = blobs()
    model.build()
    assert [layer.name for layer in model.layers] == [model.features.name, model.head.name]
    assert len(model.weights) == 4 and model.count_params() == 4 * 8 + 8 + 8 * 3 + 3
    before = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, batch_size=16, epochs=15, verbose=0, validation_split=0.25)
    after = model.evaluate(x, y, verbose=0)
    assert after[0] < before[0] and after[1] > 0.9
    assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"}
    assert len(history.history["loss"]) == 15


def test_subclassed_model_saves_and_loads(tmp_path):
    backend.seed(1)
    model = TwoDense(hidden=5, input_shape=(4,))
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x, y = blobs(32)
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "two.tnz")
    loaded = load_model(tmp_path / "two.tnz")
    assert isinstance(loaded, TwoDense) and loaded.hidden == 5
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_reassigned_attribute_is_no_longer_tracked():
    model = TwoDense(input_shape=(4,))
    old = model.head
    model.head = Dense(2)
    assert all(layer is not old for layer in model.layers)


class Mean(Trainer):
    """A model with only the steps: it learns the mean of its data by gradient steps."""

    metrics_names = ("loss",)

    def __init__(self):
        self.m, self.name = 0.0, "mean"

    def train_step(self, batch):
        x = batch[0]
        loss = ((x - self.m) ** 2).mean()
        self.m += 0.5 * (x.mean() - self.m)
        return {"loss": np.asarray(loss)}

    def test_step(self, batch):
        return {"loss": np.asarray(((batch[0] - self.m) ** 2).mean())}


def test_a_model_giving_only_steps_gets_fit_and_evaluate():
    x = np.full((40, 1), 3.0)
    model = Mean()
    history = model.fit(x, batch_size=8, epochs=3, verbose=0)
    assert history.history["loss"][0] > history.history["loss"][-1]
    assert model.m == pytest.approx(3.0, abs=0.01)
    assert model.evaluate(x, batch_size=8, verbose=0) == pytest.approx(0.0, abs=1e-3)


def test_epoch_logs_are_batch_size_weighted_means():
    seen = []

    class Count(Trainer):
        metrics_names = ("rows",)
        name = "count"

        def train_step(self, batch):
            seen.append(len(batch[0]))
            return {"rows": np.asarray(float(len(batch[0])))}

    history = Count().fit(np.zeros((10, 1)), batch_size=4, epochs=1, verbose=0, shuffle=False)
    assert seen == [4, 4, 2]
    assert history.history["rows"] == [pytest.approx((4 * 4 + 4 * 4 + 2 * 2) / 10)]


def test_stop_training_ends_after_the_current_batch():
    class Stop(Callback):
        def on_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    x, y = blobs(64)
    model = Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "categorical_crossentropy")
    batches = []
    model.fit(
        x,
        y,
        batch_size=8,
        epochs=3,
        verbose=0,
        callbacks=[
            Stop(),
            type("B", (Callback,), {"on_batch_end": lambda s, b, logs=None: batches.append(b)})(),
        ],
    )
    assert batches == [0, 1]


def test_forward_hook_sees_and_may_replace_the_output():
    layer = Dense(2, input_shape=(3,))
    calls = []
    handle = layer.register_forward_hook(
        lambda lay, inputs, out: calls.append((lay, inputs[0].shape)) or out * 0
    )
    out = layer(np.ones((4, 3), dtype="float32"))
    assert calls == [(layer, (4, 3))] and not out.data.any()
    handle.remove()
    assert layer(np.ones((4, 3), dtype="float32")).data.any() and len(calls) == 1
    with pytest.raises(TypeError, match="register_forward_hook: expected a callable"):
        layer.register_forward_hook(3)


def test_callback_list_adds_history_and_progress_bar(capsys):
    x, y = blobs(16)
    model = Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "categorical_crossentropy")
    history = model.fit(x, y, epochs=1, verbose=2)
    assert isinstance(history, History) and history is model.history
    assert "Epoch 1/1" in capsys.readouterr().out
