"""How well a WaveNet predicts held-out clips: bits per real sample."""

import math

from .. import functional as F
from ..autograd import no_grad


def bits_per_sample(model, batches):
    """The mean negative log2-likelihood of every real (weight-1) sample of ``batches``
    (:class:`tinynet.wavenet.data.ClipBatches`), one pass in order: each batch's weighted mean
    times its count of samples, summed, over the total count."""
    total_bits = total = 0.0
    with no_grad():
        for arrays in batches.epoch():
            codes, targets, weights, conditions, local = model.device_batch(arrays)
            logits = model.forward(codes, conditions, local)
            nats = F.sparse_softmax_cross_entropy(logits, targets, weights, axis=1)
            count = float(arrays[2].sum())
            total_bits += float(nats.data) / math.log(2.0) * count
            total += count
    return total_bits / total


def wilson_interval(successes, n, z=1.96):
    """The Wilson score interval (low, high) of a binomial share at ~95% (z = 1.96)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def mel_distance_db(original, resynthesis, hop=64):
    """Mean absolute difference, in dB, of the log-mel spectrograms of two clips (the shorter
    length of the two)."""
    from .data import mel_features

    n = min(len(original), len(resynthesis))
    a, b = mel_features(original[:n], hop), mel_features(resynthesis[:n], hop)
    return float(10 / math.log(10) * abs(a - b).mean())
