"""ImageDataGenerator and the batched affine warp: geometric properties, fill modes, determinism."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinynet.preprocessing import ImageDataGenerator
from tinynet.preprocessing.affine import FILL_MODES, INTERPOLATIONS, inverse_maps, warp

HYP = settings(max_examples=30, deadline=None)


def images(n, c, h, w, dtype=np.uint8, seed=0):
    x = np.random.default_rng(seed).integers(0, 256, (n, c, h, w))
    return x.astype(dtype)


def blob(h, w, cx, cy, sigma=1.5):
    """A Gaussian bump centred at column cx, row cy, as a (1, 1, h, w) float64 image."""
    ys, xs = np.mgrid[0:h, 0:w]
    return np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma**2))[None, None]


def centroid(img):
    """(x, y) intensity centroid of an (H, W) image."""
    ys, xs = np.mgrid[0 : img.shape[0], 0 : img.shape[1]]
    return np.array([(xs * img).sum(), (ys * img).sum()]) / img.sum()


shapes = st.tuples(st.integers(1, 3), st.sampled_from([1, 3]), st.integers(2, 9), st.integers(2, 9))


# ---------- identities ----------


@HYP
@given(
    shape=shapes,
    interp=st.sampled_from(INTERPOLATIONS),
    fill=st.sampled_from(FILL_MODES),
    dtype=st.sampled_from([np.uint8, np.float32, np.float64]),
)
def test_zero_transform_is_identity(shape, interp, fill, dtype):
    x = images(*shape, dtype=dtype)
    n, _, h, w = shape
    out = warp(x, inverse_maps(h, w, np.zeros(n)), interp, fill, cval=-1)
    np.testing.assert_array_equal(out, x.astype(np.float32))
    gen = ImageDataGenerator(interpolation=interp, fill_mode=fill)
    np.testing.assert_array_equal(
        gen.apply_transform(x, {"theta": 0.0, "tx": 0.0}), x.astype(np.float32)
    )


def test_generator_without_options_returns_the_images():
    x = images(7, 3, 5, 6)
    xb = next(ImageDataGenerator().flow(x, batch_size=7, shuffle=False))
    assert xb.dtype == np.float32
    np.testing.assert_array_equal(xb, x)


@HYP
@given(
    shape=shapes,
    interp=st.sampled_from(INTERPOLATIONS),
    fill=st.sampled_from(FILL_MODES),
    axis=st.sampled_from(["flip_horizontal", "flip_vertical"]),
    through_warp=st.booleans(),
)
def test_flip_twice_is_identity(shape, interp, fill, axis, through_warp):
    x = images(*shape, dtype=np.float32)
    gen = ImageDataGenerator(interpolation=interp, fill_mode=fill)
    # a zero-degree shear forces the general warp path instead of the flip-only fast path
    p = {axis: True, "shear": 1e-12 if through_warp else 0.0}
    once = gen.apply_transform(x, p)
    np.testing.assert_array_equal(once, np.flip(x, axis=3 if axis == "flip_horizontal" else 2))
    np.testing.assert_array_equal(gen.apply_transform(once, p), x)


@pytest.mark.parametrize("interp", INTERPOLATIONS)
@pytest.mark.parametrize("size", [4, 5, 32])
@pytest.mark.parametrize("theta, k", [(90, 1), (-90, -1), (180, 2), (270, 3)])
def test_rotation_by_right_angles_matches_rot90(interp, size, theta, k):
    x = images(3, 3, size, size, dtype=np.float32, seed=size)
    out = ImageDataGenerator(interpolation=interp).apply_transform(x, {"theta": theta})
    np.testing.assert_array_equal(out, np.rot90(x, k, axes=(2, 3)))


# ---------- geometry ----------


@HYP
@given(tx=st.floats(-4, 4), ty=st.floats(-4, 4), interp=st.sampled_from(INTERPOLATIONS))
def test_shift_moves_centroid_by_the_shift(tx, ty, interp):
    x = blob(40, 36, 17.3, 19.7)
    gen = ImageDataGenerator(interpolation=interp, fill_mode="constant", dtype="float64")
    out = gen.apply_transform(x, {"tx": tx, "ty": ty})
    moved = centroid(out[0, 0]) - centroid(x[0, 0])
    if interp == "bilinear":  # linear interpolation conserves the centroid exactly
        np.testing.assert_allclose(moved, [tx, ty], atol=1e-9)
    else:  # nearest moves by the rounded shift
        np.testing.assert_allclose(moved, np.floor(-np.array([tx, ty]) + 0.5) * -1, atol=1e-9)


def test_random_shifts_move_centroids_by_the_drawn_amounts():
    gen = ImageDataGenerator(
        width_shift_range=0.1, height_shift_range=3, fill_mode="constant", dtype="float64"
    )
    x = np.concatenate([blob(40, 30, 14 + d, 20 - d) for d in range(-2, 3)])
    params = gen.get_random_transforms(len(x), x.shape[1:], np.random.default_rng(4))
    out = gen.apply_transform(x, params)
    assert np.abs(params["tx"]).max() <= 3 and np.all(params["ty"] == np.round(params["ty"]))
    assert np.abs(params["tx"]).std() > 0
    for i in range(len(x)):
        np.testing.assert_allclose(
            centroid(out[i, 0]) - centroid(x[i, 0]), [params["tx"][i], params["ty"][i]], atol=1e-9
        )


@pytest.mark.parametrize("z", [0.5, 0.8, 1.25])
def test_zoom_scales_offsets_from_the_centre(z):
    h = w = 41  # centre (20, 20)
    x = blob(h, w, 20 + 4, 20 - 2, sigma=1.0)
    out = ImageDataGenerator(fill_mode="constant", dtype="float64").apply_transform(
        x, {"zx": z, "zy": z}
    )
    # zx < 1 zooms in: the content is scaled by 1/z about the centre
    np.testing.assert_allclose(centroid(out[0, 0]) - 20, np.array([4, -2]) / z, atol=0.05)


def test_shear_keeps_the_centre_column_and_rotation_the_centre_pixel():
    x = images(2, 1, 9, 9, dtype=np.float32)
    gen = ImageDataGenerator(interpolation="nearest")
    sheared = gen.apply_transform(x, {"shear": 25.0})
    np.testing.assert_array_equal(sheared[:, :, :, 4], x[:, :, :, 4])
    assert not np.array_equal(sheared, x)
    rotated = ImageDataGenerator().apply_transform(x, {"theta": 37.0})
    np.testing.assert_array_equal(rotated[:, :, 4, 4], x[:, :, 4, 4])


# ---------- fill modes, exact for whole-pixel shifts ----------


@HYP
@given(
    shape=shapes,
    tx=st.integers(-12, 12),
    ty=st.integers(-12, 12),
    interp=st.sampled_from(INTERPOLATIONS),
)
def test_integer_shift_fill_modes_match_numpy(shape, tx, ty, interp):
    x = images(*shape, dtype=np.float32)
    n, c, h, w = shape
    pads = {"nearest": "edge", "reflect": "symmetric", "wrap": "wrap"}
    for fill, mode in pads.items():
        out = ImageDataGenerator(fill_mode=fill, interpolation=interp).apply_transform(
            x, {"tx": tx, "ty": ty}
        )
        p = 12
        padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode=mode)
        want = padded[:, :, p - ty : p - ty + h, p - tx : p - tx + w]
        np.testing.assert_array_equal(out, want, err_msg=fill)
    out = ImageDataGenerator(fill_mode="constant", cval=-3.0, interpolation=interp).apply_transform(
        x, {"tx": tx, "ty": ty}
    )
    padded = np.pad(x, ((0, 0), (0, 0), (12, 12), (12, 12)), constant_values=-3.0)
    np.testing.assert_array_equal(out, padded[:, :, 12 - ty : 12 - ty + h, 12 - tx : 12 - tx + w])


# ---------- the batch is one vectorised operation, equal to per-image transforms ----------


def test_batch_equals_each_image_alone():
    gen = ImageDataGenerator(
        rotation_range=30,
        width_shift_range=0.2,
        height_shift_range=0.2,
        shear_range=10,
        zoom_range=0.2,
        horizontal_flip=True,
        vertical_flip=True,
        channel_shift_range=20,
        fill_mode="reflect",
    )
    x = images(6, 3, 11, 13)
    params = gen.get_random_transforms(6, x.shape[1:], np.random.default_rng(1))
    out = gen.apply_transform(x, params)
    for i in range(6):
        one = gen.apply_transform(x[i : i + 1], {k: v[i : i + 1] for k, v in params.items()})
        np.testing.assert_allclose(out[i : i + 1], one, rtol=1e-6)
    np.testing.assert_allclose(gen.apply_transform(x.astype(np.float32), params), out, rtol=1e-6)


def test_big_batches_are_warped_in_chunks_with_the_same_result(monkeypatch):
    from tinynet.preprocessing import affine

    x = images(7, 3, 10, 10)
    maps = inverse_maps(10, 10, np.linspace(-30, 30, 7), 1.5, -0.5)
    whole = warp(x, maps)
    monkeypatch.setattr(affine, "MAX_GATHER", 4 * 3 * 100 * 2)  # two images per chunk
    np.testing.assert_array_equal(warp(x, maps), whole)


def test_channel_shift_adds_one_intensity_clipped_to_the_image_range():
    x = images(2, 3, 4, 4, dtype=np.float32)
    out = ImageDataGenerator().apply_transform(
        x, {"channel_shift_intensity": np.array([30.0, -50.0])}
    )
    for i, s in enumerate([30.0, -50.0]):
        np.testing.assert_array_equal(out[i], np.clip(x[i] + s, x[i].min(), x[i].max()))


# ---------- random draws, determinism, standardisation ----------


def test_random_parameters_respect_their_ranges():
    gen = ImageDataGenerator(
        rotation_range=20,
        width_shift_range=0.25,
        shear_range=5,
        zoom_range=[0.9, 1.2],
        horizontal_flip=True,
        channel_shift_range=10,
    )
    p = gen.get_random_transforms(2000, (3, 32, 40), np.random.default_rng(0))
    assert np.abs(p["theta"]).max() <= 20 and np.abs(p["theta"]).max() > 19
    assert np.abs(p["tx"]).max() <= 10 and np.abs(p["tx"]).max() > 9.5 and not p["ty"].any()
    assert p["zx"].min() >= 0.9 and p["zy"].max() <= 1.2 and not np.array_equal(p["zx"], p["zy"])
    assert 0.45 < p["flip_horizontal"].mean() < 0.55 and not p["flip_vertical"].any()
    assert np.abs(p["channel_shift_intensity"]).max() <= 10


def test_flow_is_deterministic_under_a_seed():
    gen = ImageDataGenerator(
        rotation_range=15, width_shift_range=0.1, zoom_range=0.1, horizontal_flip=True
    )
    x, y = images(20, 3, 8, 8), np.arange(20)
    a = [next(gen.flow(x, y, batch_size=6, seed=3)) for _ in range(2)]
    np.testing.assert_array_equal(a[0][0], a[1][0])
    np.testing.assert_array_equal(a[0][1], a[1][1])
    b = next(gen.flow(x, y, batch_size=6, seed=4))
    assert not np.array_equal(a[0][0], b[0])
    np.testing.assert_array_equal(
        gen.random_transform(x[0], seed=1), gen.random_transform(x[0], seed=1)
    )
    assert gen.random_transform(x[0], seed=1).shape == (3, 8, 8)


def test_labels_follow_their_images():
    x = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1) * np.ones((1, 1, 3, 3), np.uint8)
    it = ImageDataGenerator(horizontal_flip=True).flow(x, np.arange(10), batch_size=4, seed=0)
    for _ in range(6):
        xb, yb = next(it)
        np.testing.assert_array_equal(xb[:, 0, 1, 1], yb)


def test_fit_and_standardize():
    x = images(50, 3, 6, 6)
    gen = ImageDataGenerator(
        featurewise_center=True, featurewise_std_normalization=True, rescale=1 / 255
    )
    gen.fit(x)
    want = (x / 255.0).astype(np.float64)
    np.testing.assert_allclose(gen.mean.ravel(), want.mean(axis=(0, 2, 3)), rtol=1e-6)
    np.testing.assert_allclose(gen.std.ravel(), want.std(axis=(0, 2, 3)), rtol=1e-6)
    xs = next(gen.flow(x, batch_size=50, shuffle=False))
    np.testing.assert_allclose(xs.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(xs.std(axis=(0, 2, 3)), 1, atol=1e-4)
    s = ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True).standardize(x)
    np.testing.assert_allclose(s.mean(axis=(1, 2, 3)), 0, atol=1e-4)
    np.testing.assert_allclose(s.std(axis=(1, 2, 3)), 1, atol=1e-4)
    f = ImageDataGenerator(preprocessing_function=lambda img: img[::-1], rescale=2.0).standardize(
        x[:2]
    )
    np.testing.assert_array_equal(f, 2.0 * x[:2, ::-1])


def test_fit_with_augmentation_uses_augmented_images():
    x = images(10, 1, 8, 8)
    gen = ImageDataGenerator(featurewise_center=True, channel_shift_range=100).fit(
        x, augment=True, rounds=3, seed=0
    )
    assert gen.mean.shape == (1, 1, 1) and abs(gen.mean.item() - x.mean()) > 1e-3


# ---------- errors ----------


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="fill_mode.*'mirror'"):
        ImageDataGenerator(fill_mode="mirror")
    with pytest.raises(ValueError, match="channels-first"):
        ImageDataGenerator(data_format="channels_last")
    with pytest.raises(ValueError, match="dtype must be a float type, got 'uint8'"):
        ImageDataGenerator(dtype="uint8")
    with pytest.raises(ValueError, match="zoom_range"):
        ImageDataGenerator(zoom_range=[1.2, 0.8])
    with pytest.raises(ValueError, match="rotation_range.*-5"):
        ImageDataGenerator(rotation_range=-5)
    with pytest.raises(
        ValueError, match=r"flow: expected images \(N, C, H, W\), got shape \(4, 8, 8\)"
    ):
        ImageDataGenerator().flow(np.zeros((4, 8, 8)))
    with pytest.raises(RuntimeError, match="fit"):
        next(ImageDataGenerator(featurewise_center=True).flow(np.zeros((4, 1, 8, 8))))
    with pytest.warns(UserWarning, match="channels-last"):
        ImageDataGenerator().flow(np.zeros((4, 8, 8, 3)))
