"""Batched affine warps of channels-first images: one inverse map per image, one gather per batch.

Coordinates are (x, y) = (column, row) in pixels, y pointing down, the centre of the image at
((W-1)/2, (H-1)/2). An inverse map ``A`` (2x3) sends an output pixel (x, y, 1) to the source point
whose value it takes.
"""

import numpy as np

FILL_MODES = ("constant", "nearest", "reflect", "wrap")
INTERPOLATIONS = ("nearest", "bilinear")
MAX_GATHER = 1 << 23  # elements gathered at once; bigger batches go in chunks of whole images


def inverse_maps(
    h, w, theta=0.0, tx=0.0, ty=0.0, shear=0.0, zx=1.0, zy=1.0, flip_h=False, flip_v=False
):
    """Inverse maps (N, 2, 3) float64 for images of size (h, w); arguments are scalars or (N,) arrays.

    As seen on the output, the content is scaled by (1/zx, 1/zy) (zx > 1 zooms out, as in Keras),
    sheared by ``shear`` degrees, rotated by ``theta`` degrees counter-clockwise, shifted by ``tx``
    pixels right and ``ty`` pixels down (all about the centre), then flipped left-right where
    ``flip_h`` and upside-down where ``flip_v``.
    """
    theta, tx, ty, shear, zx, zy, fh, fv = np.broadcast_arrays(
        *(
            np.atleast_1d(np.asarray(a, dtype=np.float64))
            for a in (theta, tx, ty, shear, zx, zy, flip_h, flip_v)
        )
    )
    n = theta.shape[0]
    t, s = np.deg2rad(theta), np.deg2rad(shear)
    rot_inv = _mat(np.cos(t), -np.sin(t), np.sin(t), np.cos(t))
    shear_inv = _mat(np.cos(s), np.zeros(n), -np.sin(s), np.ones(n))
    zoom = _mat(zx, np.zeros(n), np.zeros(n), zy)
    flip = _mat(np.where(fh > 0, -1.0, 1.0), np.zeros(n), np.zeros(n), np.where(fv > 0, -1.0, 1.0))
    m = zoom @ shear_inv @ rot_inv  # undoes zoom, shear, rotation
    lin = m @ flip
    centre = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    shift = np.stack([tx, ty], axis=1)
    offset = centre - np.einsum("nij,nj->ni", m, shift) - lin @ centre
    maps = np.concatenate([lin, offset[:, :, None]], axis=2)
    halves = np.rint(maps * 2) / 2  # cos(90 deg) is 6e-17, not 0: snap it
    return np.where(np.abs(maps - halves) < 1e-9, halves, maps)


def _mat(a, b, c, d):
    return np.stack([np.stack([a, b], -1), np.stack([c, d], -1)], -2)


def warp(x, maps, interpolation="bilinear", fill_mode="nearest", cval=0.0, dtype=np.float32):
    """Sample ``x`` (N, C, H, W) through ``maps`` (N, 2, 3); returns (N, C, H, W) of ``dtype``.

    All source coordinates come from one matrix product and all pixels from one gather (``np.take``).
    Points outside the image follow ``fill_mode``: 'constant' (``cval``), 'nearest' (edge pixel),
    'reflect' (abcd|dcba, the edge repeated) or 'wrap' (abcd|abcd).
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"warp: interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}"
        )
    if fill_mode not in FILL_MODES:
        raise ValueError(f"warp: fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
    n, c, h, w = x.shape
    if maps.shape != (n, 2, 3):
        raise ValueError(
            f"warp: expected maps of shape ({n}, 2, 3) for x {x.shape}, got {maps.shape}"
        )
    step = max(1, MAX_GATHER // ((1 if interpolation == "nearest" else 4) * c * h * w))
    if n > step:
        return np.concatenate(
            [
                warp(x[i : i + step], maps[i : i + step], interpolation, fill_mode, cval, dtype)
                for i in range(0, n, step)
            ]
        )
    ys, xs = np.mgrid[0:h, 0:w]
    grid = np.stack([xs.ravel(), ys.ravel(), np.ones(h * w)])
    src = maps @ grid  # (N, 2, H*W) source points
    sx, sy = src[:, 0], src[:, 1]
    if interpolation == "nearest":
        cols, rows = [np.floor(sx + 0.5)], [np.floor(sy + 0.5)]
        corners, weights = [(0, 0)], None
    else:
        x0, y0 = np.floor(sx), np.floor(sy)
        fx, fy = (sx - x0).astype(dtype), (sy - y0).astype(dtype)
        cols, rows = [x0, x0 + 1], [y0, y0 + 1]
        corners = [(0, 0), (1, 0), (0, 1), (1, 1)]
        weights = np.stack([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy])[:, :, None]
    cols = [_fill(a.astype(np.int64), w, fill_mode) for a in cols]
    rows = [_fill(a.astype(np.int64), h, fill_mode) for a in rows]
    pixel = np.stack([rows[j][0] * w + cols[i][0] for i, j in corners])  # (K, N, H*W)
    plane = (np.arange(n * c, dtype=np.int64) * (h * w)).reshape(1, n, c, 1)
    vals = np.take(np.ascontiguousarray(x).reshape(-1), plane + pixel[:, :, None, :])
    vals = vals.astype(dtype, copy=False)  # (K, N, C, H*W)
    if fill_mode == "constant":
        inside = np.stack([rows[j][1] & cols[i][1] for i, j in corners])[:, :, None, :]
        vals = np.where(inside, vals, np.asarray(cval, dtype))
    out = vals[0] if weights is None else np.einsum("kncp,knlp->ncp", vals, weights)
    return out.reshape(n, c, h, w)


def _fill(idx, size, mode):
    """Map integer indices onto 0..size-1 by ``mode``; also return where they were inside."""
    inside = (idx >= 0) & (idx < size)
    if mode == "wrap":
        return idx % size, inside
    if mode == "reflect":
        m = idx % (2 * size)
        return np.where(m >= size, 2 * size - 1 - m, m), inside
    return np.clip(idx, 0, size - 1), inside
