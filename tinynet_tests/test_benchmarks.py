"""The benchmark suite (benchmarks/) in its smoke configuration: it runs, and its JSON, Markdown
and chart are well-formed. No timing is asserted."""

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from benchmarks import memory, report
from benchmarks.__main__ import main, parse_args
from benchmarks.config import SMOKE
from benchmarks.kernels import CONVS, KernelBench
from benchmarks.steps import STEPS
from benchmarks.suite import time_in_turns
from benchmarks.timing import machine_slug, torch_or_none
from tinynet import backend

TORCH = torch_or_none() is not None


def positive(v):
    return isinstance(v, float) and math.isfinite(v) and v > 0


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    results, paths = main(
        [
            "--smoke",
            "--device",
            "cpu",
            "--repeats",
            "1",
            "--no-memory",
            "--no-torch-kernels",
            "--out",
            str(out),
        ]
    )
    return results, paths


def test_smoke_run_writes_json_markdown_and_chart(smoke):
    results, paths = smoke
    assert [p.suffix for p in paths] == [".json", ".md", ".png", ".png"][: len(paths)]
    assert len(paths) == (4 if TORCH else 3)  # the ratio chart needs PyTorch (one device)
    assert all(p.name.startswith(machine_slug(results["machine"], False)) for p in paths)
    assert json.loads(paths[0].read_text()) == json.loads(json.dumps(results))
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = paths[1].read_text()
    assert "## Training steps" in md and "## Kernels: NumPy (CPU)" in md
    assert md.count("| LeNet | 4 | cpu |") == 1
    kernels = results["machine"]["blas_kernels"]  # which OpenBLAS kernels ran, when it says
    assert kernels == backend.blas_kernels()
    assert kernels is None or f", {kernels} kernels)" in md


def test_smoke_json_keys_and_step_times(smoke):
    results, _ = smoke
    assert {
        "schema",
        "config",
        "machine",
        "created",
        "devices",
        "skipped",
        "frameworks",
        "peak_gflops",
        "kernels",
        "steps",
    } <= set(results)
    assert results["config"]["name"] == "smoke" and results["config"]["repeats"] == 1
    assert results["devices"] == ["cpu"]
    assert [r["step"] for r in results["steps"]] == list(STEPS)
    for row in results["steps"]:
        assert row["device"] == "cpu" and "errors" not in row, row
        assert positive(row["tinynet_ms"]) and 0 < row["tinynet_min_ms"] <= row["tinynet_ms"]
        if TORCH:
            assert positive(row["torch_ms"])
            assert row["ratio"] == pytest.approx(row["tinynet_ms"] / row["torch_ms"])
        else:
            assert row["torch_ms"] is None and row["ratio"] is None


def test_smoke_kernels_cover_the_lecture_layers(smoke):
    results, _ = smoke
    recs = results["kernels"]
    assert all("error" not in r for r in recs), [r for r in recs if "error" in r]
    kinds = {(r["layer"], r["kernel"]) for r in recs}
    for layer in (
        "lenet.conv1",
        "lenet.conv2",
        "cifar.conv1",
        "cifar.conv2",
        "cifar.conv3",
        "cifar.conv4",
    ):
        for kernel in ("im2col", "col2im", "conv2d.forward", "conv2d.backward", "gemm"):
            assert (layer, kernel) in kinds
    for kernel in ("conv2d_transpose.forward", "conv2d_transpose.backward", "gemm"):
        assert ("dcgan.deconv1", kernel) in kinds
    for kernel in ("max_pool2d", "batch_norm", "softmax_cross_entropy"):
        assert sum(k.startswith(kernel) for _, k in kinds) >= 2
    for r in recs:
        assert r["backend"] == "numpy" and positive(r["ms"]) and r["torch_ms"] is None, r
        assert 0 < r["min_ms"] <= r["ms"]
        if r["kernel"] == "gemm" or r["kernel"].startswith("conv2d"):
            assert positive(r["gflops"]) and r["peak_share"] is None  # no peak at smoke sizes
            assert r["gflops"] == pytest.approx(r["gflop"] * 1e3 / r["ms"])
    peak = next(r for r in recs if r["layer"] == "peak")
    assert peak["ms"] == peak["min_ms"]  # the fastest call
    assert positive(results["peak_gflops"]["numpy"])


