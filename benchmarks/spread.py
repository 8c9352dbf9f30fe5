"""The training-step benchmarks run several times over: how far the tinynet / PyTorch (and
tinynet / Chainer) ratios move from run to run on a shared machine. Writes
``<machine>-spread.json`` (every run's step rows) and ``<machine>-spread.md`` (each run's ratios,
then their median, min and max) under --out.

    python -m benchmarks.spread [--runs 11] [--smoke] [--chainer-python PYTHON] [--out DIR]
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

from .__main__ import DEFAULT_OUT
from .common import set_up_process
from .config import make_config
from .report import file_stem, machine_line
from .suite import run_suite

RATIOS = (
    ("ratio", "tinynet / PyTorch"),
    ("fastest_ratio", "fastest calls: tinynet / PyTorch"),
    ("chainer_ratio", "tinynet / Chainer"),
)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.spread", description=" ".join(__doc__.split("\n\n")[0].split())
    )
    p.add_argument("--runs", type=int, default=11, help="how many runs of the steps (default 11)")
    p.add_argument("--smoke", action="store_true", help="tiny sizes and 2 repeats (seconds)")
    p.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"folder for the JSON and Markdown files (default {DEFAULT_OUT})",
    )
    p.add_argument(
        "--chainer-python",
        type=Path,
        default=None,
        metavar="PYTHON",
        help="an interpreter with Chainer 7.8 (see benchmarks/chainer_child.py)",
    )
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error(f"--runs must be at least 1, got {args.runs}")
    return args


def run_spread(cfg, runs, chainer_python=None, log=print):
    """``runs`` CPU step-suite results -> {"runs": [results...], "summary": {step: {"title": ...,
    key: stats}}} where stats are the median, min and max of that ratio over the runs that
    measured it."""
    all_runs = []
    for i in range(runs):
        log(f"run {i + 1} of {runs}")
        all_runs.append(
            run_suite(cfg, device="cpu", parts=("steps",), log=log, chainer_python=chainer_python)
        )
    summary = {}
    for row in all_runs[0]["steps"]:
        name, stats = row["step"], {"title": row["title"]}
        for key, _ in RATIOS:
            values = [
                r[key]
                for res in all_runs
                for r in res["steps"]
                if r["step"] == name and r.get(key) is not None
            ]
            if values:
                stats[key] = {
                    "median": statistics.median(values),
                    "min": min(values),
                    "max": max(values),
                    "n": len(values),
                }
        summary[name] = stats
    return {"runs": all_runs, "summary": summary}


def markdown(spread):
    """Each run's ratios (one row per run and step), then the summary table."""
    runs = spread["runs"]
    lines = [
        f"# Training steps: {len(runs)} runs",
        "",
        machine_line(runs[0]),
        "",
        "| run | started | step | tinynet ms | PyTorch ms | "
        + " | ".join(title for _, title in RATIOS)
        + " |",
        "|" + "---|" * (5 + len(RATIOS)),
    ]
    for i, res in enumerate(runs, 1):
        for r in res["steps"]:
            cells = [
                str(i),
                res["created"],
                r["title"],
                _ms(r.get("tinynet_ms")),
                _ms(r.get("torch_ms")),
            ]
            cells += [_x(r.get(key)) for key, _ in RATIOS]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| step | ratio | median | min | max | runs |", "|---|---|---|---|---|---|"]
    for stats in spread["summary"].values():
        for key, title in RATIOS:
            if key in stats:
                s = stats[key]
                lines.append(
                    f"| {stats['title']} | {title} | {_x(s['median'])} | {_x(s['min'])} | "
                    f"{_x(s['max'])} | {s['n']} |"
                )
    return "\n".join(lines) + "\n"


def _ms(v):
    return "–" if v is None else f"{v:.1f}"


def _x(v):
    return "–" if v is None else f"{v:.2f}x"


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    set_up_process()  # as the tinynet command and python -m benchmarks run
    cfg = make_config(smoke=args.smoke, memory=False)
    spread = run_spread(cfg, args.runs, args.chainer_python)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = file_stem(spread["runs"][0]) + "-spread"
    paths = [args.out / f"{stem}.json", args.out / f"{stem}.md"]
    paths[0].write_text(json.dumps(spread, indent=1) + "\n")
    paths[1].write_text(markdown(spread))
    for path in paths:
        print(f"wrote {path}")
    return spread, paths


if __name__ == "__main__":
    main()
