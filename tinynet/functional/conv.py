"""Convolution by im2col + one GEMM, its exact adjoint (transposed convolution), and upsampling.

Layout: the public API is channels-first (N, C, H, W). Inside, images are batch-last on NumPy,
(C, H, W, N) in memory (see :mod:`.layout`), and (C, N, H, W) on CuPy: the GEMM
``W (C_out, C*kh*kw) @ col (C*kh*kw, oh*ow*N)`` then yields the output already laid out
(C_out, oh, ow, N), and ops return it as an (N, C_out, oh, ow) *view* (a transpose, no copy).
Elementwise ops and pooling preserve that memory order, so the next convolution reads its input
without a transposing copy.
"""
from ..autograd import Function
from ..backend import get_array_module, is_gpu_array
from . import cuda_kernels
from .layout import from_columns, is_batch_last, new_images, prefers_batch_last, to_columns


def pair(v, name="value", minimum=None):
    """An int or a pair of ints -> a pair of ints, each at least ``minimum`` (by default 1 for
    strides, kernels and scales, 0 for paddings)."""
    if minimum is None:
        minimum = 0 if "padding" in name else 1
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
        result = int(v[0]), int(v[1])
    else:
        result = int(v), int(v)
    if min(result) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v!r}")
    return result


def out_size(n, k, s, p):
    """Output length of a window of k with stride s over n cells padded by p on both sides."""
    return (n + 2 * p - k) // s + 1


def to_channel_major(x, ph=0, pw=0, fill=0, batch_last=False):
    """(N, C, H, W) -> a (C, N, H + 2ph, W + 2pw) view, padded with ``fill``, whose memory is
    (C, H, W, N) if ``batch_last``, else any order that x has (a view of x when no padding)."""
    xt = x.transpose(1, 0, 2, 3)
    if ph == 0 and pw == 0 and (not batch_last or is_batch_last(x)):
        return xt
    C, N, H, W = xt.shape
    out = new_images(get_array_module(x), (N, C, H + 2 * ph, W + 2 * pw), x.dtype,
                     batch_last).transpose(1, 0, 2, 3)
    if ph:
        out[:, :, :ph] = fill
        out[:, :, H + ph:] = fill
    if pw:
        out[:, :, ph:H + ph, :pw] = fill
        out[:, :, ph:H + ph, W + pw:] = fill
    out[:, :, ph:H + ph, pw:W + pw] = xt
    return out


def _col_buffer(xp, C, kh, kw, N, oh, ow, dtype, batch_last):
    """-> (the (C*kh*kw, N*oh*ow) matrix, its (C, kh, kw, N, oh, ow) view): columns ordered
    (y, x, n) if batch_last, else (n, y, x)."""
    if batch_last:
        buf = xp.empty((C, kh, kw, oh, ow, N), dtype=dtype)
        return buf.reshape(C * kh * kw, -1), buf.transpose(0, 1, 2, 5, 3, 4)
    buf = xp.empty((C, kh, kw, N, oh, ow), dtype=dtype)
    return buf.reshape(C * kh * kw, -1), buf


def _col_view(col, C, kh, kw, N, oh, ow, batch_last):
    """A (C*kh*kw, N*oh*ow) column matrix as its (C, kh, kw, N, oh, ow) view."""
    if batch_last:
        return col.reshape(C, kh, kw, oh, ow, N).transpose(0, 1, 2, 5, 3, 4)
    return col.reshape(C, kh, kw, N, oh, ow)


def windows(kh, kw, sh, sw, oh, ow):
    """The kh*kw (i, j, row-slice, col-slice) offsets of a sliding window, in row-major order."""
    for i in range(kh):
        for j in range(kw):
            yield i, j, slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw)


