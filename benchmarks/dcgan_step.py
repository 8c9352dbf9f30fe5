"""One DCGAN iteration on 28x28 images (batch 64, float32): a discriminator step on 64 real and
64 generated images, then a generator step through the frozen discriminator; plain SGD.

G: z (N, 100) -> dense 128*7*7 -> batch_norm -> relu -> reshape (128, 7, 7)
   -> conv2d_transpose 64 k4 s2 p1 -> batch_norm -> relu -> conv2d_transpose 1 k4 s2 p1 -> tanh
D: x (N, 1, 28, 28) -> conv 64 k4 s2 p1 -> leaky_relu 0.2 -> conv 128 k4 s2 p1 -> batch_norm
   -> leaky_relu 0.2 -> flatten -> dense 1 (logits); loss binary_cross_entropy_with_logits.
"""

import numpy as np

import tinynet as tn
from tinynet import functional as F

from .common import LR, Params, clear_grads, sgd, torch_device

BATCH = 64
NAME = "dcgan"
TITLE = "DCGAN iteration"
Z = 100


class _BN:
    """Batch-norm parameters (gamma, beta Tensors) and running statistics (raw arrays)."""

    def __init__(self, p, c):
        self.gamma, self.beta = p.const(c, value=1.0), p.const(c)
        self.mean, self.var = p.xp.zeros(c, dtype=np.float32), p.xp.ones(c, dtype=np.float32)

    def __call__(self, x):
        return F.batch_norm(
            x, self.gamma, self.beta, self.mean, self.var, training=True, momentum=0.99, eps=1e-3
        )


class Generator:
    def __init__(self, xp, seed=0):
        p = Params(xp, seed)
        self.w1, self.b1 = p.he(Z, 6272, fan_in=Z), p.const(6272)
        self.bn1 = _BN(p, 6272)
        self.w2, self.b2 = p.he(128, 64, 4, 4, fan_in=128 * 16), p.const(64)
        self.bn2 = _BN(p, 64)
        self.w3, self.b3 = p.he(64, 1, 4, 4, fan_in=64 * 16), p.const(1)
        self.params = p.all

    def __call__(self, z):
        """z (N, 100) -> images (N, 1, 28, 28) in [-1, 1]."""
        h = F.relu(self.bn1(F.linear(z, self.w1, self.b1))).reshape(z.shape[0], 128, 7, 7)
        h = F.relu(self.bn2(F.conv2d_transpose(h, self.w2, self.b2, stride=2, padding=1)))
        return F.tanh(F.conv2d_transpose(h, self.w3, self.b3, stride=2, padding=1))


class Discriminator:
    def __init__(self, xp, seed=0):
        p = Params(xp, seed)
        self.w1, self.b1 = p.he(64, 1, 4, 4, fan_in=16), p.const(64)
        self.w2, self.b2 = p.he(128, 64, 4, 4, fan_in=64 * 16), p.const(128)
        self.bn = _BN(p, 128)
        self.w3, self.b3 = p.he(6272, 1, fan_in=6272), p.const(1)
        self.params = p.all

    def __call__(self, x):
        """x (N, 1, 28, 28) -> logits (N, 1)."""
        h = F.leaky_relu(F.conv2d(x, self.w1, self.b1, stride=2, padding=1), 0.2)
        h = F.leaky_relu(self.bn(F.conv2d(h, self.w2, self.b2, stride=2, padding=1)), 0.2)
        return F.linear(h.reshape(x.shape[0], -1), self.w3, self.b3)


def _inputs(xp, batch, seed):
    rng = np.random.default_rng(seed + 1)
    real = rng.random((batch, 1, 28, 28), dtype=np.float32) * 2 - 1
    z1 = rng.standard_normal((batch, Z), dtype=np.float32)
    z2 = rng.standard_normal((batch, Z), dtype=np.float32)
    t_d = np.concatenate([np.ones((batch, 1)), np.zeros((batch, 1))]).astype(np.float32)
    return real, z1, z2, t_d, np.ones((batch, 1), dtype=np.float32)


def make_tinynet(xp, batch=BATCH, seed=0):
    G, D = Generator(xp, seed), Discriminator(xp, seed + 100)
    real, z1, z2, t_d, t_g = (xp.asarray(a) for a in _inputs(xp, batch, seed))
    z1, z2 = tn.Tensor(z1), tn.Tensor(z2)

    def step():
        with tn.no_grad():
            fake = G(z1)
        loss_d = F.binary_cross_entropy_with_logits(
            D(tn.Tensor(xp.concatenate([real, fake.data]))), t_d
        )
        clear_grads(D.params)
        loss_d.backward()
        sgd(D.params)
        for p in D.params:  # frozen for the generator step
            p.requires_grad = False
        try:
            loss_g = F.binary_cross_entropy_with_logits(D(G(z2)), t_g)
            clear_grads(G.params)
            loss_g.backward()
            sgd(G.params)
        finally:
            for p in D.params:
                p.requires_grad = True

    return step


def make_torch(torch, device="cpu", batch=BATCH, seed=0):
    torch.manual_seed(seed)
    dev = torch_device(device)
    nn = torch.nn
    G = nn.Sequential(
        nn.Linear(Z, 6272),
        nn.BatchNorm1d(6272, eps=1e-3, momentum=0.01),
        nn.ReLU(),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1),
        nn.BatchNorm2d(64, eps=1e-3, momentum=0.01),
        nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1),
        nn.Tanh(),
    ).to(dev)
    D = nn.Sequential(
        nn.Conv2d(1, 64, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, stride=2, padding=1),
        nn.BatchNorm2d(128, eps=1e-3, momentum=0.01),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(6272, 1),
    ).to(dev)
    opt_g = torch.optim.SGD(G.parameters(), lr=LR)
    opt_d = torch.optim.SGD(D.parameters(), lr=LR)
    real, z1, z2, t_d, t_g = (torch.from_numpy(a).to(dev) for a in _inputs(np, batch, seed))
    loss_fn = nn.BCEWithLogitsLoss()

    def step():
        with torch.no_grad():
            fake = G(z1)
        opt_d.zero_grad()
        loss_fn(D(torch.cat([real, fake])), t_d).backward()
        opt_d.step()
        D.requires_grad_(False)
        try:
            opt_g.zero_grad()
            loss_fn(D(G(z2)), t_g).backward()
            opt_g.step()
        finally:
            D.requires_grad_(True)

    return step
