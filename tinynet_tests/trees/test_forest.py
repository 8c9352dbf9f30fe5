"""Split search against brute force, the two search methods and batched growth against each
other, and the random forest: determinism, n_jobs, out-of-bag score, importances."""

import importlib.util

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinynet.trees import DecisionTree, RandomForest, forest, split_sorted
from tinynet.trees.criteria import impurity
from tinynet.trees.grow import grow_tree, grow_trees

needs_joblib = pytest.mark.skipif(importlib.util.find_spec("joblib") is None, reason="needs joblib")


def brute_force_best(X, y, w, criterion, msl=1):
    """Largest weighted impurity decrease of any 'x_j <= t' split with at least msl weight on
    each side (exhaustive, plain loops)."""
    classes = np.unique(y)
    counts = lambda m: np.array([w[m & (y == c)].sum() for c in classes])
    parent = counts(np.ones(len(y), bool))
    base = parent.sum() * impurity(parent, criterion)
    best = -np.inf
    for j in range(X.shape[1]):
        values = np.unique(X[:, j])
        for t in (values[:-1] + values[1:]) / 2:
            left, right = counts(X[:, j] <= t), counts(X[:, j] > t)
            if min(left.sum(), right.sum()) < msl:
                continue
            dec = (
                base
                - left.sum() * impurity(left, criterion)
                - right.sum() * impurity(right, criterion)
            )
            best = max(best, dec)
    return best


def numeric_data(seed, n, d, k):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 6, size=(n, d)).astype(float) + (rng.random((n, d)) < 0.2) * rng.random(
        (n, d)
    )
    y = rng.integers(0, k, size=n)
    return X, y, rng.integers(1, 4, size=n).astype(float)


@given(
    st.integers(0, 10**6),
    st.integers(2, 60),
    st.integers(1, 4),
    st.integers(2, 4),
    st.sampled_from([1, 1, 4, 15]),
)
def test_root_split_matches_brute_force(seed, n, d, k, msl):
    X, y, w = numeric_data(seed, n, d, k)
    for method in ("dense", "sorted"):
        orig = split_sorted.eligible
        split_sorted.eligible = (
            (lambda *a: None) if method == "dense" else (lambda data, s, counts: s <= 1024)
        )
        try:
            for criterion in ("gini", "entropy"):
                t = DecisionTree(criterion=criterion, max_depth=1, min_samples_leaf=msl)
                t.fit(X, y, sample_weight=w)
                best = brute_force_best(X, y, w, criterion, msl)
                got = t.tree_.decrease[0] if t.tree_.kind[0] else -np.inf
                if np.isfinite(best) and len(np.unique(y)) > 1 and w.sum() >= 2 * msl:
                    assert got == pytest.approx(best, rel=1e-9, abs=1e-9), (method, criterion)
                else:
                    assert t.n_leaves == 1
        finally:
            split_sorted.eligible = orig


def test_no_split_when_min_samples_leaf_rules_every_threshold_out(monkeypatch):
    X = np.zeros((40, 2))
    X[0] = 1.0  # the only thresholds leave one sample on one side
    y = np.arange(40) % 2
    for force in (lambda data, sizes, counts: None, lambda data, sizes, counts: sizes <= 1024):
        monkeypatch.setattr(split_sorted, "eligible", force)
        t = DecisionTree(criterion="gini", min_samples_leaf=5).fit(X, y)
        assert t.n_leaves == 1
        assert DecisionTree(criterion="gini", min_samples_leaf=1).fit(X, y).n_leaves == 2


def test_dense_and_sorted_search_grow_the_same_tree():
    X, y, _ = numeric_data(3, 400, 6, 3)
    X[::7, 0] = np.nan  # nodes that draw this feature use the dense search in both runs
    trees = []
    for force in (None, lambda data, sizes, counts: sizes <= 1024):
        orig = split_sorted.eligible
        split_sorted.eligible = force or (lambda *a: None)
        try:
            trees.append(
                DecisionTree(criterion="gini", max_features=3, random_state=5).fit(X, y).tree_
            )
        finally:
            split_sorted.eligible = orig
    a, b = trees
    for f in ("kind", "feature", "threshold", "left", "right", "missing_left"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))


