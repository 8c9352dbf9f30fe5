"""Optimizers (SGD, Adam, RMSprop, Adagrad) and learning-rate schedules, Keras-style.

    opt = Adam(lr=1e-3)                     # or learning_rate=1e-3, or a schedule:
    opt = SGD(lr=CosineDecay(0.1, decay_steps=10_000), momentum=0.9, nesterov=True, clipnorm=1.0)
    opt.step(params)                        # params: Tensors whose .grad is set; updated in place

Updates run in place on the raw arrays with the parameter's own array module (NumPy or CuPy), in
the parameter's dtype. The state (moments, iteration count) follows the parameters: ``to(device)``
moves it, ``state_arrays`` / ``load_state`` save and restore it with a model.
``lr`` may be a number, a schedule (any callable of the iteration number, counted from 0), and
Keras's ``decay`` divides it by (1 + decay * iteration).
"""

import math
import numbers

from ..backend import get_array_module, to_device


def check_number(who, name, value, low=None, high=None, low_open=False, high_open=False):
    """``value`` as a float, or ValueError naming ``who``'s argument, its value and the allowed
    range (finite; >= / > low, < / <= high). Hyperparameters are checked once, when set."""
    if low is not None and high is not None:
        allowed = f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    elif low is not None:
        allowed = f"{'>' if low_open else '>='} {low}"
    else:
        allowed = "finite" if high is None else f"{'<' if high_open else '<='} {high}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {name} must be a number {allowed}, got {value!r}")
    v = float(value)
    bad = not math.isfinite(v)
    if low is not None:
        bad = bad or (v <= low if low_open else v < low)
    if high is not None:
        bad = bad or (v >= high if high_open else v > high)
    if bad:
        raise ValueError(f"{who}: {name} must be {allowed}, got {value!r}")
    return v


# ----- learning-rate schedules -----
class Schedule:
    """A learning rate as a function of the iteration number (0, 1, 2, ...)."""

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        return dict(vars(self))


