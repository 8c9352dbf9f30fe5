"""Batch normalisation as one fused Function, for (N, C) and (N, C, H, W) inputs. Its
``backward_graph`` (for ``create_graph``) is the gradient of the same normalisation written
with tinynet ops."""

from .. import threads
from ..autograd import Function
from ..backend import get_array_module
from ._graph import composite_vjp
from .layout import channel_rows, sum_axes


def _row_dots(a, b):
    """(C, M), (C, M) -> (C,): the dot product of each row pair, as a batch of C GEMVs (no (C, M)
    temporary)."""
    return (a[:, None, :] @ b[:, :, None])[:, 0, 0]


class BatchNorm(Function):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta, statistics per channel (axis 1).

    training: batch statistics are used, and ``running_mean`` / ``running_var`` (raw arrays of
    shape (C,)) are updated in place: running = momentum * running + (1 - momentum) * batch
    (Keras's momentum; the running variance takes the unbiased batch variance, as PyTorch does).
    inference: the running statistics are used. Training on one value per channel (a batch of
    one (1, C) row, or (1, C, 1, 1)) raises, as Keras and PyTorch do.
    sync: None, or (data-parallel training) a communicator whose ``allreduce(a)`` sums a float64
    array over the ranks in place: the statistics are then those of the global batch (the sums,
    then the squared deviations, reduced), and backward reduces the two gradient sums, each
    rank's weighted by its share of the global batch, so the result equals one process's.
    """

    def __init__(self, running_mean, running_var, training, momentum=0.99, eps=1e-3, sync=None):
        self.running_mean, self.running_var = running_mean, running_var
        self.training, self.momentum, self.eps = training, momentum, eps
        self.sync = sync if training else None

    def check_inputs(self, x, gamma, beta):
        if x.ndim not in (2, 4):
            raise ValueError(f"batch_norm: x must be (N, C) or (N, C, H, W), got shape {x.shape}")
        C = x.shape[1]
        for name, a in (
            ("gamma", gamma),
            ("beta", beta),
            ("running_mean", self.running_mean),
            ("running_var", self.running_var),
        ):
            if a is None:
                raise ValueError(f"batch_norm: {name} is required (an array of shape ({C},))")
            if a.shape != (C,):
                raise ValueError(
                    f"batch_norm: {name} must have shape ({C},) for x of shape "
                    f"{x.shape}, got {a.shape}"
                )
        if self.training and x.size == C:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got x of "
                f"shape {x.shape} (one sample per channel has variance 0: the layers before "
                f"would get zero gradient and the moving variance would decay to 0); train on "
                f"batches of 2 or more, or normalise in inference mode (training=False)"
            )
        if gamma.dtype != x.dtype or beta.dtype != x.dtype:
            raise TypeError(
                f"batch_norm: dtypes differ: x {x.dtype}, gamma {gamma.dtype}, beta "
                f"{beta.dtype}; convert them explicitly (ops never change dtype "
                f"silently)"
            )

    def forward(self, x, gamma, beta):
        xp = get_array_module(x)
        self.to_rows, self.from_rows = channel_rows(x)
        rows = self.to_rows(x)  # (C, M): each channel's values in one row
        n, dt = rows.shape[1], x.dtype.type
        if self.sync is not None:
            mean, xc, var, n = self._global_moments(rows)
        else:
            mean, var = self.running_mean, self.running_var
            xc = xp.empty_like(rows)
        y = xp.empty_like(xc)
        inv_std = xp.empty(rows.shape[0], dtype=x.dtype)
        m = self.momentum
        unbias = n / max(n - 1, 1)

        def channels(c0, c1):  # every pass of channels [c0, c1), on one of two threads
            c = slice(c0, c1)
            if self.sync is None and self.training:  # n >= 2 (check_inputs)
                mean_c = sum_axes(rows[c], (1,))[:, 0] / dt(n)
                xp.subtract(rows[c], mean_c[:, None], out=xc[c])
                var_c = _row_dots(xc[c], xc[c]) / dt(n)
            elif self.sync is None:
                xp.subtract(rows[c], mean[c, None].astype(x.dtype, copy=False), out=xc[c])
                var_c = var[c]
            else:
                mean_c, var_c = mean[c], var[c]
            if self.training:
                self.running_mean[c] *= m
                self.running_mean[c] += (1 - m) * mean_c
                self.running_var[c] *= m
                self.running_var[c] += (1 - m) * var_c * unbias
            inv_std[c] = 1 / xp.sqrt(var_c + dt(self.eps))
            # xhat = xc * inv_std is never stored: y and the gradients scale xc per channel
            xp.multiply(xc[c], (gamma[c] * inv_std[c])[:, None], out=y[c])
            y[c] += beta[c, None]

        threads.split(channels, rows.shape[0], 3 * rows.nbytes, like=x)
        self.xc, self.inv_std, self.gamma = xc, inv_std, gamma
        return self.from_rows(y)

    def _global_moments(self, rows):
        """(mean, rows - mean, biased var, n) over every rank's rows (self.sync)."""
        xp, C, n = get_array_module(rows), rows.shape[0], rows.shape[1]
        sums = xp.empty(C + 1, dtype="float64")
        sums[:C], sums[C] = rows.sum(axis=1, dtype="float64"), n
        self.sync.allreduce(sums)
        total = float(sums[C])
        mean = (sums[:C] / total).astype(rows.dtype)
        xc = rows - mean[:, None]
        sq = xp.ascontiguousarray(_row_dots(xc, xc), dtype="float64")
        self.sync.allreduce(sq)
        self.share = n / total
        return mean, xc, (sq / total).astype(rows.dtype), total

    def backward(self, gy):
        xp = get_array_module(gy)
        g = self.to_rows(gy)  # columns in the order of xc's
        C, n = g.shape
        gbeta, ggamma, gx = xp.empty(C, g.dtype), xp.empty(C, g.dtype), xp.empty_like(self.xc)
        minus_mean = gy.dtype.type(-1.0 / n)

        def sums(c):
            gbeta[c] = sum_axes(g[c], (1,))[:, 0]
            ggamma[c] = _row_dots(g[c], self.xc[c]) * self.inv_std[c]  # the sum of g * xhat

        def input_gradient(c, sg, sgx):
            # gx = scale * (g - (xhat * sgx + sg) / n), in four passes over the batch
            scale = (self.gamma[c] * self.inv_std[c])[:, None]
            if not self.training:
                xp.multiply(g[c], scale, out=gx[c])
                return
            xp.multiply(self.xc[c], (sgx * self.inv_std[c] * minus_mean)[:, None], out=gx[c])
            gx[c] += (sg * minus_mean)[:, None]
            gx[c] += g[c]
            gx[c] *= scale

        def channels(c0, c1):  # every pass of channels [c0, c1), on one of two threads
            c = slice(c0, c1)
            sums(c)
            input_gradient(c, gbeta[c], ggamma[c])

        if self.sync is None:
            threads.split(channels, C, 3 * g.nbytes, like=g)
            return self.from_rows(gx), ggamma, gbeta
        sums(slice(None))  # the global batch's sums, on the scale of this rank's loss
        both = xp.empty(2 * C, dtype="float64")
        both[:C], both[C:] = gbeta, ggamma
        both *= self.share
        self.sync.allreduce(both)
        input_gradient(slice(None), both[:C].astype(g.dtype), both[C:].astype(g.dtype))
        return self.from_rows(gx), ggamma, gbeta

    def backward_graph(self, gy):
        if self.sync is not None:
            raise RuntimeError(
                "batch_norm: create_graph is not supported with synchronised batch statistics "
                "(sync=...): its gradient sums are reduced over the ranks by raw array calls"
            )
        x = self.inputs[0]
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        eps = x.dtype.type(self.eps)

        def normalise(x, gamma, beta):
            if self.training:
                xc = x - x.mean(axis=axes, keepdims=True)
                xhat = xc * ((xc * xc).mean(axis=axes, keepdims=True) + eps) ** -0.5
            else:  # the running statistics, constants (as forward read them)
                xhat = (
                    x - self.running_mean.reshape(shape).astype(x.dtype)
                ) * self.inv_std.reshape(shape)
            return xhat * gamma.reshape(shape) + beta.reshape(shape)

        return composite_vjp(normalise, self.inputs, (gy,), self.needs_grad)


def batch_norm(
    x, gamma, beta, running_mean, running_var, training=True, momentum=0.99, eps=1e-3, sync=None
):
    return BatchNorm(running_mean, running_var, training, momentum, eps, sync)(x, gamma, beta)
