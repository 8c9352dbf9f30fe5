"""``tinynet wavenet train|generate|evaluate``: WaveNet on the Free Spoken Digit Dataset.

    tinynet wavenet train --mode digits|vocoder [--epochs N] [--out DIR] [--resume]
    mpiexec -n 2 tinynet wavenet train --distributed ...   (data-parallel; rank 0 writes)
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


def load_split(split, limit=None, mode="digits", hop=64, seed=0, max_samples=8192):
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
        local_hidden=args.local_hidden,
        local_layers=args.local_layers,
        global_to_local=digits and args.global_to_local,
        hop=64,
        name=f"wavenet_{args.mode}",
    )


def _train(args):
    import tinynet as tn

    from ..models.checkpoint import EpochTimer, RunCheckpoint, resume
    from ..training.optimizers import Adam
    from ..wavenet.metrics import bits_per_sample
    from .runs import write_json

    out = Path(args.out)
    comm = None
    if args.distributed:  # every rank builds the same batches; fit gives each its rows
        from ..distributed import init

        comm = init()
    main = comm is None or comm.is_main
    problem = None
    if main and out.exists() and any(out.iterdir()) and not (args.resume or args.overwrite):
        problem = f"{out} already holds files; give --resume or --overwrite"
    if comm is not None:
        problem = comm.broadcast_object(problem)
    if problem:
        sys.exit(f"tinynet wavenet train: {problem}")
    if main:
        out.mkdir(parents=True, exist_ok=True)
    tn.seed(args.seed)
    train, *_ = load_split("train", args.limit, args.mode, seed=args.seed)
    test, *_ = load_split("test", args.limit and max(10, args.limit // 9), args.mode)
    model, state = resume(out) if args.resume and main else (None, None)
    if comm is not None:  # rank 0's checkpoint: the others build its architecture, fit copies
        state, config = comm.broadcast_object(
            (state, model.get_config() if model is not None else None)
        )
        if model is None and config is not None:
            from ..wavenet import WaveNet

            model = WaveNet.from_config(config)
            model.compile(Adam(learning_rate=args.lr or 2e-3))
    if model is None:
        model = build_model(args)
        model.compile(Adam(learning_rate=args.lr or 2e-3))
    elif args.lr is not None:  # a resumed run at a new rate (e.g. lower for the last epochs)
        model.optimizer.learning_rate = args.lr
    if args.device != "cpu":
        model.to(args.device)
    steps = max(1, round(train.steps * args.epoch_share))
    timer = EpochTimer()
    checkpoint = RunCheckpoint(out, timer, state)
    if main:
        print(
            f"{model.name}: {len(model.dilations)} layers, receptive field "
            f"{model.receptive_field}, {sum(w.size for w in model.weights):,} weights; "
            f"{train.steps} batches a pass over {train.samples:,} samples, {steps} an epoch"
            + (f"; {comm.size} ranks" if comm is not None else ""),
            flush=True,
        )
    model.fit(
        train,
        steps_per_epoch=steps,
        epochs=args.epochs,
        initial_epoch=checkpoint.epochs_done,
        verbose=2,
        callbacks=[timer, checkpoint] if main else [timer],
        distributed=comm,
    )
    if not main:
        return 0
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
    if comm is not None:
        metrics["ranks"] = comm.size
    model.save(out / "model.tnz")
    write_json(out / "metrics.json", metrics, indent=1)
    print(f"test: {bits:.3f} bits/sample over {test.samples:,} samples", flush=True)
    return 0


def load_wavenet(path):
    """A saved WaveNet (importing tinynet.wavenet registers the class for the model file)."""
    from .. import wavenet  # noqa: F401
    from ..models import load_model

    return load_model(path)


def _mode(model):
    return "digits" if model.global_conditions else "vocoder"


def _lengths_by_pair(digits, speakers, clips):
    """{(digit, speaker id): [training clip lengths]}."""
    table = {}
    for d, s, c in zip(digits, _speaker_ids(speakers), clips):
        table.setdefault((int(d), int(s)), []).append(len(c))
    return table


def generate_digits(model, requests, lengths, batch=50, temperature=1.0, seed=0):
    """Clips (float32 arrays) for ``requests`` [(digit, speaker id)], each as long as a training
    clip of that pair drawn at random from ``lengths``; batched by length."""
    from ..wavenet.data import position_features
    from ..wavenet.generate import generate_clips

    rng = np.random.default_rng(seed)
    want = [int(rng.choice(lengths[(d, s)])) for d, s in requests]
    # one frame past each clip: the conditioning's 'same' convolution reads a frame ahead
    local = [position_features(n, -(-n // model.hop) + 1, model.hop) for n in want]
    return generate_clips(model, want, requests, local, 0.0, batch, temperature, rng)


def voice_templates(vocoder, templates, requests, lengths, batch=30, temperature=1.0, seed=0):
    """Two-stage generation: for each (digit, speaker id) of ``requests``, the mean spectrogram
    of ``templates`` (:class:`tinynet.wavenet.templates.MelTemplates`) at a length drawn from
    ``lengths``, voiced by the vocoder WaveNet."""
    from ..wavenet.data import SILENT_MEL, standardise_mel
    from ..wavenet.generate import generate_clips

    rng = np.random.default_rng(seed)
    want = [int(rng.choice(lengths[(d, s)])) for d, s in requests]
    local = [standardise_mel(templates.spectrogram(*r, n)) for r, n in zip(requests, want)]
    return generate_clips(vocoder, want, None, local, SILENT_MEL, batch, temperature, rng)


def resynthesize(model, clips, batch=30, temperature=1.0, seed=0):
    """Each clip regenerated from its own log-mel spectrogram (vocoder mode), batched by length."""
    from ..wavenet.data import SILENT_MEL, mel_features, standardise_mel
    from ..wavenet.generate import generate_clips

    local = [standardise_mel(mel_features(c, model.hop)) for c in clips]
    lengths = [len(c) for c in clips]
    rng = np.random.default_rng(seed)
    return generate_clips(model, lengths, None, local, SILENT_MEL, batch, temperature, rng)


def _write_examples(out, named_clips):
    from ..audio import write_wav

    out.mkdir(parents=True, exist_ok=True)
    for name, clip in named_clips:
        write_wav(out / f"{name}.wav", clip, 8000)


def _spectrogram_figure(path, rows):
    from ..plot.audio import spectrogram_pairs
    from ..wavenet.data import mel_features

    pairs = [(label, mel_features(a), mel_features(b)) for label, a, b in rows]
    spectrogram_pairs(pairs, path)


def _evaluate(args):
    from ..datasets import fsdd
    from ..models import load_model
    from ..wavenet.metrics import bits_per_sample, mel_distance_db, wilson_interval
    from .runs import write_json

    model = load_wavenet(args.model)
    mode = _mode(model)
    out = Path(args.out)
    if out.exists() and (out / "evaluation.json").exists() and not args.overwrite:
        sys.exit(f"tinynet wavenet evaluate: {out}/evaluation.json exists; give --overwrite")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    test, clips, digits, speakers = load_split("test", args.limit, mode)
    result = {"model": str(args.model), "mode": mode, "test_samples": test.samples}
    if not args.skip_bits:
        result["test_bits_per_sample"] = bits_per_sample(model, test)
        print(f"test: {result['test_bits_per_sample']:.3f} bits/sample", flush=True)
    result["bits_seconds"] = time.perf_counter() - t0
    classifier = load_model(args.classifier) if args.classifier else None
    from ..zoo.speech import classify_clips

    t0 = time.perf_counter()
    if mode == "digits":
        (tr_clips, tr_digits, tr_speakers), _ = fsdd.load_data()
        lengths = _lengths_by_pair(tr_digits, tr_speakers, tr_clips)
        requests = [(d, k % len(fsdd.SPEAKERS)) for d in range(10) for k in range(args.per_digit)]
        made = generate_digits(
            model, requests, lengths, temperature=args.temperature, seed=args.seed
        )
        result["generation_seconds"] = time.perf_counter() - t0
        result["generated_samples"] = int(sum(len(c) for c in made))
        wanted = np.array([d for d, _ in requests])
        if classifier is not None:
            read = classify_clips(classifier, made)
            hits = int((read == wanted).sum())
            low, high = wilson_interval(hits, len(made))
            result["read_back"] = {
                "share": hits / len(made),
                "n": len(made),
                "wilson95": [low, high],
            }
            result["read_back_by_digit"] = [
                float((read[wanted == d] == d).mean()) for d in range(10)
            ]
            print(f"read back as the requested digit: {hits}/{len(made)} ({low:.3f}-{high:.3f})")
        if args.vocoder:  # the two-stage path: mean spectrograms voiced by the vocoder
            from ..wavenet.templates import MelTemplates

            t1 = time.perf_counter()
            templates = MelTemplates(tr_clips, tr_digits, _speaker_ids(tr_speakers))
            voiced = voice_templates(
                load_wavenet(args.vocoder),
                templates,
                requests,
                lengths,
                temperature=args.temperature,
                seed=args.seed,
            )
            two = {"vocoder": str(args.vocoder), "seconds": time.perf_counter() - t1}
            if classifier is not None:
                read2 = classify_clips(classifier, voiced)
                hits2 = int((read2 == wanted).sum())
                two["share"], two["n"] = hits2 / len(voiced), len(voiced)
                two["wilson95"] = list(wilson_interval(hits2, len(voiced)))
                two["by_digit"] = [float((read2[wanted == d] == d).mean()) for d in range(10)]
                print(f"two-stage (templates + vocoder) read back: {hits2}/{len(voiced)}")
            result["two_stage"] = two
            _write_examples(
                out / "wav_two_stage",
                [
                    (f"digit{d}_{fsdd.SPEAKERS[k]}", voiced[i])
                    for i, (d, k) in enumerate(requests)
                    if i % args.per_digit == 1
                ],
            )
        first = {}  # one clip per digit, jackson's when there is one
        for i, (d, k) in enumerate(requests):
            if d not in first or (
                k == fsdd.SPEAKERS.index("jackson") and requests[first[d]][1] != k
            ):
                first[d] = i
        real = {int(d): c for c, d, s in zip(clips, digits, speakers) if s == "jackson"}
        _write_examples(out / "wav", [(f"digit{d}_jackson", made[i]) for d, i in first.items()])
        _spectrogram_figure(
            out / "spectrograms.png",
            [(f"digit {d}", real[d], made[first[d]]) for d in range(10) if d in real],
        )
    else:
        made = resynthesize(model, clips, temperature=args.temperature, seed=args.seed)
        result["generation_seconds"] = time.perf_counter() - t0
        result["generated_samples"] = int(sum(len(c) for c in made))
        dist = [mel_distance_db(a, b) for a, b in zip(clips, made)]
        result["mel_distance_db"] = {"mean": float(np.mean(dist)), "median": float(np.median(dist))}
        if classifier is not None:
            read = classify_clips(classifier, made)
            original = classify_clips(classifier, clips)
            hits = int((read == digits).sum())
            low, high = wilson_interval(hits, len(made))
            result["read_back"] = {
                "share": hits / len(made),
                "n": len(made),
                "wilson95": [low, high],
            }
            result["originals_read_back"] = float((original == digits).mean())
            print(f"resynthesis read back as its digit: {hits}/{len(made)} ({low:.3f}-{high:.3f})")
        picks = [i for i, s in enumerate(speakers) if s == "jackson" and i % 5 == 0][:10]
        _write_examples(
            out / "wav", [(f"digit{digits[i]}_jackson_resynth", made[i]) for i in picks]
        )
        _spectrogram_figure(
            out / "spectrograms.png", [(f"digit {digits[i]}", clips[i], made[i]) for i in picks]
        )
    result["samples_per_second"] = result["generated_samples"] / result["generation_seconds"]
    history = Path(args.model).parent / "checkpoint.json"
    if history.exists():  # the training curve beside the test figure and the baselines
        from ..plot.audio import bits_curve

        train_bits = json.loads(history.read_text())["history"].get("loss", [])
        curves = {"training clips (each epoch: 1/20 of a pass)": train_bits}
        if "test_bits_per_sample" in result:
            curves["test clips (end)"] = [float("nan")] * (len(train_bits) - 1) + [
                result["test_bits_per_sample"]
            ]
        baselines = json.loads(Path(args.baselines).read_text()) if args.baselines else None
        bits_curve(curves, out / "bits.png", baselines)
    write_json(out / "evaluation.json", result, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "read_back_by_digit"}))
    return 0


def _generate(args):
    from ..datasets import fsdd

    model = load_wavenet(args.model)
    if _mode(model) != "digits":
        sys.exit("tinynet wavenet generate: the model is a vocoder; evaluate resynthesises")
    if args.speaker not in fsdd.SPEAKERS:
        sys.exit(
            f"tinynet wavenet generate: unknown speaker {args.speaker!r}; known: {fsdd.SPEAKERS}"
        )
    if not 0 <= args.digit <= 9 or args.n < 1:
        sys.exit("tinynet wavenet generate: --digit must be 0-9 and --n >= 1")
    (clips, digits, speakers), (test_clips, test_digits, test_speakers) = fsdd.load_data()
    lengths = _lengths_by_pair(digits, speakers, clips)
    speaker = fsdd.SPEAKERS.index(args.speaker)
    made = generate_digits(
        model,
        [(args.digit, speaker)] * args.n,
        lengths,
        temperature=args.temperature,
        seed=args.seed,
    )
    out = Path(args.out)
    _write_examples(out, [(f"digit{args.digit}_{args.speaker}_{i}", c) for i, c in enumerate(made)])
    real = [
        c
        for c, d, s in zip(test_clips, test_digits, test_speakers)
        if d == args.digit and s == args.speaker
    ]
    _spectrogram_figure(
        out / "spectrograms.png",
        [
            (f"{args.speaker} {args.digit} #{i}", real[i % len(real)], c)
            for i, c in enumerate(made[:5])
        ],
    )
    print(f"wrote {len(made)} WAV files and spectrograms.png to {out}")
    return 0


def _baselines(args):
    from ..datasets import fsdd
    from ..wavenet.baselines import all_baselines
    from ..wavenet.data import encode_clip
    from .runs import write_json

    (train, _, _), (test, _, _) = fsdd.load_data()
    result = all_baselines([encode_clip(c) for c in train], [encode_clip(c) for c in test])
    print(json.dumps(result, indent=1))
    if args.out:
        write_json(args.out, result, indent=1)
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
    t.add_argument("--local-hidden", type=int, default=32, help="frame-rate network width")
    t.add_argument("--local-layers", type=int, default=1, help="frame-rate network depth")
    t.add_argument(
        "--global-to-local",
        action="store_true",
        help="digits mode: the frame-rate network also reads the digit and speaker embeddings",
    )
    t.add_argument(
        "--lr", type=float, default=None, help="Adam's rate (default 2e-3; with --resume: kept)"
    )
    t.add_argument("--limit", type=int, default=None, help="train on this many clips (fast mode)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="cpu")
    t.add_argument("--out", default="runs/wavenet/digits")
    t.add_argument("--resume", action="store_true")
    t.add_argument("--overwrite", action="store_true")
    t.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel over the processes of mpiexec (mpiexec -n 2 tinynet wavenet train "
        "--distributed); each batch of clips is split over the ranks; rank 0 writes the files",
    )
    t.set_defaults(run=_train)
    e = sub.add_parser("evaluate", help="test bits/sample, generation and its read-back")
    e.add_argument("model")
    e.add_argument("--classifier", default=None, help="a spoken-digit classifier (.tnz)")
    e.add_argument("--per-digit", type=int, default=50)
    e.add_argument(
        "--vocoder",
        default=None,
        help="digits mode: also voice mean spectrograms with this vocoder",
    )
    e.add_argument("--temperature", type=float, default=1.0)
    e.add_argument("--limit", type=int, default=None)
    e.add_argument("--skip-bits", action="store_true")
    e.add_argument("--baselines", default=None, help="baselines JSON for the curve figure")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--out", default="runs/wavenet/evaluation")
    e.add_argument("--overwrite", action="store_true")
    e.set_defaults(run=_evaluate)
    g = sub.add_parser("generate", help="WAV files of a digit said by a speaker")
    g.add_argument("model")
    g.add_argument("--digit", type=int, default=7)
    g.add_argument("--speaker", default="jackson")
    g.add_argument("--n", type=int, default=10)
    g.add_argument("--temperature", type=float, default=1.0)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", default="runs/wavenet/generated")
    g.set_defaults(run=_generate)
    b = sub.add_parser("baselines", help="bits/sample of simple models of the same codes")
    b.add_argument("--out", default=None, help="a JSON file for the figures")
    b.set_defaults(run=_baselines)
    return parser


def main(argv=None):
    from .. import threads
    from ..backend import tune_malloc

    tune_malloc()  # as the tinynet command does: big freed buffers are reused, not unmapped
    threads.disable()  # WaveNet's GEMMs are small: OpenBLAS's own threads run them faster
    parser = configure(argparse.ArgumentParser(prog="tinynet wavenet", description=__doc__))
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
