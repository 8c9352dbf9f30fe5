"""Sizes of a benchmark run: the course's ("full") or a tiny one for tests ("smoke")."""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Config:
    name: str
    batch: int  # LeNet and CIFAR-10 steps, and the kernels of their layers
    gan_batch: int  # DCGAN iteration, and the kernels of its layers
    peak_n: int  # square float32 matmul that measures the GEMM peak, CPU
    peak_n_gpu: int  # the same on the GPU
    repeats: int  # timed calls per measurement (the median is reported)
    warmup: int  # untimed calls before them
    settle_s: float = 0.0  # pause before each timed block, so the last library's idle
    #                         worker threads (OpenBLAS spins ~0.1 s) stop competing for cores
    turns: int = 2  # passes over the frameworks, in alternating order (A B, B A, A B, ...)
    memory: bool = True  # measure peak memory of the training steps
    torch_kernels: bool = True  # time each kernel in PyTorch too (the steps always are)


FULL = Config(
    "full",
    batch=128,
    gan_batch=64,
    peak_n=2048,
    peak_n_gpu=8192,
    repeats=16,
    warmup=2,
    settle_s=0.25,
    turns=4,
)
SMOKE = Config("smoke", batch=4, gan_batch=4, peak_n=128, peak_n_gpu=256, repeats=2, warmup=1)


def make_config(smoke=False, repeats=None, memory=True, torch_kernels=True):
    cfg = SMOKE if smoke else FULL
    if repeats is not None:
        if repeats < 1:
            raise ValueError(f"benchmarks: --repeats must be at least 1, got {repeats}")
        cfg = replace(cfg, repeats=repeats)
    return replace(cfg, memory=memory, torch_kernels=torch_kernels)
