"""For ``backward_graph``s written as the gradient of a composite: an op whose gradient is
easiest stated as that of the same computation in simpler ops (batch norm, conv1d) recomputes
it from aliases of its inputs and differentiates it with ``tinynet.grad(create_graph=True)``."""

from ..autograd import Function, grad


class Alias(Function):
    """The identity, as a node of its own: a composite's gradient stops at it (the partial
    derivative in the op's own input, whatever else that input feeds)."""

    def forward(self, x):
        return x

    def backward(self, gy):
        return gy

    def backward_graph(self, gy):
        return gy


def composite_vjp(compute, inputs, gys, needs_grad):
    """The gradients (Tensors with their graph, or None) of ``compute(*inputs)`` (a Tensor or a
    tuple of Tensors, built from tinynet ops) with respect to the inputs marked in
    ``needs_grad``, for the upstream gradients ``gys``."""
    aliases = [Alias()(x) if w else x for x, w in zip(inputs, needs_grad)]
    outputs = compute(*aliases)
    wanted = [a for a, w in zip(aliases, needs_grad) if w]
    if not wanted:
        return (None,) * len(inputs)
    found = iter(grad(outputs, wanted, list(gys), create_graph=True, allow_unused=True))
    return tuple(next(found) if w else None for w in needs_grad)
