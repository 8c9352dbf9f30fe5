"""examples/fraud_detection.py: its ROC / precision-recall functions on hand-computed cases, against
a brute-force pair count and scikit-learn; the split and scaling helpers; one small real run."""

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DATA = Path(os.environ.get("TINYNET_DATA") or "/nonexistent")


def _load():
    spec = importlib.util.spec_from_file_location(
        "example_fraud_detection", EXAMPLES / "fraud_detection.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fd = _load()


def labelled_scores(min_size=2, max_size=60):
    """(y, s): binary labels holding both classes, integer-valued scores (so ties happen)."""
    return (
        st.integers(min_size, max_size)
        .flatmap(
            lambda n: st.tuples(
                st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(
                    lambda v: 0 < sum(v) < len(v)
                ),
                st.lists(st.integers(0, 6), min_size=n, max_size=n),
            )
        )
        .map(lambda t: (np.array(t[0]), np.array(t[1], dtype=np.float64)))
    )


# ---- hand-computed cases ---------------------------------------------------------------------


def test_four_point_example_by_hand():
    # descending scores 0.8 (+), 0.4 (-), 0.35 (+), 0.1 (-)
    y, s = np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])
    fpr, tpr, thr = fd.roc_curve(y, s)
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_allclose(thr, [np.inf, 0.8, 0.4, 0.35, 0.1])
    assert fd.roc_auc(y, s) == pytest.approx(0.75)  # 3 of the 4 (pos, neg) pairs ordered right
    precision, recall, _ = fd.precision_recall_curve(y, s)
    np.testing.assert_allclose(precision, [1, 1 / 2, 2 / 3, 1 / 2])
    np.testing.assert_allclose(recall, [0.5, 0.5, 1, 1])
    assert fd.average_precision(y, s) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)


def test_ties_count_one_half_and_form_one_threshold():
    y, s = np.array([0, 1, 0, 1]), np.array([0.5, 0.5, 0.2, 0.9])
    # pairs (pos, neg): (0.9, 0.5) win, (0.9, 0.2) win, (0.5, 0.5) tie, (0.5, 0.2) win
    assert fd.roc_auc(y, s) == pytest.approx(3.5 / 4)
    precision, recall, thr = fd.precision_recall_curve(y, s)
    np.testing.assert_allclose(thr, [0.9, 0.5, 0.2])
    np.testing.assert_allclose(precision, [1, 2 / 3, 1 / 2])
    assert fd.average_precision(y, s) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert fd.roc_auc([0, 1], [0.3, 0.3]) == 0.5 and fd.average_precision([0, 1], [0.3, 0.3]) == 0.5


def test_perfect_and_reversed_rankings():
    y, s = np.array([0, 0, 0, 1, 1]), np.array([0.1, 0.2, 0.3, 0.7, 0.9])
    assert fd.roc_auc(y, s) == 1.0 and fd.average_precision(y, s) == 1.0
    assert fd.roc_auc(y, -s) == 0.0
    # reversed: positives ranked 4th and 5th -> precision 1/4 at recall 1/2, 2/5 at recall 1
    assert fd.average_precision(y, -s) == pytest.approx(0.5 / 4 + 0.5 * 2 / 5)


def test_confusion_and_best_f1_threshold_by_hand():
    y, s = np.array([0, 0, 1, 1, 0, 1]), np.array([0.1, 0.6, 0.7, 0.4, 0.3, 0.9])
    np.testing.assert_array_equal(fd.confusion(y, s, 0.5), [[2, 1], [1, 2]])
    np.testing.assert_array_equal(fd.confusion(y, s, 0.0), [[0, 3], [0, 3]])
    # s >= 0.4 catches all 3 positives with 1 false positive: F1 = 6/7, the best of the thresholds
    assert fd.best_f1_threshold(y, s) == 0.4