def test_batched_growth_equals_one_tree_at_a_time():
    X, y, _ = numeric_data(4, 300, 5, 3)
    f = DecisionTree(max_features=2)
    data, w = f._prepare(X, y, None, None, None, "test")
    params = f._params(data.codes.shape[0], "test")
    rng = np.random.default_rng(0)
    weights = [
        np.bincount(rng.integers(0, 300, 300), minlength=300).astype(float) for _ in range(3)
    ]
    together = grow_trees(data, params, weights, [np.random.default_rng(s) for s in range(3)])
    for s, (wk, t) in enumerate(zip(weights, together)):
        alone = grow_tree(data, params, wk, np.random.default_rng(s))
        for field in t.FIELDS:  # the float score may differ in the last bit, nothing else
            check = (
                np.testing.assert_allclose if field == "decrease" else np.testing.assert_array_equal
            )
            check(getattr(t, field), getattr(alone, field))


def test_categorical_multiway_root_is_the_best_information_gain():
    rng = np.random.default_rng(6)
    X = rng.choice(["a", "b", "c", "d"], size=(80, 3)).astype(object)
    y = np.where((X[:, 1] == "a") | (X[:, 1] == "b"), "yes", "no")
    flip = rng.random(80) < 0.15
    y[flip] = np.where(y[flip] == "yes", "no", "yes")
    t = DecisionTree().fit(X, y)
    assert t.feature_names_[t.tree_.feature[0]] == "x1"
    kids = t.tree_.branches[t.tree_.branch_start[0] : t.tree_.branch_start[0] + 5]
    assert (kids >= 0).sum() == 4  # one branch per value (no missing branch)


# ---------------------------------------------------------------- the forest


def blobs(seed=0, n=400):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    X = rng.normal(size=(n, 6))
    X[:, :2] += 2.5 * np.stack([np.cos(y * 2.1), np.sin(y * 2.1)], axis=1)
    return X, y


def test_forest_is_deterministic_and_independent_of_n_jobs():
    X, y = blobs()
    a = RandomForest(12, random_state=3).fit(X, y)
    b = RandomForest(12, random_state=3, n_jobs=2).fit(X, y)
    c = RandomForest(12, random_state=4).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_forest_soft_vote_oob_and_importances():
    X, y = blobs(1)
    f = RandomForest(25, oob_score=True, random_state=0).fit(X, y)
    p = f.predict_proba(X)
    np.testing.assert_allclose(p, np.mean([_tree_proba(f, t, X) for t in f.estimators_], axis=0))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert 0.85 < f.oob_score_ <= 1.0
    seen = ~np.isnan(f.oob_decision_function_[:, 0])
    np.testing.assert_allclose(f.oob_decision_function_[seen].sum(axis=1), 1.0)
    imp = f.feature_importances_
    assert imp.sum() == pytest.approx(1.0) and set(np.argsort(imp)[-2:]) == {0, 1}
    Xt, yt = blobs(2)
    assert f.score(Xt, yt) > 0.85


def _tree_proba(forest, tree, X):
    from tinynet.trees.base import tree_proba

    return tree_proba(tree, forest.encoder_.transform(X), forest.encoder_.n_codes_)


def test_forest_without_bootstrap_and_errors():
    X, y = blobs(3, 120)
    f = RandomForest(3, bootstrap=False, max_features=None, random_state=0).fit(X, y)
    t = DecisionTree(criterion="gini").fit(X, y)
    np.testing.assert_allclose(f.predict_proba(X), t.predict_proba(X))  # three identical trees
    with pytest.raises(ValueError, match="oob_score=True needs bootstrap=True"):
        RandomForest(3, bootstrap=False, oob_score=True).fit(X, y)
    with pytest.raises(ValueError, match="n_estimators must be an int >= 1"):
        RandomForest(0).fit(X, y)
    with pytest.raises(ValueError, match="n_jobs"):
        RandomForest(2, n_jobs=0).fit(X, y)


