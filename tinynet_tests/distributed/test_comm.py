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


def iterator_fit(distributed, rows=(5, 1, 4)):
    tn.backend.seed(0)
    model = tn.models.Sequential(
        [tn.layers.Dense(8, input_shape=(3,)), tn.layers.Dropout(0.5), tn.layers.Dense(2)]
    )
    model.compile(optimizer="adam", loss="mse")
    g = np.random.default_rng(0)
    batches = ((g.random((n, 3), np.float32), g.random((n, 2), np.float32)) for n in rows * 2)
    model.fit(batches, steps_per_epoch=3, epochs=2, verbose=0, distributed=distributed)
    return [w.data for w in model.weights]


def test_fit_on_an_iterator_with_a_one_process_communicator_equals_plain_fit():
    for a, b in zip(iterator_fit(None), iterator_fit(LocalCommunicator())):
        assert np.array_equal(a, b)


class RankOf(LocalCommunicator):
    """Rank ``rank`` of ``size``, its collectives the identity (enough to cut batches)."""

    def __init__(self, rank, size):
        self.rank, self.size = rank, size


class Weighted:
    """A model whose loss divides by the sum of arrays[1] (as WaveNet's per-position weights)."""

    bn = []

    def batch_weight(self, arrays):
        return float(arrays[1].sum())


def shards(rank, size, items, model=None, training=True):
    from tinynet.distributed.parallel import DataParallel, ShardedIterator
    from tinynet.training.data import IteratorData

    parallel = DataParallel(model or Weighted(), RankOf(rank, size))
    data = IteratorData(iter(items), len(items), None, lambda item: item, "fit")
    out = []
    for local in ShardedIterator(data, parallel, training).batches():
        out.append((local, parallel.rows, parallel.share))
    return out


def test_an_iterator_s_rows_split_by_rank_with_shares_of_the_loss_weight():
    x = np.arange(5.0)[:, None]
    w = np.array([[1.0, 1.0], [1.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]])  # sums 2 1 2 1 0
    got = [shards(r, 2, [(x, w)]) for r in range(2)]
    (x0, w0), rows0, share0 = got[0][0]
    (x1, w1), rows1, share1 = got[1][0]
    assert x0[:, 0].tolist() == [0, 1] and x1[:, 0].tolist() == [2, 3, 4]
    assert rows0 == (0, 2, 5) and rows1 == (2, 3, 5)
    assert share0 == 3 / 6 and share1 == 3 / 6  # of the weight sum 6, not of the 5 rows
    # a three-way split: 1, 2 and 2 rows holding 2, 3 and 1 of the weight
    assert [shards(r, 3, [(x, w)])[0][2] for r in range(3)] == [2 / 6, 3 / 6, 1 / 6]


def test_a_rank_without_rows_trains_on_a_stand_in_row_at_share_0():
    x, w = np.array([[7.0]]), np.ones((1, 2))
    ((local0, rows0, share0),) = shards(0, 2, [(x, w)])  # rows [0, 0): none
    ((local1, rows1, share1),) = shards(1, 2, [(x, w)])  # rows [0, 1)
    assert (rows1, share1) == ((0, 1, 1), 1.0)
    assert local0[0].tolist() == [[7.0]] and (rows0, share0) == ((0, 1, 1), 0.0)
    assert shards(0, 2, [(x, w)], training=False) == []  # validation: nothing to do


def test_an_iterator_too_small_for_batchnorm_on_every_rank_is_refused():
    model = tn.models.Sequential(
        [tn.layers.Dense(2, input_shape=(1,)), tn.layers.BatchNormalization()]
    )
    with pytest.raises(ValueError, match="3 samples from the iterator cannot give each of the 2"):
        shards(0, 2, [(np.zeros((3, 1)), np.ones((3, 2)))], model)


def test_fit_refuses_an_unknown_noise_mode():
    model = tn.models.Sequential([tn.layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((4, 3), np.float32), np.zeros((4, 2), np.float32)
    with pytest.raises(ValueError, match="noise must be one of"):
        model.fit(x, y, verbose=0, distributed=LocalCommunicator(), noise="shared")


def test_dropout_noise_keeps_this_rank_s_rows_when_a_channel_count_equals_them():
    from tinynet.distributed.noise import sharded_streams
    from tinynet.functional.layout import uniform_like

    # a conv output (N, C, H, W) laid out (C, N, H, W), 3 channels and 3 rows a rank of 6
    x = np.zeros((3, 3, 4, 5), np.float32).transpose(1, 0, 2, 3)
    tn.backend.seed(5)
    whole = tn.backend.rng().random((3, 6, 4, 5), dtype=np.float32).transpose(1, 0, 2, 3)
    tn.backend.seed(5)
    with sharded_streams(RankOf(1, 2), "global") as (gen,):
        gen.rows = (3, 3, 6)
        mine = uniform_like(x)
    np.testing.assert_array_equal(mine, whole[3:])  # one process's mask of rows 3-5
    assert mine.shape == x.shape
