"""RandomForest: unpruned trees on bootstrap samples, a random subset of features at each node.

    forest = RandomForest(n_estimators=100, n_jobs=2, oob_score=True, random_state=0).fit(X, y)
    forest.predict_proba(X_test)   # (n, C): the mean of the trees' class distributions (soft vote)
    forest.oob_score_              # accuracy on the samples each tree did not see

Tree i draws its bootstrap sample and its features from its own seed (spawned from random_state),
so the forest is the same for every n_jobs and every backend, out-of-bag results included. The
trees are grown in forked worker processes (NumPy's bincount and take hold the GIL, so threads
would not run in parallel) that share the coded data with the parent and send their trees back
as .npz bytes through a pipe: without joblib, and with joblib's default process pool (loky) active,
whose fresh interpreters would cost a start and a copy of the data. Under any other joblib backend
the trees are grown through ``joblib.Parallel(n_jobs)`` in one task per worker, so the backend
decides where (a Dask cluster inside ``joblib.parallel_config(backend="dask")``, the training data
scattered once, as one argument shared by every task; there n_jobs=None asks the backend how many
workers it has).
"""

import ctypes
import importlib.util
import io
import multiprocessing
import numbers
import os

import numpy as np

from .base import TreeModel, importances, tree_proba
from .core import Tree
from .grow import grow_trees

BATCH = 20  # at most this many trees grown together (same trees as one at a time, fewer NumPy
# calls per tree; a worker's trees are dealt into equal batches)
# out-of-bag probabilities are summed in units of 2**-40 as int64: exact, so the sums do not
# depend on how the trees were split among worker processes (room for 2**23 trees)
OOB_UNIT = 2.0**40


