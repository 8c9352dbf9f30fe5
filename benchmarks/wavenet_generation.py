"""WaveNet generation speed: the cached algorithm (tinynet.wavenet.generate) at batch 1 and 10
against the naive recompute of the receptive field (generate_naive), samples per second.

The network of ``tinynet wavenet train --mode digits`` as trained (2 stacks of 1..128, 32
channels; or ``--model FILE``), conditioned on digit, speaker and position.

    python -m benchmarks.wavenet_generation [--model FILE] [--samples 4000] [--json FILE]
"""

import argparse
import json
import time

import numpy as np

from tinynet import backend
from tinynet.wavenet import WaveNet, stack_dilations
from tinynet.wavenet.data import POSITION_CHANNELS, position_features
from tinynet.wavenet.generate import generate, generate_naive


def _inputs(model, n, T):
    conditions = np.stack([np.arange(n) % 10, np.arange(n) % 6], axis=1)
    frames = -(-T // model.hop)
    local = np.stack([position_features(T, frames, model.hop)] * n)
    return conditions, local


def rate(fn, model, n, T, repeats):
    conditions, local = _inputs(model, n, T)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(model, T, n, conditions, local, seed=1)
        best = min(best, time.perf_counter() - t0)
    return n * T / best


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", default=None, help="a saved WaveNet (default: a fresh one)")
    p.add_argument("--samples", type=int, default=4000, help="samples per row, cached path")
    p.add_argument("--naive-samples", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    backend.tune_malloc()  # the training loop's allocation pattern, as the tinynet command runs it
    if args.model:
        from tinynet.apps.wavenet_cli import load_wavenet

        model = load_wavenet(args.model)
    else:
        model = WaveNet(
            dilations=stack_dilations(2, 8),
            global_conditions={"digit": 10, "speaker": 6},
            local_channels=POSITION_CHANNELS,
        )
    result = {
        "layers": len(model.dilations),
        "receptive_field": model.receptive_field,
        "cached_batch1": rate(generate, model, 1, args.samples, args.repeats),
        "cached_batch10": rate(generate, model, 10, args.samples, args.repeats),
        "naive_batch1": rate(generate_naive, model, 1, args.naive_samples, 1),
    }
    result["cached_over_naive_batch1"] = result["cached_batch1"] / result["naive_batch1"]
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
