"""A per-op profiler: ``with tn.profile() as prof:`` times every Function's forward and backward.

    with tn.profile() as prof:
        loss = model.train_on_batch(x, y)
    print(prof.table(sort_by="total", group_by="op"))   # or group_by="layer"
    prof.export_chrome_trace("step.json")                # chrome://tracing, ui.perfetto.dev
    prof.plot("step.png")                                # bars; CPU and GPU side by side

Each event holds the op, its phase (forward or backward), the layer that called it (the innermost
layer on Layer.__call__'s stack, else the layer a named parameter input belongs to), wall time,
the bytes of its outputs (forward) or gradients (backward) and its FLOPs. On the GPU an op's time
is measured between two CUDA events recorded on the stream around it (device time, read once when
the block ends), so asynchronous launches are not mistaken for the work. FLOPs are counted for the
GEMM-shaped ops from their shapes (conv1d/conv2d: 2 * output size * C_in * kernel size;
conv2d_transpose: 2 * input size * C_out * kernel size; linear and matmul: 2 * output size *
inner size), and for a backward as one such GEMM per input among (x, w) that needs a gradient.
A custom Function can give ``flops(input_shapes, output_shapes)`` itself.

Off, it costs nothing but one module-global check per op (autograd._tracer is None).
"""

import json
import math
import time

from .. import autograd
from ..backend import cupy, is_gpu_array


def _conv_flops(ins, outs):  # w (C_out, C_in/groups, *k), out (N, C_out, *spatial)
    return 2 * math.prod(outs[0]) * math.prod(ins[1][1:])


def _conv_transpose_flops(ins, outs):  # x (N, C_in, H, W), w (C_in, C_out, kh, kw)
    return 2 * math.prod(ins[0]) * math.prod(ins[1][1:])


def _inner_flops(ins, outs):  # linear x (N, in) @ w (in, out); matmul a (..., n, k) @ b
    return 2 * math.prod(outs[0]) * ins[0][-1]


FLOPS = {
    "Conv2d": _conv_flops,
    "Conv1d": _conv_flops,
    "Conv2dTranspose": _conv_transpose_flops,
    "Linear": _inner_flops,
    "MatMul": _inner_flops,
}


def forward_flops(fn, in_shapes, out_shapes):
    """FLOPs of fn's forward from its input and output shapes; 0 for ops outside the table."""
    own = getattr(fn, "flops", None)
    if callable(own):
        return int(own(in_shapes, out_shapes))
    rule = FLOPS.get(type(fn).__name__)
    if rule is None or len(in_shapes) < 2 or in_shapes[1] is None:
        return 0
    return int(rule(in_shapes, out_shapes))


def _array(x):
    return x._data if isinstance(x, autograd.Tensor) else x


def _layer(fn, inputs):
    if fn.scope is not None:
        return fn.scope
    for x in inputs:
        if isinstance(x, autograd.Tensor) and x.creator is None and x.name and "/" in x.name:
            return x.name.rsplit("/", 1)[0]
    return None


