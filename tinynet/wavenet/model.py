"""WaveNet (van den Oord et al. 2016): a stack of gated, dilated causal convolutions that gives,
for every time step, a 256-way softmax over the mu-law code of the next sample.

    codes (N, L) -- Embedding(256, R) -- Conv1D(R, k, causal) --> x (N, R, L)
    for each layer i (dilation d_i):
        z = Conv1D(2G, k, dilation d_i, causal)(x) + global_i + local_i      (N, 2G, L)
        h = tanh(z[:G]) * sigmoid(z[G:])                                      (N, G, L)
        x = x + Conv1D(R, 1)(h);   skips += Conv1D(S, 1)(h)
    logits = Conv1D(256, 1)(relu(Conv1D(S, 1)(relu(skips))))                  (N, 256, L)

Input position t holds the code of sample t - 1 (the code of silence before the clip), so the
logits at t predict sample t from the samples before it only.

Conditioning (van den Oord et al.'s global and local conditioning): ``global_conditions``
names integer inputs (e.g. {"digit": 10, "speaker": 6}), each embedded, concatenated and
projected into every layer's gate (one Dense for all layers); ``local_channels`` > 0 adds a
sequence of features at frame rate (N, M, L // hop), e.g. a log-mel spectrogram (the vocoder of
r9y9/wavenet_vocoder and Chainer's example): ``local_layers`` 'same' Conv1D(-> local_hidden, 3)
+ tanh at frame rate, projected into every gate by one Conv1D(1x1) and upsampled by repeating
each frame ``hop`` times (a broadcast add onto the gate, never materialised at the sample rate).
With ``global_to_local`` the frame-rate network also reads the global embeddings (repeated over
the frames), so what a frame adds may depend on the condition: for a digit model, which part of
which word comes at this point of the clip, not only a sum of a digit term and a position term.

The loss is the cross-entropy in bits per sample (nats / ln 2), weighted per position, so padding
and positions without a real target count for nothing.
"""

import math

import numpy as np

from .. import functional as F
from ..autograd import no_grad
from ..backend import to_device
from ..layers import Conv1D, Dense, Embedding
from ..layers.base import set_trainable_grads
from ..models.model import Model
from ..training import optimizers

LN2 = math.log(2.0)


def stack_dilations(stacks=2, layers_per_stack=10, base=2):
    """[1, 2, 4, ..., base**(layers_per_stack - 1)] repeated ``stacks`` times."""
    return [base**i for i in range(layers_per_stack)] * stacks


class BitsPerSample:
    """WaveNet's loss as ``compile`` records it: the weighted cross-entropy in bits."""

    name = "bits_per_sample"

    def get_config(self):
        return self.name


