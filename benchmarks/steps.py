"""The training-step benchmarks by name: lenet, cifar_deep, dcgan."""

from . import cifar_step, dcgan_step, lenet_step

STEPS = {m.NAME: m for m in (lenet_step, cifar_step, dcgan_step)}


def step_batch(module, cfg):
    """The batch size of a step under a config (the DCGAN has its own)."""
    return cfg.gan_batch if module is dcgan_step else cfg.batch
