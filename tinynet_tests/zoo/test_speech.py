"""The spoken-digit classifier's preprocessing, batches and builder, on synthetic clips."""

import numpy as np
import pytest

from tinynet.zoo import speech


def tone(freq, n, amplitude=3000):
    return (amplitude * np.sin(2 * np.pi * freq * np.arange(n) / 8000)).astype(np.int16)


def test_features_have_the_model_input_shape_and_ignore_the_level():
    quiet = 0.01 * np.sin(2 * np.pi * 500 * np.arange(3000) / 8000)
    clips = [20 * quiet, quiet, tone(2000, 12000)]
    x = speech.clip_features(clips)
    assert x.shape == (3, 1, speech.N_MELS, speech.FRAMES) and x.dtype == np.float32
    np.testing.assert_allclose(x[0], x[1], atol=1e-4)  # peak normalisation: the level is gone
    assert np.isfinite(x).all()
    silent = speech.clip_features([np.zeros(100, np.int16)])
    assert (silent == silent.min()).all()


def test_a_shift_moves_the_word_in_time():
    clip = tone(700, 2000)
    centred, shifted = speech.clip_features([clip, clip], shifts=[0, 1280])
    loud = lambda f: np.flatnonzero(f[0].max(axis=0) > f.min() + 5)  # noqa: E731
    assert loud(shifted)[0] - loud(centred)[0] == 1280 // speech.HOP


def test_mu_law_round_trip_changes_little():
    clip = tone(900, 4000)
    plain, coded = speech.clip_features([clip, clip], mu_law=[False, True])
    assert 0 < np.abs(plain - coded)[plain > plain.mean()].mean() < 0.5


def test_batches_cycle_through_every_clip_each_epoch():
    clips = [tone(300 + 50 * i, 1000 + 300 * i) for i in range(10)]
    digits = np.arange(10)
    it = speech.ClipBatches(clips, digits, batch_size=4, seed=1)
    assert len(it) == 3
    seen = []
    for _ in range(3):
        x, y = next(it)
        assert x.shape[1:] == (1, speech.N_MELS, speech.FRAMES) and y.shape == (len(x), 10)
        seen += list(y.argmax(axis=1))
    assert sorted(seen) == list(range(10))
    assert len(next(it)[0]) == 4  # a fresh epoch


def test_classifier_shapes_and_classify_clips():
    model = speech.digit_classifier(widths=(4, 4, 8))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    clips = [tone(400, 2500), tone(1500, 9000), tone(3000, 800)]
    probs = speech.classify_clips(model, clips, probabilities=True, batch_size=2)
    assert probs.shape == (3, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    digits = speech.classify_clips(model, clips)
    assert digits.dtype == np.int64
    np.testing.assert_array_equal(digits, probs.argmax(axis=1))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: speech.classify_clips(None, [np.ones(10)], sr=16000), "sr must be 8000"),
        (lambda: speech.clip_features([np.ones((2, 3))]), "clip 0 must be a non-empty 1-D"),
        (lambda: speech.clip_features([]), "clips is empty"),
        (lambda: speech.ClipBatches([np.ones(5)], [1, 2]), "2 digits for 1 clips"),
    ],
)
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