class WaveNet(Model):
    """See the module docstring. ``dilations``: one per residual layer (default 2 stacks of
    1..512); ``kernel_size`` k; channels: residual R, gate G (each half), skip S."""

    default_batch_size = 8

    def __init__(
        self,
        dilations=None,
        kernel_size=2,
        residual_channels=32,
        gate_channels=32,
        skip_channels=64,
        classes=256,
        global_conditions=None,
        global_dim=16,
        local_channels=0,
        local_hidden=32,
        local_layers=1,
        global_to_local=False,
        hop=64,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.dilations = list(stack_dilations() if dilations is None else dilations)
        if not self.dilations or any(int(d) != d or d < 1 for d in self.dilations):
            raise ValueError(f"WaveNet: dilations must be ints >= 1, got {dilations!r}")
        self.kernel_size, self.classes = int(kernel_size), int(classes)
        self.residual_channels, self.gate_channels = int(residual_channels), int(gate_channels)
        self.skip_channels = int(skip_channels)
        self.global_conditions = dict(global_conditions or {})
        self.global_dim, self.local_channels = int(global_dim), int(local_channels)
        self.local_hidden, self.hop = int(local_hidden), int(hop)
        self.local_layers, self.global_to_local = int(local_layers), bool(global_to_local)
        if self.local_layers < 1:
            raise ValueError(f"WaveNet: local_layers must be >= 1, got {local_layers!r}")
        if self.global_to_local and not (self.global_conditions and self.local_channels):
            raise ValueError(
                "WaveNet: global_to_local needs both global_conditions and local_channels"
            )
        R, G, S, k = self.residual_channels, self.gate_channels, self.skip_channels, kernel_size
        n = len(self.dilations)
        self.input_embedding = Embedding(self.classes, R, embeddings_initializer="glorot_uniform")
        self.input_conv = Conv1D(R, k, padding="causal")
        self.dilated = [Conv1D(2 * G, k, dilation_rate=d, padding="causal") for d in self.dilations]
        self.residual = [Conv1D(R, 1, padding="valid") for _ in range(n - 1)]
        self.skip = [Conv1D(S, 1, padding="valid") for _ in range(n)]
        self.head_hidden = Conv1D(S, 1, padding="valid")
        self.head_out = Conv1D(self.classes, 1, padding="valid")
        if self.global_conditions:
            self.global_embeddings = [
                Embedding(count, self.global_dim, embeddings_initializer="glorot_uniform")
                for count in self.global_conditions.values()
            ]
            self.global_projection = Dense(n * 2 * G, use_bias=False)
        if self.local_channels:
            self.local_input = Conv1D(self.local_hidden, 3, padding="same", activation="tanh")
            self.local_stack = [
                Conv1D(self.local_hidden, 3, padding="same", activation="tanh")
                for _ in range(self.local_layers - 1)
            ]
            self.local_projection = Conv1D(n * 2 * G, 1, padding="valid", use_bias=False)
        self.build()

    @property
    def receptive_field(self):
        """How many samples (the current one included) one output depends on."""
        return sum(d * (self.kernel_size - 1) for d in [1] + self.dilations) + 1

    def get_config(self):
        return {
            **super().get_config(),
            "dilations": self.dilations,
            "kernel_size": self.kernel_size,
            "residual_channels": self.residual_channels,
            "gate_channels": self.gate_channels,
            "skip_channels": self.skip_channels,
            "classes": self.classes,
            "global_conditions": self.global_conditions,
            "global_dim": self.global_dim,
            "local_channels": self.local_channels,
            "local_hidden": self.local_hidden,
            "local_layers": self.local_layers,
            "global_to_local": self.global_to_local,
            "hop": self.hop,
        }

    # ----- building and the forward pass -----
    def build(self, input_shape=None, dtype=None):
        """Every weight from the constructor's sizes, by one forward pass on a short zero batch."""
        if self.built:
            return self
        dtype = np.dtype(dtype if dtype is not None else (self.dtype or "float32"))
        for layer in self.layers:
            layer.dtype = dtype
        self.dtype = dtype
        L = self.hop if self.local_channels else 4
        with no_grad():
            self.forward(*self.dummy_inputs(1, L))
        self.input_shape, self.output_shape = (L,), (self.classes, L)
        self.built = True
        self.to(self.device)
        return self

    def dummy_inputs(self, n, L):
        """Zero inputs (codes, conditions, local) for n sequences of length L."""
        conditions = np.zeros((n, len(self.global_conditions)), np.int64)
        local = (
            np.zeros((n, self.local_channels, L // self.hop), self.dtype)
            if self.local_channels
            else None
        )
        return np.zeros((n, L), np.int64), conditions if self.global_conditions else None, local

    def gate_conditions(self, conditions=None, local=None):
        """What the conditions add to the gates, ``(glob, loc)``: glob (N, layers, 2G, 1) from
        the global conditions, loc (N, layers, 2G, frames, 1) from the local features (each None
        when the model has none)."""
        G2, n_layers = 2 * self.gate_channels, len(self.dilations)
        glob = loc = cat = None
        if self.global_conditions:
            if conditions is None:
                raise ValueError(
                    f"{self.name}: conditioned on {list(self.global_conditions)}; give conditions "
                    f"(N, {len(self.global_conditions)}) integers"
                )
            vectors = [emb(conditions[:, i]) for i, emb in enumerate(self.global_embeddings)]
            cat = vectors[0] if len(vectors) == 1 else F.concat_channels(*vectors)
            glob = self.global_projection(cat).reshape(-1, n_layers, G2, 1)
        if self.local_channels:
            if local is None:
                raise ValueError(
                    f"{self.name}: conditioned on local features; give local (N, "
                    f"{self.local_channels}, L // {self.hop})"
                )
            frames = local.shape[2]
            if self.global_to_local:  # the embeddings repeated over the frames, as channels
                ones = np.ones((1, 1, frames), dtype=self.dtype)
                local = F.concat_channels(local, cat.reshape(cat.shape[0], -1, 1) * ones)
            hidden = self.local_input(local)
            for layer in self.local_stack:
                hidden = layer(hidden)
            loc = self.local_projection(hidden).reshape(-1, n_layers, G2, frames, 1)
        return glob, loc

    def forward(self, codes, conditions=None, local=None, training=False):
        """codes (N, L) ints (the previous samples' codes), conditions (N, n_global) ints, local
        (N, M, L // hop) floats -> logits (N, classes, L)."""
        if codes.ndim != 2:
            raise ValueError(f"{self.name}: codes must be (N, L) integers, got shape {codes.shape}")
        return self.forward_conditioned(codes, *self.gate_conditions(conditions, local))

    def forward_conditioned(self, codes, glob=None, loc=None):
        """:meth:`forward` from the gate terms of :meth:`gate_conditions` (loc: the frames of
        these codes, L // hop of them)."""
        N, L = codes.shape
        n = len(self.dilations)
        if loc is not None and loc.shape[3] * self.hop != L:
            raise ValueError(
                f"{self.name}: {loc.shape[3]} local frames of hop {self.hop} cover "
                f"{loc.shape[3] * self.hop} samples, but the codes have {L}"
            )
        x = self.input_conv(self.input_embedding(codes).transpose(0, 2, 1))  # (N, R, L)
        skips = None
        for i in range(n):
            z = self.dilated[i](x)
            if loc is not None:  # global and local terms summed at frame rate, then added
                c = loc[:, i, :, :, 0] if glob is None else loc[:, i, :, :, 0] + glob[:, i]
                z = F.add_frames(z, c, self.hop)
            elif glob is not None:
                z = F.add_frames(z, glob[:, i], L)  # one frame covering the sequence
            h = F.gated_activation(z, axis=1)
            s = self.skip[i](h)
            skips = s if skips is None else skips + s
            if i < n - 1:
                x = x + self.residual[i](h)
        return self.head_out(F.relu(self.head_hidden(F.relu(skips))))

    def call(self, x, training=False):
        return self.forward(x, training=training)

    # ----- the loss and Trainer's steps -----
    def compile(self, optimizer="adam", loss="bits_per_sample", metrics=None, **ignored):
        """Only the optimizer is yours to choose: the loss is the cross-entropy in bits."""
        if loss not in ("bits_per_sample", None):
            raise ValueError(f"{self.name}.compile: the loss is 'bits_per_sample', got {loss!r}")
        self.optimizer = optimizers.get(optimizer)
        if self.device != "cpu":
            self.optimizer.to(self.device)
        self.loss, self._compile_spec, self.metrics = BitsPerSample(), [], []

    def check_compiled(self, who):
        if self.optimizer is None:
            raise RuntimeError(
                f"{self.name}.{who}: compile the model first (model.compile('adam'))"
            )

    @property
    def metrics_names(self):
        return ["loss"]

    def bits(self, batch, training=False):
        """The batch's weighted cross-entropy in bits per sample (a scalar Tensor)."""
        codes, targets, weights, conditions, local = batch
        logits = self.forward(codes, conditions, local, training)
        nats = F.sparse_softmax_cross_entropy(logits, targets, weights, axis=1)
        return nats * (1 / LN2)

    def train_step(self, batch):
        trainable = set_trainable_grads([self])
        loss = self.bits(batch, training=True)
        loss.backward()
        self.optimizer.step(trainable)
        return {"loss": loss.data}

    def test_step(self, batch):
        with no_grad():
            return {"loss": self.bits(batch).data}

    def predict_step(self, batch):
        with no_grad():
            return self.forward(batch[0], batch[3], batch[4]).data

    def iterator_arrays(self, item, class_weight, who):
        """An item of :class:`tinynet.wavenet.data.ClipBatches`: (codes, targets, weights,
        conditions, local), host arrays with N rows each (None for a missing condition)."""
        if not isinstance(item, (tuple, list)) or len(item) != 5:
            raise ValueError(
                f"{who}: a WaveNet trains on (codes, targets, weights, conditions, local) "
                f"batches (see tinynet.wavenet.data.ClipBatches), got {type(item).__name__}"
            )
        return tuple(item)

    def fit_arrays(self, x, y, sample_weight, class_weight, who):
        raise TypeError(
            f"{who}: a WaveNet trains on batches of clips: fit(ClipBatches(...)), not arrays"
        )

    def batch_weight(self, arrays):
        """The loss divides by the sum of the per-position weights (arrays[2]), not the rows:
        a distributed fit gives each rank the share of this sum its rows hold."""
        return float(np.sum(arrays[2], dtype=np.float64))

    def device_batch(self, arrays):
        codes, targets, weights, conditions, local = arrays
        dev = self.device

        def move(a, dtype=None):
            if a is None:
                return None
            return to_device(a if dtype is None else a.astype(dtype, copy=False), dev)

        return (
            move(codes),
            move(targets),
            move(weights, self.dtype),
            move(conditions),
            move(local, self.dtype),
        )
