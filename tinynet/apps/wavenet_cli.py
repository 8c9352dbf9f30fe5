"""``tinynet wavenet train|generate|evaluate``: WaveNet on the Free Spoken Digit Dataset.

    tinynet wavenet train --mode digits|vocoder [--epochs N] [--out DIR] [--resume]
    tinynet wavenet generate MODEL --digit 7 --speaker jackson --n 10 --out DIR
    tinynet wavenet evaluate MODEL [--classifier FILE] [--out DIR]

Modes: ``digits`` conditions globally on the digit and the speaker and locally on the position in
the clip (so a chosen length tells it where in the word it is); ``vocoder`` conditions locally on
the clip's log-mel spectrogram. An epoch is ``--epoch-share`` of a pass over the training clips
(a checkpoint each), so a long run is saved often.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def _speaker_ids(names):
    from ..datasets.fsdd import SPEAKERS

    return np.array([SPEAKERS.index(s) for s in names], dtype=np.int64)


def load_split(split, limit=None, mode="digits", hop=64, seed=0, max_samples=32768):
    """(batches, clips, digits, speakers) of FSDD's ``split`` ('train' or 'test') for ``mode``."""
    from ..datasets import fsdd
    from ..wavenet.data import ClipBatches, encode_clip

    train, test = fsdd.load_data()
    clips, digits, speakers = train if split == "train" else test
    if limit:
        pick = np.random.default_rng(seed).permutation(len(clips))[:limit]
        pick.sort()
        clips = [clips[i] for i in pick]
        digits, speakers = digits[pick], speakers[pick]
    codes = [encode_clip(c) for c in clips]
    conditions = np.stack([digits, _speaker_ids(speakers)], axis=1) if mode == "digits" else None
    local = "position" if mode == "digits" else "mel"
    batches = ClipBatches(
        codes,
        conditions,
        local,
        samples=clips,
        hop=hop,
        max_samples=max_samples,
        shuffle=split == "train",
        seed=seed,
    )
    return batches, clips, digits, speakers


def build_model(args):
    from ..datasets.fsdd import SPEAKERS
    from ..wavenet import WaveNet, stack_dilations
    from ..wavenet.data import MEL, POSITION_CHANNELS

    digits = args.mode == "digits"
    return WaveNet(
        dilations=stack_dilations(args.stacks, args.layers_per_stack),
        residual_channels=args.channels,
        gate_channels=args.channels,
        skip_channels=args.skip_channels,
        global_conditions={"digit": 10, "speaker": len(SPEAKERS)} if digits else None,
        local_channels=POSITION_CHANNELS if digits else MEL["n_mels"],
        hop=64,
        name=f"wavenet_{args.mode}",
    )


def _train(args):
    import tinynet as tn

    from ..models.checkpoint import EpochTimer, RunCheckpoint, resume
    from ..training.optimizers import Adam
    from ..wavenet.metrics import bits_per_sample

    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not (args.resume or args.overwrite):
        sys.exit(f"tinynet wavenet train: {out} already holds files; give --resume or --overwrite")
    out.mkdir(parents=True, exist_ok=True)
    tn.seed(args.seed)
    train, *_ = load_split("train", args.limit, args.mode, seed=args.seed)
    test, *_ = load_split("test", args.limit and max(10, args.limit // 9), args.mode)
    model, state = resume(out) if args.resume else (None, None)
    if model is None:
        model = build_model(args)
        model.compile(Adam(learning_rate=args.lr))
    if args.device != "cpu":
        model.to(args.device)
    steps = max(1, round(train.steps * args.epoch_share))
    timer = EpochTimer()
    checkpoint = RunCheckpoint(out, timer, state)
    print(
        f"{model.name}: {len(model.dilations)} layers, receptive field {model.receptive_field}, "
        f"{sum(w.size for w in model.weights):,} weights; {train.steps} batches a pass over "
        f"{train.samples:,} samples, {steps} an epoch",
        flush=True,
    )
    model.fit(
        train,
        steps_per_epoch=steps,
        epochs=args.epochs,
        initial_epoch=checkpoint.epochs_done,
        verbose=2,
        callbacks=[timer, checkpoint],
    )
    t0 = time.perf_counter()
    bits = bits_per_sample(model, test)
    metrics = {
        "mode": args.mode,
        "test_bits_per_sample": bits,
        "test_samples": test.samples,
        "train_bits_last_epoch": checkpoint.history.get("loss", [None])[-1],
        "epochs": checkpoint.epochs_done,
        "epoch_share": args.epoch_share,
        "train_seconds": checkpoint.total,
        "eval_seconds": time.perf_counter() - t0,
        "receptive_field": model.receptive_field,
        "layers": len(model.dilations),
        "channels": args.channels,
        "weights": int(sum(w.size for w in model.weights)),
        "history": checkpoint.history,
    }
    model.save(out / "model.tnz")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    print(f"test: {bits:.3f} bits/sample over {test.samples:,} samples", flush=True)
    return 0


def configure(parser):
    sub = parser.add_subparsers(dest="action", required=True)
    t = sub.add_parser("train", help="train a WaveNet on FSDD's training clips")
    t.add_argument("--mode", choices=["digits", "vocoder"], default="digits")
    t.add_argument("--epochs", type=int, default=8)
    t.add_argument("--epoch-share", type=float, default=0.25, help="share of a pass an epoch")
    t.add_argument("--stacks", type=int, default=2)
    t.add_argument("--layers-per-stack", type=int, default=9)
    t.add_argument("--channels", type=int, default=32)
    t.add_argument("--skip-channels", type=int, default=64)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--limit", type=int, default=None, help="train on this many clips (fast mode)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="cpu")
    t.add_argument("--out", default="runs/wavenet/digits")
    t.add_argument("--resume", action="store_true")
    t.add_argument("--overwrite", action="store_true")
    t.set_defaults(run=_train)
    return parser


def main(argv=None):
    parser = configure(argparse.ArgumentParser(prog="tinynet wavenet", description=__doc__))
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
