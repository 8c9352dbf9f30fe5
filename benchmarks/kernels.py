"""Kernel benchmarks at the course's layer sizes, tinynet on one backend (NumPy or CuPy), with
the same kernel in PyTorch on the matching device when it is installed.

Each measurement is a record: backend, layer, kernel, shape, ms (median; the GEMM peak takes its
fastest call), min_ms, and for GEMM-shaped work gflop, gflops and peak_share (of the GEMM peak
measured here on the same backend).
Inputs and gradients are laid out in memory as the engine's ops hand them over in a network
(batch-last on NumPy). Backward passes are timed alone: the op's ``Function.backward`` is called
on the recorded graph node (tinynet) or ``torch.autograd.grad(..., retain_graph=True)``
(PyTorch).
"""

import importlib
import statistics

import numpy as np

import tinynet as tn
from tinynet import functional as F
from tinynet import threads
from tinynet.functional.layout import new_images

from .timing import time_calls

# name, input (C, H, W), C_out, kernel, stride, padding; batch from the config.
CONVS = [
    ("lenet.conv1", (1, 28, 28), 20, 5, 1, 2),
    ("lenet.conv2", (20, 14, 14), 50, 5, 1, 2),
    ("cifar.conv1", (3, 32, 32), 32, 3, 1, 1),
    ("cifar.conv2", (32, 32, 32), 32, 3, 1, 1),
    ("cifar.conv3", (32, 16, 16), 64, 3, 1, 1),
    ("cifar.conv4", (64, 16, 16), 64, 3, 1, 0),
]
# name, input (C_in, H, W), C_out, kernel, stride, padding; batch = gan_batch.
DECONV = ("dcgan.deconv1", (128, 7, 7), 64, 4, 2, 1)
# pooling input: the relu'd output of this conv layer.
POOLS = [("lenet.pool1", "lenet.conv1"), ("cifar.pool1", "cifar.conv2")]


