"""Fused CUDA kernels (CuPy ElementwiseKernel) for im2col and col2im.

On the GPU the slice-loop versions launch one copy kernel per kernel offset plus a padding copy;
these do the whole transform in one launch, one thread per output element: im2col reads its
window element straight from the unpadded input (any strides, padding as zeros), col2im gathers
the col entries that cover each input pixel (no atomics). Imported lazily: CuPy is optional.
"""

_kernels = {}

_IM2COL = r"""
    // i walks col (C, kh, kw, N, oh, ow) in C order
    long long t = i;
    const long long ox = t % ow; t /= ow;
    const long long oy = t % oh; t /= oh;
    const long long n = t % N; t /= N;
    const long long kx = t % kw; t /= kw;
    const long long ky = t % kh; t /= kh;
    const long long c = t;
    const long long y = oy * sy + ky - ph;
    const long long x = ox * sx + kx - pw;
    if (y >= 0 && y < H && x >= 0 && x < W) {
        col = (&img[0])[n * sn + c * sc + y * sh_ + x * sw_];
    } else {
        col = 0;
    }
"""

_COL2IM = r"""
    // i walks the image gradient (C, N, H, W) in C order
    long long t = i;
    const long long x = t % W + pw; t /= W;
    const long long y = t % H + ph; t /= H;
    const long long n = t % N; t /= N;
    const long long c = t;
    const long long plane = (long long)N * oh * ow;
    T acc = 0;
    for (int ky = 0; ky < kh; ++ky) {
        const long long dy = y - ky;
        if (dy < 0 || dy % sy != 0) continue;
        const long long oy = dy / sy;
        if (oy >= oh) continue;
        for (int kx = 0; kx < kw; ++kx) {
            const long long dx = x - kx;
            if (dx < 0 || dx % sx != 0) continue;
            const long long ox = dx / sx;
            if (ox >= ow) continue;
            acc += col[((c * kh + ky) * kw + kx) * plane + (n * oh + oy) * ow + ox];
        }
    }
    img = acc;
"""


def _kernel(name):
    if name not in _kernels:
        import cupy

        if name == "im2col":
            _kernels[name] = cupy.ElementwiseKernel(
                "raw T img, int64 N, int64 H, int64 W, int64 kh, int64 kw, int64 sy, int64 sx, "
                "int64 ph, int64 pw, int64 oh, int64 ow, int64 sn, int64 sc, int64 sh_, int64 sw_",
                "T col",
                _IM2COL,
                "tinynet_im2col",
            )
        else:
            _kernels[name] = cupy.ElementwiseKernel(
                "raw T col, int64 N, int64 H, int64 W, int64 kh, int64 kw, int64 sy, int64 sx, "
                "int64 ph, int64 pw, int64 oh, int64 ow",
                "T img",
                _COL2IM,
                "tinynet_col2im",
            )
    return _kernels[name]


def im2col(x, kh, kw, sh, sw, ph, pw, oh, ow):
    """x (N, C, H, W), any strides -> col (C*kh*kw, N*oh*ow)."""
    import cupy

    N, C, H, W = x.shape
    if any(s < 0 for s in x.strides):
        x = cupy.ascontiguousarray(x)
    sn, sc, sh_, sw_ = (s // x.itemsize for s in x.strides)
    col = cupy.empty((C * kh * kw, N * oh * ow), dtype=x.dtype)
    _kernel("im2col")(x, N, H, W, kh, kw, sh, sw, ph, pw, oh, ow, sn, sc, sh_, sw_, col)
    return col


def col2im(col, N, C, H, W, kh, kw, sh, sw, ph, pw, oh, ow):
    """col (C*kh*kw, N*oh*ow) -> (N, C, H, W) sum of windows, as a view of a (C, N, H, W) array."""
    import cupy

    col = cupy.ascontiguousarray(col)
    img = cupy.empty((C, N, H, W), dtype=col.dtype)
    _kernel("col2im")(col, N, H, W, kh, kw, sh, sw, ph, pw, oh, ow, img)
    return img.transpose(1, 0, 2, 3)
