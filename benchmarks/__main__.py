"""tinynet benchmarks: kernels at the course's layer sizes and whole training steps (LeNet,
CIFAR-10 deep net, DCGAN), on NumPy and on CuPy when a CUDA GPU is present, beside PyTorch (and
Chainer) in the same run. Writes <machine>.json, .md and .png under --out (default
runs/benchmarks/, scratch; the kept results are in results/benchmarks/).

    python -m benchmarks [--smoke] [--device cpu|gpu|all] [--repeats N] [--out DIR]
    tinynet bench ...            (the same, run from the checkout's root)
"""

import argparse
import sys
from pathlib import Path

from .common import set_up_process
from .config import make_config
from .report import write_all
from .steps import STEPS
from .suite import run_suite

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "runs" / "benchmarks"


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python -m benchmarks", description=" ".join(__doc__.split("\n\n")[0].split())
    )
    p.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes and 2 repeats: checks that everything runs (seconds)",
    )
    p.add_argument(
        "--device",
        choices=["cpu", "gpu", "all"],
        default="all",
        help="where tinynet runs: NumPy (cpu), CuPy (gpu) or every available one "
        "(default all; a missing GPU is skipped)",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed calls per measurement, median reported (default 10; smoke 2)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"folder for the JSON, Markdown and PNG files (default {DEFAULT_OUT})",
    )
    p.add_argument(
        "--only",
        choices=["kernels", "steps"],
        default=None,
        help="measure only the kernels or only the training steps",
    )
    p.add_argument(
        "--steps",
        default=None,
        help=f"comma-separated training steps to run, of {','.join(STEPS)} (default all)",
    )
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurements")
    p.add_argument(
        "--no-torch-kernels",
        action="store_true",
        help="time the kernels in tinynet only (the training steps still run in PyTorch)",
    )
    p.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    p.add_argument(
        "--profile",
        action="store_true",
        help="also write the per-op breakdown of one step of each training step and device "
        "(profile-<step>-<device>.md and a Chrome trace .json, see benchmarks/profile_steps.py)",
    )
    p.add_argument(
        "--chainer-python",
        type=Path,
        default=None,
        metavar="PYTHON",
        help="an interpreter with Chainer 7.8 and NumPy < 2 that times Chainer's "
        "LeNet step when Chainer does not import here (see benchmarks/chainer_child.py)",
    )
    args = p.parse_args(argv)
    if args.steps is not None:
        args.steps = [s.strip() for s in args.steps.split(",") if s.strip()]
        unknown = [s for s in args.steps if s not in STEPS]
        if unknown:
            p.error(
                f"--steps: unknown step(s) {', '.join(unknown)}; choose from {', '.join(STEPS)}"
            )
    if args.repeats is not None and args.repeats < 1:
        p.error(f"--repeats must be at least 1, got {args.repeats}")
    return args


def main(argv=None):
    """Run the suite; returns (results dict, written paths). Exit status 0 also when the asked-for
    device is missing (it is reported as skipped)."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    set_up_process()  # the allocator and threads as the tinynet command runs them
    cfg = make_config(
        smoke=args.smoke,
        repeats=args.repeats,
        memory=not args.no_memory,
        torch_kernels=not args.no_torch_kernels,
    )
    parts = ("kernels", "steps") if args.only is None else (args.only,)
    written = []

    def write(results):  # after each device, so a run cut short keeps what it measured
        written[:] = write_all(results, args.out, chart=not args.no_chart)

    results = run_suite(
        cfg,
        device=args.device,
        parts=parts,
        steps=args.steps,
        chainer_python=args.chainer_python,
        on_device_done=write,
    )
    if args.profile and results["devices"] and "steps" in parts:
        from .profile_steps import profile_steps

        written += profile_steps(cfg, list(results["devices"]), args.steps, args.out)
    if not results["devices"]:
        print("nothing measured: no asked-for device is available; no files written")
    for path in written:
        print(f"wrote {path}")
    return results, list(written)


if __name__ == "__main__":
    main()
