"""What DecisionTree and RandomForest share: checking arguments, coding X and y, walking a tree."""

import inspect
import numbers
import sys
import warnings

import numpy as np

from .core import CATEGORICAL, LEAF, NUMERIC, ONE_VS_REST, Params, TreeData
from .criteria import check_criterion
from .encoding import FeatureEncoder, as_columns


def _check_int(value, name, where, low, allow_none=False):
    if value is None and allow_none:
        return None
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        more = " or None" if allow_none else ""
        raise ValueError(f"{where}: {name} must be an int >= {low}{more}, got {value!r}")
    return int(value)


def resolve_max_features(max_features, d, where):
    """None -> d; 'sqrt' / 'log2' -> max(1, int(...)); int -> itself; float in (0, 1] -> fraction."""
    mf = max_features
    if mf is None:
        return d
    if isinstance(mf, str):
        if mf == "sqrt":
            return max(1, int(np.sqrt(d)))
        if mf == "log2":
            return max(1, int(np.log2(d)))
    elif isinstance(mf, numbers.Integral) and not isinstance(mf, bool):
        if 1 <= mf:
            return min(int(mf), d)
    elif isinstance(mf, numbers.Real) and 0 < mf <= 1:
        return max(1, int(mf * d))
    raise ValueError(
        f"{where}: max_features must be None, 'sqrt', 'log2', an int >= 1 or a "
        f"float in (0, 1], got {max_features!r}"
    )


class DataConversionWarning(UserWarning):
    """y given as a column (n, 1) where labels (n,) are expected (scikit-learn's name)."""


def _as_labels(y, where, warn=False):
    """y (n,) or (n, 1) -> (n,); with ``warn`` a column warns as scikit-learn's estimators do."""
    if y is None:
        raise ValueError(f"{where}: requires y to be passed, but the target y is None")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        if warn:
            warnings.warn(
                f"A column-vector y was passed when a 1d array was expected ({where}); "
                f"use y.ravel() (labels of shape (n_samples,))",
                _bridged(DataConversionWarning),
                stacklevel=4,
            )
        return y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{where}: expected y of shape (n_samples,), got shape {y.shape}")
    return y


class NotFittedError(RuntimeError, ValueError, AttributeError):
    """predict (or a fitted attribute) before fit; a ValueError and an AttributeError too, as
    scikit-learn's NotFittedError is, so its checks and ``hasattr`` treat it alike."""


_BRIDGED = {}


def _bridged(ours):
    """``ours``, or once scikit-learn is imported, a subclass that is also scikit-learn's class
    of the same name (so its checks and filters see it; nothing imports scikit-learn here)."""
    sk = sys.modules.get("sklearn.exceptions")
    theirs = getattr(sk, ours.__name__, None)
    if theirs is None:
        return ours
    if theirs not in _BRIDGED:
        _BRIDGED[theirs] = type(ours.__name__, (ours, theirs), {"__module__": ours.__module__})
    return _BRIDGED[theirs]


def _not_fitted(message):
    return _bridged(NotFittedError)(message)


