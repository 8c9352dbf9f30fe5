"""F.batch_norm with ``sync``: two ranks (threads) on an uneven split of a batch give the
whole batch's outputs and gradients."""

import threading

import numpy as np

import tinynet as tn
from tinynet import functional as F
from tinynet.distributed import LocalCommunicator


class ThreadRanks:
    """``size`` ranks as threads: allreduce sums every thread's array in place."""

    def __init__(self, size):
        self.size, self.barrier, self.lock = size, threading.Barrier(size), threading.Lock()
        self.parts = {}

    def rank_view(self, rank):
        world = self

        class Rank(LocalCommunicator):
            def allreduce(self, a):
                world.parts[rank] = a.copy()
                world.barrier.wait()
                total = sum(world.parts[r] for r in range(world.size))
                world.barrier.wait()
                a[...] = total
                return a

        r = Rank()
        r.rank, r.size = rank, self.size
        return r


def bn_run(x, gy, gamma, beta, sync=None):
    xt, g = tn.Tensor(x, requires_grad=True), tn.Tensor(gamma, requires_grad=True)
    bt = tn.Tensor(beta, requires_grad=True)
    mean, var = np.zeros(x.shape[1]), np.ones(x.shape[1])
    y = F.batch_norm(xt, g, bt, mean, var, True, 0.9, 1e-3, sync=sync)
    y.backward(gy)
    return y.data, xt.grad, g.grad, bt.grad, mean, var


def test_two_ranks_give_the_whole_batch_statistics_and_gradients():
    g = np.random.default_rng(0)
    x = g.normal(2.0, 3.0, (7, 3, 2, 2))
    gy = g.normal(size=x.shape)
    gamma, beta = g.normal(size=3), g.normal(size=3)
    whole = bn_run(x, gy, gamma, beta)
    world, cut, results = ThreadRanks(2), 4, {}

    def rank(r):
        rows = slice(0, cut) if r == 0 else slice(cut, None)
        share = (cut if r == 0 else 7 - cut) / 7
        # each rank's loss is its own mean, so its upstream gradient is 1 / share as large
        results[r] = bn_run(x[rows], gy[rows] / share, gamma, beta, world.rank_view(r))

    threads = [threading.Thread(target=rank, args=(r,)) for r in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    y = np.concatenate([results[0][0], results[1][0]])
    np.testing.assert_allclose(y, whole[0], atol=1e-12)
    gx = np.concatenate([results[0][1] * 4 / 7, results[1][1] * 3 / 7])
    np.testing.assert_allclose(gx, whole[1], atol=1e-12)
    for k in (2, 3):  # gamma, beta: share-weighted sums over the ranks (DistributedOptimizer's)
        np.testing.assert_allclose(
            results[0][k] * 4 / 7 + results[1][k] * 3 / 7, whole[k], atol=1e-12
        )
    for k in (4, 5):  # the moving statistics, the same on both ranks
        np.testing.assert_allclose(results[0][k], whole[k], atol=1e-12)
        np.testing.assert_array_equal(results[0][k], results[1][k])


def test_a_one_process_sync_changes_nothing():
    g = np.random.default_rng(1)
    x, gy = g.normal(size=(5, 4)), g.normal(size=(5, 4))
    gamma, beta = g.normal(size=4), g.normal(size=4)
    for a, b in zip(bn_run(x, gy, gamma, beta), bn_run(x, gy, gamma, beta, LocalCommunicator())):
        np.testing.assert_allclose(a, b, atol=1e-12)
