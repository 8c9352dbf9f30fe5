"""tinynet.gan.face_arithmetic: concepts chosen by the classifier, three z averaged per concept,
the two equations with their random-vector controls, on stand-in models whose outcome is known."""

import numpy as np
import pytest

from tinynet.gan import face_arithmetic as fa_
from tinynet.zoo.face_attributes import predict_attributes

from .face_models import channel_reader, painting_generator


@pytest.fixture(scope="module")
def models():
    g, c = painting_generator(), channel_reader()
    return (lambda z: g.predict(np.asarray(z, np.float32))), (lambda x: predict_attributes(c, x))


@pytest.fixture(scope="module")
def pool(models):
    generate, classify = models
    return fa_.face_pool(generate, classify, latent_dim=6, n=600, seed=0, batch_size=256)


def test_pool_holds_uniform_z_and_the_probabilities_of_their_faces(models, pool):
    generate, classify = models
    assert pool["z"].shape == (600, 6) and pool["z"].dtype == np.float32
    assert pool["z"].min() >= -1 and pool["z"].max() <= 1  # uniform z
    assert set(pool) == {"z", "probs"}  # the faces are not kept: their z gives them back
    expected = 1 / (1 + np.exp(-8 * np.tanh(pool["z"][:, :3].astype(np.float64))))
    np.testing.assert_allclose(pool["probs"], expected, atol=1e-4)


def test_concept_mask_needs_confidence_on_every_attribute():
    probs = np.array([[0.95, 0.5, 0.05], [0.95, 0.5, 0.15], [0.05, 0.99, 0.95]])
    woman_glasses = {"Eyeglasses": True, "Male": False}
    np.testing.assert_array_equal(fa_.concept_mask(probs, woman_glasses), [True, False, False])
    np.testing.assert_array_equal(
        fa_.concept_mask(probs, woman_glasses, confidence=0.8), [True, True, False]
    )
    np.testing.assert_array_equal(fa_.reads_as(probs, woman_glasses), [True, True, False])
    with pytest.raises(ValueError, match="unknown attribute 'Beard'"):
        fa_.concept_mask(probs, {"Beard": True})
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        fa_.concept_mask(probs[:, :2], woman_glasses)
    with pytest.raises(ValueError, match="confidence"):
        fa_.concept_mask(probs, woman_glasses, confidence=0.3)
    with pytest.raises(ValueError, match=r"in \(0.5, 1\), got 0.5"):  # 0.5 both has and lacks
        fa_.concept_mask(probs, woman_glasses, confidence=0.5)


def test_random_like_keeps_each_length_and_draws_fresh_directions():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(50, 7))
    r = fa_.random_like(v, np.random.default_rng(1))
    np.testing.assert_allclose(np.linalg.norm(r, axis=1), np.linalg.norm(v, axis=1))
    cos = (r * v).sum(1) / np.linalg.norm(r, axis=1) / np.linalg.norm(v, axis=1)
    assert np.abs(cos).mean() < 0.6  # not the attribute direction


@pytest.mark.parametrize("name", ["glasses", "smiling"])
def test_equations_hold_on_the_stand_ins_and_beat_the_control(models, pool, name):
    generate, classify = models
    study = fa_.equation_study(fa_.EQUATIONS[name], pool, generate, classify, cases=120, seed=3)
    assert study["cases"] == 120 and study["_cases"].shape == (120, 3, 3)
    # every picked sample belongs to its concept, and no sample is drawn twice within a term
    for t, (_, concept) in enumerate(fa_.EQUATIONS[name]["terms"]):
        picked = study["_cases"][:, t]
        assert fa_.concept_mask(pool["probs"][picked.ravel()], concept).all()
        assert all(len(set(row)) == 3 for row in picked)
    # the result's z is the arithmetic on the group means
    first = study["_cases"][0]
    means = pool["z"][first].mean(axis=1)
    np.testing.assert_allclose(study["_z"][0], means[0] - means[1] + means[2], atol=1e-6)
    assert study["success_rate"] >= 0.85
    assert study["control_success_rate"] <= study["success_rate"] - 0.3
    assert study["beyond_control"]
    assert study["base_success_rate"] == 0.0  # C alone never shows the target
    lo, hi = study["success_interval"]
    assert lo <= study["success_rate"] <= hi
    # the pool vector: all of A's members averaged minus all of B's, without the three-z noise
    members = [
        np.flatnonzero(fa_.concept_mask(pool["probs"], c)) for _, c in fa_.EQUATIONS[name]["terms"]
    ]
    full = pool["z"][members[0]].mean(0) - pool["z"][members[1]].mean(0)
    assert study["pool_vector_norm"] == pytest.approx(float(np.linalg.norm(full)), rel=1e-6)
    base = pool["z"][study["_cases"][:, 2]].mean(axis=1)  # each case's mean(C)
    target = fa_.EQUATIONS[name]["target"][1]
    for k in fa_.POOL_SCALES:
        read = fa_.reads_as(classify(generate((base + k * full).astype(np.float32))), target)
        assert study["pool_vector_success_by_scale"][str(k)] == read.mean()
    assert study["pool_vector_success_rate"] == study["pool_vector_success_by_scale"]["1.0"]
    assert study["pool_vector_success_rate"] >= 0.85  # the stand-ins' direction is clean


