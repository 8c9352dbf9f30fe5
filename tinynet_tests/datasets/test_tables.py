"""Categorical and tabular loaders: synthetic files in tmp_path, and the real mirror when available."""

import os
from pathlib import Path

import numpy as np
import pytest

from tinynet.datasets import categorical, tabular

REAL_DATA = os.environ.get("TINYNET_DATA")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TINYNET_DATA", raising=False)


def write(root, rel, text):
    """Write ``text`` to root/rel; a tabular file's short header (the columns a test is about)
    is padded with the set's other feature columns, holding 0."""
    f = root / rel
    f.parent.mkdir(parents=True, exist_ok=True)
    full = {
        "tabular/UCI_Credit_Card.csv": ["ID", *tabular.CREDIT_DEFAULT_FEATURES],
        "tabular/creditcard_sample.csv": ["", *tabular.FRAUD_FEATURES],
    }.get(rel)
    if full is not None:
        lines = text.splitlines()
        short = lines[0].split(",")
        label = short[-1]
        header = full + [label]
        rows = []
        for line in lines[1:]:
            cells = dict(zip(short, line.split(",")))
            rows.append(",".join(cells.get(h, "0") for h in header))
        text = "\n".join([",".join(header), *rows]) + "\n"
    f.write_text(text)
    return f


def test_categorical_label_column_missing_values_and_stripped_names(tmp_path):
    write(
        tmp_path,
        "categorical/house-votes-84.data",
        "Class, a ,  b\nrepublican,n,?\ndemocrat,?,y\n\ndemocrat, y ,n\n",
    )
    d = categorical.load_data("house-votes-84", path=tmp_path)
    assert d.feature_names == ["a", "b"] and d.target_name == "Class"
    assert d.X.dtype == object and d.X.shape == (3, 2)
    assert d.X.tolist() == [["n", None], [None, "y"], ["y", "n"]]
    assert d.y.tolist() == ["republican", "democrat", "democrat"]


def test_categorical_last_column_label(tmp_path):
    write(tmp_path, "categorical/tic-tac-toe.data", "TL,TM,class\nx,o,positive\no,b,negative\n")
    d = categorical.load_data("tic-tac-toe", path=tmp_path)
    assert d.feature_names == ["TL", "TM"] and d.y.tolist() == ["positive", "negative"]
    assert d.X[1, 1] == "b"


def test_categorical_malformed_row_names_file_and_line(tmp_path):
    write(tmp_path, "categorical/golf.txt", "Outlook,Wind,Decision\nSunny,Weak,No\nRain,Yes\n")
    with pytest.raises(ValueError, match=r"golf\.txt, line 3: expected 3 fields.*got 2"):
        categorical.load_data("golf", path=tmp_path)


def test_categorical_missing_label_and_header(tmp_path):
    write(tmp_path, "categorical/car.data", "buying,Decision\nhigh,?\n")
    with pytest.raises(ValueError, match=r"car\.data, line 2.*'Decision' is missing"):
        categorical.load_data("car", path=tmp_path)
    write(tmp_path, "categorical/car.data", "buying,label\nhigh,acc\n")
    with pytest.raises(ValueError, match=r"car\.data.*'Decision' not in the header"):
        categorical.load_data("car", path=tmp_path)


