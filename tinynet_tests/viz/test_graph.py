"""tn.viz.graph and plot_model: node counts on known expressions, DOT structure, pictures."""

import re

import numpy as np
import pytest

import tinynet as tn
from tinynet import functional as F
from tinynet.layers import Activation, Dense
from tinynet.models import Sequential


def neuron():
    """micrograd's neuron: tanh(x1*w1 + x2*w2 + b)."""
    v = {
        k: tn.Tensor(np.array(val), requires_grad=True, name=k)
        for k, val in [
            ("x1", 2.0),
            ("x2", 0.0),
            ("w1", -3.0),
            ("w2", 1.0),
            ("b", 6.8813735870195432),
        ]
    }
    return v, F.tanh(v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"])


def parse_dot(text):
    """(node ids, edges) of DOT text, checking its frame and that every edge joins nodes."""
    assert text.startswith("digraph tinynet {") and text.rstrip().endswith("}")
    assert text.count("{") == text.count("}")
    nodes = re.findall(r"^\s*(n\d+) \[label=\"", text, flags=re.M)
    edges = re.findall(r"^\s*(n\d+) -> (n\d+);", text, flags=re.M)
    assert len(set(nodes)) == len(nodes)
    assert all(a in nodes and b in nodes for a, b in edges)
    return nodes, edges


def test_neuron_graph_counts_and_values():
    v, y = neuron()
    tn.viz.retain_grads(y)
    y.backward(retain_graph=True)
    g = tn.viz.graph(y, show_values=True)
    # 5 leaves, 5 ops (Mul, Mul, Add, Add, Tanh), 4 intermediates + the output
    assert g.count("op") == 5 and g.count("param") == 5 and g.count(("tensor", "output")) == 5
    nodes, edges = parse_dot(g.to_dot())
    assert len(nodes) == 15 and len(edges) == 14  # 9 op inputs + 5 op outputs
    dot = g.to_dot()
    assert "x1\\n() float64 cpu\\ndata 2\\ngrad -1.5" in dot  # dL/dx1 = w1 * (1 - tanh^2) = -1.5
    assert 'fillcolor="#cde4ff"' in dot  # parameters marked
    np.testing.assert_allclose(v["x1"].grad, -1.5, rtol=1e-6)


def test_a_shared_node_appears_once_and_freed_graphs_are_a_clear_error():
    x = tn.Tensor(np.ones(3), requires_grad=True)
    a = x * 2
    y = (a.exp() + a).sum()
    g = tn.viz.graph(y)
    # ops Mul Exp Add Sum; leaves x and the constant 2; a, exp(a), the sum of both, y
    assert g.count("op") == 4 and g.count("const") == 1 and g.count() == 4 + 2 + 4
    y.backward()
    with pytest.raises(RuntimeError, match="freed by backward"):
        tn.viz.graph(y)


def test_render_falls_back_to_matplotlib(tmp_path):
    _, y = neuron()
    path = tn.viz.graph(y, rankdir="LR").render(tmp_path / "n.png", engine="matplotlib")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_layers_group_into_clusters_and_plot_model_follows_the_data():
    model = Sequential([Dense(4, input_shape=(3,)), Activation("relu"), Dense(2)])
    out = model(np.ones((2, 3), dtype=np.float32))
    g = tn.viz.graph(out, group_by_layer=True)
    dot = g.to_dot()
    assert dot.count("subgraph cluster_") == 2  # the two Dense layers, by their parameters
    pm = tn.viz.plot_model(model)
    assert pm.count() == 4 and pm.edges == [(0, 1), (1, 2), (2, 3)]
    assert "dense_" in pm.nodes[1]["label"] and "params 16" in pm.nodes[1]["label"]
    parse_dot(pm.to_dot())
