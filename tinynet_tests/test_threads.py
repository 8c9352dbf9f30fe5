"""tinynet.threads: large passes split over two threads give the numbers of one thread."""

import os

import numpy as np
import pytest

import tinynet as tn
from tinynet import functional as F
from tinynet import threads
from tinynet.functional.layout import is_batch_last
from tinynet.gradcheck import check_grad


@pytest.fixture
def two_threads(monkeypatch):
    """Threads on, every pass split however small (the tests' arrays are tiny)."""
    monkeypatch.setattr(threads, "MIN_BYTES", 0)
    monkeypatch.setattr(threads, "MIN_FLOPS", 0)
    if not threads.enable():
        pytest.skip("tinynet.threads cannot be enabled here (one core, or no threadpoolctl)")
    yield
    threads.disable()


def test_split_runs_both_halves_and_raises_what_either_raised(two_threads):
    seen = []
    threads.split(lambda lo, hi: seen.append((lo, hi)), 9, 1)
    assert sorted(seen) == [(0, 4), (4, 9)]

    def fails(lo, hi):
        if lo == 0:  # the helper thread's half
            raise ValueError("first half")

    with pytest.raises(ValueError, match="first half"):
        threads.split(fails, 4, 1)
    threads.split(lambda lo, hi: seen.append((lo, hi)), 2, 1)  # the helper still serves
    assert seen[-2:] in ([(0, 1), (1, 2)], [(1, 2), (0, 1)])


def test_two_threads_splitting_at_once_each_get_their_whole_result(two_threads):
    """One split holds the helper at a time; a thread that finds it busy runs its pass whole."""
    import threading
    import time

    bad = []

    def work(k):
        for _ in range(30):
            out = np.zeros(8)

            def fill(lo, hi, out=out):
                if lo == 0:
                    time.sleep(0.001)  # the helper's half is the slow one
                out[lo:hi] = 1

            threads.split(fill, 8, 1)
            bad.append(int(out.sum() != 8))

    users = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in users:
        t.start()
    for t in users:
        t.join()
    assert len(bad) == 60 and sum(bad) == 0


def test_a_result_left_by_an_interrupted_wait_is_not_taken_for_the_next(two_threads):
    threads.split(lambda lo, hi: None, 2, 1)
    helper = threads._state["helper"]
    helper.done.put((helper.count, None))  # what a Ctrl-C during the wait leaves behind
    out = np.zeros(4)

    def fill(lo, hi):
        if lo == 0:
            import time

            time.sleep(0.02)
        out[lo:hi] = 1

    threads.split(fill, 4, 1)
    np.testing.assert_array_equal(out, 1)


def test_a_split_inside_a_half_runs_whole(two_threads):
    seen = []

    def outer(lo, hi):
        threads.split(lambda a, b: seen.append((lo, a, b)), 4, 1)

    threads.split(outer, 2, 1)
    assert sorted(seen) == [(0, 0, 4), (1, 0, 4)]


def test_disabled_split_is_one_call_and_gpu_work_is_not_split(monkeypatch):
    monkeypatch.setattr(threads, "MIN_BYTES", 0)
    threads.disable()
    seen = []
    threads.split(lambda lo, hi: seen.append((lo, hi)), 8, 1 << 30)
    assert seen == [(0, 8)]
    if threads.enable():
        try:
            threads.split(lambda lo, hi: seen.append((lo, hi)), 8, 1 << 30, like=[1.0])
            assert seen[-1] == (0, 8)
        finally:
            threads.disable()


def test_enable_runs_blas_on_one_thread_and_disable_restores_it():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    if not blas or os.cpu_count() < 2:
        pytest.skip("no BLAS pool seen by threadpoolctl, or one core")
    threads.disable()
    blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    before = [i["num_threads"] for i in blas]
    assert threads.enable() and threads.enabled()
    now = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    assert now == [1] * len(blas)
    threads.disable()
    after = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    assert after == before and not threads.enabled()


