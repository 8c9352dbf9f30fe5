"""The op table: every differentiable op of tinynet.functional as a few fixed cases, each a
function of Tensors, a generator of its float64 inputs (differentiated) and constants (targets,
labels: not differentiated), an optional plain-loop reference for its forward result, and
tolerances per dtype. test_op_table.py runs every case on every backend and dtype."""

from dataclasses import dataclass, field

import numpy as np

from tinynet import functional as F
from tinynet.backend import get_array_module

from .. import reference
from ..arrays import away_from_zero, distinct, normal

# float64: check_grad's tolerances against central differences; float32: the float32 forward and
# backward against the float64 ones, with an absolute floor scaled to the array's magnitude (an
# element that is a near-cancelling sum of many float32 terms errs in proportion to the terms).
TOLERANCES = {np.float64: dict(atol=1e-5, rtol=1e-3), np.float32: dict(atol=1e-5, rtol=1e-4)}


@dataclass
class Case:
    fn: object  # (*tensors, *constants) -> Tensor
    inputs: object  # rng -> [float64 arrays], differentiated
    constants: object = None  # rng -> [arrays], passed after the inputs, not differentiated
    reference: object = None  # (*float64 inputs, *constants) -> the expected forward result
    tol: dict = field(default_factory=dict)  # dtype -> tolerances replacing TOLERANCES[dtype]
    same_draws: bool = True  # False: float32 and float64 runs draw different random numbers


def _bn(training, momentum=0.9):
    def fn(x, gamma, beta):
        xp, C = get_array_module(x.data), x.shape[1]
        rm = xp.full(C, 0.1, dtype=x.dtype)
        rv = xp.full(C, 1.5, dtype=x.dtype)
        return F.batch_norm(x, gamma, beta, rm, rv, training=training, momentum=momentum)

    return fn


def _dropout(x):
    import tinynet as tn

    tn.seed(7)  # the same mask at every evaluation
    return F.dropout(x, 0.4, training=True)


def _labels(rng, n=6, k=5):
    return [rng.integers(0, k, size=n)]


def _probs(shape):
    return lambda rng: [rng.uniform(0.05, 0.95, size=shape)]


def _uniform_targets(shape):
    return lambda rng: [rng.uniform(0, 1, size=shape)]


def _clip_input(rng):
    x = rng.uniform(-2, 2, size=(4, 5))
    return [np.where(np.abs(np.abs(x) - 1) < 0.05, x * 0.5, x)]  # no value beside a bound


def _n(*shapes):
    return lambda rng: [normal(s, k) for k, s in enumerate(shapes)]


