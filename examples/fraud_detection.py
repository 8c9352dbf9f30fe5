"""Fraud and default detection: a tinynet network, a decision tree and a random forest compared.

    TINYNET_DATA=/path/to/data python examples/fraud_detection.py [--out runs/fraud_detection]

On the ULB card-fraud sample (1,722 rows, 29 % fraud) and the UCI credit-default table (30,000 rows,
22 % default), each split once, stratified, 70 % train / 30 % test under --seed:
  * network: standardised features (training mean / std; NaN cells imputed with the training
    median), Dense 32 relu, Dropout 0.2, Dense 16 relu, Dense 1 sigmoid; Adam; binary
    cross-entropy with class weights n / (2 * class count);
  * tree: entropy, class_weight='balanced', max_depth picked by average precision on a stratified
    25 % of the training rows, then refit on all of them;
  * forest: 100 trees, class_weight='balanced', n_jobs=2, out-of-bag scores.
Reports ROC AUC, average precision and the confusion matrix on the test rows at the threshold that
maximises F1 on the training rows' scores (the forest's out-of-bag scores: its own training rows
are fitted almost perfectly). Writes metrics.json, table.md and roc_pr.png to --out.

The metric functions below are plain NumPy on a label vector y (n,) in {0, 1} and scores s (n,),
a higher score meaning "more likely positive"; tied scores form one threshold (as scikit-learn).
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from tinynet.backend import seed as seed_tinynet
from tinynet.datasets import tabular
from tinynet.layers import Dense, Dropout
from tinynet.models import Sequential
from tinynet.optimizers import Adam
from tinynet.trees import DecisionTree, RandomForest

DATASETS = {
    "creditcard_fraud": tabular.load_creditcard_fraud,
    "credit_default": tabular.load_credit_default,
}
MODELS = ("network", "tree", "forest")


# ---- evaluation metrics ------------------------------------------------------------------------


def _check(y, s, where):
    y, s = np.asarray(y), np.asarray(s, dtype=np.float64)
    if y.ndim != 1 or s.ndim != 1 or len(y) != len(s):
        raise ValueError(
            f"{where}: y and scores must be 1-D of one length, got shapes {y.shape} and {s.shape}"
        )
    bad = ~np.isin(y, (0, 1))
    if bad.any():
        raise ValueError(f"{where}: labels must be 0 or 1, got {y[bad][:5].tolist()}")
    if not np.isfinite(s).all():
        raise ValueError(f"{where}: scores must be finite, got {s[~np.isfinite(s)][:5].tolist()}")
    n_pos = int(y.sum())
    if n_pos in (0, len(y)):
        raise ValueError(f"{where}: needs both classes in y, got {n_pos} positives of {len(y)}")
    return y.astype(np.int64), s


def _cumulative_counts(y, s):
    """(tp, fp, thresholds): counts predicted positive at each distinct score, highest first."""
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last index of each tied group
    tp = np.cumsum(y)[last]
    return tp, last + 1 - tp, s[last]


def roc_curve(y, s):
    """(fpr, tpr, thresholds), each (k + 1,) for k distinct scores: point i counts scores >=
    thresholds[i]; the first point is (0, 0) at threshold +inf."""
    y, s = _check(y, s, "roc_curve")
    tp, fp, thr = _cumulative_counts(y, s)
    return np.r_[0.0, fp / fp[-1]], np.r_[0.0, tp / tp[-1]], np.r_[np.inf, thr]


def roc_auc(y, s):
    """Area under the ROC curve (trapezoids): the chance that a random positive outscores a random
    negative, ties counting one half."""
    fpr, tpr, _ = roc_curve(y, s)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def precision_recall_curve(y, s):
    """(precision, recall, thresholds), each (k,) for k distinct scores, highest threshold first."""
    y, s = _check(y, s, "precision_recall_curve")
    tp, fp, thr = _cumulative_counts(y, s)
    return tp / (tp + fp), tp / tp[-1], thr


def average_precision(y, s):
    """sum_k (R_k - R_(k-1)) P_k over the thresholds, R_0 = 0 (scikit-learn's definition, no
    interpolation)."""
    precision, recall, _ = precision_recall_curve(y, s)
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def best_f1_threshold(y, s):
    """The score t for which "s >= t" has the highest F1 on (y, s); ties go to the higher t."""
    precision, recall, thr = precision_recall_curve(y, s)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-300)
    return float(thr[int(np.argmax(f1))])


def confusion(y, s, threshold):
    """[[TN, FP], [FN, TP]] for the prediction "s >= threshold"."""
    y, s = _check(y, s, "confusion")
    pred = (s >= threshold).astype(np.int64)
    return np.bincount(2 * y + pred, minlength=4).reshape(2, 2)


# ---- data and models ---------------------------------------------------------------------------


def stratified_split(y, test_fraction, seed):
    """(train, test) sorted index arrays with each class split in the same proportion."""
    rng = np.random.default_rng(seed)
    test = np.concatenate(
        [
            rng.permutation(np.flatnonzero(y == c))[: round(test_fraction * np.sum(y == c))]
            for c in np.unique(y)
        ]
    )
    return np.setdiff1d(np.arange(len(y)), test), np.sort(test)


def standardiser(X_train):
    """A function mapping X (n, d) to float32 with NaN -> training median, then (x - mean) / std."""
    median = np.nanmedian(X_train, axis=0)
    filled = np.where(np.isnan(X_train), median, X_train)
    mean, std = filled.mean(axis=0), filled.std(axis=0)
    std[std == 0] = 1.0
    return lambda X: ((np.where(np.isnan(X), median, X) - mean) / std).astype(np.float32)


def fit_network(X, y, epochs, batch_size, verbose):
    """Standardise, fit the network with class weights -> score function X -> P(y = 1) (n,)."""
    scale = standardiser(X)
    counts = np.bincount(y, minlength=2)
    class_weight = {c: len(y) / (2 * counts[c]) for c in (0, 1)}
    model = Sequential(
        [
            Dense(32, activation="relu", input_shape=(X.shape[1],)),
            Dropout(0.2),
            Dense(16, activation="relu"),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=Adam(lr=1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(
        scale(X),
        y.astype(np.float32),
        batch_size=batch_size,
        epochs=epochs,
        class_weight=class_weight,
        verbose=verbose,
    )
    return lambda Z: model.predict(scale(Z), batch_size=4096)[:, 0].astype(np.float64)


def tune_tree_depth(X, y, depths, seed):
    """The max_depth of the balanced entropy tree with the best validation average precision,
    validating on a stratified 25 % of (X, y) -> (depth, {depth: AP})."""
    fit_rows, val_rows = stratified_split(y, 0.25, seed)
    scores = {}
    for d in depths:
        t = DecisionTree(max_depth=d, class_weight="balanced", random_state=seed).fit(
            X[fit_rows], y[fit_rows]
        )
        scores[d] = average_precision(y[val_rows], t.predict_proba(X[val_rows])[:, 1])
    return max(depths, key=lambda d: (scores[d], -d)), scores


def evaluate(name, train_scores, test_scores, y_train, y_test, fit_seconds, extra=None):
    t = best_f1_threshold(y_train, train_scores)
    cm = confusion(y_test, test_scores, t)
    (tn, fp), (fn, tp) = cm.tolist()
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    fpr, tpr, _ = roc_curve(y_test, test_scores)
    prec, rec, _ = precision_recall_curve(y_test, test_scores)
    return {
        "model": name,
        "roc_auc": roc_auc(y_test, test_scores),
        "average_precision": average_precision(y_test, test_scores),
        "threshold": t,
        "confusion": cm.tolist(),
        "confusion_at_0.5": confusion(y_test, test_scores, 0.5).tolist(),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / max(precision + recall, 1e-300),
        "fit_seconds": fit_seconds,
        **(extra or {}),
        "curves": {
            "fpr": fpr.tolist(),
            "tpr": tpr.tolist(),
            "precision": prec.tolist(),
            "recall": rec.tolist(),
        },
    }


def run_dataset(name, args):
    d = DATASETS[name]()
    X, y = d.X, d.y
    if args.limit:
        keep, _ = stratified_split(y, 1 - args.limit / len(y), args.seed)
        X, y = X[keep], y[keep]
    train, test = stratified_split(y, 0.3, args.seed)
    Xtr, ytr, Xte, yte = X[train], y[train], X[test], y[test]
    print(
        f"\n{name}: {len(y)} rows, {X.shape[1]} features, {y.mean():.1%} positive, "
        f"{int(np.isnan(X).sum())} NaN cells; train {len(train)}, test {len(test)}"
    )
    results = []

    seed_tinynet(args.seed)
    t0 = time.perf_counter()
    score = fit_network(Xtr, ytr, args.epochs[name], args.batch_size[name], args.verbose)
    seconds = time.perf_counter() - t0
    results.append(
        evaluate(
            "network",
            score(Xtr),
            score(Xte),
            ytr,
            yte,
            seconds,
            {"epochs": args.epochs[name], "batch_size": args.batch_size[name]},
        )
    )

    t0 = time.perf_counter()
    depth, depth_ap = tune_tree_depth(Xtr, ytr, args.depths, args.seed)
    tune_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    tree = DecisionTree(max_depth=depth, class_weight="balanced", random_state=args.seed).fit(
        Xtr, ytr
    )
    seconds = time.perf_counter() - t0
    results.append(
        evaluate(
            "tree",
            tree.predict_proba(Xtr)[:, 1],
            tree.predict_proba(Xte)[:, 1],
            ytr,
            yte,
            seconds,
            {
                "max_depth": depth,
                "tuning_seconds": tune_seconds,
                "validation_ap_by_depth": {str(k): v for k, v in depth_ap.items()},
                "leaves": tree.n_leaves,
            },
        )
    )

    t0 = time.perf_counter()
    forest = RandomForest(
        n_estimators=args.trees,
        class_weight="balanced",
        oob_score=True,
        n_jobs=2,
        random_state=args.seed,
    ).fit(Xtr, ytr)
    seconds = time.perf_counter() - t0
    oob = forest.oob_decision_function_[:, 1]
    oob = np.where(np.isnan(oob), 0.5, oob)  # a row in every bootstrap sample (only with few trees)
    results.append(
        evaluate(
            "forest",
            oob,
            forest.predict_proba(Xte)[:, 1],
            ytr,
            yte,
            seconds,
            {"n_estimators": args.trees, "oob_accuracy": forest.oob_score_},
        )
    )
    for r in results:
        print(
            f"  {r['model']:8s} AUC {r['roc_auc']:.4f}  AP {r['average_precision']:.4f}  "
            f"threshold {r['threshold']:.3f}  confusion {r['confusion']}  fit {r['fit_seconds']:.2f} s"
        )
    return {
        "rows": len(y),
        "features": X.shape[1],
        "positive_rate": float(y.mean()),
        "train": len(train),
        "test": len(test),
        "test_positives": int(yte.sum()),
        "models": results,
    }


# ---- report ------------------------------------------------------------------------------------


def table(report):
    lines = [
        "| dataset | model | ROC AUC | avg. precision | threshold | TN | FP | FN | TP | precision "
        "| recall | F1 | fit (s) |",
        "|" + "---|" * 13,
    ]
    for name, d in report.items():
        for r in d["models"]:
            (tn, fp), (fn, tp) = r["confusion"]
            lines.append(
                f"| {name} | {r['model']} | {r['roc_auc']:.4f} | {r['average_precision']:.4f} | "
                f"{r['threshold']:.3f} | {tn} | {fp} | {fn} | {tp} | {r['precision']:.3f} | "
                f"{r['recall']:.3f} | {r['f1']:.3f} | {r['fit_seconds']:.2f} |"
            )
    return "\n".join(lines) + "\n"


def plot(report, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(report), 2, figsize=(11, 4.6 * len(report)), squeeze=False)
    for (name, d), (ax_roc, ax_pr) in zip(report.items(), axes):
        for r in d["models"]:
            c = r["curves"]
            ax_roc.plot(c["fpr"], c["tpr"], label=f"{r['model']} (AUC {r['roc_auc']:.3f})")
            ax_pr.step(
                np.r_[0.0, c["recall"]],
                np.r_[1.0, c["precision"]],
                where="pre",
                label=f"{r['model']} (AP {r['average_precision']:.3f})",
            )
        ax_roc.plot([0, 1], [0, 1], "k:", lw=1, label="chance")
        ax_pr.axhline(
            d["test_positives"] / d["test"], color="k", ls=":", lw=1, label="chance (prevalence)"
        )
        ax_roc.set(
            title=f"{name}: ROC (test, n={d['test']})",
            xlabel="false positive rate",
            ylabel="true positive rate",
        )
        ax_pr.set(
            title=f"{name}: precision-recall (test)",
            xlabel="recall",
            ylabel="precision",
            ylim=(0, 1.02),
        )
        for ax in (ax_roc, ax_pr):
            ax.legend(loc="lower right" if ax is ax_roc else "lower left", fontsize=9)
            ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def cpu_name():
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return next(ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def per_dataset(text, names):
    """ "5" -> {name: 5}; "a=5,b=20" -> per dataset."""
    if "=" not in text:
        return dict.fromkeys(names, int(text))
    pairs = dict(item.split("=") for item in text.split(","))
    return {n: int(pairs[n]) for n in names}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--datasets", default=",".join(DATASETS), help="comma-separated: " + ", ".join(DATASETS)
    )
    p.add_argument(
        "--epochs",
        default="creditcard_fraud=40,credit_default=15",
        help="network epochs, one number or name=n per dataset",
    )
    p.add_argument("--batch-size", default="creditcard_fraud=32,credit_default=128")
    p.add_argument("--trees", type=int, default=100)
    p.add_argument("--depths", default="3,4,5,6,8,10,12", help="tree max_depth candidates")
    p.add_argument(
        "--limit", type=int, default=0, help="use a stratified subsample of this many rows"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--verbose", type=int, default=2)
    p.add_argument("--out", default="runs/fraud_detection")
    args = p.parse_args(argv)
    names = args.datasets.split(",")
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        p.error(f"unknown dataset(s) {unknown}; known: {', '.join(DATASETS)}")
    args.epochs, args.batch_size = (
        per_dataset(args.epochs, names),
        per_dataset(args.batch_size, names),
    )
    args.depths = [int(v) for v in args.depths.split(",")]

    start = time.perf_counter()
    report = {name: run_dataset(name, args) for name in names}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    md = table(report)
    (out / "table.md").write_text(
        f"Held-out 30 % (stratified, seed {args.seed}). Threshold: the one maximising F1 on the training "
        f"rows' scores (forest: out-of-bag scores); confusion counts on the test rows.\n\n" + md
    )
    plot(report, out / "roc_pr.png")
    meta = {
        "seed": args.seed,
        "test_fraction": 0.3,
        "total_seconds": time.perf_counter() - start,
        "machine": f"{cpu_name()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "load_average_1min_at_end": os.getloadavg()[0],
        "numpy": np.__version__,
        "threshold_rule": "max F1 on training scores (forest: out-of-bag)",
    }
    slim = {
        n: {**d, "models": [{k: v for k, v in r.items() if k != "curves"} for r in d["models"]]}
        for n, d in report.items()
    }  # the curves have a point per distinct test score
    (out / "metrics.json").write_text(json.dumps({"meta": meta, "datasets": slim}, indent=1) + "\n")
    print("\n" + md + f"\ntotal {meta['total_seconds']:.1f} s; results in {out}")
    return report


if __name__ == "__main__":
    main()
