"""Numeric tabular sets (credit default, card fraud), read from ``tabular/``.

    data = tabular.load_credit_default()
    data.X   # float32 (n, d)      data.y   # int64 (n,)
    data.feature_names, data.target_name

Missing values: a feature cell ``nan`` (any case) is kept as NaN in X; the credit-default file
has two, in AGE (IDs 3 and 4). The trees split around them; impute them before a network (see
examples/fraud_detection.py). Any other text, an empty cell or an infinite feature, and a label
that is missing or not 0 or 1, raise a ValueError naming the file and the line; a header without
the set's feature columns (or with others) names the missing (or unexpected) ones.
"""

import math
from collections import namedtuple

import numpy as np

from ._csv import read_rows
from ._files import require_file

TabularData = namedtuple("TabularData", ["X", "y", "feature_names", "target_name"])

CREDIT_DEFAULT_FEATURES = (
    ["LIMIT_BAL", "SEX", "EDUCATION", "MARRIAGE", "AGE", "PAY_0"]
    + [f"PAY_{i}" for i in range(2, 7)]
    + [f"BILL_AMT{i}" for i in range(1, 7)]
    + [f"PAY_AMT{i}" for i in range(1, 7)]
)
FRAUD_FEATURES = ["Time"] + [f"V{i}" for i in range(1, 29)] + ["Amount"]


def _load(dataset, relpath, target, drop, path, features=None, classes=(0, 1)):
    """features: the feature columns the file must have (None: every column but the dropped
    ones and the label); classes: the labels allowed."""
    file = require_file(dataset, relpath, path)
    header, rows = read_rows(file)
    if target not in header:
        raise ValueError(f"{file}: label column {target!r} not in the header {header}")
    t = header.index(target)
    if features is not None:
        missing = [h for h in features if h not in header]
        extra = [h for h in header if h not in features and h != target and h not in drop]
        if missing or extra:
            raise ValueError(
                f"{file}: the header does not have {dataset}'s {len(features)} feature columns"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; unexpected: {', '.join(map(repr, extra))}" if extra else "")
            )
    keep = [i for i, h in enumerate(header) if i != t and h not in drop]
    X = np.empty((len(rows), len(keep)), dtype=np.float64)
    y = np.empty(len(rows), dtype=np.int64)
    for r, (line, cells) in enumerate(rows):
        try:
            X[r] = [float(cells[i]) for i in keep]
            label = float(cells[t])
        except ValueError:
            bad = next(header[i] for i in keep + [t] if not _is_number(cells[i]))
            raise ValueError(
                f"{file}, line {line}: column {bad!r} is not a number: "
                f"{cells[header.index(bad)]!r}; fix or remove that row"
            ) from None
        if np.isinf(X[r]).any():
            bad = header[keep[int(np.flatnonzero(np.isinf(X[r]))[0])]]
            raise ValueError(
                f"{file}, line {line}: column {bad!r} is infinite "
                f"({cells[header.index(bad)]!r}); fix or remove that row"
            )
        if not math.isfinite(label) or label != int(label):
            raise ValueError(
                f"{file}, line {line}: label {target!r} must be an integer, got "
                f"{cells[t]!r}; fix or remove that row"
            )
        if classes is not None and int(label) not in classes:
            raise ValueError(
                f"{file}, line {line}: label {target!r} must be one of "
                f"{', '.join(map(str, classes))}, got {cells[t]!r}; fix or remove that row"
            )
        y[r] = int(label)
    return TabularData(X.astype(np.float32), y, [header[i] for i in keep], target)


def _is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def load_credit_default(path=None):
    """UCI "default of credit card clients": X float32 (30000, 23), y int64 (30000,) in {0, 1}.

    Reads ``tabular/UCI_Credit_Card.csv`` (searched as in :mod:`._files`); the ID column is dropped
    and the label is ``default.payment.next.month``.
    """
    return _load(
        "credit default",
        "tabular/UCI_Credit_Card.csv",
        "default.payment.next.month",
        {"ID"},
        path,
        CREDIT_DEFAULT_FEATURES,
    )


def load_creditcard_fraud(path=None):
    """ULB card-fraud sample: X float32 (1722, 30) (Time, V1..V28, Amount), y int64 (1 = fraud).

    Reads ``tabular/creditcard_sample.csv``; its unnamed first column (a row index) is dropped.
    """
    return _load(
        "credit card fraud", "tabular/creditcard_sample.csv", "Class", {""}, path, FRAUD_FEATURES
    )
