"""The recorded graph as a picture: ``graph(output)`` walks it into a ``Graph`` of Tensor and
Function nodes; ``plot_model(model)`` draws one box per layer with its shapes.

    y = (x * w + b).tanh(); retain_grads(y); y.backward(retain_graph=True)
    graph(y, show_values=True).render("neuron.png")   # values and grads, as micrograd draws them

``Graph.to_dot()`` gives Graphviz DOT text; ``Graph.render(path)`` runs Graphviz's ``dot`` when it
is on the PATH and otherwise draws the same layered graph with matplotlib, so a pip-only machine
still gets a picture. Tensor nodes show name, shape, dtype and device (and, with
``show_values``, data and grad when a tensor has at most ``max_values`` elements); parameters
(named leaves that require grad) are filled blue, constants grey, outputs orange. Draw before a
backward that frees the graph, or backward with ``retain_graph=True``.
"""

import contextlib
import os
import shutil
import subprocess

import numpy

from .. import autograd
from ..autograd import Tensor
from ..backend import asnumpy

COLOURS = {
    "param": "#cde4ff",
    "const": "#eeeeee",
    "tensor": "#ffffff",
    "output": "#ffe0b0",
    "op": "#d9f2d0",
    "layer": "#f4f4f4",
}


class Graph:
    """Nodes ``{id: {"kind", "label", "cluster"}}`` (kind: op, param, const, tensor, output,
    layer) and ``edges`` [(from id, to id)], in the order the walk met them."""

    def __init__(self, nodes, edges, rankdir="TB"):
        self.nodes, self.edges, self.rankdir = nodes, edges, rankdir

    def count(self, kind=None):
        """How many nodes (of ``kind``, or of the kinds in a tuple)."""
        if kind is None:
            return len(self.nodes)
        kinds = (kind,) if isinstance(kind, str) else tuple(kind)
        return sum(n["kind"] in kinds for n in self.nodes.values())

    def to_dot(self):
        """Graphviz DOT text: ops as ellipses, tensors as boxes, layers as clusters."""
        lines = [
            "digraph tinynet {",
            f"  rankdir={self.rankdir};",
            '  node [fontname="Helvetica", fontsize=10];',
            '  edge [color="#555555"];',
        ]
        clusters = {}
        for nid, n in self.nodes.items():
            clusters.setdefault(n.get("cluster"), []).append(nid)
        for k, (name, ids) in enumerate(clusters.items()):
            indent = "  "
            if name is not None:
                lines.append(f"  subgraph cluster_{k} {{")
                lines.append(f'    label="{_escape(name)}"; style="rounded"; color="#999999";')
                indent = "    "
            for nid in ids:
                n = self.nodes[nid]
                shape = "ellipse" if n["kind"] == "op" else "box"
                style = "filled" if n["kind"] == "op" else "rounded,filled"
                lines.append(
                    f'{indent}n{nid} [label="{_escape(n["label"])}", shape={shape}, '
                    f'style="{style}", fillcolor="{COLOURS[n["kind"]]}"];'
                )
            if name is not None:
                lines.append("  }")
        lines += [f"  n{a} -> n{b};" for a, b in self.edges]
        lines.append("}")
        return "\n".join(lines) + "\n"

    def render(self, path, engine=None, dpi=120):
        """Write the picture to ``path`` (.png, .svg or .pdf); returns the path. ``engine``:
        "dot", "matplotlib" or None (dot when installed)."""
        path = os.fspath(path)
        fmt = os.path.splitext(path)[1].lstrip(".").lower() or "png"
        if engine not in (None, "dot", "matplotlib"):
            raise ValueError(f"render: engine must be 'dot', 'matplotlib' or None, got {engine!r}")
        if engine == "dot" or (engine is None and shutil.which("dot")):
            if not shutil.which("dot"):
                raise RuntimeError("render: engine='dot' but Graphviz's dot is not on the PATH")
            subprocess.run(
                ["dot", f"-T{fmt}", f"-Gdpi={dpi}", "-o", path],
                input=self.to_dot().encode(),
                check=True,
            )
            return path
        from ._layered import draw

        draw(self, path, dpi)
        return path


