"""Runs one data-parallel scenario; launched by test_mpi.py as ``mpiexec -n 2 python
mpi_worker.py SCENARIO OUT`` (or imported, for the one-process reference).

Each rank writes OUT/rank<r>.npz: the final weights (w0, w1, ...) and the history's loss.
Scenarios: lenet (LeNet, Adam, shuffled, uneven last batch, validation_split), dropout_bn (a conv net with
BatchNormalization and Dropout; no biases before the BatchNormalization, whose gradient is 0 up to
rounding, which Adam would turn into full steps of either sign), dropout_rank (the same with a
noise stream per rank), stop (LeNet, a callback on rank 1 alone stops training after the
second batch: every rank stops there), resume (2 epochs, a checkpoint on rank 0, then 2 more epochs
from it, the checkpoint read on rank 0 only), raise (rank 1 raises in the second step), nccl
(an Allreduce of CuPy arrays through NCCL; two GPUs), gan (a small DCGAN: both players' Adam and
BatchNormalization, latent noise of the global batch), cgan (the same, class-conditional).
Iterator scenarios (every rank builds the same iterator): wavenet (a tiny conditioned WaveNet on
ClipBatches of clips of different lengths, padding at weight 0, batches of 3, 3 and 1 clips, so
a rank's share is its part of the weight sum and one rank gets no clip; validation on an
iterator too), iterator (a Dense net with Dropout on a generator of batches of 8, 8 and 1
rows, which also draws noise from tinynet's stream while making each batch), iterator_bn (the
same with BatchNormalization, batches of 8, 8 and 5).
"""

import sys
from pathlib import Path

import numpy as np

import tinynet as tn
from tinynet.distributed.parallel import members
from tinynet.layers import (
    Activation,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPooling2D,
)
from tinynet.models import Sequential, load_model
from tinynet.training.callbacks import Callback

SAMPLES, BATCH, EPOCHS = 71, 32, 2  # batches of 32, 32, 7: the last splits 4 + 3


