"""benchmarks/airbench_step.py on a tiny batch: it writes the JSON and the tables, and its FLOP
counts (shapes and profiler) agree."""

import json

import pytest

from benchmarks import airbench_step


@pytest.mark.slow
def test_airbench_step_writes_its_breakdown(tmp_path):
    torch = pytest.importorskip("torch")
    record = airbench_step.main(
        ["--batch", "4", "--repeats", "1", "--gemm-n", "256", "--out", str(tmp_path)]
    )
    saved = json.loads((tmp_path / "step_breakdown.json").read_text())
    t = saved["tinynet"]
    assert t["step_flops_counted"] == t["step_flops_profiler"] == 4 * 707_777_088
    assert saved["torch"]["version"] == torch.__version__
    assert set(t["families"]) >= {"conv", "gelu", "batchnorm", "maxpool"}
    assert t["steps_per_epoch"] == 12_500 and t["total_steps"] == 123_750
    text = (tmp_path / "step_breakdown.md").read_text()
    assert "tinynet by layer" in text and "dirac_conv2d" in text
    assert record["tinynet_over_torch"] > 0


def test_airbench_step_keeps_an_existing_breakdown(tmp_path, capsys):
    kept = tmp_path / "step_breakdown.md"
    kept.write_text("committed")
    with pytest.raises(SystemExit):
        airbench_step.main(["--batch", "4", "--no-torch", "--out", str(tmp_path)])
    assert "exists; give another --name" in capsys.readouterr().err
    assert kept.read_text() == "committed"