class Profiler:
    """Records events while it is the active tracer; see the module's docstring."""

    def __init__(self):
        self.events = []  # dicts: name, phase, layer, device, start, dur, bytes, flops, shapes
        self._pending = []  # (event, cuda start, cuda end) read when the block ends
        self.start = self.wall = None

    # ----- the tracer protocol (autograd calls these) -----
    def call(self, fn, inputs):
        gpu = any(is_gpu_array(_array(x)) for x in inputs)
        t0, e0 = self._begin(gpu)
        outs = fn.apply(inputs)
        event = self._end(fn.__class__.__name__, "forward", t0, e0, gpu)
        many = outs if isinstance(outs, tuple) else (outs,)
        in_shapes = [getattr(_array(x), "shape", None) for x in inputs]
        flops = forward_flops(fn, in_shapes, [o.shape for o in many])
        layer = _layer(fn, inputs)
        fn.__dict__["_profile"] = (flops, layer)
        event.update(
            layer=layer,
            bytes=sum(o._data.nbytes for o in many),
            flops=flops,
            shapes=[list(s) if s is not None else None for s in in_shapes],
        )
        return outs

    def backward(self, fn, gys):
        gpu = is_gpu_array(gys[0])
        t0, e0 = self._begin(gpu)
        gxs = fn.backward(*gys)
        event = self._end(fn.__class__.__name__, "backward", t0, e0, gpu)
        flops, layer = fn.__dict__.get("_profile", (0, None))
        if flops and fn.__class__.__name__ in FLOPS:
            flops *= sum(bool(n) for n in fn.needs_grad[:2])
        many = gxs if isinstance(gxs, tuple) else (gxs,)
        event.update(
            layer=layer,
            flops=flops,
            bytes=sum(g.nbytes for g in many if g is not None and hasattr(g, "nbytes")),
        )
        return gxs

    def _begin(self, gpu):
        e0 = None
        if gpu:
            e0 = cupy.cuda.Event()
            e0.record()
        return time.perf_counter(), e0

    def _end(self, name, phase, t0, e0, gpu):
        t1 = time.perf_counter()
        event = {
            "name": name,
            "phase": phase,
            "device": "gpu" if gpu else "cpu",
            "start": t0 - self.start,
            "dur": t1 - t0,
            "layer": None,
            "bytes": 0,
            "flops": 0,
        }
        if gpu:
            e1 = cupy.cuda.Event()
            e1.record()
            self._pending.append((event, e0, e1))
        self.events.append(event)
        return event

    # ----- the block -----
    def __enter__(self):
        if autograd._tracer is not None:
            raise RuntimeError("profile: another profiler (or tracer) is already active")
        self.events, self._pending = [], []
        self.start = time.perf_counter()
        autograd.set_tracer(self)
        return self

    def __exit__(self, *exc):
        autograd.set_tracer(None)
        for event, e0, e1 in self._pending:
            e1.synchronize()
            event["dur"] = cupy.cuda.get_elapsed_time(e0, e1) / 1e3
        self._pending = []
        self.wall = time.perf_counter() - self.start

    # ----- reading it -----
    def rows(self, group_by="op"):
        """One dict per op (or layer) and device: calls (forward calls), forward/backward/total
        seconds, bytes, flops, gflops_per_s (None where no FLOPs are counted)."""
        if group_by not in ("op", "layer"):
            raise ValueError(f"profile.rows: group_by must be 'op' or 'layer', got {group_by!r}")
        rows = {}
        for e in self.events:
            key = e["name"] if group_by == "op" else (e["layer"] or "(outside layers)")
            r = rows.setdefault(
                (key, e["device"]),
                {
                    "name": key,
                    "device": e["device"],
                    "calls": 0,
                    "forward": 0.0,
                    "backward": 0.0,
                    "bytes": 0,
                    "flops": 0,
                },
            )
            r["calls"] += e["phase"] == "forward"
            r[e["phase"]] += e["dur"]
            r["bytes"] += e["bytes"]
            r["flops"] += e["flops"]
        for r in rows.values():
            r["calls"] = max(r["calls"], 1)  # a backward-only row (its forward ran outside)
            r["total"] = r["forward"] + r["backward"]
            r["gflops_per_s"] = r["flops"] / r["total"] / 1e9 if r["flops"] and r["total"] else None
        return list(rows.values())

    def total(self, phase=None):
        """Seconds summed over the events (of ``phase``: 'forward' or 'backward')."""
        return sum(e["dur"] for e in self.events if phase is None or e["phase"] == phase)

    def table(self, sort_by="total", group_by="op", row_limit=None):
        """A text table like torch.profiler's ``key_averages().table()``: one row per op (or
        layer) and device, sorted by ``sort_by`` (total, forward, backward, calls, flops, bytes,
        name), the ops' sum at the bottom."""
        keys = ("total", "forward", "backward", "calls", "flops", "bytes", "name")
        if sort_by not in keys:
            raise ValueError(f"profile.table: sort_by must be one of {keys}, got {sort_by!r}")
        rows = sorted(self.rows(group_by), key=lambda r: r[sort_by], reverse=sort_by != "name")
        total = self.total() or 1.0
        head = [
            "layer" if group_by == "layer" else "op",
            "device",
            "calls",
            "forward ms",
            "backward ms",
            "total ms",
            "%",
            "per call us",
            "out MB",
            "GFLOP",
            "GFLOP/s",
        ]
        body = []
        for r in rows[:row_limit]:
            body.append(
                [
                    r["name"],
                    r["device"],
                    str(r["calls"]),
                    f"{r['forward'] * 1e3:.3f}",
                    f"{r['backward'] * 1e3:.3f}",
                    f"{r['total'] * 1e3:.3f}",
                    f"{100 * r['total'] / total:.1f}",
                    f"{r['total'] / r['calls'] * 1e6:.1f}",
                    f"{r['bytes'] / 1e6:.2f}",
                    f"{r['flops'] / 1e9:.3f}" if r["flops"] else "-",
                    f"{r['gflops_per_s']:.1f}" if r["gflops_per_s"] else "-",
                ]
            )
        flops = sum(e["flops"] for e in self.events)
        body.append(
            [
                "(all ops)",
                "",
                str(sum(e["phase"] == "forward" for e in self.events)),
                f"{self.total('forward') * 1e3:.3f}",
                f"{self.total('backward') * 1e3:.3f}",
                f"{self.total() * 1e3:.3f}",
                "100.0",
                "",
                f"{sum(e['bytes'] for e in self.events) / 1e6:.2f}",
                f"{flops / 1e9:.3f}" if flops else "-",
                "",
            ]
        )
        widths = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]

        def line(cells):
            return "  ".join(
                c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
            )

        rule = "-" * len(line(head))
        out = [line(head), rule] + [line(b) for b in body[:-1]] + [rule, line(body[-1])]
        if self.wall is not None:
            out.append(
                f"wall time of the block: {self.wall * 1e3:.3f} ms (the ops: "
                f"{100 * self.total() / self.wall:.0f}%)"
            )
        return "\n".join(out)

    def chrome_trace(self):
        """The events as a Trace Event Format dict (complete events, ph 'X', times in us):
        pid 0 is the CPU and 1 the GPU; tid 0 forward, 1 backward."""
        pids, tids = {"cpu": 0, "gpu": 1}, {"forward": 0, "backward": 1}
        events = []
        for dev, pid in pids.items():
            events.append(
                {
                    "name": "process_name",
                    "ph": "M",
                    "pid": pid,
                    "tid": 0,
                    "args": {"name": f"tinynet {dev}"},
                }
            )
            for phase, tid in tids.items():
                events.append(
                    {
                        "name": "thread_name",
                        "ph": "M",
                        "pid": pid,
                        "tid": tid,
                        "args": {"name": phase},
                    }
                )
        for e in self.events:
            events.append(
                {
                    "name": e["name"],
                    "cat": e["phase"],
                    "ph": "X",
                    "ts": round(e["start"] * 1e6, 3),
                    "dur": round(e["dur"] * 1e6, 3),
                    "pid": pids[e["device"]],
                    "tid": tids[e["phase"]],
                    "args": {
                        "layer": e["layer"],
                        "bytes": e["bytes"],
                        "flops": e["flops"],
                        **({"input_shapes": e["shapes"]} if "shapes" in e else {}),
                    },
                }
            )
        return {"traceEvents": events, "displayTimeUnit": "ms"}

    def export_chrome_trace(self, path):
        """Write :meth:`chrome_trace` as JSON to ``path`` (open it in chrome://tracing or
        ui.perfetto.dev); returns the path."""
        with open(path, "w") as f:
            json.dump(self.chrome_trace(), f)
        return path

    def plot(self, path=None, group_by="op", top=12):
        """Horizontal bars of forward + backward milliseconds for the ``top`` ops (or layers);
        CPU and GPU side by side when both were profiled. Returns the Figure (saved to
        ``path`` when given)."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        rows = self.rows(group_by)
        devices = sorted({r["device"] for r in rows})
        order = sorted(
            {r["name"] for r in rows},
            key=lambda n: -max(r["total"] for r in rows if r["name"] == n),
        )[:top]
        fig = Figure(figsize=(8, 0.4 * len(order) * len(devices) + 1.5))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        height = 0.8 / len(devices)
        colours = {
            ("cpu", "forward"): "#4c72b0",
            ("cpu", "backward"): "#a6bddb",
            ("gpu", "forward"): "#dd8452",
            ("gpu", "backward"): "#f5c9a6",
        }
        for k, dev in enumerate(devices):
            by = {r["name"]: r for r in rows if r["device"] == dev}
            ys = [i + k * height for i in range(len(order))]
            fwd = [by[n]["forward"] * 1e3 if n in by else 0 for n in order]
            bwd = [by[n]["backward"] * 1e3 if n in by else 0 for n in order]
            ax.barh(ys, fwd, height, color=colours[(dev, "forward")], label=f"{dev} forward")
            ax.barh(
                ys, bwd, height, left=fwd, color=colours[(dev, "backward")], label=f"{dev} backward"
            )
        ax.set_yticks([i + height * (len(devices) - 1) / 2 for i in range(len(order))], order)
        ax.invert_yaxis()
        ax.set_xlabel("milliseconds in the profiled block")
        ax.set_title(f"time per {group_by}")
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
        return fig


def profile():
    """A Profiler to use as ``with tn.profile() as prof: ...``."""
    return Profiler()
