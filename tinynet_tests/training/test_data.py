"""Batch iterators and background batches: epochs, determinism, the thread's life and errors."""

import gc
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinynet.preprocessing import (
    ArrayIterator,
    BackgroundIterator,
    ImageDataGenerator,
    batch_loader,
)


def batch_threads():
    return [t for t in threading.enumerate() if t.name.startswith("tinynet-batches")]


@pytest.fixture(autouse=True)
def no_thread_left():
    yield
    gc.collect()
    deadline = time.time() + 5
    while batch_threads() and time.time() < deadline:
        time.sleep(0.02)
    assert not batch_threads(), "a background batch thread outlived its test"


def same(a, b):
    return (
        all(np.array_equal(p, q) for p, q in zip(a, b))
        if isinstance(a, tuple)
        else np.array_equal(a, b)
    )


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 40), batch_size=st.integers(1, 12), shuffle=st.booleans())
def test_epochs_cover_every_sample_once_and_loop_forever(n, batch_size, shuffle):
    x, y = np.arange(n) * 10, np.arange(n)
    it = batch_loader(x, y, batch_size=batch_size, shuffle=shuffle, seed=1)
    assert len(it) == -(-n // batch_size)
    for epoch in range(3):
        seen = []
        for _ in range(len(it)):
            xb, yb = next(it)
            np.testing.assert_array_equal(xb, yb * 10)
            assert len(xb) <= batch_size
            seen.extend(yb.tolist())
        assert sorted(seen) == list(range(n))
        if not shuffle:
            assert seen == list(range(n))
        assert it.epoch == epoch + 1 and it.batch_index == 0


def test_shuffle_differs_between_epochs_and_seeds():
    it = batch_loader(np.arange(100), batch_size=100, seed=0)
    e0, e1 = next(it), next(it)
    assert not np.array_equal(e0, e1) and sorted(e0) == sorted(e1)
    np.testing.assert_array_equal(next(batch_loader(np.arange(100), batch_size=100, seed=0)), e0)
    assert not np.array_equal(next(batch_loader(np.arange(100), batch_size=100, seed=1)), e0)


def test_getitem_is_the_current_epochs_batch():
    it = batch_loader(np.arange(10), batch_size=3, seed=5)
    first = [it[i] for i in range(len(it))]
    for want in first:
        np.testing.assert_array_equal(next(it), want)
    with pytest.raises(IndexError, match="out of range 0..3"):
        it[4]


def augmenting_flow(background, seed=7):
    gen = ImageDataGenerator(
        rotation_range=20,
        width_shift_range=0.1,
        height_shift_range=0.1,
        zoom_range=0.1,
        horizontal_flip=True,
        channel_shift_range=5,
    )
    x = np.random.default_rng(0).integers(0, 256, (45, 3, 8, 8)).astype(np.uint8)
    return gen.flow(x, np.arange(45), batch_size=8, seed=seed, background=background, queue_size=3)


def test_background_yields_exactly_the_synchronous_batches():
    sync = augmenting_flow(background=False)
    with augmenting_flow(background=True) as bg:
        assert isinstance(bg, BackgroundIterator) and len(bg) == len(sync) == 6
        for _ in range(2 * len(sync) + 3):  # across epoch boundaries
            assert same(next(bg), next(sync))
        assert (bg.epoch, bg.batch_index) == (sync.epoch, sync.batch_index) == (2, 3)
    assert not bg.running


def test_background_plain_loader_starts_where_the_source_is():
    src = ArrayIterator(np.arange(20), batch_size=4, seed=2)
    ref = ArrayIterator(np.arange(20), batch_size=4, seed=2)
    next(src), next(ref)
    with BackgroundIterator(src, queue_size=2) as bg:
        for _ in range(7):
            np.testing.assert_array_equal(next(bg), next(ref))


class Counting(ArrayIterator):
    """Counts the batches made; raises on batch number ``fail_at`` (1-based) if given."""

    def __init__(self, *args, fail_at=None, **kwargs):
        self.made, self.fail_at = 0, fail_at
        super().__init__(*args, **kwargs)

    def _make(self, indices, rng):
        self.made += 1
        if self.made == self.fail_at:
            raise ValueError("corrupt sample 13")
        return super()._make(indices, rng)


def test_worker_exception_reaches_the_consumer_after_the_good_batches():
    bg = BackgroundIterator(
        Counting(np.arange(30), batch_size=2, shuffle=False, fail_at=4), queue_size=2
    )
    for i in range(3):
        np.testing.assert_array_equal(next(bg), [2 * i, 2 * i + 1])
    with pytest.raises(ValueError, match="corrupt sample 13") as e:
        next(bg)
    assert any("background batch thread" in note for note in getattr(e.value, "__notes__", []))
    assert not bg.running
    with pytest.raises(RuntimeError, match="after close"):
        next(bg)


def test_queue_is_bounded():
    src = Counting(np.arange(1000), batch_size=1)
    bg = BackgroundIterator(src, queue_size=3)
    time.sleep(0.3)
    assert 3 <= src.made <= 3 + 1  # the queue full, and at most one more waiting to be put
    next(bg)
    time.sleep(0.3)
    assert 4 <= src.made <= 5
    bg.close()


def test_close_and_context_manager_stop_the_thread():
    bg = batch_loader(np.arange(100), batch_size=1, background=True, queue_size=2)
    next(bg)
    bg.close()
    bg.close()  # twice is fine
    assert not bg.running
    with batch_loader(np.arange(10), batch_size=1, background=True) as bg2:
        next(bg2)
    assert not bg2.running


def test_garbage_collection_stops_the_thread():
    bg = augmenting_flow(background=True)
    next(bg)
    thread = bg._thread
    del bg
    gc.collect()
    thread.join(5)
    assert not thread.is_alive()


def test_interrupted_consumer_then_close():
    """What a fit interrupted by Ctrl-C does: stop consuming mid-epoch, then close()."""
    bg = augmenting_flow(background=True)
    try:
        for step, _ in enumerate(bg):
            if step == 2:
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    finally:
        bg.close()
    assert not bg.running


def test_no_thread_left_at_interpreter_exit():
    code = textwrap.dedent("""
        import atexit, threading
        # registered first, so it runs after tinynet's own exit hook
        atexit.register(lambda: print("alive:", [t.name for t in threading.enumerate()
                                                   if t.name.startswith("tinynet-batches") and t.is_alive()]))
        import numpy as np
        from tinynet.preprocessing import batch_loader
        it = batch_loader(np.zeros((1000, 3, 8, 8)), batch_size=4, background=True, queue_size=2)
        next(it)
        keep = it  # never closed
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "alive: []" in r.stdout


def test_bad_arguments():
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        batch_loader(np.arange(3), batch_size=0)
    with pytest.raises(ValueError, match="x and y differ in length: 3 != 2"):
        batch_loader(np.arange(3), np.arange(2))
    with pytest.raises(ValueError, match="queue_size must be a positive int, got 0"):
        batch_loader(np.arange(3), background=True, queue_size=0)
    with pytest.raises(ValueError, match="no samples"):
        batch_loader(np.zeros((0, 2)))
