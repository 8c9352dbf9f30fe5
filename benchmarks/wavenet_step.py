"""WaveNet training step, tinynet against the same network in PyTorch, in one process.

The network trained by ``tinynet wavenet train --mode digits --layers-per-stack 8`` (2 stacks of
dilations 1..128, 32 residual and gate channels, 64 skip channels, global conditioning on digit
and speaker, local conditioning at frame rate), on a batch of 2 clips of 4096 samples (the
8192-sample batches it trains on); Adam. The two steps alternate, each timed ``--repeats``
times, and the medians are compared.

    python -m benchmarks.wavenet_step [--batch 8] [--length 4096] [--repeats 7]
"""

import argparse
import json
import time

import numpy as np

from tinynet.wavenet import WaveNet, stack_dilations

from .common import set_up_process


def tinynet_model(args):
    return WaveNet(
        dilations=stack_dilations(args.stacks, args.layers_per_stack),
        residual_channels=args.channels,
        gate_channels=args.channels,
        skip_channels=args.skip,
        global_conditions={"digit": 10, "speaker": 6},
        local_channels=6,
    )


def batch(args, seed=0):
    rng = np.random.default_rng(seed)
    N, L = args.batch, args.length
    codes = rng.integers(0, 256, (N, L))
    targets = rng.integers(0, 256, (N, L))
    weights = np.ones((N, L), np.float32)
    conditions = np.stack([rng.integers(0, 10, N), rng.integers(0, 6, N)], axis=1)
    local = rng.normal(size=(N, 6, L // 64)).astype(np.float32)
    return codes, targets, weights, conditions, local


def torch_model(torch, model):
    """The same network as ``model`` in PyTorch, with its weights copied."""
    nn, Fn = torch.nn, torch.nn.functional

    def param(t):
        return nn.Parameter(torch.from_numpy(np.array(t.data)))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            m = model
            self.dilations = m.dilations
            self.G2 = 2 * m.gate_channels
            self.emb = param(m.input_embedding.embeddings)
            self.dil = nn.ParameterList(
                [p for c in m.dilated for p in (param(c.kernel), param(c.bias))]
            )
            self.res = nn.ParameterList(
                [p for c in m.residual for p in (param(c.kernel), param(c.bias))]
            )
            self.skip = nn.ParameterList(
                [p for c in m.skip for p in (param(c.kernel), param(c.bias))]
            )
            self.head = nn.ParameterList(
                [param(m.head_hidden.kernel), param(m.head_hidden.bias)]
                + [param(m.head_out.kernel), param(m.head_out.bias)]
            )
            self.gemb = nn.ParameterList([param(e.embeddings) for e in m.global_embeddings])
            self.gproj = param(m.global_projection.kernel)
            self.lin = nn.ParameterList([param(m.local_input.kernel), param(m.local_input.bias)])
            self.lproj = param(m.local_projection.kernel)

        def forward(self, codes, conditions, local):
            N, L = codes.shape
            n = len(self.dilations)
            x = self.emb[codes].transpose(1, 2)
            g = torch.cat([e[conditions[:, i]] for i, e in enumerate(self.gemb)], dim=1)
            g = (g @ self.gproj).reshape(N, n, self.G2, 1)
            h = torch.tanh(Fn.conv1d(local, self.lin[0], self.lin[1], padding=1))
            loc = Fn.conv1d(h, self.lproj).reshape(N, n, self.G2, -1, 1)
            skips = 0
            for i, d in enumerate(self.dilations):
                w, b = self.dil[2 * i], self.dil[2 * i + 1]
                k = w.shape[2]
                z = Fn.conv1d(Fn.pad(x, ((k - 1) * d, 0)), w, b, dilation=d) + g[:, i]
                z = (z.reshape(N, self.G2, L // 64, 64) + loc[:, i]).reshape(N, self.G2, L)
                a, s = z.chunk(2, dim=1)
                out = torch.tanh(a) * torch.sigmoid(s)
                skips = skips + Fn.conv1d(out, self.skip[2 * i], self.skip[2 * i + 1])
                if i < n - 1:
                    x = x + Fn.conv1d(out, self.res[2 * i], self.res[2 * i + 1])
            h = Fn.relu(Fn.conv1d(Fn.relu(skips), self.head[0], self.head[1]))
            return Fn.conv1d(h, self.head[2], self.head[3])

    return Net()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--length", type=int, default=4096)
    p.add_argument("--stacks", type=int, default=2)
    p.add_argument("--layers-per-stack", type=int, default=8)
    p.add_argument("--channels", type=int, default=32)
    p.add_argument("--skip", type=int, default=64)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--json", default=None, help="write the figures here")
    args = p.parse_args(argv)
    set_up_process(split_threads=False)  # as the tinynet wavenet command runs
    model = tinynet_model(args)
    model.compile("adam")
    arrays = model.device_batch(batch(args))
    times = {"tinynet": [], "pytorch": []}
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        net = torch_model(torch, model)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        codes, targets, weights, conditions, local = (
            torch.from_numpy(np.asarray(a)) for a in batch(args)
        )

        def torch_step():
            opt.zero_grad()
            logits = net(codes, conditions, local)
            nll = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
            loss = (nll * weights).sum() / weights.sum() / np.log(2)
            loss.backward()
            opt.step()
            return float(loss)

        torch_step()
    model.train_step(arrays)
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        model.train_step(arrays)
        times["tinynet"].append(time.perf_counter() - t0)
        if torch is not None:
            t0 = time.perf_counter()
            torch_step()
            times["pytorch"].append(time.perf_counter() - t0)
    samples = args.batch * args.length
    result = {
        "batch": args.batch,
        "length": args.length,
        "layers": len(model.dilations),
        "channels": args.channels,
        "tinynet_s": float(np.median(times["tinynet"])),
        "pytorch_s": float(np.median(times["pytorch"])) if times["pytorch"] else None,
    }
    result["tinynet_samples_per_s"] = samples / result["tinynet_s"]
    if result["pytorch_s"]:
        result["ratio"] = result["tinynet_s"] / result["pytorch_s"]
        result["torch_threads"] = torch.get_num_threads()
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
