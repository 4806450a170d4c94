"""mssedu.spectral against librosa (and scipy) with stated tolerances.

- numpy STFT/iSTFT: max abs difference to librosa <= 1e-5 on float32 audio of unit scale.
- torch STFT: max abs difference to librosa <= 1e-5 * max|X| (float32 FFTs accumulate
  rounding in proportion to the largest coefficient; measured ~1e-6 relative).
- torch iSTFT: <= 1e-5 absolute where the window-sum is well conditioned (everywhere for
  center=True; for center=False the first/last n_fft samples divide by near-zero window sums
  and are ill-posed in librosa too, so they are excluded).
- istft(stft(x), length=len(x)) reconstructs x within 1e-5.
"""
from __future__ import annotations

import librosa
import numpy as np
import pytest
import torch

from mssedu import MsseduError
from mssedu import spectral as S

CONFIGS = [(512, 128, "hann"), (1024, 256, "hamming"), (2048, 512, "blackman"),
           (256, 100, "hann"), (512, 256, "boxcar")]


@pytest.fixture(scope="module")
def noise():
    """Multichannel float32 test audio shaped (2, 3, samples), roughly unit scale."""
    return (0.5 * np.random.default_rng(7).standard_normal((2, 3, 6000))).astype(np.float32)


def sweep(sr=22050, seconds=2.0, f0=110.0, f1=1760.0):
    """Exponential sine sweep from f0 to f1 (one note per frame-hop, roughly)."""
    t = np.arange(int(seconds * sr)) / sr
    k = np.log(f1 / f0) / seconds
    return (0.5 * np.sin(2 * np.pi * f0 * (np.exp(k * t) - 1) / k)).astype(np.float32)


