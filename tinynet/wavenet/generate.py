"""Sampling from a WaveNet, one sample at a time.

:func:`generate` runs the fast algorithm of Paine et al. (2016, "Fast Wavenet Generation
Algorithm"): each layer keeps a queue of its past inputs, so a new sample costs one step per
layer (a few (N, C) x (C, C') products) instead of a forward pass over the receptive field.
:func:`generate_naive` recomputes that forward pass for every sample with the model's own
forward; it is kept as the oracle: from the same uniforms both give the same codes.

A sample is drawn from softmax(logits / temperature) by inverting its CDF at a uniform u
(temperature 0: the most likely code), so the uniforms fix the result.
"""

import numpy as np

from ..autograd import no_grad
from ..backend import asnumpy, get_array_module, to_device
from .data import SILENCE, decode_codes


def draw(logits, u, temperature=1.0):
    """Codes (N,) from logits (N, K) at uniforms u (N,): the first code whose CDF passes u."""
    xp = get_array_module(logits)
    if temperature == 0:
        return logits.argmax(axis=1)
    z = logits.astype(xp.float64) * (1 / temperature)
    cdf = xp.cumsum(xp.exp(z - z.max(axis=1, keepdims=True)), axis=1)
    return xp.minimum((cdf < u[:, None] * cdf[:, -1:]).sum(axis=1), logits.shape[1] - 1)


