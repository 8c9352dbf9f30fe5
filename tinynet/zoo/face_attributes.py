"""A small CNN reading face attributes (Eyeglasses, Smiling, Male) from 64x64 faces: the judge of
the face DCGAN's samples and arithmetic.

    model = attribute_classifier()                       # (N, 3, 64, 64) in [-1, 1] -> (N, 3)
    model.compile("adam", loss=balanced_binary_crossentropy(y_train.mean(0)))
    p = predict_attributes(model, images)                # P(attribute) (N, 3), columns ATTRIBUTES
    balanced_accuracy(y_test, p > 0.5)                   # (3,): mean of the two class recalls
    f = attribute_features(model, images)                # (N, 64): the Fréchet distance's features

One network, one sigmoid output per attribute (multi-label): four conv 3x3 - BatchNorm - ReLU -
max-pool 2 stages (64 -> 4), global average pooling, a ReLU layer of ``features`` units (the
penultimate layer), then ``len(attributes)`` sigmoid units. Images are in the generator's tanh
range [-1, 1] (real faces: uint8 / 127.5 - 1, see :func:`to_signed`), so real and generated
faces go in the same way. The loss weighs each attribute's positives and negatives so that each
class carries half the loss (only 6.7% of the faces wear glasses): its minimum is the balanced
error, the measure the issue asks for.
"""

import numpy as np

from .. import functional as F
from ..autograd import no_grad
from ..backend import asnumpy, get_array_module, to_device
from ..layers import (
    Activation,
    BatchNormalization,
    Conv2D,
    Dense,
    GlobalAveragePooling2D,
    MaxPooling2D,
)
from ..models import Sequential

ATTRIBUTES = ("Eyeglasses", "Smiling", "Male")
IMAGE_SHAPE = (3, 64, 64)
EPSILON = 1e-7


def attribute_classifier(attributes=len(ATTRIBUTES), widths=(16, 32, 64, 128), features=64):
    """(N, 3, 64, 64) in [-1, 1] -> P(attribute) (N, attributes): conv-BN-ReLU-pool stages of
    ``widths`` channels (64x64 halved after each), global average pooling, Dense ``features``
    ReLU, Dense ``attributes`` sigmoid."""
    layers = []
    for i, filters in enumerate(widths):
        first = {"input_shape": IMAGE_SHAPE} if i == 0 else {}
        layers += [
            Conv2D(filters, 3, padding="same", use_bias=False, **first),
            BatchNormalization(momentum=0.9),
            Activation("relu"),
            MaxPooling2D(pool_size=(2, 2)),
        ]
    layers += [
        GlobalAveragePooling2D(),
        Dense(features, activation="relu"),
        Dense(attributes, activation="sigmoid"),
    ]
    return Sequential(layers, name="face_attributes")


def balanced_binary_crossentropy(positive_share):
    """A loss fn(y_true (N, K) 0/1, y_pred (N, K) probabilities): binary cross-entropy with the
    positives of attribute k weighted 1 / (2 share_k) and the negatives 1 / (2 (1 - share_k)),
    ``positive_share`` (K,) the training set's share of positives; the batch mean."""
    share = np.asarray(positive_share, dtype=np.float64).reshape(-1)
    if share.size == 0 or not ((share > 0) & (share < 1)).all():
        raise ValueError(
            f"balanced_binary_crossentropy: each positive share must be in (0, 1), got {share}"
        )
    pos, neg = 0.5 / share, 0.5 / (1 - share)

    def balanced_bce(t, p):
        xp = get_array_module(t)
        w_pos = t * xp.asarray(pos, dtype=t.dtype)
        w_neg = (1 - t) * xp.asarray(neg, dtype=t.dtype)
        q = F.clip(p, EPSILON, 1 - EPSILON)
        return -(q.log() * w_pos + (1 - q).log() * w_neg).mean()

    return balanced_bce


def to_signed(images):
    """uint8 images (N, 3, 64, 64) -> float32 in [-1, 1] (the generator's range)."""
    return (np.asarray(images, dtype=np.float32) / 127.5 - 1.0).astype(np.float32)


def _check_images(images, who):
    a = np.asarray(images)
    if a.ndim != 4 or a.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"{who}: expected faces (N, 3, 64, 64) in [-1, 1], got shape {a.shape}")
    if a.dtype.kind in "iub":
        raise ValueError(f"{who}: faces have integer dtype {a.dtype}; scale them with to_signed")
    if a.size and (a.min() < -1 - 1e-5 or a.max() > 1 + 1e-5):
        raise ValueError(
            f"{who}: faces must be in [-1, 1], got range [{a.min():.3g}, {a.max():.3g}]"
        )
    return a.astype(np.float32, copy=False)


def predict_attributes(model, images, batch_size=250):
    """P(attribute) (N, K) as NumPy float32 for faces (N, 3, 64, 64) in [-1, 1]."""
    return model.predict(_check_images(images, "predict_attributes"), batch_size=batch_size)


def attribute_features(model, images, batch_size=250):
    """The penultimate layer's activations (N, features) float64 (the output layer's input)."""
    images = _check_images(images, "attribute_features")
    out = []
    with no_grad():
        for start in range(0, len(images), batch_size):
            h = to_device(images[start : start + batch_size], model.device)
            for layer in model.layers[:-1]:
                h = layer(h, training=False)
            out.append(asnumpy(h.data).astype(np.float64))
    return np.concatenate(out) if out else np.zeros((0, model.layers[-1].input_shape[-1]))


def balanced_accuracy(truth, predicted):
    """Per column: (recall of the positives + recall of the negatives) / 2. truth and predicted
    (N, K) 0/1 (or bool); a column lacking one class gets NaN."""
    t, p = np.asarray(truth).astype(bool), np.asarray(predicted).astype(bool)
    if t.shape != p.shape or t.ndim != 2:
        raise ValueError(
            f"balanced_accuracy: truth and predicted must be (N, K) of one shape, got "
            f"{t.shape} and {p.shape}"
        )
    pos, neg = t.sum(0), (~t).sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = (t & p).sum(0) / pos
        tnr = (~t & ~p).sum(0) / neg
    return np.where((pos > 0) & (neg > 0), (tpr + tnr) / 2, np.nan)
