"""mssedu.phase: Griffin-Lim (classic and fast), MISI, spectral convergence, consistency.

References: librosa.griffinlim (same algorithm: identical results from the same initial
phase), the convergence theorem of Griffin & Lim (1984) for momentum 0, the mixing
constraint of MISI (Gunawan & Sen, 2010), and the textbook versions
(mssedu.phase.textbook), which the fast ones must reproduce from the same initial phase."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from mssedu import MsseduError, ParameterError
from mssedu.phase import (consistency, griffin_lim, griffin_lim_textbook, initial_phase, misi,
                          misi_textbook, projection, spectral_convergence)
from mssedu.phase.projection import ConsistentProjection, frames_major
from mssedu.spectral import istft, n_frames, stft

N_FFT, HOP = 512, 128


@pytest.fixture(scope="module")
def track():
    from mssedu.data import example_track

    return example_track().excerpt(1.0, 1.0)


@pytest.fixture(scope="module")
def vocals(track):
    return track.stems["vocals"]


@pytest.fixture(params=[None, 3000], ids=["one-block", "many-blocks"])
def block_bins(request, monkeypatch):
    """Run a test with the CPU block size as shipped, and with blocks of a few frames, so
    that the block seams (overlap-add across blocks) are exercised."""
    if request.param is not None:
        monkeypatch.setattr(projection, "CPU_BLOCK_BINS", request.param)
    return request.param


@pytest.mark.parametrize("n_fft, hop, center", [
    (512, 128, True), (512, 128, False),      # hop divides n_fft
    (512, 100, True), (400, 160, False),      # it does not: the last piece is shorter
    (64, 16, True),
])
def test_consistent_projection_is_stft_of_istft(n_fft, hop, center, block_bins):
    """The fused projection that GL, MISI and consistency() iterate equals
    mssedu.spectral.stft(mssedu.spectral.istft(.)) (itself tested against librosa) to float32
    rounding: 1e-6 of the peak, for the spectrogram and for the signal."""
    rng = np.random.default_rng(1)
    length = 5000 + 7
    frames = n_frames(length, n_fft, hop, center)
    shape = (2, 3, n_fft // 2 + 1, frames)
    X = torch.from_numpy((rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
                         .astype(np.complex64))
    signal_ref = istft(X, hop, "hann", center, length=length, n_fft=n_fft)
    ref = stft(signal_ref, n_fft, hop, "hann", center)
    project = ConsistentProjection(n_fft, hop, "hann", center, frames, length, 6, "cpu")
    assert (len(project.blocks) > 1) == (block_bins is not None)
    y = project.synthesise(frames_major(X))
    ours = torch.cat([block for _, block in project.analyse(y)], dim=1)
    ours = ours.transpose(-1, -2).reshape(shape)
    assert float((ours - ref).abs().max()) < 1e-6 * float(ref.abs().max())
    signal = project.signal(y).reshape(signal_ref.shape)
    assert float((signal - signal_ref).abs().max()) < 1e-6 * float(signal_ref.abs().max())


def test_classic_griffin_lim_never_increases_spectral_convergence(vocals):
    A = np.abs(stft(vocals, N_FFT, HOP))
    _, h = griffin_lim(A, n_iter=40, momentum=0.0, length=vocals.shape[-1])
    assert len(h) == 41
    # Griffin & Lim's theorem; float32 rounding allowed at the 1e-6 relative level
    assert np.all(np.diff(h) <= 1e-6 * h[:-1]), np.diff(h).max()
    assert h[-1] < 0.6 * h[0]


def test_fast_griffin_lim_beats_classic_at_equal_iterations(vocals):
    A = np.abs(stft(vocals, N_FFT, HOP))
    _, slow = griffin_lim(A, 32, momentum=0.0, length=vocals.shape[-1])
    _, fast = griffin_lim(A, 32, momentum=0.99, length=vocals.shape[-1])
    assert fast[-1] < 0.8 * slow[-1]


@pytest.mark.parametrize("momentum", [0.0, 0.99])
def test_griffin_lim_snapshots_are_the_shorter_runs_signals(vocals, momentum):
    """One run with snapshots gives, at each kept iteration k, the signal of a run of k iterations."""
    A = np.abs(stft(vocals[:, :8000], N_FFT, HOP))
    kept = dict.fromkeys([0, 1, 3, 6])
    y, _ = griffin_lim(A, 6, momentum=momentum, length=8000, snapshots=kept)
    for k, signal in kept.items():
        alone = griffin_lim(A, k, momentum=momentum, length=8000).signal
        np.testing.assert_allclose(signal, alone, atol=1e-6)   # the same float32 operations
    np.testing.assert_array_equal(kept[6], y)


def test_griffin_lim_from_the_true_phase_stays_put(vocals):
    X = stft(vocals, N_FFT, HOP)
    y, h = griffin_lim(np.abs(X), n_iter=5, init=np.angle(X), length=vocals.shape[-1])
    assert h.max() < 1e-5
    assert np.abs(y - vocals).max() < 1e-5 * max(1.0, np.abs(vocals).max()) * 10
    # complex phasors work as init too
    y2, _ = griffin_lim(np.abs(X), n_iter=1, init=X, length=vocals.shape[-1])
    assert np.abs(y2 - vocals).max() < 1e-4


@pytest.mark.parametrize("momentum", [0.0, 0.99])
def test_same_result_as_librosa_from_the_same_initial_phase(vocals, momentum, block_bins):
    """From the zero phase both are deterministic: librosa.griffinlim(init=None) and ours
    must give the same waveform (tolerance 1e-3 of the peak: float32 vs float64 FFTs)."""
    librosa = pytest.importorskip("librosa")
    x = vocals[0]
    A = np.abs(stft(x, N_FFT, HOP))
    ref = librosa.griffinlim(A, n_iter=10, hop_length=HOP, n_fft=N_FFT, momentum=momentum,
                             init=None, length=len(x))
    ours, h = griffin_lim(A, n_iter=10, momentum=momentum, init="zeros", length=len(x))
    assert np.abs(ours - ref).max() < 1e-3 * np.abs(ref).max()
    assert h[-1] == pytest.approx(spectral_convergence(A, stft(ref, N_FFT, HOP)), rel=1e-3)


def test_final_error_comparable_to_librosa_from_random_phases(vocals):
    """Different random initial phases: final spectral convergence within 20 % of librosa's."""
    librosa = pytest.importorskip("librosa")
    A = np.abs(stft(vocals, N_FFT, HOP))
    ref = librosa.griffinlim(A, n_iter=32, hop_length=HOP, n_fft=N_FFT, random_state=0,
                             length=vocals.shape[-1])
    sc_ref = spectral_convergence(A, stft(ref, N_FFT, HOP))
    _, h = griffin_lim(A, n_iter=32, length=vocals.shape[-1], seed=0)
    assert h[-1] == pytest.approx(sc_ref, rel=0.2)


