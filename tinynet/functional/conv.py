"""Convolution and its exact adjoint (transposed convolution) as GEMMs over sliding windows, and
upsampling.

Layout: the public API is channels-first (N, C, H, W). Inside, images are batch-last on NumPy,
(C, H, W, N) in memory (see :mod:`.layout`), and (C, N, H, W) on CuPy: the GEMM
``W (C_out, K) @ columns (K, oh*ow*N)`` then yields the output already laid out
(C_out, oh, ow, N), and ops return it as an (N, C_out, oh, ow) *view* (a transpose, no copy).
Elementwise ops and pooling preserve that memory order, so the next convolution reads its input
without a transposing copy.

The GEMMs run on the windows strategy that :func:`.windows.make_windows` picks once per op:
on NumPy (:class:`.windows.BatchLastRows`) the columns of each output row are a view of the
input's expanded rows (kw shifted copies), so conv2d's forward pass and kernel gradient, and
conv2d_transpose's backward pass, copy the input kw times and build no column matrix; conv2d's
input gradient, and conv2d_transpose's forward pass, with row stride 1 are folded input row by
input row (``fold_rows``: one GEMM on a slice of gy's rows, kw adds), otherwise columns are
summed into the image (col2im) in blocks of output rows. A stride-1 conv2d with few output
channels skips the expanded rows (:class:`.windows.ShiftedRows`: one GEMM per output row on the
stacked kernel columns, kw shifted adds). On CuPy (:class:`.windows.CudaKernels`) one block of
columns is built and summed by fused CUDA kernels.

:func:`conv2d_reference` is the same convolution in a few readable lines: read it first.

Second order (``create_graph``): conv2d is bilinear in (x, w), so its gradients are convolutions
again. With C(x, w) = conv2d, its input gradient C_x^T(gy, w) is conv2d_transpose (the adjoint,
with the output_padding that restores x's size) and its kernel gradient C_w^T(x, gy) is
:class:`Conv2dGradWeight`; the three map into one another under differentiation, so each one's
``backward_graph`` is written with the other two.
"""

from ..autograd import Function, Tensor
from ..backend import get_array_module
from ._args import out_size, pair
from .layout import from_columns, sum_axes, to_columns
from .shape import pad2d
from .windows import make_windows


