"""The lecture's vision models, channels-first, each returned uncompiled.

    from tinynet import zoo
    model = zoo.lenet()            # (N, 1, 28, 28) -> (N, 10) class probabilities
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])

``MODELS`` maps the command-line names (``tinynet train lenet``) to the builders.
"""

from ..layers import Activation, BatchNormalization, Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from ..models import Sequential


def lenet(input_shape=(1, 28, 28), classes=10):
    """LeNet (the lecture's): conv 20@5x5 same, relu, maxpool 2; conv 50@5x5 same, relu, maxpool 2;
    dense 500, relu; dense ``classes`` softmax. On MNIST: 1,256,080 parameters."""
    return Sequential(
        [
            Conv2D(20, kernel_size=5, padding="same", input_shape=input_shape),
            Activation("relu"),
            MaxPooling2D(pool_size=(2, 2), strides=(2, 2)),
            Conv2D(50, kernel_size=5, padding="same"),
            Activation("relu"),
            MaxPooling2D(pool_size=(2, 2), strides=(2, 2)),
            Flatten(),
            Dense(500),
            Activation("relu"),
            Dense(classes),
            Activation("softmax"),
        ],
        name="lenet",
    )


def cifar10_cnn(input_shape=(3, 32, 32), classes=10):
    """The lecture's first CIFAR-10 net: conv 32@3x3 same, relu, maxpool 2, dropout 0.25;
    dense 512, relu, dropout 0.5; dense ``classes`` softmax (4,200,842 parameters)."""
    return Sequential(
        [
            Conv2D(32, kernel_size=3, padding="same", input_shape=input_shape),
            Activation("relu"),
            MaxPooling2D(pool_size=(2, 2)),
            Dropout(0.25),
            Flatten(),
            Dense(512),
            Activation("relu"),
            Dropout(0.5),
            Dense(classes),
            Activation("softmax"),
        ],
        name="cifar10_cnn",
    )


def cifar10_deep(input_shape=(3, 32, 32), classes=10):
    """The lecture's deeper CIFAR-10 net: conv 32 same, conv 32 same, maxpool, dropout 0.25;
    conv 64 same, conv 64 valid, maxpool, dropout 0.25; dense 512, relu, dropout 0.5; dense
    ``classes`` softmax; all convs 3x3 + relu (1,676,842 parameters)."""
    return Sequential(
        [
            Conv2D(32, kernel_size=3, padding="same", input_shape=input_shape),
            Activation("relu"),
            Conv2D(32, kernel_size=3, padding="same"),
            Activation("relu"),
            MaxPooling2D(pool_size=(2, 2)),
            Dropout(0.25),
            Conv2D(64, kernel_size=3, padding="same"),
            Activation("relu"),
            Conv2D(64, kernel_size=3),
            Activation("relu"),
            MaxPooling2D(pool_size=(2, 2)),
            Dropout(0.25),
            Flatten(),
            Dense(512),
            Activation("relu"),
            Dropout(0.5),
            Dense(classes),
            Activation("softmax"),
        ],
        name="cifar10_deep",
    )


def cifar10_fast(input_shape=(3, 32, 32), classes=10, widths=(32, 64, 128)):
    """A VGG-style net for fast CPU training: conv-BN-relu blocks, the image halved after each
    stage, global max pooling. widths (a, b, c): conv a @32x32, pool; conv b, conv b @16x16, pool;
    conv c, conv c @8x8, pool; maxpool 4 -> (c,); dense ``classes`` softmax. All convs 3x3 same
    without bias (the BatchNormalization after each has one)."""
    a, b, c = widths
    layers = []

    def block(filters, **first):
        layers.extend(
            [
                Conv2D(filters, kernel_size=3, padding="same", use_bias=False, **first),
                BatchNormalization(momentum=0.9),
                Activation("relu"),
            ]
        )

    block(a, input_shape=input_shape)
    layers.append(MaxPooling2D(pool_size=(2, 2)))
    block(b)
    block(b)
    layers.append(MaxPooling2D(pool_size=(2, 2)))
    block(c)
    block(c)
    layers.append(MaxPooling2D(pool_size=(2, 2)))
    layers.extend(
        [MaxPooling2D(pool_size=(4, 4)), Flatten(), Dense(classes), Activation("softmax")]
    )
    return Sequential(layers, name="cifar10_fast")


MODELS = {
    "lenet": lenet,
    "cifar10-cnn": cifar10_cnn,
    "cifar10-deep": cifar10_deep,
    "cifar10-fast": cifar10_fast,
}


def get(name, **kwargs):
    """The model called ``name`` in :data:`MODELS` (``lenet``, ``cifar10-cnn``, ...), built."""
    try:
        builder = MODELS[name]
    except KeyError:
        raise ValueError(f"zoo.get: unknown model {name!r}; known: {', '.join(MODELS)}") from None
    return builder(**kwargs)