def test_batched_torch_in_torch_out_and_progress(track):
    x = torch.from_numpy(np.stack([track.stems["vocals"], track.stems["bass"]]))  # (2, 2, n)
    A = stft(x, N_FFT, HOP).abs()
    calls = []
    y, h = griffin_lim(A, n_iter=3, length=x.shape[-1], device="auto" if not torch.cuda.is_available() else None,
                       progress=lambda k, n, sc: calls.append((k, n, sc)))
    assert isinstance(y, torch.Tensor) and tuple(y.shape) == tuple(x.shape) and y.dtype == torch.float32
    assert [c[0] for c in calls] == [1, 2, 3] and calls[-1][2] == pytest.approx(h[-1])
    y2, _ = griffin_lim(A.numpy(), n_iter=1, length=x.shape[-1], progress=True)
    assert isinstance(y2, np.ndarray) and y2.dtype == np.float32


def test_misi_estimates_sum_to_the_mixture(track, block_bins):
    rng = np.random.default_rng(0)
    # imperfect magnitudes (as a separator would give): oracle times 0.5..1.5 noise
    mags = {k: np.abs(stft(v, N_FFT, HOP)) * rng.uniform(0.5, 1.5, (2, N_FFT // 2 + 1, 1))
            for k, v in track.stems.items()}
    mix = sum(track.stems.values())
    est, h = misi(mags, mix, n_iter=6)
    assert sorted(est) == sorted(track.stems) and est["vocals"].shape == mix.shape
    assert np.abs(sum(est.values()) - mix).max() < 1e-4
    assert len(h) == 7 and h[-1] < h[0]


def test_misi_improves_on_the_mixture_phase(track):
    """With the true magnitudes, MISI's phases get closer to the truth: SI-SDR of the vocals
    rises above the mixture-phase estimate (iteration 0)."""
    from mssedu.metrics import si_sdr

    mix = sum(track.stems.values())
    mags = np.stack([np.abs(stft(v, N_FFT, HOP)) for v in track.stems.values()])
    start, h0 = misi(mags, mix, n_iter=0)
    end, h = misi(mags, mix, n_iter=20)
    v = list(track.stems).index("vocals")
    assert np.all(np.diff(h) <= 1e-6)  # observed monotone on this track
    assert si_sdr(track.stems["vocals"], end[v]) > si_sdr(track.stems["vocals"], start[v]) + 1.0
    assert h0[0] == pytest.approx(h[0])


# --- the textbook versions: the same algorithms, one numpy line per step ----------------------

#: fast (torch, float32 FFTs) vs textbook (numpy, float64 FFTs stored as float32): rounding
#: differences of 1e-7 grow slowly over the iterations; after 12 they stay below 2e-5 of the
#: signal's norm on this track (measured), so 1e-4 is the stated tolerance.
SIGNAL_RTOL = 1e-4
#: the spectral convergence is summed in float32 blocks by the fast version, in float64 by
#: the textbook one: 1e-5 relative is measured, 1e-4 allowed.
HISTORY_RTOL = 1e-4
N_TEXTBOOK = 12


def _relative_error(estimate, reference):
    return float(np.linalg.norm(estimate - reference) / np.linalg.norm(reference))


@pytest.mark.parametrize("momentum", [0.0, 0.99], ids=["classic", "fast"])
@pytest.mark.parametrize("init", ["random", "zeros"])
def test_textbook_griffin_lim_gives_the_fast_ones_result(vocals, momentum, init, block_bins):
    A = np.abs(stft(vocals, N_FFT, HOP))
    n = vocals.shape[-1]
    fast, h_fast = griffin_lim(A, N_TEXTBOOK, momentum=momentum, init=init, seed=3, length=n)
    slow, h_slow = griffin_lim_textbook(A, N_TEXTBOOK, momentum=momentum, init=init, seed=3,
                                        length=n)
    assert isinstance(slow, np.ndarray) and slow.dtype == np.float32 and slow.shape == vocals.shape
    assert _relative_error(fast, slow) < SIGNAL_RTOL
    assert len(h_slow) == N_TEXTBOOK + 1
    np.testing.assert_allclose(h_fast, h_slow, rtol=HISTORY_RTOL)
    # and the history is what it says: the spectral convergence of the returned signal
    assert h_slow[-1] == pytest.approx(spectral_convergence(A, stft(slow, N_FFT, HOP)), rel=1e-6)


def test_textbook_griffin_lim_without_center_and_from_given_phases(vocals):
    x = vocals[0]
    A = np.abs(stft(x, N_FFT, HOP, center=False))
    phases = np.random.default_rng(5).uniform(-np.pi, np.pi, A.shape)
    fast, h_fast = griffin_lim(A, 6, momentum=0.5, init=phases, center=False)
    slow, h_slow = griffin_lim_textbook(A, 6, momentum=0.5, init=phases, center=False)
    assert fast.shape == slow.shape == (N_FFT + HOP * (A.shape[-1] - 1),)
    assert _relative_error(fast, slow) < SIGNAL_RTOL
    np.testing.assert_allclose(h_fast, h_slow, rtol=HISTORY_RTOL)


@pytest.mark.parametrize("init", ["mixture", "random"])
def test_textbook_misi_gives_the_fast_ones_result(track, init, block_bins):
    mix = sum(track.stems.values())
    mags = np.stack([np.abs(stft(v, N_FFT, HOP)) for v in track.stems.values()])
    fast, h_fast = misi(mags, mix, N_TEXTBOOK, init=init, seed=2)
    slow, h_slow = misi_textbook(mags, mix, N_TEXTBOOK, init=init, seed=2)
    assert slow.shape == fast.shape == (len(track.stems),) + mix.shape
    assert _relative_error(fast, slow) < SIGNAL_RTOL
    np.testing.assert_allclose(h_fast, h_slow, rtol=HISTORY_RTOL)
    assert np.abs(slow.sum(axis=0) - mix).max() < 1e-4          # MISI's constraint


def test_initial_phase_is_shared_and_seeded():
    shape = (2, 5, 7)
    p = initial_phase("random", shape, seed=4)
    assert p.dtype == np.complex64 and p.shape == shape
    np.testing.assert_allclose(np.abs(p), 1, atol=1e-6)
    assert np.array_equal(p, initial_phase("random", shape, seed=4))
    assert not np.array_equal(p, initial_phase("random", shape, seed=5))
    assert np.array_equal(initial_phase("zeros", shape), np.ones(shape, np.complex64))
    angles = np.linspace(-3, 3, 35).reshape(5, 7)
    # angles broadcast over leading axes; a complex array gives its angles, 0 for a zero bin
    np.testing.assert_allclose(initial_phase(angles, shape)[1], np.exp(1j * angles), atol=1e-6)
    Z = np.array([[2j, 0, -3]])
    np.testing.assert_allclose(initial_phase(torch.from_numpy(Z), (1, 3)), [[1j, 1, -1]], atol=1e-7)


def test_spectral_convergence_and_consistency_values(vocals):
    A = np.ones((4, 5))
    assert spectral_convergence(A, 1.1 * A) == pytest.approx(0.1)
    assert spectral_convergence(A, -1j * A) == pytest.approx(0.0)     # phase does not count
    X = stft(vocals, N_FFT, HOP)
    assert consistency(X, HOP) < 1e-5
    assert consistency(torch.from_numpy(X), HOP) < 1e-5
    rng = np.random.default_rng(0)
    scrambled = np.abs(X) * np.exp(2j * np.pi * rng.random(X.shape))
    assert consistency(scrambled, HOP) > 0.4
    # a binary mask (keep the louder half of the bins) makes a slightly inconsistent spectrogram
    masked = consistency(X * (np.abs(X) > np.median(np.abs(X))), HOP)
    assert 1e-3 < masked < consistency(scrambled, HOP)


@pytest.mark.parametrize("call, message", [
    (lambda A: griffin_lim(A.astype(np.complex64)), "complex"),
    (lambda A: griffin_lim(-A), "negative"),
    (lambda A: griffin_lim(np.where(A > 1, np.nan, A)), "NaN"),
    (lambda A: griffin_lim(A, n_fft=1024), "n_fft"),
    (lambda A: griffin_lim(A, momentum=1.5), "momentum"),
    (lambda A: griffin_lim(A, n_iter=-1), "n_iter"),
    (lambda A: griffin_lim(A, init="mixture"), "init"),
    (lambda A: griffin_lim(A, init=np.zeros((3, 3))), "shape"),
    (lambda A: griffin_lim(A, length=100), "length"),
    (lambda A: griffin_lim(A, progress="yes"), "progress"),
    (lambda A: griffin_lim(A[0, 0]), "freq, frames"),
    (lambda A: spectral_convergence(A, A[..., :-1]), "same shape"),
    (lambda A: spectral_convergence(0 * A, A), "silence"),
    (lambda A: consistency(A, HOP), "complex"),
])
def test_bad_input_is_a_clear_error(vocals, call, message):
    A = np.abs(stft(vocals, N_FFT, HOP))
    with pytest.raises(MsseduError, match=message):
        call(A)


@pytest.mark.parametrize("call, message", [
    (lambda A, x: griffin_lim_textbook(A.astype(np.complex64)), "complex"),
    (lambda A, x: griffin_lim_textbook(A, momentum=2), "momentum"),
    (lambda A, x: griffin_lim_textbook(A, init="mixture"), "init"),
    (lambda A, x: griffin_lim_textbook(A, length=100), "length"),
    (lambda A, x: griffin_lim_textbook(A, n_fft=1024), "n_fft"),
    (lambda A, x: misi_textbook({"a": A}, x), "np.stack"),
    (lambda A, x: misi_textbook(A[None], x[:, :-600]), "mixture's STFT"),
])
def test_textbook_bad_input_is_a_clear_error(vocals, call, message):
    A = np.abs(stft(vocals, N_FFT, HOP))
    with pytest.raises(ParameterError, match=message):
        call(A, vocals)


def test_misi_bad_input(track):
    mags = {k: np.abs(stft(v, N_FFT, HOP)) for k, v in track.stems.items()}
    mix = track.mixture
    with pytest.raises(MsseduError, match="mixture's STFT"):
        misi(mags, mix[:, :-600])
    with pytest.raises(MsseduError, match="empty"):
        misi({}, mix)
    with pytest.raises(MsseduError, match="same shape"):
        misi({"a": mags["vocals"], "b": mags["bass"][0]}, mix)
    with pytest.raises(MsseduError, match="waveform"):
        misi(mags, stft(mix, N_FFT, HOP))
    with pytest.raises(MsseduError, match="n_sources"):
        misi(mags["vocals"][0], mix[0])
