"""RandomForest through joblib: on a 2-worker Dask LocalCluster, with joblib's process backend
and with the forked workers used without joblib, the forest equals n_jobs=1 bit for bit, out-of-bag
results included."""

import importlib.util

import numpy as np
import pytest

from tinynet.trees import RandomForest, forest

needs_joblib = pytest.mark.skipif(
    importlib.util.find_spec("joblib") is None,
    reason="needs joblib: pip install 'tinynet[distributed]'",
)
needs_dask = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None or importlib.util.find_spec("joblib") is None,
    reason="needs dask[distributed] and joblib: pip install 'tinynet[distributed]'",
)
KW = dict(n_estimators=13, oob_score=True, random_state=2, max_samples=0.8)


def data():
    g = np.random.default_rng(5)
    X = g.normal(size=(300, 6))
    X[::7, 2] = np.nan  # missing values take the other split search too
    y = (X[:, 0] + 0.5 * g.normal(size=300) > 0).astype(int) + (X[:, 1] > 1)
    return X, y


def assert_same(a, b, X):
    assert len(a.estimators_) == len(b.estimators_)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.oob_decision_function_, b.oob_decision_function_)
    assert a.oob_score_ == b.oob_score_
    np.testing.assert_array_equal(a.feature_importances_, b.feature_importances_)


@needs_dask
def test_forest_on_a_local_dask_cluster_equals_one_job():
    import joblib
    from dask.distributed import Client, LocalCluster

    X, y = data()
    one = RandomForest(n_jobs=1, **KW).fit(X, y)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        with joblib.parallel_config(backend="dask"):
            assert forest.joblib_jobs(None) == 2  # the cluster's workers
            on_dask = RandomForest(**KW).fit(X, y)
    assert_same(one, on_dask, X)


@needs_dask
def test_the_training_data_is_big_enough_for_joblib_to_scatter_it_once():
    from dask.sizeof import sizeof

    X, y = data()
    coded, _ = RandomForest(**KW)._prepare(X, y, None, None, None, "test")
    # joblib's Dask backend scatters an argument once when dask.sizeof says it exceeds 1 kB
    assert sizeof(coded) >= coded.codes.nbytes + coded.y.nbytes > 1e3


@needs_joblib
def test_forest_through_joblib_processes_equals_one_job():
    X, y = data()
    assert_same(RandomForest(n_jobs=1, **KW).fit(X, y), RandomForest(n_jobs=2, **KW).fit(X, y), X)


def test_forked_workers_without_joblib_equal_one_job(monkeypatch):
    monkeypatch.setattr(forest, "joblib_jobs", lambda n_jobs: None)
    X, y = data()
    assert_same(RandomForest(n_jobs=1, **KW).fit(X, y), RandomForest(n_jobs=2, **KW).fit(X, y), X)
