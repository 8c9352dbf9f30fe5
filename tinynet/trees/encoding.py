"""Tables -> small integer codes, the only form the tree builder sees.

Each column is either

* **categorical** -- strings (or any column declared categorical): one code per distinct value,
  sorted as strings; values are compared as strings (``2``, ``2.0`` and ``"2"`` are the same
  category: whole floats are written as ints);
* **numeric** -- numbers: binned once into at most ``max_bins`` bins. With at most ``max_bins``
  distinct values every value gets its own bin (exact, like scikit-learn); otherwise the bin edges
  are quantiles. Code ``b`` means ``thresholds[b-1] < x <= thresholds[b]``, so a split "code <= b"
  is exactly the split "x <= thresholds[b]".

Missing values -- ``None``, NaN, ``"?"`` and ``""`` -- get the code ``n_codes[j]`` (one past the
value codes); a category never seen in training gets ``n_codes[j] + 1`` at predict time.
"""

import numbers

import numpy as np

MISSING_STRINGS = ("?", "")


def as_columns(X, where):
    """X (n, d) array-like or DataFrame -> (list of d 1-D columns, column names or None)."""
    names = None
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise TypeError(
            f"{where}: sparse input is not supported; pass a dense table, e.g. X.toarray()"
        )
    if hasattr(X, "columns") and hasattr(X, "to_numpy"):
        names = [str(c) for c in X.columns]
        cols = [np.asarray(X[c].to_numpy()) for c in X.columns]
        n = len(X)
    else:
        try:
            arr = np.asarray(X)
        except ValueError as e:  # ragged rows
            raise ValueError(
                f"{where}: X must be a 2-D table (n_samples, n_features): {e}"
            ) from None
        if arr.dtype.kind in "US" and not isinstance(X, np.ndarray):
            arr = np.asarray(X, dtype=object)  # rows like ["Sunny", 85]: keep the numbers numbers
        if arr.ndim != 2:
            hint = (
                "; Reshape your data: X.reshape(-1, 1) for a single feature, X.reshape(1, -1) "
                "for a single sample"
                if arr.ndim == 1
                else ""
            )
            raise ValueError(
                f"{where}: expected X of shape (n_samples, n_features), got shape {arr.shape}{hint}"
            )
        n = arr.shape[0]
        cols = list(np.ascontiguousarray(arr.T))  # one transpose; every column is then contiguous
    if not cols:
        raise ValueError(
            f"{where}: X has no columns: 0 feature(s) (shape=({n}, 0)) while a minimum of 1 is "
            f"required."
        )
    if n == 0:
        raise ValueError(f"{where}: X has no rows")
    if any(c.dtype.kind == "c" for c in cols):
        raise ValueError(f"{where}: Complex data not supported (a column of complex numbers)")
    return cols, names


def _missing_mask(col):
    if col.dtype.kind == "f":
        return np.isnan(col)
    if col.dtype.kind in "biu":
        return np.zeros(len(col), dtype=bool)
    if col.dtype.kind in "US":
        s = col.astype(str)
        return np.isin(s, MISSING_STRINGS)
    return np.fromiter(
        (
            v is None
            or (isinstance(v, (float, np.floating)) and v != v)
            or (isinstance(v, str) and v in MISSING_STRINGS)
            for v in col
        ),
        dtype=bool,
        count=len(col),
    )


def _all_numbers(values):
    return all(
        isinstance(v, (numbers.Number, np.number)) and not isinstance(v, (str, bytes))
        for v in values
    )


def _to_float(col, missing, where, name):
    out = np.full(len(col), np.nan)
    try:
        out[~missing] = col[~missing].astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{where}: numeric column {name!r} holds a value that is not a number"
        ) from None
    return out


def _category_strings(col):
    """A categorical column as strings; whole floats are written as ints (2.0 -> '2'), so a code
    column matches whether it comes as ints or as floats."""
    if col.dtype.kind == "f":
        whole = np.isfinite(col) & (col == np.round(col)) & (np.abs(col) < 2.0**63)
        return np.where(
            whole, np.where(whole, col, 0).astype(np.int64).astype(str), col.astype(str)
        )
    if col.dtype.kind == "O":
        return np.array(
            [
                str(int(v))
                if isinstance(v, (float, np.floating))
                and np.isfinite(v)
                and float(v).is_integer()
                and abs(v) < 2.0**63
                else str(v)
                for v in col
            ],
            dtype=str,
        )
    return col.astype(str)


def _small_uint(col):
    return col.dtype.kind == "u" and col.dtype.itemsize <= 2


