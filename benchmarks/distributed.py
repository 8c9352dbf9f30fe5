"""Data-parallel training on this machine, and a model of it on N machines.

    python -m benchmarks.distributed [--quick] [--out results/benchmarks]

Measures, writing distributed.json, distributed.md and distributed.png to --out:

1. the time of one Allreduce (tinynet.distributed's communicator, MPI over shared memory
   between 2 local ranks) of the gradients of LeNet, the CIFAR-10 deep net and DCGAN (its
   discriminator's and its generator's, one Allreduce each per iteration), as float32 buffers;
2. LeNet's training throughput (samples/s of ``fit``, global batch 128) on 1 rank (1 and all
   threads) and on 2 ranks of 1 thread each. On a 2-core machine 2 ranks share the cores
   a single process already uses, so no speedup is expected here: the figure shows the cost;
3. a small WaveNet's training throughput (real samples/s of ``fit`` on ClipBatches of
   synthetic clips, whole clips a batch) on 1 rank (1 and all threads) and on 2 ranks;
4. equality: the scenarios of tinynet_tests/distributed/mpi_worker.py (LeNet, Dropout +
   BatchNorm, DCGAN, conditional DCGAN, a tiny WaveNet on ClipBatches, iterators with a
   one-row and a BatchNorm batch) on 2 ranks against one process: the largest weight
   difference after the scenario's optimizer steps;
5. one training step of each net (benchmarks/*_step.py, one thread), and from it and the
   message sizes a model of N machines, each as fast as one core here, joined by 1 and 10
   Gbit/s: a ring
   Allreduce of S bytes over N machines takes 2 (N - 1) / N * S / bandwidth + 2 (N - 1) * latency
   (latency 50 us a message), tinynet does not overlap it with backward, and
   weak scaling (each machine keeps the batch): speedup = N * T / (T + allreduce);
   strong scaling (the global batch split N ways, compute assumed to shrink N-fold):
   speedup = T / (T / N + allreduce).

The ranks are launched with ``mpiexec`` (pip install 'tinynet[distributed]'); the same file is
the worker (``--worker allreduce|fit``).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MACHINES = (1, 2, 4, 8, 16, 32, 64)
BANDWIDTHS = {"1 Gbit/s": 1e9 / 8, "10 Gbit/s": 10e9 / 8}  # bytes per second
LATENCY = 50e-6
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "results" / "benchmarks"


def gradient_sizes():
    """{net: [float32 elements of each Allreduce of one training iteration]}."""
    import tinynet as tn

    from . import dcgan_step

    def count(params):
        return int(sum(p.data.size for p in params))

    return {
        "LeNet": [count(tn.zoo.lenet().trainable_weights)],
        "CIFAR-10 deep": [count(tn.zoo.cifar10_deep().trainable_weights)],
        "DCGAN": [
            count(dcgan_step.Discriminator(np).params),
            count(dcgan_step.Generator(np).params),
        ],
    }


def step_seconds(repeats):
    """{net: median seconds of one training step}, with the step's batch."""
    from . import cifar_step, dcgan_step, lenet_step
    from .timing import median_time

    out = {}
    for name, mod in (("LeNet", lenet_step), ("CIFAR-10 deep", cifar_step), ("DCGAN", dcgan_step)):
        out[name] = {
            "seconds": median_time(mod.make_tinynet(np), repeats=repeats, warmup=1),
            "batch": mod.BATCH,
        }
    return out


# ----- workers (run under mpiexec) -----
def worker_allreduce(sizes, repeats):
    from tinynet import distributed

    comm = distributed.init()
    out = {}
    for n in sizes:
        buf = np.ones(n, dtype=np.float32)
        times = []
        for i in range(repeats + 2):
            comm.barrier()
            t = time.perf_counter()
            comm.allreduce(buf)
            if i >= 2:
                times.append(time.perf_counter() - t)
        out[str(n)] = float(np.median(times))
    out["lenet_reduce"] = reduce_seconds(comm, repeats)
    if comm.is_main:
        print(json.dumps(out))


def reduce_seconds(comm, repeats):
    """Median seconds of DistributedOptimizer.reduce on LeNet's gradients: scaling them into the
    flat buffer, the Allreduce and the views back."""
    import tinynet as tn
    from tinynet.distributed import DistributedOptimizer

    params = tn.zoo.lenet().trainable_weights
    for p in params:
        p.grad = np.ones(p.shape, p.dtype)
    opt = DistributedOptimizer(tn.optimizers.SGD(), comm, share=0.5)
    times = []
    for i in range(repeats + 2):
        for p in params:
            p.grad = np.ones(p.shape, p.dtype)
        comm.barrier()
        t = time.perf_counter()
        opt.reduce(params)
        if i >= 2:
            times.append(time.perf_counter() - t)
    return float(np.median(times))


