"""The realistic synthetic songs: mixing chain, recorded drums, sung vocals, data styles.

References: the Audio-EQ-Cookbook biquads written out in this file (pedalboard's EQ bands
match them within 0.01 dB), a first-order high-pass's corner and slope, the echo train of a
feedback delay, a compressor's ratio on a level step, BS.1770 loudness hand values,
pan law end points; the sung pitch against the notes we asked for (pitch tracked back with
WORLD's DIO, another algorithm than the one that analysed the speech); drum onsets where the
hits were placed; and mixture == sum of the stems for every style.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from scipy.signal import freqz

from mssedu import ParameterError
from mssedu.data import drums, mixing, synth, voice

SR = 22050
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
needs_kits = pytest.mark.skipif(not drums.find_kits(), reason="hydrogen-drumkits is not installed")
needs_fluidsynth = pytest.mark.skipif(shutil.which("fluidsynth") is None, reason="fluidsynth is not installed")


def _cookbook(kind, f0, sr, gain_db=0.0, q=0.707):
    """The Audio-EQ-Cookbook biquad (b, a), written out here as the reference."""
    A, w = 10 ** (gain_db / 40), 2 * np.pi * f0 / sr
    cw, alpha = np.cos(w), np.sin(w) / (2 * q)
    if kind == "peak":
        return [1 + alpha * A, -2 * cw, 1 - alpha * A], [1 + alpha / A, -2 * cw, 1 - alpha / A]
    s, sq = (1 if kind == "lowshelf" else -1), 2 * np.sqrt(A) * alpha
    return ([A * ((A + 1) - s * (A - 1) * cw + sq), s * 2 * A * ((A - 1) - s * (A + 1) * cw),
             A * ((A + 1) - s * (A - 1) * cw - sq)],
            [(A + 1) + s * (A - 1) * cw + sq, -s * 2 * ((A - 1) + s * (A + 1) * cw), (A + 1) + s * (A - 1) * cw - sq])


def _response_db(board, sr, freqs):
    """Magnitude response (dB) of a pedalboard at ``freqs`` (Hz), from its impulse response."""
    x = np.zeros((1, sr), np.float32)
    x[0, 0] = 1.0
    h = np.fft.rfft(board(x, sr)[0].astype(np.float64))
    return 20 * np.log10(np.abs(h[np.asarray(freqs)]))       # 1-Hz bins: sr samples


@pytest.mark.parametrize("kind, f0, gain_db, q", [("peak", 1000.0, 6.0, 1.0), ("peak", 400.0, -5.0, 2.0),
                                                  ("lowshelf", 200.0, -4.0, 0.707),
                                                  ("highshelf", 8000.0, 3.0, 0.707)])
def test_pedalboard_eq_is_the_cookbook_biquad(kind, f0, gain_db, q):
    """The chain's EQ bands (pedalboard's) have the cookbook's response within 0.01 dB."""
    sr = 44100
    freqs = [20, 100, 200, 400, 1000, 3000, 8000, 15000]
    got = _response_db(mixing.equalizer([{"kind": kind, "f0": f0, "gain_db": gain_db, "q": q}]), sr, freqs)
    b, a = _cookbook(kind, f0, sr, gain_db, q)
    _, h = freqz(b, a, worN=freqs, fs=sr)
    np.testing.assert_allclose(got, 20 * np.log10(np.abs(h)), atol=0.01)
    if kind == "peak":
        assert _response_db(mixing.equalizer([{"kind": kind, "f0": f0, "gain_db": gain_db, "q": q}]), sr,
                            [int(f0)])[0] == pytest.approx(gain_db, abs=0.01)


def test_highpass_is_first_order_and_bad_bands_are_refused():
    sr = 44100
    hp = mixing.equalizer([{"kind": "highpass", "f0": 100.0}])
    r100, r25 = _response_db(hp, sr, [100, 25])
    assert r100 == pytest.approx(-3.01, abs=0.05)                 # the corner
    assert r25 == pytest.approx(10 * np.log10(1 / (1 + 16)), abs=0.1)   # |H|^2 = 1/(1 + (f0/f)^2)
    assert len(mixing.equalizer([{"kind": "peak", "f0": 30000.0, "gain_db": 3.0, "q": 1.0}], sr=sr)) == 0
    with pytest.raises(ParameterError, match="kind must be one of"):
        mixing.equalizer([{"kind": "notch", "f0": 100.0}])


def test_feedback_delay_echo_train():
    x = np.zeros((2, 1000))
    x[:, 0] = 1.0
    y = mixing.feedback_delay(x, 1000, 0.1, 0.5)
    idx = np.flatnonzero(np.abs(y[0]) > 1e-6)
    assert list(idx[:4]) == [100, 200, 300, 400]
    np.testing.assert_allclose(y[0, idx[:4]], [1, 0.5, 0.25, 0.125], atol=1e-6)
    with pytest.raises(ParameterError, match="feedback"):
        mixing.feedback_delay(x, 1000, 0.1, 1.0)


