"""ImageDataGenerator: Keras's random image augmentation, vectorised over the batch, channels-first.

    gen = ImageDataGenerator(rotation_range=15, width_shift_range=0.1, height_shift_range=0.1,
                             zoom_range=0.1, horizontal_flip=True, rescale=1 / 255)
    it = gen.flow(x_train, y_train, batch_size=128, seed=0, background=True)   # x (N, C, H, W)
    xb, yb = next(it)                                                          # xb float32 (128, C, H, W)
    it.close()

Per batch: draw every image's parameters, build one inverse affine map per image (N, 2, 3),
warp the whole batch with one gather (:mod:`.affine`), shift channels, then standardise
(preprocessing_function, rescale, samplewise, featurewise: the order Keras uses).
"""

import numbers
import warnings

import numpy as np

from .affine import FILL_MODES, INTERPOLATIONS, inverse_maps, warp
from .background import BackgroundIterator
from .iterators import NumpyArrayIterator

EPS = 1e-6


class ImageDataGenerator:
    """Random augmentation and standardisation of (N, C, H, W) uint8 or float images.

    rotation_range: degrees; angle uniform in [-r, r] (counter-clockwise positive).
    width_shift_range, height_shift_range: a float < 1 is a fraction of the width/height, otherwise
        pixels; shift uniform in [-r, r] (an int r draws whole pixels); a list/tuple draws one of its
        values with a random sign.
    shear_range: degrees, uniform in [-r, r].
    zoom_range: float z -> [1 - z, 1 + z], or a pair [lo, hi]; the x and y factors are drawn
        independently; values > 1 zoom out (Keras's convention).
    channel_shift_range: one intensity per image, uniform in [-r, r], added to every channel and
        clipped to the image's own [min, max].
    horizontal_flip, vertical_flip: each image flipped with probability 1/2.
    fill_mode: 'constant' (with cval), 'nearest', 'reflect' or 'wrap'; interpolation: 'bilinear'
        (default) or 'nearest'.
    rescale: multiply by this after augmenting; preprocessing_function: called on each (C, H, W)
        image, after augmentation and before rescale.
    featurewise_center / featurewise_std_normalization: subtract the per-channel mean / divide by the
        per-channel std computed by :meth:`fit`; samplewise_*: the same per image.
    dtype: the dtype of the batches produced (float32).
    """

    def __init__(
        self,
        featurewise_center=False,
        samplewise_center=False,
        featurewise_std_normalization=False,
        samplewise_std_normalization=False,
        rotation_range=0.0,
        width_shift_range=0.0,
        height_shift_range=0.0,
        shear_range=0.0,
        zoom_range=0.0,
        channel_shift_range=0.0,
        fill_mode="nearest",
        cval=0.0,
        horizontal_flip=False,
        vertical_flip=False,
        rescale=None,
        preprocessing_function=None,
        interpolation="bilinear",
        data_format="channels_first",
        dtype="float32",
    ):
        if data_format != "channels_first":
            raise ValueError(
                f"ImageDataGenerator: tinynet images are channels-first (N, C, H, W); "
                f"got data_format={data_format!r}. Transpose with x.transpose(0, 3, 1, 2)."
            )
        if fill_mode not in FILL_MODES:
            raise ValueError(
                f"ImageDataGenerator: fill_mode must be one of {FILL_MODES}, got {fill_mode!r}"
            )
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"ImageDataGenerator: interpolation must be one of {INTERPOLATIONS}, "
                f"got {interpolation!r}"
            )
        for name, value in (
            ("rotation_range", rotation_range),
            ("shear_range", shear_range),
            ("channel_shift_range", channel_shift_range),
        ):
            if not isinstance(value, numbers.Real) or value < 0:
                raise ValueError(f"ImageDataGenerator: {name} must be a number >= 0, got {value!r}")
        self.zoom_range = _zoom_pair(zoom_range)
        self.width_shift_range = _check_shift("width_shift_range", width_shift_range)
        self.height_shift_range = _check_shift("height_shift_range", height_shift_range)
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.rotation_range = float(rotation_range)
        self.shear_range = float(shear_range)
        self.channel_shift_range = float(channel_shift_range)
        self.fill_mode, self.cval, self.interpolation = fill_mode, cval, interpolation
        self.horizontal_flip, self.vertical_flip = horizontal_flip, vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise ValueError(f"ImageDataGenerator: dtype must be a float type, got {dtype!r}")
        self.mean = None
        self.std = None

    # ----- random parameters -----

    def get_random_transforms(self, n, img_shape, rng):
        """Parameters for ``n`` images of shape (C, H, W) drawn from ``rng``: a dict of (n,) arrays.

        Keys: theta, tx, ty, shear, zx, zy, flip_horizontal, flip_vertical, channel_shift_intensity
        (the arguments of :meth:`apply_transform`).
        """
        h, w = img_shape[-2:]
        zeros, ones = np.zeros(n), np.ones(n)
        r = self.rotation_range
        p = {
            "theta": rng.uniform(-r, r, n) if r else zeros,
            "tx": _draw_shift(self.width_shift_range, w, n, rng),
            "ty": _draw_shift(self.height_shift_range, h, n, rng),
            "shear": rng.uniform(-self.shear_range, self.shear_range, n)
            if self.shear_range
            else zeros,
        }
        lo, hi = self.zoom_range
        p["zx"], p["zy"] = (ones, ones) if lo == hi == 1 else rng.uniform(lo, hi, (2, n))
        p["flip_horizontal"] = rng.random(n) < 0.5 if self.horizontal_flip else np.zeros(n, bool)
        p["flip_vertical"] = rng.random(n) < 0.5 if self.vertical_flip else np.zeros(n, bool)
        c = self.channel_shift_range
        p["channel_shift_intensity"] = rng.uniform(-c, c, n) if c else zeros
        return p

    # ----- applying them -----

    def apply_transform(self, x, params):
        """Apply ``params`` (dict of scalars or (N,) arrays; missing keys mean 'no change') to
        ``x`` (N, C, H, W); returns a new array of ``self.dtype``.
        """
        x = _check_images(x, "ImageDataGenerator.apply_transform")
        n, _, h, w = x.shape
        get = lambda key, default: np.broadcast_to(np.asarray(params.get(key, default)), (n,))  # noqa: E731
        theta, tx, ty, shear = get("theta", 0.0), get("tx", 0.0), get("ty", 0.0), get("shear", 0.0)
        zx, zy = get("zx", 1.0), get("zy", 1.0)
        fh, fv = get("flip_horizontal", False), get("flip_vertical", False)
        if not (
            theta.any() or tx.any() or ty.any() or shear.any() or (zx != 1).any() or (zy != 1).any()
        ):
            out = x.astype(self.dtype, copy=True)
            out[fh.astype(bool)] = out[fh.astype(bool)][..., ::-1]
            out[fv.astype(bool)] = out[fv.astype(bool)][..., ::-1, :]
        else:
            maps = inverse_maps(h, w, theta, tx, ty, shear, zx, zy, fh, fv)
            out = warp(x, maps, self.interpolation, self.fill_mode, self.cval, self.dtype)
        shift = get("channel_shift_intensity", 0.0)
        if shift.any():
            lo = out.min(axis=(1, 2, 3), keepdims=True)
            hi = out.max(axis=(1, 2, 3), keepdims=True)
            out = np.clip(out + shift.astype(self.dtype).reshape(n, 1, 1, 1), lo, hi)
        return out

    def augment(self, x, rng):
        """Random transforms of the batch ``x`` (N, C, H, W) drawn from ``rng`` (not standardised)."""
        x = _check_images(x, "ImageDataGenerator.augment")
        return self.apply_transform(x, self.get_random_transforms(len(x), x.shape[1:], rng))

    def random_transform(self, x, seed=None):
        """Randomly transform one image (C, H, W) or a batch (N, C, H, W); same rank back."""
        x = np.asarray(x)
        single = x.ndim == 3
        out = self.augment(x[None] if single else x, np.random.default_rng(seed))
        return out[0] if single else out

    def standardize(self, x):
        """preprocessing_function, rescale, samplewise then featurewise normalisation, on a copy
        of ``x`` (N, C, H, W) in ``self.dtype``.
        """
        x = np.array(x, dtype=self.dtype, copy=True)
        if self.preprocessing_function is not None:
            x = np.stack(
                [np.asarray(self.preprocessing_function(img), dtype=self.dtype) for img in x]
            )
        if self.rescale:
            x *= self.dtype.type(self.rescale)
        if self.samplewise_center:
            x -= x.mean(axis=(1, 2, 3), keepdims=True)
        if self.samplewise_std_normalization:
            x /= x.std(axis=(1, 2, 3), keepdims=True) + self.dtype.type(EPS)
        if self.featurewise_center:
            if self.mean is None:
                raise RuntimeError(
                    "ImageDataGenerator: featurewise_center is set but fit(x) was not "
                    "called; call fit on the training images first"
                )
            x -= self.mean
        if self.featurewise_std_normalization:
            if self.std is None:
                raise RuntimeError(
                    "ImageDataGenerator: featurewise_std_normalization is set but fit(x) "
                    "was not called; call fit on the training images first"
                )
            x /= self.std + self.dtype.type(EPS)
        return x

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Per-channel mean and std (each (C, 1, 1)) of ``x`` (N, C, H, W), after rescale (and
        ``rounds`` random augmentations of it when ``augment``), for the featurewise options.
        """
        x = _check_images(x, "ImageDataGenerator.fit")
        if augment:
            rng = np.random.default_rng(seed)
            x = np.concatenate([self.augment(x, rng) for _ in range(rounds)])
        x = x.astype(np.float64)
        if self.rescale:
            x *= self.rescale
        self.mean = x.mean(axis=(0, 2, 3)).reshape(-1, 1, 1).astype(self.dtype)
        self.std = x.std(axis=(0, 2, 3)).reshape(-1, 1, 1).astype(self.dtype)
        return self

    def flow(
        self, x, y=None, batch_size=32, shuffle=True, seed=None, background=False, queue_size=8
    ):
        """Iterate over augmented batches of ``x`` (N, C, H, W) (and ``y``) forever, ``len()`` per epoch.

        Returns ``xb`` or ``(xb, yb)`` per ``next()``. With ``background=True`` batches are made
        ahead in a thread (same batches, same order; call ``close()`` or use ``with`` when done).
        """
        _check_images(x, "ImageDataGenerator.flow")
        it = NumpyArrayIterator(x, y, self, batch_size, shuffle, seed)
        return BackgroundIterator(it, queue_size) if background else it


def _check_images(x, where):
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"{where}: expected images (N, C, H, W), got shape {x.shape}")
    if x.shape[1] not in (1, 3, 4) and x.shape[3] in (1, 3, 4):
        warnings.warn(
            f"{where}: images of shape {x.shape} look channels-last; tinynet expects "
            f"(N, C, H, W): use x.transpose(0, 3, 1, 2)",
            stacklevel=3,
        )
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise ValueError(f"{where}: expected numeric images, got dtype {x.dtype}")
    return x


def _zoom_pair(zoom_range):
    if isinstance(zoom_range, numbers.Real):
        lo, hi = 1 - zoom_range, 1 + zoom_range
    elif len(zoom_range) == 2:
        lo, hi = zoom_range
    else:
        raise ValueError(
            f"ImageDataGenerator: zoom_range must be a float or a pair [lo, hi], got {zoom_range!r}"
        )
    if not 0 < lo <= hi:
        raise ValueError(f"ImageDataGenerator: zoom_range gives [{lo}, {hi}]; need 0 < lo <= hi")
    return float(lo), float(hi)


def _check_shift(name, value):
    if isinstance(value, numbers.Real) and value >= 0:
        return value
    if (
        isinstance(value, (list, tuple))
        and value
        and all(isinstance(v, numbers.Real) for v in value)
    ):
        return tuple(value)
    raise ValueError(
        f"ImageDataGenerator: {name} must be a number >= 0 or a list of numbers, got {value!r}"
    )


def _draw_shift(spec, size, n, rng):
    """Shifts in pixels for ``n`` images along an axis of ``size`` pixels."""
    if isinstance(spec, tuple):
        out = rng.choice(np.asarray(spec, dtype=np.float64), n) * rng.choice([-1.0, 1.0], n)
        scale = size if max(abs(v) for v in spec) < 1 else 1
        return out * scale
    if not spec:
        return np.zeros(n)
    if isinstance(spec, numbers.Integral):
        return rng.integers(-spec, spec + 1, n).astype(np.float64)
    return rng.uniform(-spec, spec, n) * (size if spec < 1 else 1)