def test_forest_on_categorical_data():
    rng = np.random.default_rng(7)
    X = rng.choice(["lo", "mid", "hi"], size=(200, 4)).astype(object)
    y = ((X[:, 0] == "hi") | (X[:, 2] == "lo")).astype(int)
    for split in ("multiway", "binary"):
        f = RandomForest(10, categorical_split=split, random_state=0).fit(X, y)
        assert f.score(X, y) == 1.0


def test_params_roundtrip_through_worker_processes():
    X, y = blobs(5, 200)
    f = RandomForest(4, max_depth=2, n_jobs=2, random_state=1).fit(X, y)
    assert max(t.max_depth for t in f.estimators_) <= 2
    assert all(isinstance(t.value, np.ndarray) and t.value.shape[1] == 3 for t in f.estimators_)


def test_numpy_integer_parameters_are_accepted():
    # e.g. values taken from np.arange in a parameter grid
    X, y = blobs(6, 60)
    a = RandomForest(np.int64(3), n_jobs=np.int64(1), max_samples=np.int64(30), random_state=0).fit(
        X, y
    )
    b = RandomForest(3, n_jobs=1, max_samples=30, random_state=0).fit(X, y)
    assert len(a.estimators_) == 3
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    with pytest.raises(ValueError, match="max_samples must be"):
        RandomForest(2, max_samples=True).fit(X, y)


def test_out_of_bag_results_are_bit_identical_for_any_n_jobs():
    # the workers' partial sums must not change the rounding of oob_decision_function_
    rng = np.random.default_rng(5)
    X = rng.choice(np.array(["a", "b", "c", None], dtype=object), size=(120, 4))
    y = rng.integers(0, 3, size=120)
    kw = dict(n_estimators=13, oob_score=True, random_state=2, max_samples=0.7)
    a = RandomForest(**kw).fit(X, y)
    b = RandomForest(n_jobs=2, **kw).fit(X, y)
    np.testing.assert_array_equal(a.oob_decision_function_, b.oob_decision_function_)
    assert a.oob_score_ == b.oob_score_


# ---------------------------------------------------------------- max_features: drawn per node


@pytest.mark.parametrize("d, m", [(9, 3), (40, 3), (6, 6)])
def test_choose_features_draws_distinct_ids_uniformly(d, m):
    from tinynet.trees.grow import choose_features

    F = np.asarray(choose_features(np.random.default_rng(0), 20000, d, m))
    assert F.shape == (20000, m)
    assert all(len(set(row)) == m for row in F.tolist()) and F.min() >= 0 and F.max() < d
    freq = np.bincount(F.ravel(), minlength=d) / F.size
    np.testing.assert_allclose(freq, 1 / d, atol=0.15 / d)  # 1 / d each, whichever draw method


def test_the_root_uses_the_strong_feature_as_often_as_it_is_drawn():
    # feature 0 decides y; the 8 others are noise. With 'sqrt' (3 of 9 drawn per node) the root
    # splits on feature 0 exactly when the draw holds it: probability 1 - C(8,3)/C(9,3) = 1/3.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 9))
    y = (X[:, 0] > 0).astype(int)
    f = RandomForest(300, bootstrap=False, max_features="sqrt", random_state=0).fit(X, y)
    share = np.mean([t.feature[0] == 0 for t in f.estimators_])
    assert abs(share - 1 / 3) < 0.09, share
    every = RandomForest(20, bootstrap=False, max_features=None, random_state=0).fit(X, y)
    assert all(t.feature[0] == 0 for t in every.estimators_)


def test_each_node_draws_its_own_features():
    # pure noise: any feature splits any mixed node, so with max_features=1 a node's feature is
    # the one it drew. One draw per tree would give every split of a tree the same feature.
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 5))
    y = rng.integers(0, 2, size=400)
    for t in RandomForest(10, max_features=1, max_depth=6, random_state=0).fit(X, y).estimators_:
        used = np.bincount(t.feature[t.kind != 0], minlength=5)
        assert (used > 0).sum() == 5, used  # every feature serves some node
        assert used.max() < 0.5 * used.sum(), used


