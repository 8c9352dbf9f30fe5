"""tinynet.zoo.face_attributes: the attribute classifier's shapes and features, its balanced
loss (values and gradient), balanced accuracy, and the checks at its door."""

import numpy as np
import pytest

import tinynet as tn
from tinynet.gradcheck import check_grad
from tinynet.zoo import face_attributes as fa


def faces(n, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 3, 64, 64)).astype(np.float32)


def test_classifier_maps_faces_to_one_probability_per_attribute():
    tn.seed(0)
    model = fa.attribute_classifier(widths=(2, 2, 4, 4), features=5)
    assert model.input_shape == (3, 64, 64) and model.output_shape == (3,)
    p = fa.predict_attributes(model, faces(4))
    assert p.shape == (4, 3) and p.dtype == np.float32 and ((p > 0) & (p < 1)).all()


def test_features_are_the_output_layers_input():
    tn.seed(0)
    model = fa.attribute_classifier(widths=(2, 2, 2, 2), features=6)
    x = faces(7)
    f = fa.attribute_features(model, x, batch_size=3)  # batches joined in order
    assert f.shape == (7, 6) and f.dtype == np.float64
    dense, act = model.layers[-1], model.layers[-1].activation_config()
    assert act == "sigmoid"
    kernel, bias = (w.numpy() for w in dense.weights)
    np.testing.assert_allclose(
        1 / (1 + np.exp(-(f @ kernel + bias))), fa.predict_attributes(model, x), atol=1e-5
    )


def bce_numpy(t, p, share):
    pos, neg = 0.5 / share, 0.5 / (1 - share)
    return -(t * pos * np.log(p) + (1 - t) * neg * np.log(1 - p)).mean()


def test_balanced_loss_weighs_each_class_to_half():
    rng = np.random.default_rng(0)
    share = np.array([0.1, 0.5, 0.4])
    t = (rng.random((20, 3)) < share).astype(np.float64)
    p = rng.uniform(0.05, 0.95, (20, 3))
    loss = fa.balanced_binary_crossentropy(share)(t, tn.Tensor(p))
    assert float(loss.data) == pytest.approx(bce_numpy(t, p, share), rel=1e-10)
    # a rare class counts as much as a common one: weighted by t's own shares, the best constant
    # prediction is 0.5 for every attribute (not the share), where the loss is log 2
    own = t.mean(0)
    f = fa.balanced_binary_crossentropy(own)
    constant = [float(f(t, tn.Tensor(np.full((20, 3), c))).data) for c in (0.3, 0.5, 0.7)]
    assert constant[1] < constant[0] and constant[1] < constant[2]
    assert constant[1] == pytest.approx(np.log(2), rel=1e-6)


def test_balanced_loss_gradient():
    rng = np.random.default_rng(1)
    t = (rng.random((6, 3)) < 0.4).astype(np.float64)
    t[0] = 1 - t[1]
    loss = fa.balanced_binary_crossentropy([0.2, 0.5, 0.7])
    check_grad(lambda p: loss(t, p), [tn.Tensor(rng.uniform(0.1, 0.9, (6, 3)), requires_grad=True)])


@pytest.mark.parametrize("share", [[0.0, 0.5], [0.5, 1.0], []])
def test_balanced_loss_refuses_a_share_without_both_classes(share):
    with pytest.raises(ValueError, match="balanced_binary_crossentropy"):
        fa.balanced_binary_crossentropy(share)


def test_balanced_accuracy_is_the_mean_of_the_two_recalls():
    truth = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0]])
    pred = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 0]])
    bal = fa.balanced_accuracy(truth, pred)
    assert bal[0] == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert bal[1] == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert np.isnan(bal[2])  # no positives: undefined
    with pytest.raises(ValueError, match="one shape"):
        fa.balanced_accuracy(truth, pred[:, :2])


def test_to_signed_maps_uint8_to_the_tanh_range():
    x = np.array([0, 127, 255], np.uint8).reshape(1, 3, 1, 1)
    np.testing.assert_allclose(fa.to_signed(x).ravel(), [-1, 127 / 127.5 - 1, 1], atol=1e-7)
    assert fa.to_signed(x).dtype == np.float32


def test_bad_faces_are_refused_with_the_reason():
    model = fa.attribute_classifier(widths=(2, 2, 2, 2), features=2)
    with pytest.raises(ValueError, match=r"\(N, 3, 64, 64\).*\(2, 3, 32, 32\)"):
        fa.predict_attributes(model, np.zeros((2, 3, 32, 32), np.float32))
    with pytest.raises(ValueError, match="integer dtype uint8; scale them with to_signed"):
        fa.predict_attributes(model, np.zeros((2, 3, 64, 64), np.uint8))
    x = np.zeros((1, 3, 64, 64), np.float32)
    x[0, 0, 0, 0] = 255.0
    with pytest.raises(ValueError, match=r"in \[-1, 1\], got range \[0, 255\]"):
        fa.attribute_features(model, x)