def _inputs(model, n, length, conditions, local, uniforms, seed):
    """Checked (conditions, local, uniforms) on the model's device."""
    if model.global_conditions:
        if conditions is None:
            raise ValueError(
                f"generate: {model.name} needs conditions {list(model.global_conditions)}"
            )
        conditions = np.asarray(conditions, dtype=np.int64).reshape(n, -1)
    if model.local_channels:
        frames = -(-length // model.hop)
        if local is None or np.shape(local)[:1] + np.shape(local)[2:] != (n, frames):
            raise ValueError(
                f"generate: {model.name} needs local features (N={n}, {model.local_channels}, "
                f"{frames}) for {length} samples, got {None if local is None else np.shape(local)}"
            )
        local = np.asarray(local, dtype=model.dtype)
    if uniforms is None:
        uniforms = np.random.default_rng(seed).random((n, length))
    uniforms = np.asarray(uniforms, dtype=np.float64)
    if uniforms.shape != (n, length):
        raise ValueError(f"generate: uniforms must be ({n}, {length}), got {uniforms.shape}")
    dev = model.device
    return (
        None if conditions is None else to_device(conditions, dev),
        None if local is None else to_device(local, dev),
        to_device(uniforms, dev),
    )


def _gate_terms(model, conditions, local, n, length):
    """Per frame f and layer i, what the gate adds besides its taps: bias + global + local,
    as an array (frames, layers, N, 2G) (one frame when there are no local features)."""
    layers, G2 = len(model.dilations), 2 * model.gate_channels
    frames = -(-length // model.hop) if model.local_channels else 1
    with no_grad():
        glob, loc = model.gate_conditions(conditions, local)
    bias = model.dilated[0].bias.data
    xp = get_array_module(bias)
    terms = xp.zeros((frames, layers, n, G2), dtype=model.dtype)
    terms += xp.stack([c.bias.data for c in model.dilated])[None, :, None, :]
    if glob is not None:  # (N, layers, 2G, 1)
        terms += glob.data[..., 0].transpose(1, 0, 2)[None]
    if loc is not None:  # (N, layers, 2G, frames, 1)
        terms += loc.data[..., 0].transpose(3, 1, 0, 2)
    return terms


class _Queue:
    """The past inputs of one causal convolution of kernel k and dilation d: a ring of
    (k - 1) * d rows (N, C), each ``fill`` before the clip."""

    def __init__(self, xp, k, d, n, c, dtype, fill=0):
        self.k, self.d = k, d
        self.size = max(1, (k - 1) * d)
        self.ring = xp.zeros((self.size, n, c), dtype=dtype)
        self.ring += fill

    def taps(self, t):
        """The inputs at t - (k - 1) * d, ..., t - d (tap order 0 .. k - 2)."""
        if self.k == 2:
            return (self.ring[t % self.size],)
        return [self.ring[(t - m * self.d) % self.size] for m in range(self.k - 1, 0, -1)]

    def push(self, t, x):
        self.ring[t % self.size] = x


def _tap_weights(conv):
    """A Conv1D kernel (C_out, C, k) as k contiguous (C, C_out) matrices, tap order."""
    w = conv.kernel.data
    xp = get_array_module(w)
    return [xp.ascontiguousarray(w[:, :, j].T) for j in range(w.shape[2])]


def _one_by_one(conv):
    return _tap_weights(conv)[0], conv.bias.data


def generate(
    model, length, n=1, conditions=None, local=None, temperature=1.0, uniforms=None, seed=0
):
    """Codes (n, length) sampled by the cached algorithm (see the module docstring).

    conditions: (n, k) integers for a globally conditioned model; local: (n, M, frames) features
    covering ``length`` samples (frames = ceil(length / hop)); uniforms: (n, length) in [0, 1)
    (default: drawn from ``seed``).

    Per sample and layer: the taps' products, one tanh for both halves of the gate (the sigmoid
    half's weights are halved beforehand, as sigmoid(b) = (tanh(b / 2) + 1) / 2, and the final
    1/2 goes into the residual and skip weights), the residual product; the skip products of all
    layers are one product at the end of the step, on the gates gathered side by side."""
    conditions, local, uniforms = _inputs(model, n, length, conditions, local, uniforms, seed)
    terms = _gate_terms(model, conditions, local, n, length)
    xp = get_array_module(terms)
    dt, k, G = model.dtype, model.kernel_size, model.gate_channels
    R, layers = model.residual_channels, len(model.dilations)
    half = xp.concatenate([xp.ones(G, dtype=dt), xp.full(G, 0.5, dtype=dt)])
    table = model.input_embedding.embeddings.data
    in_taps = _tap_weights(model.input_conv)
    in_queue = _Queue(xp, k, 1, n, R, dt)
    dil = [[w * half for w in _tap_weights(c)] for c in model.dilated]
    res = [(w * 0.5, b) for w, b in (_one_by_one(c) for c in model.residual)]
    # The residual stream x_i = x~_i + B_i: its biases B_i (input conv's, then the residual
    # convs' summed) go into the gate terms, and the history holds x~, -B_i before the clip
    # (where x is 0).
    B = model.input_conv.bias.data.copy()
    biases = []
    for i in range(layers):
        biases.append(B)
        terms[:, i] += B @ sum(_tap_weights(model.dilated[i]))
        if i < len(res):
            B = B + res[i][1]
    terms = terms * half
    # Every layer's inputs of the last S steps in one ring (S: the longest tap reach), so the
    # past taps of all layers are one gather and one batched product per step.
    S = max((k - 1) * d for d in model.dilations)
    history = xp.empty((S, layers, n, R), dtype=dt)
    history[...] = xp.stack(biases)[None, :, None, :] * -1
    reach = xp.array([[m * d for d in model.dilations] for m in range(k - 1, 0, -1)])
    layer_ids = xp.arange(layers)[None, :]
    past_w = xp.stack([xp.stack([taps[j] for taps in dil]) for j in range(k - 1)])
    now_w = [taps[-1] for taps in dil]
    skip_w = xp.concatenate([_one_by_one(c)[0] * 0.5 for c in model.skip])  # (layers*G, S)
    skip_b = sum(c.bias.data for c in model.skip)
    gates = xp.empty((n, layers * G), dtype=dt)
    hid_w, hid_b = _one_by_one(model.head_hidden)
    out_w, out_b = _one_by_one(model.head_out)
    codes = xp.zeros((n, length), dtype=xp.int64)
    previous = xp.full(n, SILENCE, dtype=xp.int64)
    hop = model.hop if model.local_channels else length + 1
    dot = xp.dot  # less overhead than matmul on these small matrices
    for t in range(length):
        pasts = history[(t - reach) % S, layer_ids]  # (k - 1, layers, n, R)
        carried = xp.matmul(pasts, past_w).sum(axis=0)  # (layers, n, 2G)
        carried += terms[t // hop]
        now = history[t % S]
        e = table[previous]
        x = dot(e, in_taps[-1])
        for w, past in zip(in_taps, in_queue.taps(t)):
            x += dot(past, w)
        now[0] = x
        x = now[0]
        in_queue.push(t, e)
        for i in range(layers):
            z = dot(x, now_w[i])
            z += carried[i]
            th = xp.tanh(z)
            h = gates[:, i * G : (i + 1) * G]
            xp.multiply(th[:, :G], th[:, G:] + 1, out=h)  # twice the gate (halved weights after)
            if i < layers - 1:
                x = now[i + 1]
                xp.add(now[i], dot(h, res[i][0]), out=x)
        skips = dot(gates, skip_w)
        skips += skip_b
        hidden = xp.maximum(dot(xp.maximum(skips, 0), hid_w) + hid_b, 0)
        previous = draw(dot(hidden, out_w) + out_b, uniforms[:, t], temperature)
        codes[:, t] = previous
    return asnumpy(codes)


def generate_naive(
    model, length, n=1, conditions=None, local=None, temperature=1.0, uniforms=None, seed=0
):
    """The codes of :func:`generate`, each sample from a fresh forward pass over its receptive
    field (the window starts on a frame boundary, so local features stay aligned)."""
    conditions, local, uniforms = _inputs(model, n, length, conditions, local, uniforms, seed)
    xp = get_array_module(uniforms)
    codes_in = xp.full((n, length + 1), SILENCE, dtype=xp.int64)
    with no_grad():
        glob, loc = model.gate_conditions(conditions, local)
        for t in range(length):
            logits = naive_logits(model, codes_in, t, glob, loc)
            codes_in[:, t + 1] = draw(logits, uniforms[:, t], temperature)
    return asnumpy(codes_in[:, 1:])


def naive_logits(model, codes_in, t, glob=None, loc=None):
    """One step of the naive path: the logits (N, classes) for sample t from a forward pass over
    the window of ``codes_in`` (N, > t) that covers t's receptive field, whole frames of it
    (padded with silence past the end). glob, loc: :meth:`WaveNet.gate_conditions`."""
    xp = get_array_module(codes_in)
    n, hop, field = (
        codes_in.shape[0],
        model.hop if model.local_channels else 1,
        model.receptive_field,
    )
    start = max(0, (t - field + 1) // hop * hop)
    end = -(-(t + 1) // hop) * hop
    window = codes_in[:, start:end]
    if window.shape[1] < end - start:  # past the requested length: pad with silence
        pad = xp.full((n, end - start - window.shape[1]), SILENCE, dtype=xp.int64)
        window = xp.concatenate([window, pad], axis=1)
    frames = None if loc is None else loc[:, :, :, start // hop : end // hop]
    return model.forward_conditioned(window, glob, frames).data[:, :, t - start]


def generate_clips(
    model, lengths, conditions=None, local=None, fill=0.0, batch=50, temperature=1.0, rng=None
):
    """Float32 clips of the given ``lengths``, generated by :func:`generate` in batches of
    similar length (sorted, ``batch`` at a time). conditions: (n, k) integers or None; local: a
    list of per-clip features (M, F_i) or None, padded with ``fill`` to each batch's frames
    (nothing generated past a clip's end is kept; give the frame after the clip too where the
    local conditioning reads a frame ahead). Each batch's uniforms are seeded from ``rng``."""
    rng = np.random.default_rng() if rng is None else rng
    order = np.argsort(lengths, kind="stable")
    out = [None] * len(lengths)
    for start in range(0, len(order), batch):
        ids = order[start : start + batch]
        T = max(lengths[i] for i in ids)
        feats = None
        if local is not None:
            frames = -(-T // model.hop)
            feats = np.full((len(ids), model.local_channels, frames), fill, dtype=np.float32)
            for row, i in enumerate(ids):
                f = local[i][:, :frames]
                feats[row, :, : f.shape[1]] = f
        cond = None if conditions is None else np.asarray(conditions)[ids]
        codes = generate(
            model, T, len(ids), cond, feats, temperature, seed=int(rng.integers(1 << 30))
        )
        for row, i in enumerate(ids):
            out[i] = decode_codes(codes[row, : lengths[i]])
    return out
