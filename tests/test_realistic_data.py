"""The realistic synthetic songs: mixing chain, recorded drums, sung vocals, data styles.

References: hand values of the Audio-EQ-Cookbook filters (gain at the centre frequency,
-3 dB corner), the echo train of a feedback delay, a compressor's ratio on a level step,
pan law end points; the sung pitch against the notes we asked for (pitch tracked back with
WORLD's DIO, another algorithm than the one that analysed the speech); drum onsets where the
hits were placed; and mixture == sum of the stems for every style.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from scipy.signal import sosfreqz

from mssedu import ParameterError
from mssedu.data import drums, mixing, synth, voice

SR = 22050
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
needs_kits = pytest.mark.skipif(not drums.find_kits(), reason="hydrogen-drumkits is not installed")
needs_fluidsynth = pytest.mark.skipif(shutil.which("fluidsynth") is None, reason="fluidsynth is not installed")


def _gain_db(kind, f0, f, **kw):
    b, a = mixing.biquad(kind, f0, 44100, **kw)
    _, h = sosfreqz(np.r_[b, a][None], worN=[f], fs=44100)
    return 20 * np.log10(abs(h[0]))


def test_biquads_have_their_cookbook_gains():
    assert _gain_db("peak", 1000, 1000, gain_db=6.0, q=1.0) == pytest.approx(6.0, abs=1e-6)
    assert _gain_db("peak", 1000, 20000, gain_db=6.0, q=1.0) == pytest.approx(0.0, abs=0.1)
    assert _gain_db("highpass", 100, 100, q=0.7071) == pytest.approx(-3.01, abs=0.02)
    assert _gain_db("lowshelf", 200, 20, gain_db=-4.0) == pytest.approx(-4.0, abs=0.1)
    assert _gain_db("highshelf", 8000, 20000, gain_db=3.0) == pytest.approx(3.0, abs=0.2)
    with pytest.raises(ParameterError, match="between 0 and sr/2"):
        mixing.biquad("peak", 30000, 44100)


def test_feedback_delay_echo_train():
    x = np.zeros((2, 1000))
    x[:, 0] = 1.0
    y = mixing.feedback_delay(x, 1000, 0.1, 0.5)
    idx = np.flatnonzero(y[0])
    assert list(idx[:4]) == [100, 200, 300, 400]
    np.testing.assert_allclose(y[0, idx[:4]], [1, 0.5, 0.25, 0.125])


def test_compressor_divides_a_level_step_by_the_ratio():
    t = np.arange(4 * 44100) / 44100
    amp = np.where(t < 2, 0.5, 0.05)            # a 20 dB step, both above the threshold
    x = np.stack([amp * np.sin(2 * np.pi * 220 * t)] * 2)
    y = mixing.compress(x, 44100, threshold_db=-40, ratio=4.0, attack_ms=5, release_ms=50)

    def level(sig, a, b):
        return 10 * np.log10(np.mean(sig[0, int(a * 44100):int(b * 44100)] ** 2))

    step_in = level(x, 1, 1.9) - level(x, 3, 3.9)
    step_out = level(y, 1, 1.9) - level(y, 3, 3.9)
    assert step_in == pytest.approx(20.0, abs=0.01)
    assert step_out == pytest.approx(20.0 / 4, abs=0.3)


def test_pan_law_end_points_and_centre():
    x = np.random.default_rng(0).normal(size=(2, 100))
    left = mixing.place(x, -1.0, 1.0)
    assert np.max(np.abs(left[1])) < 1e-12
    np.testing.assert_allclose(mixing.place(x, 0.0, 1.0), x, atol=1e-12)


def test_chain_keeps_length_and_is_deterministic():
    rng = np.random.default_rng(1)
    chain = mixing.draw_chain("vocals", rng, 100.0)
    x = np.random.default_rng(2).normal(0, 0.1, (2, SR)).astype(np.float32)
    y1, y2 = mixing.apply_chain(x, SR, chain), mixing.apply_chain(x, SR, chain)
    assert y1.shape == x.shape and y1.dtype == np.float32
    np.testing.assert_array_equal(y1, y2)


@needs_kits
def test_drum_hits_sound_where_they_were_placed():
    kit = drums.load_kit(str(drums.find_kits()[0]), SR)
    rng = np.random.default_rng(0)
    out = drums.render_drums([(0.5, 36, 120)], 1.5, SR, kit, rng, humanize_ms=0.0)
    env = np.abs(out).max(axis=0)
    onset = np.argmax(env > 0.1 * env.max()) / SR
    assert onset == pytest.approx(0.5, abs=0.01)
    assert np.max(np.abs(out[:, : int(0.49 * SR)])) == 0.0
    soft = drums.render_drums([(0.5, 38, 30)], 1.5, SR, kit, np.random.default_rng(0), humanize_ms=0.0)
    hard = drums.render_drums([(0.5, 38, 127)], 1.5, SR, kit, np.random.default_rng(0), humanize_ms=0.0)
    assert np.sum(hard ** 2) > 4 * np.sum(soft ** 2)     # (127/30)^3 in energy at equal layers


@needs_espeak
def test_sung_pitch_follows_the_notes():
    import pyworld

    notes = [(0.0, 0.6, 60), (0.65, 0.6, 64), (1.3, 0.9, 67)]
    y = voice.sing(notes, 2.5, SR, np.random.default_rng(3), singer_type="female")
    assert y.shape == (2, int(2.5 * SR))
    x = y[0].astype(np.float64)
    f0, t = pyworld.dio(x, SR, frame_period=5.0)
    f0 = pyworld.stonemask(x, f0, t, SR)
    shift = 12 * round((57 + (79 - 57) * 0.55 - 64) / 12)     # moved by octaves into the singer's range
    voiced = 0
    for on, dur, p in notes:
        sel = f0[int((on + 0.15) * 200):int((on + dur - 0.05) * 200)]
        sel = sel[sel > 0]
        voiced += len(sel)
        if len(sel) > 10:
            midi = 69 + 12 * np.log2(np.median(sel) / 440)
            assert midi == pytest.approx(p + shift, abs=0.6)     # vibrato and scoops around the note
    assert voiced > 0.5 * 200 * sum(d - 0.2 for _, d, _ in notes)


@needs_fluidsynth
def test_classic_style_is_the_first_release_spec():
    assert synth.song_spec(5, 1, 4.0) == synth.song_spec(5, 1, 4.0, style="classic")
    assert "style" not in synth.song_spec(5, 1, 4.0)
    with pytest.raises(ParameterError, match="Unknown data style"):
        synth.song_spec(5, 1, 4.0, style="fancy")


@needs_fluidsynth
@needs_espeak
@needs_kits
@pytest.mark.parametrize("style", ["sung", "studio"])
def test_styled_songs_sum_exactly_and_every_stem_sounds(style):
    spec = synth.song_spec(7, 0, 4.0, style=style)
    assert spec["style"] == synth.STYLES[style]
    track = synth.render_song(spec, sr=SR)
    assert track.mixture.shape == (2, 4 * SR)
    assert np.max(np.abs(track.mixture - sum(track.stems.values()))) < 1e-6
    for name, s in track.stems.items():
        rms_db = 10 * np.log10(np.mean(s.astype(np.float64) ** 2))
        assert -45 < rms_db < -5, (name, rms_db)
    again = synth.render_song(spec, sr=SR)
    np.testing.assert_allclose(again.stems["vocals"], track.stems["vocals"], atol=1e-6)