def worker_fit(samples, epochs):
    import tinynet as tn
    from tinynet import distributed

    comm = distributed.init()
    g = np.random.default_rng(0)
    x = g.random((samples, 1, 28, 28), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[g.integers(0, 10, samples)]
    model = tn.zoo.lenet()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    kw = dict(batch_size=128, verbose=0, distributed=comm if comm.size > 1 else None)
    model.fit(x[:256], y[:256], epochs=1, **kw)  # warm-up
    comm.barrier()
    t = time.perf_counter()
    model.fit(x, y, epochs=epochs, **kw)
    comm.barrier()
    seconds = time.perf_counter() - t
    if comm.is_main:
        print(json.dumps({"samples_per_s": samples * epochs / seconds, "seconds": seconds}))


WAVENET = dict(clips=24, length=(2000, 6000), max_samples=16384)


def wavenet_batches(seed=0):
    """ClipBatches over synthetic clips (random codes, lengths drawn in WAVENET's range),
    digit-conditioned with position features: the shapes of tinynet wavenet train's."""
    from tinynet.wavenet.data import ClipBatches

    g = np.random.default_rng(seed)
    lengths = g.integers(*WAVENET["length"], WAVENET["clips"])
    codes = [g.integers(0, 256, int(n)) for n in lengths]
    conditions = g.integers(0, 10, (len(codes), 1))
    return ClipBatches(codes, conditions, "position", max_samples=WAVENET["max_samples"], seed=seed)


def worker_wavenet():
    """samples/s (real, weight-1 samples) of a small WaveNet's fit on wavenet_batches."""
    import tinynet as tn
    from tinynet import distributed
    from tinynet.wavenet import WaveNet, stack_dilations

    comm = distributed.init()
    tn.seed(0)
    model = WaveNet(
        dilations=stack_dilations(2, 5),
        residual_channels=16,
        gate_channels=16,
        skip_channels=32,
        global_conditions={"digit": 10},
        local_channels=6,
        local_hidden=16,
    )
    model.compile(tn.optimizers.Adam(learning_rate=1e-3))
    batches = wavenet_batches()
    kw = dict(verbose=0, distributed=comm if comm.size > 1 else None)
    model.fit(batches, steps_per_epoch=2, epochs=1, **kw)  # warm-up
    comm.barrier()
    t = time.perf_counter()
    model.fit(batches, steps_per_epoch=batches.steps, epochs=1, **kw)  # one pass: every clip
    comm.barrier()
    seconds = time.perf_counter() - t
    if comm.is_main:
        result = {
            "samples_per_s": batches.samples / seconds,
            "seconds": seconds,
            "steps": batches.steps,
            "samples": batches.samples,
            "weights": int(sum(w.size for w in model.weights)),
            "receptive_field": model.receptive_field,
        }
        print(json.dumps(result))


PARTS = ("allreduce", "throughput", "wavenet", "equality", "scaling")
EQUALITY = ("lenet", "dropout_bn", "gan", "cgan", "wavenet", "iterator", "iterator_bn")


def equality(tmp):
    """{scenario: {steps, max_weight_difference, ranks_identical}}: each scenario of the
    tests' mpi_worker on 2 ranks against one process (here)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tinynet_tests.distributed import mpi_worker

    worker = Path(mpi_worker.__file__)
    out = {}
    for scenario in EQUALITY:
        folder = Path(tmp) / scenario
        (folder / "single").mkdir(parents=True)
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
        cmd = ["mpiexec", "-n", "2", sys.executable, str(worker), scenario, str(folder)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
        ranks = [np.load(folder / f"rank{r}.npz") for r in range(2)]
        identical = all(np.array_equal(ranks[0][k], ranks[1][k]) for k in ranks[0].files)
        model, history = mpi_worker.train(scenario, folder / "single", None)
        single = mpi_worker.weights(model)
        worst = max(float(np.abs(ranks[0][f"w{i}"] - w.data).max()) for i, w in enumerate(single))
        steps = int((getattr(model, "optimizer", None) or model.g_optimizer).iterations)
        out[scenario] = {
            "steps": steps,
            "max_weight_difference": worst,
            "ranks_identical": identical,
        }
    return out


# ----- the driver -----
def launch(args, ranks, threads, timeout=900):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    cmd = [sys.executable, "-m", "benchmarks.distributed", "--worker"] + args
    if ranks > 1:
        cmd = ["mpiexec", "-n", str(ranks)] + cmd
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def allreduce_model(nbytes, machines, bandwidth):
    if machines == 1:
        return 0.0
    return 2 * (machines - 1) / machines * nbytes / bandwidth + 2 * (machines - 1) * LATENCY


def scaling(steps, sizes):
    """{net: {bandwidth: {N: (weak speedup, strong speedup)}}}."""
    out = {}
    for net, sizes_n in sizes.items():
        T = steps[net]["seconds"]
        out[net] = {}
        for bw_name, bw in BANDWIDTHS.items():
            row = {}
            for n in MACHINES:
                comm = sum(allreduce_model(4 * s, n, bw) for s in sizes_n)
                row[n] = (n * T / (T + comm), T / (T / n + comm))
            out[net][bw_name] = row
    return out


def markdown(res):
    lines = [
        "# Data-parallel training: Allreduce, throughput, and a model of N machines",
        "",
        f"Machine: {res['machine']['cpu']}, {res['machine']['cores']} cores. Made by "
        "`python -m benchmarks.distributed` (see its docstring for the method). Load average "
        f"(1 min) {res['load_average_start'][0]:.2f} at the start, "
        f"{res['load_average_end'][0]:.2f} at the end" + load_note(res) + ".",
        "",
        "## Allreduce of one iteration's gradients, 2 local ranks (MPICH, shared memory)",
        "",
        "| net | float32 gradients | MB | Allreduce (ms, median) |",
        "|---|---:|---:|---:|",
    ]
    for net, sizes in res["gradient_sizes"].items():
        for s in sizes:
            ms = 1e3 * res["allreduce_seconds"][str(s)]
            lines.append(f"| {net} | {s:,} | {4 * s / 1e6:.1f} | {ms:.2f} |")
    lines += [
        "",
        "DistributedOptimizer.reduce on LeNet's gradients (scaled into the flat buffer, the "
        f"Allreduce, views back): {1e3 * res['allreduce_seconds']['lenet_reduce']:.2f} ms.",
    ]
    lines += [
        "",
        "## LeNet throughput (fit, global batch 128, synthetic MNIST-shaped data)",
        "",
        "| ranks x threads | samples/s |",
        "|---|---:|",
    ]
    for key, v in res["throughput"].items():
        lines.append(f"| {key} | {v['samples_per_s']:.0f} |")
    wn = res.get("wavenet_throughput")
    if wn:
        first = next(iter(wn.values()))
        lines += [
            "",
            f"## WaveNet throughput (fit on ClipBatches: {first['samples']:,} samples of "
            f"{WAVENET['clips']} synthetic clips, {first['steps']} batches of whole clips up to "
            f"{WAVENET['max_samples']:,} samples; 10 layers, 16 channels, "
            f"{first['weights']:,} weights)",
            "",
            "| ranks x threads | samples/s |",
            "|---|---:|",
        ]
        for key, v in wn.items():
            lines.append(f"| {key} | {v['samples_per_s']:,.0f} |")
        load = res.get("part_load_averages", {}).get("wavenet", {}).get("load")
        if load and max(load) > res["machine"]["cores"]:
            lines += [
                "",
                f"Taken at load {max(load):.1f} on {res['machine']['cores']} cores: other jobs "
                "held the cores, and two ranks get a larger share of contended cores than one "
                "process, so a 2-rank figure above 1 rank's is no speedup of the method.",
            ]
    lines += [
        "",
        f"This machine has {res['machine']['cores']} cores: two ranks share the cores one "
        "process already uses, so no speedup is expected here; the figures show what the "
        "splitting and the Allreduce cost, not what more machines would give.",
        "",
    ]
    if res.get("equality"):
        lines += [
            "## 2 ranks against one process (the scenarios of the tests' mpi_worker.py)",
            "",
            "| scenario | optimizer steps | max weight difference | ranks bit-identical |",
            "|---|---:|---:|---|",
        ]
        for name, v in res["equality"].items():
            same = "yes" if v["ranks_identical"] else "NO"
            lines.append(f"| {name} | {v['steps']} | {v['max_weight_difference']:.2e} | {same} |")
        lines.append("")
    lines += [
        "## Modelled speedup on N machines, each as fast as one core of this one",
        "",
        "From each net's measured step (batch in brackets) and message sizes; ring Allreduce "
        f"with {LATENCY * 1e6:.0f} us latency a message, not overlapped with backward. Weak "
        "scaling: each machine keeps the batch (the global batch grows N-fold); strong scaling: "
        "the global batch is split N ways (compute assumed to shrink N-fold, which small "
        "per-machine batches do not quite do).",
        "",
    ]
    for mode, k in (("weak", 0), ("strong", 1)):
        lines += [
            f"### {mode} scaling",
            "",
            "| net (step) | link | " + " | ".join(f"N={n}" for n in MACHINES) + " |",
            "|---|---|" + "---:|" * len(MACHINES),
        ]
        for net, by_bw in res["scaling"].items():
            step = res["steps"][net]
            label = f"{net} ({1e3 * step['seconds']:.0f} ms, batch {step['batch']})"
            for bw, row in by_bw.items():
                cells = " | ".join(f"{row[str(n)][k]:.1f}" for n in MACHINES)
                lines.append(f"| {label} | {bw} | {cells} |")
        lines.append("")
    return "\n".join(lines)


def load_note(res):
    """'; <part> measured later with --parts (load a -> b)' for each part updated alone."""
    later = [
        f"{part} measured later with --parts (load {v['load'][0]:.2f} -> {v['load'][1]:.2f})"
        for part, v in res.get("part_load_averages", {}).items()
        if v["by_parts"]
    ]
    return "; " + "; ".join(later) if later else ""


def plot(res, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, (mode, k) in zip(axes, (("weak", 0), ("strong", 1))):
        for net, by_bw in res["scaling"].items():
            for bw, row in by_bw.items():
                ax.plot(
                    MACHINES,
                    [row[str(n)][k] for n in MACHINES],
                    marker="o",
                    linestyle="-" if bw.startswith("10") else "--",
                    label=f"{net}, {bw}",
                )
        ax.plot(MACHINES, MACHINES, color="gray", linewidth=0.8, label="ideal")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log", base=2)
        ax.set_xlabel("machines")
        ax.set_title(f"{mode} scaling (model)")
    axes[0].set_ylabel("speedup over one machine")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="few repeats and samples (a smoke run)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"comma-separated, of {','.join(PARTS)} (default all); a subset updates those "
        "parts of the existing distributed.json in --out and keeps the others",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace an existing distributed.json (all parts)"
    )
    p.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        kind, *rest = args.worker
        if kind == "steps":
            print(json.dumps(step_seconds(int(rest[0]))))
            return 0
        if kind == "allreduce":
            return worker_allreduce([int(s) for s in rest[1:]], int(rest[0]))
        if kind == "wavenet":
            return worker_wavenet()
        return worker_fit(int(rest[0]), int(rest[1]))
    from .timing import machine

    parts = args.parts.split(",")
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        p.error(f"--parts: unknown {unknown}; choose from {','.join(PARTS)}")
    old = args.out / "distributed.json"
    if set(parts) != set(PARTS) and not old.is_file():
        p.error(f"--parts {args.parts} updates {old}, which does not exist; run all parts first")
    if set(parts) == set(PARTS) and old.is_file() and not args.overwrite:
        p.error(f"{old} exists; give --overwrite to replace it (or --parts to update some)")
    res = json.loads(old.read_text()) if set(parts) != set(PARTS) else {}
    res.update(machine=machine())
    loads = res.setdefault("part_load_averages", {})
    repeats, samples = (3, 256) if args.quick else (20, 2048)
    sizes = gradient_sizes()
    cores = os.cpu_count() or 1
    for part in PARTS:
        if part not in parts:
            continue
        start = os.getloadavg()[0]
        if part == "allreduce":
            flat = sorted({s for v in sizes.values() for s in v})
            res["gradient_sizes"] = sizes
            res["allreduce_seconds"] = launch(
                ["allreduce", str(repeats)] + [str(s) for s in flat], 2, 1
            )
        elif part == "throughput":
            res["throughput"] = {
                "1 x 1": launch(["fit", str(samples), "1"], 1, 1),
                f"1 x {cores}": launch(["fit", str(samples), "1"], 1, cores),
                "2 x 1": launch(["fit", str(samples), "1"], 2, 1),
            }
        elif part == "wavenet":
            res["wavenet_throughput"] = {
                "1 x 1": launch(["wavenet"], 1, 1),
                f"1 x {cores}": launch(["wavenet"], 1, cores),
                "2 x 1": launch(["wavenet"], 2, 1),
            }
        elif part == "equality":
            with tempfile.TemporaryDirectory() as tmp:
                res["equality"] = equality(tmp)
        elif part == "scaling":
            res["steps"] = launch(["steps", "3" if args.quick else "10"], 1, 1)
            res["scaling"] = {
                net: {bw: {str(n): v for n, v in row.items()} for bw, row in by_bw.items()}
                for net, by_bw in scaling(res["steps"], sizes).items()
            }
        subset = set(parts) != set(PARTS)
        loads[part] = {"load": [start, os.getloadavg()[0]], "by_parts": subset}
    if set(parts) == set(PARTS):
        res["load_average_start"] = [loads[PARTS[0]]["load"][0]]
        res["load_average_end"] = [loads[PARTS[-1]]["load"][1]]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "distributed.json").write_text(json.dumps(res, indent=1))
    (args.out / "distributed.md").write_text(markdown(res))
    plot(res, args.out / "distributed.png")
    print(markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
