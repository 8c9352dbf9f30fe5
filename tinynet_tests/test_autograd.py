"""Tensor and the backward walk: accumulation, broadcasting, freed graphs, no_grad, depth."""

import numpy as np
import pytest

import tinynet as tn
from tinynet import backend
from tinynet import functional as F


def test_leaf_grads_accumulate_like_pytorch():
    x = tn.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + 3)
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 3.0])


def test_a_tensor_used_twice_gets_both_gradients():
    x = tn.Tensor(np.array(3.0), requires_grad=True)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    assert x.grad == 7.0


def test_broadcast_gradients_are_summed_back_to_each_input_shape():
    a = tn.Tensor(np.ones((4, 1, 3)), requires_grad=True)
    b = tn.Tensor(np.ones((2, 1)), requires_grad=True)
    (a * b).backward(np.ones((4, 2, 3)))
    assert a.grad.shape == (4, 1, 3) and b.grad.shape == (2, 1)
    np.testing.assert_allclose(a.grad, 2.0)
    np.testing.assert_allclose(b.grad, 12.0)


def test_chain_of_ten_thousand_ops_backpropagates_without_recursion():
    x = tn.Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad, 1.0001**10_000, rtol=1e-9)


def test_second_backward_through_a_freed_graph_is_a_clear_error():
    x = tn.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="already freed.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_backward_twice():
    x = tn.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 4 * np.exp(x.data))


def test_no_grad_builds_no_graph():
    x = tn.Tensor(np.ones(3), requires_grad=True)
    with tn.no_grad():
        y = (x * 2).sum()
    assert y.creator is None and not y.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()
    assert tn.is_grad_enabled()


def test_constants_get_no_gradient_and_ops_keep_dtype():
    x = tn.Tensor(np.ones(3, np.float32), requires_grad=True)
    c = tn.Tensor(np.full(3, 2.0, np.float32))
    y = (x * c + 1.5) / 2 - x**2
    assert y.dtype == np.float32
    y.sum().backward()
    assert c.grad is None and x.grad.dtype == np.float32
    assert (tn.Tensor(np.ones(2)) * 2).dtype == np.float64


def test_numpy_array_on_the_left_defers_to_tensor():
    x = tn.Tensor(np.ones(2), requires_grad=True)
    y = np.array([2.0, 3.0]) * x
    assert isinstance(y, tn.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 3.0])


def test_retain_grad_keeps_intermediate_gradient():
    x = tn.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    h = (x * 3).retain_grad()
    F.relu(h).sum().backward()
    np.testing.assert_allclose(h.grad, [1.0, 0.0])
    np.testing.assert_allclose(x.grad, [3.0, 0.0])


def test_backward_needs_gy_for_non_scalar_and_checks_its_shape():
    y = tn.Tensor(np.ones(3), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only for a scalar"):
        y.backward()
    with pytest.raises(ValueError, match=r"gy has shape \(2,\).*\(3,\)"):
        y.backward(np.ones(2))


def test_multi_output_function_gets_zeros_for_unused_outputs():
    class Split(tn.Function):
        def forward(self, x):
            return x[:1] * 1, x[1:] * 1

        def backward(self, ga, gb):
            return np.concatenate([ga, gb])

    x = tn.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    a, b = Split()(x)
    (b * 5).sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 5.0, 5.0])


class FakeGpuArray(np.ndarray):
    """A stand-in for cupy.ndarray, so device mixing can be tested without a GPU."""


class FakeCupy:
    ndarray = FakeGpuArray


def test_mixing_devices_is_a_type_error_that_says_where_each_tensor_is(monkeypatch):
    monkeypatch.setattr(backend, "cupy", FakeCupy)
    cpu = tn.Tensor(np.ones((2, 3)))
    gpu = tn.Tensor(np.ones((2, 3)).view(FakeGpuArray))
    assert gpu.device == "gpu" and cpu.device == "cpu"
    with pytest.raises(
        TypeError,
        match=r"Add: inputs are on different devices.*input 0 \(2, 3\) "
        r"on cpu, input 1 \(2, 3\) on gpu.*to\('gpu'\)",
    ):
        cpu + gpu
    with pytest.raises(TypeError, match="Conv2d: inputs are on different devices"):
        F.conv2d(
            tn.Tensor(np.ones((1, 1, 3, 3))), tn.Tensor(np.ones((1, 1, 2, 2)).view(FakeGpuArray))
        )


def test_to_cpu_is_identity_and_to_gpu_without_gpu_is_clear():
    x = tn.Tensor(np.ones(2))
    assert x.to("cpu") is x
    if not backend.gpu_available():
        with pytest.raises(RuntimeError, match="no CUDA GPU"):
            x.to("gpu")
    with pytest.raises(ValueError, match="'cpu' or 'gpu'"):
        backend.to_device(x.data, "tpu")


def test_same_seed_same_dropout_mask():
    x = tn.Tensor(np.ones((10, 10), np.float32))
    tn.seed(3)
    a = F.dropout(x, 0.5).data
    tn.seed(3)
    b = F.dropout(x, 0.5).data
    np.testing.assert_array_equal(a, b)


def test_each_leaf_owns_its_gradient_array():
    a = tn.Tensor(np.ones(3), requires_grad=True)
    b = tn.Tensor(np.ones(3), requires_grad=True)
    (a + b).backward(np.ones(3))  # Add hands the same upstream array to both inputs
    assert a.grad is not b.grad
    a.grad *= 5
    np.testing.assert_array_equal(b.grad, np.ones(3))
    c = tn.Tensor(np.ones((2, 3)), requires_grad=True)
    c.sum().backward()  # Sum's gradient is a read-only broadcast view
    c.grad += 1
    np.testing.assert_array_equal(c.grad, np.full((2, 3), 2.0))