def _check_conv(op, x, w, b, c_in_axis):
    if x.ndim != 4:
        raise ValueError(f"{op}: x must be (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"{op}: w must be 4-D, got shape {w.shape}")
    if x.shape[1] != w.shape[c_in_axis]:
        raise ValueError(
            f"{op}: x has {x.shape[1]} channels (shape {x.shape}) but w expects "
            f"{w.shape[c_in_axis]} (shape {w.shape})"
        )
    c_out = w.shape[1 - c_in_axis]
    if b is not None and b.shape != (c_out,):
        raise ValueError(f"{op}: b must have shape ({c_out},), got {b.shape}")
    if x.dtype != w.dtype or (b is not None and b.dtype != x.dtype):
        raise TypeError(
            f"{op}: dtypes differ: x {x.dtype}, w {w.dtype}"
            + (f", b {b.dtype}" if b is not None else "")
        )


def _add_bias_rows(win, y, b):
    """y (C_out, M) += b (C_out,) per row, in one pass over all of y (NumPy adds into a strided
    block of columns several times slower per number), channels split where the strategy
    splits."""
    win.split(
        lambda c0, c1: get_array_module(y).add(y[c0:c1], b[c0:c1, None], out=y[c0:c1]),
        y.shape[0],
        y.nbytes,
    )


class Conv2d(Function):
    """y (N, C_out, oh, ow) = conv(x (N, C, H, W), w (C_out, C, kh, kw)) + b (C_out,), the
    kernel's cells ``dilation`` pixels apart (1: adjacent)."""

    def __init__(self, stride=1, padding=0, dilation=1):
        self.stride = pair(stride, "stride", op="conv2d")
        self.padding = pair(padding, "padding", op="conv2d")
        self.dilation = pair(dilation, "dilation", op="conv2d")

    def check_inputs(self, x, w, b=None):
        _check_conv("conv2d", x, w, b, c_in_axis=1)
        (H, W), (kh, kw) = x.shape[2:], w.shape[2:]
        spans = [d * (k - 1) + 1 for d, k in zip(self.dilation, (kh, kw))]
        if (
            min(
                out_size(n, k, s, p) for n, k, s, p in zip((H, W), spans, self.stride, self.padding)
            )
            < 1
        ):
            raise ValueError(
                f"conv2d: kernel {kh}x{kw}"
                + (f" (dilation {self.dilation})" if self.dilation != (1, 1) else "")
                + f" does not fit input {H}x{W} with padding {self.padding} (x {x.shape}, "
                f"w {w.shape})"
            )

    def forward(self, x, w, b=None):
        N = x.shape[0]
        c_out, _, kh, kw = w.shape
        win = make_windows(
            x.shape, kh, kw, self.stride, self.padding, x, dilation=self.dilation, c_out=c_out
        )
        self.win, self.src, self.w, self.has_b = win, win.gemm_source(x), w, b is not None
        xp, w_mat = get_array_module(x), win.gemm_weights(w)
        y = xp.empty((c_out, N * win.oh * win.ow), dtype=x.dtype)
        win.row_gemms(w_mat, self.src, y)
        if b is not None:
            _add_bias_rows(win, y, b)
        return from_columns(y, N, win.oh, win.ow, win.batch_last)

    def backward(self, gy):
        win, w = self.win, self.w
        gy_mat = to_columns(gy, win.batch_last)
        c_out = w.shape[0]
        gw_t = win.kernel_gradient_t(self.src, gy_mat, c_out) if self.needs_grad[1] else None
        gb = sum_axes(gy_mat, (1,))[:, 0] if self.has_b and self.needs_grad[2] else None
        gx = None
        if self.needs_grad[0] and win.folds_rows():
            if self.final_backward:
                self.src = None  # the windows are used up: free them before gx is allocated
            gx = win.fold_rows(gy, w)
        elif self.needs_grad[0]:
            gx = win.col2im_gemms(w.reshape(c_out, -1).T, gy_mat)
        gw = win.gemm_kernel(gw_t.T) if gw_t is not None else None
        return gx, gw, gb

    def backward_graph(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        ng = self.needs_grad
        gx = gw = gb = None
        if ng[0]:
            rest = _rest(x.shape[2:], w.shape[2:], gy.shape[2:], self)
            gx = conv2d_transpose(gy, w, None, self.stride, self.padding, rest, self.dilation)
        if ng[1]:
            gw = conv2d_grad_weight(x, gy, w.shape[2:], self.stride, self.padding, self.dilation)
        if self.has_b and ng[2]:
            gb = gy.sum(axis=(0, 2, 3))
        return gx, gw, gb


def _rest(hw, khw, ohw, op):
    """The rows (columns) of a padded input of size hw that no window of a kernel khw with
    ``op``'s stride, padding and dilation reaches, past the last one: conv2d_transpose's
    output_padding that gives back the input's size from an output of size ohw."""
    return tuple(
        n + 2 * p - d * (k - 1) - 1 - (o - 1) * s
        for n, k, o, s, p, d in zip(hw, khw, ohw, op.stride, op.padding, op.dilation)
    )


class Conv2dGradWeight(Function):
    """conv2d's kernel gradient as an op of its own: x (N, C, H, W) and gy (N, C_out, oh, ow)
    -> gw (C_out, C, kh, kw), gw[o, c, i, j] = sum over n, y, x' of gy[n, o, y, x'] times the
    padded x[n, c, s*y + d*i, s*x' + d*j]. Bilinear: its gradients are conv2d_transpose (in x)
    and conv2d (in gy)."""

    def __init__(self, kernel_size, stride=1, padding=0, dilation=1):
        self.kernel_size = pair(kernel_size, "kernel_size", op="conv2d_grad_weight")
        self.stride = pair(stride, "stride", op="conv2d_grad_weight")
        self.padding = pair(padding, "padding", op="conv2d_grad_weight")
        self.dilation = pair(dilation, "dilation", op="conv2d_grad_weight")

    def forward(self, x, gy):
        kh, kw = self.kernel_size
        c_out = gy.shape[1]
        win = make_windows(x.shape, kh, kw, self.stride, self.padding, x, dilation=self.dilation)
        if (win.oh, win.ow) != gy.shape[2:]:
            raise ValueError(
                f"conv2d_grad_weight: gy {gy.shape} does not fit the output of x {x.shape} "
                f"under a {kh}x{kw} kernel ({win.oh}x{win.ow})"
            )
        self.x_hw, self.gy_hw, self.x_data, self.gy_data = x.shape[2:], gy.shape[2:], x, gy
        src, gy_mat = win.gemm_source(x), to_columns(gy, win.batch_last)
        return win.gemm_kernel(win.kernel_gradient_t(src, gy_mat, c_out).T)

    def _rest(self):
        return _rest(self.x_hw, self.kernel_size, self.gy_hw, self)

    def backward(self, ggw):
        args = (self.stride, self.padding)
        gx = (
            Conv2dTranspose(*args, self._rest(), self.dilation).forward(self.gy_data, ggw)
            if self.needs_grad[0]
            else None
        )
        ggy = Conv2d(*args, self.dilation).forward(self.x_data, ggw) if self.needs_grad[1] else None
        return gx, ggy

    def backward_graph(self, ggw):
        x, gy = self.inputs
        gx = ggy = None
        if self.needs_grad[0]:
            gx = conv2d_transpose(
                gy, ggw, None, self.stride, self.padding, self._rest(), self.dilation
            )
        if self.needs_grad[1]:
            ggy = conv2d(x, ggw, None, self.stride, self.padding, self.dilation)
        return gx, ggy


def conv2d_grad_weight(x, gy, kernel_size, stride=1, padding=0, dilation=1):
    """The gradient of conv2d's kernel: x (N, C, H, W), gy (N, C_out, oh, ow) -> (C_out, C, kh,
    kw), differentiable in both (for gradients of gradients)."""
    return Conv2dGradWeight(kernel_size, stride, padding, dilation)(x, gy)


class Conv2dTranspose(Function):
    """The adjoint of conv2d: x (N, C_in, H, W), w (C_in, C_out, kh, kw) -> (N, C_out, Ho, Wo)
    with Ho = (H - 1) * stride - 2 * padding + dilation * (kh - 1) + 1 + output_padding
    (PyTorch's convention). Its windows are conv2d's over the output: one per input pixel."""

    def __init__(self, stride=1, padding=0, output_padding=0, dilation=1):
        self.stride = pair(stride, "stride", op="conv2d_transpose")
        self.padding = pair(padding, "padding", op="conv2d_transpose")
        self.output_padding = pair(output_padding, "output_padding", op="conv2d_transpose")
        self.dilation = pair(dilation, "dilation", op="conv2d_transpose")

    def _output_size(self, x, w):
        (sh, sw), (ph, pw), (oph, opw) = self.stride, self.padding, self.output_padding
        (H, W), (kh, kw), (dh, dw) = x.shape[2:], w.shape[2:], self.dilation
        return (
            (H - 1) * sh - 2 * ph + dh * (kh - 1) + 1 + oph,
            (W - 1) * sw - 2 * pw + dw * (kw - 1) + 1 + opw,
        )

    def check_inputs(self, x, w, b=None):
        _check_conv("conv2d_transpose", x, w, b, c_in_axis=0)
        (sh, sw), (oph, opw) = self.stride, self.output_padding
        if not (0 <= oph < max(sh, 1) and 0 <= opw < max(sw, 1)):
            raise ValueError(
                f"conv2d_transpose: output_padding {self.output_padding} must be "
                f"smaller than stride {self.stride}"
            )
        if min(self._output_size(x, w)) < 1:
            raise ValueError(
                f"conv2d_transpose: padding {self.padding} leaves no output for "
                f"x {x.shape} and w {w.shape}"
            )

    def forward(self, x, w, b=None):
        N, c_in, H, W = x.shape
        _, c_out, kh, kw = w.shape
        ho, wo = self._output_size(x, w)
        win = make_windows(
            (N, c_out, ho, wo), kh, kw, self.stride, self.padding, x, dilation=self.dilation
        )
        self.win, self.x_mat = win, to_columns(x, win.batch_last)
        self.x_shape, self.w, self.has_b = x.shape, w, b is not None
        if win.folds_rows():  # conv2d's input gradient, with x in the place of gy
            y = win.fold_rows(x, w)
        else:
            y = win.col2im_gemms(w.reshape(c_in, -1).T, self.x_mat)
        if b is not None:
            y += b[:, None, None]
        return y

    def backward(self, gy):
        win, w = self.win, self.w
        N, c_in, H, W = self.x_shape
        xp, w_mat = get_array_module(gy), win.gemm_weights(w)
        src = win.gemm_source(gy)
        gw_t = win.kernel_gradient_t(src, self.x_mat, c_in) if self.needs_grad[1] else None
        gx = None
        if self.needs_grad[0]:
            gx = xp.empty((c_in, N * H * W), dtype=gy.dtype)
            win.row_gemms(w_mat, src, gx)
            gx = from_columns(gx, N, H, W, win.batch_last)
        gw = win.gemm_kernel(gw_t.T) if gw_t is not None else None
        gb = sum_axes(gy, (0, 2, 3)).reshape(-1) if self.has_b and self.needs_grad[2] else None
        return gx, gw, gb

    def backward_graph(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        ng = self.needs_grad
        gx = gw = gb = None
        if ng[0]:
            gx = conv2d(gy, w, None, self.stride, self.padding, self.dilation)
        if ng[1]:
            gw = conv2d_grad_weight(gy, x, w.shape[2:], self.stride, self.padding, self.dilation)
        if self.has_b and ng[2]:
            gb = gy.sum(axis=(0, 2, 3))
        return gx, gw, gb


class Upsample2d(Function):
    """Nearest-neighbour upsampling: (N, C, H, W) -> (N, C, H*s, W*s)."""

    def __init__(self, scale=2):
        self.scale = pair(scale, "scale", op="upsample2d")

    def check_inputs(self, x):
        if x.ndim != 4:
            raise ValueError(f"upsample2d: x must be (N, C, H, W), got shape {x.shape}")

    def forward(self, x):
        xp = get_array_module(x)
        N, C, H, W = x.shape
        sh, sw = self.scale
        y = xp.broadcast_to(x[:, :, :, None, :, None], (N, C, H, sh, W, sw))
        return y.reshape(N, C, H * sh, W * sw)

    def backward(self, gy):
        N, C, Hs, Ws = gy.shape
        sh, sw = self.scale
        return gy.reshape(N, C, Hs // sh, sh, Ws // sw, sw).sum(axis=(3, 5))

    def backward_graph(self, gy):
        N, C, Hs, Ws = gy.shape
        sh, sw = self.scale
        return gy.reshape(N, C, Hs // sh, sh, Ws // sw, sw).sum(axis=(3, 5))


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    return Conv2d(stride, padding, dilation)(x, w, b)


def conv2d_reference(x, w, b=None, stride=1, padding=0):
    """The convolution :func:`conv2d` computes, written to be read first: im2col, then one matmul.

    x (N, C, H, W), w (C_out, C, kh, kw), b (C_out,) or None -> (N, C_out, oh, ow). Built from
    differentiable ops (pad2d, indexing, transpose, reshape, matmul), so backward comes for free;
    conv2d gives the same numbers without building the index-gathered column matrix.
    """
    x, w = (t if isinstance(t, Tensor) else Tensor(t) for t in (x, w))
    (sh, sw), (ph, pw) = pair(stride, "stride"), pair(padding, "padding")
    N, C, H, W = x.shape
    c_out, _, kh, kw = w.shape
    oh, ow = out_size(H, kh, sh, ph), out_size(W, kw, sw, pw)
    xp = get_array_module(x.data)
    # window (y, x) reads padded row sh*y + i and column sw*x + j at kernel cell (i, j)
    rows = sh * xp.arange(oh)[:, None, None, None] + xp.arange(kh)[None, None, :, None]
    cols = sw * xp.arange(ow)[None, :, None, None] + xp.arange(kw)[None, None, None, :]
    windows = pad2d(x, ((ph, ph), (pw, pw)))[:, :, rows, cols]  # (N, C, oh, ow, kh, kw)
    col = windows.transpose(0, 2, 3, 1, 4, 5).reshape(N * oh * ow, C * kh * kw)  # im2col
    y = col @ w.reshape(c_out, C * kh * kw).T  # one GEMM: (N*oh*ow, C_out)
    if b is not None:
        y = y + b
    return y.reshape(N, oh, ow, c_out).transpose(0, 3, 1, 2)


def conv2d_transpose(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1):
    return Conv2dTranspose(stride, padding, output_padding, dilation)(x, w, b)


def upsample2d(x, scale=2):
    return Upsample2d(scale)(x)
