"""One LeNet training step (batch 128, 1x28x28, float32), tinynet vs PyTorch in the same process.

conv 20@5x5 same + relu + maxpool 2, conv 50@5x5 same + relu + maxpool 2, dense 500 + relu,
dense 10, softmax cross-entropy, backward, SGD update.

    python -m benchmarks.lenet_step [--device cpu|gpu] [--repeats N]
"""
import argparse
import json

import numpy as np

import tinynet as tn
from tinynet import backend, functional as F

from .timing import machine, median_time, torch_or_none

BATCH = 128


def lenet_params(xp, seed=0):
    rng = np.random.default_rng(seed)

    def init(*shape, fan_in):
        return tn.Tensor(xp.asarray((rng.normal(size=shape) * np.sqrt(2 / fan_in)).astype(np.float32)),
                         requires_grad=True)

    return [init(20, 1, 5, 5, fan_in=25), init(20, fan_in=1e9),
            init(50, 20, 5, 5, fan_in=500), init(50, fan_in=1e9),
            init(2450, 500, fan_in=2450), init(500, fan_in=1e9),
            init(500, 10, fan_in=500), init(10, fan_in=1e9)]


def tinynet_step(params, x, t, lr=0.01):
    w1, b1, w2, b2, w3, b3, w4, b4 = params
    h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=2)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2, padding=2)), 2)
    h = F.relu(F.linear(h.reshape(h.shape[0], -1), w3, b3))
    loss = F.softmax_cross_entropy(F.linear(h, w4, b4), t)
    for p in params:
        p.grad = None
    loss.backward()
    with tn.no_grad():
        for p in params:
            p.data -= p.data.dtype.type(lr) * p.grad
    return loss


def time_tinynet(device="cpu", repeats=20):
    xp = np if device == "cpu" else backend.get_array_module(backend.to_device(np.zeros(1), "gpu"))
    rng = np.random.default_rng(1)
    x = tn.Tensor(xp.asarray(rng.random((BATCH, 1, 28, 28), dtype=np.float32)))
    t = xp.asarray(rng.integers(0, 10, BATCH))
    params = lenet_params(xp)
    return median_time(lambda: tinynet_step(params, x, t), repeats=repeats, warmup=3, xp=xp)


def time_torch(device="cpu", repeats=20):
    torch = torch_or_none()
    if torch is None or (device == "gpu" and not torch.cuda.is_available()):
        return None
    dev = "cuda" if device == "gpu" else "cpu"
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 20, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(20, 50, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(2450, 500), nn.ReLU(), nn.Linear(500, 10)).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.rand(BATCH, 1, 28, 28, device=dev)
    t = torch.randint(0, 10, (BATCH,), device=dev)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), t).backward()
        opt.step()

    sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)

    def timed():
        step()
        sync()

    return median_time(timed, repeats=repeats, warmup=3)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    ours = time_tinynet(args.device, args.repeats)
    theirs = time_torch(args.device, args.repeats)
    result = {"machine": machine(), "device": args.device, "tinynet_ms": ours * 1e3,
              "torch_ms": None if theirs is None else theirs * 1e3,
              "ratio": None if theirs is None else ours / theirs}
    print(f"LeNet step (batch {BATCH}, {args.device}): tinynet {ours * 1e3:.1f} ms", end="")
    if theirs is not None:
        print(f", PyTorch {theirs * 1e3:.1f} ms, ratio {ours / theirs:.2f}x")
    else:
        print(" (PyTorch not installed)")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