def out_size(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def conv_geometry(batch, spec):
    """(x shape, w shape, stride, pad, (oh, ow), GEMM (M, K, N)) of a CONVS entry."""
    _, (c, h, w), c_out, k, s, p = spec
    oh, ow = out_size(h, k, s, p), out_size(w, k, s, p)
    return (batch, c, h, w), (c_out, c, k, k), s, p, (oh, ow), (c_out, c * k * k, batch * oh * ow)


def deconv_geometry(batch):
    """x, w (C_in, C_out, k, k), stride, pad, output (H, W) and GEMM (M, K, N) of DECONV."""
    _, (c_in, h, w), c_out, k, s, p = DECONV
    ho, wo = (h - 1) * s - 2 * p + k, (w - 1) * s - 2 * p + k
    return (
        (batch, c_in, h, w),
        (c_in, c_out, k, k),
        s,
        p,
        (ho, wo),
        (c_out * k * k, c_in, batch * h * w),
    )


def _shape(*shapes):
    return " ".join("x".join(str(d) for d in s) for s in shapes)


class KernelBench:
    """Times every kernel on one backend. ``torch_dev`` is "cpu" / "cuda" / None (no PyTorch)."""

    def __init__(self, xp, cfg, torch=None, torch_dev=None):
        self.xp, self.cfg, self.torch, self.torch_dev = xp, cfg, torch, torch_dev
        self.backend = xp.__name__
        self.rng = np.random.default_rng(0)
        self.records = []
        self.peak_gflops = None

    # ----- helpers -----
    def rand(self, *shape):
        return self.xp.asarray(self.rng.standard_normal(shape, dtype=np.float32))

    def images(self, *shape):
        """Random (N, C, H, W) images laid out in memory as the engine's ops hand them to the next
        layer (batch-last on NumPy, see tinynet.functional.layout)."""
        a = new_images(self.xp, shape, np.float32, batch_last=self.backend == "numpy")
        a[...] = self.rand(*shape)
        return a

    def time_ms(self, fn):
        """(median, fastest) milliseconds of fn on tinynet's backend."""
        ts = time_calls(fn, self.cfg.repeats, self.cfg.warmup, xp=self.xp, settle=self.cfg.settle_s)
        return 1e3 * statistics.median(ts), 1e3 * min(ts)

    def time_torch_ms(self, fn):
        sync = self.torch.cuda.synchronize if self.torch_dev == "cuda" else None
        ts = time_calls(fn, self.cfg.repeats, self.cfg.warmup, sync=sync, settle=self.cfg.settle_s)
        return 1e3 * statistics.median(ts), 1e3 * min(ts)

    def tt(self, a, grad=False):
        """A PyTorch tensor with the contents of array ``a`` on the matching device."""
        from tinynet.backend import asnumpy

        return self.torch.tensor(asnumpy(a), device=self.torch_dev, requires_grad=grad)

    def record(self, layer, kernel, shape, ours, theirs=None, flop=None, fastest=False):
        """Time ``ours`` (and ``theirs``, a PyTorch callable or None); an error is recorded, not
        raised. "ms" is the median, or the fastest call when ``fastest`` (the GEMM peak)."""
        rec = {"backend": self.backend, "layer": layer, "kernel": kernel, "shape": shape}
        try:
            median, rec["min_ms"] = self.time_ms(ours)
            rec["ms"] = rec["min_ms"] if fastest else median
        except Exception as e:  # one broken kernel must not end the run
            rec["ms"], rec["error"] = None, f"{type(e).__name__}: {e}"
        rec["torch_ms"] = None
        if theirs is not None and self.torch is not None:
            try:
                median, rec["torch_min_ms"] = self.time_torch_ms(theirs)
                rec["torch_ms"] = rec["torch_min_ms"] if fastest else median
            except Exception as e:
                rec["torch_error"] = f"{type(e).__name__}: {e}"
        if flop is not None:
            rec["gflop"] = flop / 1e9
            rec["gflops"] = flop / 1e6 / rec["ms"] if rec["ms"] else None
            rec["torch_gflops"] = flop / 1e6 / rec["torch_ms"] if rec["torch_ms"] else None
            rec["peak_share"] = (  # none at smoke sizes: their "peak" is no peak
                rec["gflops"] / self.peak_gflops
                if rec["gflops"] and self.peak_gflops and self.cfg.name != "smoke"
                else None
            )
        self.records.append(rec)
        return rec

    def backward_of(self, y):
        """A callable running the backward of y's creating op once (graph kept), and gy, laid out
        in memory like y (as the ops of a network hand gradients back)."""
        fn = y.creator
        if not y.ndim:
            return lambda: fn.backward(self.xp.ones((), dtype=y.dtype)), self.xp.ones(
                (), dtype=y.dtype
            )
        gy = self.xp.empty_like(y.data)
        gy[...] = self.rand(*y.shape)
        return lambda: fn.backward(gy), gy

    def torch_backward(self, y, inputs, gy):
        ag = self.torch.autograd.grad
        return lambda: ag(y, inputs, gy, retain_graph=True)

    # ----- kernels -----
    def peak(self):
        n = self.cfg.peak_n if self.backend == "numpy" else self.cfg.peak_n_gpu
        a, b = self.rand(n, n), self.rand(n, n)
        c = self.xp.empty((n, n), dtype=np.float32)
        theirs = None
        if self.torch is not None:
            ta, tb = self.tt(a), self.tt(b)
            theirs = lambda: self.torch.mm(ta, tb)
        rec = self.record(
            "peak",
            "gemm",
            _shape((n, n), (n, n)),
            lambda: threads.matmul(a, b, out=c),  # both cores when tinynet.threads is on
            theirs,
            flop=2.0 * n**3,
            fastest=True,
        )
        self.peak_gflops = rec["gflops"]
        rec["peak_share"] = 1.0 if rec["gflops"] and self.cfg.name != "smoke" else None

    def gemm(self, layer, m, k, n):
        a, b = self.rand(m, k), self.rand(k, n)
        theirs = None
        if self.torch is not None:
            ta, tb = self.tt(a), self.tt(b)
            theirs = lambda: self.torch.mm(ta, tb)
        self.record(
            layer,
            "gemm",
            f"({m}x{k}) @ ({k}x{n})",
            lambda: threads.matmul(a, b),
            theirs,
            flop=2.0 * m * k * n,
        )

    def conv(self, spec, gemm=True):
        xs, ws, s, p, (oh, ow), (m, k, n) = conv_geometry(self.cfg.batch, spec)
        layer, kh = spec[0], ws[2]
        x = tn.Tensor(self.images(*xs), requires_grad=True)
        w = tn.Tensor(self.rand(*ws) * np.float32(0.1), requires_grad=True)
        b = tn.Tensor(self.rand(ws[0]), requires_grad=True)
        shape = f"x {_shape(xs)} w {_shape(ws)} s{s} p{p}"
        torch = self.torch
        tf = torch.nn.functional if torch is not None else None

        col = self.rand(k, n)  # col2im's input: (C*kh*kw, N*oh*ow); its values do not matter
        tx = tw = tb = None
        if torch is not None:
            tx, tw, tb = self.tt(x.data, True), self.tt(w.data, True), self.tt(b.data, True)
            tcol = self.tt(col.reshape(k, xs[0], oh * ow).transpose(1, 0, 2))
        self.record(
            layer,
            "im2col",
            shape,
            lambda: F.im2col(x.data, kh, kh, s, p),
            None if torch is None else lambda: tf.unfold(tx.detach(), kh, padding=p, stride=s),
        )
        self.record(
            layer,
            "col2im",
            shape,
            lambda: F.col2im(col, xs, kh, kh, s, p),
            None if torch is None else lambda: tf.fold(tcol, xs[2:], kh, padding=p, stride=s),
        )
        fwd = lambda: F.conv2d(x, w, b, stride=s, padding=p)
        self.record(
            layer,
            "conv2d.forward",
            shape,
            fwd,
            None if torch is None else lambda: tf.conv2d(tx, tw, tb, stride=s, padding=p),
            flop=2.0 * m * k * n,
        )
        bwd, gy = self.backward_of(fwd())
        theirs = None
        if torch is not None:
            ty = tf.conv2d(tx, tw, tb, stride=s, padding=p)
            theirs = self.torch_backward(ty, (tx, tw, tb), self.tt(gy))
        self.record(layer, "conv2d.backward", shape, bwd, theirs, flop=4.0 * m * k * n)
        if gemm:
            self.gemm(layer, m, k, n)

    def deconv(self, gemm=True):
        xs, ws, s, p, (ho, wo), (m, k, n) = deconv_geometry(self.cfg.gan_batch)
        layer = DECONV[0]
        x = tn.Tensor(self.images(*xs), requires_grad=True)
        w = tn.Tensor(self.rand(*ws) * np.float32(0.1), requires_grad=True)
        b = tn.Tensor(self.rand(ws[1]), requires_grad=True)
        shape = f"x {_shape(xs)} w {_shape(ws)} s{s} p{p} -> {ho}x{wo}"
        torch = self.torch
        fwd = lambda: F.conv2d_transpose(x, w, b, stride=s, padding=p)
        tf = torch.nn.functional if torch is not None else None
        if torch is not None:
            tx, tw, tb = self.tt(x.data, True), self.tt(w.data, True), self.tt(b.data, True)
        self.record(
            layer,
            "conv2d_transpose.forward",
            shape,
            fwd,
            None if torch is None else lambda: tf.conv_transpose2d(tx, tw, tb, stride=s, padding=p),
            flop=2.0 * m * k * n,
        )
        bwd, gy = self.backward_of(fwd())
        theirs = None
        if torch is not None:
            ty = tf.conv_transpose2d(tx, tw, tb, stride=s, padding=p)
            theirs = self.torch_backward(ty, (tx, tw, tb), self.tt(gy))
        self.record(layer, "conv2d_transpose.backward", shape, bwd, theirs, flop=4.0 * m * k * n)
        if gemm:
            self.gemm(layer, m, k, n)

    def pool(self, layer, conv_name):
        spec = next(c for c in CONVS if c[0] == conv_name)
        xs, ws, s, p, _, _ = conv_geometry(self.cfg.batch, spec)
        with tn.no_grad():  # the engine's own output layout, as a real network feeds the pool
            h = F.relu(
                F.conv2d(tn.Tensor(self.rand(*xs)), tn.Tensor(self.rand(*ws)), stride=s, padding=p)
            )
        x = tn.Tensor(h.data, requires_grad=True)
        self._fwd_bwd(
            layer,
            "max_pool2d",
            f"x {_shape(x.shape)} k2 s2",
            lambda: F.max_pool2d(x, 2),
            [x],
            lambda tx: self.torch.nn.functional.max_pool2d(tx, 2),
        )

    def batch_norm(self, layer, shape):
        xp, c = self.xp, shape[1]
        x = tn.Tensor(
            self.images(*shape) if len(shape) == 4 else self.rand(*shape), requires_grad=True
        )
        g = tn.Tensor(xp.ones(c, dtype=np.float32), requires_grad=True)
        be = tn.Tensor(xp.zeros(c, dtype=np.float32), requires_grad=True)
        rm, rv = xp.zeros(c, dtype=np.float32), xp.ones(c, dtype=np.float32)
        trm = trv = None
        if self.torch is not None:
            trm, trv = self.tt(rm), self.tt(rv)
        self._fwd_bwd(
            layer,
            "batch_norm",
            f"x {_shape(shape)}",
            lambda: F.batch_norm(x, g, be, rm, rv, training=True),
            [x, g, be],
            lambda tx, tg, tb: self.torch.nn.functional.batch_norm(
                tx, trm, trv, tg, tb, training=True, momentum=0.01, eps=1e-3
            ),
        )

    def softmax_ce(self):
        n = self.cfg.batch
        z = tn.Tensor(self.rand(n, 10), requires_grad=True)
        t = self.xp.asarray(self.rng.integers(0, 10, n))
        tt = None if self.torch is None else self.tt(t)
        self._fwd_bwd(
            "lenet.loss",
            "softmax_cross_entropy",
            f"logits {_shape((n, 10))}",
            lambda: F.softmax_cross_entropy(z, t),
            [z],
            lambda tz: self.torch.nn.functional.cross_entropy(tz, tt),
        )

    def _fwd_bwd(self, layer, op, shape, ours, inputs, theirs):
        """Forward and backward of a non-GEMM op; ``theirs`` maps PyTorch tensors to the output."""
        t_in = None if self.torch is None else [self.tt(a.data, True) for a in inputs]
        self.record(
            layer, f"{op}.forward", shape, ours, None if t_in is None else lambda: theirs(*t_in)
        )
        bwd, gy = self.backward_of(ours())
        t_bwd = None
        if t_in is not None:
            t_bwd = self.torch_backward(theirs(*t_in), t_in, self.tt(gy))
        self.record(layer, f"{op}.backward", shape, bwd, t_bwd)

    def run(self):
        """Every kernel, the GEMM peak first; returns the list of records. A layer whose set-up
        fails is recorded with its error and the run goes on."""
        gb = self.cfg.gan_batch
        sections = [("peak", self.peak)]
        sections += [(spec[0], lambda spec=spec: self.conv(spec)) for spec in CONVS]
        sections += [(DECONV[0], self.deconv)]
        sections += [(layer, lambda a=(layer, conv): self.pool(*a)) for layer, conv in POOLS]
        sections += [
            ("dcgan.bn_dense", lambda: self.batch_norm("dcgan.bn_dense", (gb, 6272))),
            ("dcgan.bn_conv", lambda: self.batch_norm("dcgan.bn_conv", (gb, 64, 14, 14))),
            ("lenet.loss", self.softmax_ce),
            ("cupy-slices", self.without_cuda_kernels),
        ]
        for layer, section in sections:
            try:
                section()
            except Exception as e:
                self.records.append(
                    {
                        "backend": self.backend,
                        "layer": layer,
                        "kernel": "set-up",
                        "shape": "",
                        "ms": None,
                        "torch_ms": None,
                        "error": f"{type(e).__name__}: {e}",
                    }
                )
        return self.records

    def without_cuda_kernels(self):
        """On CuPy, the convolution kernels once more through the generic slice-loop code
        (``tinynet.functional.windows.USE_CUDA_KERNELS = False``), as backend "cupy-slices"."""
        conv_module = importlib.import_module("tinynet.functional.windows")
        if self.backend != "cupy" or not hasattr(conv_module, "USE_CUDA_KERNELS"):
            return
        saved = conv_module.USE_CUDA_KERNELS, self.torch, self.backend
        conv_module.USE_CUDA_KERNELS, self.torch, self.backend = False, None, "cupy-slices"
        try:
            for spec in CONVS:
                self.conv(spec, gemm=False)
            self.deconv(gemm=False)
        finally:
            conv_module.USE_CUDA_KERNELS, self.torch, self.backend = saved
