"""2-D pooling over (N, C, H, W) as the elementwise max / mean of the kh*kw strided window slices.

Working on whole strided slices (one NumPy call per kernel offset) keeps the memory order of the
input, so the layout produced by conv2d (batch-last on NumPy, see :mod:`.layout`) flows through
unchanged, and a slice's innermost run is the batch.

Second order (``create_graph``): both gradients are linear in the upstream gradient, so each is an
op of its own whose gradient is its adjoint: avg_pool2d's is avg_pool2d itself (zero padding
counts), max_pool2d's gathers at the window maxima it routed to (the routing, fixed by x, is a
constant: its derivative in x is zero almost everywhere).
"""

from .. import threads
from ..autograd import Function
from ..backend import get_array_module
from ._args import out_size, pair, window_offsets
from .layout import copy_like, is_batch_last, memory_order, new_images

GROUP_BYTES = 2 << 20  # max_pool2d's backward works on channel groups of about this input size


class _Pool2d(Function):
    op = "pool2d"
    fill = 0

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel = pair(kernel_size, "kernel_size", op=self.op)
        self.stride = self.kernel if stride is None else pair(stride, "stride", op=self.op)
        self.padding = pair(padding, "padding", op=self.op)

    def check_inputs(self, x):
        if x.ndim != 4:
            raise ValueError(f"{self.op}: x must be (N, C, H, W), got shape {x.shape}")
        (kh, kw), (ph, pw) = self.kernel, self.padding
        if ph * 2 > kh or pw * 2 > kw:
            raise ValueError(
                f"{self.op}: padding {self.padding} must be at most half the kernel {self.kernel}"
            )
        H, W = x.shape[2:]
        if kh > H + 2 * ph or kw > W + 2 * pw:
            raise ValueError(
                f"{self.op}: window {self.kernel} is larger than the input "
                f"{H}x{W} (padding {self.padding}; x shape {x.shape})"
            )

    def _setup(self, x):
        (kh, kw), (sh, sw), (ph, pw) = self.kernel, self.stride, self.padding
        H, W = x.shape[2:]
        self.x_shape = x.shape
        self.oh, self.ow = out_size(H, kh, sh, ph), out_size(W, kw, sw, pw)
        self.batch_last = is_batch_last(x)
        if ph or pw:  # pad in x's memory layout
            N, C = x.shape[:2]
            padded = new_images(
                get_array_module(x),
                (N, C, H + 2 * ph, W + 2 * pw),
                x.dtype,
                self.batch_last,
                fill=self.fill,
            )
            padded[:, :, ph : ph + H, pw : pw + W] = x
            x = padded
        return x

    def _slices(self):
        (kh, kw), (sh, sw) = self.kernel, self.stride
        for _, _, rows, cols in window_offsets(kh, kw, sh, sw, self.oh, self.ow):
            yield (slice(None), slice(None), rows, cols)

    def _tiles_exactly(self):
        """True when the windows cover the padded input once each (stride == kernel, no rest)."""
        N, C, H, W = self.x_shape
        (kh, kw), (ph, pw) = self.kernel, self.padding
        return (
            self.stride == self.kernel and self.oh * kh == H + 2 * ph and self.ow * kw == W + 2 * pw
        )

    def _padded_zeros(self, like, empty=False):
        """A gradient buffer for the padded input, in the input's memory layout; left
        uninitialised when ``empty`` (the caller then writes every element)."""
        N, C, H, W = self.x_shape
        (ph, pw) = self.padding
        return new_images(
            get_array_module(like),
            (N, C, H + 2 * ph, W + 2 * pw),
            like.dtype,
            self.batch_last,
            fill=None if empty else 0,
        )

    def _crop(self, gx):
        N, C, H, W = self.x_shape
        ph, pw = self.padding
        return gx[:, :, ph : ph + H, pw : pw + W]


