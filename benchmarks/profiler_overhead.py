"""What the backprop tools cost on a LeNet training step (batch 128, float32, the step of
benchmarks.lenet_step), A/B in one process: this checkout's engine against the same engine with
an earlier commit's autograd.py (default: the one before saved-tensor versions, hooks, reusable
Functions and the profiler's tracer slot), with the profiler off, and the same step with the
profiler on; a second copy of the earlier engine (the A/A control) shows how far two
identical variants drift apart on this machine.

    python -m benchmarks.profiler_overhead [--baseline REV] [--rounds 7] [--steps 3] [--out FILE]

The earlier engine is this checkout's tinynet copied into a temporary folder with autograd.py
taken from ``git show REV:tinynet/autograd.py``, imported as ``tinynet_base``, so both engines
run side by side on the same arrays and differ only in the autograd core. Rounds
alternate the variants (A B C, B C A, ...), each timing ``--steps`` steps after a warm-up; the
figure reported per variant is the median over all its steps, and the off/base ratio is also
given per round (its spread shows the machine's noise); the fastest step of each variant (the
least disturbed by other processes) is reported too. A chain of tiny ops gives the engine's own
cost per op (forward + backward), which times the step's op count bounds what the change can
add to a step.
"""

import argparse
import importlib
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import tinynet
import tinynet.functional

from .timing import machine

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "8745605~1"  # the engine before versions, hooks and the tracer slot


def load_baseline(rev, where):
    """This checkout's tinynet package with ``autograd.py`` as it was at git revision ``rev``,
    imported as ``tinynet_base``: the two engines differ in the autograd core only."""
    old = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:tinynet/autograd.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pkg = Path(where) / "tinynet_base"
    shutil.copytree(ROOT / "tinynet", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "autograd.py").write_text(old)
    for f in pkg.rglob("*.py"):
        text = f.read_text()
        text = re.sub(r"\b(from|import) tinynet\b", r"\1 tinynet_base", text)
        f.write_text(text.replace("tinynet.", "tinynet_base."))
    sys.path.insert(0, str(where))
    base = importlib.import_module("tinynet_base")
    return base, importlib.import_module("tinynet_base.functional")


def lenet(tn, F, seed=0, batch=128):
    """One LeNet step on engine (tn, F): forward, loss, backward, SGD update."""
    rng = np.random.default_rng(seed)
    shapes = [(20, 1, 5, 5), (20,), (50, 20, 5, 5), (50,), (2450, 500), (500,), (500, 10), (10,)]
    names = ["conv1/kernel", "conv1/bias", "conv2/kernel", "conv2/bias"]
    names += ["dense1/kernel", "dense1/bias", "dense2/kernel", "dense2/bias"]
    params = [
        tn.Tensor(
            (
                rng.standard_normal(s) * np.sqrt(2.0 / np.prod(s[1:] if len(s) == 4 else s[:1]))
            ).astype(np.float32)
            * (len(s) > 1),
            requires_grad=True,
            name=n,
        )
        for s, n in zip(shapes, names)
    ]
    x = tn.Tensor(rng.random((batch, 1, 28, 28), dtype=np.float32))
    t = rng.integers(0, 10, batch)

    def step():
        w1, b1, w2, b2, w3, b3, w4, b4 = params
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=2)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2, padding=2)), 2)
        h = F.relu(F.linear(h.reshape(h.shape[0], -1), w3, b3))
        loss = F.softmax_cross_entropy(F.linear(h, w4, b4), t)
        for p in params:
            p.grad = None
        loss.backward()
        with tn.no_grad():
            for p in params:
                p.data -= np.float32(0.01) * p.grad
        return loss

    return step


def tiny_ops(tn, n=200):
    """A chain of ``n`` multiplications on a 1-element tensor and its backward: nearly all of
    it is the engine's own per-op cost (recording, checks, the backward walk)."""
    x = tn.Tensor(np.ones(1, dtype=np.float32), requires_grad=True)

    def run():
        y = x
        for _ in range(n):
            y = y * 1.0
        y.sum().backward()
        x.grad = None

    return run


