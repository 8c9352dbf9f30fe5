"""The shapes the tree code passes around: the coded training set, growth parameters, a fitted
tree as flat arrays, and the node kinds."""

import numpy as np

LEAF, NUMERIC, CATEGORICAL, ONE_VS_REST = 0, 1, 2, 3


class TreeData:
    """The coded training set shared by every tree of a forest.

    codes: (d, n) uint8/uint16, feature-major; y: (n,) int class codes; n_codes, is_categorical,
    has_missing: (d,) per feature (see :class:`.encoding.FeatureEncoder`).
    """

    def __init__(
        self,
        codes,
        y,
        n_classes,
        n_codes,
        is_categorical,
        has_missing,
        categorical_split="multiway",
    ):
        self.codes = np.ascontiguousarray(codes)
        self.y = np.asarray(y, dtype=np.int64)
        self.n_classes = int(n_classes)
        self.n_codes = np.asarray(n_codes, dtype=np.int64)
        self.is_categorical = np.asarray(is_categorical, dtype=bool)
        self.has_missing = np.asarray(has_missing, dtype=bool)
        self.code_span = self.n_codes + self.has_missing
        self.useful = np.flatnonzero(self.code_span >= 2)  # a constant column never splits
        self.categorical_split = categorical_split
        # the sort-based search handles numeric features without missing values only
        self.special = self.is_categorical | self.has_missing
        self.sortable = not self.special.all()
        self._rows = None

    def __sizeof__(self):
        """Bytes held in the arrays: what Dask's sizeof reads, so joblib's Dask backend scatters
        the data once to the cluster instead of sending it with every task."""
        arrays = [v for v in vars(self).values() if isinstance(v, np.ndarray)]
        return object.__sizeof__(self) + sum(a.nbytes for a in arrays)

    @property
    def rows(self):
        """Sample-major codes (n + 1, d); the extra last row holds the largest code everywhere."""
        if self._rows is None:
            d, n = self.codes.shape
            self._rows = np.empty((n + 1, d), dtype=self.codes.dtype)
            self._rows[:n] = self.codes.T
            self._rows[n] = np.iinfo(self.codes.dtype).max
        return self._rows


class Params:
    def __init__(
        self,
        criterion,
        max_depth,
        min_samples_split,
        min_samples_leaf,
        max_features,
        min_impurity_decrease,
    ):
        self.criterion = criterion
        self.max_depth = np.inf if max_depth is None else max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.min_impurity_decrease = min_impurity_decrease


class Tree:
    """A fitted tree as flat arrays, one entry per node (node 0 is the root).

    kind: LEAF / NUMERIC / CATEGORICAL / ONE_VS_REST; feature; threshold (a code: NUMERIC goes left
    iff code <= threshold, ONE_VS_REST iff code == threshold);
    missing_left; left, right (NUMERIC children); branch_start: CATEGORICAL children are
    ``branches[branch_start + code]`` (-1: no training sample had that code there);
    value: (n_nodes, C) weighted class counts; decrease: weighted impurity decrease of the split;
    depth.
    """

    FIELDS = (
        "kind",
        "feature",
        "threshold",
        "missing_left",
        "left",
        "right",
        "branch_start",
        "value",
        "decrease",
        "depth",
        "branches",
    )

    def __init__(self, **arrays):
        for f in self.FIELDS:
            setattr(self, f, arrays[f])

    @property
    def n_nodes(self):
        return len(self.kind)

    @property
    def n_leaves(self):
        return int(np.sum(self.kind == LEAF))

    @property
    def max_depth(self):
        return int(self.depth.max())

    def arrays(self):
        return {f: getattr(self, f) for f in self.FIELDS}