class MaxPool2d(_Pool2d):
    """Max over each window; the gradient goes to exactly one input per window (the first maximum
    in row-major window order)."""

    op = "max_pool2d"
    fill = float("-inf")

    def forward(self, x):
        x = self._setup(x)
        xp = get_array_module(x)
        slices = list(self._slices())
        y = xp.empty_like(x[slices[0]])  # x's memory order

        def channels(c0, c1):
            part = y[:, c0:c1]
            part[...] = x[slices[0]][:, c0:c1]
            for s in slices[1:]:
                xp.maximum(part, x[s][:, c0:c1], out=part)

        threads.split(channels, x.shape[1], x.nbytes, like=x)
        self.x, self.y = x, y
        return y

    def backward_graph(self, gy):
        return MaxPoolRouting(self, gather=False)(gy)

    def gather(self, g):
        """The adjoint of the routing: for each window, g (x's shape) at the maximum that
        backward routes the window's gradient to."""
        xp = get_array_module(g)
        (ph, pw), (H, W) = self.padding, self.x_shape[2:]
        if ph or pw:
            padded = self._padded_zeros(g)
            padded[:, :, ph : ph + H, pw : pw + W] = g
            g = padded
        out = xp.zeros(self.y.shape, dtype=g.dtype)
        taken = xp.zeros(self.y.shape, dtype=bool)
        for s in self._slices():
            hit = (self.x[s] == self.y) & ~taken
            out += g[s] * hit
            taken |= hit
        return out

    def backward(self, gy):
        xp = get_array_module(gy)
        if memory_order(gy) != memory_order(self.y):  # work in the memory layout of x and y
            gy = copy_like(gy, self.y)
        tiled = self._tiles_exactly()
        gx = self._padded_zeros(gy, empty=tiled)

        def route(c0, c1):  # half of the channels, on one of two threads
            for cs in self._channel_groups(c0, c1):
                self._route(xp, gy[:, cs], gx[:, cs], self.x[:, cs], self.y[:, cs], tiled)

        threads.split(route, self.x.shape[1], 2 * self.x.nbytes, like=gy)
        return self._crop(gx)

    def _channel_groups(self, c0, c1):
        """Slices of the channels [c0, c1) whose input fits in about GROUP_BYTES, when channels
        are outermost in memory (batch-last NumPy arrays): the backward pass then makes its
        several passes over each group while it sits in cache. Otherwise one group."""
        per_channel = self.x[:, :1].nbytes
        n = c1 - c0
        if memory_order(self.x)[0] == 1:
            n = max(1, min(n, GROUP_BYTES // per_channel))
        return [slice(c, min(c1, c + n)) for c in range(c0, c1, n)]

    def _route(self, xp, gy, gx, x, y, tiled):
        """Each window's gradient to the first offset that holds its maximum, in window order:
        ``taken`` marks the windows already served, so later ties get nothing."""
        slices = list(self._slices())
        hit = xp.empty_like(y, dtype=bool)
        taken = None
        for k, s in enumerate(slices):
            xp.equal(x[s], y, out=hit)
            if taken is not None:
                xp.greater(hit, taken, out=hit)  # a maximum here, none at an earlier offset
            if tiled:
                xp.multiply(gy, hit, out=gx[s])
            else:
                gx[s] += gy * hit
            if k == len(slices) - 1:
                break
            if taken is None:
                taken = hit.copy(order="K")
            else:
                xp.logical_or(taken, hit, out=taken)


class AvgPool2d(_Pool2d):
    """Mean over each window; padded cells count as zeros (PyTorch's count_include_pad=True)."""

    op = "avg_pool2d"

    def forward(self, x):
        x = self._setup(x)
        slices = list(self._slices())
        y = x[slices[0]].copy(order="K")
        for s in slices[1:]:
            y += x[s]
        kh, kw = self.kernel
        y *= x.dtype.type(1.0 / (kh * kw))
        return y

    def backward(self, gy):
        kh, kw = self.kernel
        g = gy * gy.dtype.type(1.0 / (kh * kw))
        tiled = self._tiles_exactly()
        gx = self._padded_zeros(gy, empty=tiled)
        for s in self._slices():
            if tiled:
                gx[s] = g
            else:
                gx[s] += g
        return self._crop(gx)

    def backward_graph(self, gy):
        return AvgPoolGrad(self)(gy)


_GEOMETRY = ("kernel", "stride", "padding", "x_shape", "oh", "ow", "batch_last")


def _pool_copy(pool, cls, *saved):
    """A bare ``cls`` holding pool's window geometry (and the arrays named in ``saved``), so a
    gradient op keeps what it needs after the pool's node is released."""
    copy = object.__new__(cls)
    copy.__dict__.update({k: pool.__dict__[k] for k in _GEOMETRY + saved})
    return copy


class AvgPoolGrad(Function):
    """avg_pool2d's input gradient, gy (N, C, oh, ow) -> (N, C, H, W), as an op: its gradient is
    avg_pool2d again."""

    def __init__(self, pool):
        self.pool = _pool_copy(pool, AvgPool2d)

    def forward(self, gy):
        return self.pool.backward(gy)

    def backward(self, g):
        p = self.pool
        return AvgPool2d(p.kernel, p.stride, p.padding).forward(g)

    def backward_graph(self, g):
        p = self.pool
        return avg_pool2d(g, p.kernel, p.stride, p.padding)


class MaxPoolRouting(Function):
    """max_pool2d's input gradient as an op (``gather=False``: gy (N, C, oh, ow) routed to the
    window maxima, -> (N, C, H, W)) and its adjoint (``gather=True``: g (N, C, H, W) read at the
    maxima, -> (N, C, oh, ow)); each is the other's gradient."""

    def __init__(self, pool, gather):
        self.pool, self.gather = _pool_copy(pool, MaxPool2d, "x", "y"), gather

    def forward(self, g):
        return self.pool.gather(g) if self.gather else self.pool.backward(g)

    def backward(self, g):
        return self.pool.backward(g) if self.gather else self.pool.gather(g)

    def backward_graph(self, g):
        return MaxPoolRouting(self.pool, not self.gather)(g)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    return MaxPool2d(kernel_size, stride, padding)(x)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    return AvgPool2d(kernel_size, stride, padding)(x)
