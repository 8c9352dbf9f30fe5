"""Label encodings for the conditional GAN: one-hot rows and label planes (concat_channels, the
differentiable join of images and planes, lives in tinynet.functional)."""

from ..functional import concat_channels

__all__ = ["concat_channels", "one_hot", "label_planes"]


def one_hot(labels, num_classes, xp, dtype):
    """Integer labels (N,) -> (N, num_classes) one-hot rows on the array module ``xp``."""
    labels = xp.asarray(labels)
    out = xp.zeros((labels.shape[0], num_classes), dtype=dtype)
    out[xp.arange(labels.shape[0]), labels] = 1
    return out


def label_planes(labels, num_classes, size, xp, dtype):
    """Integer labels (N,) -> (N, num_classes, H, W): plane k is all ones where the label is k."""
    h, w = size
    return xp.broadcast_to(
        one_hot(labels, num_classes, xp, dtype)[:, :, None, None], (len(labels), num_classes, h, w)
    )
