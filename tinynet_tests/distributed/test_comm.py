"""The one-process communicator and DistributedOptimizer's reduction (no MPI needed)."""

import numpy as np
import pytest

import tinynet as tn
from tinynet.distributed import DistributedOptimizer, LocalCommunicator
from tinynet.training.optimizers import SGD


class TwoRanks(LocalCommunicator):
    """A fake rank of two whose partner holds ``other`` (a flat array of the same layout)."""

    size = 2

    def __init__(self, other):
        self.other, self.calls = other, 0

    def allreduce(self, a):
        self.calls += 1
        a += self.other
        return a


def test_init_without_a_launcher_is_one_process(monkeypatch):
    for v in tn.distributed.comm.LAUNCHER_VARIABLES:
        monkeypatch.delenv(v, raising=False)
    monkeypatch.setattr(tn.distributed.comm, "_world", None)
    comm = tn.distributed.init()
    assert (comm.rank, comm.size, comm.local_rank, comm.is_main) == (0, 1, 0, True)
    a = np.arange(3.0)
    assert comm.allreduce(a) is a and a.tolist() == [0, 1, 2]
    assert comm.average({"loss": 2.0}) == {"loss": 2.0}
    assert tn.distributed.init() is comm


def test_init_refuses_an_unknown_backend():
    with pytest.raises(ValueError, match="backend must be one of"):
        tn.distributed.init("gloo")


def test_allreduce_refuses_a_non_contiguous_array():
    with pytest.raises(TypeError, match="C-contiguous"):
        LocalCommunicator().allreduce(np.zeros((3, 4))[:, ::2])


def test_one_fused_allreduce_scaled_by_share_and_missing_grads():
    w = [tn.Tensor(np.ones((2, 3), np.float32)), tn.Tensor(np.ones(4, np.float32))]
    w.append(tn.Tensor(np.ones(2, np.float32)))  # no gradient on either rank
    w[0].grad = np.full((2, 3), 2.0, np.float32)
    other = np.zeros(6 + 4 + 2 + 3, np.float32)
    other[6:10] = 1.0  # the partner has a gradient for w[1], this rank has none
    other[12 + 1] = 1.0  # its flag for w[1] (the flags follow the 12 gradient elements)
    comm = TwoRanks(other)
    opt = DistributedOptimizer(SGD(lr=0.5), comm, share=0.25)
    opt.step(w)
    assert comm.calls == 1 and opt.buffer_size == 15
    np.testing.assert_allclose(w[0].grad, 0.5)  # 2 * 0.25, the partner's zeros added
    np.testing.assert_allclose(w[1].grad, 1.0)  # only the partner's
    assert w[2].grad is None
    np.testing.assert_allclose(w[0].data, 0.75)
    np.testing.assert_allclose(w[2].data, 1.0)
    buffer = opt._buffer[0]
    opt.step(w)
    assert opt._buffer[0] is buffer  # allocated once for the layout


def test_distributed_optimizer_passes_settings_through():
    inner = SGD(lr=0.1)
    opt = DistributedOptimizer(inner, LocalCommunicator())
    opt.lr = 0.05
    assert inner.lr == 0.05 and opt.iterations == 0
    with pytest.raises(TypeError, match="communicator"):
        DistributedOptimizer(inner, object())
    with pytest.raises(TypeError, match="step"):
        DistributedOptimizer(object(), LocalCommunicator())


def test_fit_with_a_one_process_communicator_equals_plain_fit():
    def run(distributed):
        tn.backend.seed(0)
        model = tn.models.Sequential(
            [tn.layers.Dense(8, input_shape=(4,)), tn.layers.Dropout(0.5), tn.layers.Dense(2)]
        )
        model.compile(optimizer="adam", loss="mse")
        g = np.random.default_rng(0)
        x, y = g.random((21, 4), dtype=np.float32), g.random((21, 2), dtype=np.float32)
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, distributed=distributed)
        return [w.data for w in model.weights]

    for a, b in zip(run(None), run(LocalCommunicator())):
        assert np.array_equal(a, b)


def test_fit_refuses_an_iterator_when_distributed():
    model = tn.models.Sequential([tn.layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    batches = iter([(np.zeros((2, 3), np.float32), np.zeros((2, 2), np.float32))] * 3)
    with pytest.raises(ValueError, match="not an iterator"):
        model.fit(batches, steps_per_epoch=1, verbose=0, distributed=LocalCommunicator())


def test_fit_refuses_an_unknown_noise_mode():
    model = tn.models.Sequential([tn.layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((4, 3), np.float32), np.zeros((4, 2), np.float32)
    with pytest.raises(ValueError, match="noise must be one of"):
        model.fit(x, y, verbose=0, distributed=LocalCommunicator(), noise="shared")