def _midpoints(lo, hi):
    """Thresholds t with lo <= t < hi for sorted distinct values lo < hi: (lo + hi) / 2 unless
    that overflows or rounds up to hi (neighbouring floats, inf), then lo."""
    with np.errstate(over="ignore", invalid="ignore"):
        mid = (lo + hi) / 2.0
        mid = np.where(np.isinf(mid) & np.isfinite(lo) & np.isfinite(hi), lo / 2.0 + hi / 2.0, mid)
    return np.where(mid < hi, mid, lo)


def _bin_edges(x, max_bins):
    """Thresholds between the bins of the known values x (1-D, no NaN) -> (thresholds, the
    training values just below and just above each threshold), three float arrays (k,).

    At most max_bins distinct values: one bin each. Otherwise a value holding more than 1/max_bins
    of the samples gets a bin of its own and the other values share the remaining bins in equal
    parts of their samples (so a column that is 80 % zeros still gets fine bins elsewhere). When
    the heavy values alone need more than max_bins - 1 edges (about max_bins / 2 of them), the
    edges are plain quantiles of all the samples instead."""
    if _small_uint(x):
        cnt = np.bincount(x)
        u = np.flatnonzero(cnt)
        cnt, u = cnt[u], u.astype(np.float64)
    else:
        u, cnt = np.unique(x, return_counts=True)
    if len(u) <= max_bins:
        return _midpoints(u[:-1], u[1:]), u[:-1], u[1:]
    heavy = np.flatnonzero(cnt * max_bins > len(x))
    light = np.cumsum(np.where(cnt * max_bins > len(x), 0, cnt))
    for parts in range(max_bins - 1 - 2 * len(heavy), 0, -1):
        cuts = np.searchsorted(light, light[-1] * np.arange(1, parts) / parts)
        k = np.unique(np.concatenate([cuts, heavy - 1, heavy]))
        k = k[(k >= 0) & (k < len(u) - 1)]
        if len(k) <= max_bins - 1:
            break
    else:  # no room for an edge on each side of every heavy value (or no room left at all)
        total = np.cumsum(cnt)
        k = np.unique(np.searchsorted(total, total[-1] * np.arange(1, max_bins) / max_bins))
        k = k[k < len(u) - 1]
    return _midpoints(u[k], u[k + 1]), u[k], u[k + 1]