class StepDecay(Schedule):
    """initial_lr * drop ** floor(step / step_size)."""

    def __init__(self, initial_lr, drop=0.5, step_size=1000):
        self.initial_lr = check_number("StepDecay", "initial_lr", initial_lr, 0)
        self.drop = check_number("StepDecay", "drop", drop, 0)
        self.step_size = int(check_number("StepDecay", "step_size", step_size, 0, low_open=True))

    def __call__(self, step):
        return self.initial_lr * self.drop ** (step // self.step_size)


class ExponentialDecay(Schedule):
    """initial_lr * decay_rate ** (step / decay_steps), the exponent floored when ``staircase``."""

    def __init__(self, initial_lr, decay_steps, decay_rate, staircase=False):
        who = "ExponentialDecay"
        self.initial_lr = check_number(who, "initial_lr", initial_lr, 0)
        self.decay_steps = int(check_number(who, "decay_steps", decay_steps, 0, low_open=True))
        self.decay_rate = check_number(who, "decay_rate", decay_rate, 0)
        self.staircase = bool(staircase)

    def __call__(self, step):
        p = step / self.decay_steps
        return self.initial_lr * self.decay_rate ** (math.floor(p) if self.staircase else p)


class CosineDecay(Schedule):
    """Cosine from initial_lr down to alpha * initial_lr over decay_steps, then flat."""

    def __init__(self, initial_lr, decay_steps, alpha=0.0):
        who = "CosineDecay"
        self.initial_lr = check_number(who, "initial_lr", initial_lr, 0)
        self.decay_steps = int(check_number(who, "decay_steps", decay_steps, 0, low_open=True))
        self.alpha = check_number(who, "alpha", alpha, 0, 1)

    def __call__(self, step):
        t = min(step, self.decay_steps) / self.decay_steps
        return self.initial_lr * ((1 - self.alpha) * 0.5 * (1 + math.cos(math.pi * t)) + self.alpha)


class Triangular(Schedule):
    """Piecewise linear (airbench's triangle): ``start * peak_lr`` at step 0, up to ``peak_lr`` at
    step ``int(peak_at * total_steps)``, down to ``end * peak_lr`` at ``total_steps``, then flat."""

    def __init__(self, peak_lr, total_steps, start=0.2, end=0.07, peak_at=0.23):
        who = "Triangular"
        self.peak_lr = check_number(who, "peak_lr", peak_lr, 0)
        self.total_steps = int(check_number(who, "total_steps", total_steps, 0, low_open=True))
        self.start = check_number(who, "start", start, 0)
        self.end = check_number(who, "end", end, 0)
        self.peak_at = check_number(who, "peak_at", peak_at, 0, 1, low_open=True, high_open=True)

    def __call__(self, step):
        top, n = int(self.peak_at * self.total_steps), self.total_steps
        step = min(max(step, 0), n)
        if step < top:
            frac = self.start + (1 - self.start) * step / top
        else:
            frac = 1 + (self.end - 1) * (step - top) / max(n - top, 1)
        return self.peak_lr * frac


SCHEDULES = {cls.__name__: cls for cls in (StepDecay, ExponentialDecay, CosineDecay, Triangular)}


# ----- optimizers -----
class Optimizer:
    """Base class: learning rate and schedule, gradient clipping, per-parameter state.

    clipnorm: rescale all gradients together when their global L2 norm exceeds it.
    clipvalue: clip each gradient element to [-clipvalue, clipvalue].
    """

    default_lr = 0.01

    def __init__(self, lr=None, learning_rate=None, clipnorm=None, clipvalue=None, decay=0.0):
        name = type(self).__name__
        if lr is not None and learning_rate is not None:
            raise TypeError(f"{name}: give lr or learning_rate, not both")
        lr = (
            self.default_lr
            if lr is None and learning_rate is None
            else (lr if lr is not None else learning_rate)
        )
        self.lr = lr
        # a clip of 0 would zero every gradient (clipnorm 0 even gives 0/0 = NaN)
        for arg, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue)):
            if v is not None:
                check_number(name, arg, v, 0, low_open=True)
        self.clipnorm, self.clipvalue = clipnorm, clipvalue
        self.decay = check_number(name, "decay", decay, 0)
        self.iterations = 0
        self.state = {}  # id(param) -> {slot name: array}
        self._owners = {}  # id(param) -> param, so an id is never reused while state exists
        self.last_grad_norm = None

    @property
    def lr(self):
        return self._lr

    @lr.setter
    def lr(self, value):
        if not callable(value):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(
                    f"{type(self).__name__}: learning rate must be a finite non-negative "
                    f"number or a schedule, got {value!r}"
                )
            value = float(value)
            if value < 0 or not math.isfinite(value):
                raise ValueError(
                    f"{type(self).__name__}: learning rate must be a finite non-negative "
                    f"number or a schedule, got {value}"
                )
        self._lr = value

    learning_rate = lr

    def base_lr(self):
        """The learning rate before ``decay`` (a schedule evaluated at the current step): what
        Keras callbacks read and write as ``optimizer.lr``."""
        if not callable(self._lr):
            return self._lr
        lr = self._lr(self.iterations)
        try:
            value = float(lr)
        except (TypeError, ValueError):
            value = math.nan
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(
                f"{type(self).__name__}: the learning-rate schedule {self._lr!r} returned {lr!r} "
                f"at iteration {self.iterations}; it must return a finite number >= 0"
            )
        return value

    def current_lr(self):
        """The learning rate the next step uses (schedule and decay applied)."""
        lr = self.base_lr()
        if self.decay:
            lr /= 1 + self.decay * self.iterations
        return lr

    def step(self, params):
        """Update every Tensor in ``params`` whose ``grad`` is set; then count one iteration."""
        params = [p for p in params if p.grad is not None]
        grads = self._clip([p.grad for p in params])
        lr = self.current_lr()
        self.iterations += 1
        for p, g in zip(params, grads):
            slots = self.state.get(id(p))
            if slots is None:
                xp = get_array_module(p.data)
                slots = {name: xp.zeros_like(p.data) for name in self.slot_names()}
                self.state[id(p)], self._owners[id(p)] = slots, p
            self.update(p.data, g, slots, lr)
            p.bump_version()  # a graph that saved p before the update can no longer backward

    def _clip(self, grads):
        if self.clipvalue is not None:
            c = self.clipvalue
            grads = [get_array_module(g).clip(g, -c, c) for g in grads]
        if self.clipnorm is not None and grads:
            xp = get_array_module(grads[0])
            total = sum(xp.vdot(g.ravel(), g.ravel()) for g in grads)
            norm = xp.sqrt(total)
            self.last_grad_norm = norm
            scale = (self.clipnorm / xp.maximum(norm, self.clipnorm)).astype(grads[0].dtype)
            grads = [g * scale for g in grads]
        return grads

    def slot_names(self):
        return ()

    def update(self, p, g, slots, lr):
        """Update raw array ``p`` in place from gradient ``g``."""
        raise NotImplementedError

    # ----- device and saving -----
    def to(self, device):
        for slots in self.state.values():
            for k in slots:
                slots[k] = to_device(slots[k], device)
        return self

    def hyperparameters(self):
        return {}

    def get_config(self):
        lr = self._lr
        if callable(lr):
            if not isinstance(lr, Schedule):
                raise ValueError(
                    f"{type(self).__name__}: cannot save the custom learning-rate "
                    f"function {lr!r}; use a tinynet.optimizers schedule"
                )
            lr = {"class_name": type(lr).__name__, "config": lr.get_config()}
        return {
            "lr": lr,
            "clipnorm": self.clipnorm,
            "clipvalue": self.clipvalue,
            "decay": self.decay,
            **self.hyperparameters(),
        }

    def state_arrays(self, params):
        """{"<index>/<slot>": array} for the parameters that have state, indexed by their
        position in ``params``."""
        out = {}
        for i, p in enumerate(params):
            for name, a in self.state.get(id(p), {}).items():
                out[f"{i}/{name}"] = a
        return out

    def load_state(self, params, arrays, iterations):
        """Restore from ``state_arrays`` output (arrays may be NumPy; moved to each parameter's
        device and dtype)."""
        self.state.clear()
        self._owners.clear()
        for key, a in arrays.items():
            i, name = key.split("/", 1)
            p = params[int(i)]
            if a.shape != p.shape:
                raise ValueError(
                    f"{type(self).__name__}.load_state: slot {key} has shape {a.shape}, "
                    f"parameter {p.name} has {p.shape}"
                )
            xp = get_array_module(p.data)
            slots = self.state.setdefault(id(p), {})
            slots[name] = xp.asarray(
                to_device(a, "gpu" if xp.__name__ == "cupy" else "cpu"), dtype=p.dtype
            )
            self._owners[id(p)] = p
        self.iterations = int(iterations)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


