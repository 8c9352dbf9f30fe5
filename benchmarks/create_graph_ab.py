"""Did higher-order gradients slow the first-order path? The LeNet, CIFAR-10 deep-net and DCGAN
training steps (benchmarks.lenet_step, cifar_step, dcgan_step: float32, forward, backward, SGD)
with the engine of ``--commit`` (B, default HEAD) against the engine at an earlier commit (A,
default: the one before create_graph), A/B in one process, alternating call by call.

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.create_graph_ab [--baseline REV] [--rounds 12]
        [--out runs/benchmarks/create_graph_ab]

Each variant is the tinynet package and the step modules of its commit (from a git worktree in
a temporary folder, removed afterwards), copied under their own names (``tinynet_A``,
``cgab_A`` ...) so that the engines run side by side in one process on one BLAS thread; a second
copy of A (A2, the A/A control) shows how far two identical engines drift apart on this machine.
Every round runs each step on every variant in a rotating order (A B A2, B A2 A, ...), a few
calls each: neighbouring calls share the machine's state, which on a shared 2-core machine
moves by tens of percent within a minute. Reported per step and variant: the paired ratio to A
(the median over rounds of each round's ratio of medians) with its quartiles, the fastest call
(the least disturbed) and the median call, and their ratios to A. Writes OUT.json and OUT.md.
"""

import argparse
import importlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .timing import machine

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "63ec58e"  # F.gelu: the last commit before the create_graph engine
STEPS = {
    "lenet_step": (3, 3),
    "cifar_step": (1, 2),
    "dcgan_step": (2, 3),
}  # calls per round, warm-up
MODULES = ("common", "timing", "lenet_step", "cifar_step", "dcgan_step")


