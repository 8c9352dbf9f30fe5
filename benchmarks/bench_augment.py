"""Augmenting one CIFAR-10 batch: 128 uint8 images (128, 3, 32, 32), rotation + shift + flip + zoom.

Prints the median ms per batch (bilinear and nearest), then how much of it a background thread
hides behind a stand-in training step (a float32 matmul loop, which releases the GIL as NumPy does).

    python -m benchmarks.bench_augment [--repeats 50] [--batch 128] [--json FILE]

Uses the real CIFAR-10 training images when they can be found ($TINYNET_DATA or the cache),
random uint8 images otherwise (the cost does not depend on the pixel values).
"""

import argparse
import json
import time

import numpy as np

from tinynet.preprocessing import ImageDataGenerator

from .timing import machine, median_time


def cifar_batch(n):
    try:
        from tinynet.datasets import cifar10

        (x, _), _ = cifar10.load_data(download=False)
        return x[:n], "CIFAR-10 train"
    except (FileNotFoundError, ValueError):
        return np.random.default_rng(0).integers(
            0, 256, (n, 3, 32, 32), dtype=np.uint8
        ), "random uint8"


def generator(interpolation):
    return ImageDataGenerator(
        rotation_range=15,
        width_shift_range=0.1,
        height_shift_range=0.1,
        zoom_range=0.1,
        horizontal_flip=True,
        fill_mode="nearest",
        interpolation=interpolation,
        rescale=1 / 255,
    )


def overlap(x, steps=20):
    """Seconds for ``steps`` of (next batch + fake step), synchronous vs background thread."""
    a = np.random.default_rng(0).normal(size=(400, 400)).astype(np.float32)
    fake_step = lambda: [a @ a for _ in range(8)]  # noqa: E731
    out = {"step_ms": 1e3 * median_time(fake_step, repeats=5)}
    for background in (False, True):
        with generator("bilinear").flow(x, batch_size=len(x), seed=0, background=background) as it:
            t = time.perf_counter()
            for _ in range(steps):
                next(it)
                fake_step()
            out["background" if background else "sync"] = 1e3 * (time.perf_counter() - t) / steps
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    x, source = cifar_batch(args.batch)
    result = {"machine": machine(), "batch": list(x.shape), "images": source}
    print(f"batch {x.shape} {x.dtype} ({source}), median of {args.repeats}; {result['machine']}")
    for interpolation in ("bilinear", "nearest"):
        gen, rng = generator(interpolation), np.random.default_rng(0)
        augment = 1e3 * median_time(lambda: gen.augment(x, rng), args.repeats)
        it = gen.flow(x, batch_size=len(x), seed=0)
        batch = 1e3 * median_time(lambda: next(it), args.repeats)
        result[interpolation] = {"augment_ms": augment, "flow_batch_ms": batch}
        print(
            f"{interpolation:>8}: augment {augment:6.2f} ms/batch; a flow() batch with rescale {batch:6.2f} ms"
        )
    o = result["overlap"] = overlap(x)
    print(
        f"fake step {o['step_ms']:.1f} ms: next batch + step {o['sync']:.1f} ms synchronous, "
        f"{o['background']:.1f} ms with the background thread"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
