"""Layer hooks: the handles ``register_*_hook`` return, backward hooks, and the layer scope that
profilers read.

A backward hook ``fn(layer, grad_input, grad_output)`` works like PyTorch's full backward hook:
the layer's input and output pass through an identity op (``HookPoint``), so ``grad_input`` is
exactly the gradient this call of the layer sends back to its input (other users of the same
input excluded) and ``grad_output`` the gradient arriving at its output. Both are 1-tuples of raw
arrays; ``grad_input`` is ``(None,)`` when the input needs no gradient (the data batch). A
non-None result, a tuple like ``grad_input``, replaces what flows on to the layers before.
Where a loss fuses the last layer's activation (softmax + cross-entropy), the layer runs up to
its logits (``call_pre_activation``) and ``grad_output`` is the gradient at the logits.
"""

from .. import autograd
from ..autograd import RemovableHandle
from ..functional._graph import Alias

__all__ = ["RemovableHandle", "HookPoint", "call_hooked"]


class HookPoint(Alias):
    """The identity, as a node of its own: the place a layer's backward hooks attach to."""


def call_hooked(layer, x, training, pre_activation=False):
    """layer.call (or ``call_pre_activation``) with its backward hooks attached, and its name on
    the scope stack while a tracer (the profiler) watches the ops."""
    body = layer.call_pre_activation if pre_activation else layer.call
    tracing = autograd._tracer is not None
    if tracing:
        autograd._scopes.append(layer.name)
    try:
        if layer._backward_hooks:
            return _call_with_backward_hooks(layer, x, training, body)
        return layer.run_forward_hooks(x, body(x, training))
    finally:
        if tracing:
            autograd._scopes.pop()


def _call_with_backward_hooks(layer, x, training, body):
    inner = HookPoint()(x) if x.requires_grad and autograd.is_grad_enabled() else x
    out = layer.run_forward_hooks(inner, body(inner, training))
    if not out.requires_grad:
        return out  # no backward pass will come through this call
    if out is inner:
        out = HookPoint()(out)
    seen = {}

    def fire(grad_input, grad_output):
        for fn in list(layer._backward_hooks.values()):
            result = fn(layer, grad_input, grad_output)
            if result is not None:
                grad_input = tuple(result)
        return grad_input

    if inner is x:  # nothing flows back to the input: call the hooks with the output's gradient

        def at_output(g):
            fire((None,), (g,))

        out.register_hook(at_output)
    else:

        def at_output(g):
            seen["grad_output"] = g

        def at_input(g):
            return fire((g,), (seen.get("grad_output"),))[0]

        out.register_hook(at_output)
        inner.register_hook(at_input)
    return out
