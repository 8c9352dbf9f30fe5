"""benchmarks/distributed.py's scaling model and report, on made-up measurements."""

from benchmarks import distributed as bench


def test_ring_allreduce_model():
    assert bench.allreduce_model(1e6, 1, 1e9) == 0.0
    two = bench.allreduce_model(1e6, 2, 1e9)
    assert abs(two - (1e6 / 1e9 + 2 * bench.LATENCY)) < 1e-12  # 2 (N-1)/N = 1 at N = 2


def test_scaling_and_markdown():
    steps = {"LeNet": {"seconds": 0.1, "batch": 128}}
    sizes = {"LeNet": [1_256_080]}
    table = bench.scaling(steps, sizes)
    weak = [table["LeNet"]["10 Gbit/s"][n][0] for n in bench.MACHINES]
    strong = [table["LeNet"]["1 Gbit/s"][n][1] for n in bench.MACHINES]
    assert weak[0] == strong[0] == 1.0
    assert all(b > a for a, b in zip(weak, weak[1:]))
    assert all(s <= n for s, n in zip(strong, bench.MACHINES))
    res = {
        "machine": {"cpu": "test cpu", "cores": 2},
        "load_average_start": (0.5, 0, 0),
        "load_average_end": (0.6, 0, 0),
        "gradient_sizes": sizes,
        "allreduce_seconds": {"1256080": 0.001, "lenet_reduce": 0.002},
        "throughput": {"1 x 1": {"samples_per_s": 100.0}},
        "steps": steps,
        "scaling": {
            net: {bw: {str(n): v for n, v in row.items()} for bw, row in by.items()}
            for net, by in table.items()
        },
    }
    text = bench.markdown(res)
    assert "| LeNet | 1,256,080 | 5.0 | 1.00 |" in text and "### strong scaling" in text
    assert "WaveNet throughput" not in text and "2 ranks against one process" not in text
    wavenet = {"samples": 98020, "steps": 8, "weights": 43280}
    res["wavenet_throughput"] = {
        "1 x 1": {"samples_per_s": 20264.6, **wavenet},
        "2 x 1": {"samples_per_s": 18000.4, **wavenet},
    }
    res["equality"] = {
        "wavenet": {"steps": 6, "max_weight_difference": 2.5e-7, "ranks_identical": True},
        "gan": {"steps": 4, "max_weight_difference": 6e-8, "ranks_identical": False},
    }
    text = bench.markdown(res)
    assert "98,020 samples of 24 synthetic clips, 8 batches" in text
    assert "| 1 x 1 | 20,265 |" in text and "| 2 x 1 | 18,000 |" in text
    assert "| wavenet | 6 | 2.50e-07 | yes |" in text and "| gan | 4 | 6.00e-08 | NO |" in text