def test_compressor_divides_a_level_step_by_the_ratio():
    t = np.arange(4 * 44100) / 44100
    amp = np.where(t < 2, 0.5, 0.05)            # a 20 dB step, both above the threshold
    x = np.stack([amp * np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32)
    y = mixing.compressor(threshold_db=-40, ratio=4.0, attack_ms=5, release_ms=50)(x, 44100)

    def level(sig, a, b):
        return 10 * np.log10(np.mean(sig[0, int(a * 44100):int(b * 44100)].astype(np.float64) ** 2))

    step_in = level(x, 1, 1.9) - level(x, 3, 3.9)
    step_out = level(y, 1, 1.9) - level(y, 3, 3.9)
    assert step_in == pytest.approx(20.0, abs=0.01)
    assert step_out == pytest.approx(20.0 / 4, abs=0.3)
    with pytest.raises(ParameterError, match="ratio"):
        mixing.compressor(ratio=0.5)


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


def test_integrated_loudness_bs1770_hand_values_and_pyloudnorm():
    """BS.1770: a full-scale 997-Hz sine in one channel reads -3.01 LUFS (K-weighting ~ +0.7 dB
    at 997 Hz, minus 0.691), in both channels 3 dB more; silence is -inf; levels move 1:1."""
    import pyloudnorm

    sr = 48000
    sine = np.sin(2 * np.pi * 997 * np.arange(2 * sr) / sr)
    assert mixing.integrated_loudness(sine, sr) == pytest.approx(-3.01, abs=0.05)
    assert mixing.integrated_loudness(np.stack([sine, sine]), sr) == pytest.approx(0.0, abs=0.05)
    assert mixing.integrated_loudness(0.1 * np.stack([sine, sine]), sr) == pytest.approx(-20.0, abs=0.05)
    assert mixing.integrated_loudness(np.zeros((2, sr)), sr) == float("-inf")
    noise = np.random.default_rng(0).normal(0, 0.05, (2, sr))
    assert mixing.integrated_loudness(noise, sr) == pytest.approx(
        pyloudnorm.Meter(sr).integrated_loudness(noise.T), abs=1e-9)
    g = mixing.loudness_gain(noise, sr, -6.0, mixture_lufs=-14.0)
    assert mixing.integrated_loudness(g * noise, sr) == pytest.approx(-20.0, abs=0.01)
    with pytest.raises(ParameterError, match="0.4 s"):
        mixing.integrated_loudness(noise[:, :1000], sr)


def test_draw_chain_loudness_ranges():
    ranges = {"vocals": (-3.0, -2.0), "other": (-12.0, -11.0)}
    for seed in range(20):
        v = mixing.draw_chain("vocals", np.random.default_rng(seed), loudness=ranges)["loudness_db"]
        g = mixing.draw_chain("guitar", np.random.default_rng(seed), loudness=ranges)["loudness_db"]
        assert -3.0 <= v <= -2.0 and -12.0 <= g <= -11.0
    lo, hi = mixing.DEFAULT_LOUDNESS["bass"]
    assert lo <= mixing.draw_chain("bass", np.random.default_rng(0))["loudness_db"] <= hi
    with pytest.raises(ParameterError, match="low <= high"):
        mixing.draw_chain("vocals", np.random.default_rng(0), loudness={"vocals": (0.0, -1.0)})


def _noise_song(name, gains, sr=16000, seconds=3.0, seed=0):
    """Independent white-noise stems at amplitudes ``gains``: stem j sits at
    10 log10(g_j^2 / sum g^2) LU below the mixture (same spectrum, powers add)."""
    from mssedu.data import Track

    rng = np.random.default_rng(seed)
    stems = {k: (g * rng.standard_normal((2, int(seconds * sr)))).astype(np.float32) for k, g in gains.items()}
    return Track(name, sr, np.sum(list(stems.values()), axis=0, dtype=np.float32), stems)


@pytest.mark.parametrize("layout", ["musdb", "folder"])
def test_loudness_ranges_of_a_multitrack_folder(tmp_path, layout):
    """loudness_ranges() on project-made songs written in MUSDB18-HQ layout (root/train/<song>/)
    and as a plain folder of multitracks: the percentiles of the hand values."""
    from mssedu.data import save_multitrack
    from mssedu.data.musdb import loudness_ranges, stem_loudness

    base = tmp_path / "train" if layout == "musdb" else tmp_path
    vocal_amps = [0.05, 0.1, 0.2, 0.4]
    hand = {"vocals": [], "drums": []}
    for i, a in enumerate(vocal_amps):
        gains = {"drums": 0.1, "bass": 0.05, "other": 0.1, "vocals": a}
        save_multitrack(_noise_song(f"song{i}", gains, seed=i), base / f"song{i}")
        total = sum(g ** 2 for g in gains.values())
        hand["vocals"].append(10 * np.log10(a ** 2 / total))
        hand["drums"].append(10 * np.log10(0.1 ** 2 / total))
    one = stem_loudness(_noise_song("x", {"vocals": 0.1, "drums": 0.1, "bass": 0.0}))
    assert one["vocals"] == pytest.approx(-3.01, abs=0.1) and "bass" not in one   # silent: left out
    got = loudness_ranges(tmp_path, percentiles=(10, 50, 90))
    assert got["songs"] == 4
    for stem in ("vocals", "drums"):
        np.testing.assert_allclose(got[stem], np.percentile(hand[stem], (10, 50, 90)), atol=0.1)
    assert got["vocals"][2] - got["vocals"][0] > 5                  # the vocal levels spread
    chain = mixing.draw_chain("vocals", np.random.default_rng(0),
                              loudness=loudness_ranges(tmp_path, percentiles=(10, 90)))
    assert got["vocals"][0] - 1e-9 <= chain["loudness_db"] <= got["vocals"][2] + 1e-9
    with pytest.raises(ParameterError, match="percentiles"):
        loudness_ranges(tmp_path, percentiles=(10, 120))


def test_chain_sets_the_stem_loudness():
    chain = mixing.draw_chain("drums", np.random.default_rng(4), loudness={"drums": (-7.0, -7.0)})
    x = np.random.default_rng(5).normal(0, 0.3, (2, 2 * SR)).astype(np.float32)
    y = mixing.apply_chain(x, SR, chain)
    assert mixing.integrated_loudness(y, SR) == pytest.approx(-14.0 - 7.0, abs=0.01)
