"""Every op's forward and backward on the GPU (CuPy) against NumPy, float32, rtol 1e-4.
Skips cleanly without CuPy or a CUDA device."""
import numpy as np
import pytest

import tinynet as tn
from tinynet import backend, functional as F

pytestmark = pytest.mark.skipif(not backend.gpu_available(),
                                reason="needs CuPy and a CUDA GPU (pip install -e '.[gpu]')")

RNG = np.random.default_rng(0)


def _normal(*shape):
    return RNG.normal(size=shape).astype(np.float32)


def _distinct(*shape):
    n = int(np.prod(shape))
    return (RNG.permutation(n).reshape(shape) * 0.01).astype(np.float32)


def _labels(n, k):
    return RNG.integers(0, k, size=n)


def _probs(*shape):
    return RNG.uniform(0.05, 0.95, size=shape).astype(np.float32)


CASES = {
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
               [_normal(4, 3, 9, 9), _normal(5, 3, 3, 3), _normal(5)]),
    "conv2d_5x5_same": (lambda x, w, b: F.conv2d(x, w, b, padding=2),
                        [_normal(8, 1, 28, 28), _normal(20, 1, 5, 5), _normal(20)]),
    "conv2d_transpose": (lambda x, w, b: F.conv2d_transpose(x, w, b, 2, 1, 1),
                         [_normal(4, 6, 7, 7), _normal(6, 3, 4, 4), _normal(3)]),
    "upsample2d": (lambda x: F.upsample2d(x, 2), [_normal(2, 3, 5, 5)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 3, 2, 1), [_distinct(2, 3, 9, 9)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2), [_normal(2, 3, 8, 8)]),
    "linear": (F.linear, [_normal(16, 30), _normal(30, 10), _normal(10)]),
    "relu": (F.relu, [_normal(5, 7)]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), [_normal(5, 7)]),
    "tanh": (F.tanh, [_normal(5, 7)]),
    "sigmoid": (F.sigmoid, [_normal(5, 7)]),
    "softmax": (F.softmax, [_normal(5, 7)]),
    "log_softmax": (F.log_softmax, [_normal(5, 7)]),
    "batch_norm_4d": (lambda x, g, b: F.batch_norm(x, g, b, backend.get_array_module(x.data).zeros(3, np.float32),
                                                    backend.get_array_module(x.data).ones(3, np.float32)),
                      [_normal(4, 3, 5, 5), _normal(3), _normal(3)]),
    "batch_norm_2d": (lambda x, g, b: F.batch_norm(x, g, b, backend.get_array_module(x.data).zeros(6, np.float32),
                                                    backend.get_array_module(x.data).ones(6, np.float32)),
                      [_normal(16, 6), _normal(6), _normal(6)]),
    "softmax_cross_entropy": (lambda z: F.softmax_cross_entropy(z, _LABELS[z.device]), [_normal(12, 10)]),
    "binary_cross_entropy": (lambda p: F.binary_cross_entropy(p, _TARGET[p.device]), [_probs(12, 1)]),
    "bce_with_logits": (lambda z: F.binary_cross_entropy_with_logits(z, _TARGET[z.device]), [_normal(12, 1)]),
    "categorical_cross_entropy": (lambda p: F.categorical_cross_entropy(p, _ONEHOT[p.device]), [_probs(12, 10)]),
    "mean_squared_error": (lambda y: F.mean_squared_error(y, _TARGET[y.device]), [_normal(12, 1)]),
    "matmul_broadcast_mul": (lambda a, b: (a @ b) * b.sum(axis=0), [_normal(4, 6), _normal(6, 3)]),
    "reductions": (lambda x: x.max(axis=1) + x.mean(axis=1) + x.sum(axis=1), [_distinct(4, 6)]),
    "exp_log_div_pow": (lambda x: ((x * x + 1).log() / (x.exp() + 1)) ** 2, [_normal(4, 6)]),
    "getitem_reshape_T": (lambda x: x[1:, ::2].reshape(-1, 1).T, [_normal(4, 6)]),
}
_labels_np = _labels(12, 10)
_target_np = RNG.uniform(0, 1, size=(12, 1)).astype(np.float32)
_LABELS, _TARGET, _ONEHOT = {"cpu": _labels_np}, {"cpu": _target_np}, {"cpu": np.eye(10, dtype=np.float32)[_labels_np]}


def _run(fn, arrays, device):
    tensors = [tn.Tensor(backend.to_device(a, device), requires_grad=True) for a in arrays]
    y = fn(*tensors)
    gy = np.random.default_rng(1).normal(size=y.shape).astype(np.float32)
    y.backward(backend.to_device(gy, device))
    return backend.asnumpy(y.data), [backend.asnumpy(t.grad) for t in tensors]


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_on_gpu_matches_numpy(name):
    for table, value in ((_LABELS, _labels_np), (_TARGET, _target_np), (_ONEHOT, _ONEHOT["cpu"])):
        table["gpu"] = backend.to_device(value, "gpu")
    fn, arrays = CASES[name]
    y_cpu, g_cpu = _run(fn, arrays, "cpu")
    y_gpu, g_gpu = _run(fn, arrays, "gpu")
    _assert_close(y_gpu, y_cpu, f"{name} forward")
    for i, (a, b) in enumerate(zip(g_gpu, g_cpu)):
        _assert_close(a, b, f"{name} grad of input {i}")


def _assert_close(actual, desired, msg):
    """float32: rtol 1e-4, with an absolute floor scaled to the array's magnitude, since an
    element that is a near-cancelling sum of many large float32 terms (a weight gradient sums
    N*oh*ow products) carries an absolute error proportional to those terms, not to itself."""
    scale = max(1.0, float(np.abs(desired).max()) if desired.size else 1.0)
    np.testing.assert_allclose(actual, desired, rtol=1e-4, atol=1e-5 * scale, err_msg=msg)


def test_dropout_on_gpu_is_inverted_and_seeded():
    x = tn.Tensor(backend.to_device(np.ones((100, 100), np.float32), "gpu"))
    tn.seed(0)
    a = backend.asnumpy(F.dropout(x, 0.3).data)
    tn.seed(0)
    b = backend.asnumpy(F.dropout(x, 0.3).data)
    np.testing.assert_array_equal(a, b)
    assert abs((a == 0).mean() - 0.3) < 0.02
    np.testing.assert_allclose(a[a != 0], 1 / 0.7, rtol=1e-6)


@pytest.mark.parametrize("geometry", [((4, 3, 9, 9), 3, 3, 2, 1), ((2, 5, 8, 7), 5, 2, 1, 2),
                                      ((3, 2, 6, 6), 4, 4, 2, 1), ((2, 4, 5, 5), 1, 1, 3, 0)])
def test_cuda_im2col_col2im_kernels_match_the_slice_loops(geometry, monkeypatch):
    from tinynet.functional import windows
    shape, kh, kw, stride, padding = geometry
    x_np = _normal(*shape)
    x = backend.to_device(x_np, "gpu").transpose(1, 0, 2, 3).copy().transpose(1, 0, 2, 3)  # channel-major view
    results = {}
    for fused in (True, False):
        monkeypatch.setattr(windows, "USE_CUDA_KERNELS", fused)
        col = F.im2col(x, kh, kw, stride, padding)
        img = F.col2im(col, shape, kh, kw, stride, padding)
        results[fused] = backend.asnumpy(col), backend.asnumpy(img)
    np.testing.assert_array_equal(results[True][0], results[False][0])
    np.testing.assert_allclose(results[True][1], results[False][1], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(results[False][0], F.im2col(x_np, kh, kw, stride, padding,
                                                              batch_last=False))