def test_categorical_unknown_and_missing(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'iris'.*golf"):
        categorical.load_data("iris")
    with pytest.raises(FileNotFoundError, match="categorical/mushroom.data"):
        categorical.load_data("mushroom", path=tmp_path)


def test_tabular_drops_columns_and_types(tmp_path):
    write(
        tmp_path,
        "tabular/creditcard_sample.csv",
        ",Time,V1,Amount,Class\n7,0.5,-1.25,3,0\n9,1,2,4.5,1\n",
    )
    d = tabular.load_creditcard_fraud(path=tmp_path)
    assert d.feature_names == tabular.FRAUD_FEATURES and d.target_name == "Class"
    assert d.X.dtype == np.float32 and d.y.dtype == np.int64
    cols = [d.feature_names.index(c) for c in ("Time", "V1", "Amount")]
    np.testing.assert_array_equal(
        d.X[:, cols], np.array([[0.5, -1.25, 3], [1, 2, 4.5]], np.float32)
    )
    np.testing.assert_array_equal(d.y, [0, 1])


def test_tabular_bad_cell_and_label(tmp_path):
    write(
        tmp_path,
        "tabular/UCI_Credit_Card.csv",
        "ID,LIMIT_BAL,default.payment.next.month\n1,200,0\n2,abc,1\n",
    )
    with pytest.raises(
        ValueError, match=r"UCI_Credit_Card\.csv, line 3: column 'LIMIT_BAL'.*'abc'"
    ):
        tabular.load_credit_default(path=tmp_path)
    write(
        tmp_path,
        "tabular/UCI_Credit_Card.csv",
        "ID,LIMIT_BAL,default.payment.next.month\n1,200,0.5\n",
    )
    with pytest.raises(ValueError, match=r"line 2: label .* must be an integer"):
        tabular.load_credit_default(path=tmp_path)


@pytest.mark.parametrize("label", ["nan", "NaN", "inf", "-inf", "1.5"])
def test_tabular_label_that_is_not_an_integer_names_file_line_and_value(tmp_path, label):
    write(
        tmp_path,
        "tabular/UCI_Credit_Card.csv",
        f"ID,LIMIT_BAL,default.payment.next.month\n1,200,0\n2,300,{label}\n",
    )
    with pytest.raises(
        ValueError,
        match=rf"UCI_Credit_Card\.csv, line 3: label "
        rf"'default\.payment\.next\.month' must be an integer, got "
        rf"'{label}'; fix or remove that row",
    ):
        tabular.load_credit_default(path=tmp_path)


def test_tabular_nan_feature_is_a_missing_value_and_inf_is_an_error(tmp_path):
    write(
        tmp_path,
        "tabular/UCI_Credit_Card.csv",
        "ID,LIMIT_BAL,AGE,default.payment.next.month\n1,200,nan,0\n2,300,41,1\n",
    )
    d = tabular.load_credit_default(path=tmp_path)
    age, limit = d.feature_names.index("AGE"), d.feature_names.index("LIMIT_BAL")
    assert np.isnan(d.X[0, age]) and d.X[1, [limit, age]].tolist() == [300, 41]
    assert d.y.tolist() == [0, 1]
    write(
        tmp_path,
        "tabular/UCI_Credit_Card.csv",
        "ID,LIMIT_BAL,AGE,default.payment.next.month\n1,200,30,0\n2,-inf,41,1\n",
    )
    with pytest.raises(
        ValueError,
        match=r"UCI_Credit_Card\.csv, line 3: column 'LIMIT_BAL' is "
        r"infinite \('-inf'\)",
    ):
        tabular.load_credit_default(path=tmp_path)


def test_tabular_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="tabular/UCI_Credit_Card.csv"):
        tabular.load_credit_default(path=tmp_path)


def real_root(rel):
    if not REAL_DATA:
        pytest.skip("TINYNET_DATA is not set: no real dataset mirror to check")
    if not (Path(REAL_DATA) / rel).is_file():
        pytest.skip(f"{rel} not under TINYNET_DATA={REAL_DATA}")
    return Path(REAL_DATA)


