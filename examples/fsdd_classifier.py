"""A spoken-digit classifier on the Free Spoken Digit Dataset: the small CNN of
tinynet.zoo.speech on log-mel spectrograms of 1 s (40 mel bands x 63 frames), trained on the
official training split (takes 5-49, 2,700 clips) with random time shifts of up to 0.2 s and a
256-level mu-law round trip on 30% of the clips; Adam, batch 64, the learning rate 1e-3, then
3e-4 from 60% of the epochs and 1e-4 from 85%. The test split (takes 0-4, 300 clips) is the
validation data of the curves (it chooses nothing).

Reports the test accuracy, and the accuracy on the test clips passed through mu-law encode /
decode at 256 levels after peak normalisation (what a WaveNet on mu-law codes produces).

    TINYNET_DATA=/path/to/data python examples/fsdd_classifier.py [--epochs 20] [--resume]

The model and the run so far are saved after every epoch; ``--resume`` goes on from there.
Writes model.tnz (the weights without the optimizer's state), metrics.json, train_log.csv,
curves.png and confusion.png to --out.
"""

import json
from pathlib import Path

import numpy as np

from tinynet import plot
from tinynet.apps import runs
from tinynet.callbacks import CSVLogger, LearningRateScheduler
from tinynet.datasets import fsdd
from tinynet.models.checkpoint import EpochTimer, RunCheckpoint, resume
from tinynet.zoo import speech

MAX_SHIFT = 1600  # samples (0.2 s)
MU_LAW_PROB = 0.3


def learning_rate(epochs):
    """Adam's rate for each epoch (counted from 0): 1e-3, 3e-4 from 60%, 1e-4 from 85%."""
    return lambda epoch: 1e-3 if epoch < 0.6 * epochs else 3e-4 if epoch < 0.85 * epochs else 1e-4


def spread(n, limit):
    """``limit`` indices spread evenly over 0..n-1 (the splits are sorted by digit)."""
    return np.arange(n) if limit is None else np.unique(np.linspace(0, n - 1, limit).astype(int))


def mu_law_copy(clips):
    """The clips peak-normalised and passed through a 256-level mu-law round trip."""
    from tinynet.audio import mu_law_decode, mu_law_encode, normalize_peak

    return [mu_law_decode(mu_law_encode(normalize_peak(c, speech.PEAK))) for c in clips]


def main(argv=None):
    parser = runs.example_parser(
        __doc__, epochs=20, batch_size=64, out="runs/fsdd_classifier", resumable=True
    )
    parser.set_defaults(verbose=2)
    for action in parser._actions:
        if action.dest == "limit":
            action.help = "use only N clips of each split, spread evenly over the digits"
    args = parser.parse_args(argv)
    info = runs.start(args)
    (clips, digits, speakers), (clips_t, digits_t, speakers_t) = fsdd.load_data()
    keep, keep_t = spread(len(clips), args.limit), spread(len(clips_t), args.limit)
    clips, digits = [clips[i] for i in keep], digits[keep]
    clips_t, digits_t, speakers_t = (
        [clips_t[i] for i in keep_t],
        digits_t[keep_t],
        speakers_t[keep_t],
    )
    x_test, y_test = speech.clip_features(clips_t), runs.one_hot(digits_t)

    model, state = resume(args.out) if args.resume else (None, None)
    if model is None:
        model = speech.digit_classifier()
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model = model.to(args.device)
    if args.verbose:
        model.summary()
    timer = EpochTimer()
    checkpoint = RunCheckpoint(args.out, timer, state)
    if checkpoint.epochs_done:
        print(f"resuming after epoch {checkpoint.epochs_done} from {args.out}/checkpoint.tnz")
    batches = speech.ClipBatches(
        clips, digits, args.batch_size, MAX_SHIFT, MU_LAW_PROB, args.seed + checkpoint.epochs_done
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model.fit(
        batches,
        epochs=args.epochs,
        initial_epoch=checkpoint.epochs_done,
        verbose=args.verbose,
        validation_data=(x_test, y_test),
        callbacks=[
            LearningRateScheduler(learning_rate(args.epochs)),
            CSVLogger(out / "train_log.csv", append=checkpoint.epochs_done > 0),
            timer,
            checkpoint,
        ],
    )

    predicted = speech.classify_clips(model, clips_t)
    predicted_mu = speech.classify_clips(model, mu_law_copy(clips_t))
    model.save(out / "model.tnz", include_optimizer=False)  # for inference: about 1 MB
    hist = checkpoint.history
    metrics = {
        "model": model.name,
        "dataset": "fsdd",
        "params": int(model.count_params()),
        "epochs": checkpoint.epochs_done,
        "train_clips": len(clips),
        "test_clips": len(clips_t),
        "test_accuracy": float(np.mean(predicted == digits_t)),
        "test_accuracy_mu_law_256": float(np.mean(predicted_mu == digits_t)),
        "test_errors": int(np.sum(predicted != digits_t)),
        "test_accuracy_by_speaker": {
            s: float(np.mean(predicted[speakers_t == s] == digits_t[speakers_t == s]))
            for s in sorted(set(speakers_t))
        },
        "features": {
            "length": speech.LENGTH,
            "n_fft": speech.N_FFT,
            "hop": speech.HOP,
            "n_mels": speech.N_MELS,
            "frames": speech.FRAMES,
            "peak": speech.PEAK,
        },
        "augmentation": {"max_shift": MAX_SHIFT, "mu_law_prob": MU_LAW_PROB},
        "optimizer": "adam",
        "learning_rate": "1e-3 / 3e-4 (from 60% of the epochs) / 1e-4 (from 85%)",
        "validation": "test set",
        "sessions": checkpoint.sessions,
        "history": hist,
        "fit_seconds": round(checkpoint.total, 1),
        "epoch_seconds": [round(s, 1) for s in checkpoint.epoch_seconds],
        "seconds_per_epoch": round(float(np.mean(checkpoint.epoch_seconds)), 1)
        if checkpoint.epoch_seconds
        else None,
        **info,
    }
    metrics["machine"] = {**runs.machine_info(args.device), **info.get("machine", {})}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))

    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    title = f"digit classifier on FSDD: test accuracy {metrics['test_accuracy']:.2%}"
    for name, figure in (
        ("curves.png", lambda: plot.plot_history(hist, title=title, val_label="test")),
        ("confusion.png", lambda: plot.plot_confusion_matrix(digits_t, predicted)),
    ):
        fig = figure()
        fig.savefig(out / name, dpi=80)
        plt.close(fig)
    print(
        f"test accuracy {metrics['test_accuracy']:.4f} ({metrics['test_errors']} errors of "
        f"{len(clips_t)}), after mu-law 256: {metrics['test_accuracy_mu_law_256']:.4f}; "
        f"{metrics['seconds_per_epoch']} s/epoch; results in {out}"
    )
    return metrics


if __name__ == "__main__":
    main()