def test_enable_stays_off_when_ranks_share_the_cores(monkeypatch):
    threads.disable()
    cores = threads._cores_per_process()
    monkeypatch.setenv("PMI_SIZE", str(max(cores, 1)))  # as many ranks as cores
    assert threads.enable() is False and not threads.enabled()
    monkeypatch.setenv("TINYNET_THREADS", "0")
    monkeypatch.delenv("PMI_SIZE")
    assert threads.enable() is False


def test_matmul_and_apply_match_numpy(two_threads):
    rng = np.random.default_rng(0)
    for m, k, n in [(7, 5, 3), (3, 5, 9), (1, 4, 1)]:
        a, b = rng.normal(size=(m, k)), rng.normal(size=(k, n))
        np.testing.assert_allclose(threads.matmul(a, b), a @ b, rtol=1e-12, atol=1e-12)
    x = np.ascontiguousarray(rng.normal(size=(3, 4, 5, 2)).transpose(3, 0, 1, 2))
    out = threads.apply(lambda a, o: np.multiply(a, 2.0, out=o), (x,), np.empty_like(x))
    np.testing.assert_array_equal(out, 2 * x)
    mixed = threads.apply(lambda a, b, o: np.add(a, b, out=o), (x, x.copy()), np.empty_like(x))
    np.testing.assert_array_equal(mixed, 2 * x)  # layouts differ: one whole call


def _step(fn, inputs, seed=0):
    """fn's output and the gradients of a fixed random projection of it, for fresh leaves."""
    ts = [tn.Tensor(a.copy(), requires_grad=True) for a in inputs]
    tn.seed(seed)
    y = fn(*ts)
    gy = np.random.default_rng(5).normal(size=y.shape).astype(y.dtype)
    y.backward(gy)
    return [y.data] + [t.grad for t in ts]