def im2col(x, kh, kw, stride=1, padding=0, batch_last=None):
    """x (N, C, H, W) -> col (C*kh*kw, N*oh*ow): rows ordered (c, i, j) like w.reshape(C_out, -1);
    the column of output pixel (y, x) of image n holds the padded input window under it. Columns
    are ordered (y, x, n) when ``batch_last`` (the default on NumPy), else (n, y, x) (the default
    on CuPy)."""
    (sh, sw), (ph, pw) = pair(stride, "stride"), pair(padding, "padding")
    N, C, H, W = x.shape
    oh, ow = out_size(H, kh, sh, ph), out_size(W, kw, sw, pw)
    batch_last = prefers_batch_last(x) if batch_last is None else batch_last
    if _use_cuda_kernels(x) and not batch_last:
        return cuda_kernels.im2col(x, kh, kw, sh, sw, ph, pw, oh, ow)
    xt = to_channel_major(x, ph, pw, batch_last=batch_last)
    col, view = _col_buffer(get_array_module(x), C, kh, kw, N, oh, ow, x.dtype, batch_last)
    for i, j, rows, cols in windows(kh, kw, sh, sw, oh, ow):
        view[:, i, j] = xt[:, :, rows, cols]
    return col


def col2im(col, x_shape, kh, kw, stride=1, padding=0, batch_last=None):
    """The adjoint of im2col (same ``batch_last``): col (C*kh*kw, N*oh*ow) -> (N, C, H, W),
    summing overlapping windows (a view in the layout of the columns)."""
    (sh, sw), (ph, pw) = pair(stride, "stride"), pair(padding, "padding")
    N, C, H, W = x_shape
    oh, ow = out_size(H, kh, sh, ph), out_size(W, kw, sw, pw)
    batch_last = prefers_batch_last(col) if batch_last is None else batch_last
    if _use_cuda_kernels(col) and not batch_last:
        return cuda_kernels.col2im(col, N, C, H, W, kh, kw, sh, sw, ph, pw, oh, ow)
    view = _col_view(col, C, kh, kw, N, oh, ow, batch_last)
    out = new_images(get_array_module(col), (N, C, H + 2 * ph, W + 2 * pw), col.dtype, batch_last,
                     fill=0).transpose(1, 0, 2, 3)
    for i, j, rows, cols in windows(kh, kw, sh, sw, oh, ow):
        out[:, :, rows, cols] += view[:, i, j]
    return out[:, :, ph:ph + H, pw:pw + W].transpose(1, 0, 2, 3)


USE_CUDA_KERNELS = True


def _use_cuda_kernels(a):
    """On CuPy arrays, fused CUDA kernels replace the slice loops (set USE_CUDA_KERNELS = False
    to compare)."""
    return USE_CUDA_KERNELS and is_gpu_array(a)


