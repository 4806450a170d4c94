"""The multichannel Wiener post-filter (mssedu.separation.postfilter) against norbert itself,
its conservation of the mixture, and its effect on the stereo image of panned sources."""
from __future__ import annotations

import norbert
import numpy as np
import pytest
import scipy.signal

from mssedu.errors import ParameterError
from mssedu.data import Track
from mssedu.separation import OracleSeparator, separate
from mssedu.separation.postfilter import WienerPostFilter, multichannel_wiener
from mssedu.spatial import mono_collapse, pan, stereo_image_preservation
from mssedu.spectral import istft, stft

SR = 22050


@pytest.fixture(scope="module")
def panned():
    """Two panned sources with different spectra: low-passed noise left, high-passed right."""
    rng = np.random.default_rng(0)
    n = 2 * SR
    low = scipy.signal.lfilter(*scipy.signal.butter(4, 2000 / (SR / 2)), rng.standard_normal(n))
    high = scipy.signal.lfilter(*scipy.signal.butter(4, 1000 / (SR / 2), "high"), rng.standard_normal(n))
    a, b = pan(low, -0.7), pan(high, 0.5)
    return a, b, (a + b).astype(np.float32)


def test_equals_norbert_called_by_hand(panned):
    a, b, mix = panned
    est = {"a": a + 0.2 * b, "b": b + 0.1 * a}
    ours = multichannel_wiener(mix, est, iterations=2, n_fft=1024, hop_length=256)
    # the same call written out: (frames, freq, channels[, sources]) for norbert
    X = stft(mix.astype(np.float64), 1024, 256).transpose(2, 1, 0).astype(np.complex128)
    V = np.abs(np.stack([stft(e.astype(np.float64), 1024, 256) for e in est.values()], -1))
    Y = norbert.wiener(V.transpose(2, 1, 0, 3).astype(np.float64), X.copy(), 2, use_softmask=False)
    for j, k in enumerate(est):
        ref = istft(Y[..., j].transpose(2, 1, 0), 256, length=mix.shape[-1], n_fft=1024)
        # float32 output: tolerance 1e-5 of a signal whose peak is ~4
        np.testing.assert_allclose(ours[k], ref, atol=1e-5)
    # and the post-filter really changed the stems (else the comparison proves nothing)
    assert np.max(np.abs(ours["a"] - est["a"])) > 0.05


@pytest.mark.parametrize("iterations,softmask", [(1, False), (3, False), (1, True)])
def test_stems_sum_to_the_mixture(panned, iterations, softmask):
    a, b, _ = panned
    # each source with a diffuse part (-20 dB, independent per channel), as recorded sources
    # have: a perfectly panned source has a singular spatial covariance, and then norbert's
    # regularisation sqrt(eps) I is no longer negligible (the sum is kept only to ~5e-4)
    rng = np.random.default_rng(1)
    a, b = a + 0.1 * rng.standard_normal(a.shape), b + 0.1 * rng.standard_normal(b.shape)
    mix = (a + b).astype(np.float32)
    out = multichannel_wiener(mix, {"a": a + 0.3 * b, "b": 0.5 * b}, iterations, use_softmask=softmask)
    # Wiener gains add up to the identity: the stems add up to the mixture
    err = np.max(np.abs(out["a"] + out["b"] - mix)) / np.max(np.abs(mix))
    assert err < 1e-5


def test_residual_is_a_source_and_the_sum_is_kept(panned):
    a, b, mix = panned
    out = multichannel_wiener(mix, {"a": 0.8 * a}, residual=True)
    assert sorted(out) == ["a", "residual"]
    # rank-1 (perfectly panned) sources: the sum is kept to norbert's regularisation, ~5e-4
    assert np.max(np.abs(out["a"] + out["residual"] - mix)) / np.max(np.abs(mix)) < 2e-3


def test_restores_the_stereo_image_of_mono_collapsed_stems(panned):
    a, b, mix = panned
    collapsed = {"a": mono_collapse(a), "b": mono_collapse(b)}     # a separator that lost the image
    before = [stereo_image_preservation(r, collapsed[k])["ild_error_db"] for k, r in (("a", a), ("b", b))]
    out = multichannel_wiener(mix, collapsed, iterations=2)
    after = [stereo_image_preservation(r, out[k])["ild_error_db"] for k, r in (("a", a), ("b", b))]
    # measured: 12.4 -> 2.9 dB (left source), 7.7 -> 0.7 dB (right source)
    assert before[0] > 12 and before[1] > 7
    assert after[0] < 4 and after[1] < 1.5


def test_refuses_bad_input(panned):
    a, b, mix = panned
    with pytest.raises(ParameterError, match="residual=True"):
        multichannel_wiener(mix, {"a": a})
    with pytest.raises(ParameterError, match=r"estimates\['b'\] has shape"):
        multichannel_wiener(mix, {"a": a, "b": b[:, :-5]})
    with pytest.raises(ParameterError, match="iterations"):
        multichannel_wiener(mix, {"a": a, "b": b}, iterations=-1)
    with pytest.raises(ParameterError, match="non-empty dict"):
        multichannel_wiener(mix, [a, b])
    with pytest.raises(ParameterError, match="not a separator"):
        WienerPostFilter(object())
    with pytest.raises(ParameterError, match="does not take"):
        WienerPostFilter(OracleSeparator(Track("t", SR, mix, {"a": a, "b": b})), alpha=2)


def test_wrapper_runs_through_separate(panned):
    a, b, mix = panned
    track = Track("panned", SR, mix, {"a": a.astype(np.float32), "b": b.astype(np.float32)})
    sep = WienerPostFilter(OracleSeparator(track, "irm"), iterations=1)
    assert sep.name == "oracle IRM + multichannel Wiener" and sep.sources == ["a", "b"]
    out = separate(sep, mix, SR, progress=False)
    direct = multichannel_wiener(mix, OracleSeparator(track, "irm").separate(mix), 1, residual=True)
    for k in ("a", "b"):
        assert out[k].shape == mix.shape
        np.testing.assert_allclose(out[k], direct[k], atol=1e-6)