CASES = {
    "conv2d s1": (lambda x, w: F.conv2d(x, w, padding=1), [(4, 3, 7, 6), (6, 3, 3, 3)]),
    "conv2d s2": (lambda x, w: F.conv2d(x, w, stride=2, padding=1), [(4, 3, 8, 8), (5, 3, 4, 4)]),
    "conv2d dilated": (lambda x, w: F.conv2d(x, w, dilation=2), [(3, 2, 9, 9), (4, 2, 3, 3)]),
    "conv2d_transpose s2": (
        lambda x, w: F.conv2d_transpose(x, w, stride=2, padding=1),
        [(4, 6, 5, 5), (6, 3, 4, 4)],
    ),
    "conv2d_transpose s1": (lambda x, w: F.conv2d_transpose(x, w), [(3, 4, 5, 6), (4, 2, 3, 3)]),
    "relu": (lambda x: F.relu(F.conv2d(x, tn.Tensor(np.ones((4, 3, 1, 1))))), [(5, 3, 4, 4)]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), [(5, 3, 4, 4)]),
    "dropout": (lambda x: F.dropout(x, 0.3), [(5, 3, 4, 4)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), [(4, 6, 6, 6)]),
    "linear": (lambda x, w: F.linear(x, w), [(6, 7), (7, 5)]),
    "matmul": (lambda a, b: a @ b, [(6, 7), (7, 5)]),
    "conv1d dilated": (
        lambda x, w: F.conv1d(x, w, padding="causal", dilation=2),
        [(3, 4, 9), (5, 4, 2)],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_ops_on_two_threads_give_one_threads_numbers(name, monkeypatch):
    fn, shapes = CASES[name]
    rng = np.random.default_rng(1)
    inputs = [rng.normal(size=s) for s in shapes]
    if name.startswith(("relu", "leaky", "dropout", "max_pool")):
        inputs[0] = np.ascontiguousarray(inputs[0].transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
        assert is_batch_last(inputs[0])  # the layout the ops split
    threads.disable()
    one = _step(fn, inputs)
    monkeypatch.setattr(threads, "MIN_BYTES", 0)
    monkeypatch.setattr(threads, "MIN_FLOPS", 0)
    if not threads.enable():
        pytest.skip("tinynet.threads cannot be enabled here")
    try:
        two = _step(fn, inputs)
    finally:
        threads.disable()
    for a, b in zip(one, two):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_float32_steps_on_two_threads_match_one_thread_to_rounding(monkeypatch):
    rng = np.random.default_rng(4)
    x = np.ascontiguousarray(rng.normal(size=(3, 5, 9, 9)).astype(np.float32).transpose(1, 2, 3, 0))
    x = x.transpose(3, 0, 1, 2)
    w = (rng.normal(size=(7, 5, 3, 3)) * 0.3).astype(np.float32)

    def net(x, w):
        return F.max_pool2d(F.relu(F.conv2d(x, w, padding=1)), 2)

    threads.disable()
    one = _step(net, [x, w])
    monkeypatch.setattr(threads, "MIN_BYTES", 0)
    monkeypatch.setattr(threads, "MIN_FLOPS", 0)
    if not threads.enable():
        pytest.skip("tinynet.threads cannot be enabled here")
    try:
        two, again = _step(net, [x, w]), _step(net, [x, w])
    finally:
        threads.disable()
    for a, b, c in zip(one, two, again):
        assert b.dtype == np.float32
        np.testing.assert_array_equal(b, c)  # the same numbers in every run
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_on_two_threads_matches_one_and_its_running_statistics(training, monkeypatch):
    rng = np.random.default_rng(2)
    x = np.ascontiguousarray(rng.normal(size=(5, 4, 3, 3)).transpose(1, 2, 3, 0))
    x = x.transpose(3, 0, 1, 2)
    results = []
    for on in (False, True):
        stats = [np.zeros(4), np.ones(4)]
        if on:
            monkeypatch.setattr(threads, "MIN_BYTES", 0)
            monkeypatch.setattr(threads, "MIN_FLOPS", 0)
            if not threads.enable():
                pytest.skip("tinynet.threads cannot be enabled here")
        try:
            fn = lambda x, g, b: F.batch_norm(x, g, b, *stats, training=training)  # noqa: E731
            out = _step(fn, [x, rng.normal(size=4) * 0 + 1.5, np.full(4, 0.1)])
        finally:
            threads.disable()
        results.append(out + stats)
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_gradients_on_two_threads_pass_the_finite_difference_check(two_threads):
    rng = np.random.default_rng(3)
    x = np.ascontiguousarray(rng.normal(size=(3, 2, 6, 6)).transpose(1, 2, 3, 0))
    x = x.transpose(3, 0, 1, 2)
    w, w_t = rng.normal(size=(4, 2, 3, 3)), rng.normal(size=(2, 3, 4, 4))
    g, b = rng.normal(size=4), rng.normal(size=4)
    stats = (np.zeros(4), np.ones(4))
    check_grad(
        lambda x, w, g, b: F.leaky_relu(
            F.batch_norm(F.conv2d(x, w, stride=2, padding=1), g, b, *stats), 0.1
        ),
        [x, w, g, b],
    )
    check_grad(lambda x, w: F.conv2d_transpose(x, w, stride=2, padding=1), [x, w_t])
    check_grad(lambda x, w: F.max_pool2d(F.relu(F.conv2d(x, w, padding=1)), 2), [x, w])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_starts_its_own_helper(two_threads):
    threads.split(lambda lo, hi: None, 2, 1)  # the parent's helper exists
    pid = os.fork()
    if pid == 0:  # the child: a split must not wait on the parent's (absent) helper thread
        seen = []
        threads.split(lambda lo, hi: seen.append(lo), 2, 1)
        os._exit(0 if sorted(seen) == [0, 1] else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
