"""The course's deeper CIFAR-10 net trained on augmented images: ImageDataGenerator with
rotations up to 15 degrees, shifts and zoom up to 10% and horizontal flips, all 50,000 training
images per epoch (made in a background thread while the model trains), Adam (learning rate 1e-3,
divided by about 3 after epochs 30 and 40), batch 128, 50 epochs. The test set is the validation
data of the curves (it chooses nothing).

The milder augmentation and Adam replace the course's generator arguments (rotation 40, shifts
and zoom 0.2) and RMSprop, which leave this small net underfitting
(results/cifar10_augment_lecture_settings/).

    TINYNET_DATA=/path/to/data python examples/cifar10_augment.py [--epochs 50] [--device gpu]

The model and the run so far are saved after every epoch; ``--resume`` goes on from there.
Writes model.tnz, metrics.json, curves.png, misclassified.png and confusion.png to --out.
"""

from tinynet import zoo
from tinynet.apps import runs
from tinynet.callbacks import LearningRateScheduler
from tinynet.models.checkpoint import EpochTimer, RunCheckpoint, resume
from tinynet.preprocessing import ImageDataGenerator


def main(argv=None):
    args = runs.example_parser(
        __doc__,
        epochs=runs.AUGMENT_EPOCHS,
        batch_size=128,
        out="runs/cifar10_augment",
        resumable=True,
    ).parse_args(argv)
    info = runs.start(args)
    (x_train, y_train), (x_test, y_test) = runs.load_images("cifar10", args.limit)

    datagen = ImageDataGenerator(**runs.CIFAR10_AUGMENTATION)
    model, state = resume(args.out) if args.resume else (None, None)
    if model is None:
        model = zoo.cifar10_deep()
        model.compile(
            optimizer=runs.AUGMENT_OPTIMIZER, loss="categorical_crossentropy", metrics=["accuracy"]
        )
    model = model.to(args.device)
    model.summary()
    timer = EpochTimer()
    checkpoint = RunCheckpoint(args.out, timer, state)
    if checkpoint.epochs_done:
        print(f"resuming after epoch {checkpoint.epochs_done} from {args.out}/checkpoint.tnz")
    with datagen.flow(
        x_train,
        runs.one_hot(y_train),
        batch_size=args.batch_size,
        seed=args.seed + checkpoint.epochs_done,
        background=True,
    ) as batches:
        model.fit(
            batches,
            epochs=args.epochs,
            initial_epoch=checkpoint.epochs_done,
            verbose=args.verbose,
            callbacks=[LearningRateScheduler(runs.augment_learning_rate), timer, checkpoint],
            validation_data=(x_test, runs.one_hot(y_test)),
        )

    metrics = runs.save_results(
        args.out,
        model,
        checkpoint.history,
        x_test,
        y_test,
        "cifar10",
        checkpoint,
        {
            **info,
            "optimizer": runs.AUGMENT_OPTIMIZER,
            "learning_rate": runs.AUGMENT_LEARNING_RATES,
            "validation": "test set",
            "sessions": checkpoint.sessions,
            "augmentation": runs.CIFAR10_AUGMENTATION,
        },
    )
    print(
        f"test accuracy {metrics['test_accuracy']:.4f}, loss {metrics['test_loss']:.4f}; "
        f"{metrics['seconds_per_epoch']} s/epoch; results in {args.out}"
    )


if __name__ == "__main__":
    main()
