"""Decision trees: impurity on hand-computed cases, Quinlan's golf tree, rules, edge cases."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinynet.trees import DecisionTree, RandomForest, entropy, gini, information_gain

GOLF = [  # Quinlan's "play tennis" table (the same rows as categorical/golf.txt)
    ("Sunny", "Hot", "High", "Weak", "No"),
    ("Sunny", "Hot", "High", "Strong", "No"),
    ("Overcast", "Hot", "High", "Weak", "Yes"),
    ("Rain", "Mild", "High", "Weak", "Yes"),
    ("Rain", "Cool", "Normal", "Weak", "Yes"),
    ("Rain", "Cool", "Normal", "Strong", "No"),
    ("Overcast", "Cool", "Normal", "Strong", "Yes"),
    ("Sunny", "Mild", "High", "Weak", "No"),
    ("Sunny", "Cool", "Normal", "Weak", "Yes"),
    ("Rain", "Mild", "Normal", "Weak", "Yes"),
    ("Sunny", "Mild", "Normal", "Strong", "Yes"),
    ("Overcast", "Mild", "High", "Strong", "Yes"),
    ("Overcast", "Hot", "Normal", "Weak", "Yes"),
    ("Rain", "Mild", "High", "Strong", "No"),
]
GOLF_NAMES = ["Outlook", "Temp.", "Humidity", "Wind"]


def golf():
    rows = np.array(GOLF, dtype=object)
    return rows[:, :4], rows[:, 4].astype(str)


def golf_tree(**kw):
    X, y = golf()
    return DecisionTree(**kw).fit(X, y, feature_names=GOLF_NAMES, target_name="Decision")


# ---------------------------------------------------------------- impurity by hand


def test_entropy_and_gini_hand_computed():
    assert entropy([9, 5]) == pytest.approx(
        -(9 / 14) * np.log2(9 / 14) - (5 / 14) * np.log2(5 / 14)
    )
    assert entropy([9, 5]) == pytest.approx(0.940286, abs=1e-6)
    assert entropy([7, 7]) == pytest.approx(1.0)
    assert entropy([4, 4, 4, 4]) == pytest.approx(2.0)
    assert entropy([14, 0]) == 0.0 and entropy([0, 0]) == 0.0
    assert gini([9, 5]) == pytest.approx(1 - (81 + 25) / 196)
    assert gini([1, 1, 1]) == pytest.approx(2 / 3)
    np.testing.assert_allclose(entropy([[1, 1], [3, 0]]), [1.0, 0.0])


def test_information_gain_of_the_golf_attributes():
    # Quinlan (1986): Outlook 0.246, Humidity 0.151, Wind 0.048, Temperature 0.029
    assert information_gain([9, 5], [[2, 3], [4, 0], [3, 2]]) == pytest.approx(0.2467, abs=1e-4)
    assert information_gain([9, 5], [[3, 4], [6, 1]]) == pytest.approx(0.1518, abs=1e-4)
    assert information_gain([9, 5], [[6, 2], [3, 3]]) == pytest.approx(0.0481, abs=1e-4)
    assert information_gain([9, 5], [[2, 2], [4, 2], [3, 1]]) == pytest.approx(0.0292, abs=1e-4)
    assert information_gain([2, 2], [[2, 0], [0, 2]], criterion="gini") == pytest.approx(0.5)


def test_impurity_helpers_reject_bad_counts():
    with pytest.raises(ValueError, match="children .* do not add up"):
        information_gain([9, 5], [[2, 3], [4, 0]])
    with pytest.raises(ValueError, match="finite and >= 0"):
        entropy([3, -1])
    with pytest.raises(ValueError, match="criterion must be one of"):
        information_gain([1, 1], [[1, 0], [0, 1]], criterion="log")


# ---------------------------------------------------------------- golf: Quinlan's tree


def test_golf_tree_is_quinlans():
    t = golf_tree()
    assert t.export_rules().splitlines() == [
        "IF Outlook = Overcast THEN Decision = Yes",
        "IF Outlook = Rain AND Wind = Strong THEN Decision = No",
        "IF Outlook = Rain AND Wind = Weak THEN Decision = Yes",
        "IF Outlook = Sunny AND Humidity = High THEN Decision = No",
        "IF Outlook = Sunny AND Humidity = Normal THEN Decision = Yes",
    ]
    assert t.depth == 2 and t.n_leaves == 5
    assert t.feature_names_[t.tree_.feature[0]] == "Outlook"
    X, y = golf()
    assert t.score(X, y) == 1.0
    imp = t.feature_importances_
    assert imp[1] == 0 and imp.sum() == pytest.approx(1.0)
    # the root's impurity decrease is 14 * information gain (weighted, in bits)
    assert t.tree_.decrease[0] == pytest.approx(14 * 0.2467, abs=2e-3)


def test_golf_text_and_counts():
    t = golf_tree()
    text = t.export_text().splitlines()
    assert text[0] == "Outlook = Overcast: Yes (4)"
    assert "|   Humidity = High: No (3)" in text
    assert t.export_rules(show_counts=True).splitlines()[0].endswith("(4/4)")


def test_unseen_category_goes_to_the_node_majority():
    t = golf_tree()
    proba = t.predict_proba(
        np.array(
            [["Foggy", "Hot", "High", "Weak"], ["Sunny", "Hot", "Medium", "Weak"]], dtype=object
        )
    )
    np.testing.assert_allclose(proba, [[5 / 14, 9 / 14], [3 / 5, 2 / 5]])  # root, then 'Sunny'
    assert t.predict([["Sunny", None, "High", None]]).tolist() == ["No"]


# ---------------------------------------------------------------- numeric and mixed data


def test_numeric_thresholds_and_merged_intervals():
    x = np.arange(10.0)
    y = np.array(["a"] * 3 + ["b"] * 4 + ["a"] * 3)
    t = DecisionTree().fit(x[:, None], y, feature_names=["age"], target_name="label")
    rules = t.export_rules()
    assert "IF 2.5 < age <= 6.5 THEN label = b" in rules.splitlines()
    assert t.predict([[2.4], [2.6], [6.4], [6.6]]).tolist() == ["a", "b", "b", "a"]


def test_mixed_columns_and_declared_categorical():
    X = np.array([[1.0, "red"], [2.0, "red"], [3.0, "blue"], [4.0, "blue"]], dtype=object)
    y = np.array([0, 0, 1, 1])
    t = DecisionTree().fit(X, y)
    assert t.encoder_.is_categorical_.tolist() == [False, True]
    assert t.score(X, y) == 1.0
    d = DecisionTree(categorical_features=[0]).fit(X, y)
    assert d.encoder_.is_categorical_.tolist() == [True, True]


def test_missing_values_fit_and_predict():
    X = np.array([[1.0], [2.0], [np.nan], [8.0], [9.0], [np.nan]])
    y = np.array([0, 0, 1, 1, 1, 1])
    t = DecisionTree().fit(X, y)
    assert t.score(X, y) == 1.0  # missing values learned to go with the high values
    assert t.predict([[np.nan], [1.5], [8.5]]).tolist() == [1, 0, 1]
    assert "or missing" in t.export_rules()
    c = DecisionTree().fit(np.array([["a"], ["a"], [None], ["b"]], dtype=object), [0, 0, 1, 1])
    assert "x0 is missing" in c.export_rules()
    k = DecisionTree().fit(np.array([[1.0], [1.0], [np.nan], [np.nan]]), [0, 0, 1, 1])
    assert k.export_rules().splitlines() == [
        "IF x0 is not missing THEN class = 0",
        "IF x0 is missing THEN class = 1",
    ]
    # a column that never had missing values sends them to the heavier child
    u = DecisionTree().fit(np.array([[1.0], [2.0], [3.0], [10.0]]), [0, 0, 0, 1])
    assert u.predict([[np.nan]]).tolist() == [0]


def test_binary_categorical_split_is_one_value_against_the_rest():
    t = golf_tree(categorical_split="binary")
    rules = t.export_rules()
    assert rules.splitlines()[0] == "IF Outlook = Overcast THEN Decision = Yes"
    assert "Outlook != Overcast" in rules
    X, y = golf()
    assert t.score(X, y) == 1.0


# ---------------------------------------------------------------- edge cases and errors


def test_single_class_and_single_value_column():
    t = DecisionTree().fit([[1], [2], [3]], ["x", "x", "x"])
    assert t.n_leaves == 1 and t.depth == 0
    assert t.predict([[5]]).tolist() == ["x"] and t.predict_proba([[5]]).tolist() == [[1.0]]
    assert t.export_rules() == "IF TRUE THEN class = x"
    c = DecisionTree().fit([[7, 0], [7, 1], [7, 0], [7, 1]], [0, 1, 0, 1])
    assert c.feature_importances_.tolist() == [0.0, 1.0]
    same = DecisionTree().fit([[1], [1]], [0, 1])  # identical rows, different labels
    assert same.n_leaves == 1 and same.predict_proba([[1]]).tolist() == [[0.5, 0.5]]


def test_clear_errors():
    with pytest.raises(ValueError, match="X has 3 rows but y has 2 labels"):
        DecisionTree().fit([[1], [2], [3]], [0, 1])
    with pytest.raises(ValueError, match="reshape\\(-1, 1\\)"):
        DecisionTree().fit([1, 2, 3], [0, 1, 0])
    with pytest.raises(ValueError, match="no rows"):
        DecisionTree().fit(np.zeros((0, 2)), [])
    with pytest.raises(ValueError, match="missing labels"):
        DecisionTree().fit([[1], [2]], np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="max_depth must be an int >= 0"):
        DecisionTree(max_depth=-1).fit([[1], [2]], [0, 1])
    with pytest.raises(ValueError, match="max_features"):
        DecisionTree(max_features="half").fit([[1], [2]], [0, 1])
    with pytest.raises(RuntimeError, match="not fitted"):
        DecisionTree().predict([[1]])
    t = DecisionTree().fit([[1, 2], [3, 4]], [0, 1])
    with pytest.raises(ValueError, match="X has 3 features, but DecisionTree is expecting 2"):
        t.predict([[1, 2, 3]])
    with pytest.raises(ValueError, match="feature_names"):
        DecisionTree().fit([[1, 2]], [0], feature_names=["a"])


@pytest.mark.parametrize("model", [DecisionTree(), RandomForest(n_estimators=2, random_state=0)])
def test_feature_count_error_names_the_method_called(model):
    model.fit([[1, 2], [3, 4], [5, 6]], [0, 1, 0])
    kind = type(model).__name__
    for method in ("predict", "predict_proba"):
        with pytest.raises(
            ValueError,
            match=rf"^{kind}\.{method}: X has 1 features, but {kind} is expecting 2 features",
        ):
            getattr(model, method)([[1], [2]])


def test_limits_are_respected():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(int)
    t = DecisionTree(max_depth=3).fit(X, y)
    assert t.depth <= 3
    leaf = DecisionTree(min_samples_leaf=7).fit(X, y)
    leaves = leaf.tree_.kind == 0
    assert leaf.tree_.value[leaves].sum(axis=1).min() >= 7
    small = DecisionTree(min_impurity_decrease=0.05).fit(X, y)
    assert small.n_leaves < DecisionTree().fit(X, y).n_leaves


def test_sample_weight_zero_is_like_dropping_the_row():
    rng = np.random.default_rng(2)
    X = rng.integers(0, 5, size=(60, 3)).astype(float)
    y = rng.integers(0, 2, size=60)
    w = np.ones(60)
    w[::3] = 0
    a = DecisionTree(criterion="gini").fit(X, y, sample_weight=w)
    b = DecisionTree(criterion="gini").fit(X[w > 0], y[w > 0])
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X))


def test_class_weight_balanced_shifts_the_vote_to_the_rare_class():
    X = np.zeros((10, 1))
    y = np.array([0] * 9 + [1])
    assert DecisionTree().fit(X, y).predict_proba([[0]]).tolist() == [[0.9, 0.1]]
    p = DecisionTree(class_weight="balanced").fit(X, y).predict_proba([[0]])
    np.testing.assert_allclose(p, [[0.5, 0.5]])
    q = DecisionTree(class_weight={1: 4.0}).fit(X, y).predict_proba([[0]])
    np.testing.assert_allclose(q, [[9 / 13, 4 / 13]])
    with pytest.raises(ValueError, match="class_weight names classes not in y"):
        DecisionTree(class_weight={7: 1.0}).fit(X, y)


@given(st.integers(1, 40), st.integers(1, 4), st.integers(1, 4), st.integers(0, 10**6))
def test_predict_proba_rows_sum_to_one(n, d, n_classes, seed):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 4, size=(n, d)) + rng.random((n, d)) * (seed % 2)
    y = rng.integers(0, n_classes, size=n)
    t = DecisionTree(
        criterion=("gini", "entropy")[seed % 2], max_features=max(1, d // 2), random_state=seed
    ).fit(X, y)
    p = t.predict_proba(rng.normal(size=(7, d)) * 3)
    assert p.shape == (7, len(np.unique(y)))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert t.score(X, y) == 1.0 or len({tuple(r) for r in X}) < n  # pure leaves unless duplicates


@given(st.lists(st.integers(0, 255), min_size=1, max_size=300), st.integers(2, 64))
def test_binning_of_small_integers_equals_binning_of_the_same_floats(values, max_bins):
    from tinynet.trees.encoding import FeatureEncoder

    col = np.array(values, dtype=np.uint8)[:, None]
    enc = FeatureEncoder(max_bins).fit(col)
    codes = enc.transform(col)
    np.testing.assert_array_equal(
        codes, FeatureEncoder(max_bins).fit(col.astype(float)).transform(col.astype(float))
    )
    assert enc.n_codes_[0] <= max_bins and codes.max() < enc.n_codes_[0]
    order = np.argsort(col[:, 0], kind="stable")
    assert np.all(np.diff(codes[0, order].astype(int)) >= 0)  # bins keep the order of the values


def test_many_heavy_values_still_get_bins():
    # issue 18: 17 values each over 1/32 of the rows and more than 32 distinct values left the
    # bin-edge loop without a single pass (UnboundLocalError in RandomForest.fit)
    x = np.concatenate([np.repeat(np.arange(17.0), 52), np.arange(100, 216.0)])
    y = (x > 8).astype(int)
    forest = RandomForest(n_estimators=2, random_state=0).fit(x[:, None], y)
    assert forest.encoder_.n_codes_[0] <= 32
    assert forest.score(x[:, None], y) == 1.0  # the heavy values 0..8 and 9..16 still separate


@given(
    st.integers(2, 40),
    st.integers(2, 64),
    st.integers(0, 60),
    st.integers(0, 2**31),
)
def test_binning_never_exceeds_max_bins_and_keeps_the_order(n_heavy, max_bins, n_light, seed):
    from tinynet.trees.encoding import FeatureEncoder

    rng = np.random.default_rng(seed)
    heavy = np.repeat(rng.permutation(1000)[:n_heavy].astype(float), rng.integers(5, 60, n_heavy))
    col = np.concatenate([heavy, rng.normal(size=n_light) * 100])[:, None]
    enc = FeatureEncoder(max_bins).fit(col)
    codes = enc.transform(col)[0].astype(int)
    assert enc.n_codes_[0] <= max_bins and codes.max() < enc.n_codes_[0]
    order = np.argsort(col[:, 0], kind="stable")
    assert np.all(np.diff(codes[order]) >= 0)
    if len(np.unique(col)) <= max_bins:
        assert enc.n_codes_[0] == len(np.unique(col))  # one bin per value


# ---------------------------------------------------------------- review: edge cases found later


def test_score_takes_a_column_of_labels_like_fit():
    X = np.arange(10.0)[:, None]
    y = np.array([0] * 5 + [1] * 5)
    with pytest.warns(UserWarning, match="A column-vector y was passed"):  # as scikit-learn
        t = DecisionTree().fit(X, y[:, None])
    assert t.score(X, y[:, None]) == t.score(X, y) == 1.0
    with pytest.raises(ValueError, match="score: expected y of shape"):
        t.score(X, np.zeros((10, 2)))


def test_rows_as_python_lists_keep_their_numeric_columns():
    # np.asarray would turn [["Sunny", 85], ...] into strings only; the numbers must stay numeric
    X = [["Sunny", 85], ["Sunny", 80], ["Rain", 70], ["Rain", 65], ["Sunny", 72], ["Rain", 96]]
    y = ["No", "No", "Yes", "Yes", "Yes", "No"]
    t = DecisionTree().fit(X, y, feature_names=["Outlook", "Temp"])
    assert t.encoder_.is_categorical_.tolist() == [True, False]
    assert t.score(X, y) == 1.0
    assert t.predict([["Sunny", 99], ["Rain", 60]]).tolist() == ["No", "Yes"]  # values never seen


def _rule_holds(condition, row, names):
    """Evaluate one condition of export_rules on a row of floats (NaN = missing). Accepted forms:
    'x <= t', 'x > t', 'a < x <= b', each optionally as '(... or missing)', 'x is [not ]missing'."""
    import re

    if condition.startswith("("):
        assert condition.endswith(" or missing)"), condition
        inner = condition[1 : -len(" or missing)")]
        name = next(tok for tok in inner.split(" ") if tok in names)
        return bool(np.isnan(row[names.index(name)])) or _rule_holds(inner, row, names)
    assert " or missing" not in condition, f"unbracketed 'or missing' in {condition!r}"
    m = re.fullmatch(r"(\S+) is (not )?missing", condition)
    if m:
        return bool(np.isnan(row[names.index(m.group(1))])) != bool(m.group(2))
    m = re.fullmatch(r"(\S+) < (\S+) <= (\S+)", condition)
    if m:
        x = row[names.index(m.group(2))]
        return float(m.group(1)) < x <= float(m.group(3))
    name, op, t = condition.split(" ")
    x = row[names.index(name)]
    return x <= float(t) if op == "<=" else x > float(t)


def _rule_classes(rules, X, names):
    """For each row of X: the class of the one rule whose conditions all hold."""
    out = []
    for row in X:
        hits = []
        for line in rules.splitlines():
            body, label = line[len("IF ") :].split(" THEN class = ")
            conds = [] if body == "TRUE" else body.split(" AND ")
            if all(_rule_holds(c, row, names) for c in conds):
                hits.append(label)
        assert len(hits) == 1, (row, hits)
        out.append(hits[0])
    return out


def test_rule_thresholds_are_printed_precisely_enough_to_reproduce_the_tree():
    X = np.array([[1234567.0], [1234568.0], [0.1], [0.2], [5.1], [5.3]])
    y = np.array([0, 1, 0, 1, 0, 1])
    t = DecisionTree().fit(X, y)
    rules = t.export_rules()
    assert "1234567.5" in rules and "1.23457e+06" not in rules and "5.2" in rules
    assert _rule_classes(rules, X, ["x0"]) == [str(c) for c in t.predict(X)]


@given(st.integers(0, 10**6), st.integers(10, 60), st.sampled_from([1.0, 1e-7, 1e7]), st.booleans())
def test_rules_classify_the_training_rows_like_predict(seed, n, scale, with_missing):
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(size=(n, 3)) * 4) * scale + 1e9 * (scale == 1e7)
    if with_missing:
        X[rng.random((n, 3)) < 0.25] = np.nan
    y = rng.integers(0, 2, size=n)
    t = DecisionTree(max_depth=4).fit(X, y)
    assert _rule_classes(t.export_rules(), X, t.feature_names_) == [str(c) for c in t.predict(X)]


@pytest.mark.parametrize(
    "low, high",
    [
        (2.0, np.inf),
        (-np.inf, -1e308),
        (1e308, 1.7e308),
        (7.3, np.nextafter(7.3, 8)),
        (2.0**52 + 1, 2.0**52 + 2),
    ],
)
def test_neighbouring_values_get_a_threshold_between_them(low, high):
    # the midpoint (low + high) / 2 is inf, or rounds up to high: both values would share a bin
    X = np.array([[-5.0], [low], [low], [high], [high]])
    y = np.array([0, 0, 0, 1, 1])
    t = DecisionTree().fit(X, y)
    assert t.score(X, y) == 1.0
    assert t.predict([[low], [high]]).tolist() == [0, 1]


def test_bad_class_weights_and_unsortable_labels_are_clear_errors():
    X, y = np.arange(6.0)[:, None], np.array([0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="class_weight must be finite and >= 0.*-1"):
        DecisionTree(class_weight={0: -1.0}).fit(X, y)
    with pytest.raises(ValueError, match="class_weight must be finite and >= 0"):
        DecisionTree(class_weight={1: np.nan}).fit(X, y)
    with pytest.raises(ValueError, match="zero everywhere"):
        DecisionTree(class_weight={0: 0, 1: 0}).fit(X, y)
    with pytest.raises(ValueError, match="zero everywhere"):
        DecisionTree(class_weight={1: 0}).fit(X, y, sample_weight=[0, 0, 0, 1, 1, 1.0])
    with pytest.raises(ValueError, match="DecisionTree.fit: y mixes labels that cannot be sorted"):
        DecisionTree().fit(X, np.array([1, "a", 1, "a", 1, "a"], dtype=object))
    with pytest.raises(ValueError, match="missing labels"):
        DecisionTree().fit(X, np.array(["a", np.nan] * 3, dtype=object))


def test_declared_categorical_numbers_match_whatever_their_dtype():
    # a code column read as ints in training and as floats later (e.g. a column with a NaN)
    X = np.array([[1], [2], [3], [1], [2], [3]])
    y = np.array(["a", "b", "b", "a", "b", "b"])
    t = DecisionTree(categorical_features=[0]).fit(X, y)
    assert t.encoder_.categories_[0].tolist() == ["1", "2", "3"]
    assert t.predict(np.array([[1.0], [2.0], [np.nan]])).tolist() == ["a", "b", "b"]
    assert t.predict(np.array([[1.0], [2]], dtype=object)).tolist() == ["a", "b"]
    f = DecisionTree(categorical_features=[0]).fit(X.astype(float), y)
    assert f.export_rules().splitlines()[0] == "IF x0 = 1 THEN class = a"
    assert f.predict([[1], [3]]).tolist() == ["a", "b"]
    h = DecisionTree(categorical_features=[0]).fit([[0.5], [1.5]], ["a", "b"])
    assert h.predict([[0.5], [1.5]]).tolist() == ["a", "b"]


# ---------------------------------------------------------------- merged rules, pictures


def noisy_threshold_tree():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] > 0).astype(int)
    y[rng.random(300) < 0.2] ^= 1
    return DecisionTree(max_depth=4).fit(X, y), X


def test_rules_merge_same_class_siblings():
    t, X = noisy_threshold_tree()
    merged, full = t.export_rules(show_counts=True), t.export_rules(merge=False)
    assert len(merged.splitlines()) < len(full.splitlines()) == t.n_leaves
    # the two leaves under "x0 > 0.176417 AND x1 <= 0.633742" both predict 1: one rule
    assert "IF x0 > 0.176417 AND x1 <= 0.633742 THEN class = 1  (67/81)" in merged
    assert "x1 <= -0.193391" in full and "x1 <= -0.193391" not in merged
    for rules in (merged.splitlines(), full.splitlines()):
        pairs = [r.split(" THEN ") for r in rules]
        assert len({cond for cond, _ in pairs}) == len(pairs)  # every rule its own condition
    # each merged rule still classifies the training rows like predict
    pred = t.predict(X)
    for line in merged.splitlines():
        cond, outcome = line[3:].split(" THEN class = ")
        hit = np.ones(len(X), dtype=bool)
        for part in cond.split(" AND "):
            hit &= _interval(part, X)
        assert hit.any() and np.all(pred[hit] == int(outcome.split()[0]))


def _interval(text, X):
    """'a < x1 <= b', 'x1 <= b' or 'x1 > a' -> bool mask over X's rows."""
    parts = text.split()
    if len(parts) == 5:
        lo, _, name, _, hi = parts
        col = X[:, int(name[1:])]
        return (col > float(lo)) & (col <= float(hi))
    name, op, value = parts
    col = X[:, int(name[1:])]
    return col <= float(value) if op == "<=" else col > float(value)