CASES = {
    "conv2d": Case(
        lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
        _n((2, 3, 5, 5), (4, 3, 3, 3), (4,)),
        reference=lambda x, w, b: reference.conv2d(x, w, b, (2, 2), (1, 1)),
    ),
    "conv2d_5x5_same": Case(
        lambda x, w, b: F.conv2d(x, w, b, padding=2),
        _n((2, 1, 6, 6), (3, 1, 5, 5), (3,)),
        reference=lambda x, w, b: reference.conv2d(x, w, b, (1, 1), (2, 2)),
    ),
    "conv2d_rectangular": Case(
        lambda x, w: F.conv2d(x, w, None, (1, 2), (2, 0)),
        _n((1, 2, 5, 6), (3, 2, 2, 3)),
        reference=lambda x, w: reference.conv2d(x, w, None, (1, 2), (2, 0)),
    ),
    "conv2d_reference": Case(
        lambda x, w, b: F.conv2d_reference(x, w, b, stride=2, padding=1),
        _n((2, 3, 5, 5), (4, 3, 3, 3), (4,)),
        reference=lambda x, w, b: reference.conv2d(x, w, b, (2, 2), (1, 1)),
    ),
    "conv2d_transpose": Case(
        lambda x, w, b: F.conv2d_transpose(x, w, b, 2, 1, 1),
        _n((2, 3, 3, 3), (3, 2, 4, 4), (2,)),
        reference=lambda x, w, b: reference.conv2d_transpose(x, w, b, (2, 2), (1, 1), (1, 1)),
    ),
    "conv2d_transpose_stride1": Case(
        lambda x, w: F.conv2d_transpose(x, w, None, 1, 1),
        _n((2, 2, 4, 4), (2, 3, 3, 3)),
        reference=lambda x, w: reference.conv2d_transpose(x, w, None, (1, 1), (1, 1), (0, 0)),
    ),
    "upsample2d": Case(
        lambda x: F.upsample2d(x, 2),
        _n((2, 2, 3, 3)),
        reference=lambda x: x.repeat(2, axis=2).repeat(2, axis=3),
    ),
    "max_pool2d": Case(
        lambda x: F.max_pool2d(x, 3, 2, 1),
        lambda rng: [distinct((2, 3, 7, 7))],
        reference=lambda x: reference.pool2d(x, (3, 3), (2, 2), (1, 1), "max"),
    ),
    "max_pool2d_tiled": Case(
        lambda x: F.max_pool2d(x, 2),
        lambda rng: [distinct((2, 2, 4, 4))],
        reference=lambda x: reference.pool2d(x, (2, 2), (2, 2), (0, 0), "max"),
    ),
    "avg_pool2d": Case(
        lambda x: F.avg_pool2d(x, 2),
        _n((2, 3, 6, 6)),
        reference=lambda x: reference.pool2d(x, (2, 2), (2, 2), (0, 0), "avg"),
    ),
    "avg_pool2d_padded": Case(
        lambda x: F.avg_pool2d(x, 3, 2, 1),
        _n((2, 2, 5, 5)),
        reference=lambda x: reference.pool2d(x, (3, 3), (2, 2), (1, 1), "avg"),
    ),
    "pad2d": Case(
        lambda x: F.pad2d(x, ((1, 0), (2, 1)), 0.5),
        _n((2, 2, 3, 3)),
        reference=lambda x: np.pad(x, ((0, 0), (0, 0), (1, 0), (2, 1)), constant_values=0.5),
    ),
    "linear": Case(F.linear, _n((4, 6), (6, 3), (3,)), reference=lambda x, w, b: x @ w + b),
    "relu": Case(
        F.relu, lambda rng: [away_from_zero((5, 7))], reference=lambda x: np.maximum(x, 0)
    ),
    "leaky_relu": Case(
        lambda x: F.leaky_relu(x, 0.2),
        lambda rng: [away_from_zero((5, 7))],
        reference=lambda x: np.where(x > 0, x, 0.2 * x),
    ),
    "tanh": Case(F.tanh, _n((5, 7)), reference=np.tanh),
    "sigmoid": Case(F.sigmoid, _n((5, 7)), reference=lambda x: 1 / (1 + np.exp(-x))),
    "gelu": Case(F.gelu, lambda rng: [normal((5, 7)) * 2]),
    "gelu_tanh": Case(lambda x: F.gelu(x, "tanh"), lambda rng: [normal((5, 7)) * 2]),
    "softmax": Case(F.softmax, _n((5, 7))),
    "softmax_axis0": Case(lambda x: F.softmax(x, axis=0), _n((5, 7))),
    "log_softmax": Case(F.log_softmax, _n((5, 7))),
    "batch_norm_4d": Case(
        _bn(True),
        lambda rng: [normal((3, 3, 4, 4)) * 2 + 1, normal(3, 1), normal(3, 2)],
        tol={np.float64: dict(atol=1e-4)},
    ),
    "batch_norm_2d": Case(
        _bn(True),
        lambda rng: [normal((6, 4)) * 2 + 1, normal(4, 1), normal(4, 2)],
        tol={np.float64: dict(atol=1e-4)},
    ),
    "batch_norm_inference": Case(
        _bn(False),
        _n((4, 3, 3, 3), (3,), (3,)),
        reference=lambda x, g, b: (
            (x - 0.1) / np.sqrt(1.5 + 1e-3) * g[:, None, None] + b[:, None, None]
        ),
    ),
    "dropout": Case(_dropout, _n((6, 7)), same_draws=False),
    "softmax_cross_entropy_labels": Case(F.softmax_cross_entropy, _n((6, 5)), _labels),
    "softmax_cross_entropy_onehot": Case(
        F.softmax_cross_entropy, _n((6, 5)), lambda rng: [np.eye(5)[_labels(rng)[0]]]
    ),
    "binary_cross_entropy": Case(F.binary_cross_entropy, _probs((6, 1)), _uniform_targets((6, 1))),
    "bce_with_logits": Case(
        F.binary_cross_entropy_with_logits,
        lambda rng: [normal((6, 1)) * 3],
        _uniform_targets((6, 1)),
    ),
    "categorical_cross_entropy": Case(
        F.categorical_cross_entropy, _probs((6, 5)), lambda rng: [np.eye(5)[_labels(rng)[0]]]
    ),
    "mean_squared_error": Case(
        F.mean_squared_error,
        _n((6, 2)),
        _uniform_targets((6, 2)),
        reference=lambda y, t: ((y - t) ** 2).mean(),
    ),
    "clip": Case(
        lambda x: F.clip(x, -1.0, 1.0), _clip_input, reference=lambda x: np.clip(x, -1, 1)
    ),
    "matmul_broadcast_mul": Case(
        lambda a, b: (a @ b) * b.sum(axis=0),
        _n((4, 6), (6, 3)),
        reference=lambda a, b: (a @ b) * b.sum(axis=0),
    ),
    "batched_matmul": Case(lambda a, b: a @ b, _n((2, 3, 4), (4, 2)), reference=lambda a, b: a @ b),
    "add_sub_broadcast": Case(
        lambda a, b: (a + b) - b * 2.0, _n((3, 4), (4,)), reference=lambda a, b: (a + b) - b * 2
    ),
    "reductions": Case(
        lambda x: x.max(axis=1) + x.mean(axis=0) + x.sum(axis=(0, 1)),
        lambda rng: [distinct((4, 4))],
        reference=lambda x: x.max(axis=1) + x.mean(axis=0) + x.sum(),
    ),
    "exp_log_div_pow": Case(
        lambda x: ((x * x + 1).log() / (x.exp() + 1)) ** 2,
        _n((4, 6)),
        reference=lambda x: (np.log(x * x + 1) / (np.exp(x) + 1)) ** 2,
    ),
    "getitem_reshape_T": Case(
        lambda x: x[1:, ::2].reshape(-1, 1).T,
        _n((4, 6)),
        reference=lambda x: x[1:, ::2].reshape(-1, 1).T,
    ),
    "getitem_repeated_rows": Case(
        lambda x: x[np.array([0, 2, 0])] * 1.5, _n((3, 4)), reference=lambda x: x[[0, 2, 0]] * 1.5
    ),
    "concat_channels": Case(
        F.concat_channels,
        _n((2, 1, 3, 3), (2, 2, 3, 3)),
        reference=lambda a, b: np.concatenate([a, b], axis=1),
    ),
    "conv1d_causal_dilated": Case(
        lambda x, w, b: F.conv1d(x, w, b, padding="causal", dilation=3),
        _n((2, 3, 11), (4, 3, 2), (4,)),
        reference=lambda x, w, b: reference.conv1d(x, w, b, 1, (3, 0), 3),
    ),
    "conv1d_same_strided": Case(
        lambda x, w, b: F.conv1d(x, w, b, stride=2, padding="same", dilation=2),
        _n((1, 2, 9), (3, 2, 3), (3,)),
        reference=lambda x, w, b: reference.conv1d(x, w, b, 2, (2, 2), 2),
    ),
    "conv2d_dilated": Case(
        lambda x, w, b: F.conv2d(x, w, b, padding=1, dilation=(2, 3)),
        _n((2, 2, 7, 8), (3, 2, 2, 3), (3,)),
        reference=lambda x, w, b: reference.conv2d(x, w, b, (1, 1), (1, 1), (2, 3)),
    ),
    "gated_activation": Case(
        F.gated_activation,
        _n((2, 6, 5)),
        reference=lambda x: np.tanh(x[:, :3]) / (1 + np.exp(-x[:, 3:])),
    ),
    "embedding_repeated_ids": Case(
        lambda table, ids: F.embedding(ids, table),
        _n((5, 3)),
        lambda rng: [np.array([[0, 2, 2], [4, 0, 2]])],
        reference=lambda table, ids: table[ids],
    ),
    "sparse_softmax_cross_entropy_weighted": Case(
        lambda z, t, w: F.sparse_softmax_cross_entropy(z, t, w, axis=1),
        _n((2, 5, 7)),
        lambda rng: [rng.integers(0, 5, size=(2, 7)), rng.uniform(0, 1, size=(2, 7))],
    ),
    "add_frames": Case(
        lambda x, f: F.add_frames(x, f, 3),
        _n((2, 3, 12), (2, 3, 4)),
        reference=lambda x, f: x + np.repeat(f, 3, axis=2),
    ),
}
