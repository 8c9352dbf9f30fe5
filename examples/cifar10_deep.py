"""The course's deeper CIFAR-10 net (conv-conv-pool twice, dense 512): RMSprop, batch 128,
40 epochs, the last 20% of the training images held out for validation.

    TINYNET_DATA=/path/to/data python examples/cifar10_deep.py [--epochs 40] [--device gpu]

The model and the run so far are saved after every epoch; ``--resume`` goes on from there.
Writes model.tnz, metrics.json, curves.png, misclassified.png and confusion.png to --out.
"""

from tinynet import zoo
from tinynet.apps import runs
from tinynet.models.checkpoint import EpochTimer, RunCheckpoint, resume


def main(argv=None):
    args = runs.example_parser(
        __doc__, epochs=40, batch_size=128, out="runs/cifar10_deep", resumable=True
    ).parse_args(argv)
    info = runs.start(args)
    (x_train, y_train), (x_test, y_test) = runs.load_images("cifar10", args.limit)

    model, state = resume(args.out) if args.resume else (None, None)
    if model is None:
        model = zoo.cifar10_deep()
        model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model = model.to(args.device)
    model.summary()
    timer = EpochTimer()
    checkpoint = RunCheckpoint(args.out, timer, state)
    if checkpoint.epochs_done:
        print(f"resuming after epoch {checkpoint.epochs_done} from {args.out}/checkpoint.tnz")
    model.fit(
        x_train,
        runs.one_hot(y_train),
        batch_size=args.batch_size,
        epochs=args.epochs,
        initial_epoch=checkpoint.epochs_done,
        validation_split=0.2,
        verbose=args.verbose,
        callbacks=[timer, checkpoint],
    )

    metrics = runs.save_results(
        args.out,
        model,
        checkpoint.history,
        x_test,
        y_test,
        "cifar10",
        checkpoint,
        {**info, "optimizer": "rmsprop", "validation_split": 0.2, "sessions": checkpoint.sessions},
    )
    print(
        f"test accuracy {metrics['test_accuracy']:.4f}, loss {metrics['test_loss']:.4f}; "
        f"{metrics['seconds_per_epoch']} s/epoch; results in {args.out}"
    )


if __name__ == "__main__":
    main()
