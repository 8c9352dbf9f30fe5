"""One airbench94 training step (tinynet.zoo.airbench) on the CPU, tinynet beside PyTorch running
the same network in the same process, with tinynet's per-layer and per-op breakdown.

    python -m benchmarks.airbench_step [--batch 1024] [--repeats 3] [--out results/airbench]

Writes step_breakdown.json and step_breakdown.md: the median step time of each engine, the
step's FLOPs (tinynet's profiler and the shape count of zoo.airbench.training_flops), the share of
this machine's float32 GEMM peak (a 2048^2 matmul, fastest of 5, measured here), the epoch and
full-run times they extrapolate to (N // batch steps an epoch, 9.9 epochs, plus the per-epoch
test pass and the 6-view TTA, from the inference time of one batch), tinynet's profiler tables by layer and by op, and PyTorch's
(torch.profiler) grouped into the same op families. The load average is recorded: on a shared
machine the times are upper bounds.
"""

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

import tinynet as tn
from tinynet import threads
from tinynet.apps import runs
from tinynet.zoo import airbench94
from tinynet.zoo.airbench import AirbenchRecipe, training_flops

from .common import set_up_process

# tinynet op -> family; PyTorch aten op (forward name, backward name) -> family
FAMILIES = {
    "Conv2d": "conv",
    "GELU": "gelu",
    "BatchNorm": "batchnorm",
    "MaxPool2d": "maxpool",
    "Linear": "linear",
    "SoftmaxCrossEntropy": "loss",
}
TORCH_FAMILIES = {
    "aten::convolution": ("conv", "forward"),
    "aten::convolution_backward": ("conv", "backward"),
    "aten::gelu": ("gelu", "forward"),
    "aten::gelu_backward": ("gelu", "backward"),
    "aten::native_batch_norm": ("batchnorm", "forward"),
    "aten::native_batch_norm_backward": ("batchnorm", "backward"),
    "aten::max_pool2d_with_indices": ("maxpool", "forward"),
    "aten::max_pool2d_with_indices_backward": ("maxpool", "backward"),
    "aten::mm": ("linear", "both"),
    "aten::_log_softmax": ("loss", "forward"),
    "aten::_log_softmax_backward_data": ("loss", "backward"),
}
TEST_IMAGES, TTA_VIEWS = 10_000, 6


def gemm_peak(n=2048, repeats=5):
    """float32 GFLOP/s of an n x n matmul, the fastest of ``repeats`` (NumPy's BLAS, split over
    two threads as tinynet's GEMMs are when ``tinynet.threads`` is on)."""
    rng = np.random.default_rng(0)
    a, b = (rng.random((n, n), dtype=np.float32) for _ in range(2))
    c = np.empty_like(a)
    threads.matmul(a, b, out=c)
    best = min(_timed(lambda: threads.matmul(a, b, out=c)) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def tinynet_step(batch, seed=0):
    tn.seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.random((batch, 3, 32, 32), dtype=np.float32)
    y = runs.one_hot(rng.integers(0, 10, batch))
    model = airbench94(whitening_images=x[:500])
    recipe = AirbenchRecipe(50_000, batch)
    model.compile(optimizer=recipe.optimizer(), loss=recipe.loss, metrics=["accuracy"])
    return model, (lambda: model.train_on_batch(x, y)), (lambda: model.predict(x, batch_size=batch))


def torch_net(torch):
    """airbench94 in PyTorch, as tinynet builds it (tanh GELU, BN without weight, eps 1e-12,
    PyTorch momentum 0.4, dirac-initialised convs, frozen whitening conv)."""
    nn = torch.nn

    def conv(c_in, c_out):
        c = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        torch.nn.init.dirac_(c.weight.data[: min(c_in, c_out)])
        return c

    def bn(c):
        b = nn.BatchNorm2d(c, eps=1e-12, momentum=0.4)
        b.weight.requires_grad = False
        return b

    def group(c_in, c_out):
        gelu = nn.GELU(approximate="tanh")
        return [
            conv(c_in, c_out),
            nn.MaxPool2d(2),
            bn(c_out),
            gelu,
            conv(c_out, c_out),
            bn(c_out),
            gelu,
        ]

    whiten = nn.Conv2d(3, 24, 2, bias=True)
    whiten.weight.requires_grad = False

    class Mul(nn.Module):
        def forward(self, x):
            return x / 9

    layers = [whiten, nn.GELU(approximate="tanh")]
    layers += group(24, 64) + group(64, 256) + group(256, 256)
    layers += [nn.MaxPool2d(3), nn.Flatten(), nn.Linear(256, 10, bias=False), Mul()]
    return nn.Sequential(*layers)


def torch_step(torch, batch, seed=0):
    torch.manual_seed(seed)
    net = torch_net(torch)
    x = torch.rand(batch, 3, 32, 32)
    t = torch.randint(0, 10, (batch,))
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.2)
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.05, momentum=0.85, nesterov=True, weight_decay=1e-3)

    def step():
        net.train()
        opt.zero_grad(set_to_none=True)
        loss_fn(net(x), t).backward()
        opt.step()

    def forward():
        net.eval()
        with torch.no_grad():
            net(x)

    return step, forward


