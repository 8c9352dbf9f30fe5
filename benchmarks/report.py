"""Results -> files: ``<machine>.json`` (everything), ``<machine>.md`` (the tables) and
``<machine>.png`` (the chart), under the output folder.

    python -m benchmarks.report RESULTS.json ...   (re-render the .md and .png of saved runs)
"""

import json
from pathlib import Path

from .timing import machine_slug

# tinynet/PyTorch ratio to meet, per (step, device); Chainer: tinynet 3x faster.
TARGETS = {
    ("lenet", "cpu"): 1.3,
    ("cifar_deep", "cpu"): 1.5,
    ("dcgan", "cpu"): 1.5,
    ("lenet", "gpu"): 3.0,
}
CHAINER_TARGET = {("lenet", "cpu"): 1 / 3}


def file_stem(results):
    stem = machine_slug(results["machine"], with_gpu="gpu" in results["devices"])
    return stem + ("_smoke" if results["config"]["name"] == "smoke" else "")


def write_all(results, out_dir, chart=True):
    """Write the JSON, Markdown and (unless ``chart`` is False) PNG files; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = file_stem(results)
    paths = [out / f"{stem}.json", out / f"{stem}.md"]
    paths[0].write_text(json.dumps(results, indent=1) + "\n")
    paths[1].write_text(markdown(results))
    if chart:
        from .chart import draw, draw_ratios

        paths.append(draw(results, out / f"{stem}.png"))
        ratios = draw_ratios(results, out / f"{stem}_ratios.png")
        if ratios is not None:
            paths.append(ratios)
    return paths


def _n(v, fmt="{:.1f}"):
    return "–" if v is None else fmt.format(v)


def torch_installed(results):
    """Whether PyTorch was there to measure (its version recorded, or any time of it)."""
    return bool(results["frameworks"].get("torch")) or any(
        r.get("torch_ms") for r in results["steps"] + results["kernels"]
    )


def _peer(results, v, fmt="{:.1f}"):
    """A PyTorch cell: the value, '–' when not measured, 'not installed' when PyTorch is not."""
    return _n(v, fmt) if v is not None or torch_installed(results) else "not installed"


def is_smoke(results):
    return results["config"]["name"] == "smoke"


def _mem(row, name):
    m = (row.get("memory") or {}).get(name) or {}
    return m.get("peak_mib")


def _target(row):
    notes = []
    t = TARGETS.get((row["step"], row["device"]))
    if t is not None:
        notes.append(
            f"≤ {t}x: "
            + (
                "not measured"
                if row["ratio"] is None
                else "met"
                if row["ratio"] <= t
                else "not met"
            )
        )
    c = CHAINER_TARGET.get((row["step"], row["device"]))
    if c is not None and row.get("chainer_ratio") is not None:
        notes.append(f"Chainer ≤ {c:.2f}x: {'met' if row['chainer_ratio'] <= c else 'not met'}")
    return "; ".join(notes)


def machine_line(results):
    m = results["machine"]
    parts = [
        f"{m.get('cpu')} ({m.get('cores')} cores)",
        f"Python {m.get('python')}",
        f"NumPy {m.get('numpy')} ({m.get('blas') or 'BLAS unknown'}"
        + (f", {m['blas_kernels']} kernels" if m.get("blas_kernels") else "")
        + ")",
    ]
    if m.get("torch"):
        parts.append(f"PyTorch {m['torch']}")
    elif not torch_installed(results):
        parts.append("PyTorch not installed")
    if results["frameworks"].get("chainer"):
        parts.append(f"Chainer {results['frameworks']['chainer']}")
    for env in {
        json.dumps(r["chainer_env"], sort_keys=True)
        for r in results["steps"]
        if r.get("chainer_env")
    }:
        env = json.loads(env)
        parts.append(f"Chainer {env['chainer']} on NumPy {env['numpy']} (separate interpreter)")
    if m.get("gpu"):
        parts.append(f"GPU {m['gpu']} (CuPy {m.get('cupy')})")
    return ", ".join(parts)


def steps_table(results):
    order = {name: i for i, name in enumerate(dict.fromkeys(r["step"] for r in results["steps"]))}
    rows = sorted(results["steps"], key=lambda r: (order[r["step"]], r["device"] != "cpu"))
    if not rows:
        return ""
    chainer = any(r.get("chainer_ms") for r in rows)
    head = [
        "step",
        "batch",
        "device",
        "tinynet ms",
        "PyTorch ms",
        "tinynet / PyTorch",
        "target",
        "fastest calls: tinynet / PyTorch",
    ]
    head += ["Chainer ms", "tinynet / Chainer"] if chainer else []
    head += ["peak MiB tinynet", "peak MiB PyTorch"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [
            r["title"],
            str(r["batch"]),
            r["device"],
            _n(r["tinynet_ms"]),
            _peer(results, r["torch_ms"]),
            _peer(results, r["ratio"], "{:.2f}x"),
            _target(r) if torch_installed(results) else "",
            _peer(results, r.get("fastest_ratio"), "{:.2f}x"),
        ]
        if chainer:
            cells += [_n(r.get("chainer_ms")), _n(r.get("chainer_ratio"), "{:.2f}x")]
        cells += [_n(_mem(r, "tinynet"), "{:.0f}"), _peer(results, _mem(r, "torch"), "{:.0f}")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def kernels_table(results, backend):
    recs = [r for r in results["kernels"] if r["backend"] == backend]
    if not recs:
        return ""
    smoke = is_smoke(results)  # smoke sizes are too small for a meaningful GEMM peak
    head = ["layer", "kernel", "shape", "tinynet ms", "GFLOP/s"]
    head += [] if smoke else ["% of peak"]
    head += ["PyTorch ms", "PyTorch GFLOP/s", "tinynet / PyTorch"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in recs:
        ratio = r["ms"] / r["torch_ms"] if r.get("ms") and r.get("torch_ms") else None
        share = r.get("peak_share")
        cells = [r["layer"], r["kernel"], r["shape"], _n(r.get("ms"), "{:.2f}")]
        cells += [_n(r.get("gflops"), "{:.0f}")]
        cells += [] if smoke else [_n(None if share is None else 100 * share, "{:.0f}%")]
        cells += [
            _peer(results, r.get("torch_ms"), "{:.2f}"),
            _peer(results, r.get("torch_gflops"), "{:.0f}"),
            _peer(results, ratio, "{:.2f}x"),
        ]
        if r.get("error"):
            cells[3] = f"error: {r['error'][:60]}"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


BACKEND_TITLES = {
    "numpy": "NumPy (CPU)",
    "cupy": "CuPy (GPU, tinynet's CUDA kernels)",
    "cupy-slices": "CuPy (GPU, generic slice loops: USE_CUDA_KERNELS = False)",
}


def markdown(results):
    cfg = results["config"]
    out = [
        f"# tinynet benchmarks: {machine_line(results)}",
        "",
        f"{results['created']} · config `{cfg['name']}` · median of {cfg['repeats']} runs after "
        f"{cfg['warmup']} warm-up · float32 · load average before/after: "
        f"{results.get('load_before')} / {results.get('load_after')}"
        + {
            False: " · PyTorch CUDA in strict float32 (TF32 off)",
            True: " · PyTorch CUDA with its default TF32 convolutions (cuDNN)",
        }.get(results["frameworks"].get("torch_tf32"), ""),
        "",
    ]
    git = results.get("git")
    if git:
        out += [
            f"tinynet at commit {git['commit']}"
            + (" with uncommitted changes to tinynet/ or benchmarks/" if git["modified"] else "")
            + ".",
            "",
        ]
    if results.get("note"):
        out += [f"Note: {results['note']}.", ""]
    for dev, why in results["skipped"].items():
        out += [f"{dev}: skipped ({why}).", ""]
    if results["steps"]:
        out += [
            "## Training steps",
            "",
            "One step = forward, loss, backward, SGD update (DCGAN: a discriminator step on "
            "real + fake, then a generator step). Frameworks run in turns of blocks, "
            f"{results['config'].get('turns', 2)} passes of alternating order (A B, B A, ...); "
            "the ratio of the fastest calls is shown beside that of the medians. Peak "
            "memory: extra resident memory during one step, in a fresh process (CPU), or the "
            "allocator's high-water mark (GPU); see benchmarks/memory.py.",
            "",
            steps_table(results),
        ]
    peaks = results.get("peak_gflops") or {}
    if peaks and is_smoke(results):
        out += [
            "GEMM peak: not measured at smoke sizes (a 128x128 matmul says nothing of the "
            "machine), so no share of peak is given; run without --smoke for it.",
            "",
        ]
    elif peaks:
        out += [
            "GEMM peak (float32 square matmul, fastest of the repeats): "
            + ", ".join(f"{k} {_n(v, '{:.0f}')} GFLOP/s" for k, v in peaks.items()),
            "",
        ]
    for backend in ("numpy", "cupy", "cupy-slices"):
        table = kernels_table(results, backend)
        if table:
            out += [f"## Kernels: {BACKEND_TITLES[backend]}", "", table]
    return "\n".join(out)


if __name__ == "__main__":  # re-render the Markdown and chart of a saved run
    import sys

    for name in sys.argv[1:]:
        saved = json.loads(Path(name).read_text())
        for path in write_all(saved, Path(name).parent):
            print(f"wrote {path}")
