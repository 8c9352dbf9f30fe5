"""The 64x64 face DCGAN's training iteration at a few widths, to choose one the CPU can train.

One iteration of ``tinynet.gan.faces.face_gan(width)`` through ``GAN.train_on_batch``: a
discriminator step on a batch of real images and as many generated ones, a generator step, the
weight-average update (Adam, float32). Each width is timed ``--repeats`` times after one warm-up
iteration; the median, and the hours that ``--epochs`` epochs of ``--images`` faces would take
at that median, are printed and written as JSON.

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.faces_dcgan_step --widths 16 24 32 48 \
        --out runs/faces/dcgan_step.json
"""

import argparse
import json
import os
import platform
import time

import numpy as np

from tinynet import backend
from tinynet.gan.faces import face_gan


def time_width(width, batch, repeats, kernel, seed=0):
    backend.seed(seed)
    gan = face_gan(width=width, kernel=kernel)
    real = np.random.default_rng(seed).uniform(-1, 1, (batch, 3, 64, 64)).astype(np.float32)
    gan.train_on_batch(real)  # warm-up: first-call allocations
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        gan.train_on_batch(real)
        times.append(time.perf_counter() - start)
    params = sum(
        int(np.prod(w.shape))
        for m in (gan.generator, gan.discriminator)
        for w in m.trainable_weights
    )
    return {
        "width": width,
        "median_s": float(np.median(times)),
        "times_s": times,
        "parameters": params,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--widths", type=int, nargs="+", default=[16, 24, 32, 48])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--kernel", type=int, default=5)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--images", type=int, default=10000)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--out", default=None, help="write the results as JSON here")
    args = p.parse_args(argv)
    rows = []
    steps = args.images // args.batch
    for w in args.widths:
        r = time_width(w, args.batch, args.repeats, args.kernel)
        r["hours_for_epochs"] = round(r["median_s"] * steps * args.epochs / 3600, 2)
        rows.append(r)
        print(
            f"width {w:3d}: {r['median_s']:.3f} s/iteration (batch {args.batch}), "
            f"{r['parameters']:,} parameters, {args.epochs} epochs of {args.images} faces "
            f"{r['hours_for_epochs']} h",
            flush=True,
        )
    result = {
        "benchmark": "faces_dcgan_step",
        "batch": args.batch,
        "kernel": args.kernel,
        "repeats": args.repeats,
        "images": args.images,
        "epochs": args.epochs,
        "iterations_per_epoch": steps,
        "rows": rows,
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "load_average": os.getloadavg(),
        "numpy": np.__version__,
    }
    if args.out:
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        tmp = args.out + ".part"
        with open(tmp, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
