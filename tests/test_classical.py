"""mssedu.classical: centre-channel cancellation, mid/side, HPSS, REPET, NMF.

References: librosa (librosa.effects.hpss, sklearn's NMF through librosa's dependency),
nussl 1.1.9 through mssedu.compat.nussl where it imports (HPSS, Repet), brute-force
formulas, and hand-made signals whose answer is known."""
from __future__ import annotations

import librosa
import numpy as np
import pytest

from mssedu import MsseduError, classical
from mssedu.spectral import stft

SR = 22050


def _snr(ref, est) -> float:
    ref, est = np.asarray(ref, np.float64), np.asarray(est, np.float64)
    return float(10 * np.log10(np.sum(ref ** 2) / max(np.sum((ref - est) ** 2), 1e-30)))


@pytest.fixture(scope="module")
def track():
    from mssedu.data import example_track

    return example_track()


@pytest.fixture(scope="module")
def nussl():
    from mssedu.compat.nussl import import_nussl, nussl_unavailable_reason

    mod = import_nussl(warn=False)
    if mod is None:
        pytest.skip(f"nussl not usable here: {nussl_unavailable_reason()}")
    return mod


# --- centre-channel cancellation ---------------------------------------------------------

def test_centre_cancellation_removes_centred_keeps_panned(rng):
    centred = rng.standard_normal(4000).astype(np.float32)
    left_only = rng.standard_normal(4000).astype(np.float32)
    x = np.stack([centred + left_only, centred])
    y = classical.centre_channel_cancellation(x)
    assert y.shape == x.shape
    np.testing.assert_allclose(y[0], left_only, atol=1e-6)
    np.testing.assert_allclose(y[1], left_only, atol=1e-6)
    np.testing.assert_array_equal(classical.centre_channel_cancellation(x, 0.0), x)


def test_bass_and_kick_vanish_on_the_real_track(track):
    """Measured on the shipped excerpt: drums -17.1 dB, bass -13.8 dB, vocals -7.5 dB,
    other -4.4 dB left after L - R (tolerance 0.5 dB)."""
    report = classical.cancellation_report(track)
    assert list(report.index) == ["mixture", "drums", "bass", "other", "vocals"]
    expected = {"drums": -17.1, "bass": -13.8, "vocals": -7.5, "other": -4.4}
    for stem, db in expected.items():
        assert report.loc[stem, "kept_db"] == pytest.approx(db, abs=0.5)
    assert report.loc["drums", "correlation"] > 0.95


def test_mid_side_round_trip(rng):
    x = rng.standard_normal((2, 1000)).astype(np.float32)
    m, s = classical.mid_side(x)
    assert m.shape == (1, 1000)
    np.testing.assert_allclose(classical.stereo_from_mid_side(m, s), x, atol=1e-6)


# --- HPSS ----------------------------------------------------------------------------------

def test_hpss_matches_librosa_effects_hpss(track):
    librosa = pytest.importorskip("librosa")
    x = track.excerpt(0, 2.0).mixture[0]
    ours = classical.hpss(x, kernel_size=31, n_fft=2048, hop_length=512)
    h, p = librosa.effects.hpss(x, kernel_size=31, n_fft=2048, hop_length=512)
    assert _snr(h, ours["harmonic"]) > 60
    assert _snr(p, ours["percussive"]) > 60