def _escape(text):
    return str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _walk(outputs):
    """(functions, tensors) reachable from ``outputs``, each once, outputs first."""
    fns, tensors, seen = [], {}, set()
    stack = [t.creator for t in outputs if t.creator is not None]
    for t in outputs:
        tensors[id(t)] = t
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        if fn.inputs is None:
            raise RuntimeError(
                f"graph: the graph through {type(fn).__name__} was freed by backward(); draw it "
                f"before backward, or call backward(retain_graph=True)"
            )
        fns.append(fn)
        for x in fn.inputs:
            if x is not None:
                tensors.setdefault(id(x), x)
                if x.creator is not None:
                    stack.append(x.creator)
        for ref in fn.outputs:
            o = ref()
            if o is not None and o.creator is fn:
                tensors.setdefault(id(o), o)
    return fns, tensors


def retain_grads(output):
    """Mark every non-leaf tensor that ``output``'s graph still holds with ``retain_grad()``,
    so a following backward leaves gradients on all of them for ``graph(show_values=True)``."""
    _, tensors = _walk(_as_list(output))
    for t in tensors.values():
        if isinstance(t, Tensor) and t.creator is not None:  # not an input already freed
            t.retain_grad()
    return output


def _as_list(output):
    outputs = list(output) if isinstance(output, (list, tuple)) else [output]
    for t in outputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"graph: expected Tensor outputs, got {type(t).__name__}")
    return outputs


def _fmt(a):
    a = asnumpy(a)
    if a.size == 1:
        return f"{a.item():.4g}"
    return numpy.array2string(a.reshape(-1), precision=3, separator=", ", max_line_width=60)


def layer_of(fn):
    """The layer that made ``fn``: the scope recorded while a tracer watched, else the layer
    prefix of a named parameter among its inputs ('dense_1/kernel' -> 'dense_1'), else None."""
    if fn.scope is not None:
        return fn.scope
    for x in fn.inputs or ():
        if x is not None and x.creator is None and x.name and "/" in x.name:
            return x.name.rsplit("/", 1)[0]
    return None


def _op_label(fn):
    params = fn.__dict__.get("_init_params") or {}
    shown = [
        f"{k}={v}"
        for k, v in params.items()
        if not k.startswith("_") and isinstance(v, (int, float, str, tuple)) and len(str(v)) < 16
    ]
    return type(fn).__name__ + ("\n" + " ".join(shown) if shown else "")


def graph(output, show_values=False, max_values=4, group_by_layer=False, rankdir="TB"):
    """The recorded graph behind ``output`` (a Tensor or a list of them) as a Graph.

    show_values: add data and grad to tensors with at most ``max_values`` elements.
    group_by_layer: put each op (and the parameters it uses) in a cluster named by its layer
    (see ``layer_of``; build the graph inside ``record_layers()`` to name every op's layer).
    """
    outputs = _as_list(output)
    fns, tensors = _walk(outputs)
    out_ids = {id(t) for t in outputs}
    nodes, edges, ids = {}, [], {}

    def nid(obj):
        return ids.setdefault(id(obj), len(ids))

    layers = {id(fn): layer_of(fn) if group_by_layer else None for fn in fns}
    param_cluster = {}
    for fn in fns:
        for x in fn.inputs:
            if x is not None and x.creator is None:
                param_cluster.setdefault(id(x), layers[id(fn)])
    for t in tensors.values():
        if id(t) in out_ids:
            kind = "output"
        elif t.creator is None:
            kind = "param" if t.requires_grad else "const"
        else:
            kind = "tensor"
        head = t.name or ("param" if kind == "param" else "")
        shape = "(" + ", ".join(map(str, t.shape)) + ("," if t.ndim == 1 else "") + ")"
        label = (f"{head}\n" if head else "") + f"{shape} {t.dtype} {t.device}"
        if show_values and t.size <= max_values and t._data is not None:
            label += f"\ndata {_fmt(t._data)}"
            if t.grad is not None:
                label += f"\ngrad {_fmt(t.grad)}"
        cluster = param_cluster.get(id(t)) if kind in ("param", "const") else None
        if t.creator is not None and group_by_layer:
            cluster = layers.get(id(t.creator))
        nodes[nid(t)] = {"kind": kind, "label": label, "cluster": cluster}
    for fn in fns:
        nodes[nid(fn)] = {"kind": "op", "label": _op_label(fn), "cluster": layers[id(fn)]}
        for x in fn.inputs:
            if x is not None:
                edges.append((nid(x), nid(fn)))
        for ref in fn.outputs:
            o = ref()
            if o is not None and id(o) in tensors:
                edges.append((nid(fn), nid(o)))
    return Graph(nodes, edges, rankdir)


