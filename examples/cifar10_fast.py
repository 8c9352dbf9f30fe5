"""CIFAR-10 to 80%+ test accuracy in under 30 minutes of training on a 2-core CPU: a small
VGG-style net with BatchNormalization (zoo.cifar10_fast), SGD with Nesterov momentum and weight
decay under a one-cycle learning rate (linear warm-up to the peak, linear decay to zero), and
random flips and shifts of up to 4 pixels made in a background thread. Batch 128, 5 epochs; the
test set is the validation data of the curves (it chooses nothing). Results: results/cifar10_fast/.

    TINYNET_DATA=/path/to/data python examples/cifar10_fast.py [--epochs 5] [--widths 32,64,128]

On a CPU shared with other jobs, set OPENBLAS_NUM_THREADS=1: with the default of one BLAS
thread per core, the threads wait on busy cores.

Writes model.tnz, metrics.json, curves.png, misclassified.png and confusion.png to --out.
"""

import math

from tinynet import zoo
from tinynet.apps import runs
from tinynet.models.checkpoint import EpochTimer
from tinynet.optimizers import SGD, Schedule
from tinynet.preprocessing import ImageDataGenerator


class OneCycle(Schedule):
    """Learning rate per step: 0 -> peak linearly over the first ``warmup`` fraction of
    ``total_steps``, then linearly down to 0 at the last step."""

    def __init__(self, peak, total_steps, warmup=0.2):
        self.peak, self.total_steps, self.warmup = float(peak), int(total_steps), float(warmup)

    def __call__(self, step):
        t = min(step + 1, self.total_steps) / self.total_steps
        return self.peak * (t / self.warmup if t < self.warmup else (1 - t) / (1 - self.warmup))


def main(argv=None):
    p = runs.example_parser(__doc__, epochs=5, batch_size=128, out="runs/cifar10_fast")
    p.add_argument(
        "--widths", default="32,64,128", help="filters of the three stages (default 32,64,128)"
    )
    p.add_argument("--lr", type=float, default=0.2, help="peak learning rate (default 0.2)")
    p.add_argument("--weight-decay", type=float, default=5e-4, help="default 5e-4")
    args = p.parse_args(argv)
    widths = tuple(int(w) for w in args.widths.split(","))
    info = runs.start(args)
    (x_train, y_train), (x_test, y_test) = runs.load_images("cifar10", args.limit)

    model = zoo.cifar10_fast(widths=widths).to(args.device)
    model.summary()
    steps = args.epochs * math.ceil(len(x_train) / args.batch_size)
    schedule = OneCycle(args.lr, steps)
    model.compile(
        optimizer=SGD(lr=schedule, momentum=0.9, nesterov=True, weight_decay=args.weight_decay),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    datagen = ImageDataGenerator(
        width_shift_range=4,
        height_shift_range=4,
        horizontal_flip=True,
        fill_mode="reflect",
        interpolation="nearest",
    )
    timer = EpochTimer()
    with datagen.flow(
        x_train, runs.one_hot(y_train), batch_size=args.batch_size, seed=args.seed, background=True
    ) as batches:
        history = model.fit(
            batches,
            epochs=args.epochs,
            verbose=args.verbose,
            callbacks=[timer],
            validation_data=(x_test, runs.one_hot(y_test)),
        )

    model.optimizer.lr = 0.0  # the schedule has ended; a plain number keeps the file loadable
    metrics = runs.save_results(
        args.out,
        model,
        history,
        x_test,
        y_test,
        "cifar10",
        timer,
        {
            **info,
            "optimizer": f"SGD nesterov momentum 0.9, weight decay {args.weight_decay}, one-cycle "
            f"peak lr {args.lr} (warm-up 20%)",
            "widths": list(widths),
            "validation": "test set",
            "augmentation": "horizontal flip, shifts up to 4 px (reflect)",
        },
    )
    minutes = metrics["fit_seconds"] / 60
    print(
        f"test accuracy {metrics['test_accuracy']:.4f}, loss {metrics['test_loss']:.4f}; "
        f"{metrics['seconds_per_epoch']} s/epoch, {minutes:.1f} min of training; results in {args.out}"
    )


if __name__ == "__main__":
    main()
