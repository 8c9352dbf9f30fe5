"""tinynet.gan.face_quality: Fréchet distances on classifier features (all samples, equal sizes,
two real halves) and attribute shares, on stand-in features whose answer is known."""

import numpy as np
import pytest

from tinynet.gan.face_quality import face_quality
from tinynet.gan.quality import frechet_distance


def faces_with_means(means):
    """Faces whose three channel means are the given rows (N, 3), as constant planes."""
    m = np.asarray(means, np.float32)
    return np.broadcast_to(m[:, :, None, None], (len(m), 3, 64, 64)).copy()


def features(x):
    return x.mean(axis=(2, 3)).astype(np.float64)


def probs(x):
    return 1 / (1 + np.exp(-8 * features(x)))


def test_same_distribution_is_near_zero_and_a_shift_is_its_squared_length():
    rng = np.random.default_rng(0)
    real = faces_with_means(rng.uniform(-0.5, 0.5, (400, 3)))
    same = faces_with_means(rng.uniform(-0.5, 0.5, (1000, 3)))
    shifted = faces_with_means(rng.uniform(-0.5, 0.5, (1000, 3)) + [0.3, 0, 0])
    near = face_quality(same, real, features, probs)
    far = face_quality(shifted, real, features, probs)
    assert near["samples"] == 1000 and near["real"] == 400 and near["features"] == 3
    assert near["fid"] < 0.01 and near["fid_real_halves"] < 0.02
    assert far["fid"] == pytest.approx(0.09, abs=0.02)  # |mean shift|^2
    assert far["fid_same_size"] > near["fid_same_size"] + 0.05
    # the real-halves reference does not depend on the generated set
    assert far["fid_real_halves"] == near["fid_real_halves"]
    np.testing.assert_allclose(
        near["fid"], frechet_distance(features(same), features(real)), rtol=1e-12
    )
    assert near["fid_sizes"] == {"fid": [1000, 400], "same_size": [200, 200]}


def test_attribute_shares_generated_vs_real():
    gen = faces_with_means([[0.5, -0.5, 0.5]] * 3 + [[-0.5, -0.5, 0.5]])
    real = faces_with_means([[0.5, 0.5, -0.5], [-0.5, 0.5, -0.5], [-0.5, 0.5, 0.5], [-0.5] * 3])
    labels = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]])
    q = face_quality(gen, real, features, probs, labels=labels)
    assert q["shares"]["Eyeglasses"] == {
        "generated": 0.75,
        "real_classified": 0.25,
        "real_labelled": 0.25,
    }
    assert q["shares"]["Smiling"]["generated"] == 0.0
    assert q["shares"]["Smiling"]["real_classified"] == 0.75
    assert q["shares"]["Smiling"]["real_labelled"] == 0.5
    assert q["shares"]["Male"]["generated"] == 1.0
    # among men / women: generated are all men (3 of 4 with glasses), no generated woman
    by = q["shares_by_sex"]
    assert by["men"]["Eyeglasses"] == {
        "generated": 0.75,
        "real_classified": 0.0,
        "real_labelled": 0.0,
    }
    assert by["women"]["Eyeglasses"]["generated"] is None
    assert by["women"]["Eyeglasses"]["real_classified"] == pytest.approx(1 / 3, abs=1e-4)
    assert by["women"]["Eyeglasses"]["real_labelled"] == pytest.approx(1 / 3, abs=1e-4)
    assert by["women"]["Smiling"] == {
        "generated": None,
        "real_classified": pytest.approx(2 / 3, abs=1e-4),
        "real_labelled": pytest.approx(2 / 3, abs=1e-4),
    }
    assert set(by["men"]) == {"Eyeglasses", "Smiling"}


def test_bad_inputs_are_named():
    ok = faces_with_means(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"generated must be faces \(N, 3, 64, 64\)"):
        face_quality(ok[:, :, :32], ok, features, probs)
    with pytest.raises(ValueError, match="at least 4 real"):
        face_quality(ok, ok[:3], features, probs)
    with pytest.raises(ValueError, match=r"labels must be \(N real, 3\)"):
        face_quality(ok, ok, features, probs, labels=np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"probs must give \(N, 3\) for columns"):
        face_quality(ok, ok, features, lambda x: probs(x)[:, :2])
