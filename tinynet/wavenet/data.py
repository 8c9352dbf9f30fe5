"""Clips as WaveNet sees them: mu-law coded, in batches of whole clips.

A clip of L samples becomes codes c (L,) in 0..255, at its recorded level by default (PEAK =
None): the preprocessing of the baselines the WaveNet issue states, so bits per sample compare;
``peak`` normalises each clip's peak first (FSDD's speakers differ ~15x in level, and a
normalised clip spreads over more codes: the unigram entropy grows by about 0.65 bits). The model reads, at position t, the code of
sample t - 1 (the code of silence, :data:`SILENCE`, before the clip) and is scored on c[t]; so a
whole clip is one training example, its first samples predicted from silence as they really
follow it. Clips of similar length are batched together (sorted by length, then grouped up to a
budget of samples), padded on the right to a multiple of the hop, and the padding weighs 0.

Local conditioning per clip, at frame rate (hop samples a frame): the log-mel spectrogram of the
clip (the vocoder), or :func:`position_features` (where in the clip each frame lies, for
generation conditioned on the digit and a chosen length).
"""

import numpy as np

from ..audio import log_mel_spectrogram, mu_law_decode, mu_law_encode, normalize_peak, to_float

LEVELS = 256
SILENCE = int(mu_law_encode(np.zeros(1), LEVELS)[0])
PEAK = None
MEL = dict(sr=8000, n_fft=256, n_mels=40)


def _level(samples, peak):
    return to_float(samples, "float32") if peak is None else normalize_peak(samples, peak)


def encode_clip(samples, peak=PEAK):
    """int16 or float samples (L,) -> mu-law codes (L,) int64 (of the clip scaled to ``peak``
    first unless it is None)."""
    return mu_law_encode(_level(samples, peak), LEVELS).astype(np.int64)


def decode_codes(codes):
    """Codes (..., L) -> float32 samples in [-1, 1]."""
    return mu_law_decode(codes, LEVELS)


# log-mel values of FSDD's training clips have mean -8.8 and standard deviation 2.9 (floor
# log(1e-5) = -11.5): standardised, they reach a network's tanh without saturating it
MEL_MEAN, MEL_STD = -8.8, 2.9


def mel_features(samples, hop=64, peak=PEAK):
    """The log-mel spectrogram (n_mels, 1 + L // hop) of the clip (at ``peak`` unless None),
    float32, natural log of the mel power (floor 1e-5)."""
    x = _level(samples, peak).astype(np.float32)
    return log_mel_spectrogram(x, hop=hop, **MEL).astype(np.float32)


def standardise_mel(spec):
    """Log-mel values as a vocoder reads them: (spec - MEL_MEAN) / MEL_STD."""
    return ((spec - MEL_MEAN) / MEL_STD).astype(np.float32)


SILENT_MEL = float(standardise_mel(np.log(np.float32(1e-5))))  # the floor, standardised


POSITION_CHANNELS = 6


def position_features(length, frames, hop=64):
    """(POSITION_CHANNELS, frames) float32: for frame f, the share u of the clip already said at
    its middle sample (can exceed 1 in padding), sin and cos of pi*u and 2*pi*u, and whether the
    frame is inside the clip. Given a length, it tells a model where in the word it is."""
    u = (np.arange(frames) * hop + hop / 2) / float(length)
    inside = (u <= 1).astype(np.float64)
    feats = [u, np.sin(np.pi * u), np.cos(np.pi * u), np.sin(2 * np.pi * u), np.cos(2 * np.pi * u)]
    return np.stack(feats + [inside]).astype(np.float32)


def _fit_frames(feats, frames, fill):
    """feats (M, F) cropped or padded (with ``fill``) to (M, frames)."""
    out = np.full((feats.shape[0], frames), fill, dtype=np.float32)
    n = min(frames, feats.shape[1])
    out[:, :n] = feats[:, :n]
    return out


