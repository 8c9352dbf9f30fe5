"""Embedding lookup: rows of a table gathered by integer ids."""

from ..autograd import Function, Tensor
from ..backend import get_array_module


def scatter_add(target, ids, rows):
    """target[ids[i]] += rows[i] for every i, repeated ids summed (not overwritten), in place.
    ids (M,) int, rows (M, D): one unbuffered add (``ufunc.at``), no index array per element."""
    xp = get_array_module(target)
    if xp.__name__ == "numpy":
        xp.add.at(target, ids, rows)
    else:  # CuPy
        import cupyx

        cupyx.scatter_add(target, ids, rows)
    return target


class Embedding(Function):
    """ids (any shape, integers in [0, num)) and table (num, dim) -> (*ids.shape, dim). The
    ids are constants; the table's gradient sums the output gradients of each id's rows."""

    def check_inputs(self, ids, table):
        if table.ndim != 2:
            raise ValueError(f"embedding: table must be (num, dim), got shape {table.shape}")
        if ids.dtype.kind not in "iu":
            raise TypeError(f"embedding: ids must be integers, got dtype {ids.dtype}")
        if ids.size and bool(((ids < 0) | (ids >= table.shape[0])).any()):
            raise ValueError(
                f"embedding: ids must be in [0, {table.shape[0]}) for a table of shape "
                f"{table.shape}, got range [{int(ids.min())}, {int(ids.max())}]"
            )

    def forward(self, ids, table):
        self.ids, self.table_shape = ids, table.shape
        return table[ids]

    def backward(self, gy):
        xp = get_array_module(gy)
        g = xp.zeros(self.table_shape, dtype=gy.dtype)
        dim = self.table_shape[1]
        return None, scatter_add(g, self.ids.reshape(-1), gy.reshape(-1, dim))

    def backward_graph(self, gy):
        return None, EmbeddingGrad(self.ids, self.table_shape)(gy)


class EmbeddingGrad(Function):
    """The table's gradient as an op, gy (*ids.shape, dim) -> (num, dim), each id's rows summed;
    linear in gy, its gradient is the lookup again."""

    def __init__(self, ids, table_shape):
        self.ids, self.table_shape = ids, table_shape

    def forward(self, gy):
        g = get_array_module(gy).zeros(self.table_shape, dtype=gy.dtype)
        return scatter_add(g, self.ids.reshape(-1), gy.reshape(-1, self.table_shape[1]))

    def backward(self, g):
        return g[self.ids]

    def backward_graph(self, g):
        return Embedding()(self.ids, g)


def embedding(ids, table):
    """Rows of ``table`` (num, dim) at integer ``ids`` (raw array or Tensor, not differentiated)."""
    if isinstance(ids, Tensor):
        ids = ids.data
    return Embedding()(ids, table)
