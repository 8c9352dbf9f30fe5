"""The per-op breakdown of each tinynet training step (``python -m benchmarks --profile``):
one step profiled with ``tn.profile()`` after a warm-up, per step and device, written as
``profile-<step>-<device>.md`` (the table sorted by total time) and ``.json`` (Chrome trace)."""

import tinynet as tn

from .common import array_module
from .steps import STEPS, step_batch


def profile_steps(cfg, devices, steps, out):
    """Profile each of ``steps`` (names; None = all) on each of ``devices``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for device in devices:
        xp = array_module(device)
        for name in steps or list(STEPS):
            module = STEPS[name]
            batch = step_batch(module, cfg)
            step = module.make_tinynet(xp, batch=batch)
            step()  # warm-up: caches, allocator, CUDA kernels compiled
            with tn.profile() as prof:
                step()
            base = out / f"profile-{name}-{device}"
            title = f"# tinynet {module.TITLE} training step on the {device} (batch {batch})"
            table = prof.table(sort_by="total")
            base.with_suffix(".md").write_text(f"{title}\n\n```\n{table}\n```\n")
            prof.export_chrome_trace(base.with_suffix(".json"))
            written += [base.with_suffix(".md"), base.with_suffix(".json")]
    return written
