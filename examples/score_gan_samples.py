"""Score saved MNIST generators with saved digit classifiers: every generator draws the same
latent vectors, and each classifier reads the samples. For every (generator, classifier) pair it
reports the share of samples classified with confidence >= 0.9, the share of each digit and the
smallest one (tinynet.gan.quality: to_unit, predict_probs, confident_share, class_shares).

    python examples/score_gan_samples.py \\
        --generators runs/gan/dcgan/generator_ema.tnz runs/gan/dcgan/generator.tnz \\
        --classifiers runs/lenet_mnist/model.tnz ~/.cache/tinynet/models/mnist_lenet.tnz \\
        [--samples 5000] [--seed 2] [--batch-size 500] [--out scores.json]

Generators map z (N, latent_dim) to tanh images (N, 1, 28, 28); latent_dim is read from the
first generator's input shape and z is standard normal, as `tinynet gan dcgan` samples it.
Prints the scores as JSON; --out also writes them there, refusing to replace an existing file
unless --overwrite is given (results are kept, not silently rewritten).
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from tinynet.gan import quality
from tinynet.models import load_model


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    p.add_argument(
        "--generators",
        nargs="+",
        required=True,
        type=Path,
        metavar="FILE",
        help="generator model files (.tnz)",
    )
    p.add_argument(
        "--classifiers",
        nargs="+",
        required=True,
        type=Path,
        metavar="FILE",
        help="MNIST classifier model files (.tnz), inputs (N, 1, 28, 28) in [0, 1]",
    )
    p.add_argument("--samples", type=int, default=5000, help="latent vectors drawn (default 5000)")
    p.add_argument("--seed", type=int, default=2, help="seed of the latent vectors (default 2)")
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument(
        "--threshold", type=float, default=0.9, help="confidence threshold (default 0.9)"
    )
    p.add_argument("--out", type=Path, default=None, help="also write the scores to this JSON file")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    args = p.parse_args(argv)
    if args.samples < 1:
        p.error(f"--samples must be >= 1, got {args.samples}")
    if args.out is not None and args.out.exists() and not args.overwrite:
        p.error(f"--out {args.out} exists; pass --overwrite to replace it")
    for path in [*args.generators, *args.classifiers]:
        if not path.is_file():
            p.error(f"no model file {path}")
    return args


def score(generators, classifiers, samples=5000, seed=2, batch_size=500, threshold=0.9):
    """{"<generator> / <classifier>": {"confident_share", "class_shares", "min_class_share"}} for
    every pair, all generators fed the same z (samples, latent_dim)."""
    gens = {str(path): load_model(path, compile=False) for path in generators}
    clfs = {str(path): load_model(path, compile=False) for path in classifiers}
    latent_dim = int(np.prod(next(iter(gens.values())).input_shape))
    z = np.random.default_rng(seed).standard_normal((samples, latent_dim)).astype(np.float32)
    scores = {}
    for gname, gen in gens.items():
        images = quality.to_unit(gen.predict(z, batch_size=batch_size))
        for cname, clf in clfs.items():
            probs = quality.predict_probs(clf, images, batch_size=batch_size)
            shares = quality.class_shares(probs)
            scores[f"{gname} / {cname}"] = {
                "confident_share": round(quality.confident_share(probs, threshold), 4),
                "class_shares": [round(float(s), 4) for s in shares],
                "min_class_share": round(float(shares.min()), 4),
            }
    return scores


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    scores = score(
        args.generators, args.classifiers, args.samples, args.seed, args.batch_size, args.threshold
    )
    meta = {"samples": args.samples, "seed": args.seed, "threshold": args.threshold}
    text = json.dumps({"settings": meta, "scores": scores}, indent=1)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
