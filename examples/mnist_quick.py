"""LeNet on a slice of MNIST, Keras-style: summary, one epoch with the live bar (verbose=1), one
with only the epoch line (verbose=2), then the test accuracy.

    TINYNET_DATA=/path/to/data python examples/mnist_quick.py [--n 12000] [--epochs 1] [--device gpu]
        [--n-test 10000]
"""

import argparse
import time

import numpy as np

import tinynet as tn
from tinynet.datasets import mnist
from tinynet.layers import Activation, Conv2D, Dense, Flatten, MaxPooling2D
from tinynet.models import Sequential


def lenet():
    model = Sequential()
    model.add(Conv2D(20, kernel_size=5, padding="same", input_shape=(1, 28, 28)))
    model.add(Activation("relu"))
    model.add(MaxPooling2D(pool_size=(2, 2), strides=(2, 2)))
    model.add(Conv2D(50, kernel_size=5, padding="same"))
    model.add(Activation("relu"))
    model.add(MaxPooling2D(pool_size=(2, 2), strides=(2, 2)))
    model.add(Flatten())
    model.add(Dense(500))
    model.add(Activation("relu"))
    model.add(Dense(10))
    model.add(Activation("softmax"))
    return model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=12000, help="training images (the last 20%% validate)")
    ap.add_argument(
        "--epochs", type=int, default=1, help="epochs for each of the two verbose modes"
    )
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    ap.add_argument("--n-test", type=int, default=None, help="test images (default all 10,000)")
    args = ap.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x = (x_train[: args.n, None] / 255.0).astype("float32")
    y = np.eye(10, dtype="float32")[y_train[: args.n]]
    xt = (x_test[: args.n_test, None] / 255.0).astype("float32")
    yt = np.eye(10, dtype="float32")[y_test[: args.n_test]]

    tn.seed(0)
    model = lenet().to(args.device)
    model.summary()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    for verbose in (1, 2):
        print(f"\n# verbose={verbose}")
        model.fit(
            x,
            y,
            batch_size=args.batch_size,
            epochs=args.epochs,
            validation_split=0.2,
            verbose=verbose,
        )
    start = time.perf_counter()
    loss, acc = model.evaluate(xt, yt, batch_size=500, verbose=0)
    print(
        f"\ntest: loss {loss:.4f}, accuracy {acc:.4f} on {len(xt)} images "
        f"({time.perf_counter() - start:.1f}s)"
    )


if __name__ == "__main__":
    main()
