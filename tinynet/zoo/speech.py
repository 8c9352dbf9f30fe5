"""A spoken-digit classifier: a small CNN on log-mel spectrograms of 1 s of 8 kHz speech.

    from tinynet.zoo import speech
    x = speech.clip_features(clips)                 # list of (L,) clips -> float32 (N, 1, 40, 63)
    model = speech.digit_classifier()               # (N, 1, 40, 63) -> (N, 10) probabilities
    digits = speech.classify_clips(model, clips)    # int64 (N,), the same preprocessing as training

Preprocessing (one place, so training, evaluation and the WaveNet's judge agree): each clip is
peak-normalised to 0.95 (FSDD's speakers record at very different levels), placed centred in
LENGTH = 8000 samples (1 s; longer clips are cropped at both ends), and turned into a log-mel
spectrogram (n_fft 256 = 32 ms, hop 128 = 16 ms, 40 Slaney mel bands 0-4 kHz, log(power +
1e-5)); the coarser hop halves the CNN's cost, and a spoken digit (about 0.4 s) still spans some 25
frames.
:class:`ClipBatches` draws training batches with a random time shift and, sometimes, a mu-law
round trip (so that 8-bit audio, such as a WaveNet's output, reads like the original).
Gain augmentation would be a no-op here: the peak normalisation undoes it.
"""

import math

import numpy as np

from ..audio import fix_length, log_mel_spectrogram, mu_law_decode, mu_law_encode, normalize_peak
from ..layers import (
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPooling2D,
)
from ..models import Sequential

SAMPLE_RATE = 8000
LENGTH = 8000
N_FFT, HOP, N_MELS = 256, 128, 40
FRAMES = 1 + LENGTH // HOP
PEAK = 0.95


def _check_clips(clips, who):
    if len(clips) == 0:
        raise ValueError(f"{who}: clips is empty")
    for i, c in enumerate(clips):
        if np.ndim(c) != 1 or len(c) == 0:
            raise ValueError(
                f"{who}: clip {i} must be a non-empty 1-D array of samples, got shape {np.shape(c)}"
            )


def clip_features(clips, shifts=None, mu_law=None, length=LENGTH, n_mels=N_MELS):
    """Clips (a list of (L,) int16 or float arrays at 8 kHz) -> float32 (N, 1, n_mels, frames),
    frames = 1 + length // HOP.

    shifts: optional int (N,) samples to move each clip right of centre (negative: left);
    mu_law: optional bool (N,), which clips go through a 256-level mu-law round trip after the
    peak normalisation."""
    _check_clips(clips, "clip_features")
    n = len(clips)
    shifts = np.zeros(n, np.int64) if shifts is None else np.asarray(shifts)
    mu_law = np.zeros(n, bool) if mu_law is None else np.asarray(mu_law, bool)
    batch = np.zeros((n, length), np.float32)
    for i, clip in enumerate(clips):
        x = normalize_peak(np.asarray(clip), PEAK).astype(np.float32)
        if mu_law[i]:
            x = mu_law_decode(mu_law_encode(x))
        batch[i] = fix_length(x, length, (length - len(x)) // 2 + int(shifts[i]))
    mel = log_mel_spectrogram(batch, sr=SAMPLE_RATE, n_fft=N_FFT, hop=HOP, n_mels=n_mels)
    return mel[:, None]


class ClipBatches:
    """Endless training batches ``(x, y_onehot)`` of augmented clips, ``len()`` batches an epoch.

    Each epoch visits the clips in a fresh order; each clip is shifted by a uniform
    -max_shift..max_shift samples (kept so that at least half the clip stays inside the window)
    and goes through a mu-law round trip with probability ``mu_law_prob``."""

    def __init__(self, clips, digits, batch_size=64, max_shift=1600, mu_law_prob=0.3, seed=0):
        _check_clips(clips, "ClipBatches")
        if len(digits) != len(clips):
            raise ValueError(f"ClipBatches: {len(digits)} digits for {len(clips)} clips")
        self.clips, self.digits = list(clips), np.asarray(digits, np.int64)
        self.batch_size, self.max_shift, self.mu_law_prob = int(batch_size), max_shift, mu_law_prob
        self.rng = np.random.default_rng(seed)
        self._order, self._pos = self.rng.permutation(len(self.clips)), 0

    def __len__(self):
        return math.ceil(len(self.clips) / self.batch_size)

    def __iter__(self):
        return self

    def __next__(self):
        if self._pos >= len(self._order):
            self._order, self._pos = self.rng.permutation(len(self.clips)), 0
        idx = self._order[self._pos : self._pos + self.batch_size]
        self._pos += self.batch_size
        clips = [self.clips[i] for i in idx]
        # at most half of the room the clip leaves, so a long clip is never pushed mostly out
        room = np.array([max(LENGTH - len(c), 0) // 2 + len(c) // 4 for c in clips])
        limit = np.minimum(room, self.max_shift)
        shifts = np.round(self.rng.uniform(-1, 1, len(idx)) * limit).astype(np.int64)
        mu_law = self.rng.random(len(idx)) < self.mu_law_prob
        x = clip_features(clips, shifts, mu_law)
        y = np.eye(10, dtype=np.float32)[self.digits[idx]]
        return x, y


def digit_classifier(n_mels=N_MELS, frames=FRAMES, classes=10, widths=(32, 64, 128)):
    """A small CNN on log-mel spectrograms (N, 1, n_mels, frames) -> (N, classes) softmax.

    BatchNormalization of the input (log-mels are far from zero mean and unit spread); three
    stages of conv 3x3 (no bias) - BN - relu - maxpool 2 with ``widths`` channels; a last conv of
    the widest width; average over the remaining time-frequency grid (little sensitivity to
    where the word sits); dropout 0.3; dense ``classes`` softmax."""
    layers = [BatchNormalization(momentum=0.9, input_shape=(1, n_mels, frames))]
    for width in widths:
        layers += [
            Conv2D(width, kernel_size=3, padding="same", use_bias=False),
            BatchNormalization(momentum=0.9),
            Activation("relu"),
            MaxPooling2D(pool_size=(2, 2)),
        ]
    grid = (n_mels // 2 ** len(widths), frames // 2 ** len(widths))
    layers += [
        Conv2D(widths[-1], kernel_size=3, padding="same", use_bias=False),
        BatchNormalization(momentum=0.9),
        Activation("relu"),
        AveragePooling2D(pool_size=grid),
        Flatten(),
        Dropout(0.3),
        Dense(classes),
        Activation("softmax"),
    ]
    return Sequential(layers, name="digit_classifier")


def classify_clips(model, clips, sr=SAMPLE_RATE, batch_size=100, probabilities=False):
    """Predicted digits int64 (N,) of ``clips`` (a list of (L,) int16 or float arrays) with the
    preprocessing of training (:func:`clip_features`); ``probabilities=True`` returns the
    (N, 10) softmax outputs instead. Only 8 kHz audio (no resampling)."""
    if sr != SAMPLE_RATE:
        raise ValueError(f"classify_clips: sr must be {SAMPLE_RATE} Hz (no resampling), got {sr}")
    _check_clips(clips, "classify_clips")
    probs = np.concatenate(
        [
            model.predict(clip_features(clips[i : i + batch_size]), batch_size=batch_size)
            for i in range(0, len(clips), batch_size)
        ]
    )
    return probs if probabilities else probs.argmax(axis=1).astype(np.int64)
