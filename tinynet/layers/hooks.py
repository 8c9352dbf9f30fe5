"""Handles returned by ``register_*_hook``: ``handle.remove()`` takes the hook away again."""

import itertools

_ids = itertools.count()


class RemovableHandle:
    """Removes one hook from the dict it was registered in (PyTorch's handle)."""

    def __init__(self, hooks, fn):
        self.hooks, self.id = hooks, next(_ids)
        hooks[self.id] = fn

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
