"""The pictures and the profile under results/viz/: micrograd's neuron with values and grads,
LeNet's loss graph grouped by layer, LeNet's layer diagram, and a profile of one LeNet training
step on this machine (table by op and by layer, Chrome trace, bar chart).

    python -m benchmarks.viz_results [--out results/viz] [--batch 128]

The step profiled is Model.train_on_batch of tinynet.zoo.lenet (SGD, categorical cross-entropy
on the logits), after one unprofiled warm-up step, so the table shows the steady state; of three
profiled steps the fastest is kept, the one least disturbed by other work on the machine.
"""

import argparse
import os
from pathlib import Path

import numpy as np

import tinynet as tn
from tinynet import functional as F
from tinynet.layers.base import reset_names

from .timing import machine


def neuron(out):
    """micrograd's README neuron: o = tanh(x1*w1 + x2*w2 + b), drawn with data and grads."""
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
    x1w1, x2w2 = v["x1"] * v["w1"], v["x2"] * v["w2"]
    x1w1.name, x2w2.name = "x1*w1", "x2*w2"
    s = x1w1 + x2w2
    s.name = "x1*w1 + x2*w2"
    n = s + v["b"]
    n.name = "n"
    o = F.tanh(n)
    o.name = "o"
    tn.viz.retain_grads(o)
    o.backward(retain_graph=True)
    return tn.viz.graph(o, show_values=True, rankdir="LR").render(out / "neuron.png")


def lenet_data(batch, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
    return x, y


def lenet_graph(out):
    reset_names()
    model = tn.zoo.lenet()
    x, y = lenet_data(2)
    with tn.viz.record_layers():
        loss = F.categorical_cross_entropy(model(x, training=True), y)
    tn.viz.graph(loss, group_by_layer=True).render(out / "lenet_loss_graph.png")
    tn.viz.plot_model(model).render(out / "lenet_model.png")


def lenet_profile(out, batch, tries=3):
    reset_names()
    model = tn.zoo.lenet()
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x, y = lenet_data(batch)
    model.train_on_batch(x, y)  # warm-up
    profiles = []
    for _ in range(tries):
        with tn.profile() as prof:
            model.train_on_batch(x, y)
        profiles.append(prof)
    prof = min(profiles, key=lambda p: p.total())  # the step least disturbed by other work
    trace = prof.export_chrome_trace(out / "lenet_trace.json")
    prof.plot(out / "lenet_profile.png", group_by="layer")
    m = machine()
    text = [
        f"# One LeNet training step on the CPU (batch {batch}, float32)",
        "",
        "`python -m benchmarks.viz_results`: `tinynet.zoo.lenet()`, `train_on_batch` with SGD, "
        f"after one warm-up step, inside `with tn.profile() as prof:`; the fastest of {tries} "
        "profiled steps.",
        f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, NumPy {m.get('numpy', '?')}"
        f" ({m.get('blas', '?')}); load average {os.getloadavg()[0]:.1f} when the step ran "
        "(a shared machine: the times are indicative, the shares and FLOPs are not affected).",
        "",
        "## By op (`prof.table(sort_by='total')`)",
        "",
        "```",
        prof.table(sort_by="total"),
        "```",
        "",
        "## By layer (`prof.table(group_by='layer')`)",
        "",
        "```",
        prof.table(group_by="layer"),
        "```",
        "",
        f"Chrome trace: `lenet_trace.json`, {os.path.getsize(trace):,} bytes, "
        f"{len(prof.events)} complete events (open it in chrome://tracing or ui.perfetto.dev).",
        "",
    ]
    (out / "lenet_profile.md").write_text("\n".join(text))
    return prof


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="results/viz")
    p.add_argument("--batch", type=int, default=128)
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    neuron(out)
    lenet_graph(out)
    prof = lenet_profile(out, args.batch)
    print(prof.table(group_by="layer"))


if __name__ == "__main__":
    main()