def load_variant(root, tag, where):
    """The tinynet package and the step modules under ``root`` (a checkout), copied into
    ``where`` as ``tinynet_<tag>`` and ``cgab_<tag>`` and imported: {step name: module}."""
    pkg, bench = Path(where) / f"tinynet_{tag}", Path(where) / f"cgab_{tag}"
    shutil.copytree(Path(root) / "tinynet", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    bench.mkdir()
    (bench / "__init__.py").write_text("")
    for m in MODULES:
        shutil.copy(Path(root) / "benchmarks" / f"{m}.py", bench / f"{m}.py")
    for f in list(pkg.rglob("*.py")) + list(bench.glob("*.py")):
        f.write_text(re.sub(r"\btinynet\b", f"tinynet_{tag}", f.read_text()))
    if str(where) not in sys.path:
        sys.path.insert(0, str(where))
    importlib.import_module(f"tinynet_{tag}")
    return {name: importlib.import_module(f"cgab_{tag}.{name}") for name in STEPS}


def measure(variants, rounds, steps=STEPS):
    """{step: {variant: [[call seconds] per round]}}, the variants rotating call by call."""
    import numpy

    tags = list(variants)
    made = {name: {t: variants[t][name].make_tinynet(numpy) for t in tags} for name in steps}
    for name, (_, warmup) in steps.items():
        for t in tags:
            for _ in range(warmup):
                made[name][t]()
    data = {name: {t: [] for t in tags} for name in steps}
    for r in range(rounds):
        order = tags[r % len(tags) :] + tags[: r % len(tags)]
        for name, (calls, _) in steps.items():
            for t in order:
                times = []
                for _ in range(calls):
                    start = time.perf_counter()
                    made[name][t]()
                    times.append(time.perf_counter() - start)
                data[name][t].append(times)
        print(f"round {r + 1}/{rounds} done", flush=True)
    return data


def summarise(data):
    rows = {}
    for name, d in data.items():
        flat = {t: [x for run in runs for x in run] for t, runs in d.items()}
        row = {"calls_per_variant": len(flat["A"])}
        for t, xs in flat.items():
            row[f"{t}_fastest_ms"] = round(min(xs) * 1e3, 2)
            row[f"{t}_median_ms"] = round(statistics.median(xs) * 1e3, 2)
        for t in flat:
            if t == "A":
                continue
            row[f"fastest_ratio_{t}_over_A"] = round(min(flat[t]) / min(flat["A"]), 4)
            row[f"median_ratio_{t}_over_A"] = round(
                statistics.median(flat[t]) / statistics.median(flat["A"]), 4
            )
            per_round = [statistics.median(b) / statistics.median(a) for a, b in zip(d["A"], d[t])]
            row[f"per_round_median_ratios_{t}"] = [round(x, 4) for x in per_round]
            row[f"paired_ratio_{t}_over_A"] = round(statistics.median(per_round), 4)
        rows[name] = row
    return rows


def markdown(rows, meta):
    lines = [
        "# First-order training steps before and after create_graph (issue 17, item 4)",
        "",
        f"A: commit {meta['baseline']} (the engine before higher-order gradients); B: commit "
        f"{meta['commit']}; A2: a second copy of A (the A/A control). The three engines in one "
        f"process, one BLAS thread, alternating call by call in rotating order, "
        f"{meta['rounds']} rounds; float32, the steps of benchmarks/lenet_step.py (batch 128), "
        f"cifar_step.py (batch 128), dcgan_step.py (batch 64). {meta['machine']}. Load average "
        f"when starting: {meta['load_before']}, when done: {meta['load_after']}: the machine "
        f"was shared with other people's trainings and tests, so single calls varied widely. "
        f"The paired figure is the median over rounds of each round's ratio of medians "
        f"(neighbouring calls, the same machine state); the fastest call is the least disturbed "
        f"one; the A/A control (A2/A) shows the noise floor of each ratio.",
        "",
        "| step | A median ms | paired B/A | paired A2/A | per-round B/A (quartiles) | "
        "A fastest ms | fastest B/A | fastest A2/A | median B/A | median A2/A |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        q = statistics.quantiles(r["per_round_median_ratios_B"], n=4)
        lines.append(
            f"| {name} | {r['A_median_ms']} | **{r['paired_ratio_B_over_A']:.3f}** | "
            f"{r['paired_ratio_A2_over_A']:.3f} | {q[0]:.3f}-{q[2]:.3f} | {r['A_fastest_ms']} | "
            f"{r['fastest_ratio_B_over_A']:.3f} | {r['fastest_ratio_A2_over_A']:.3f} | "
            f"{r['median_ratio_B_over_A']:.3f} | {r['median_ratio_A2_over_A']:.3f} |"
        )
    lines += ["", f"Command: `{meta['command']}`", ""]
    return "\n".join(lines)


def _write(path, text):
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", default=BASELINE)
    p.add_argument("--commit", default="HEAD")
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--out", default="runs/benchmarks/create_graph_ab")
    p.add_argument("--force", action="store_true", help="overwrite OUT.json / OUT.md")
    args = p.parse_args(argv)
    out = Path(args.out)
    if not args.force and (out.with_suffix(".json").exists() or out.with_suffix(".md").exists()):
        print(f"create_graph_ab: {out}.json or .md exists; pass --force or another --out")
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)

    def git(*a):
        return subprocess.run(
            ["git", "-C", str(ROOT), *a], check=True, capture_output=True, text=True
        ).stdout.strip()

    meta = {
        "baseline": git("rev-parse", "--short", args.baseline),
        "commit": git("rev-parse", "--short", args.commit),
        "rounds": args.rounds,
        "machine": f"{machine().get('cpu', 'unknown CPU')}, {os.cpu_count()} cores",
        "load_before": round(os.getloadavg()[0], 2),
        "command": "OPENBLAS_NUM_THREADS=1 python -m benchmarks.create_graph_ab "
        + " ".join(argv or sys.argv[1:]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with tempfile.TemporaryDirectory(prefix="tinynet-cg-ab-") as tmp:
        trees = {"A": Path(tmp) / "tree-A", "B": Path(tmp) / "tree-B"}
        try:
            for variant, rev in (("A", args.baseline), ("B", args.commit)):
                git("worktree", "add", "--detach", str(trees[variant]), rev)
            where = Path(tmp) / "packages"
            where.mkdir()
            variants = {
                "A": load_variant(trees["A"], "A", where),
                "B": load_variant(trees["B"], "B", where),
                "A2": load_variant(trees["A"], "A2", where),
            }
        finally:
            for tree in trees.values():
                if tree.exists():
                    git("worktree", "remove", "--force", str(tree))
        data = measure(variants, args.rounds)
    meta["load_after"] = round(os.getloadavg()[0], 2)
    rows = summarise(data)
    _write(out.with_suffix(".json"), json.dumps({"meta": meta, "steps": rows, "raw": data}) + "\n")
    _write(out.with_suffix(".md"), markdown(rows, meta))
    print(markdown(rows, meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
