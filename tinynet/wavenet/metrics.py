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
