"""What the training-step benchmarks share: parameters, the SGD update, devices and frameworks.

Each step module (lenet_step, cifar_step, dcgan_step) offers ``make_tinynet(xp, batch, seed)``
and ``make_torch(torch, device, batch, seed)``; each returns a callable that runs one whole
training step (forward, loss, backward, parameter update). LeNet also offers ``make_chainer``.
"""

import numpy as np

import tinynet as tn
from tinynet import backend, threads

LR = 0.01


def array_module(device):
    """numpy for "cpu", cupy for "gpu" (a RuntimeError when no GPU is usable)."""
    if device == "cpu":
        return np
    if device == "gpu":
        if not backend.gpu_available():
            raise RuntimeError(
                "benchmarks: device 'gpu' asked for, but no CUDA GPU is usable "
                "(CuPy missing or no device)"
            )
        return backend.cupy
    raise ValueError(f"benchmarks: device must be 'cpu' or 'gpu', got {device!r}")


def torch_device(device):
    return "cuda" if device == "gpu" else "cpu"


def torch_usable(torch, device):
    """True when ``torch`` (a module or None) can run on ``device`` ("cpu" or "gpu")."""
    return torch is not None and (device == "cpu" or torch.cuda.is_available())


def chainer_or_none():
    """Chainer when it imports (it does not with NumPy 2), else None."""
    try:
        import chainer

        return chainer
    except Exception:
        return None


class Params:
    """float32 parameters drawn from one seeded NumPy generator, placed on ``xp``."""

    def __init__(self, xp, seed=0):
        self.xp, self.rng, self.all = xp, np.random.default_rng(seed), []

    def he(self, *shape, fan_in):
        data = (self.rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        return self._add(data)

    def const(self, *shape, value=0.0):
        return self._add(np.full(shape, value, dtype=np.float32))

    def _add(self, data):
        t = tn.Tensor(self.xp.asarray(data), requires_grad=True)
        self.all.append(t)
        return t


def sgd(params, lr=LR):
    """Plain SGD in place: p <- p - lr * grad, in the parameter's dtype."""
    with tn.no_grad():
        for p in params:
            p.data -= p.data.dtype.type(lr) * p.grad


def clear_grads(params):
    for p in params:
        p.grad = None


def data(xp, seed, *shape):
    """Uniform [0, 1) float32 images of ``shape`` on ``xp``."""
    return xp.asarray(np.random.default_rng(seed).random(shape, dtype=np.float32))


def labels(xp, seed, n, classes=10):
    return xp.asarray(np.random.default_rng(seed).integers(0, classes, n))


def torch_sync(torch, device):
    """The function that waits for ``device``'s queued work (a no-op on the CPU)."""
    return torch.cuda.synchronize if device == "gpu" else None


def strict_float32(torch):
    """Keep PyTorch's CUDA convolutions and matmuls in float32 arithmetic, as tinynet's are:
    cuDNN would otherwise use TF32 tensor cores (10-bit mantissa) for float32 convolutions."""
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False


def torch_classifier_step(torch, model, input_shape, batch, device, lr=LR):
    """A PyTorch SGD step of ``model`` on random images and labels (the peer of tinynet's steps)."""
    dev = torch_device(device)
    model = model.to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    x = torch.rand(batch, *input_shape, device=dev)
    t = torch.randint(0, 10, (batch,), device=dev)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), t).backward()
        opt.step()

    return step


def set_up_process(split_threads=True):
    """The process as the ``tinynet`` command sets it up: glibc keeps big freed buffers
    (``backend.tune_malloc``) and, with ``split_threads``, tinynet splits its large passes over
    two threads with OpenBLAS on one (``tinynet.threads``; TINYNET_THREADS=0: never). The
    WaveNet commands leave OpenBLAS its own threads: their GEMMs are all small."""
    backend.tune_malloc()
    if split_threads:
        threads.enable()
