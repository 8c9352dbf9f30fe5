"""PatchWhitening: a frozen k x k convolution that whitens the image's patches (airbench's first
layer, Jordan 2024, arXiv:2404.00498).

    layer = PatchWhitening(kernel_size=2)           # (N, C, H, W) -> (N, 2*C*k*k, H-k+1, W-k+1)
    layer.fit(images)                               # the kernel from the images' patch covariance

``fit`` takes the uncentred covariance S = P^T P / n of every k x k patch of ``images``
(P: one row per patch, flattened as (C, kh, kw), the kernel's layout) and its eigenvectors v_i
(eigenvalues l_i, largest first). Filter i is v_i / sqrt(l_i + eps) and filter C*k*k + i its
negative: the first C*k*k outputs have (uncentred) covariance diag(l_i / (l_i + eps)) on the fitted
images, the identity when eps = 0, and the +- pairs keep both signs of each component through the
GELU that follows. The kernel never trains; the bias does while ``bias_trainable`` (airbench
trains it for the first 3 epochs only).
"""

import numpy as np

from .. import functional as F
from ..backend import asnumpy, device_of, to_device
from .base import Layer, shape_str


def patch_covariance(images, kernel_size, chunk=500):
    """The uncentred covariance (C*k*k, C*k*k), float64, of every k x k patch (stride 1, no
    padding) of ``images`` (N, C, H, W), patches flattened as (C, kh, kw); computed ``chunk``
    images at a time."""
    images = np.asarray(asnumpy(images))
    if images.ndim != 4:
        raise ValueError(f"patch_covariance: images must be (N, C, H, W), got shape {images.shape}")
    n, c, h, w = images.shape
    k = int(kernel_size)
    if k < 1 or k > min(h, w):
        raise ValueError(
            f"patch_covariance: kernel_size must be in 1..{min(h, w)} for {h}x{w} images, got {k}"
        )
    total, count = np.zeros((c * k * k, c * k * k)), 0
    for start in range(0, n, chunk):
        x = images[start : start + chunk].astype(np.float64)
        win = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))
        rows = win.transpose(0, 2, 3, 1, 4, 5).reshape(-1, c * k * k)  # (N*H'*W', C*k*k)
        total += rows.T @ rows
        count += len(rows)
    return total / count


def whitening_kernel(images, kernel_size=2, eps=5e-4):
    """(2*C*k*k, C, k, k) float64: the eigenvectors of the patch covariance, largest eigenvalue
    first, each divided by sqrt(eigenvalue + eps), then the same filters negated."""
    cov = patch_covariance(images, kernel_size)
    values, vectors = np.linalg.eigh(cov)  # ascending; vectors in columns
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    c = np.asarray(images).shape[1]
    k = int(kernel_size)
    filters = (vectors.T / np.sqrt(np.maximum(values, 0) + eps)[:, None]).reshape(-1, c, k, k)
    return np.concatenate([filters, -filters])


class PatchWhitening(Layer):
    """(N, C, H, W) -> (N, 2*C*k*k, H-k+1, W-k+1): a frozen k x k convolution whose filters whiten
    the patches of the images given to :meth:`fit` (see the module docstring), plus a bias that
    trains while ``bias_trainable``. Before ``fit`` the kernel is zeros."""

    def __init__(self, kernel_size=2, eps=5e-4, bias_trainable=True, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(kernel_size, (int, np.integer)) or kernel_size < 1:
            raise ValueError(
                f"PatchWhitening: kernel_size must be a positive int, got {kernel_size!r}"
            )
        if not eps >= 0:
            raise ValueError(f"PatchWhitening: eps must be >= 0, got {eps!r}")
        self.kernel_size, self.eps = int(kernel_size), float(eps)
        self._bias_trainable = bool(bias_trainable)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3 or min(input_shape[1:]) < self.kernel_size:
            raise ValueError(
                f"{self.describe()}: expects images (C, H, W) of at least "
                f"{self.kernel_size}x{self.kernel_size}; received input shape "
                f"{shape_str((None,) + tuple(input_shape))}"
            )
        c, h, w = input_shape
        k = self.kernel_size
        return 2 * c * k * k, h - k + 1, w - k + 1

    def create_weights(self, input_shape):
        c, k = input_shape[0], self.kernel_size
        self.add_weight("kernel", (2 * c * k * k, c, k, k), "zeros", trainable=False)
        self.add_weight("bias", (2 * c * k * k,), "zeros", trainable=self._bias_trainable)

    @property
    def bias_trainable(self):
        return self._bias_trainable

    @bias_trainable.setter
    def bias_trainable(self, value):
        """Whether the bias takes gradients (the model reads it again at every step)."""
        self._bias_trainable = bool(value)
        if self.built:
            self._weight_trainable[self._weight_names.index("bias")] = self._bias_trainable

    def fit(self, images):
        """Set the kernel from ``images`` (N, C, H, W) (already normalised as the layer will see
        them); builds the layer from their shape if needed. Returns self."""
        images = np.asarray(asnumpy(images))
        if not self.built:
            self.build(images.shape[1:])
        elif images.shape[1:] != self.input_shape:
            raise self.shape_error(images.shape[1:])
        kernel = whitening_kernel(images, self.kernel_size, self.eps)
        self.kernel.data[...] = to_device(kernel.astype(self.dtype), device_of(self.kernel.data))
        return self

    def call(self, x, training=False):
        return F.conv2d(x, self.kernel, self.bias)

    def get_config(self):
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "eps": self.eps,
            "bias_trainable": self._bias_trainable,
        }
