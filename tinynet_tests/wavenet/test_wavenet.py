"""WaveNet: causality of the whole network, conditioning, training on the shared loop, save and
load, and the cached generation against the naive recompute (the same uniforms, the same codes)."""

import numpy as np
import pytest

import tinynet as tn
from tinynet.autograd import no_grad
from tinynet.models import load_model
from tinynet.wavenet import WaveNet
from tinynet.wavenet.data import POSITION_CHANNELS, SILENCE, ClipBatches, position_features
from tinynet.wavenet.generate import draw, generate, generate_naive
from tinynet.wavenet.metrics import bits_per_sample


def tiny(dtype="float32", **kwargs):
    tn.seed(0)
    return WaveNet(
        dilations=[1, 2, 4, 1, 2],
        residual_channels=4,
        gate_channels=3,
        skip_channels=5,
        dtype=dtype,
        **kwargs,
    )


def conditioned(dtype="float64", local_channels=2, **kwargs):
    conditions = {"digit": 10, "speaker": 6}
    return tiny(dtype, global_conditions=conditions, local_channels=local_channels, hop=8, **kwargs)


def test_receptive_field_and_output_shape():
    m = tiny()
    assert m.receptive_field == 1 + 1 + (1 + 2 + 4 + 1 + 2)
    with no_grad():
        y = m.forward(np.zeros((2, 24), np.int64))
    assert y.shape == (2, 256, 24) and y.dtype == np.float32


def test_output_t_depends_only_on_codes_up_to_t_within_the_receptive_field():
    m = tiny("float64")
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 256, (1, 40))
    with no_grad():
        base = m.forward(codes).data
        for t in (0, 7, 25):
            changed = codes.copy()
            changed[:, t + 1 :] = rng.integers(0, 256, (1, 39 - t))
            after = m.forward(changed).data
            np.testing.assert_array_equal(after[:, :, : t + 1], base[:, :, : t + 1])
            assert not np.allclose(after[:, :, t + 1 :], base[:, :, t + 1 :])
        early = codes.copy()
        early[:, 0] = (codes[0, 0] + 1) % 256
        beyond = m.receptive_field  # position 0 is out of reach from here on
        np.testing.assert_array_equal(m.forward(early).data[:, :, beyond:], base[:, :, beyond:])


def test_conditions_change_the_output_and_are_required():
    m = conditioned()
    codes = np.zeros((2, 16), np.int64)
    local = np.zeros((2, 2, 2))
    with no_grad():
        a = m.forward(codes, np.array([[1, 2], [3, 4]]), local).data
        b = m.forward(codes, np.array([[1, 2], [3, 5]]), local).data
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.allclose(a[1], b[1])
    with pytest.raises(ValueError, match="conditioned on \\['digit', 'speaker'\\]"):
        m.forward(codes, None, local)
    with pytest.raises(ValueError, match="3 local frames of hop 8 cover 24 samples"):
        m.forward(codes, np.array([[1, 2], [3, 4]]), np.zeros((2, 2, 3)))


def _clips(n=6, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(100, 156, size=rng.integers(20, 60)) for _ in range(n)]


def test_clip_batches_shift_the_codes_and_weigh_only_real_samples():
    clips = _clips()
    batches = ClipBatches(clips, local="position", hop=8, max_samples=200, shuffle=False)
    seen = 0
    for codes_in, targets, weights, conditions, local in batches.epoch():
        assert codes_in.shape == targets.shape == weights.shape
        assert codes_in.shape[1] % 8 == 0 and local.shape[2] == codes_in.shape[1] // 8
        np.testing.assert_array_equal(codes_in[:, 0], SILENCE)
        np.testing.assert_array_equal(codes_in[:, 1:], targets[:, :-1])
        seen += int(weights.sum())
        assert conditions is None
    assert seen == batches.samples == sum(len(c) for c in clips)


def test_position_features_mark_the_clip():
    f = position_features(100, 4, hop=32)
    np.testing.assert_allclose(f[0], (np.arange(4) * 32 + 16) / 100)
    np.testing.assert_array_equal(f[-1], [1, 1, 1, 0])


def test_trains_on_the_shared_loop_saves_and_loads(tmp_path):
    m = conditioned("float32", local_channels=POSITION_CHANNELS)
    m.compile(tn.optimizers.Adam(learning_rate=0.01))
    clips = _clips(8)
    conditions = np.stack([np.arange(8) % 10, np.arange(8) % 6], axis=1)
    batches = ClipBatches(clips, conditions, local="position", hop=8, max_samples=400)
    before = bits_per_sample(m, batches)
    history = m.fit(batches, steps_per_epoch=batches.steps, epochs=6, verbose=0)
    after = bits_per_sample(m, batches)
    assert before > 7.5 and after < before - 1.0, (before, after, history.history["loss"])
    m.save(tmp_path / "wavenet.tnz")
    again = load_model(tmp_path / "wavenet.tnz")
    assert again.get_config() == m.get_config()
    assert bits_per_sample(again, batches) == pytest.approx(after, rel=1e-6)