def inner(n_samples, n_fft, hop):
    """Samples between the centres of the first and last frame of an uncentred STFT: there
    the window sum is well away from zero (at the very edges it tends to 0 for tapered
    windows, and dividing by it amplifies rounding, in librosa as in mssedu)."""
    last = (S.n_frames(n_samples, n_fft, hop, center=False) - 1) * hop
    return (Ellipsis, slice(n_fft // 2, last + n_fft // 2))


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("n_fft,hop,window", CONFIGS)
def test_numpy_stft_istft_match_librosa(noise, n_fft, hop, window, center):
    X = S.stft(noise, n_fft, hop, window, center)
    R = librosa.stft(noise, n_fft=n_fft, hop_length=hop, window=window, center=center,
                     pad_mode="constant")
    assert X.shape == R.shape == (2, 3, n_fft // 2 + 1, S.n_frames(noise.shape[-1], n_fft, hop, center))
    assert X.dtype == np.complex64
    assert np.max(np.abs(X - R)) <= 1e-5
    y = S.istft(X, hop, window, center, length=noise.shape[-1])
    ry = librosa.istft(R, hop_length=hop, window=window, center=center, n_fft=n_fft,
                       length=noise.shape[-1])
    assert y.shape == noise.shape and y.dtype == np.float32
    assert np.max(np.abs(y - ry)) <= 1e-5
    # without length: librosa's default output length
    y2 = S.istft(X, hop, window, center)
    ry2 = librosa.istft(R, hop_length=hop, window=window, center=center, n_fft=n_fft)
    assert y2.shape == ry2.shape
    assert np.max(np.abs(y2 - ry2)) <= 1e-5


@pytest.mark.parametrize("n_fft,hop,window", CONFIGS)
def test_perfect_reconstruction(noise, n_fft, hop, window):
    y = S.istft(S.stft(noise, n_fft, hop, window), hop, window, length=noise.shape[-1])
    assert np.max(np.abs(y - noise)) <= 1e-5
    # center=False: exact between the centres of the first and the last frame
    y = S.istft(S.stft(noise, n_fft, hop, window, center=False), hop, window, center=False,
                length=noise.shape[-1])
    assert np.max(np.abs(y - noise)[inner(noise.shape[-1], n_fft, hop)]) <= 1e-5


def test_one_dimensional_signal_and_default_hop():
    x = sweep(8000, 0.5)
    X = S.stft(x, 256)
    np.testing.assert_allclose(X, librosa.stft(x, n_fft=256, hop_length=64, pad_mode="constant"),
                               atol=1e-5)
    assert S.istft(X, length=len(x)).shape == x.shape


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("n_fft,hop,window", CONFIGS)
def test_torch_path_matches_librosa(noise, n_fft, hop, window, center):
    R = librosa.stft(noise, n_fft=n_fft, hop_length=hop, window=window, center=center,
                     pad_mode="constant")
    Xt = S.stft(torch.from_numpy(noise), n_fft, hop, window, center)
    assert isinstance(Xt, torch.Tensor) and tuple(Xt.shape) == R.shape
    assert np.max(np.abs(Xt.numpy() - R)) <= 1e-5 * np.max(np.abs(R))
    yt = S.istft(Xt, hop, window, center, length=noise.shape[-1])
    ry = librosa.istft(R, hop_length=hop, window=window, center=center, n_fft=n_fft,
                       length=noise.shape[-1])
    assert isinstance(yt, torch.Tensor) and tuple(yt.shape) == noise.shape
    if center:
        assert np.max(np.abs(yt.numpy() - ry)) <= 1e-5
        assert np.max(np.abs(yt.numpy() - noise)) <= 1e-5
    else:
        mid = inner(noise.shape[-1], n_fft, hop)
        assert np.max(np.abs(yt.numpy() - ry)[mid]) <= 1e-5
        assert np.max(np.abs(yt.numpy() - noise)[mid]) <= 1e-5


def test_torch_gradients_flow_and_are_right():
    x = torch.randn(2, 1000, dtype=torch.float64, generator=torch.Generator().manual_seed(0),
                    requires_grad=True)
    # |STFT|^2 summed = a quadratic form; autograd must agree with finite differences
    assert torch.autograd.gradcheck(lambda v: S.stft(v, 128, 32).abs().pow(2).sum(), (x,))
    # the iSTFT of the STFT is the identity, so its gradient is the upstream gradient
    x32 = x.detach().float().requires_grad_(True)
    y = S.istft(S.stft(x32, 256, 64), 64, length=1000)
    weights = torch.linspace(-1, 1, 1000)
    (y * weights).sum().backward()
    assert torch.all(torch.isfinite(x32.grad))
    torch.testing.assert_close(x32.grad, weights.expand(2, -1), atol=1e-5, rtol=0)


@pytest.mark.parametrize("window,hop_fraction,cola", [
    ("hann", 1 / 2, True), ("hann", 1 / 4, True), ("boxcar", 1 / 2, True),
    ("boxcar", 1, True), ("hamming", 1 / 2, True), ("blackman", 1 / 4, True),
    ("hann", 3 / 4, False)])
def test_check_cola_known_pairs(window, hop_fraction, cola):
    n_fft = 1024
    verdict = S.check_cola(window, n_fft, int(n_fft * hop_fraction))
    assert verdict["cola"] is cola
    assert verdict["nola"] is True
    if cola:
        assert verdict["ripple"] < 1e-6
    else:
        # sum of Hann windows at hop 3N/4 swings by about its own mean
        assert verdict["ripple"] == pytest.approx(1.06, abs=0.01)
    import scipy.signal

    w = scipy.signal.get_window(window, n_fft)
    assert scipy.signal.check_COLA(w, n_fft, n_fft - int(n_fft * hop_fraction)) == cola


def test_check_cola_hann_without_overlap_is_not_nola():
    verdict = S.check_cola("hann", 512, 512)
    assert verdict == {"cola": False, "nola": False, "ripple": pytest.approx(2.0, abs=1e-6)}


def test_get_window_is_librosas_periodic_window():
    for name in ["hann", "hamming", "blackman", "boxcar"]:
        np.testing.assert_allclose(S.get_window(name, 512),
                                   librosa.filters.get_window(name, 512, fftbins=True), atol=1e-7)
    np.testing.assert_array_equal(S.get_window("rectangular", 8), np.ones(8, np.float32))


def test_magphase_matches_librosa(noise):
    X = S.stft(noise[0], 512, 128)
    X[..., 0] = 0  # zero bins: phase must be 1 there, as in librosa
    mag, phase = S.magphase(X)
    rmag, rphase = librosa.magphase(X)
    np.testing.assert_allclose(mag, rmag, rtol=1e-6)
    np.testing.assert_allclose(phase, rphase, atol=1e-6)
    np.testing.assert_allclose(mag * phase, X, atol=1e-5)
    assert np.all(phase[..., 0] == 1)
    tmag, tphase = S.magphase(torch.from_numpy(X))
    np.testing.assert_allclose(tmag.numpy(), rmag, rtol=1e-6)
    np.testing.assert_allclose(tphase.numpy(), rphase, atol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, {"ref": np.max}, {"ref": 0.5, "top_db": None},
                                    {"amin": 1e-3, "top_db": 40.0}])
def test_amplitude_to_db_matches_librosa(noise, kwargs):
    M = np.abs(S.stft(noise[0, 0], 512, 128))
    M[:5] = 0.0
    np.testing.assert_allclose(S.amplitude_to_db(M, **kwargs),
                               librosa.amplitude_to_db(M, **kwargs), atol=1e-4)


def test_cqt_frequencies_match_librosa():
    np.testing.assert_allclose(S.cqt_frequencies(48, 55.0, 12),
                               librosa.cqt_frequencies(48, fmin=55.0, bins_per_octave=12), rtol=1e-9)


def test_constant_q_kernel_follows_brown():
    sr, bpo = 22050, 12
    filters, lengths, freqs = S.constant_q_kernel(sr, fmin=55.0, n_bins=24, bins_per_octave=bpo)
    Q = 1 / (2 ** (1 / bpo) - 1)
    np.testing.assert_array_equal(lengths, np.ceil(Q * sr / freqs).astype(int))
    assert lengths[0] > lengths[12] > lengths[-1]  # long filters for low notes
    assert lengths[0] == pytest.approx(2 * lengths[12], abs=1)  # an octave halves the length
    for a, N, f in zip(filters, lengths, freqs):
        spectrum = np.abs(np.fft.fft(a, 8 * N))
        peak_hz = np.argmax(spectrum[: 4 * N]) * sr / (8 * N)
        assert abs(peak_hz - f) <= sr / (8 * N)  # each filter is tuned to its bin


@pytest.fixture(scope="module")
def sweep_cqts():
    sr, kw = 22050, dict(hop_length=256, fmin=55.0, n_bins=60, bins_per_octave=12)
    x = sweep(sr)
    naive = S.naive_cqt(x, sr, **kw)
    ref = librosa.cqt(x, sr=sr, **kw)
    _, lengths, _ = S.constant_q_kernel(sr, 55.0, 60, 12)
    return x, sr, naive, ref, lengths


def test_naive_cqt_agrees_with_librosa_on_a_sweep(sweep_cqts):
    """Comparison: librosa scales bin k by sqrt(N_k) and normalises each filter to unit L1
    norm (a Hann window of length N sums to N/2, so twice our w/N filters). With that scale,
    |naive| * 2 sqrt(N_k) vs |librosa.cqt|: relative Frobenius error < 5 % (measured 1.7 %),
    magnitude correlation > 0.999, and the loudest bin agrees on >= 95 % of frames."""
    x, sr, naive, ref, lengths = sweep_cqts
    assert naive.shape == ref.shape
    A = np.abs(naive) * 2 * np.sqrt(lengths)[:, None]
    B = np.abs(ref)
    assert np.linalg.norm(A - B) / np.linalg.norm(B) < 0.05
    assert np.corrcoef(A.ravel(), B.ravel())[0, 1] > 0.999
    loud = B.max(axis=0) > 0.1 * B.max()
    agree = A.argmax(axis=0)[loud] == B.argmax(axis=0)[loud]
    assert agree.mean() >= 0.95
    # and the sweep really climbs: the peak bin never goes down by more than one bin
    assert np.all(np.diff(A.argmax(axis=0)[loud]) >= -1)


def test_cqt_wrapper_is_librosa_and_takes_channels(sweep_cqts):
    x, sr, _, ref, _ = sweep_cqts
    C = S.cqt(np.stack([x, 0.5 * x]), sr, hop_length=256, fmin=55.0, n_bins=60)
    assert C.shape == (2,) + ref.shape
    np.testing.assert_allclose(C[0], ref, atol=1e-5)
    np.testing.assert_allclose(C[1], 0.5 * ref, atol=1e-5)


def test_icqt_approximately_inverts():
    """The CQT is not a tight frame: with 24 bins/octave, a sweep inside the analysed band
    comes back within 5 % relative error away from the edges (measured 1.5 %); with 12
    bins/octave it is rougher (correlation > 0.9, measured 0.96) - the point the course makes."""
    sr = 22050
    x = sweep(sr)
    inner = slice(sr // 4, -sr // 4)
    C = S.cqt(x, sr, hop_length=256, fmin=55.0, n_bins=144, bins_per_octave=24)
    y = S.icqt(C, sr, hop_length=256, fmin=55.0, bins_per_octave=24, length=len(x))
    assert y.shape == x.shape and y.dtype == np.float32
    assert np.linalg.norm((y - x)[inner]) / np.linalg.norm(x[inner]) < 0.05
    C = S.cqt(x, sr, hop_length=256, fmin=55.0, n_bins=72, bins_per_octave=12)
    y = S.icqt(C, sr, hop_length=256, fmin=55.0, bins_per_octave=12, length=len(x))
    assert np.corrcoef(y[inner], x[inner])[0, 1] > 0.9


def test_spectrogram_figure_draws():
    from mssedu.plot import spectrogram_figure

    import matplotlib

    matplotlib.use("Agg")
    X = S.stft(sweep(8000, 0.5), 256, 64)
    fig = spectrogram_figure(X, 8000, hop_length=64, title="sweep")
    assert fig.axes and fig.axes[0].get_title() == "sweep"
    fig = spectrogram_figure({"a": X, "b": 0.5 * X}, 8000, hop_length=64)
    assert [a.get_title() for a in fig.axes[:2]] == ["a", "b"]


def test_spectral_rejects_bad_shapes():
    with pytest.raises(MsseduError, match="n_fft"):
        S.istft(np.zeros((257, 10), np.complex64), 128, n_fft=1024)
    with pytest.raises(MsseduError, match="freq >= 2"):
        S.istft(np.zeros((1, 10), np.complex64), 1)