def data(shape=(1, 28, 28)):
    g = np.random.default_rng(1)
    x = g.random((SAMPLES,) + shape, dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[g.integers(0, 10, SAMPLES)]
    return x, y


def clip_batches(shuffle=True, count=7):
    """ClipBatches over ``count`` random clips of 40-120 codes (3 clips a batch at most)."""
    from tinynet.wavenet.data import ClipBatches

    g = np.random.default_rng(2)
    codes = [g.integers(0, 256, int(n)) for n in g.integers(40, 121, count)]
    conditions = g.integers(0, 3, (count, 1))
    return ClipBatches(codes, conditions, "position", hop=16, max_clips=3, shuffle=shuffle, seed=3)


ITERATOR_ROWS = {"iterator": (8, 8, 1), "iterator_bn": (8, 8, 5)}


def row_batches(scenario):
    """An endless generator of (x, y) batches of ITERATOR_ROWS rows in turn; each batch adds
    noise drawn from tinynet's stream (as an augmenting iterator might)."""
    g = np.random.default_rng(4)
    pool_x = g.random((40, 12), dtype=np.float32)
    pool_y = np.eye(3, dtype=np.float32)[g.integers(0, 3, 40)]
    start = 0
    while True:
        for n in ITERATOR_ROWS[scenario]:
            idx = np.arange(start, start + n) % len(pool_x)
            start += n
            noise = tn.backend.rng().standard_normal((n, 12)).astype(np.float32)
            yield pool_x[idx] + 0.1 * noise, pool_y[idx]


def build(scenario):
    tn.backend.seed(0)
    if scenario == "wavenet":
        from tinynet.wavenet import WaveNet

        model = WaveNet(
            dilations=[1, 2, 4],
            residual_channels=4,
            gate_channels=4,
            skip_channels=8,
            global_conditions={"digit": 3},
            global_dim=4,
            local_channels=6,
            local_hidden=4,
            hop=16,
        )
        model.compile(tn.optimizers.Adam(learning_rate=1e-2))
        return model
    if scenario in ("iterator", "iterator_bn"):
        bn = [BatchNormalization()] if scenario == "iterator_bn" else []
        model = Sequential(
            [Dense(16, use_bias=not bn, input_shape=(12,))]
            + bn
            + [Activation("relu"), Dropout(0.3), Dense(3), Activation("softmax")]
        )
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        return model
    if scenario == "cgan":
        gen = tn.gan.conditional_generator(latent_dim=16, width=8)
        disc = tn.gan.conditional_discriminator(width=8)
        model = tn.gan.ConditionalGAN(gen, disc)
        model.compile()
        return model
    if scenario == "gan":
        gen = tn.gan.dcgan_generator(latent_dim=16, width=8)
        disc = tn.gan.dcgan_discriminator(width=8)
        model = tn.gan.GAN(gen, disc)
        model.compile()  # Adam for each player
        return model
    if scenario in ("dropout_bn", "dropout_rank"):
        model = Sequential(
            [
                Conv2D(8, kernel_size=3, padding="same", use_bias=False, input_shape=(1, 28, 28)),
                BatchNormalization(),
                Activation("relu"),
                MaxPooling2D(pool_size=(2, 2)),
                Dropout(0.25),
                Flatten(),
                Dense(64, use_bias=False),
                BatchNormalization(),
                Activation("relu"),
                Dropout(0.5),
                Dense(10),
                Activation("softmax"),
            ]
        )
    else:
        model = tn.zoo.lenet()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


class StopAt(Callback):
    """Sets stop_training after batch 1 of the first epoch on rank ``rank`` only (a time budget
    that runs out on one rank)."""

    def __init__(self, rank):
        super().__init__()
        self.rank = rank

    def on_batch_end(self, batch, logs=None):
        if batch == 1 and self.rank == 1:
            self.model.stop_training = True


class RaiseAt(Callback):
    def __init__(self, rank):
        super().__init__()
        self.rank = rank

    def on_batch_begin(self, batch, logs=None):
        if batch == 1 and self.rank == 1:
            raise RuntimeError("rank 1 fails on purpose")


def train(scenario, out, comm=None):
    """The final model and history of ``scenario`` (comm None: one process)."""
    x, y = data()
    model = build(scenario)
    if scenario == "wavenet":  # 3 batches an epoch (3, 3 and 1 clips), shuffled
        train, val = clip_batches(), clip_batches(shuffle=False, count=4)
        history = model.fit(
            train,
            epochs=EPOCHS,
            steps_per_epoch=train.steps,
            validation_data=val,
            validation_steps=val.steps,
            verbose=0,
            distributed=comm,
        )
        return model, history
    if scenario in ("iterator", "iterator_bn"):  # 2 epochs of 3 batches, then one more step
        history = model.fit(
            row_batches(scenario), steps_per_epoch=4, epochs=EPOCHS, verbose=0, distributed=comm
        )
        return model, history
    if scenario == "cgan":
        labels = np.argmax(y[:64], axis=1)
        history = model.fit(
            x[:64] * 2 - 1, labels, batch_size=BATCH, epochs=EPOCHS, verbose=0, distributed=comm
        )
        return model, history
    if scenario == "gan":  # 64 images in [-1, 1]: 2 full batches of 32 (16 a rank) an epoch
        history = model.fit(
            x[:64] * 2 - 1, batch_size=BATCH, epochs=EPOCHS, verbose=0, distributed=comm
        )
        return model, history
    kw = dict(batch_size=BATCH, verbose=0, distributed=comm)
    if scenario == "dropout_rank":
        kw["noise"] = "rank"
    if scenario == "resume":
        out = Path(out)
        history = model.fit(x, y, epochs=EPOCHS, **kw)
        if comm is None or comm.is_main:
            model.save(out / "resume.tnz")
        if comm is not None:
            comm.barrier()
        # rank 0 resumes from the file; the others start from a fresh model: fit broadcasts
        if comm is None or comm.is_main:
            model = load_model(out / "resume.tnz")
        else:
            model = build(scenario)
            tn.backend.seed(123)  # a stream unlike rank 0's: fit gives every rank rank 0's
        history = model.fit(x, y, epochs=2 * EPOCHS, initial_epoch=EPOCHS, **kw)
        return model, history
    callbacks = [RaiseAt(comm.rank)] if scenario == "raise" and comm is not None else []
    if scenario == "stop":  # one process: as rank 1 of two
        callbacks = [StopAt(1 if comm is None else comm.rank)]
    if scenario == "lenet":  # 63 to train on (32, 31: 15 + 16), 8 to validate on (4 + 4)
        kw["validation_split"] = 0.1
    history = model.fit(x, y, epochs=EPOCHS, callbacks=callbacks, **kw)
    return model, history


def weights(model):
    return [w for part in members(model) for w in part.weights]


def save(model, history, path):
    arrays = {f"w{i}": w.data for i, w in enumerate(weights(model))}
    loss = history.history.get("loss", history.history.get("d_loss"))
    val = np.array(history.history.get("val_loss", []))
    np.savez(path, loss=np.array(loss), val_loss=val, **arrays)


def nccl_check(out, comm):
    """CuPy arrays reduced by NCCL (one GPU per rank): rank r gives r + 1 everywhere."""
    import cupy

    a = cupy.full(1000, comm.rank + 1, dtype=cupy.float32)
    comm.allreduce(a)
    used = bool(comm._nccl)
    np.savez(out / f"rank{comm.rank}.npz", sum=cupy.asnumpy(a), nccl=np.array(used))


if __name__ == "__main__":
    scenario, out = sys.argv[1], Path(sys.argv[2])
    comm = tn.distributed.init()
    if scenario == "nccl":
        nccl_check(out, comm)
        sys.exit(0)
    model, history = train(scenario, out, comm)
    save(model, history, out / f"rank{comm.rank}.npz")