def profiled(step):
    def run():
        with tinynet.viz.profile():
            step()

    return run


def measure(variants, rounds, steps):
    """({name: [wall s]}, {name: [CPU s]}, per round {name: median wall s}), the variants'
    order rotated every round. CPU time (all threads of this process) is reported beside wall
    time: on a shared machine it is less disturbed by other processes."""
    wall = {name: [] for name in variants}
    cpu = {name: [] for name in variants}
    names = list(variants)
    per_round = []
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        this = {}
        for name in order:
            fn = variants[name]
            fn()  # warm-up
            ts = []
            for _ in range(steps):
                t0, c0 = time.perf_counter(), time.process_time()
                fn()
                ts.append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
            wall[name] += ts
            this[name] = statistics.median(ts)
        per_round.append(this)
    return wall, cpu, per_round


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--baseline", default=BASELINE, help="git revision of the autograd.py to compare with"
    )
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--out", help="write the figures as JSON here")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as where:
        base, base_F = load_baseline(args.baseline, where)
        variants = {
            "baseline": lenet(base, base_F),
            "profiler off": lenet(tinynet, tinynet.functional),
            "profiler on": profiled(lenet(tinynet, tinynet.functional)),
            # the control: the baseline engine again, its arrays allocated last (A/A)
            "baseline again": lenet(base, base_F),
        }
        times, cpu, per_round = measure(variants, args.rounds, args.steps)
        tiny = {"baseline": tiny_ops(base), "profiler off": tiny_ops(tinynet)}
        _, tiny_times, _ = measure(tiny, args.rounds, 50)
    med = {k: statistics.median(v) for k, v in times.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    low = {k: min(v) for k, v in times.items()}  # the least disturbed step of each variant
    # 201 forward ops (200 Mul + Sum) and their 201 backward steps per run, in CPU time
    per_op = {k: statistics.median(v) / 201 * 1e6 for k, v in tiny_times.items()}
    per_op_min = {k: min(v) / 201 * 1e6 for k, v in tiny_times.items()}
    ratios = [r["profiler off"] / r["baseline"] for r in per_round]
    controls = [r["baseline again"] / r["baseline"] for r in per_round]
    result = {
        "machine": machine(),
        "baseline": args.baseline,
        "rounds": args.rounds,
        "steps_per_round": args.steps,
        "median_ms": {k: round(v * 1e3, 2) for k, v in med.items()},
        "median_cpu_ms": {k: round(v * 1e3, 2) for k, v in med_cpu.items()},
        "min_ms": {k: round(v * 1e3, 2) for k, v in low.items()},
        "off_over_baseline_min": round(low["profiler off"] / low["baseline"], 4),
        "off_over_baseline": round(med["profiler off"] / med["baseline"], 4),
        "off_over_baseline_cpu": round(med_cpu["profiler off"] / med_cpu["baseline"], 4),
        "control_again_over_baseline": round(med["baseline again"] / med["baseline"], 4),
        "control_again_over_baseline_cpu": round(
            med_cpu["baseline again"] / med_cpu["baseline"], 4
        ),
        "on_over_off": round(med["profiler on"] / med["profiler off"], 4),
        "off_over_baseline_per_round": [round(r, 4) for r in ratios],
        "off_over_baseline_median_of_rounds": round(statistics.median(ratios), 4),
        "control_over_baseline_median_of_rounds": round(statistics.median(controls), 4),
        "tiny_op_us_forward_and_backward": {k: round(v, 2) for k, v in per_op.items()},
        "tiny_op_us_forward_and_backward_min": {k: round(v, 2) for k, v in per_op_min.items()},
        "lenet_ops_per_step": 11,
    }
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