def median(fn, repeats):
    fn()  # warm-up
    return statistics.median(_timed(fn) for _ in range(repeats))


def tinynet_families(prof):
    out = {}
    for row in prof.rows(group_by="op"):
        fam = FAMILIES.get(row["name"], "other")
        d = out.setdefault(fam, {"forward_ms": 0.0, "backward_ms": 0.0})
        d["forward_ms"] += 1e3 * row["forward"]
        d["backward_ms"] += 1e3 * row["backward"]
    return out


def torch_families(torch, step):
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as p:
        step()
    out = {}
    for ev in p.key_averages():
        fam, phase = TORCH_FAMILIES.get(ev.key, (None, None))
        if fam is None:
            continue
        d = out.setdefault(fam, {"forward_ms": 0.0, "backward_ms": 0.0})
        ms = ev.cpu_time_total / 1e3
        d["backward_ms" if phase == "backward" else "forward_ms"] += ms
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--batch", type=int, default=1024)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", default="results/airbench")
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--name", default="step_breakdown", help="file name stem in --out")
    p.add_argument("--gemm-n", type=int, default=2048, help="size of the peak's square matmul")
    p.add_argument("--overwrite", action="store_true", help="replace existing NAME.json / .md")
    args = p.parse_args(argv)
    out = Path(args.out)
    taken = [f for f in (out / f"{args.name}.json", out / f"{args.name}.md") if f.exists()]
    if taken and not args.overwrite:
        p.error(f"{taken[0]} exists; give another --name or --out, or --overwrite to replace it")
    set_up_process()  # the allocator and threads as the tinynet command runs them
    out.mkdir(parents=True, exist_ok=True)
    record = {
        "machine": runs.machine_info(),
        "batch": args.batch,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
    }
    record["gemm_n"] = args.gemm_n
    record["gemm_peak_gflops"] = round(gemm_peak(args.gemm_n), 1)

    model, step, forward = tinynet_step(args.batch)
    t_step = median(step, args.repeats)
    t_forward = median(forward, 1)
    with tn.profile() as prof:
        step()
    fwd, bwd = training_flops(model, args.batch)
    counted = sum(r["flops"] for r in prof.rows(group_by="op"))
    recipe = AirbenchRecipe(50_000, args.batch)
    eval_seconds = t_forward / args.batch * TEST_IMAGES * (recipe.epochs_to_run + TTA_VIEWS)
    record["tinynet"] = {
        "step_s": round(t_step, 3),
        "forward_batch_s": round(t_forward, 3),
        "step_flops_counted": fwd + bwd,
        "step_flops_profiler": int(counted),
        "step_gflops": round((fwd + bwd) / t_step / 1e9, 1),
        "epoch_s": round(t_step * recipe.steps_per_epoch, 1),
        "run_s": round(t_step * recipe.total_steps + eval_seconds, 1),
        "run_train_s": round(t_step * recipe.total_steps, 1),
        "steps_per_epoch": recipe.steps_per_epoch,
        "total_steps": recipe.total_steps,
        "families": tinynet_families(prof),
        "layers": prof.rows(group_by="layer"),
    }
    record["tinynet"]["peak_share"] = round(
        record["tinynet"]["step_gflops"] / record["gemm_peak_gflops"], 3
    )
    tables = {
        "layer": prof.table(sort_by="total", group_by="layer"),
        "op": prof.table(sort_by="total", group_by="op"),
    }
    if not args.no_torch:
        import torch

        if "OPENBLAS_NUM_THREADS" in os.environ:  # the same number of threads as NumPy's BLAS
            torch.set_num_threads(int(os.environ["OPENBLAS_NUM_THREADS"]))
        tstep, tforward = torch_step(torch, args.batch)
        t_torch = median(tstep, args.repeats)
        record["torch"] = {
            "version": torch.__version__,
            "threads": torch.get_num_threads(),
            "step_s": round(t_torch, 3),
            "forward_batch_s": round(median(tforward, 1), 3),
            "step_gflops": round((fwd + bwd) / t_torch / 1e9, 1),
            "families": torch_families(torch, tstep),
        }
        record["tinynet_over_torch"] = round(t_step / t_torch, 2)
    record["machine"]["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
    (out / f"{args.name}.json").write_text(json.dumps(record, indent=1, default=float))
    (out / f"{args.name}.md").write_text(markdown(record, tables))
    print(markdown(record, tables))
    return record


def markdown(r, tables):
    t = r["tinynet"]
    m = r["machine"]
    lines = [
        f"# airbench94 training step, batch {r['batch']}, CPU",
        "",
        f"{m['cpu']}, {m['cores']} cores, BLAS threads {r['blas_threads']}, NumPy {m['numpy']}; "
        f"load average {m.get('load_average')} at the start, {m.get('load_average_end')} at "
        f"the end (a shared machine: times are upper bounds). float32 GEMM peak measured here "
        f"(a {r['gemm_n']}^2 matmul): {r['gemm_peak_gflops']} GFLOP/s.",
        "",
        f"Step FLOPs: {t['step_flops_counted'] / 1e9:.1f} GFLOP (shape count; the profiler "
        f"counts {t['step_flops_profiler'] / 1e9:.1f}).",
        "",
        f"| engine | step s | GFLOP/s | share of GEMM peak | epoch ({t['steps_per_epoch']} steps) s "
        f"| {t['total_steps']} steps + eval s |",
        "|---|---|---|---|---|---|",
        f"| tinynet | {t['step_s']} | {t['step_gflops']} | {t['peak_share']:.0%} | "
        f"{t['epoch_s']} | {t['run_s']} ({t['run_s'] / 3600:.2f} h) |",
    ]
    if "torch" in r:
        q = r["torch"]
        lines.append(
            f"| PyTorch {q['version']} ({q['threads']} threads) | {q['step_s']} | "
            f"{q['step_gflops']} | {q['step_gflops'] / r['gemm_peak_gflops']:.0%} | "
            f"{q['step_s'] * t['steps_per_epoch']:.1f} | - |"
        )
        lines += [
            "",
            f"tinynet / PyTorch step time: {r['tinynet_over_torch']}x",
            "",
            "## By op family (ms, forward / backward)",
            "",
            "| family | tinynet fwd | tinynet bwd | PyTorch fwd | PyTorch bwd |",
            "|---|---|---|---|---|",
        ]
        fams = list(t["families"]) + [f for f in q["families"] if f not in t["families"]]
        for f in fams:
            a = t["families"].get(f, {})
            b = q["families"].get(f, {})
            cells = [
                a.get("forward_ms"),
                a.get("backward_ms"),
                b.get("forward_ms"),
                b.get("backward_ms"),
            ]
            lines.append(
                f"| {f} | " + " | ".join("-" if c is None else f"{c:.0f}" for c in cells) + " |"
            )
        lines += [
            "",
            "PyTorch's times are torch.profiler's CPU totals of the aten ops named in "
            "benchmarks/airbench_step.py (mm counts both passes of the dense layer).",
        ]
    lines += [
        "",
        "## tinynet by layer (tn.profile)",
        "",
        "```",
        tables["layer"],
        "```",
        "",
        "## tinynet by op",
        "",
        "```",
        tables["op"],
        "```",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
