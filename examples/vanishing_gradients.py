"""Vanishing gradients, measured: the same deep MLP with sigmoid and with ReLU on MNIST, per-layer
norms of dLoss/d(layer output) recorded by the GradientStats callback and plotted side by side.

    TINYNET_DATA=/path/to/data python examples/vanishing_gradients.py [--out runs/vanishing_gradients.png]
"""

import argparse
import os

import numpy as np

import tinynet as tn
from tinynet.callbacks import GradientStats
from tinynet.datasets import mnist
from tinynet.layers import Dense, Flatten
from tinynet.models import Sequential
from tinynet.plot import compare_gradient_norms


def deep_mlp(activation, depth=6, width=64):
    layers = [Flatten(input_shape=(1, 28, 28))]
    layers += [Dense(width, activation=activation) for _ in range(depth)]
    return Sequential(layers + [Dense(10, activation="softmax")])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=6000, help="training images")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--out", default="runs/vanishing_gradients.png")
    args = ap.parse_args(argv)
    (x, y), _ = mnist.load_data()
    x, y = (x[: args.n, None] / 255.0).astype("float32"), y[: args.n]

    runs = {}
    for activation in ("sigmoid", "relu"):
        tn.seed(0)
        model = deep_mlp(activation)
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
        stats = GradientStats(every=5)
        print(f"# {activation}")
        model.fit(x, y, batch_size=64, epochs=args.epochs, verbose=2, callbacks=[stats])
        steps, norms = stats.as_arrays("grad_norm")
        first, last = stats.layer_names[1], stats.layer_names[-2]
        print(
            f"mean |dL/dh|: first hidden layer {np.nanmean(norms[first]):.2e}, "
            f"last hidden layer {np.nanmean(norms[last]):.2e}"
        )
        runs[activation] = stats

    fig = compare_gradient_norms(runs)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
