"""A/B: fresh child processes alternating base (/tmp/trees_base) and new (/work/main); each fits
twice (cold: the first fit of the process, warm: the second).

    python results/benchmarks/trees_mnist_forked_ab.py 20000 50 4   # and: 60000 100 2

The old code: git worktree add /tmp/trees_base 9e1c8b6.
"""

import json
import os
import subprocess
import sys

n, trees, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
child = r"""
import os, sys, time, json
from tinynet.datasets import mnist
import tinynet
from tinynet.trees import RandomForest
n, trees = int(sys.argv[1]), int(sys.argv[2])
(x, y), (xt, yt) = mnist.load_data()
x = x.reshape(len(x), -1)[:n]; y = y[:n]; xt = xt.reshape(len(xt), -1)
out = {"file": tinynet.__file__}
for k in ("cold", "warm"):
    out["load_" + k] = round(os.getloadavg()[0], 2)
    t = time.perf_counter(); m = RandomForest(n_estimators=trees, n_jobs=2, random_state=0).fit(x, y)
    out[k] = round(time.perf_counter() - t, 3)
out["acc"] = m.score(xt, yt)
print(json.dumps(out))
"""
env = dict(os.environ, OPENBLAS_NUM_THREADS="1", TINYNET_DATA="/work/shared/data")
for r in range(reps):
    for who, path in (
        (("base", "/tmp/trees_base"), ("new", "/work/main"))
        if r % 2 == 0
        else (("new", "/work/main"), ("base", "/tmp/trees_base"))
    ):
        res = subprocess.run(
            [sys.executable, "-c", child, str(n), str(trees)],
            env=dict(env, PYTHONPATH=path),
            cwd="/tmp",
            capture_output=True,
            text=True,
        )
        d = (
            json.loads(res.stdout.strip().splitlines()[-1])
            if res.returncode == 0
            else {"err": res.stderr[-300:]}
        )
        d.update(who=who, rep=r)
        print(json.dumps(d), flush=True)
