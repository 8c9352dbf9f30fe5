"""Chainer's LeNet step timed in another Python interpreter.

Chainer 7.8 does not import with NumPy 2, so it is usually measured from a separate environment
that has NumPy < 2 and Chainer (``--chainer-python PATH`` of ``python -m benchmarks``), e.g.

    python -m venv /tmp/chainer-env
    PIP_CONSTRAINT=<(echo "setuptools<70") /tmp/chainer-env/bin/pip install numpy==1.26.4 chainer==7.8.1 tqdm

    python -m benchmarks.chainer_child BATCH REPEATS WARMUP   (prints one JSON line)
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def time_in(python, batch, repeats, warmup, timeout=600):
    """{"chainer_ms", "chainer", "numpy"} measured by ``python``, or {"error": ...}."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    cmd = [str(python), "-m", "benchmarks.chainer_child", str(batch), str(repeats), str(warmup)]
    try:
        out = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"error": f"{python}: {type(e).__name__}: {e}"}
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"{python} exited {out.returncode}: {tail}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(batch, repeats, warmup):
    import numpy

    from .common import chainer_or_none
    from .lenet_step import make_chainer
    from .timing import median_time

    chainer = chainer_or_none()
    if chainer is None:
        raise SystemExit("benchmarks.chainer_child: Chainer does not import in this Python")
    ms = 1e3 * median_time(make_chainer(chainer, batch), repeats, warmup)
    return {"chainer_ms": ms, "chainer": chainer.__version__, "numpy": numpy.__version__}


if __name__ == "__main__":
    print(json.dumps(main(*(int(a) for a in sys.argv[1:4]))))