def test_constants_adopt_the_tensor_dtype_and_tensors_never_mix_float_dtypes():
    x = tn.Tensor(np.ones(3, np.float32), requires_grad=True)
    y = x * np.array([1.0, 2.0, 3.0])  # a float64 constant array
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    with pytest.raises(TypeError, match="Mul: operands have dtypes float32 and float64"):
        x * tn.Tensor(np.ones(3))
    with pytest.raises(TypeError, match="gy has dtype float64 but the output has dtype float32"):
        (x * 2).backward(np.ones(3))


def test_matmul_batch_norm_and_integer_operands_keep_the_float_dtype():
    a = tn.Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    y = a @ np.ones((3, 2))  # a float64 constant adopts float32
    assert y.dtype == np.float32
    y.sum().backward()
    assert a.grad.dtype == np.float32
    with pytest.raises(TypeError, match="matmul: operands have dtypes float32 and float64"):
        a @ tn.Tensor(np.ones((3, 2)))
    y = a + tn.Tensor(np.arange(3))  # an integer tensor takes the float dtype
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, [[1, 2, 3], [1, 2, 3]])
    x = tn.Tensor(np.ones((4, 3), np.float32), requires_grad=True)
    stats = np.zeros(3, np.float32), np.ones(3, np.float32)
    with pytest.raises(TypeError, match="batch_norm: dtypes differ: x float32, gamma float64"):
        F.batch_norm(x, tn.Tensor(np.ones(3)), tn.Tensor(np.zeros(3, np.float32)), *stats)


def test_gradient_never_aliases_the_callers_upstream_array():
    x = tn.Tensor(np.ones(3), requires_grad=True)
    g = np.full(3, 2.0)
    (x + 0.0).backward(g)
    assert x.grad is not g
    g[:] = 0
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_zero_dim_gradients_are_arrays():
    x = tn.Tensor(np.array(2.0), requires_grad=True)
    (x * x).backward()
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == () and x.grad == 4.0


def test_reduction_axis_out_of_range_is_an_error():
    x = tn.Tensor(np.ones((2, 3)))
    for op in ("sum", "mean", "max"):
        with pytest.raises(ValueError, match=f"{op}: axis 2 is out of range"):
            getattr(x, op)(axis=2)


def test_indexing_takes_tensor_indices_and_names_the_shape_when_out_of_range():
    x = tn.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x[tn.Tensor(np.array([1, 1])), 1:]  # a Tensor index acts as its array
    np.testing.assert_array_equal(y.data, [[4, 5], [4, 5]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 0], [0, 2, 2]])  # repeated rows accumulate
    with pytest.raises(
        IndexError, match=r"getitem: index 5 does not fit a tensor of shape \(2, 3\)"
    ):
        x[5]


class _Checked(tn.Function):
    calls = []

    def check_inputs(self, x):
        self.calls.append(("check", x.shape))
        if x.ndim != 1:
            raise ValueError(f"checked: x must be 1-D, got shape {x.shape}")

    def forward(self, x):
        self.calls.append(("forward", x.shape))
        return x * 2

    def backward(self, gy):
        return gy * 2


def test_check_inputs_runs_on_the_raw_arrays_before_forward_and_stops_a_bad_call():
    _Checked.calls.clear()
    y = _Checked()(tn.Tensor(np.ones(3)))
    np.testing.assert_array_equal(y.data, [2, 2, 2])
    assert _Checked.calls == [("check", (3,)), ("forward", (3,))]
    _Checked.calls.clear()
    with pytest.raises(ValueError, match=r"checked: x must be 1-D, got shape \(2, 2\)"):
        _Checked()(np.ones((2, 2)))
    assert _Checked.calls == [("check", (2, 2))]  # forward never ran


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: F.conv2d(np.ones((3, 4)), np.ones((1, 1, 1, 1))),
            ValueError,
            r"^conv2d: x must be \(N, C, H, W\), got shape \(3, 4\)$",
        ),
        (
            lambda: F.conv2d(np.ones((1, 2, 4, 4)), np.ones((1, 2, 3, 3), np.float32)),
            TypeError,
            "conv2d: dtypes differ: x float64, w float32",
        ),
        (
            lambda: F.max_pool2d(np.ones((2, 3)), 2),
            ValueError,
            r"^max_pool2d: x must be \(N, C, H, W\), got shape \(2, 3\)$",
        ),
        (
            lambda: F.batch_norm(np.ones((2, 3)), np.ones(2), np.ones(3), np.zeros(3), np.ones(3)),
            ValueError,
            r"batch_norm: gamma must have shape \(3,\) for x of shape \(2, 3\), got \(2,\)",
        ),
        (
            lambda: tn.Tensor(np.ones((2, 3))).reshape(4, 2),
            ValueError,
            r"reshape: cannot reshape an array of shape \(2, 3\) \(6 elements\) into \(4, 2\)",
        ),
        (
            lambda: tn.Tensor(np.ones((2, 3))).transpose(0, 0),
            ValueError,
            r"transpose: axes \(0, 0\) are not a permutation for shape \(2, 3\)",
        ),
        (
            lambda: tn.Tensor(np.ones(3)) @ tn.Tensor(np.ones(4)),
            ValueError,
            r"matmul: inner dimensions differ: \(3,\) @ \(4,\)",
        ),
        (
            lambda: tn.Tensor(np.ones(3)) + tn.Tensor(np.ones(3, np.float32)),
            TypeError,
            "Add: operands have dtypes float64 and float32",
        ),
    ],
)
def test_ops_check_their_inputs_at_the_door_with_the_op_and_the_values(call, error, message):
    with pytest.raises(error, match=message):
        call()
