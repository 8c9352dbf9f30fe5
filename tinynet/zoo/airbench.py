"""airbench94 on tinynet: Keller Jordan's CIFAR-10 recipe ("94% on CIFAR-10 in 3.29 Seconds on a
Single GPU", arXiv:2404.00498; github.com/KellerJordan/cifar10-airbench), written afresh here.

    model = zoo.airbench94(whitening_images=x_train[:5000])    # x in [0, 1], (N, 3, 32, 32)
    recipe = AirbenchRecipe(train_images=len(x_train))           # batch 1024, 9.9 epochs
    model.compile(optimizer=recipe.optimizer(), loss=recipe.loss, metrics=["accuracy"])
    batches = FlipTranslateBatches(x_train, one_hot(y_train), recipe.batch_size, seed=0)
    model.fit(batches, epochs=recipe.epochs_to_run, callbacks=recipe.callbacks(model))
    tta_logits(model, x_test)                                    # the reported accuracy's logits

The network (widths 64/256/256): normalise by CIFAR-10's channel statistics; a frozen 2x2
patch-whitening convolution (24 filters: 12 whitened directions and their negatives, its bias
trained for the first 3 epochs); GELU; three groups of [conv 3x3, maxpool 2, BN, GELU, conv 3x3,
BN, GELU] (31 -> 15 -> 7 -> 3 pixels); maxpool 3; dense 10 without bias; x 1/9; softmax. The
convolutions have no bias and start with the identity in their first filters; BatchNorm has no
trained scale, a bias trained 64x faster, momentum 0.6, epsilon 1e-12.

Training: label smoothing 0.2; SGD with Nesterov momentum 0.85 and weight decay, in airbench's
decoupled units (lr 11.5 and decay 0.0153 per 1024 examples, the step divided by the momentum's
gain 1 + 1/(1 - momentum)); a triangular schedule 0.2 -> 1 (at 23%) -> 0.07 of the peak;
Lookahead (tinynet.training.lookahead) from epoch 3; 9.9 epochs of N // 1024 full batches;
alternating flips and 2-pixel translations. Test: 6-view TTA (flip x translations).
"""

import math

import numpy as np

from ..layers import Activation, Dense, Flatten, MaxPooling2D
from ..layers.whitening import PatchWhitening
from ..models import Sequential
from ..training.callbacks import Callback
from ..training.lookahead import Lookahead
from ..training.optimizers import SGD, Triangular
from .airbench_layers import (
    GELU,
    ChannelNormalize,
    DiracConv2D,
    Scale,
    ScaledBiasBatchNorm,
    torch_default_init,
)

CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


def airbench94(
    input_shape=(3, 32, 32),
    classes=10,
    widths=(64, 256, 256),
    whitening_images=None,
    whitening_kernel=2,
    mean=CIFAR10_MEAN,
    std=CIFAR10_STD,
    bn_momentum=0.6,
    bn_epsilon=1e-12,
    bias_scale=8.0,
    logit_scale=1 / 9,
    gelu="tanh",
):
    """The airbench94 network (see the module docstring), a Sequential (N, 3, 32, 32) images in
    [0, 1] -> (N, classes) probabilities, uncompiled. whitening_images: images (N, 3, 32, 32) in
    [0, 1] whose patches set the whitening layer (airbench: the first 5000 training images);
    None leaves its kernel zero until :func:`fit_whitening`. bias_scale 8: BatchNorm biases learn
    8**2 = 64 times faster (airbench's bias_scaler). gelu: "none" is airbench's exact GELU, "tanh"
    (the default here) its tanh approximation: the same to within 5e-4, and far cheaper on the
    CPU than tinynet's float64 erf (docs/airbench.md has the measurement)."""
    layers = [
        ChannelNormalize(mean, std, input_shape=input_shape),
        PatchWhitening(whitening_kernel),
        GELU(gelu),
    ]

    def norm():
        return ScaledBiasBatchNorm(bias_scale, momentum=bn_momentum, epsilon=bn_epsilon)

    for width in widths:
        layers += [
            DiracConv2D(width, 3, padding="same", use_bias=False),
            MaxPooling2D(2),
            norm(),
            GELU(gelu),
            DiracConv2D(width, 3, padding="same", use_bias=False),
            norm(),
            GELU(gelu),
        ]
    layers += [
        MaxPooling2D(3),
        Flatten(),
        Dense(classes, use_bias=False, kernel_initializer=torch_default_init()),
        Scale(logit_scale),
        Activation("softmax"),
    ]
    model = Sequential(layers, name="airbench94")
    model.build()
    if whitening_images is not None:
        fit_whitening(model, whitening_images)
    return model


def fit_whitening(model, images):
    """Fit the model's PatchWhitening layer on ``images`` (N, C, H, W) as the model takes them
    (the layers before it applied). Returns the layer."""
    x = np.asarray(images, dtype=np.float32)
    for layer in model.layers:
        if isinstance(layer, PatchWhitening):
            return layer.fit(x)
        x = layer.transform(x) if hasattr(layer, "transform") else layer(x).numpy()
    raise ValueError(f"fit_whitening: {model.name} has no PatchWhitening layer")


