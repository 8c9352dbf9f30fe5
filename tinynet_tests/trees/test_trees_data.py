"""Trees on real data (skipped without $TINYNET_DATA) and next to scikit-learn (skipped without it)."""

import os
from pathlib import Path

import numpy as np
import pytest

from tinynet.trees import DecisionTree, RandomForest

DATA = os.environ.get("TINYNET_DATA")


def need(rel):
    if not DATA or not (Path(DATA) / rel).is_file():
        pytest.skip(f"needs $TINYNET_DATA with {rel}")


def stratified_split(y, test_fraction, seed):
    """Index arrays (train, test), each class split in the same proportion."""
    rng = np.random.default_rng(seed)
    test = []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        test.extend(members[: int(round(test_fraction * len(members)))])
    test = np.sort(np.array(test))
    return np.setdiff1d(np.arange(len(y)), test), test


def test_golf_file_gives_quinlans_tree():
    need("categorical/golf.txt")
    from tinynet.datasets import categorical

    d = categorical.load_data("golf")
    t = DecisionTree().fit(d.X, d.y, feature_names=d.feature_names, target_name=d.target_name)
    rules = t.export_rules().splitlines()
    assert rules[0] == "IF Outlook = Overcast THEN Decision = Yes"
    assert {r.split(" THEN")[0] for r in rules[1:]} == {
        "IF Outlook = Rain AND Wind = Strong",
        "IF Outlook = Rain AND Wind = Weak",
        "IF Outlook = Sunny AND Humidity = High",
        "IF Outlook = Sunny AND Humidity = Normal",
    }


def test_mushroom_is_learned_exactly():
    need("categorical/mushroom.data")
    from tinynet.datasets import categorical

    d = categorical.load_data("mushroom")
    tr, te = stratified_split(d.y, 0.3, seed=0)
    t = DecisionTree().fit(d.X[tr], d.y[tr], feature_names=d.feature_names)
    assert t.score(d.X[te], d.y[te]) == 1.0
    assert t.feature_names_[t.tree_.feature[0]] == "odor"  # the classic first question


def test_car_binary_splits_match_scikit_learn_on_one_hot():
    need("categorical/car.data")
    sk = pytest.importorskip("sklearn")
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.tree import DecisionTreeClassifier

    from tinynet.datasets import categorical

    d = categorical.load_data("car")
    ours, theirs = [], []
    for seed in range(3):
        tr, te = stratified_split(d.y, 0.25, seed)
        t = DecisionTree(categorical_split="binary").fit(d.X[tr], d.y[tr])
        ours.append(t.score(d.X[te], d.y[te]))
        oh = OneHotEncoder(handle_unknown="ignore").fit(d.X[tr])
        s = DecisionTreeClassifier(criterion="entropy", random_state=0).fit(
            oh.transform(d.X[tr]), d.y[tr]
        )
        theirs.append(s.score(oh.transform(d.X[te]), d.y[te]))
    assert np.mean(ours) >= np.mean(theirs) - 0.01, (sk.__version__, ours, theirs)


def test_numeric_accuracy_next_to_scikit_learn():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_breast_cancer(return_X_y=True)
    tr, te = stratified_split(y, 0.3, seed=1)
    ours = DecisionTree(criterion="gini", random_state=0).fit(X[tr], y[tr]).score(X[te], y[te])
    theirs = DecisionTreeClassifier(random_state=0).fit(X[tr], y[tr]).score(X[te], y[te])
    assert abs(ours - theirs) < 0.05
    X, y = load_digits(return_X_y=True)
    tr, te = stratified_split(y, 0.3, seed=2)
    ours = RandomForest(40, random_state=0).fit(X[tr], y[tr]).score(X[te], y[te])
    theirs = RandomForestClassifier(40, random_state=0).fit(X[tr], y[tr]).score(X[te], y[te])
    assert ours > theirs - 0.02 and ours > 0.93


def test_forest_on_an_mnist_subset():
    need("mnist/train-images-idx3-ubyte.gz")
    from tinynet.datasets import mnist

    (x, y), (xt, yt) = mnist.load_data()
    f = RandomForest(10, n_jobs=2, random_state=0).fit(x[:3000].reshape(3000, -1), y[:3000])
    # 10 trees on 3,000 digits: 0.84-0.86 over seeds 0-3
    assert f.score(xt[:1000].reshape(1000, -1), yt[:1000]) > 0.82


def _example(name):
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_examples_run(tmp_path, capsys):
    need("categorical/mushroom.data")
    need("mnist/train-images-idx3-ubyte.gz")
    _example("trees_id3").main(["--dataset", "car", "--rules", "3"])
    out = capsys.readouterr().out
    assert "IF Outlook = Overcast THEN Decision = Yes" in out and "car (binary splits)" in out
    _example("trees_forest_mnist").main(
        ["--trees", "4", "--limit", "1500", "--jobs", "1", "--out", str(tmp_path)]
    )
    assert "test accuracy" in capsys.readouterr().out and (tmp_path / "importances.png").is_file()