@pytest.mark.skipif(not TORCH, reason="PyTorch is not installed")
def test_kernels_timed_in_pytorch_too():
    bench = KernelBench(np, replace(SMOKE, repeats=1), torch_or_none(), "cpu")
    bench.peak()
    bench.conv(CONVS[1])
    bench.deconv(gemm=False)
    bench.pool("lenet.pool1", "lenet.conv1")
    bench.softmax_ce()
    assert len(bench.records) == 1 + 5 + 2 + 2 + 2
    for r in bench.records:
        assert "error" not in r and "torch_error" not in r, r
        assert positive(r["ms"]) and positive(r["torch_ms"]), r
        if "gflop" in r:
            assert r["torch_gflops"] == pytest.approx(r["gflop"] * 1e3 / r["torch_ms"])


def test_memory_of_one_step_in_a_fresh_process():
    got = memory.cpu_peak("lenet", "tinynet", 4)
    assert got.get("method") in ("rss_hwm", "ru_maxrss"), got
    # LeNet's batch-4 activations and gradients are well over 0.5 MiB of float32 arrays.
    assert got["numpy_peak_mib"] > 0.5 and got["peak_mib"] >= 0


def test_memory_child_rejects_an_unknown_framework():
    got = memory.cpu_peak("lenet", "jax", 4)
    assert "unknown framework 'jax'" in got["error"]


@pytest.mark.skipif(backend.gpu_available(), reason="a GPU is present: nothing to skip")
def test_missing_gpu_is_a_clean_skip(tmp_path, capsys):
    results, paths = main(["--smoke", "--device", "gpu", "--only", "steps", "--out", str(tmp_path)])
    assert results["devices"] == [] and "gpu" in results["skipped"]
    assert paths == [] and list(tmp_path.iterdir()) == []
    assert "gpu: skipped" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--steps", "lenet,resnet"], "unknown step(s) resnet"),
        (["--repeats", "0"], "--repeats must be at least 1"),
        (["--device", "tpu"], "invalid choice: 'tpu'"),
    ],
)
def test_bad_arguments_are_named(argv, message, capsys):
    with pytest.raises(SystemExit):
        parse_args(argv)
    assert message in capsys.readouterr().err


def test_time_in_turns_times_each_framework_in_blocks():
    calls, order = {}, []
    for name in ("a", "b"):
        calls[name] = (lambda n=name: order.append(n), lambda: None)
    times = time_in_turns(calls, repeats=3, warmup=1)
    assert set(times) == {"a", "b"} and all(len(ts) == 3 and min(ts) >= 0 for ts in times.values())
    # blocks of warm-up + timed calls: a (1 + 1), b (1 + 1), then b (1 + 2), a (1 + 2)
    assert "".join(order) == "aa" + "bb" + "bbb" + "aaa"
    order.clear()
    times = time_in_turns(calls, repeats=5, warmup=0, turns=4)  # 1, 1, 1, 2 timed calls
    assert all(len(ts) == 5 for ts in times.values())
    assert "".join(order) == "ab" + "ba" + "ab" + "bbaa"


def test_markdown_marks_targets_met_and_missed():
    row = {
        "step": "lenet",
        "title": "LeNet",
        "batch": 128,
        "device": "cpu",
        "tinynet_ms": 70.0,
        "torch_ms": 50.0,
        "ratio": 1.4,
        "chainer_ms": 200.0,
        "chainer_ratio": 0.35,
    }
    results = {
        "machine": {"cpu": "Test CPU", "cores": 2},
        "frameworks": {},
        "config": {"name": "full", "repeats": 3, "warmup": 1},
        "created": "now",
        "skipped": {},
        "devices": ["cpu"],
        "kernels": [],
        "steps": [row, dict(row, step="cifar_deep", title="CIFAR", ratio=1.2)],
    }
    md = report.markdown(results)
    assert (
        "| LeNet | 128 | cpu | 70.0 | 50.0 | 1.40x | ≤ 1.3x: not met; Chainer ≤ 0.33x: "
        "not met | – | 200.0 | 0.35x |"
    ) in md
    assert "| CIFAR | 128 | cpu | 70.0 | 50.0 | 1.20x | ≤ 1.5x: met | – |" in md
    assert report.file_stem(results) == "test-cpu-2c"