class AirbenchRecipe:
    """airbench94's training hyperparameters for ``train_images`` training images.

    lr, weight_decay: per 1024 examples in airbench's decoupled form; with tinynet's mean loss
    over a batch of B the step is lr * B / (1024 * (1 + 1/(1 - momentum))) and the weight decay
    coefficient (added to the gradient, as PyTorch's SGD does) weight_decay / lr, so each step
    shrinks the weights by the same fraction as in airbench's sum-loss parametrisation."""

    def __init__(
        self,
        train_images=50_000,
        batch_size=1024,
        epochs=9.9,
        lr=11.5,
        momentum=0.85,
        weight_decay=0.0153,
        label_smoothing=0.2,
        whiten_bias_epochs=3,
        lookahead=None,
    ):
        self.train_images, self.batch_size = int(train_images), int(batch_size)
        self.steps_per_epoch = self.train_images // self.batch_size
        if self.steps_per_epoch < 1:
            raise ValueError(
                f"AirbenchRecipe: {train_images} images make no full batch of {batch_size}"
            )
        if not epochs > 0:
            raise ValueError(f"AirbenchRecipe: epochs must be > 0, got {epochs!r}")
        self.epochs = float(epochs)
        self.lr, self.momentum, self.weight_decay = float(lr), float(momentum), float(weight_decay)
        self.label_smoothing = float(label_smoothing)
        self.whiten_bias_epochs = int(whiten_bias_epochs)
        self.lookahead = dict(start_epoch=3, every=5, decay_base=0.95, decay_pow=3.0)
        self.lookahead.update(lookahead or {})

    @property
    def total_steps(self):
        return math.ceil(self.steps_per_epoch * self.epochs)

    @property
    def epochs_to_run(self):
        """Whole epochs for fit (the last one stopped after ``total_steps``)."""
        return math.ceil(self.total_steps / self.steps_per_epoch)

    @property
    def step_lr(self):
        """The peak learning rate of tinynet's SGD (mean loss over the batch)."""
        return self.lr * self.batch_size / (1024 * (1 + 1 / (1 - self.momentum)))

    @property
    def decay(self):
        """The weight decay coefficient of tinynet's SGD (added to the gradient)."""
        return self.weight_decay / self.lr

    @property
    def loss(self):
        return f"categorical_crossentropy(label_smoothing={self.label_smoothing!r})"

    def schedule(self):
        return Triangular(self.step_lr, self.total_steps, start=0.2, end=0.07, peak_at=0.23)

    def optimizer(self):
        return SGD(
            lr=self.schedule(), momentum=self.momentum, nesterov=True, weight_decay=self.decay
        )

    def callbacks(self, model):
        """[whitening bias on/off by epoch, Lookahead, stop after total_steps], in that order
        (put a RunCheckpoint after them)."""
        whitening = [layer for layer in model.layers if isinstance(layer, PatchWhitening)]
        return [
            WhiteningBiasEpochs(whitening, self.whiten_bias_epochs),
            Lookahead(self.total_steps, steps_per_epoch=self.steps_per_epoch, **self.lookahead),
            StopAfterSteps(self.total_steps),
        ]

    def describe(self):
        return {
            "batch_size": self.batch_size,
            "recipe_epochs": self.epochs,
            "steps_per_epoch": self.steps_per_epoch,
            "total_steps": self.total_steps,
            "lr_per_1024": self.lr,
            "sgd_peak_lr": self.step_lr,
            "momentum": self.momentum,
            "nesterov": True,
            "weight_decay_per_1024": self.weight_decay,
            "sgd_weight_decay": self.decay,
            "schedule": "triangular 0.2 -> 1 at 23% -> 0.07",
            "label_smoothing": self.label_smoothing,
            "whiten_bias_epochs": self.whiten_bias_epochs,
            "lookahead": self.lookahead,
        }


class WhiteningBiasEpochs(Callback):
    """Train the whitening layers' biases in epochs 0..epochs-1 only (set at each epoch's
    start from its number, so a resumed run agrees)."""

    def __init__(self, layers, epochs):
        super().__init__()
        self.layers, self.epochs = list(layers), int(epochs)

    def on_epoch_begin(self, epoch, logs=None):
        for layer in self.layers:
            layer.bias_trainable = epoch < self.epochs


class StopAfterSteps(Callback):
    """End fit after the batch that brings the optimizer to ``total_steps`` steps."""

    def __init__(self, total_steps):
        super().__init__()
        self.total_steps = int(total_steps)

    def on_batch_end(self, batch, logs=None):
        if self.model.optimizer.iterations >= self.total_steps:
            self.model.stop_training = True


def training_flops(model, batch=1):
    """(forward, backward) FLOPs of one training step on ``batch`` images, counted from the
    shapes of the GEMM-shaped layers (2 per multiply-add; elementwise work not counted): each
    convolution or dense layer's product once forward, and backward once for the weight gradient
    (if the kernel trains) and once for the input gradient (if a layer before it trains)."""
    forward = backward = 0
    trains_before = False
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is not None:
            inner = kernel.shape[1:] if kernel.ndim == 4 else kernel.shape[:1]
            flops = 2 * int(np.prod(layer.output_shape)) * int(np.prod(inner))
            kernel_trains = any(w is kernel for w in layer.trainable_weights)
            forward += flops
            backward += flops * (int(kernel_trains) + int(trains_before))
        trains_before = trains_before or bool(layer.trainable_weights)
    return forward * batch, backward * batch
