"""One training step of the course's CIFAR-10 deep net (batch 128 of 3x32x32, float32).

conv 32@3x3 same + relu, conv 32@3x3 same + relu, maxpool 2, dropout 0.25,
conv 64@3x3 same + relu, conv 64@3x3 valid + relu, maxpool 2, dropout 0.25,
flatten (64*7*7), dense 512 + relu, dropout 0.5, dense 10, softmax cross-entropy, SGD.
"""

import tinynet as tn
from tinynet import functional as F

from .common import Params, clear_grads, data, labels, sgd, torch_classifier_step

BATCH = 128
NAME = "cifar_deep"
TITLE = "CIFAR-10 deep net"


def cifar_params(xp, seed=0):
    p = Params(xp, seed)
    return [
        p.he(32, 3, 3, 3, fan_in=27),
        p.const(32),
        p.he(32, 32, 3, 3, fan_in=288),
        p.const(32),
        p.he(64, 32, 3, 3, fan_in=288),
        p.const(64),
        p.he(64, 64, 3, 3, fan_in=576),
        p.const(64),
        p.he(3136, 512, fan_in=3136),
        p.const(512),
        p.he(512, 10, fan_in=512),
        p.const(10),
    ]


def cifar_logits(params, x, training=True):
    """x (N, 3, 32, 32) -> logits (N, 10)."""
    w1, b1, w2, b2, w3, b3, w4, b4, w5, b5, w6, b6 = params
    h = F.relu(F.conv2d(x, w1, b1, padding=1))
    h = F.relu(F.conv2d(h, w2, b2, padding=1))
    h = F.dropout(F.max_pool2d(h, 2), 0.25, training)
    h = F.relu(F.conv2d(h, w3, b3, padding=1))
    h = F.relu(F.conv2d(h, w4, b4, padding=0))
    h = F.dropout(F.max_pool2d(h, 2), 0.25, training)
    h = F.dropout(F.relu(F.linear(h.reshape(h.shape[0], -1), w5, b5)), 0.5, training)
    return F.linear(h, w6, b6)


def make_tinynet(xp, batch=BATCH, seed=0):
    x = tn.Tensor(data(xp, seed + 1, batch, 3, 32, 32))
    t = labels(xp, seed + 2, batch)
    params = cifar_params(xp, seed)

    def step():
        loss = F.softmax_cross_entropy(cifar_logits(params, x), t)
        clear_grads(params)
        loss.backward()
        sgd(params)

    return step


def make_torch(torch, device="cpu", batch=BATCH, seed=0):
    torch.manual_seed(seed)
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(64, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(3136, 512),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(512, 10),
    )
    return torch_classifier_step(torch, model, (3, 32, 32), batch, device)
