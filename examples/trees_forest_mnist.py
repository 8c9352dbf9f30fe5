"""A random forest on raw MNIST pixels: 100 unpruned trees on bootstrap samples, sqrt(784) = 28
candidate pixels per node, soft voting.

    TINYNET_DATA=/path/to/data python examples/trees_forest_mnist.py [--trees 100] [--jobs 2]

Prints the fit time, the test accuracy and the out-of-bag accuracy, and saves the pixel
importances as a 28x28 picture (importances.png in --out).
"""

import argparse
import time
from pathlib import Path

from tinynet.datasets import mnist
from tinynet.trees import RandomForest


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trees", type=int, default=100)
    p.add_argument("--jobs", type=int, default=2, help="worker processes")
    p.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("runs/trees_forest_mnist"))
    args = p.parse_args(argv)

    (x, y), (xt, yt) = mnist.load_data()
    x, y = x[: args.limit], y[: args.limit]
    x, xt = x.reshape(len(x), -1), xt.reshape(len(xt), -1)
    forest = RandomForest(
        n_estimators=args.trees, n_jobs=args.jobs, oob_score=True, random_state=args.seed
    )
    start = time.perf_counter()
    forest.fit(x, y)
    seconds = time.perf_counter() - start
    depth = sum(t.max_depth for t in forest.estimators_) / args.trees
    print(
        f"{args.trees} trees on {len(y)} images in {seconds:.1f} s (mean depth {depth:.1f}); "
        f"test accuracy {forest.score(xt, yt):.4f}, out-of-bag accuracy {forest.oob_score_:.4f}"
    )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tinynet.plot import plot_importance_map

    args.out.mkdir(parents=True, exist_ok=True)
    ax = plot_importance_map(forest.feature_importances_, (28, 28))
    ax.figure.savefig(args.out / "importances.png", dpi=120, bbox_inches="tight")
    plt.close(ax.figure)
    print("saved", args.out / "importances.png")


if __name__ == "__main__":
    main()