@pytest.mark.parametrize(
    "fn", ["roc_curve", "roc_auc", "precision_recall_curve", "average_precision"]
)
@pytest.mark.parametrize(
    "y, s, message",
    [
        ([1, 1, 1], [0.1, 0.2, 0.3], "both classes"),
        ([0, 1], [0.1, 0.2, 0.3], "one length"),
        ([0, 2], [0.1, 0.2], "0 or 1"),
        ([0, 1], [0.1, np.nan], "finite"),
    ],
)
def test_bad_input_is_a_clear_error(fn, y, s, message):
    with pytest.raises(ValueError, match=message) as err:
        getattr(fd, fn)(y, s)
    assert "roc_curve" in str(err.value) or "precision_recall_curve" in str(err.value)


# ---- properties -----------------------------------------------------------------------------


@given(labelled_scores())
def test_auc_is_the_pairwise_ranking_probability(ys):
    y, s = ys
    pos, neg = s[y == 1][:, None], s[y == 0][None, :]
    expected = ((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size)
    assert fd.roc_auc(y, s) == pytest.approx(expected, abs=1e-12)
    assert fd.roc_auc(y, -s) == pytest.approx(1 - expected, abs=1e-12)
    assert fd.roc_auc(y, np.exp(s)) == pytest.approx(expected, abs=1e-12)  # only the order counts


@given(labelled_scores())
def test_curves_run_from_start_to_end_monotonically(ys):
    y, s = ys
    fpr, tpr, thr = fd.roc_curve(y, s)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0, 0, 1, 1)
    assert (np.diff(fpr) >= 0).all() and (np.diff(tpr) >= 0).all() and (np.diff(thr) < 0).all()
    precision, recall, _ = fd.precision_recall_curve(y, s)
    assert recall[-1] == 1 and precision[-1] == pytest.approx(y.mean())
    assert 0 < fd.average_precision(y, s) <= 1
    assert fd.average_precision(y, np.zeros_like(s)) == pytest.approx(y.mean())  # one threshold
    cm = fd.confusion(y, s, fd.best_f1_threshold(y, s))
    assert cm.sum() == len(y) and cm[1].sum() == y.sum() and cm[1, 1] > 0


@given(labelled_scores(max_size=200))
def test_agrees_with_scikit_learn(ys):
    metrics = pytest.importorskip("sklearn.metrics")
    y, s = ys
    assert fd.roc_auc(y, s) == pytest.approx(metrics.roc_auc_score(y, s), abs=1e-12)
    assert fd.average_precision(y, s) == pytest.approx(
        metrics.average_precision_score(y, s), abs=1e-12
    )
    p_ref, r_ref, t_ref = metrics.precision_recall_curve(y, s)
    precision, recall, thr = fd.precision_recall_curve(y, s)
    # scikit-learn: ascending thresholds, stops once recall reaches 1, appends (P=1, R=0)
    k = len(t_ref)
    np.testing.assert_allclose(thr[-k:][::-1], t_ref)
    np.testing.assert_allclose(precision[-k:][::-1], p_ref[:-1])
    np.testing.assert_allclose(recall[-k:][::-1], r_ref[:-1])


def test_agrees_with_scikit_learn_on_continuous_scores(rng):
    metrics = pytest.importorskip("sklearn.metrics")
    y = (rng.random(5000) < 0.1).astype(np.int64)
    s = rng.normal(size=5000) + 1.5 * y
    assert fd.roc_auc(y, s) == pytest.approx(metrics.roc_auc_score(y, s), abs=1e-12)
    assert fd.average_precision(y, s) == pytest.approx(
        metrics.average_precision_score(y, s), abs=1e-12
    )
    fpr_ref, tpr_ref, _ = metrics.roc_curve(y, s, drop_intermediate=False)
    fpr, tpr, _ = fd.roc_curve(y, s)
    np.testing.assert_allclose(fpr, fpr_ref)
    np.testing.assert_allclose(tpr, tpr_ref)


# ---- helpers --------------------------------------------------------------------------------