def _tree_arrays(f):
    return [t.arrays() for t in f.estimators_]


def assert_same_forest(a, b, X):
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    for ta, tb in zip(_tree_arrays(a), _tree_arrays(b), strict=True):
        for k in ta:  # the float decrease may differ in the last bit, nothing else
            check = np.testing.assert_allclose if k == "decrease" else np.testing.assert_array_equal
            check(ta[k], tb[k])


@pytest.mark.parametrize("batch", [1, 3])
def test_forest_trees_do_not_depend_on_how_many_are_grown_together(monkeypatch, batch):
    X, y = blobs(2)
    X[::9, 3] = np.nan  # the dense search with missing values too
    kw = dict(n_estimators=11, oob_score=True, random_state=5)
    ref = RandomForest(**kw).fit(X, y)  # forest.BATCH trees at once: all 11 in one batch
    monkeypatch.setattr(forest, "BATCH", batch)  # 11 batches of 1, or 4 of 3, 3, 3, 2
    other = RandomForest(**kw).fit(X, y)
    assert_same_forest(ref, other, X)
    np.testing.assert_array_equal(ref.oob_decision_function_, other.oob_decision_function_)


@needs_joblib
def test_default_joblib_backend_forks_and_others_go_through_joblib(monkeypatch):
    import joblib

    used = []
    for name in ("_grow_parallel", "_grow_joblib"):
        real = getattr(forest, name)
        spy = lambda *a, _real=real, _name=name: used.append(_name) or _real(*a)
        monkeypatch.setattr(forest, name, spy)
    X, y = blobs(3)
    one = RandomForest(7, random_state=1, n_jobs=1).fit(X, y)
    assert forest.fork_instead_of_joblib()  # loky, joblib's default: forked workers instead
    forked = RandomForest(7, random_state=1, n_jobs=2).fit(X, y)
    with joblib.parallel_config(backend="threading"):
        assert not forest.fork_instead_of_joblib()
        threads = RandomForest(7, random_state=1, n_jobs=2).fit(X, y)
    assert used == ["_grow_parallel", "_grow_joblib"]
    assert_same_forest(one, forked, X)
    assert_same_forest(one, threads, X)


@pytest.mark.parametrize("weights", ["unit", "int", "float"])
def test_histograms_from_column_slices_equal_the_flat_index_ones(monkeypatch, weights):
    from tinynet.trees import split_dense

    rng = np.random.default_rng(7)
    d, n, K, C, B = 5, 300, 4, 3, 6
    flat = rng.integers(0, B, d * n).astype(np.uint8)
    sizes = rng.integers(40, 90, K)
    nid = np.repeat(np.arange(K), sizes)
    idx = np.concatenate([np.sort(rng.choice(n, s, replace=False)) for s in sizes])
    y = rng.integers(0, C, len(idx))
    F = np.stack([rng.choice(d, 3, replace=False) for _ in range(K)])
    w = {"unit": None, "int": rng.integers(1, 4, len(idx)), "float": rng.random(len(idx))}[weights]
    integral = weights != "float"
    hist = lambda: split_dense._histograms(flat, n, idx, nid, y, w, F, C, B, integral)
    monkeypatch.setattr(split_dense, "PAIR_SLICES", 10**12)
    by_index = hist()
    monkeypatch.setattr(split_dense, "PAIR_SLICES", 1)
    by_slices = hist()
    np.testing.assert_array_equal(by_index, by_slices)
    codes = flat.reshape(d, n)  # and both are the class-by-code counts of each pair
    for j in range(3):
        for k in range(K):
            mine = nid == k
            expect = np.zeros((C, B))
            np.add.at(expect, (y[mine], codes[F[k, j], idx[mine]]), 1 if w is None else w[mine])
            np.testing.assert_allclose(by_slices[j * K + k], expect)
