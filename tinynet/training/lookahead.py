"""Lookahead as airbench does it: an exponential moving average of the model's weights, written
back into the model each time it is updated (Zhang et al. 2019's Lookahead with the slow weights
an EMA; Jordan 2024, arXiv:2404.00498).

    model.fit(..., callbacks=[Lookahead(total_steps)])

From the first step of epoch ``start_epoch`` (counted from 0), every ``every`` optimizer steps
(the optimizer's iteration count a multiple of ``every``): the first time, the EMA is a copy of
the weights; after that ema <- rho * ema + (1 - rho) * w and then w <- ema, with
rho = decay_base ** every * (step / total_steps) ** decay_pow, so the average starts weak and grows
strong by the end. After an epoch's last batch w <- ema once more (the steps since the last
update are dropped, as in airbench). Every weight takes part, BatchNorm's moving statistics
included (airbench averages the whole state dict); the frozen ones stay as they are.

Resuming: an epoch ends with w = ema, so a run restarted at an epoch boundary takes the EMA
again from the weights (:meth:`on_epoch_begin`) and goes on exactly as an uninterrupted one.
"""

from ..backend import get_array_module
from .callbacks import Callback
from .optimizers import check_number


class Lookahead(Callback):
    """See the module docstring. total_steps: the run's optimizer steps (the schedule's length);
    steps_per_epoch: default the fit's (``params["steps"]``)."""

    def __init__(
        self,
        total_steps,
        start_epoch=3,
        every=5,
        decay_base=0.95,
        decay_pow=3.0,
        steps_per_epoch=None,
    ):
        super().__init__()
        who = "Lookahead"
        self.total_steps = int(check_number(who, "total_steps", total_steps, 0, low_open=True))
        self.start_epoch = int(check_number(who, "start_epoch", start_epoch, 0))
        self.every = int(check_number(who, "every", every, 1))
        self.decay_base = check_number(who, "decay_base", decay_base, 0, 1)
        self.decay_pow = check_number(who, "decay_pow", decay_pow, 0)
        self.steps_per_epoch = steps_per_epoch
        self.ema, self.epoch = None, 0

    def rho(self, step):
        """The EMA's decay at optimizer step ``step`` (1-based)."""
        return self.decay_base**self.every * (step / self.total_steps) ** self.decay_pow

    def first_step(self, steps_per_epoch):
        """The first step (1-based) that updates: the first multiple of ``every`` in epoch
        ``start_epoch`` or later."""
        return (self.start_epoch * steps_per_epoch // self.every + 1) * self.every

    def _steps_per_epoch(self):
        spe = self.steps_per_epoch or self.params.get("steps")
        if not spe:
            raise ValueError("Lookahead: steps_per_epoch is unknown; pass it")
        return int(spe)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        step = self.model.optimizer.iterations
        if self.ema is None and step >= self.first_step(self._steps_per_epoch()):
            self.ema = [w.data.copy() for w in self.model.weights]  # resumed: w = ema here

    def on_batch_end(self, batch, logs=None):
        step = self.model.optimizer.iterations
        if self.epoch >= self.start_epoch and step % self.every == 0:
            if self.ema is None:
                self.ema = [w.data.copy() for w in self.model.weights]
            else:
                self.update(self.rho(step))
        last = batch + 1 == self._steps_per_epoch() or step >= self.total_steps
        if last and self.ema is not None:  # before validation sees the weights
            self.update(1.0)

    def on_epoch_end(self, epoch, logs=None):
        if self.ema is not None:
            self.update(1.0)

    def update(self, rho):
        """ema <- rho * ema + (1 - rho) * w, then w <- ema, for every weight."""
        for ema, w in zip(self.ema, self.model.weights):
            if rho != 1.0:
                xp = get_array_module(ema)
                ema += xp.asarray(1 - rho, dtype=ema.dtype) * (w.data - ema)
            w.data[...] = ema
            w.bump_version()