@given(st.lists(st.integers(0, 2), min_size=3, max_size=200), st.integers(0, 2**31))
def test_stratified_split_partitions_each_class_in_proportion(labels, seed):
    y = np.array(labels)
    train, test = fd.stratified_split(y, 0.3, seed)
    assert np.intersect1d(train, test).size == 0
    np.testing.assert_array_equal(np.sort(np.r_[train, test]), np.arange(len(y)))
    for c in np.unique(y):
        assert np.sum(y[test] == c) == round(0.3 * np.sum(y == c))
    again = fd.stratified_split(y, 0.3, seed)
    np.testing.assert_array_equal(again[1], test)


def test_standardiser_uses_training_statistics_and_median_for_nan():
    X_train = np.array([[1.0, 5.0], [3.0, np.nan], [5.0, 7.0], [np.nan, 9.0]])
    scale = fd.standardiser(X_train)
    # column 0 filled with median 3 -> [1, 3, 5, 3]; column 1 with median 7 -> [5, 7, 7, 9]
    z = scale(X_train)
    assert z.dtype == np.float32 and not np.isnan(z).any()
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(z.std(axis=0), 1, atol=1e-6)
    mean, std = np.array([3.0, 7.0]), np.array([np.sqrt(2.0), np.sqrt(2.0)])
    np.testing.assert_allclose(scale(np.array([[np.nan, 11.0]])), [[0.0, 4 / std[1]]], atol=1e-6)
    np.testing.assert_allclose(
        scale(np.array([[7.0, 7.0]])), [[(7 - mean[0]) / std[0], 0.0]], atol=1e-6
    )
    const = fd.standardiser(np.ones((3, 1)))(np.array([[1.0], [2.0]]))
    np.testing.assert_allclose(const, [[0.0], [1.0]])  # zero spread: shifted, not divided by 0


# ---- a small real run -----------------------------------------------------------------------


@pytest.mark.data
def test_small_run_on_the_fraud_sample_writes_its_results(tmp_path):
    if not (DATA / "tabular" / "creditcard_sample.csv").is_file():
        pytest.skip(
            "needs the card-fraud sample: set TINYNET_DATA to a folder with tabular/creditcard_sample.csv"
        )
    out = tmp_path / "fraud"
    fd.main(
        [
            "--datasets",
            "creditcard_fraud",
            "--limit",
            "500",
            "--epochs",
            "5",
            "--trees",
            "10",
            "--depths",
            "3,4",
            "--verbose",
            "0",
            "--out",
            str(out),
        ]
    )
    report = json.loads((out / "metrics.json").read_text())["datasets"]["creditcard_fraud"]
    assert report["rows"] == 500 and report["test"] == 150
    assert [m["model"] for m in report["models"]] == list(fd.MODELS)
    for m in report["models"]:
        assert (
            np.sum(m["confusion"]) == 150 and np.sum(m["confusion"][1]) == report["test_positives"]
        )
        assert m["roc_auc"] > 0.85, m  # the frauds separate well even on a small sample
        assert m["fit_seconds"] > 0
    assert report["models"][1]["max_depth"] in (3, 4)
    assert (out / "roc_pr.png").stat().st_size > 10_000
    assert (out / "table.md").read_text().count("| creditcard_fraud |") == 3


@pytest.mark.data
def test_the_credit_default_table_runs_whole(tmp_path):
    # issue 18: its AGE column (56 ages, 16 of them each over 1/32 of the rows) crashed the
    # forest's binning; the whole table is needed to meet it (a subsample has fewer heavy ages)
    if not (DATA / "tabular" / "UCI_Credit_Card.csv").is_file():
        pytest.skip("needs TINYNET_DATA with tabular/UCI_Credit_Card.csv")
    out = tmp_path / "default"
    fd.main(
        "--datasets credit_default --epochs 1 --trees 4 --depths 3 --verbose 0 --out".split()
        + [str(out)]
    )
    report = json.loads((out / "metrics.json").read_text())["datasets"]["credit_default"]
    assert report["rows"] == 30000 and [m["model"] for m in report["models"]] == list(fd.MODELS)
    assert all(m["roc_auc"] > 0.65 for m in report["models"]), [
        m["roc_auc"] for m in report["models"]
    ]
