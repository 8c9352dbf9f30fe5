"""Saved-tensor versions: in-place changes to a tensor a live graph holds are caught at backward."""

import numpy as np
import pytest

import tinynet as tn
from tinynet import functional as F


def test_the_issue_repro_raises_naming_the_op_and_the_tensor():
    a = tn.Tensor([1, 2, 3], requires_grad=True)
    s = (a * a).sum()
    a.data[...] = 10
    with pytest.raises(RuntimeError, match=r"input 0 of Mul, tensor \(unnamed\) of shape \(3,\)"):
        s.backward()


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.__setitem__(0, 5.0),
        lambda d: d.__isub__(1.0),
        lambda d: d.fill(0.0),
        lambda d: np.multiply(d, 2.0, out=d),
        lambda d: d.__setitem__(slice(1, None), d[1:] + 1.0),  # what `d[1:] += 1` runs
    ],
    ids=["setitem", "isub", "fill", "ufunc-out", "slice-iadd"],
)
def test_every_kind_of_write_through_data_is_seen(edit):
    w = tn.Tensor(np.ones(3), requires_grad=True, name="w")
    y = (w.exp() * 2).sum()
    edit(w.data)
    with pytest.raises(RuntimeError, match="'w' of shape"):
        y.backward()


def test_assigning_data_and_bump_version_count_too():
    w = tn.Tensor(np.ones(3), requires_grad=True)
    y = (w * w).sum()
    w.data = np.zeros(3)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()
    v = tn.Tensor(np.ones(3), requires_grad=True)
    raw = v.data  # taken before the graph: writes through it are not seen ...
    y = (v * v).sum()
    raw[...] = 1.0
    v.bump_version()  # ... unless the writer says so
    with pytest.raises(RuntimeError, match="version 1, saved at version 0"):
        y.backward()


def test_an_output_changed_in_place_is_caught():
    x = tn.Tensor(np.ones(3), requires_grad=True)
    y = x.exp()
    z = y.sum()
    y.data[...] = 0.0
    with pytest.raises(RuntimeError, match="input 0 of Sum"):
        z.backward()


def test_writes_after_backward_or_without_a_graph_are_free():
    w = tn.Tensor(np.ones(3), requires_grad=True)
    (w * w).sum().backward()
    assert type(w.data) is np.ndarray  # the raw array itself again once the graph is freed
    w.data -= 0.1 * w.grad  # the optimizer's update
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, 2 + 2 * 0.8)
    with tn.no_grad():
        y = w * 2
    assert type(w.data) is np.ndarray and y.creator is None


def test_the_watched_view_computes_like_the_array():
    w = tn.Tensor(np.arange(3.0), requires_grad=True)
    y = (w * w).sum()
    d = w.data
    assert type(d + 1) is np.ndarray and type(d.sum()) is np.float64
    assert repr(d) == repr(np.arange(3.0)) and np.shares_memory(d, w._data)
    c = d.copy()
    c[...] = 7.0  # a copy is not the tensor: no version change
    y.backward()
    np.testing.assert_allclose(w.grad, [0.0, 2.0, 4.0])
    assert type(tn.Tensor(d).data) is np.ndarray  # a new Tensor never holds the view


def test_optimizer_update_between_forward_and_backward_is_caught():
    from tinynet.training.optimizers import SGD

    w = tn.Tensor(np.ones((2, 2)), requires_grad=True, name="dense/kernel")
    x = tn.Tensor(np.ones((3, 2)))
    loss = F.linear(x, w).sum()
    w.grad = np.ones((2, 2))
    SGD(lr=0.1).step([w])
    with pytest.raises(RuntimeError, match="Linear, tensor 'dense/kernel'"):
        loss.backward()
