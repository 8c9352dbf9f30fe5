"""Weight initializers, Keras-style, drawing from the seeded generator of ``tinynet.backend``.

    init = initializers.get("glorot_uniform")       # or "he_normal", "zeros", RandomNormal(0, 0.05)
    w = init((784, 128), "float32")                 # a NumPy array; fans taken from the shape

Fans: a matrix (in, out) has fan_in = in, fan_out = out; a convolution kernel
(C_out, C_in, kh, kw) has fan_in = C_in*kh*kw and fan_out = C_out*kh*kw. A layer whose kernel is
laid out differently (Conv2DTranspose) passes ``fans=(fan_in, fan_out)`` itself.
``tinynet.seed(n)`` makes every initialization that follows deterministic. Arrays are made on the
CPU; a model moves them with ``model.to("gpu")``.
"""

import math

import numpy as np

from ..backend import rng


def compute_fans(shape):
    """(fan_in, fan_out) of a weight shape (see the module docstring)."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive


class Initializer:
    """``init(shape, dtype="float32", fans=None)`` -> NumPy array of that shape and dtype."""

    def __call__(self, shape, dtype="float32", fans=None):
        return np.asarray(self.sample(tuple(shape), fans or compute_fans(shape)), dtype=dtype)

    def sample(self, shape, fans):
        raise NotImplementedError

    def get_config(self):
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    def sample(self, shape, fans):
        return np.zeros(shape)


class Ones(Initializer):
    def sample(self, shape, fans):
        return np.ones(shape)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = float(value)

    def sample(self, shape, fans):
        return np.full(shape, self.value)

    def get_config(self):
        return {"value": self.value}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05):
        self.mean, self.stddev = float(mean), float(stddev)

    def sample(self, shape, fans):
        return rng().normal(self.mean, self.stddev, shape)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev}


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05):
        self.minval, self.maxval = float(minval), float(maxval)

    def sample(self, shape, fans):
        return rng().uniform(self.minval, self.maxval, shape)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval}


def _truncated_normal(shape, mean, stddev):
    """Normal samples redrawn until within two standard deviations of the mean."""
    gen = rng()
    out = gen.standard_normal(shape)
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return mean + stddev * out


class TruncatedNormal(RandomNormal):
    def sample(self, shape, fans):
        return _truncated_normal(shape, self.mean, self.stddev)


class VarianceScaling(Initializer):
    """Variance ``scale / n`` where n is fan_in, fan_out or their mean (``mode``); a normal
    (truncated, with the std corrected for the truncation, as Keras does) or uniform distribution."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="normal"):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"VarianceScaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}"
            )
        if distribution not in ("normal", "uniform", "untruncated_normal"):
            raise ValueError(
                f"VarianceScaling: distribution must be 'normal', 'uniform' or "
                f"'untruncated_normal', got {distribution!r}"
            )
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def sample(self, shape, fans):
        fan_in, fan_out = fans
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        var = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3 * var)
            return rng().uniform(-limit, limit, shape)
        if self.distribution == "untruncated_normal":
            return rng().normal(0.0, math.sqrt(var), shape)
        return _truncated_normal(shape, 0.0, math.sqrt(var) / 0.87962566103423978)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution}


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix over the shape flattened to (shape[0], rest), times ``gain``."""

    def __init__(self, gain=1.0):
        self.gain = float(gain)

    def sample(self, shape, fans):
        rows = shape[0] if shape else 1
        cols = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        a = rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        q = q if rows >= cols else q.T
        return self.gain * q.reshape(shape)

    def get_config(self):
        return {"gain": self.gain}


def glorot_uniform():
    return VarianceScaling(1.0, "fan_avg", "uniform")


def glorot_normal():
    return VarianceScaling(1.0, "fan_avg", "normal")


def he_normal():
    return VarianceScaling(2.0, "fan_in", "normal")


def he_uniform():
    return VarianceScaling(2.0, "fan_in", "uniform")


def lecun_normal():
    return VarianceScaling(1.0, "fan_in", "normal")


def lecun_uniform():
    return VarianceScaling(1.0, "fan_in", "uniform")


_BY_NAME = {
    "zeros": Zeros,
    "zero": Zeros,
    "ones": Ones,
    "one": Ones,
    "constant": Constant,
    "randomnormal": RandomNormal,
    "normal": RandomNormal,
    "randomuniform": RandomUniform,
    "uniform": RandomUniform,
    "truncatednormal": TruncatedNormal,
    "variancescaling": VarianceScaling,
    "orthogonal": Orthogonal,
    "glorotuniform": glorot_uniform,
    "glorotnormal": glorot_normal,
    "henormal": he_normal,
    "heuniform": he_uniform,
    "lecunnormal": lecun_normal,
    "lecununiform": lecun_uniform,
}
_CLASSES = {
    cls.__name__: cls
    for cls in (
        Zeros,
        Ones,
        Constant,
        RandomNormal,
        RandomUniform,
        TruncatedNormal,
        VarianceScaling,
        Orthogonal,
    )
}


def get(identifier):
    """An Initializer from a name ("glorot_uniform", "HeNormal", Keras 1's "normal"), a config
    dict ``{"class_name": ..., "config": {...}}``, or an Initializer (returned as is)."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"initializers.get: unknown initializer config {identifier!r}")
        return cls(**identifier.get("config", {}))
    if isinstance(identifier, str):
        make = _BY_NAME.get(identifier.lower().replace("_", ""))
        if make is None:
            raise ValueError(
                f"initializers.get: unknown initializer {identifier!r}; known: "
                + ", ".join(sorted(_BY_NAME))
            )
        return make()
    if callable(identifier):
        return identifier
    raise TypeError(
        f"initializers.get: expected a name, config dict or Initializer, got "
        f"{type(identifier).__name__}"
    )


def serialize(init):
    """A JSON-able description of an initializer, for model files."""
    if isinstance(init, Initializer):
        return {"class_name": type(init).__name__, "config": init.get_config()}
    raise TypeError(
        f"initializers.serialize: cannot save the custom initializer {init!r}; use "
        f"one of tinynet.initializers"
    )
