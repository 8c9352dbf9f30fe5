"""Small helpers the lecture's Keras code imports (``keras.utils.np_utils``)."""

import numpy as np


def to_categorical(y, num_classes=None, dtype="float32"):
    """Integer labels of any shape (..., ) or (..., 1) -> one-hot rows (..., num_classes)."""
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y[..., 0]
    if y.size and (y.dtype.kind not in "iu" and not np.array_equal(y, np.round(y))):
        raise ValueError(f"to_categorical: labels must be integers, got dtype {y.dtype}")
    labels = y.astype(np.int64)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"to_categorical: labels must be in [0, {num_classes}), got range "
            f"[{labels.min()}, {labels.max()}]"
        )
    return np.eye(num_classes, dtype=dtype)[labels]


np_utils = type("np_utils", (), {"to_categorical": staticmethod(to_categorical)})