def test_spread_of_two_smoke_runs_summarises_each_ratio(tmp_path):
    from benchmarks import spread

    result, paths = spread.main(["--runs", "2", "--smoke", "--out", str(tmp_path)])
    assert [p.name for p in paths] == [
        f"{machine_slug(result['runs'][0]['machine'], False)}_smoke-spread{ext}"
        for ext in (".json", ".md")
    ]
    assert json.loads(paths[0].read_text()) == json.loads(json.dumps(result))
    assert len(result["runs"]) == 2 and set(result["summary"]) == set(STEPS)
    for name, stats in result["summary"].items():
        ratios = [r["ratio"] for run in result["runs"] for r in run["steps"] if r["step"] == name]
        if TORCH:
            s = stats["ratio"]
            assert s["n"] == 2 and s["min"] == min(ratios) and s["max"] == max(ratios)
            assert s["min"] <= s["median"] <= s["max"]
        else:
            assert "ratio" not in stats
    md = paths[1].read_text()
    assert md.startswith("# Training steps: 2 runs") and md.count("| LeNet |") >= 2


def test_default_output_is_scratch_beside_the_committed_results():
    from pathlib import Path

    from benchmarks import bench_trees
    from benchmarks.__main__ import DEFAULT_OUT

    root = Path(__file__).resolve().parent.parent
    assert DEFAULT_OUT == bench_trees.DEFAULT_OUT == root / "runs" / "benchmarks"
    assert parse_args([]).out == DEFAULT_OUT
    assert (root / "results" / "benchmarks" / "amd-epyc-2c.json").is_file()


def synthetic(torch_version="2.0", smoke=False, devices=("cpu",)):
    rows = []
    for dev in devices:
        for step, title, ours, theirs in (
            ("lenet", "LeNet", 60.0, 50.0),
            ("dcgan", "DCGAN", 9.0, 12.0),
        ):
            scale = 10.0 if dev == "cpu" else 1.0
            t = theirs * scale if torch_version else None
            rows.append(
                {
                    "step": step,
                    "title": title,
                    "batch": 4,
                    "device": dev,
                    "tinynet_ms": ours * scale,
                    "torch_ms": t,
                    "ratio": ours * scale / t if t else None,
                }
            )
    kernel = {
        "backend": "numpy",
        "layer": "peak",
        "kernel": "gemm",
        "shape": "128x128 128x128",
        "ms": 0.01,
        "gflops": 400.0,
        "peak_share": None if smoke else 1.0,
        "torch_ms": 0.01 if torch_version else None,
    }
    return {
        "machine": {"cpu": "Test CPU", "cores": 2, "gpu": "Test GPU" if "gpu" in devices else None},
        "frameworks": {"torch": torch_version},
        "config": {"name": "smoke" if smoke else "full", "repeats": 1, "warmup": 0},
        "created": "now",
        "skipped": {},
        "devices": list(devices),
        "kernels": [kernel],
        "peak_gflops": {"numpy": 400.0},
        "steps": rows,
    }


def test_smoke_reports_no_share_of_peak(smoke):
    md = report.markdown(synthetic(smoke=True))
    assert "% of peak" not in md and "GEMM peak: not measured at smoke sizes" in md
    assert "% of peak" in report.markdown(synthetic())
    _, paths = smoke
    assert "% of peak" not in paths[1].read_text()
    results, _ = smoke
    assert all(r.get("peak_share") is None for r in results["kernels"])


def test_missing_pytorch_says_not_installed(tmp_path):
    from benchmarks import chart

    results = synthetic(torch_version=None)
    md = report.markdown(results)
    assert "PyTorch not installed" in md
    assert "| LeNet | 4 | cpu | 600.0 | not installed | not installed |" in md
    assert "| 0.01 | 400 | 100% | not installed | not installed | not installed |" in md
    assert chart._peers(results) == "tinynet (PyTorch not installed)"
    assert chart.draw_ratios(results, tmp_path / "r.png") is None  # nothing to compare
    assert chart._peers(synthetic()) == "tinynet vs PyTorch"


def test_ratio_chart_per_step_and_gpu_speed_up(tmp_path):
    from benchmarks import chart

    results = synthetic(devices=("cpu", "gpu"))
    panels = chart.ratio_panels(results)
    assert [p[2].split(",")[0] for p in panels] == [
        "tinynet / PyTorch",
        "GPU speed-up over the CPU",
    ]
    ratio, speed = panels
    assert [s[0] for s in ratio[1]] == ["CPU", "GPU"]
    np.testing.assert_allclose(ratio[1][0][2], [1.2, 0.75])
    assert [s[0] for s in speed[1]] == ["tinynet", "PyTorch"]
    np.testing.assert_allclose(speed[1][0][2], [10.0, 10.0])
    path = chart.draw_ratios(results, tmp_path / "r.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    paths = report.write_all(results, tmp_path / "out")
    assert [p.name for p in paths][-1] == "test-cpu-2c_test-gpu_ratios.png" or paths[
        -1
    ].name.endswith("_ratios.png")
