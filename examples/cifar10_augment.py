"""The lecture's deeper CIFAR-10 net trained on augmented images: ImageDataGenerator with
rotations up to 40 degrees, shifts and zoom up to 20% and horizontal flips, all 50,000 training
images per epoch (made in a background thread while the model trains), RMSprop, batch 128,
50 epochs. The test set is the validation data of the curves (it chooses nothing). The lecture
reaches 78.3% test accuracy.

    TINYNET_DATA=/path/to/data python examples/cifar10_augment.py [--epochs 50] [--device gpu]

Writes model.tnz, metrics.json, curves.png, misclassified.png and confusion.png to --out.
"""
from tinynet import runs, zoo
from tinynet.preprocessing import ImageDataGenerator


def main(argv=None):
    args = runs.example_parser(__doc__, epochs=50, batch_size=128, out="runs/cifar10_augment").parse_args(argv)
    info = runs.start(args)
    (x_train, y_train), (x_test, y_test) = runs.load_images("cifar10", args.limit)

    datagen = ImageDataGenerator(rotation_range=40, width_shift_range=0.2, height_shift_range=0.2,
                                 zoom_range=0.2, horizontal_flip=True, fill_mode="nearest")
    model = zoo.cifar10_deep().to(args.device)
    model.summary()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    timer = runs.EpochTimer()
    with datagen.flow(x_train, runs.one_hot(y_train), batch_size=args.batch_size, seed=args.seed,
                      background=True) as batches:
        history = model.fit(batches, epochs=args.epochs, verbose=args.verbose, callbacks=[timer],
                            validation_data=(x_test, runs.one_hot(y_test)))

    metrics = runs.save_results(args.out, model, history, x_test, y_test, "cifar10", timer,
                                {**info, "optimizer": "rmsprop", "validation": "test set",
                                 "augmentation": "rotation 40, shifts 0.2, zoom 0.2, horizontal flip"})
    print(f"test accuracy {metrics['test_accuracy']:.4f}, loss {metrics['test_loss']:.4f}; "
          f"{metrics['seconds_per_epoch']} s/epoch; results in {args.out}")


if __name__ == "__main__":
    main()
