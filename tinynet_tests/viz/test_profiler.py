"""tn.profile: call counts, FLOPs from shapes, grouping by layer, the Chrome trace's schema."""

import json

import numpy as np
import pytest

import tinynet as tn
from tinynet import autograd
from tinynet import functional as F
from tinynet.layers import Activation, Dense
from tinynet.models import Sequential


def test_counts_every_forward_and_backward_call():
    x = tn.Tensor(np.ones((4, 3), dtype=np.float32), requires_grad=True)
    w = tn.Tensor(np.ones((3, 5), dtype=np.float32), requires_grad=True, name="fc/kernel")
    with tn.profile() as prof:
        y = F.relu(F.linear(x, w))
        (y * y).sum().backward()
        with tn.no_grad():
            F.linear(x, w)  # a forward outside the graph is counted too
    assert autograd._tracer is None
    rows = {r["name"]: r for r in prof.rows()}
    assert {k: r["calls"] for k, r in rows.items()} == {"Linear": 2, "ReLU": 1, "Mul": 1, "Sum": 1}
    phases = [(e["name"], e["phase"]) for e in prof.events]
    assert phases.count(("Linear", "backward")) == 1 and len(phases) == 5 + 4
    # linear (4,3)@(3,5): 2*4*5*3 = 120 FLOPs forward; backward: gx and gw, 240
    lin = [e for e in prof.events if e["name"] == "Linear"]
    assert [e["flops"] for e in lin] == [120, 240, 120]
    assert lin[0]["bytes"] == 4 * 5 * 4 and lin[0]["layer"] == "fc"
    assert "Linear" in prof.table() and "(all ops)" in prof.table(sort_by="calls")


def test_conv_flops_follow_the_shapes():
    x = tn.Tensor(np.ones((2, 3, 8, 8), dtype=np.float32))
    w = tn.Tensor(np.ones((4, 3, 3, 3), dtype=np.float32), requires_grad=True)
    wt = tn.Tensor(np.ones((3, 4, 2, 2), dtype=np.float32), requires_grad=True)
    with tn.profile() as prof:
        F.conv2d(x, w, stride=2, padding=1).sum().backward()
        F.conv2d_transpose(x, wt, stride=2).sum().backward()
    conv, convt = [e for e in prof.events if e["phase"] == "forward" and e["name"] != "Sum"]
    assert conv["flops"] == 2 * (2 * 4 * 4 * 4) * (3 * 3 * 3)
    assert convt["flops"] == 2 * (2 * 3 * 8 * 8) * (4 * 2 * 2)
    back = [e for e in prof.events if e["phase"] == "backward" and e["name"] == "Conv2d"]
    assert back[0]["flops"] == conv["flops"]  # only w needs a gradient


def test_group_by_layer_names_the_layers():
    model = Sequential([Dense(4, input_shape=(3,)), Activation("relu"), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((5, 3), dtype=np.float32), np.zeros((5, 2), dtype=np.float32)
    with tn.profile() as prof:
        model.train_on_batch(x, y)
    names = {r["name"] for r in prof.rows("layer")}
    layers = [layer.name for layer in model.layers]
    assert set(layers) <= names
    with pytest.raises(ValueError, match="group_by"):
        prof.rows("module")


def test_chrome_trace_schema(tmp_path):
    x = tn.Tensor(np.ones((4, 3), dtype=np.float32), requires_grad=True)
    with tn.profile() as prof:
        (x * 2).sum().backward()
    path = prof.export_chrome_trace(tmp_path / "trace.json")
    trace = json.loads(open(path).read())
    events = trace["traceEvents"]
    complete = [e for e in events if e["ph"] == "X"]
    assert len(complete) == len(prof.events) == 4
    for e in events:
        assert e["ph"] in ("X", "M") and isinstance(e["pid"], int) and isinstance(e["tid"], int)
        assert isinstance(e["name"], str)
    for e in complete:
        assert isinstance(e["ts"], (int, float)) and isinstance(e["dur"], (int, float))
        assert e["ts"] >= 0 and e["dur"] >= 0 and e["cat"] in ("forward", "backward")
    starts = [e["ts"] for e in complete]
    assert starts == sorted(starts)


def test_nested_profiles_are_refused_and_plot_draws(tmp_path):
    with tn.profile() as prof:
        with pytest.raises(RuntimeError, match="already active"):
            with tn.profile():
                pass
        (tn.Tensor(np.ones(2), requires_grad=True) * 3).sum().backward()
    fig = prof.plot(tmp_path / "p.png")
    assert (tmp_path / "p.png").exists() and fig.axes


def test_the_bench_breakdown_writes_a_table_and_a_trace(tmp_path):
    from benchmarks.config import SMOKE
    from benchmarks.profile_steps import profile_steps

    paths = profile_steps(SMOKE, ["cpu"], ["lenet"], tmp_path)
    assert [p.name for p in paths] == ["profile-lenet-cpu.md", "profile-lenet-cpu.json"]
    text = paths[0].read_text()
    assert "Conv2d" in text and "GFLOP/s" in text and "batch 4" in text
    assert json.loads(paths[1].read_text())["traceEvents"]


def test_the_committed_lenet_trace_loads_with_the_schema():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "results" / "viz" / "lenet_trace.json"
    trace = json.loads(path.read_text())
    complete = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert len(complete) == 22  # 11 ops, forward and backward
    assert {e["cat"] for e in complete} == {"forward", "backward"}
    for e in complete:
        assert {"name", "ph", "ts", "dur", "pid", "tid"} <= set(e)
    assert any(e["name"] == "Conv2d" and e["args"]["flops"] > 0 for e in complete)
