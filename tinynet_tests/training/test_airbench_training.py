"""The training pieces airbench94 added to tinynet.training: label smoothing in the
cross-entropy losses, the Triangular schedule, the Lookahead callback."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet.gradcheck import check_grad
from tinynet.layers import Dense
from tinynet.models import Sequential, load_model
from tinynet.optimizers import SGD, Triangular
from tinynet.training import losses
from tinynet.training.lookahead import Lookahead


# ----- label smoothing -----
def smoothed_ce(z, labels, s):
    """-mean_i sum_k ((1 - s) onehot_ik + s / K) log softmax(z_i)_k, in float64."""
    z = np.asarray(z, dtype=np.float64)
    k = z.shape[1]
    logp = z - z.max(axis=1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
    t = np.full_like(z, s / k)
    t[np.arange(len(z)), labels] += 1 - s
    return -(t * logp).sum(axis=1).mean()


@given(st.integers(1, 6), st.integers(2, 7), st.sampled_from([0.0, 0.1, 0.2, 0.9]))
def test_label_smoothing_matches_the_hand_formula(n, k, s):
    rng = np.random.default_rng(n * k)
    z = rng.normal(size=(n, k)) * 3
    labels = rng.integers(0, k, n)
    onehot = np.eye(k)[labels]
    loss = losses.CategoricalCrossentropy(label_smoothing=s)
    want = smoothed_ce(z, labels, s)
    assert float(loss.from_logits(tn.Tensor(z), onehot).data) == pytest.approx(want, rel=1e-12)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert float(loss(tn.Tensor(p), onehot).data) == pytest.approx(want, rel=1e-6)
    w = np.ones(n)  # the weighted path gives the same mean
    assert float(loss.from_logits(tn.Tensor(z), onehot, w).data) == pytest.approx(want, rel=1e-12)
    check_grad(lambda zt: loss.from_logits(zt, onehot), [z])


def test_label_smoothing_round_trips_through_its_config_and_a_model_file(tmp_path):
    loss = losses.get("categorical_crossentropy(label_smoothing=0.2)")
    assert loss.label_smoothing == 0.2
    assert losses.get(loss.get_config()).label_smoothing == 0.2
    assert losses.get("categorical_crossentropy").get_config() == "categorical_crossentropy"
    sparse = losses.get("sparse_categorical_crossentropy(label_smoothing=0.1)")
    assert (
        isinstance(sparse, losses.SparseCategoricalCrossentropy) and sparse.label_smoothing == 0.1
    )
    model = Sequential([Dense(3, activation="softmax", input_shape=(2,))])
    model.compile("sgd", loss)
    model.save(tmp_path / "m.tnz")
    assert load_model(tmp_path / "m.tnz").loss.label_smoothing == 0.2


def test_label_smoothing_refuses_bad_values_and_arguments():
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\), got 1"):
        losses.CategoricalCrossentropy(label_smoothing=1)
    with pytest.raises(ValueError, match="mean_squared_error takes no argument"):
        losses.get("mse(label_smoothing=0.2)")
    with pytest.raises(ValueError, match="not of the form name=number"):
        losses.get("categorical_crossentropy(label_smoothing=big)")


# ----- Triangular -----
def test_triangular_is_airbenchs_piecewise_linear_triangle():
    n = 476
    sched = Triangular(2.0, n, start=0.2, end=0.07, peak_at=0.23)
    top = int(0.23 * n)
    got = np.array([sched(i) for i in range(n + 3)])
    want = 2.0 * np.interp(np.arange(n + 3), [0, top, n], [0.2, 1.0, 0.07])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    opt = SGD(lr=sched, momentum=0.9, nesterov=True)
    assert tn.optimizers.from_config(tn.optimizers.serialize(opt)).lr(top) == 2.0
    with pytest.raises(ValueError, match="peak_at must be in"):
        Triangular(1.0, 10, peak_at=1.0)


# ----- Lookahead -----
class Steps:
    """Drives a Lookahead as fit would: weights set to given values, the iteration count
    advanced, the batch and epoch hooks called."""

    def __init__(self, lookahead, steps_per_epoch):
        tn.seed(0)
        self.model = Sequential([Dense(2, input_shape=(3,))])
        self.model.compile(SGD(lr=0.0), "mse")
        self.la, self.spe = lookahead, steps_per_epoch
        lookahead.set_model(self.model)
        lookahead.set_params({"steps": steps_per_epoch})

    def run(self, values_per_step, epoch0=0):
        """values_per_step[s]: the weight values the optimizer leaves after step s + 1 (counted
        from the optimizer's current iteration). Returns the weights after each step."""
        seen = []
        for s, value in enumerate(values_per_step):
            step = self.model.optimizer.iterations
            batch = step % self.spe
            if batch == 0:
                self.la.on_epoch_begin(step // self.spe)
            for w in self.model.weights:
                w.data[...] = value
            self.model.optimizer.iterations += 1
            self.la.on_batch_end(batch)
            if batch + 1 == self.spe:
                self.la.on_epoch_end(step // self.spe)
            seen.append(self.model.weights[0].data.copy())
        return seen


def test_lookahead_matches_a_hand_computed_average():
    total, spe = 12, 3
    la = Lookahead(total, start_epoch=1, every=2, decay_base=0.9, decay_pow=1.0)
    driver = Steps(la, spe)
    values = [float(v) for v in range(1, total + 1)]  # the optimizer moves w to 1, 2, 3, ...
    seen = driver.run(values)
    # steps 1-3 (epoch 0): untouched. Step 4 (first even step of epoch 1): ema = w = 4.
    # step 6: rho = 0.9**2 * 6/12; ema = rho*4 + (1-rho)*6, w = ema; and so on every 2 steps.
    ema, want = None, []
    for step, v in enumerate(values, start=1):
        w = v
        if step > spe and step % 2 == 0:
            if ema is None:
                ema = w
            else:
                rho = 0.81 * step / total
                ema = rho * ema + (1 - rho) * w
                w = ema
        if step % spe == 0 and ema is not None:  # the epoch's last batch: w <- ema
            w = ema
        want.append(w)
    np.testing.assert_allclose([s.flat[0] for s in seen], want, rtol=1e-6)
    assert want[4] == 5.0 and want[5] != 6.0  # step 5 untouched, step 6 averaged


def test_lookahead_resumed_at_an_epoch_boundary_goes_on_identically():
    total, spe = 15, 5
    values = list(np.random.default_rng(0).normal(size=total))
    whole = Steps(Lookahead(total, start_epoch=1, every=3), spe).run(values)
    first = Steps(Lookahead(total, start_epoch=1, every=3), spe)
    first.run(values[:10])
    second = Steps(Lookahead(total, start_epoch=1, every=3), spe)  # a fresh callback
    for a, b in zip(second.model.weights, first.model.weights):
        a.data[...] = b.data
    second.model.optimizer.iterations = 10
    rest = second.run(values[10:])
    np.testing.assert_array_equal(np.array(rest), np.array(whole[10:]))


def test_lookahead_refuses_bad_arguments():
    with pytest.raises(ValueError, match="total_steps must be > 0"):
        Lookahead(0)
    with pytest.raises(ValueError, match="decay_base must be in"):
        Lookahead(10, decay_base=1.5)
