"""Decision trees and random forests on real data, beside scikit-learn in the same run.

    python -m benchmarks.bench_trees [--part uci|mnist|all] [--trees 100] [--repeats 1]
                                     [--train 60000] [--no-256] [--out DIR]

uci:   stratified 10-fold cross-validated accuracy on car, tic-tac-toe and house-votes-84 for
       tinynet's DecisionTree (ID3 multiway splits, and one-value-vs-rest binary splits) and
       scikit-learn's DecisionTreeClassifier(criterion='entropy') on one-hot columns (same folds);
       mushroom on a stratified 70/30 split; the golf tree's rules.
mnist: RandomForest(n_estimators=100, n_jobs=2) (its default 32 bins per pixel, and 256 bins:
       exact thresholds) on the 60,000 raw training images against scikit-learn's
       RandomForestClassifier(n_estimators=100, n_jobs=2): fit time and accuracy on the 10,000
       test images. With --repeats the fits alternate; every time is kept. --train N fits on the
       first N training images; --no-256 leaves out the 256-bin forest.

Needs scikit-learn (the 'bench' extra) and $TINYNET_DATA. Writes trees_<part>.json and .md under
--out (default runs/benchmarks; the kept results are in results/benchmarks).
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from tinynet.datasets import categorical, mnist
from tinynet.trees import DecisionTree, RandomForest

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "runs" / "benchmarks"
CV_SETS = ("car", "tic-tac-toe", "house-votes-84")
LIBRARIES = ("scikit-learn", "tinynet", "tinynet, 256 bins")


def machine():
    cpu = platform.processor() or "cpu"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sklearn

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "python": platform.python_version(),
    }


def load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _one_hot_tree(Xtr, ytr, Xte, yte):
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.tree import DecisionTreeClassifier

    as_str = lambda X: np.where(X == None, "?", X).astype(str)  # noqa: E711  (None = missing)
    enc = OneHotEncoder(handle_unknown="ignore").fit(as_str(Xtr))
    clf = DecisionTreeClassifier(criterion="entropy", random_state=0)
    clf.fit(enc.transform(as_str(Xtr)), ytr)
    return clf.score(enc.transform(as_str(Xte)), yte)


def uci_part(folds=10):
    from sklearn.model_selection import StratifiedKFold, train_test_split

    rows = []
    for name in CV_SETS:
        d = categorical.load_data(name)
        scores = {"multiway": [], "binary": [], "sklearn": []}
        for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(d.X, d.y):
            for split in ("multiway", "binary"):
                t = DecisionTree(categorical_split=split).fit(d.X[tr], d.y[tr])
                scores[split].append(t.score(d.X[te], d.y[te]))
            scores["sklearn"].append(_one_hot_tree(d.X[tr], d.y[tr], d.X[te], d.y[te]))
        rows.append(
            {
                "dataset": name,
                "rows": len(d.y),
                "protocol": f"{folds}-fold stratified CV",
                **{k: float(np.mean(v)) for k, v in scores.items()},
                **{k + "_std": float(np.std(v)) for k, v in scores.items()},
            }
        )
    d = categorical.load_data("mushroom")
    tr, te = train_test_split(np.arange(len(d.y)), test_size=0.3, stratify=d.y, random_state=0)
    row = {"dataset": "mushroom", "rows": len(d.y), "protocol": "stratified 70/30 split"}
    for split in ("multiway", "binary"):
        row[split] = (
            DecisionTree(categorical_split=split).fit(d.X[tr], d.y[tr]).score(d.X[te], d.y[te])
        )
    row["sklearn"] = _one_hot_tree(d.X[tr], d.y[tr], d.X[te], d.y[te])
    rows.append(row)
    g = categorical.load_data("golf")
    golf = DecisionTree().fit(g.X, g.y, feature_names=g.feature_names, target_name=g.target_name)
    return {"accuracy": rows, "golf_rules": golf.export_rules().splitlines()}


def mnist_part(trees, repeats, train=None, libraries=LIBRARIES):
    from sklearn.ensemble import RandomForestClassifier

    (x, y), (xt, yt) = mnist.load_data()
    x, xt = x.reshape(len(x), -1)[:train], xt.reshape(len(xt), -1)
    y = y[:train]
    runs = []
    for r in range(repeats):
        for who in libraries:
            if who == "tinynet":
                model = RandomForest(n_estimators=trees, n_jobs=2, random_state=r)
            elif who == "tinynet, 256 bins":
                model = RandomForest(n_estimators=trees, n_jobs=2, random_state=r, max_bins=256)
            else:
                model = RandomForestClassifier(n_estimators=trees, n_jobs=2, random_state=r)
            load = load_average()
            t0 = time.perf_counter()
            model.fit(x, y)
            fit = time.perf_counter() - t0
            t0 = time.perf_counter()
            acc = float(model.score(xt, yt))
            runs.append(
                {
                    "library": who,
                    "repeat": r,
                    "fit_s": round(fit, 2),
                    "predict_s": round(time.perf_counter() - t0, 2),
                    "test_accuracy": acc,
                    "load_average_before": load,
                }
            )
            print(f"  {who:17s} fit {fit:6.1f} s  accuracy {acc:.4f}", flush=True)
    summary = {}
    for who in libraries:
        mine = [r for r in runs if r["library"] == who]
        summary[who] = {
            "fit_s_min": min(r["fit_s"] for r in mine),
            "fit_s_median": float(np.median([r["fit_s"] for r in mine])),
            "test_accuracy_mean": float(np.mean([r["test_accuracy"] for r in mine])),
        }
    return {
        "n_estimators": trees,
        "n_jobs": 2,
        "train": len(y),
        "test": len(yt),
        "runs": runs,
        "summary": summary,
    }


def uci_markdown(res):
    lines = [
        "| data set | protocol | tinynet ID3 (multiway) | tinynet binary splits | "
        "scikit-learn (entropy, one-hot) |",
        "|---|---|---|---|---|",
    ]
    for r in res["accuracy"]:
        cell = lambda k: (
            f"{100 * r[k]:.2f}" + (f" ± {100 * r[k + '_std']:.2f}" if k + "_std" in r else "")
        )
        lines.append(
            f"| {r['dataset']} ({r['rows']}) | {r['protocol']} | {cell('multiway')} | "
            f"{cell('binary')} | {cell('sklearn')} |"
        )
    lines += ["", "Golf (ID3, information gain):", "", "```"] + res["golf_rules"] + ["```"]
    return lines


def mnist_markdown(res):
    s = res["summary"]
    lines = [
        f"MNIST, {res['train']} training / {res['test']} test images, raw pixels, "
        f"{res['n_estimators']} trees, n_jobs=2:",
        "",
        "| library | fit time (s), each run | test accuracy |",
        "|---|---|---|",
    ]
    for who in s:
        times = ", ".join(f"{r['fit_s']:.1f}" for r in res["runs"] if r["library"] == who)
        lines.append(f"| {who} | {times} | {100 * s[who]['test_accuracy_mean']:.2f} % |")
    return lines


def write(out, part, res, meta):
    out.mkdir(parents=True, exist_ok=True)
    body = {"machine": meta, **res}
    (out / f"trees_{part}.json").write_text(json.dumps(body, indent=1) + "\n")
    md = [
        f"# Trees: {part}",
        "",
        f"Machine: {meta['cpu']}, {meta['cores']} cores; NumPy "
        f"{meta['numpy']}, scikit-learn {meta['scikit-learn']}; load average at start "
        f"{meta['load_average_start']}, at end {meta['load_average_end']}.",
        "",
    ]
    md += uci_markdown(res) if part == "uci" else mnist_markdown(res)
    (out / f"trees_{part}.md").write_text("\n".join(md) + "\n")
    return out / f"trees_{part}.json", out / f"trees_{part}.md"


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_trees", description=__doc__.splitlines()[0]
    )
    p.add_argument("--part", choices=["uci", "mnist", "all"], default="all")
    p.add_argument("--trees", type=int, default=100, help="trees per forest (default 100)")
    p.add_argument("--repeats", type=int, default=1, help="MNIST fits per library, alternating")
    p.add_argument("--train", type=int, default=None, help="first N training images (all)")
    p.add_argument("--no-256", action="store_true", help="leave out the 256-bin forest")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args(argv)
    if args.trees < 1 or args.repeats < 1:
        p.error("--trees and --repeats must be at least 1")
    if args.train is not None and args.train < 2:
        p.error(f"--train must be at least 2, got {args.train}")
    libraries = LIBRARIES[:2] if args.no_256 else LIBRARIES
    try:
        meta = machine()
    except ImportError:
        raise SystemExit(
            "bench_trees: scikit-learn is needed for the comparison (pip install scikit-learn)"
        )
    written = []
    for part in ("uci", "mnist") if args.part == "all" else (args.part,):
        print(f"{part}:", flush=True)
        meta["load_average_start"] = load_average()
        res = (
            uci_part()
            if part == "uci"
            else mnist_part(args.trees, args.repeats, args.train, libraries)
        )
        meta["load_average_end"] = load_average()
        written += write(args.out, part, res, dict(meta))
    for w in written:
        print("wrote", w)
    return written


if __name__ == "__main__":
    main()
