"""One LeNet training step (batch 128, 1x28x28, float32), tinynet vs PyTorch in the same process.

conv 20@5x5 same + relu + maxpool 2, conv 50@5x5 same + relu + maxpool 2, dense 500 + relu,
dense 10, softmax cross-entropy, backward, SGD update.

    python -m benchmarks.lenet_step [--device cpu|gpu] [--repeats N]
"""

import argparse
import json

import numpy as np

import tinynet as tn
from tinynet import functional as F

from .common import (
    LR,
    Params,
    array_module,
    chainer_or_none,
    data,
    labels,
    strict_float32,
    torch_classifier_step,
    torch_sync,
    torch_usable,
)
from .timing import machine, median_time, torch_or_none

BATCH = 128
NAME = "lenet"
TITLE = "LeNet"


def lenet_params(xp, seed=0):
    """[w1 (20,1,5,5), b1, w2 (50,20,5,5), b2, w3 (2450,500), b3, w4 (500,10), b4]."""
    p = Params(xp, seed)
    return [
        p.he(20, 1, 5, 5, fan_in=25),
        p.const(20),
        p.he(50, 20, 5, 5, fan_in=500),
        p.const(50),
        p.he(2450, 500, fan_in=2450),
        p.const(500),
        p.he(500, 10, fan_in=500),
        p.const(10),
    ]


def tinynet_step(params, x, t, lr=LR):
    """x (N, 1, 28, 28) Tensor, t (N,) integer labels; returns the loss Tensor."""
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


def make_tinynet(xp, batch=BATCH, seed=0):
    x = tn.Tensor(data(xp, seed + 1, batch, 1, 28, 28))
    t = labels(xp, seed + 2, batch)
    params = lenet_params(xp, seed)
    return lambda: tinynet_step(params, x, t)


def make_torch(torch, device="cpu", batch=BATCH, seed=0):
    torch.manual_seed(seed)
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 20, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(20, 50, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(2450, 500),
        nn.ReLU(),
        nn.Linear(500, 10),
    )
    return torch_classifier_step(torch, model, (1, 28, 28), batch, device)


def make_chainer(chainer, batch=BATCH, seed=0):
    """The same step in Chainer (CPU): Convolution2D/Linear links, optimizers.SGD."""
    L, CF = chainer.links, chainer.functions

    class LeNet(chainer.Chain):
        def __init__(self):
            super().__init__()
            with self.init_scope():
                self.c1 = L.Convolution2D(1, 20, 5, pad=2)
                self.c2 = L.Convolution2D(20, 50, 5, pad=2)
                self.l1 = L.Linear(2450, 500)
                self.l2 = L.Linear(500, 10)

        def forward(self, x):
            h = CF.max_pooling_2d(CF.relu(self.c1(x)), 2)
            h = CF.max_pooling_2d(CF.relu(self.c2(h)), 2)
            return self.l2(CF.relu(self.l1(h)))

    model = LeNet()
    opt = chainer.optimizers.SGD(lr=LR)
    opt.setup(model)
    x = data(np, seed + 1, batch, 1, 28, 28)
    t = labels(np, seed + 2, batch).astype(np.int32)

    def step():
        model.cleargrads()
        CF.softmax_cross_entropy(model(x), t).backward()
        opt.update()

    return step


def time_tinynet(device="cpu", repeats=20):
    xp = array_module(device)
    return median_time(make_tinynet(xp), repeats=repeats, warmup=3, xp=xp)


def time_torch(device="cpu", repeats=20):
    torch = torch_or_none()
    if not torch_usable(torch, device):
        return None
    strict_float32(torch)
    return median_time(
        make_torch(torch, device), repeats=repeats, warmup=3, sync=torch_sync(torch, device)
    )


def time_chainer(repeats=20):
    chainer = chainer_or_none()
    if chainer is None:
        return None
    return median_time(make_chainer(chainer), repeats=repeats, warmup=3)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    ours = time_tinynet(args.device, args.repeats)
    theirs = time_torch(args.device, args.repeats)
    result = {
        "machine": machine(),
        "device": args.device,
        "tinynet_ms": ours * 1e3,
        "torch_ms": None if theirs is None else theirs * 1e3,
        "ratio": None if theirs is None else ours / theirs,
    }
    print(f"LeNet step (batch {BATCH}, {args.device}): tinynet {ours * 1e3:.1f} ms", end="")
    if theirs is not None:
        print(f", PyTorch {theirs * 1e3:.1f} ms, ratio {ours / theirs:.2f}x")
    else:
        print(" (PyTorch not installed)")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
