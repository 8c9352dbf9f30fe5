"""1-D convolution over sequences, dilated and causal, as one GEMM per kernel tap.

x (N, C, L), w (C_out, C, k) as in PyTorch. Inside, a sequence is held channel-major and
batch-last, (C, L, N) in memory, so the inputs that kernel tap j reads for a run of outputs
t0..t1 (stride 1) are the contiguous rows ``X[:, t0 + j*d - pad : t1 + j*d - pad]``, a (C, n*N)
matrix view: ``y += w[:, :, j] @ X[rows]`` is a GEMM on views, with no column matrix and no
padded copy (outputs whose window reaches into the padding simply get fewer taps). Outputs come
back as an (N, C_out, L_out) view of (C_out, L_out, N) memory, which elementwise ops keep, so the
next conv1d reads its input without a copy: a WaveNet stack transposes once, at its input.

Its ``backward_graph`` (for ``create_graph``) is the gradient of the same convolution as a
conv2d over rows of height 1 (explicit padding, stride and dilation along the row), whose
second order is written with convolutions.
"""

from .. import threads
from ..autograd import Function
from ..backend import get_array_module
from ._args import positive_int
from ._graph import composite_vjp
from .layout import sum_axes


def _pads(padding, k, dilation, op="conv1d"):
    """``padding`` (an int, a pair, "valid", "same" or "causal") -> (left, right) pads."""
    span = dilation * (k - 1)  # the receptive field of one output, less one
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0
        if padding == "same":  # PyTorch's choice for an odd span: the extra cell on the right
            return span // 2, span - span // 2
        if padding == "causal":  # output t sees inputs t - span .. t only
            return span, 0
        raise ValueError(
            f"{op}: padding must be an int, a pair, 'valid', 'same' or 'causal', got {padding!r}"
        )
    pads = tuple(padding) if isinstance(padding, (tuple, list)) else (padding, padding)
    if len(pads) != 2 or any(not isinstance(p, int) or isinstance(p, bool) or p < 0 for p in pads):
        raise ValueError(f"{op}: padding must be ints >= 0, got {padding!r}")
    return pads


def output_length(L, k, stride=1, padding=0, dilation=1):
    """The output length of :func:`conv1d` on length-L sequences."""
    left, right = _pads(padding, k, dilation)
    return (L + left + right - dilation * (k - 1) - 1) // stride + 1


def to_sequence_rows(x):
    """(N, C, L) -> its (C, L, N) C-contiguous form: a view when x already lies that way."""
    rows = x.transpose(1, 2, 0)
    return rows if rows.flags.c_contiguous else get_array_module(x).ascontiguousarray(rows)


