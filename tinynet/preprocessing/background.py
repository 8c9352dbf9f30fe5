"""Batches prepared in a background thread while the model trains.

    with BackgroundIterator(source, queue_size=8) as it:
        for step in range(len(it)): xb, yb = next(it)

A daemon thread computes ``source.batch(epoch, index)`` in the same order as ``next(source)`` would
and puts them in a bounded queue. An exception in the thread is raised by ``next()`` in the
consumer (after the good batches before it). The thread stops on ``close()``, on leaving a ``with``
block, when the iterator is garbage-collected, and at interpreter exit.
"""

import atexit
import queue
import threading
import weakref

_live = weakref.WeakSet()
_POLL_S = 0.1


class _Failure:
    def __init__(self, exc):
        self.exc = exc


def _put(q, item, stop):
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def _work(source, start, q, stop):
    # Holds the source, never the BackgroundIterator, so that one can be garbage-collected.
    try:
        for epoch, index in source.positions(*start):
            if stop.is_set() or not _put(q, source.batch(epoch, index), stop):
                return
    except BaseException as e:  # noqa: B902 - handed to the consumer, which re-raises it
        _put(q, _Failure(e), stop)


class BackgroundIterator:
    """Wrap a :class:`~.iterators.BatchIterator` so its batches are made ahead in a thread.

    Yields exactly what ``next(source)`` would, in order, from the source's current position;
    ``len()``, ``epoch``, ``batch_index``... are the source's and advance as batches are consumed.
    ``queue_size`` bounds how many batches are held ready (memory).
    """

    def __init__(self, source, queue_size=8):
        if not isinstance(queue_size, int) or queue_size < 1:
            raise ValueError(
                f"BackgroundIterator: queue_size must be a positive int, got {queue_size!r}"
            )
        self.source = source
        self._queue = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=_work,
            args=(source, (source.epoch, source.batch_index), self._queue, self._stop),
            name=f"tinynet-batches-{id(self):x}",
            daemon=True,
        )
        self._thread.start()
        _live.add(self)

    def __next__(self):
        if self._stop.is_set():
            raise RuntimeError("BackgroundIterator: next() after close(); make a new iterator")
        while True:
            try:
                item = self._queue.get(timeout=_POLL_S)
                break
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    self.close()
                    raise RuntimeError(
                        "BackgroundIterator: the batch thread ended without a batch"
                    ) from None
        if isinstance(item, _Failure):
            self.close()
            if hasattr(item.exc, "add_note"):
                item.exc.add_note(
                    "(raised while preparing a batch in tinynet's background batch thread)"
                )
            raise item.exc
        self.source._advance()
        return item

    def __iter__(self):
        return self

    def __len__(self):
        return len(self.source)

    def __getitem__(self, index):
        return self.source[index]

    def __getattr__(self, name):
        if name.startswith("_") or name == "source":
            raise AttributeError(name)
        return getattr(self.source, name)

    @property
    def running(self):
        """Whether the batch thread is still alive."""
        return self._thread.is_alive()

    def close(self, timeout=5.0):
        """Stop the thread and drop the queued batches; safe to call more than once."""
        stop = self.__dict__.get("_stop")
        if stop is None:
            return
        stop.set()
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close(timeout=1.0)
        except Exception:  # noqa: BLE001 - never raise from a finaliser (e.g. at interpreter exit)
            pass


@atexit.register
def _close_all():
    for it in list(_live):
        it.close(timeout=1.0)
