"""LeNet on MNIST, the course's run: Adam, batch 128, 20 epochs, the last 20% of the training
images held out for validation.

With --lr-drop E (tinynet's recipe; the course has none) the learning rate falls from 1e-3 to
1e-4 from epoch E on, which stills the epoch-to-epoch swing of the last epochs.

    TINYNET_DATA=/path/to/data python examples/lenet_mnist.py [--epochs 20] [--lr-drop 10] [--device gpu]

Writes model.tnz, metrics.json, curves.png, misclassified.png and confusion.png to --out.
"""

from tinynet import zoo
from tinynet.apps import runs
from tinynet.callbacks import LearningRateScheduler
from tinynet.models.checkpoint import EpochTimer


def main(argv=None):
    parser = runs.example_parser(__doc__, epochs=20, batch_size=128, out="runs/lenet_mnist")
    parser.add_argument(
        "--lr-drop",
        type=int,
        default=None,
        metavar="E",
        help="learning rate 1e-4 instead of 1e-3 from epoch E (1-based) on",
    )
    args = parser.parse_args(argv)
    info = runs.start(args)
    (x_train, y_train), (x_test, y_test) = runs.load_images("mnist", args.limit)

    model = zoo.lenet().to(args.device)
    model.summary()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    callbacks = [timer]
    if args.lr_drop is not None:
        callbacks.append(
            LearningRateScheduler(lambda epoch: 1e-3 if epoch + 1 < args.lr_drop else 1e-4)
        )
    history = model.fit(
        x_train,
        runs.one_hot(y_train),
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_split=0.2,
        verbose=args.verbose,
        callbacks=callbacks,
    )

    metrics = runs.save_results(
        args.out,
        model,
        history,
        x_test,
        y_test,
        "mnist",
        timer,
        {**info, "optimizer": "adam", "validation_split": 0.2, "lr_drop_epoch": args.lr_drop},
    )
    print(
        f"test accuracy {metrics['test_accuracy']:.4f}, loss {metrics['test_loss']:.4f}; "
        f"{metrics['seconds_per_epoch']} s/epoch; results in {args.out}"
    )


if __name__ == "__main__":
    main()