class SGD(Optimizer):
    """Keras SGD: v = momentum * v - lr * g; p += v (nesterov: p += momentum * v - lr * g).
    weight_decay adds weight_decay * p to the gradient."""

    def __init__(self, lr=None, momentum=0.0, nesterov=False, weight_decay=0.0, **kwargs):
        super().__init__(lr, **kwargs)
        check_number("SGD", "momentum", momentum, 0, 1, high_open=True)
        check_number("SGD", "weight_decay", weight_decay, 0)
        if nesterov and not momentum:
            raise ValueError(f"SGD: nesterov=True needs momentum > 0, got momentum={momentum}")
        self.momentum, self.nesterov, self.weight_decay = (
            float(momentum),
            bool(nesterov),
            float(weight_decay),
        )

    def slot_names(self):
        return ("velocity",) if self.momentum else ()

    def update(self, p, g, slots, lr):
        if self.weight_decay:
            g = g + self.weight_decay * p
        if not self.momentum:
            p -= lr * g
            return
        v = slots["velocity"]
        v *= self.momentum
        v -= lr * g
        if self.nesterov:
            p += self.momentum * v
            p -= lr * g
        else:
            p += v

    def hyperparameters(self):
        return {
            "momentum": self.momentum,
            "nesterov": self.nesterov,
            "weight_decay": self.weight_decay,
        }