class TreeModel:
    """Base of the estimators: parameters, coding of X / y, prediction from fitted trees.

    The parameters follow scikit-learn's estimator conventions without importing it: every
    argument of ``__init__`` is stored unchanged under its own name and checked in ``fit``, so
    ``get_params`` / ``set_params`` read the constructor's signature, and ``sklearn.base.clone``,
    ``GridSearchCV`` and ``cross_val_score`` work on the trees.
    """

    _estimator_type = "classifier"  # scikit-learn < 1.6 reads this; newer ones the tags below

    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )

    def get_params(self, deep=True):
        """{name: value} of the constructor's arguments (``deep`` is accepted for scikit-learn;
        no parameter is itself an estimator)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set constructor arguments by name -> self; an unknown name is a ValueError."""
        names = self._param_names()
        for name, value in params.items():
            if name not in names:
                raise ValueError(
                    f"{type(self).__name__}.set_params: no parameter {name!r}; the parameters "
                    f"are {', '.join(names)}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self):
        """The constructor call with the arguments that differ from their defaults."""
        sig = inspect.signature(type(self).__init__)
        args = [
            f"{p.name}={getattr(self, p.name)!r}"
            for p in sig.parameters.values()
            if p.name != "self" and not _same(getattr(self, p.name, p.default), p.default)
        ]
        return f"{type(self).__name__}({', '.join(args)})"

    def __sklearn_is_fitted__(self):
        return bool(getattr(self, "fitted_", False))

    def __sklearn_tags__(self):
        """scikit-learn's estimator tags (called only by scikit-learn, so it is there): a
        classifier taking NaN (missing values) and string columns (categorical features)."""
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags(),
            input_tags=InputTags(allow_nan=True, string=True, categorical=True),
        )

    def _check_params(self, where):
        check_criterion(self.criterion, where)
        if self.categorical_split not in ("multiway", "binary"):
            raise ValueError(
                f"{where}: categorical_split must be 'multiway' or 'binary', got "
                f"{self.categorical_split!r}"
            )
        _check_int(self.max_depth, "max_depth", where, 0, allow_none=True)
        _check_int(self.min_samples_split, "min_samples_split", where, 2)
        _check_int(self.min_samples_leaf, "min_samples_leaf", where, 1)
        if (
            not isinstance(self.min_impurity_decrease, numbers.Real)
            or self.min_impurity_decrease < 0
        ):
            raise ValueError(
                f"{where}: min_impurity_decrease must be a number >= 0, got "
                f"{self.min_impurity_decrease!r}"
            )

    def _params(self, d, where):
        return Params(
            self.criterion,
            self.max_depth,
            self.min_samples_split,
            self.min_samples_leaf,
            resolve_max_features(self.max_features, d, where),
            self.min_impurity_decrease,
        )

    def _prepare(self, X, y, feature_names, target_name, sample_weight, where):
        """Fit the encoder and code y -> TreeData and sample weights (n,)."""
        self._check_params(where)
        self.fitted_ = False
        cols, names = as_columns(X, where)  # one transpose, read by the encoder too
        n = len(cols[0])
        y = _as_labels(y, where, warn=True)
        if len(y) != n:
            raise ValueError(f"{where}: X has {n} rows but y has {len(y)} labels")
        if (
            y.dtype.kind == "f"
            and not np.isfinite(y).all()
            or y.dtype.kind == "O"
            and any(
                v is None or isinstance(v, (float, np.floating)) and not np.isfinite(v) for v in y
            )
        ):
            raise ValueError(
                f"{where}: y has missing labels (None/NaN) or infinite ones; drop those rows first"
            )
        if y.dtype.kind == "f" and np.any(y != np.round(y)):
            raise ValueError(
                f"{where}: Unknown label type: continuous (y holds non-whole numbers such as "
                f"{y[y != np.round(y)][0]!r}); a classifier needs class labels: whole numbers, "
                f"strings or booleans"
            )
        if y.dtype.kind == "c":
            raise ValueError(f"{where}: Unknown label type: complex numbers are not class labels")
        try:
            self.classes_, yc = np.unique(y, return_inverse=True)
        except TypeError as e:
            raise ValueError(
                f"{where}: y mixes labels that cannot be sorted ({e}); give labels of "
                f"one type, e.g. y.astype(str)"
            ) from None
        if target_name is None:
            target_name = getattr(y, "name", None) or "class"
        self.target_name_ = str(target_name)
        if sample_weight is None:
            w = np.ones(n)
        else:
            w = np.asarray(sample_weight, dtype=np.float64)
            if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0):
                raise ValueError(
                    f"{where}: sample_weight must be finite, >= 0 and of shape ({n},), "
                    f"got shape {w.shape}"
                )
            if not w.any():
                raise ValueError(f"{where}: sample_weight is zero everywhere")
        w = w * self._class_weights(yc, where)[yc]
        if not w.any():
            raise ValueError(f"{where}: sample_weight times class_weight is zero everywhere")
        # bin edges from the rows that count: a zero weight is the same as leaving the row out
        self.encoder_ = FeatureEncoder(self.max_bins, self.categorical_features)
        codes = self.encoder_.fit_transform_columns(cols, names, feature_names, where, w > 0)
        self.n_features_in_ = len(self.encoder_.n_codes_)
        self.feature_names_ = list(self.encoder_.feature_names_)
        enc = self.encoder_
        data = TreeData(
            codes,
            yc,
            len(self.classes_),
            enc.n_codes_,
            enc.is_categorical_,
            enc.has_missing_,
            self.categorical_split,
        )
        return data, w

    def _class_weights(self, yc, where):
        """Weight per class code: 1, 'balanced' (n / (C * count)) or a {label: weight} dict."""
        cw, C = self.class_weight, len(self.classes_)
        if cw is None:
            return np.ones(C)
        if isinstance(cw, str) and cw == "balanced":
            return len(yc) / (C * np.bincount(yc, minlength=C))
        if isinstance(cw, dict):
            unknown = [k for k in cw if k not in set(self.classes_.tolist())]
            if unknown:
                raise ValueError(f"{where}: class_weight names classes not in y: {unknown}")
            cwa = np.array([float(cw.get(c, 1.0)) for c in self.classes_.tolist()])
            if not np.all(np.isfinite(cwa) & (cwa >= 0)):
                raise ValueError(f"{where}: class_weight must be finite and >= 0, got {cw!r}")
            return cwa
        raise ValueError(f"{where}: class_weight must be None, 'balanced' or a dict, got {cw!r}")

    def _check_fitted(self, where):
        if not getattr(self, "fitted_", False):
            raise _not_fitted(
                f"{type(self).__name__}.{where}: the model is not fitted yet; call fit(X, y) first"
            )

    def _codes(self, X, where):
        self._check_fitted(where)
        return self.encoder_.transform(X, f"{type(self).__name__}.{where}")

    def score(self, X, y):
        """Accuracy of predict(X) against y (n,) or (n, 1)."""
        y = _as_labels(y, f"{type(self).__name__}.score")
        pred = self.predict(X)
        if len(y) != len(pred):
            raise ValueError(
                f"{type(self).__name__}.score: X has {len(pred)} rows but y has {len(y)} labels"
            )
        return float(np.mean(pred == y))

    def predict(self, X):
        """Class labels (n,), the most probable class of :meth:`predict_proba`."""
        proba = self._proba(self._codes(X, "predict"))
        return self.classes_[np.argmax(proba, axis=1)]

    def _proba(self, codes):
        """Class probabilities (n, len(classes_)) of encoded samples ``codes`` (d, n)."""
        raise NotImplementedError