def test_global_to_local_lets_the_frame_terms_depend_on_the_condition():
    additive, joint = conditioned(), conditioned(global_to_local=True, local_layers=2)
    assert len(joint.local_stack) == 1 and joint.local_input.kernel.shape[1] == 2 + 2 * 16
    local = np.random.default_rng(0).normal(size=(1, 2, 3))
    with no_grad():
        for m, varies in ((additive, False), (joint, True)):
            locs = [m.gate_conditions(np.array([[d, 0]]), local)[1].data for d in (1, 2)]
            assert not np.allclose(locs[0], locs[1]) if varies else np.allclose(*locs)
    with pytest.raises(ValueError, match="global_to_local needs both"):
        tiny(global_to_local=True, local_channels=2)
    with pytest.raises(ValueError, match="local_layers must be >= 1"):
        conditioned(local_layers=0)


def test_global_to_local_trains_and_reloads(tmp_path):
    m = conditioned("float32", local_channels=POSITION_CHANNELS, global_to_local=True)
    m.compile(tn.optimizers.Adam(learning_rate=0.01))
    clips = _clips(4)
    conditions = np.stack([np.arange(4) % 10, np.arange(4) % 6], axis=1)
    batches = ClipBatches(clips, conditions, local="position", hop=8, max_samples=400)
    m.fit(batches, steps_per_epoch=batches.steps, epochs=2, verbose=0)
    g = m.local_input.kernel.data.copy()
    m.save(tmp_path / "joint.tnz")
    again = load_model(tmp_path / "joint.tnz")
    assert again.get_config()["global_to_local"] is True
    np.testing.assert_array_equal(again.local_input.kernel.data, g)
    assert bits_per_sample(again, batches) == pytest.approx(bits_per_sample(m, batches), rel=1e-6)


@pytest.mark.parametrize("joint", [False, True])
def test_cached_generation_gives_the_naive_paths_codes(joint):
    m = conditioned("float64", global_to_local=joint, local_layers=1 + joint)
    rng = np.random.default_rng(1)
    for w in m.weights:  # weights large enough for the samples to vary a lot
        w.data[...] = rng.normal(size=w.shape) * 0.5
    cond = np.array([[1, 2], [3, 4], [5, 0]])
    local = rng.normal(size=(3, 2, 5))
    fast = generate(m, 40, 3, cond, local, seed=3)
    slow = generate_naive(m, 40, 3, cond, local, seed=3)
    np.testing.assert_array_equal(fast, slow)
    assert len(np.unique(fast)) > 20
    cold = generate(m, 40, 3, cond, local, temperature=0)
    np.testing.assert_array_equal(cold, generate_naive(m, 40, 3, cond, local, temperature=0))


def test_draw_inverts_the_cdf():
    logits = np.log(np.array([[0.2, 0.5, 0.3]]))
    assert [int(draw(logits, np.array([u]))[0]) for u in (0.1, 0.3, 0.69, 0.71, 0.999)] == [
        0,
        1,
        1,
        2,
        2,
    ]


def test_mel_templates_average_time_normalised_spectrograms():
    from tinynet.wavenet.templates import MelTemplates, resample_frames

    spec = np.arange(12, dtype=np.float32).reshape(2, 6)
    np.testing.assert_allclose(resample_frames(spec, 11)[:, ::2], spec)  # the frames kept
    rng = np.random.default_rng(0)
    clips = [rng.normal(size=n) * 0.1 for n in (800, 1600, 1200)]
    t = MelTemplates(clips, [3, 3, 4], [0, 0, 1], hop=64, frames=8)
    assert sorted(t.means) == [(3, 0), (4, 1)]
    assert t.spectrogram(3, 0, 1000).shape == (40, 16)
    with pytest.raises(KeyError, match="no training clips of digit 5 by speaker 0"):
        t.spectrogram(5, 0, 1000)


def test_generation_benchmark_times_the_naive_path_with_a_full_field(tmp_path):
    from benchmarks import wavenet_generation

    m = conditioned("float32", local_channels=POSITION_CHANNELS)
    result = wavenet_generation.measure(m, samples=20, steady=8, repeats=1)
    for n in (1, 10):
        assert result[f"cached_batch{n}"] > 0 and result[f"naive_batch{n}"] > 0
        ratio = result[f"cached_batch{n}"] / result[f"naive_batch{n}"]
        assert result[f"cached_over_naive_batch{n}"] == pytest.approx(ratio)
    out = tmp_path / "gen.json"
    out.write_text("{}")
    with pytest.raises(SystemExit, match="exists"):
        wavenet_generation.main(["--json", str(out)])