class Conv1d(Function):
    """y (N, C_out, L_out) = conv1d(x (N, C, L), w (C_out, C, k)) + b (C_out,), with
    ``y[n, o, t] = b[o] + sum_{c, j} w[o, c, j] x[n, c, stride*t + dilation*j - left]``."""

    def __init__(self, stride=1, padding=0, dilation=1):
        self.stride = positive_int(stride, "stride", op="conv1d")
        self.dilation = positive_int(dilation, "dilation", op="conv1d")
        self.padding = padding
        _pads(padding, 1, 1)  # the kind of padding is checked at once; its size needs k

    def check_inputs(self, x, w, b=None):
        if x.ndim != 3:
            raise ValueError(f"conv1d: x must be (N, C, L), got shape {x.shape}")
        if w.ndim != 3:
            raise ValueError(f"conv1d: w must be (C_out, C_in, k), got shape {w.shape}")
        if x.shape[1] != w.shape[1]:
            raise ValueError(
                f"conv1d: x has {x.shape[1]} channels (shape {x.shape}) but w expects "
                f"{w.shape[1]} (shape {w.shape})"
            )
        if b is not None and b.shape != (w.shape[0],):
            raise ValueError(f"conv1d: b must have shape ({w.shape[0]},), got {b.shape}")
        if x.dtype != w.dtype or (b is not None and b.dtype != x.dtype):
            raise TypeError(
                f"conv1d: dtypes differ: x {x.dtype}, w {w.dtype}"
                + (f", b {b.dtype}" if b is not None else "")
            )
        k = w.shape[2]
        if output_length(x.shape[2], k, self.stride, self.padding, self.dilation) < 1:
            raise ValueError(
                f"conv1d: kernel {k} with dilation {self.dilation} does not fit length "
                f"{x.shape[2]} with padding {self.padding!r} (x {x.shape}, w {w.shape})"
            )

    def _taps(self, L, k, L_out):
        """Per kernel tap j: (j, out slice, input slice) of the outputs it reaches."""
        s, d, left = self.stride, self.dilation, self.left
        for j in range(k):
            shift = d * j - left  # output t reads input s*t + shift
            lo = min(L_out, max(0, -(-(-shift) // s)))
            hi = max(lo, min(L_out, (L - 1 - shift) // s + 1))
            if hi > lo:
                first = s * lo + shift
                yield j, slice(lo, hi), slice(first, first + s * (hi - lo - 1) + 1, s)

    def forward(self, x, w, b=None):
        xp = get_array_module(x)
        N, _, L = x.shape
        c_out, _, k = w.shape
        self.left, _ = _pads(self.padding, k, self.dilation)
        L_out = output_length(L, k, self.stride, self.padding, self.dilation)
        X = to_sequence_rows(x)  # (C, L, N)
        self.X, self.w, self.has_b = X, w, b is not None
        self.taps = list(self._taps(L, k, L_out))
        full = [t for t in self.taps if t[1] == slice(0, L_out)]
        y = (
            xp.empty((c_out, L_out, N), dtype=x.dtype)
            if full
            else xp.zeros((c_out, L_out, N), dtype=x.dtype)
        )
        first = full[0] if full else None
        if first is not None:  # one tap covers every output: it writes y, the others add
            j, _, src = first
            threads.matmul(w[:, :, j], X[:, src].reshape(X.shape[0], -1), out=y.reshape(c_out, -1))
        for tap in self.taps:
            if tap is first:
                continue
            j, out, src = tap
            part = threads.matmul(w[:, :, j], X[:, src].reshape(X.shape[0], -1))
            y[:, out] += part.reshape(c_out, -1, N)
        if b is not None:
            y += b[:, None, None]
        return y.transpose(2, 0, 1)

    def backward(self, gy):
        xp, X, w = get_array_module(gy), self.X, self.w
        G = to_sequence_rows(gy)  # (C_out, L_out, N)
        c_out, C, L = w.shape[0], X.shape[0], X.shape[1]
        gw = xp.zeros_like(w) if self.needs_grad[1] else None
        # a tap that reads every input once (stride 1, all of x) writes gX; the others add
        whole = [t for t in self.taps if t[2] == slice(0, L, 1)] if self.needs_grad[0] else []
        gX = None
        if whole:
            j, out, _ = whole[0]
            gX = xp.empty_like(X)
            threads.matmul(w[:, :, j].T, G[:, out].reshape(c_out, -1), out=gX.reshape(C, -1))
        elif self.needs_grad[0]:
            gX = xp.zeros_like(X)
        for j, out, src in self.taps:
            g = G[:, out].reshape(c_out, -1)
            if gw is not None:
                gw[:, :, j] = threads.matmul(g, X[:, src].reshape(C, -1).T)
            if gX is not None and not (whole and j == whole[0][0]):
                gX[:, src] += threads.matmul(w[:, :, j].T, g).reshape(C, -1, X.shape[2])
        gb = sum_axes(G, (1, 2)).reshape(-1) if self.has_b and self.needs_grad[2] else None
        return (None if gX is None else gX.transpose(2, 0, 1)), gw, gb

    def backward_graph(self, gy):
        from .conv import conv2d
        from .shape import pad2d

        _, right = _pads(self.padding, self.w.shape[2], self.dilation)
        s, d, left = self.stride, self.dilation, self.left

        def as_rows(x, w, b=None):
            (N, C, L), (c_out, _, k) = x.shape, w.shape
            rows = pad2d(x.reshape(N, C, 1, L), ((0, 0), (left, right)))
            y = conv2d(rows, w.reshape(c_out, C, 1, k), b, (1, s), 0, (1, d))
            return y.reshape(N, c_out, y.shape[3])

        return composite_vjp(as_rows, self.inputs, (gy,), self.needs_grad)


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1):
    """x (N, C, L), w (C_out, C, k), b (C_out,) or None -> (N, C_out, L_out). ``padding``: an int
    (both sides), a pair (left, right), "valid", "same" (L_out = L at stride 1) or "causal" (all
    on the left: output t depends on inputs up to t only)."""
    return Conv1d(stride, padding, dilation)(x, w, b)