def _same(value, default):
    """value is the default (as scikit-learn's repr decides: equal and of one type)."""
    if value is default:
        return True
    try:
        return type(value) is type(default) and bool(value == default)
    except (TypeError, ValueError):  # arrays compare element-wise
        return False


def apply(tree, codes, n_codes):
    """Node where each sample stops (n,): a leaf, or the node whose branch for its code is missing."""
    n = codes.shape[1]
    node = np.zeros(n, dtype=np.int64)
    active = np.arange(n)
    while active.size:
        nd = node[active]
        inner = tree.kind[nd] != LEAF
        active, nd = active[inner], nd[inner]
        if not active.size:
            break
        f = tree.feature[nd]
        v = codes[f, active].astype(np.int64)
        nc = n_codes[f]
        kind = tree.kind[nd]
        nxt = np.where(
            (v == nc) & tree.missing_left[nd],
            tree.left[nd],
            np.where((v == nc) | (v > tree.threshold[nd]), tree.right[nd], tree.left[nd]),
        )
        o = kind == ONE_VS_REST
        if o.any():
            nxt[o] = np.where(v[o] == tree.threshold[nd[o]], tree.left[nd[o]], tree.right[nd[o]])
        c = kind == CATEGORICAL
        if c.any():
            ok = c & (v <= nc)
            nxt[c] = -1
            nxt[ok] = tree.branches[tree.branch_start[nd[ok]] + v[ok]]
        moved = nxt >= 0
        active, nd = active[moved], nxt[moved]
        node[active] = nd
    return node


def tree_proba(tree, codes, n_codes):
    """Class probabilities (n, C) of one tree: the class distribution where each sample stops."""
    value = tree.value[apply(tree, codes, n_codes)]
    return value / value.sum(axis=1, keepdims=True)


def importances(trees, d):
    """Normalised total impurity decrease per feature, averaged over trees like scikit-learn."""
    total = np.zeros(d)
    for t in trees:
        inner = t.kind != LEAF
        imp = np.bincount(t.feature[inner], weights=t.decrease[inner], minlength=d)
        if imp.sum() > 0:
            total += imp / imp.sum()
    s = total.sum()
    return total / s if s > 0 else total


__all__ = [
    "NotFittedError",
    "TreeModel",
    "apply",
    "tree_proba",
    "importances",
    "resolve_max_features",
    "NUMERIC",
    "CATEGORICAL",
    "ONE_VS_REST",
    "LEAF",
]
