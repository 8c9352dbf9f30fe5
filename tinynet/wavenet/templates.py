"""A plain acoustic model for two-stage generation: the mean log-mel spectrogram of each digit
and speaker, time-normalised, to be voiced by a WaveNet vocoder.

Each training clip's log-mel (n_mels, F_i) is resampled to ``frames`` frames (linear
interpolation along time), and the clips of one (digit, speaker) pair are averaged; a request
for a length resamples the mean back to that length's frame count. It is the mean of a Gaussian
over time-normalised spectrograms: crude, but it says which digit, and the vocoder says it.
"""

import numpy as np

from .data import mel_features


def resample_frames(spec, frames):
    """spec (M, F) -> (M, frames) by linear interpolation along time (ends kept)."""
    src = np.linspace(0, spec.shape[1] - 1, frames)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, spec.shape[1] - 1)
    w = (src - lo).astype(spec.dtype)
    return spec[:, lo] * (1 - w) + spec[:, hi] * w


class MelTemplates:
    """Mean time-normalised log-mels per (digit, speaker id), from training clips."""

    def __init__(self, clips, digits, speaker_ids, hop=64, frames=48):
        self.hop, self.frames = hop, frames
        sums, counts = {}, {}
        for clip, d, s in zip(clips, digits, speaker_ids):
            key = (int(d), int(s))
            spec = resample_frames(mel_features(clip, hop), frames)
            sums[key] = sums.get(key, 0) + spec
            counts[key] = counts.get(key, 0) + 1
        self.means = {k: (sums[k] / counts[k]).astype(np.float32) for k in sums}

    def spectrogram(self, digit, speaker, length):
        """The (n_mels, ceil(length / hop)) template of a clip of ``length`` samples."""
        key = (int(digit), int(speaker))
        if key not in self.means:
            raise KeyError(f"MelTemplates: no training clips of digit {digit} by speaker {speaker}")
        return resample_frames(self.means[key], -(-length // self.hop))