@pytest.mark.parametrize(
    "name, n, d, counts, n_missing",
    [
        ("golf", 14, 4, {"Yes": 9, "No": 5}, 0),
        ("car", 1728, 6, {"unacc": 1210, "acc": 384, "good": 69, "vgood": 65}, 0),
        ("mushroom", 8124, 22, {"e": 4208, "p": 3916}, None),
        ("tic-tac-toe", 958, 9, {"positive": 626, "negative": 332}, 0),
        ("house-votes-84", 435, 16, {"democrat": 267, "republican": 168}, None),
    ],
)
def test_real_categorical(name, n, d, counts, n_missing):
    root = real_root(f"categorical/{categorical._SETS[name][0]}")
    data = categorical.load_data(name, path=root)
    assert data.X.shape == (n, d) and len(data.feature_names) == d
    labels, freq = np.unique(data.y, return_counts=True)
    assert dict(zip(labels.tolist(), freq.tolist())) == counts
    missing = sum(v is None for v in data.X.ravel())
    assert missing == n_missing if n_missing is not None else missing > 0
    assert all(isinstance(v, str) for v in data.X.ravel() if v is not None)
    assert all(name == name.strip() for name in data.feature_names)


def test_real_tabular():
    root = real_root("tabular/UCI_Credit_Card.csv")
    d = tabular.load_credit_default(path=root)
    assert (
        d.X.shape == (30000, 23)
        and "ID" not in d.feature_names
        and d.feature_names[0] == "LIMIT_BAL"
    )
    assert np.bincount(d.y).tolist() == [23364, 6636]
    missing = np.argwhere(np.isnan(d.X))  # the two AGE cells the module docstring names
    assert missing.tolist() == [
        [2, d.feature_names.index("AGE")],
        [3, d.feature_names.index("AGE")],
    ]
    f = tabular.load_creditcard_fraud(path=real_root("tabular/creditcard_sample.csv"))
    assert (
        f.X.shape == (1722, 30) and f.feature_names[0] == "Time" and f.feature_names[-1] == "Amount"
    )
    assert np.bincount(f.y).tolist() == [1230, 492]


def test_tabular_header_must_hold_the_sets_feature_columns(tmp_path):
    header = ["ID", *tabular.CREDIT_DEFAULT_FEATURES, "default.payment.next.month"]
    short = [h for h in header if h != "PAY_AMT3"]
    f = tmp_path / "tabular" / "UCI_Credit_Card.csv"
    f.parent.mkdir(parents=True)
    f.write_text(",".join(short) + "\n" + ",".join("0" * len(short)) + "\n")
    with pytest.raises(
        ValueError, match=r"UCI_Credit_Card\.csv: .*23 feature columns; missing: PAY_AMT3"
    ):
        tabular.load_credit_default(path=tmp_path)
    f.write_text(",".join(header + ["x"]) + "\n" + ",".join("0" * (len(header) + 1)) + "\n")
    with pytest.raises(ValueError, match="unexpected: 'x'"):
        tabular.load_credit_default(path=tmp_path)


def test_tabular_label_outside_the_binary_classes(tmp_path):
    write(tmp_path, "tabular/creditcard_sample.csv", ",Time,Class\n0,1,0\n1,2,7\n")
    with pytest.raises(
        ValueError,
        match=r"creditcard_sample\.csv, line 3: label 'Class' must be one of 0, 1, got '7'",
    ):
        tabular.load_creditcard_fraud(path=tmp_path)


def test_binary_garbage_is_named(tmp_path):
    f = tmp_path / "tabular" / "UCI_Credit_Card.csv"
    f.parent.mkdir(parents=True)
    f.write_bytes(bytes(range(128, 256)) * 8)
    with pytest.raises(ValueError, match=r"UCI_Credit_Card\.csv: not a UTF-8 text \(CSV\) file"):
        tabular.load_credit_default(path=tmp_path)


def test_an_explicit_path_that_does_not_exist_is_refused(tmp_path, monkeypatch):
    from tinynet.datasets import cifar10, mnist

    monkeypatch.setenv("TINYNET_DATA", str(tmp_path))  # never a silent fall-back to it
    for load in (mnist.load_data, cifar10.load_data, tabular.load_credit_default):
        with pytest.raises(FileNotFoundError, match="could not find .* in /nonexistent: no such"):
            load(path="/nonexistent")
    with pytest.raises(FileNotFoundError, match="not a folder"):
        categorical.load_data("golf", path=write(tmp_path, "x.txt", "x"))
