"""Plain-loop references for convolution, transposed convolution and pooling (small shapes only)."""

import numpy as np


def conv2d(x, w, b, stride, padding, dilation=(1, 1)):
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    N, C, H, W = x.shape
    co, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    sph, spw = dh * (kh - 1) + 1, dw * (kw - 1) + 1  # the dilated kernel's span
    oh, ow = (H + 2 * ph - sph) // sh + 1, (W + 2 * pw - spw) // sw + 1
    y = np.zeros((N, co, oh, ow), dtype=x.dtype)
    for n in range(N):
        for o in range(co):
            for i in range(oh):
                for j in range(ow):
                    patch = xp[n, :, i * sh : i * sh + sph : dh, j * sw : j * sw + spw : dw]
                    y[n, o, i, j] = (patch * w[o]).sum() + (0 if b is None else b[o])
    return y


def conv1d(x, w, b, stride, pads, dilation):
    """pads: (left, right)."""
    N, C, L = x.shape
    co, _, k = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), pads))
    out = (L + sum(pads) - dilation * (k - 1) - 1) // stride + 1
    y = np.zeros((N, co, out), dtype=x.dtype)
    for n in range(N):
        for o in range(co):
            for t in range(out):
                for c in range(C):
                    for j in range(k):
                        y[n, o, t] += w[o, c, j] * xp[n, c, stride * t + dilation * j]
                y[n, o, t] += 0 if b is None else b[o]
    return y


def conv2d_transpose(x, w, b, stride, padding, output_padding):
    (sh, sw), (ph, pw), (oph, opw) = stride, padding, output_padding
    N, ci, H, W = x.shape
    _, co, kh, kw = w.shape
    full = np.zeros((N, co, (H - 1) * sh + kh + oph, (W - 1) * sw + kw + opw), dtype=x.dtype)
    for n in range(N):
        for c in range(ci):
            for i in range(H):
                for j in range(W):
                    full[n, :, i * sh : i * sh + kh, j * sw : j * sw + kw] += x[n, c, i, j] * w[c]
    ho, wo = full.shape[2] - 2 * ph, full.shape[3] - 2 * pw
    y = full[:, :, ph : ph + ho, pw : pw + wo]
    return y + (0 if b is None else b[None, :, None, None])


def pool2d(x, kernel, stride, padding, mode):
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    N, C, H, W = x.shape
    fill = -np.inf if mode == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    oh, ow = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    y = np.zeros((N, C, oh, ow), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(oh):
                for j in range(ow):
                    win = xp[n, c, i * sh : i * sh + kh, j * sw : j * sw + kw]
                    y[n, c, i, j] = win.max() if mode == "max" else win.sum() / (kh * kw)
    return y