def test_hpss_splits_a_tone_from_clicks():
    t = np.arange(SR) / SR
    tone = 0.3 * np.sin(2 * np.pi * 440 * t)
    clicks = np.zeros(SR)
    clicks[::SR // 8] = 1.0
    parts = classical.hpss((tone + clicks).astype(np.float32), n_fft=1024, hop_length=256)
    assert _snr(tone, parts["harmonic"]) > 10
    assert _snr(clicks, parts["percussive"]) > 5
    with_margin = classical.hpss((tone + clicks).astype(np.float32), margin=3.0, n_fft=1024, hop_length=256)
    total = with_margin["harmonic"] + with_margin["percussive"] + with_margin["residual"]
    np.testing.assert_allclose(total, tone + clicks, atol=1e-5)


def test_hpss_agrees_with_nussl(track, nussl):
    """nussl's HPSS (librosa underneath, scipy's STFT): measured 42 dB / 37 dB agreement."""
    from mssedu.compat.nussl import from_audio_signal, to_audio_signal

    x = track.excerpt(0, 3.0).mixture
    est = nussl.separation.primitive.HPSS(to_audio_signal(x, track.sr, 2048, 512))()
    ours = classical.hpss(x)
    assert _snr(from_audio_signal(est[0], x.shape[-1]), ours["harmonic"]) > 30
    assert _snr(from_audio_signal(est[1], x.shape[-1]), ours["percussive"]) > 25


# --- REPET -------------------------------------------------------------------------------

def test_beat_spectrum_is_the_averaged_autocorrelation(rng):
    P = rng.random((6, 40))
    T = P.shape[1]
    brute = np.array([np.mean([np.dot(P[f, :T - lag], P[f, lag:]) / (T - lag) for f in range(6)])
                      for lag in range(T)])
    np.testing.assert_allclose(classical.beat_spectrum(P), brute / brute[0], rtol=1e-10)


def test_repet_finds_the_period_of_a_repeating_pattern():
    """Noise bursts repeating every 0.5 s (background) plus a slow glide (foreground)."""
    rng = np.random.default_rng(5)
    n = 4 * SR
    pattern = np.zeros(SR // 2)
    for start, length in ((0, 2000), (3000, 800), (7000, 1500)):
        pattern[start:start + length] = rng.standard_normal(length) * np.hanning(length)
    background = np.tile(pattern, 8)[:n]
    t = np.arange(n) / SR
    foreground = 0.2 * np.sin(2 * np.pi * (300 * t + 40 * t ** 2))
    r = classical.repet((background + foreground).astype(np.float32)[None], SR, n_fft=1024,
                        hop_length=256, min_period=0.3, max_period=1.0, high_pass_cutoff=0)
    assert r.period_s == pytest.approx(0.5, abs=256 / SR)
    assert _snr(foreground, r.foreground[0]) > 5
    np.testing.assert_allclose(r.background + r.foreground, (background + foreground)[None], atol=1e-5)


def test_repet_agrees_with_nussl(track, nussl):
    """Same beat spectrum and mask from the same spectrogram (to rounding); end to end, the
    same period and background/foreground within 30 dB (measured 42 / 38 dB)."""
    from mssedu.compat.nussl import from_audio_signal, to_audio_signal

    x = track.excerpt(0, 6.0).mixture
    rep = nussl.separation.primitive.Repet(to_audio_signal(x, track.sr, 2048, 512))
    bg, fg = (from_audio_signal(e, x.shape[-1]) for e in rep())
    V = rep.magnitude_spectrogram                           # nussl: (freq, frames, channels)
    ours_mask = classical.repet_mask(np.transpose(V, (2, 0, 1)), rep.repeating_period)
    nussl_mask = np.stack([rep._compute_repeating_mask(V[..., c]) for c in range(V.shape[-1])])
    np.testing.assert_allclose(ours_mask, nussl_mask, atol=1e-6)
    b = nussl.separation.primitive.Repet.compute_beat_spectrum(np.mean(V ** 2, axis=-1).T)
    np.testing.assert_allclose(classical.beat_spectrum(np.transpose(V, (2, 0, 1)) ** 2), b / b[0], rtol=1e-8, atol=1e-12)
    r = classical.repet(x, track.sr)
    assert r.period == rep.repeating_period
    assert _snr(bg, r.background) > 30 and _snr(fg, r.foreground) > 30


# --- NMF -------------------------------------------------------------------------------------

@pytest.mark.parametrize("beta", [2, 1])
def test_nmf_objective_never_increases(track, beta):
    V = np.abs(stft(track.excerpt(0, 1.0).mixture[0], 1024, 512))
    res = classical.nmf(V, 6, n_iter=60, beta=beta)
    assert res.W.shape == (513, 6) and res.H.shape == (6, V.shape[1])
    assert np.all(np.diff(res.errors) <= 1e-9 * res.errors[:-1])
    assert res.errors[-1] < 0.5 * res.errors[0]


def test_nmf_as_good_as_sklearn(track):
    """Same model and update rule as scikit-learn's NMF(solver='mu'): final Frobenius error
    within 10 % of sklearn's after 200 iterations."""
    sk = pytest.importorskip("sklearn.decomposition")
    V = np.abs(stft(track.excerpt(0, 1.0).mixture[0], 1024, 512)).astype(np.float64)
    ours = classical.nmf(V, 8, n_iter=200, beta=2, seed=0)
    model = sk.NMF(8, solver="mu", beta_loss="frobenius", init="random", max_iter=200, tol=0,
                   random_state=0)
    W = model.fit_transform(V)
    err_sk = np.linalg.norm(V - W @ model.components_)
    err_ours = np.linalg.norm(V - ours.W @ ours.H)
    assert err_ours <= 1.1 * err_sk


def test_supervised_nmf_separates_two_known_sources():
    t = np.arange(2 * SR) / SR
    rng = np.random.default_rng(2)
    low = sum(np.sin(2 * np.pi * 220 * k * t) / k for k in range(1, 4)) * (1 + np.sin(2 * np.pi * t)) / 2
    from scipy.signal import butter, sosfilt

    high = sosfilt(butter(4, [5000, 8000], "bandpass", fs=SR, output="sos"), rng.standard_normal(len(t)))
    high = high * (t % 0.5 < 0.25) * 3
    src = {"low": low.astype(np.float32)[None], "high": high.astype(np.float32)[None]}
    mix = src["low"] + src["high"]
    est = classical.supervised_nmf_separate(mix, src, n_components=4, n_iter=60, n_fft=1024, hop_length=256)
    np.testing.assert_allclose(est["low"] + est["high"], mix, atol=1e-4)
    assert _snr(src["low"], est["low"]) > 12 and _snr(src["high"], est["high"]) > 8
    parts = classical.nmf_separate(mix, 3, n_iter=30, n_fft=1024, hop_length=256)
    assert parts["components"].shape == (3, 1, mix.shape[-1])
    np.testing.assert_allclose(parts["components"].sum(axis=0), mix, atol=1e-4)


# --- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda x: classical.centre_channel_cancellation(x[0]), "stereo"),
    (lambda x: classical.centre_channel_cancellation(x, 1.5), "amount"),
    (lambda x: classical.mid_side(np.stack([x[0], x[0], x[1]])), "stereo"),
    (lambda x: classical.hpss(x, margin=0.5), "margin"),
    (lambda x: classical.hpss(x, kernel_size=0), "kernel_size"),
    (lambda x: classical.hpss(x, power=0), "power"),
    (lambda x: classical.repet(x, SR, period=100.0), "period"),
    (lambda x: classical.repet(x, SR, min_period=2.0, max_period=1.0), "min_period"),
    (lambda x: classical.repet(x, SR, mask_type="hard"), "mask_type"),
    (lambda x: classical.repet(x[:, :3000], SR), "No lag"),
    (lambda x: classical.beat_spectrum(stft(x, 512)), "power spectrogram"),
    (lambda x: classical.nmf(-np.abs(stft(x[0], 512)), 2), "negative"),
    (lambda x: classical.nmf(np.abs(stft(x[0], 512)), 0), "n_components"),
    (lambda x: classical.nmf(np.abs(stft(x[0], 512)), 2, beta=3), "beta"),
    (lambda x: classical.nmf(np.abs(stft(x, 512)), 2), "freq, frames"),
    (lambda x: classical.supervised_nmf_separate(x, {}), "training"),
])
def test_bad_input_is_a_clear_error(rng, call, message):
    x = rng.standard_normal((2, SR)).astype(np.float32)
    with pytest.raises(MsseduError, match=message):
        call(x)


def test_hpss_binary_masks_from_an_infinite_power():
    """The docstring's promise (``np.inf`` gives binary masks), which notebook 05's explorer uses."""
    from mssedu.classical import hpss_masks

    rng = np.random.default_rng(0)
    S = np.abs(rng.standard_normal((1, 65, 40))).astype(np.float32)
    harmonic, percussive = hpss_masks(S, kernel_size=5, power=np.inf)
    assert set(np.unique(harmonic)) <= {0.0, 1.0} and set(np.unique(percussive)) <= {0.0, 1.0}
    ref_h, ref_p = librosa.decompose.hpss(S[0], kernel_size=5, power=np.inf, mask=True)
    np.testing.assert_array_equal(harmonic[0], ref_h)      # librosa's binary masks, exactly
    np.testing.assert_array_equal(percussive[0], ref_p)
