"""Function instances: reuse records a node per call; __init__ parameters survive release()."""

import numpy as np

import tinynet as tn
from tinynet.autograd import Function
from tinynet.gradcheck import check_grad


class Scale(Function):
    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        return self.alpha * x

    def backward(self, gy):
        return self.alpha * gy


class Cube(Function):
    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, gy):
        return 3 * self.x**2 * gy


def test_init_parameters_survive_release_and_the_instance_can_be_called_again():
    scale = Scale(3.0)
    x = tn.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    scale(x).sum().backward()
    assert scale.alpha == 3.0 and scale.inputs is None
    scale(x).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 6.0])


def test_one_instance_used_twice_in_one_graph_records_two_nodes():
    cube = Cube()
    x = tn.Tensor(np.array([1.5, -2.0]), requires_grad=True)
    y = cube(cube(x))  # x ** 9
    assert y.creator is not cube and y.creator.inputs[0].creator is cube
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 9 * x.data**8)
    check_grad(lambda t: cube(cube(t)), [np.array([0.7, -1.1])])


def test_reuse_while_the_first_graph_is_alive_leaves_it_intact():
    cube = Cube()
    a = tn.Tensor(np.array([2.0]), requires_grad=True)
    b = tn.Tensor(np.array([3.0]), requires_grad=True)
    ya, yb = cube(a), cube(b)
    yb.backward(np.ones(1))
    ya.backward(np.ones(1))
    np.testing.assert_allclose(a.grad, [12.0])
    np.testing.assert_allclose(b.grad, [27.0])