def test_golf_rules_are_not_merged_where_the_classes_differ():
    t = golf_tree()
    assert t.export_rules() == t.export_rules(merge=False)


def test_export_graphviz_and_plot(tmp_path):
    t = golf_tree()
    dot = t.export_graphviz(out_file=tmp_path / "golf.dot")
    assert (tmp_path / "golf.dot").read_text() == dot
    assert dot.startswith("digraph tree {") and dot.rstrip().endswith("}")
    assert dot.count("->") == 7 and dot.count("[label=") == 8 + 7  # 8 boxes, 7 edges
    assert 'n0 [label="Outlook\\nYes (9/14)"]' in dot and '[label="= Overcast"]' in dot
    assert '"Decision = No\\n3/3"' in dot
    ax = t.plot()
    texts = [x.get_text() for x in ax.texts]
    assert "Outlook\nYes (9/14)" in texts and "= Sunny" in texts and len(texts) == 15
    ax.figure.savefig(tmp_path / "golf.png")
    assert (tmp_path / "golf.png").stat().st_size > 5000
    num, _ = noisy_threshold_tree()
    cut = num.export_graphviz(max_depth=1)
    assert cut.count("->") == 2 and cut.count("...") == 2
    texts = [x.get_text() for x in num.plot(max_depth=2).texts]
    assert "<= 0.03729" in texts  # thresholds shortened in the picture only
    import matplotlib.pyplot as plt

    plt.close("all")