def test_the_noise_decomposition_adds_back_each_cases_own_noise_or_a_random_one(models, pool):
    generate, classify = models
    equation, seed = fa_.EQUATIONS["glasses"], 5
    study = fa_.equation_study(equation, pool, generate, classify, cases=80, seed=seed)
    means = pool["z"][study["_cases"]].astype(np.float64).mean(axis=2)  # (cases, 3 terms, D)
    members = [np.flatnonzero(fa_.concept_mask(pool["probs"], c)) for _, c in equation["terms"]]
    full = pool["z"][members[0]].mean(0) - pool["z"][members[1]].mean(0)
    noise = means[:, 0] - means[:, 1] - full
    assert study["noise_norm_mean"] == pytest.approx(np.linalg.norm(noise, axis=1).mean(), 1e-5)
    target = equation["target"][1]

    def share(z):
        return fa_.reads_as(classify(generate(z.astype(np.float32))), target).mean()

    by_scale = study["pool_vector_plus_noise_success_by_scale"]
    assert list(by_scale) == [str(k) for k in fa_.NOISE_SCALES]
    for k in fa_.NOISE_SCALES:
        assert by_scale[str(k)] == share(means[:, 2] + full + k * noise)
    swapped = fa_.random_like(noise, np.random.default_rng([seed, 1]))
    assert study["pool_vector_plus_random_noise_success_rate"] == share(
        means[:, 2] + full + swapped
    )


def test_bad_arguments_and_a_concept_too_rare_for_three_samples_are_named(models, pool):
    generate, classify = models
    with pytest.raises(ValueError, match="cases must be a positive int, got 0"):
        fa_.equation_study(fa_.EQUATIONS["glasses"], pool, generate, classify, cases=0)
    bald = {"terms": fa_.EQUATIONS["glasses"]["terms"], "target": ("bald", {"Bald": True})}
    with pytest.raises(ValueError, match=r"unknown target attributes \['Bald'\]"):
        fa_.equation_study(bald, pool, generate, classify, cases=2)
    tiny = {k: v[:4] for k, v in pool.items()}
    with pytest.raises(ValueError, match="confidently '(man|woman)"):
        fa_.equation_study(fa_.EQUATIONS["glasses"], tiny, generate, classify, cases=2)


def test_neighbours_start_at_y_and_stay_within_the_noise():
    y = np.linspace(-1, 1, 10, dtype=np.float32)
    n = fa_.neighbours(y, k=8, noise=0.25, seed=1)
    assert n.shape == (9, 10) and n.dtype == np.float32
    np.testing.assert_array_equal(n[0], y)
    assert np.abs(n[1:] - y).max() <= 0.25 and np.abs(n[1:] - y).max() > 0.1


def test_wilson_interval_matches_the_formula():
    assert fa_.wilson_interval(50, 100) == [0.4038, 0.5962]
    lo, hi = fa_.wilson_interval(0, 20)
    assert lo == 0.0 and 0.15 < hi < 0.17


def test_group_sizes_count_each_term_and_the_target(pool):
    sizes = fa_.group_sizes(fa_.EQUATIONS["glasses"], pool["probs"])
    assert list(sizes) == [
        "man with glasses",
        "man without glasses",
        "woman without glasses",
        "woman with glasses",
    ]
    z = pool["z"]
    t = np.tanh(z[:, [0, 2]].astype(np.float64))
    lim = np.log(9) / 8  # P = sigmoid(8 tanh z) >= 0.9 <=> tanh z >= log(9) / 8
    assert sizes["man with glasses"] == int(((t[:, 0] >= lim) & (t[:, 1] >= lim)).sum())
    assert sizes["woman with glasses"] == int(((t[:, 0] >= lim) & (t[:, 1] <= -lim)).sum())