class Adam(Optimizer):
    """Keras Adam: m, v moments; p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon);
    ``amsgrad`` uses the running maximum of v."""

    default_lr = 0.001

    def __init__(self, lr=None, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(lr, **kwargs)
        self.beta_1 = check_number("Adam", "beta_1", beta_1, 0, 1, high_open=True)
        self.beta_2 = check_number("Adam", "beta_2", beta_2, 0, 1, high_open=True)
        self.epsilon = _epsilon("Adam", epsilon)
        self.amsgrad = bool(amsgrad)

    def slot_names(self):
        return ("m", "v", "vhat") if self.amsgrad else ("m", "v")

    def update(self, p, g, slots, lr):
        t = self.iterations  # already counted for this step: 1 on the first
        b1, b2 = self.beta_1, self.beta_2
        lr_t = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        m, v = slots["m"], slots["v"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        if self.amsgrad:
            xp = get_array_module(p)
            xp.maximum(slots["vhat"], v, out=slots["vhat"])
            v = slots["vhat"]
        _adaptive_step(p, m, v, self.epsilon, lr_t)

    def hyperparameters(self):
        return {
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


def _epsilon(who, epsilon):
    """epsilon > 0: with 0, a parameter whose gradient is 0 gets 0/0 = NaN."""
    return check_number(who, "epsilon", 1e-7 if epsilon is None else epsilon, 0, low_open=True)


def _adaptive_step(p, direction, second_moment, epsilon, lr):
    """p -= lr * direction / (sqrt(second_moment) + epsilon), in place (Adam, RMSprop, Adagrad)."""
    denom = get_array_module(p).sqrt(second_moment)
    denom += epsilon
    step = direction / denom
    step *= lr
    p -= step


class RMSprop(Optimizer):
    """Keras RMSprop: a = rho * a + (1 - rho) * g^2; p -= lr * g / (sqrt(a) + epsilon)."""

    default_lr = 0.001

    def __init__(self, lr=None, rho=0.9, epsilon=1e-7, **kwargs):
        super().__init__(lr, **kwargs)
        # rho outside [0, 1) makes the accumulator negative or growing: sqrt of a negative
        self.rho = check_number("RMSprop", "rho", rho, 0, 1, high_open=True)
        self.epsilon = _epsilon("RMSprop", epsilon)

    def slot_names(self):
        return ("accumulator",)

    def update(self, p, g, slots, lr):
        a = slots["accumulator"]
        a *= self.rho
        a += (1 - self.rho) * (g * g)
        _adaptive_step(p, g, a, self.epsilon, lr)

    def hyperparameters(self):
        return {"rho": self.rho, "epsilon": self.epsilon}


class Adagrad(Optimizer):
    """a += g^2; p -= lr * g / (sqrt(a) + epsilon)."""

    def __init__(self, lr=None, epsilon=1e-7, **kwargs):
        super().__init__(lr, **kwargs)
        self.epsilon = _epsilon("Adagrad", epsilon)

    def slot_names(self):
        return ("accumulator",)

    def update(self, p, g, slots, lr):
        a = slots["accumulator"]
        a += g * g
        _adaptive_step(p, g, a, self.epsilon, lr)

    def hyperparameters(self):
        return {"epsilon": self.epsilon}


# Keras's lower-case spellings (``keras.optimizers.rmsprop(lr=1e-4, decay=1e-6)``)
sgd, adam, rmsprop, adagrad = SGD, Adam, RMSprop, Adagrad
OPTIMIZERS = {cls.__name__.lower(): cls for cls in (SGD, Adam, RMSprop, Adagrad)}


def get(identifier):
    """An optimizer from a name ('sgd', 'Adam', 'rmsprop', 'adagrad'; default settings), a saved
    config, or an Optimizer (returned as is)."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = OPTIMIZERS.get(identifier.lower())
        if cls is None:
            raise ValueError(
                f"unknown optimizer {identifier!r}; known: {', '.join(sorted(OPTIMIZERS))}"
            )
        return cls()
    if isinstance(identifier, dict):
        return from_config(identifier)
    raise TypeError(f"optimizer must be a name or an Optimizer, got {type(identifier).__name__}")


def serialize(opt):
    opt = getattr(opt, "optimizer", opt)  # a wrapper (DistributedOptimizer) saves what it wraps
    return {
        "class_name": type(opt).__name__,
        "config": opt.get_config(),
        "iterations": opt.iterations,
    }


def from_config(config):
    cls = OPTIMIZERS.get(config.get("class_name", "").lower())
    if cls is None:
        raise ValueError(f"unknown optimizer config {config!r}")
    kwargs = dict(config["config"])
    lr = kwargs.get("lr")
    if isinstance(lr, dict):
        sched = SCHEDULES.get(lr.get("class_name"))
        if sched is None:
            raise ValueError(f"unknown learning-rate schedule {lr!r}")
        kwargs["lr"] = sched(**lr["config"])
    opt = cls(**kwargs)
    opt.iterations = int(config.get("iterations", 0))
    return opt