class ClipBatches:
    """An endless iterator of WaveNet batches over ``codes`` (a list of (L_i,) code arrays):
    each item is (codes_in (n, L), targets (n, L), weights (n, L) float32, conditions (n, k)
    int64 or None, local (n, M, L // hop) float32 or None). ``steps`` batches make one epoch,
    every clip once; with ``shuffle`` each epoch visits the batches in a new order.

    conditions: (num_clips, k) integers (e.g. digit and speaker ids) or None; local: "mel" (the
    clips' log-mel, from ``samples``), "position" (:func:`position_features`), or None.
    ``max_samples`` bounds n * L of a batch, ``max_clips`` its n."""

    def __init__(
        self,
        codes,
        conditions=None,
        local=None,
        samples=None,
        hop=64,
        max_samples=32768,
        max_clips=16,
        shuffle=True,
        seed=0,
    ):
        if local not in (None, "mel", "position"):
            raise ValueError(f"ClipBatches: local must be None, 'mel' or 'position', got {local!r}")
        if local == "mel" and samples is None:
            raise ValueError("ClipBatches: local='mel' needs the clips' samples")
        if not codes:
            raise ValueError("ClipBatches: no clips")
        self.codes = [np.asarray(c, dtype=np.int64) for c in codes]
        self.conditions = None if conditions is None else np.asarray(conditions, dtype=np.int64)
        if self.conditions is not None and len(self.conditions) != len(self.codes):
            raise ValueError(
                f"ClipBatches: {len(self.conditions)} condition rows for {len(self.codes)} clips"
            )
        self.local, self.hop = local, int(hop)
        self.mels = (
            [standardise_mel(mel_features(s, hop)) for s in samples] if local == "mel" else None
        )
        self.rng = np.random.default_rng(seed)
        self.shuffle = shuffle
        order = np.argsort([len(c) for c in self.codes], kind="stable")
        self.batches, current = [], []
        for i in order:
            longest = len(self.codes[i])  # the order is by length: the newest is the longest
            if current and (
                (len(current) + 1) * self._padded(longest) > max_samples
                or len(current) >= max_clips
            ):
                self.batches.append(current)
                current = []
            current.append(int(i))
        self.batches.append(current)
        self._queue = []

    def _padded(self, n):
        return -(-n // self.hop) * self.hop

    @property
    def steps(self):
        """Batches per epoch."""
        return len(self.batches)

    @property
    def samples(self):
        """Real (weighted) samples per epoch."""
        return sum(len(c) for c in self.codes)

    def __iter__(self):
        return self

    def __next__(self):
        if not self._queue:
            order = self.rng.permutation(self.steps) if self.shuffle else range(self.steps)
            self._queue = [self.batches[i] for i in order][::-1]
        return self.batch(self._queue.pop())

    def epoch(self):
        """One pass over every batch, in order (for evaluation)."""
        return (self.batch(ids) for ids in self.batches)

    def batch(self, ids):
        """The batch of clips ``ids`` (see the class docstring)."""
        lengths = [len(self.codes[i]) for i in ids]
        L = self._padded(max(lengths))
        n, frames = len(ids), L // self.hop
        targets = np.full((n, L), SILENCE, dtype=np.int64)
        weights = np.zeros((n, L), dtype=np.float32)
        for row, (i, length) in enumerate(zip(ids, lengths)):
            targets[row, :length] = self.codes[i]
            weights[row, :length] = 1
        codes_in = np.concatenate([np.full((n, 1), SILENCE, np.int64), targets[:, :-1]], axis=1)
        conditions = None if self.conditions is None else self.conditions[ids]
        local = None
        if self.local == "mel":
            fill = SILENT_MEL
            local = np.stack([_fit_frames(self.mels[i], frames, fill) for i in ids])
        elif self.local == "position":
            local = np.stack([position_features(length, frames, self.hop) for length in lengths])
        return codes_in, targets, weights, conditions, local