class FeatureEncoder:
    """Fits column kinds, categories and bin edges on a training table; codes any table alike.

    After :meth:`fit`: ``feature_names_`` (list of str), ``is_categorical_`` (bool (d,)),
    ``categories_`` (list: str array or None), ``thresholds_`` (list: float array or None),
    ``n_codes_`` (int (d,), value codes per column), ``has_missing_`` (bool (d,), in training),
    ``neighbours_`` (list: None or a pair of float arrays like the thresholds: the training values
    just below and just above each threshold).
    """

    def __init__(self, max_bins=256, categorical_features="auto"):
        """categorical_features: 'auto' (columns of strings are categorical) or a list of column
        names / indices that are categorical too."""
        if not isinstance(max_bins, numbers.Integral) or not 2 <= max_bins <= 65534:
            raise ValueError(
                f"FeatureEncoder: max_bins must be an int in [2, 65534], got {max_bins!r}"
            )
        self.max_bins = int(max_bins)
        self.categorical_features = categorical_features

    def _declared(self, names, d, where):
        cf = self.categorical_features
        if cf is None or (isinstance(cf, str) and cf == "auto"):
            return np.zeros(d, dtype=bool)
        if isinstance(cf, str):
            raise ValueError(
                f"{where}: categorical_features must be 'auto' or a list of column names "
                f"or indices, got {cf!r}"
            )
        declared = np.zeros(d, dtype=bool)
        for item in cf:
            if isinstance(item, str):
                if item not in names:
                    raise ValueError(
                        f"{where}: categorical feature {item!r} is not a column; columns "
                        f"are {names}"
                    )
                declared[names.index(item)] = True
            elif isinstance(item, numbers.Integral) and -d <= item < d:
                declared[item] = True
            else:
                raise ValueError(
                    f"{where}: categorical_features entries must be column names or "
                    f"indices in [0, {d}), got {item!r}"
                )
        return declared

    def fit(self, X, feature_names=None, where="FeatureEncoder.fit", rows=None):
        """rows: None, or a bool mask (n,) of the rows whose values place the bin edges (the
        others are coded alike but count as absent, like rows of sample weight 0)."""
        cols, names = as_columns(X, where)
        return self._fit_columns(cols, names, feature_names, where, rows)

    def fit_transform(self, X, feature_names=None, where="FeatureEncoder.fit_transform", rows=None):
        """fit then transform, reading X once."""
        cols, names = as_columns(X, where)
        fitted = self._fit_columns(cols, names, feature_names, where, rows)
        return fitted._transform_columns(cols, where)

    def fit_transform_columns(self, cols, names, feature_names, where, rows=None):
        """fit_transform on the columns :func:`as_columns` gave (a caller that has read X)."""
        return self._fit_columns(cols, names, feature_names, where, rows)._transform_columns(
            cols, where
        )

    def _fit_columns(self, cols, names, feature_names, where, rows=None):
        d = len(cols)
        if feature_names is not None:
            names = [str(f) for f in feature_names]
            if len(names) != d:
                raise ValueError(f"{where}: {len(names)} feature_names for {d} columns")
        self.feature_names_ = names if names is not None else [f"x{j}" for j in range(d)]
        declared = self._declared(self.feature_names_, d, where)
        self.is_categorical_ = np.zeros(d, dtype=bool)
        self.categories_, self.thresholds_, self.neighbours_ = [], [], []
        self.n_codes_ = np.zeros(d, dtype=np.int64)
        self.has_missing_ = np.zeros(d, dtype=bool)
        for j, col in enumerate(cols):
            missing = _missing_mask(col)
            known = col[~missing]
            categorical = declared[j] or (col.dtype.kind not in "biuf" and not _all_numbers(known))
            self.is_categorical_[j] = categorical
            self.has_missing_[j] = missing.any()
            if categorical:
                cats = np.unique(_category_strings(known))
                self.categories_.append(cats)
                self.thresholds_.append(None)
                self.neighbours_.append(None)
                self.n_codes_[j] = len(cats)
            else:
                if _small_uint(col):
                    x = col if rows is None else col[rows]
                else:
                    x = _to_float(col, missing, where, self.feature_names_[j])
                    x = x[~missing if rows is None else ~missing & rows]
                edges, below, above = _bin_edges(x, self.max_bins)
                self.categories_.append(None)
                self.thresholds_.append(edges)
                self.neighbours_.append((below, above))
                self.n_codes_[j] = len(edges) + 1
        if self.n_codes_.max() + 2 > np.iinfo(np.uint16).max:
            big = int(np.argmax(self.n_codes_))
            raise ValueError(
                f"{where}: column {self.feature_names_[big]!r} has {self.n_codes_[big]} "
                f"categories; at most 65533 are supported"
            )
        return self

    def transform(self, X, where="transform"):
        """Code a table like the training one -> feature-major codes (d, n), uint8 or uint16."""
        return self._transform_columns(as_columns(X, where)[0], where)

    def _transform_columns(self, cols, where):
        d = len(self.n_codes_)
        if len(cols) != d:
            model = where.split(".")[0]
            raise ValueError(
                f"{where}: X has {len(cols)} features, but {model} is expecting {d} features as "
                f"input (the model was fitted on {d})"
            )
        # the largest code a column can get: missing (n_codes) or unseen (n_codes + 1)
        top = max(
            int(self.n_codes_[j])
            + (1 if self.is_categorical_[j] else 0 if not _small_uint(c) else -1)
            for j, c in enumerate(cols)
        )
        codes = np.empty((d, len(cols[0])), dtype=np.uint8 if top < 256 else np.uint16)
        for j, col in enumerate(cols):
            if _small_uint(col) and not self.is_categorical_[j]:  # a lookup table per column
                lut = np.searchsorted(self.thresholds_[j], np.arange(np.iinfo(col.dtype).max + 1))
                if len(self.thresholds_[j]) == lut[-1] == len(lut) - 1:  # every value has its bin
                    codes[j] = col
                elif col.dtype == codes.dtype == np.uint8:  # bytes.translate: a C byte lookup
                    codes[j] = np.frombuffer(
                        col.tobytes().translate(lut.astype(np.uint8).tobytes()), dtype=np.uint8
                    )
                else:
                    lut.astype(codes.dtype).take(col, out=codes[j])
                continue
            missing = _missing_mask(col)
            if self.is_categorical_[j]:
                cats = self.categories_[j]
                s = _category_strings(col)
                pos = np.minimum(np.searchsorted(cats, s), max(len(cats) - 1, 0))
                seen = (cats[pos] == s) if len(cats) else np.zeros(len(s), dtype=bool)
                c = np.where(seen, pos, self.n_codes_[j] + 1)
            else:
                x = _to_float(col, missing, where, self.feature_names_[j])
                c = np.searchsorted(self.thresholds_[j], x, side="left")
            codes[j] = np.where(missing, self.n_codes_[j], c)
        return codes
