"""mssedu.losses: each loss against a value computed by hand (or by torch / librosa)."""
import librosa
import numpy as np
import pytest
import torch

from mssedu import MsseduError
from mssedu import losses as L


def test_l1_l2_hand_values():
    est, ref = [[1.0, 2.0], [3.0, 0.5]], [[0.0, 4.0], [3.0, 1.0]]
    # |1| + |-2| + 0 + |-0.5| = 3.5 over 4
    assert float(L.l1_magnitude(est, ref)) == pytest.approx(0.875)
    # 1 + 4 + 0 + 0.25 = 5.25 over 4
    assert float(L.l2_magnitude(est, ref)) == pytest.approx(1.3125)


def test_huber_hand_value_and_torch():
    est, ref = torch.tensor([0.5, 3.0, -2.0]), torch.zeros(3)
    # 0.5*0.25 = 0.125 ; 1*(3-0.5) = 2.5 ; 1*(2-0.5) = 1.5  -> mean 4.125/3
    assert float(L.huber(est, ref)) == pytest.approx(4.125 / 3)
    x, y = torch.randn(50), torch.randn(50)
    for delta in (0.3, 1.0, 2.0):
        ref_val = torch.nn.functional.huber_loss(x, y, delta=delta)
        assert float(L.huber(x, y, delta)) == pytest.approx(float(ref_val), rel=1e-6)
    with pytest.raises(MsseduError, match="delta"):
        L.huber(x, y, delta=0)


def test_spectral_convergence_and_log_magnitude_hand_values():
    ref = torch.tensor([[3.0, 4.0]])
    assert float(L.spectral_convergence(torch.zeros(1, 2), ref)) == pytest.approx(1.0)
    # ||(0, 4)|| / ||(3, 4)|| = 4 / 5
    assert float(L.spectral_convergence(torch.tensor([[3.0, 0.0]]), ref)) == pytest.approx(0.8)
    e = float(np.e)
    # |log e - log 1| = 1 and |log 1 - log 1| = 0 -> mean 0.5
    val = L.log_magnitude(torch.tensor([[1.0, 1.0]]), torch.tensor([[e, 1.0]]), eps=1e-12)
    assert float(val) == pytest.approx(0.5, rel=1e-6)


def test_stft_loss_matches_librosa_by_hand(rng):
    x = rng.standard_normal(4096).astype(np.float32)
    y = x + 0.3 * rng.standard_normal(4096).astype(np.float32)
    S_ref = np.abs(librosa.stft(x, n_fft=512, hop_length=128, center=True, pad_mode="constant"))
    S_est = np.abs(librosa.stft(y, n_fft=512, hop_length=128, center=True, pad_mode="constant"))
    sc = np.linalg.norm(S_ref - S_est) / np.linalg.norm(S_ref)
    mag = np.mean(np.abs(np.log(S_ref + 1e-7) - np.log(S_est + 1e-7)))
    got = float(L.stft_loss(torch.from_numpy(y), torch.from_numpy(x), n_fft=512))
    assert got == pytest.approx(sc + mag, rel=1e-4)


def test_multi_resolution_is_mean_of_resolutions(rng):
    x = torch.from_numpy(rng.standard_normal((2, 8192)).astype(np.float32))
    y = x + 0.1 * torch.from_numpy(rng.standard_normal((2, 8192)).astype(np.float32))
    each = [float(L.stft_loss(y, x, n)) for n in (512, 1024, 2048)]
    assert float(L.multi_resolution_stft(y, x)) == pytest.approx(np.mean(each), rel=1e-5)
    assert float(L.multi_resolution_stft(x, x)) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(MsseduError, match="shorter than the largest window"):
        L.multi_resolution_stft(x[..., :1000], x[..., :1000])


def test_si_sdr_hand_value_and_scale_invariance():
    ref = torch.tensor([1.0, -1.0, 1.0, -1.0])
    noise = torch.tensor([1.0, 1.0, -1.0, -1.0])      # zero mean, orthogonal to ref
    est = 2 * ref + noise
    # alpha = <est, ref>/||ref||^2 = 2 ; ||2 ref||^2 = 16 ; ||noise||^2 = 4 -> 10 log10(4)
    assert float(L.si_sdr(est, ref)) == pytest.approx(10 * np.log10(4.0), abs=1e-5)
    assert float(L.si_sdr(5 * est, ref)) == pytest.approx(10 * np.log10(4.0), abs=1e-5)
    assert float(L.si_sdr_loss(est, ref)) == pytest.approx(-10 * np.log10(4.0), abs=1e-5)


def test_losses_are_differentiable():
    est = torch.rand(2, 2, 8192, requires_grad=True)
    ref = torch.rand(2, 2, 8192)
    for name in L.LOSSES:
        est.grad = None
        L.get_loss(name)(est, ref).backward()
        assert est.grad is not None and torch.isfinite(est.grad).all(), name


def test_loss_errors():
    with pytest.raises(MsseduError, match="shape"):
        L.l1_magnitude(torch.zeros(3), torch.zeros(4))
    with pytest.raises(MsseduError, match="abs"):
        L.l2_magnitude(torch.zeros(3, dtype=torch.complex64), torch.zeros(3, dtype=torch.complex64))
    with pytest.raises(MsseduError, match="Unknown loss"):
        L.get_loss("l3")