class _ScopeRecorder:
    """A tracer that only lets Layer.__call__ record which layer made each op."""

    def call(self, fn, inputs):
        return fn.apply(inputs)

    def backward(self, fn, gys):
        return fn.backward(*gys)


@contextlib.contextmanager
def record_layers():
    """Inside this block every recorded op remembers the innermost layer that called it, so
    ``graph(..., group_by_layer=True)`` clusters activations and pooling too (not only the ops
    that take a layer's parameters)."""
    previous = autograd.set_tracer(_ScopeRecorder())
    try:
        yield
    finally:
        autograd.set_tracer(previous)


def _all_layers(model):
    found, stack = {}, [model]
    while stack:
        layer = stack.pop()
        found[layer.name] = layer
        stack.extend(reversed(getattr(layer, "layers", None) or []))
    return found


def _shape(s):
    return "?" if s is None else "(None, " + ", ".join(map(str, s)) + ")"


def plot_model(model, input_shape=None, show_shapes=True):
    """One box per layer (name, class, output shape, parameter count), connected as the data
    flows: a forward pass on a batch of two zero samples records which layer made each op.
    input_shape: one sample's shape, when the model does not know it yet."""
    shape = input_shape or model.input_shape or getattr(model, "declared_input_shape", None)
    if shape is None:
        raise ValueError(
            f"plot_model: {getattr(model, 'name', model)!r} does not know its input shape yet; "
            f"pass input_shape=(one sample's shape)"
        )
    dtype = getattr(model, "dtype", None) or "float32"
    xp = numpy
    weights = getattr(model, "weights", [])
    if weights:
        from ..backend import get_array_module

        xp = get_array_module(weights[0]._data)
    x = Tensor(xp.zeros((2, *shape), dtype=dtype), requires_grad=True, name="input")
    with record_layers():
        out = model(x, training=False)
    fns, _ = _walk([out])
    by_name = _all_layers(model)
    scope = {id(fn): fn.scope or model.name for fn in fns}
    order, edges = ["input"], set()
    for fn in reversed(fns):
        if scope[id(fn)] not in order:
            order.append(scope[id(fn)])
        for t in fn.inputs:
            if t is None:
                continue
            src = "input" if t is x else (scope.get(id(t.creator)) if t.creator else None)
            if src is not None and src != scope[id(fn)]:
                edges.add((src, scope[id(fn)]))
    nodes = {}
    for k, name in enumerate(order):
        layer = by_name.get(name)
        if name == "input":
            label = f"input\n{_shape(shape)}"
        else:
            label = f"{name}\n{type(layer).__name__ if layer else ''}"
            if show_shapes and layer is not None:
                label += f"\n-> {_shape(layer.output_shape)}  params {layer.count_params():,}"
        nodes[k] = {"kind": "layer", "label": label, "cluster": None}
    index = {name: k for k, name in enumerate(order)}
    return Graph(nodes, sorted((index[a], index[b]) for a, b in edges))