def _check_conv(op, x, w, b, c_in_axis):
    if x.ndim != 4:
        raise ValueError(f"{op}: x must be (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"{op}: w must be 4-D, got shape {w.shape}")
    if x.shape[1] != w.shape[c_in_axis]:
        raise ValueError(f"{op}: x has {x.shape[1]} channels (shape {x.shape}) but w expects "
                         f"{w.shape[c_in_axis]} (shape {w.shape})")
    c_out = w.shape[1 - c_in_axis]
    if b is not None and b.shape != (c_out,):
        raise ValueError(f"{op}: b must have shape ({c_out},), got {b.shape}")
    if x.dtype != w.dtype or (b is not None and b.dtype != x.dtype):
        raise TypeError(f"{op}: dtypes differ: x {x.dtype}, w {w.dtype}"
                        + (f", b {b.dtype}" if b is not None else ""))


class Conv2d(Function):
    """y (N, C_out, oh, ow) = conv(x (N, C, H, W), w (C_out, C, kh, kw)) + b (C_out,)."""

    def __init__(self, stride=1, padding=0):
        self.stride, self.padding = pair(stride, "stride"), pair(padding, "padding")

    def forward(self, x, w, b=None):
        _check_conv("conv2d", x, w, b, c_in_axis=1)
        (sh, sw), (ph, pw) = self.stride, self.padding
        N, C, H, W = x.shape
        c_out, _, kh, kw = w.shape
        oh, ow = out_size(H, kh, sh, ph), out_size(W, kw, sw, pw)
        if oh < 1 or ow < 1:
            raise ValueError(f"conv2d: kernel {kh}x{kw} does not fit input {H}x{W} with padding "
                             f"{self.padding} (x {x.shape}, w {w.shape})")
        self.batch_last = prefers_batch_last(x)
        self.col = im2col(x, kh, kw, self.stride, self.padding, self.batch_last)
        self.x_shape, self.w, self.has_b = x.shape, w, b is not None
        y = w.reshape(c_out, -1) @ self.col
        if b is not None:
            y += b[:, None]
        return from_columns(y, N, oh, ow, self.batch_last)

    def backward(self, gy):
        c_out, _, kh, kw = self.w.shape
        gy_mat = to_columns(gy, self.batch_last)
        gw = (gy_mat @ self.col.T).reshape(self.w.shape) if self.needs_grad[1] else None
        gb = gy_mat.sum(axis=1) if self.has_b and self.needs_grad[2] else None
        gx = None
        if self.needs_grad[0]:
            gcol = self.w.reshape(c_out, -1).T @ gy_mat
            gx = col2im(gcol, self.x_shape, kh, kw, self.stride, self.padding, self.batch_last)
        return gx, gw, gb


class Conv2dTranspose(Function):
    """The adjoint of conv2d: x (N, C_in, H, W), w (C_in, C_out, kh, kw) -> (N, C_out, Ho, Wo)
    with Ho = (H - 1) * stride - 2 * padding + kh + output_padding (PyTorch's convention)."""

    def __init__(self, stride=1, padding=0, output_padding=0):
        self.stride, self.padding = pair(stride, "stride"), pair(padding, "padding")
        self.output_padding = pair(output_padding, "output_padding")

    def forward(self, x, w, b=None):
        _check_conv("conv2d_transpose", x, w, b, c_in_axis=0)
        (sh, sw), (ph, pw), (oph, opw) = self.stride, self.padding, self.output_padding
        if not (0 <= oph < max(sh, 1) and 0 <= opw < max(sw, 1)):
            raise ValueError(f"conv2d_transpose: output_padding {self.output_padding} must be "
                             f"smaller than stride {self.stride}")
        N, c_in, H, W = x.shape
        _, c_out, kh, kw = w.shape
        ho, wo = (H - 1) * sh - 2 * ph + kh + oph, (W - 1) * sw - 2 * pw + kw + opw
        if ho < 1 or wo < 1:
            raise ValueError(f"conv2d_transpose: padding {self.padding} leaves no output for "
                             f"x {x.shape} and w {w.shape}")
        self.batch_last = prefers_batch_last(x)
        self.x_mat = to_columns(x, self.batch_last)
        self.x_shape, self.w, self.has_b = x.shape, w, b is not None
        col = w.reshape(c_in, -1).T @ self.x_mat
        y = col2im(col, (N, c_out, ho, wo), kh, kw, self.stride, self.padding, self.batch_last)
        if b is not None:
            y += b[:, None, None]
        return y

    def backward(self, gy):
        c_in, c_out, kh, kw = self.w.shape
        N, _, H, W = self.x_shape
        gcol = im2col(gy, kh, kw, self.stride, self.padding, self.batch_last)
        gw = (self.x_mat @ gcol.T).reshape(self.w.shape) if self.needs_grad[1] else None
        gx = None
        if self.needs_grad[0]:
            gx = from_columns(self.w.reshape(c_in, -1) @ gcol, N, H, W, self.batch_last)
        gb = gy.sum(axis=(0, 2, 3)) if self.has_b and self.needs_grad[2] else None
        return gx, gw, gb


class Upsample2d(Function):
    """Nearest-neighbour upsampling: (N, C, H, W) -> (N, C, H*s, W*s)."""

    def __init__(self, scale=2):
        self.scale = pair(scale, "scale")

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"upsample2d: x must be (N, C, H, W), got shape {x.shape}")
        xp = get_array_module(x)
        N, C, H, W = x.shape
        sh, sw = self.scale
        y = xp.broadcast_to(x[:, :, :, None, :, None], (N, C, H, sh, W, sw))
        return y.reshape(N, C, H * sh, W * sw)

    def backward(self, gy):
        N, C, Hs, Ws = gy.shape
        sh, sw = self.scale
        return gy.reshape(N, C, Hs // sh, sh, Ws // sw, sw).sum(axis=(3, 5))


def conv2d(x, w, b=None, stride=1, padding=0):
    return Conv2d(stride, padding)(x, w, b)


def conv2d_transpose(x, w, b=None, stride=1, padding=0, output_padding=0):
    return Conv2dTranspose(stride, padding, output_padding)(x, w, b)


def upsample2d(x, scale=2):
    return Upsample2d(scale)(x)
