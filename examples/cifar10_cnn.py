"""The course's first CIFAR-10 net (one conv layer, dropout, dense 512): RMSprop, batch 128,
20 epochs, the last 20% of the training images held out for validation.

    TINYNET_DATA=/path/to/data python examples/cifar10_cnn.py [--epochs 20] [--device gpu]

Writes model.tnz, metrics.json, curves.png, misclassified.png and confusion.png to --out.
"""

from tinynet import zoo
from tinynet.apps import runs
from tinynet.models.checkpoint import EpochTimer


def main(argv=None):
    args = runs.example_parser(
        __doc__, epochs=20, batch_size=128, out="runs/cifar10_cnn"
    ).parse_args(argv)
    info = runs.start(args)
    (x_train, y_train), (x_test, y_test) = runs.load_images("cifar10", args.limit)

    model = zoo.cifar10_cnn().to(args.device)
    model.summary()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(
        x_train,
        runs.one_hot(y_train),
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_split=0.2,
        verbose=args.verbose,
        callbacks=[timer],
    )

    metrics = runs.save_results(
        args.out,
        model,
        history,
        x_test,
        y_test,
        "cifar10",
        timer,
        {**info, "optimizer": "rmsprop", "validation_split": 0.2},
    )
    print(
        f"test accuracy {metrics['test_accuracy']:.4f}, loss {metrics['test_loss']:.4f}; "
        f"{metrics['seconds_per_epoch']} s/epoch; results in {args.out}"
    )


if __name__ == "__main__":
    main()
