"""WaveNet generation speed: the cached algorithm (tinynet.wavenet.generate) against the naive
recompute of the receptive field (generate_naive), samples per second, at batch 1 and 10.

Both are timed where a clip spends almost all of its samples: with the receptive field full.
The cached path costs the same at every step (timed over ``--samples`` from silence); the naive
path's window grows from one frame to the whole field over the first ``receptive_field``
samples, so its steady cost is timed on ``--steady`` steps past that point
(:func:`tinynet.wavenet.generate.naive_logits` and the draw, as generate_naive runs them; a run
from silence of a few hundred samples would time short windows and understate the recompute).
Same process, same inputs; the fastest of ``--repeats``.

Models: ``--model FILE`` (e.g. the trained digits WaveNet) and, with ``--reference``, a fresh
network of the issue's reference size (2 stacks of 1..512, 64 residual and gate channels, 128
skip channels), conditioned on digit, speaker and position like the digits model.

    python -m benchmarks.wavenet_generation --model results/wavenet/digits/model.tnz --reference
"""

import argparse
import json
import os
import time

import numpy as np

from tinynet.autograd import no_grad
from tinynet.wavenet import WaveNet, stack_dilations
from tinynet.wavenet.data import POSITION_CHANNELS, position_features
from tinynet.wavenet.generate import draw, generate, naive_logits

from .common import set_up_process


def _inputs(model, n, T):
    conditions = np.stack([np.arange(n) % 10, np.arange(n) % 6], axis=1)
    frames = -(-T // model.hop)
    local = np.stack([position_features(T, frames, model.hop)] * n)
    return conditions, local


def rate(model, n, T, repeats):
    """Samples per second of the cached path generating n rows of T samples from silence."""
    conditions, local = _inputs(model, n, T)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        generate(model, T, n, conditions, local, seed=1)
        best = min(best, time.perf_counter() - t0)
    return n * T / best


def naive_rate(model, n, steps, repeats):
    """Samples per second of the naive path with its receptive field full: ``steps`` steps of
    generate_naive's loop from t = field + hop on, over random codes."""
    t0 = model.receptive_field + model.hop
    T = t0 + steps
    conditions, local = _inputs(model, n, T)
    rng = np.random.default_rng(0)
    codes_in = rng.integers(0, model.classes, (n, T + 1))
    uniforms = rng.random((n, T))
    best = float("inf")
    with no_grad():
        glob, loc = model.gate_conditions(conditions, local)
        for _ in range(repeats):
            start = time.perf_counter()
            for t in range(t0, T):
                codes_in[:, t + 1] = draw(
                    naive_logits(model, codes_in, t, glob, loc), uniforms[:, t]
                )
            best = min(best, time.perf_counter() - start)
    return n * steps / best


def measure(model, samples, steady, repeats):
    result = {"layers": len(model.dilations), "receptive_field": model.receptive_field}
    result["residual_channels"] = model.residual_channels
    for n in (1, 10):
        cached, naive = rate(model, n, samples, repeats), naive_rate(model, n, steady, repeats)
        result[f"cached_batch{n}"], result[f"naive_batch{n}"] = cached, naive
        result[f"cached_over_naive_batch{n}"] = cached / naive
        print(f"  batch {n}: cached {cached:,.0f}/s, naive {naive:,.1f}/s, {cached / naive:.0f}x")
    return result


def reference_model():
    return WaveNet(
        dilations=stack_dilations(2, 10),
        residual_channels=64,
        gate_channels=64,
        skip_channels=128,
        global_conditions={"digit": 10, "speaker": 6},
        local_channels=POSITION_CHANNELS,
        name="reference",
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", default=None, help="a saved WaveNet")
    p.add_argument("--reference", action="store_true", help="also the issue's reference size")
    p.add_argument("--samples", type=int, default=4000, help="samples per row, cached path")
    p.add_argument("--steady", type=int, default=64, help="naive steps past a full field")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--json", default=None, help="write the figures here (refused if it exists)")
    args = p.parse_args(argv)
    if args.json and os.path.exists(args.json):
        raise SystemExit(f"wavenet_generation: {args.json} exists; choose another --json")
    set_up_process(split_threads=False)  # as the tinynet wavenet command runs
    models = {}
    if args.model:
        from tinynet.apps.wavenet_cli import load_wavenet

        models[args.model] = load_wavenet(args.model)
    if args.reference or not models:
        models["reference"] = reference_model()
    result = {"threads": os.environ.get("OPENBLAS_NUM_THREADS", "default")}
    for name, model in models.items():
        print(f"{name}: {len(model.dilations)} layers, receptive field {model.receptive_field}")
        result[name] = measure(model, args.samples, args.steady, args.repeats)
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump(result, f, indent=1)
        os.replace(args.json + ".tmp", args.json)
    return result


if __name__ == "__main__":
    main()
