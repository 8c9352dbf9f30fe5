"""Small categorical sets for decision trees (ID3 / random forest), read from ``categorical/``.

data = categorical.load_data("golf")
data.X            # object array (n, d) of str, missing values ('?') as None
data.y            # str array (n,)
data.feature_names, data.target_name
"""

from collections import namedtuple

import numpy as np

from ._csv import read_rows
from ._files import require_file

CategoricalData = namedtuple("CategoricalData", ["X", "y", "feature_names", "target_name"])

# name -> (file under categorical/, label column)
_SETS = {
    "golf": ("golf.txt", "Decision"),
    "car": ("car.data", "Decision"),
    "mushroom": ("mushroom.data", "edibility"),
    "tic-tac-toe": ("tic-tac-toe.data", "class"),
    "house-votes-84": ("house-votes-84.data", "Class"),
}
NAMES = tuple(_SETS)
MISSING = "?"


def load_data(name, path=None):
    """Load the categorical set ``name`` (one of :data:`NAMES`) as a :class:`CategoricalData`.

    ``path`` is searched first, then ``$TINYNET_DATA``, then ``~/.cache/tinynet/datasets``, for
    ``categorical/<file>``. Missing file -> FileNotFoundError; a malformed row -> ValueError naming
    the file and line.
    """
    if name not in _SETS:
        raise ValueError(
            f"categorical.load_data: unknown dataset {name!r}; expected one of {list(NAMES)}"
        )
    filename, target = _SETS[name]
    file = require_file(f"categorical {name!r}", f"categorical/{filename}", path)
    header, rows = read_rows(file)
    if target not in header:
        raise ValueError(f"{file}: label column {target!r} not in the header {header}")
    t = header.index(target)
    feature_names = [h for i, h in enumerate(header) if i != t]
    X = np.empty((len(rows), len(header) - 1), dtype=object)
    y = []
    for r, (line, cells) in enumerate(rows):
        label = cells[t]
        if label in ("", MISSING):
            raise ValueError(f"{file}, line {line}: the label {target!r} is missing")
        y.append(label)
        X[r] = [None if c in ("", MISSING) else c for i, c in enumerate(cells) if i != t]
    return CategoricalData(X, np.array(y, dtype=str), feature_names, target)
