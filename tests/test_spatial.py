"""mssedu.spatial: ILD/IPD per bin, stereo-image preservation, panning helpers.

References: hand-made stereo signals whose cues are known in closed form (constant-power
panning gives ILD = 20 log10 cot(theta) in every bin; a delay of d samples gives
IPD = 2 pi f d / sr), and the analytic score of a hard-panned source collapsed to mono (1/2)."""
from __future__ import annotations

import numpy as np
import pytest

from mssedu import MsseduError, spatial

SR = 16000


@pytest.fixture
def noise(rng):
    return rng.standard_normal(SR).astype(np.float32)


@pytest.mark.parametrize("position", [-0.8, -0.3, 0.0, 0.5, 0.9])
def test_panned_noise_has_the_pan_law_ild_in_every_bin(noise, position):
    ild, ipd = spatial.ild_ipd(spatial.pan(noise, position), n_fft=1024, hop_length=256)
    expected = spatial.pan_law_ild(position)
    assert ild.shape == (513, 1 + SR // 256)
    loud = np.abs(ild) < 59
    np.testing.assert_allclose(ild[loud], expected, atol=0.01)
    np.testing.assert_allclose(ipd[loud], 0.0, atol=1e-3)


def test_pan_law_values():
    assert spatial.pan_law_ild(0.0) == pytest.approx(0.0, abs=1e-12)
    assert spatial.pan_law_ild(-0.5) == pytest.approx(20 * np.log10(1 / np.tan(np.pi / 8)))
    assert spatial.pan_law_ild(-1.0) == float("inf")
    x = spatial.pan(np.ones(4, np.float32), 0.3)
    np.testing.assert_allclose((x ** 2).sum(axis=0), 1.0, rtol=1e-6)   # constant power


def test_a_delay_gives_a_linear_phase_difference(noise):
    d, n_fft = 3, 2048
    x = np.stack([noise[d:], noise[:-d]])          # right lags the left by d samples
    ild, ipd = spatial.ild_ipd(x, n_fft=n_fft, hop_length=512)
    k = np.arange(n_fft // 2 + 1)[:, None]
    expected = np.angle(np.exp(2j * np.pi * k * d / n_fft))
    err = np.abs(np.angle(np.exp(1j * (ipd - expected))))
    assert np.median(err[5:n_fft // 4]) < 0.05
    assert np.median(np.abs(ild[5:n_fft // 4])) < 0.5


def test_stereo_image_preservation_known_values(noise):
    left = spatial.pan(noise, -1.0)
    same = spatial.stereo_image_preservation(left, left)
    assert same["score"] == pytest.approx(1.0) and same["ild_error_db"] == pytest.approx(0.0, abs=1e-6)
    assert same["ipd_error_rad"] == pytest.approx(0.0, abs=1e-6)
    # gain does not change the image
    assert spatial.stereo_image_preservation(left, 0.3 * left)["score"] == pytest.approx(1.0)
    # hard-left collapsed to mono: |<(1,0),(1,1)/sqrt2>|^2 = 1/2
    assert spatial.stereo_image_preservation(left, spatial.mono_collapse(left))["score"] == pytest.approx(0.5, abs=1e-3)
    # a source panned to -0.5, estimated mirrored at +0.5: ILD error 2 x 7.66 dB
    a, b = spatial.pan(noise, -0.5), spatial.pan(noise, 0.5)
    s = spatial.stereo_image_preservation(a, b)
    assert s["ild_error_db"] == pytest.approx(2 * spatial.pan_law_ild(-0.5), abs=0.05)
    assert s["score"] == pytest.approx(np.cos(3 * np.pi / 8 - np.pi / 8) ** 2, abs=0.01)  # = 1/2


def test_real_stems_collapsed_to_mono():
    """On the shipped excerpt, collapsing stems to mono destroys the wide 'other' stem's image
    (score 0.82) much more than the nearly mono drums' (0.99) (tolerance 0.02)."""
    from mssedu.data import example_track

    t = example_track()
    table = spatial.stereo_image_table(t.stems, {k: spatial.mono_collapse(v) for k, v in t.stems.items()})
    assert table.loc["drums", "score"] == pytest.approx(0.99, abs=0.02)
    assert table.loc["other", "score"] == pytest.approx(0.82, abs=0.02)
    assert table.loc["other", "ild_error_db"] > table.loc["drums", "ild_error_db"]


def test_correlation_width_and_collapse(noise, rng):
    other = rng.standard_normal(SR).astype(np.float32)
    assert spatial.inter_channel_correlation(np.stack([noise, noise])) == pytest.approx(1.0)
    assert spatial.inter_channel_correlation(np.stack([noise, -noise])) == pytest.approx(-1.0)
    assert abs(spatial.inter_channel_correlation(np.stack([noise, other]))) < 0.05
    x = np.stack([noise, other])
    np.testing.assert_allclose(spatial.stereo_width(x, 1.0), x, atol=1e-6)
    np.testing.assert_allclose(spatial.stereo_width(x, 0.0), spatial.mono_collapse(x), atol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda x: spatial.ild_ipd(x[0]), "two channels"),
    (lambda x: spatial.ild_ipd(np.stack([x[0]] * 3)), "two channels"),
    (lambda x: spatial.stereo_image_preservation(x, x[:, :-1000]), "same length"),
    (lambda x: spatial.stereo_image_preservation(0 * x, x), "silent"),
    (lambda x: spatial.pan(x[0], 1.5), "position"),
    (lambda x: spatial.pan(x, 0.0), "mono"),
    (lambda x: spatial.stereo_width(x, -1), "width"),
    (lambda x: spatial.stereo_image_table({"a": x}, {"b": x}), "No stem"),
    (lambda x: spatial.inter_channel_correlation(x[0]), r"\(2, samples\)"),
])
def test_bad_input_is_a_clear_error(noise, call, message):
    x = np.stack([noise, 0.5 * noise])
    with pytest.raises(MsseduError, match=message):
        call(x)