def _grow_many(data, params, seeds, bootstrap, sample_weight, oob, draws=None):
    """Grow one tree per seed -> (trees, oob probability sums (n, C) int64 in units of
    1 / OOB_UNIT, or None, oob counts (n,)).
    Each bootstrap sample is ``draws`` draws with replacement (default n)."""
    n = len(data.y)
    draws = n if draws is None else draws
    trees = []
    oob_sum = np.zeros((n, data.n_classes), dtype=np.int64) if oob else None
    oob_cnt = np.zeros(n, dtype=np.int64)
    for part in np.array_split(np.arange(len(seeds)), -(-len(seeds) // BATCH)):
        rngs = [np.random.default_rng(seeds[i]) for i in part]
        if bootstrap:
            ws = [
                np.bincount(rng.integers(0, n, draws), minlength=n) * sample_weight for rng in rngs
            ]
        else:
            ws = [sample_weight.copy() for _ in rngs]
        grown = grow_trees(data, params, ws, rngs)
        trees.extend(grown)
        for w, tree in zip(ws, grown):
            out = np.flatnonzero(w == 0)
            if oob and out.size:
                p = tree_proba(tree, data.codes[:, out], data.n_codes)
                oob_sum[out] += np.rint(p * OOB_UNIT).astype(np.int64)
                oob_cnt[out] += 1
    return trees, oob_sum, oob_cnt


def _pack(trees, oob_sum, oob_cnt):
    arrays = {f"t{i}_{k}": v for i, t in enumerate(trees) for k, v in t.arrays().items()}
    if oob_sum is not None:
        arrays["oob_sum"], arrays["oob_cnt"] = oob_sum, oob_cnt
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _unpack(payload, n_trees):
    with np.load(io.BytesIO(payload), allow_pickle=False) as z:
        trees = [Tree(**{k: z[f"t{i}_{k}"] for k in Tree.FIELDS}) for i in range(n_trees)]
        oob = (z["oob_sum"], z["oob_cnt"]) if "oob_sum" in z.files else (None, None)
    return trees, oob


def keep_freed_memory():
    """Let glibc reuse freed memory instead of handing it back to the OS (worker processes only).

    Tree growing makes many short-lived NumPy temporaries of a few MB; by default each one is
    mmap-ed and unmapped again, and on a VM the page faults cost more than the arithmetic."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
        libc.mallopt(-3, 1 << 25)  # M_MMAP_THRESHOLD: 32 MiB, glibc's maximum
    except (OSError, AttributeError):
        pass


def _worker(conn, *args):
    keep_freed_memory()
    try:
        payload = b"ok" + _pack(*_grow_many(*args))
    except BaseException as e:  # report any failure to the parent instead of hanging it
        payload = b"er" + f"{type(e).__name__}: {e}".encode()
    conn.send_bytes(payload)
    conn.close()


def _grow_parallel(n_jobs, data, params, seeds, bootstrap, sample_weight, oob, draws):
    ctx = multiprocessing.get_context("fork")
    parts = [list(range(j, len(seeds), n_jobs)) for j in range(n_jobs)]
    procs = []
    for part in parts:
        recv, send = ctx.Pipe(duplex=False)
        p = ctx.Process(
            target=_worker,
            args=(
                send,
                data,
                params,
                [seeds[i] for i in part],
                bootstrap,
                sample_weight,
                oob,
                draws,
            ),
            daemon=True,
        )
        p.start()
        send.close()
        procs.append((p, recv))
    trees = [None] * len(seeds)
    oob_sum = np.zeros((len(data.y), data.n_classes), dtype=np.int64) if oob else None
    oob_cnt = np.zeros(len(data.y), dtype=np.int64)
    errors = []
    for part, (p, recv) in zip(parts, procs):
        try:
            payload = recv.recv_bytes()
        except EOFError:
            payload = b"erworker process died (out of memory?)"
        p.join()
        if payload[:2] != b"ok":
            errors.append(payload[2:].decode())
            continue
        got, (s, c) = _unpack(payload[2:], len(part))
        for i, t in zip(part, got):
            trees[i] = t
        if oob:
            oob_sum += s
            oob_cnt += c
    if errors:
        raise RuntimeError(f"RandomForest.fit: a worker process failed: {errors[0]}")
    return trees, oob_sum, oob_cnt


def _merge(parts, results, n_seeds, n_rows, n_classes, oob):
    """(trees in seed order, oob sums, oob counts) from each part's (trees, sums, counts)."""
    trees = [None] * n_seeds
    oob_sum = np.zeros((n_rows, n_classes), dtype=np.int64) if oob else None
    oob_cnt = np.zeros(n_rows, dtype=np.int64)
    for part, (got, s, c) in zip(parts, results):
        for i, t in zip(part, got):
            trees[i] = t
        if oob:
            oob_sum += s  # integers: the same sums in any order
            oob_cnt += c
    return trees, oob_sum, oob_cnt


def joblib_jobs(n_jobs):
    """The number of tasks joblib's active backend runs at once for ``n_jobs``, or None
    without joblib."""
    if importlib.util.find_spec("joblib") is None:
        return None
    import joblib

    return joblib.effective_n_jobs(n_jobs)


def fork_instead_of_joblib():
    """True when joblib's active backend is its own process pool (loky, the default) and fork is
    available: forked workers grow the same trees without starting fresh interpreters and sending
    them the data (seconds on the first fit of a session)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    from joblib.parallel import LokyBackend, get_active_backend

    return isinstance(get_active_backend()[0], LokyBackend)


def _grow_task(*args):
    """One joblib task: _grow_many in a worker whose malloc keeps freed memory (as the forked
    workers do)."""
    keep_freed_memory()
    return _grow_many(*args)


def _grow_joblib(n_jobs, jobs, data, params, seeds, bootstrap, sample_weight, oob, draws):
    """Grow the trees in ``jobs`` joblib tasks (seeds dealt round-robin, as the forked workers
    do), on whatever backend is active."""
    import joblib

    parts = [list(range(j, len(seeds), jobs)) for j in range(jobs)]
    task = joblib.delayed(_grow_task)
    results = joblib.Parallel(n_jobs=n_jobs)(
        task(data, params, [seeds[i] for i in part], bootstrap, sample_weight, oob, draws)
        for part in parts
    )
    return _merge(parts, results, len(seeds), len(data.y), data.n_classes, oob)


class RandomForest(TreeModel):
    """A forest of decision trees with soft voting (the mean of the trees' class distributions).

    n_estimators: number of trees. max_features: features drawn per node ('sqrt' default, None,
    'log2', int, fraction). bootstrap: each tree sees n draws with replacement (else all samples).
    oob_score: compute ``oob_score_`` (accuracy of each sample's vote by the trees that did not see
    it) and ``oob_decision_function_`` (n, C). n_jobs: parallel tasks (None: 1, or the active
    joblib backend's choice; -1: all cores, or all the backend's workers), in forked processes, or
    through joblib under a backend other than its default (see the module docstring).
    max_bins: bins per numeric column, 32 by default (as in Spark MLlib's random forests): a
    forest's randomised trees lose no accuracy to coarser thresholds, and the class histograms are
    8 times smaller than with 256 bins, so the fit is faster (results/benchmarks/trees_mnist.md
    compares both). criterion defaults to 'gini' like scikit-learn; the other
    parameters (class_weight too) are DecisionTree's.

    Fitted: estimators_ (list of flat trees), classes_, feature_importances_, oob_score_.
    """

    def __init__(
        self,
        n_estimators=100,
        criterion="gini",
        max_depth=None,
        min_samples_split=2,
        min_samples_leaf=1,
        max_features="sqrt",
        min_impurity_decrease=0.0,
        bootstrap=True,
        oob_score=False,
        n_jobs=None,
        random_state=None,
        max_samples=None,
        max_bins=32,
        categorical_features="auto",
        categorical_split="multiway",
        class_weight=None,
    ):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.min_impurity_decrease = min_impurity_decrease
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.max_samples = max_samples
        self.max_bins = max_bins
        self.categorical_features = categorical_features
        self.categorical_split = categorical_split
        self.class_weight = class_weight

    def _jobs(self, where):
        j = self.n_jobs
        if j is None:
            return 1
        if isinstance(j, numbers.Integral) and not isinstance(j, bool) and (j >= 1 or j == -1):
            return os.cpu_count() or 1 if j == -1 else int(j)
        raise ValueError(f"{where}: n_jobs must be None, -1 or an int >= 1, got {j!r}")

    def _draws(self, n, where):
        ms = self.max_samples
        if ms is None:
            return n
        if isinstance(ms, numbers.Integral) and not isinstance(ms, bool) and 1 <= ms:
            return int(ms)
        if (
            isinstance(ms, numbers.Real)
            and not isinstance(ms, (bool, numbers.Integral))
            and 0 < ms <= 1
        ):
            return max(1, int(round(ms * n)))
        raise ValueError(
            f"{where}: max_samples must be None, an int >= 1 or a float in (0, 1], got {ms!r}"
        )

    def fit(self, X, y, feature_names=None, target_name=None, sample_weight=None):
        """Grow n_estimators trees on X (n, d), y (n,)."""
        where = "RandomForest.fit"
        ne = self.n_estimators
        if not isinstance(ne, numbers.Integral) or isinstance(ne, bool) or ne < 1:
            raise ValueError(
                f"{where}: n_estimators must be an int >= 1, got {self.n_estimators!r}"
            )
        if self.oob_score and not self.bootstrap:
            raise ValueError(
                f"{where}: oob_score=True needs bootstrap=True (no sample is out of bag otherwise)"
            )
        jobs = min(self._jobs(where), self.n_estimators)
        through_joblib = joblib_jobs(self.n_jobs)
        if through_joblib is not None:
            jobs = min(max(through_joblib, 1), self.n_estimators)
        data, w = self._prepare(X, y, feature_names, target_name, sample_weight, where)
        params = self._params(data.codes.shape[0], where)
        seeds = np.random.SeedSequence(self.random_state).spawn(int(ne))
        args = (
            data,
            params,
            seeds,
            self.bootstrap,
            w,
            self.oob_score,
            self._draws(len(data.y), where),
        )
        if jobs > 1 and data.sortable:
            data.rows  # built once here, shared by the workers (sent once to each)
        if jobs > 1 and through_joblib is not None and not fork_instead_of_joblib():
            trees, oob_sum, oob_cnt = _grow_joblib(self.n_jobs, jobs, *args)
        elif jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
            trees, oob_sum, oob_cnt = _grow_parallel(jobs, *args)
        else:
            trees, oob_sum, oob_cnt = _grow_many(*args)
        self.estimators_ = trees
        self.fitted_ = True
        if self.oob_score:
            seen = oob_cnt > 0
            proba = np.full(oob_sum.shape, np.nan)
            proba[seen] = oob_sum[seen] / OOB_UNIT / oob_cnt[seen, None]
            self.oob_decision_function_ = proba
            hits = np.argmax(proba[seen], axis=1) == data.y[seen]
            self.oob_score_ = float(np.mean(hits)) if seen.any() else float("nan")
        return self

    def predict_proba(self, X):
        """Mean class probabilities of the trees (n, len(classes_)); rows sum to 1."""
        return self._proba(self._codes(X, "predict_proba"))

    def _proba(self, codes):
        total = np.zeros((codes.shape[1], len(self.classes_)))
        for t in self.estimators_:
            total += tree_proba(t, codes, self.encoder_.n_codes_)
        return total / len(self.estimators_)

    @property
    def feature_importances_(self):
        """(d,) mean over trees of each tree's normalised impurity decrease per feature."""
        self._check_fitted("feature_importances_")
        return importances(self.estimators_, self.n_features_in_)
