"""mssedu.losses: each loss against a value computed by hand (or by torch / librosa), and
the torch SDR / SI-SDR / spectral-convergence losses against their numpy metrics."""
import librosa
import numpy as np
import pytest
import torch

from mssedu import MsseduError
from mssedu import losses as L
from mssedu import metrics, phase


def test_l1_l2_hand_values():
    est, ref = [[1.0, 2.0], [3.0, 0.5]], [[0.0, 4.0], [3.0, 1.0]]
    # |1| + |-2| + 0 + |-0.5| = 3.5 over 4
    assert float(L.l1_loss(ref, est)) == pytest.approx(0.875)
    # 1 + 4 + 0 + 0.25 = 5.25 over 4
    assert float(L.l2_loss(ref, est)) == pytest.approx(1.3125)


def test_huber_hand_value_and_torch():
    est, ref = torch.tensor([0.5, 3.0, -2.0]), torch.zeros(3)
    # 0.5*0.25 = 0.125 ; 1*(3-0.5) = 2.5 ; 1*(2-0.5) = 1.5  -> mean 4.125/3
    assert float(L.huber_loss(ref, est)) == pytest.approx(4.125 / 3)
    x, y = torch.randn(50), torch.randn(50)
    for delta in (0.3, 1.0, 2.0):
        ref_val = torch.nn.functional.huber_loss(x, y, delta=delta)
        assert float(L.huber_loss(y, x, delta)) == pytest.approx(float(ref_val), rel=1e-6)
    with pytest.raises(MsseduError, match="delta"):
        L.huber_loss(y, x, delta=0)


def test_spectral_convergence_and_log_magnitude_hand_values():
    ref = torch.tensor([[3.0, 4.0]])
    assert float(L.spectral_convergence_loss(ref, torch.zeros(1, 2))) == pytest.approx(1.0)
    # ||(0, 4)|| / ||(3, 4)|| = 4 / 5
    assert float(L.spectral_convergence_loss(ref, torch.tensor([[3.0, 0.0]]))) == pytest.approx(0.8)
    e = float(np.e)
    # |log e - log 1| = 1 and |log 1 - log 1| = 0 -> mean 0.5
    val = L.log_magnitude_loss(torch.tensor([[e, 1.0]]), torch.tensor([[1.0, 1.0]]), eps=1e-12)
    assert float(val) == pytest.approx(0.5, rel=1e-6)


def test_stft_loss_matches_librosa_by_hand(rng):
    x = rng.standard_normal(4096).astype(np.float32)
    y = x + 0.3 * rng.standard_normal(4096).astype(np.float32)
    S_ref = np.abs(librosa.stft(x, n_fft=512, hop_length=128, center=True, pad_mode="constant"))
    S_est = np.abs(librosa.stft(y, n_fft=512, hop_length=128, center=True, pad_mode="constant"))
    sc = np.linalg.norm(S_ref - S_est) / np.linalg.norm(S_ref)
    mag = np.mean(np.abs(np.log(S_ref + 1e-7) - np.log(S_est + 1e-7)))
    got = float(L.stft_loss(torch.from_numpy(x), torch.from_numpy(y), n_fft=512))
    assert got == pytest.approx(sc + mag, rel=1e-4)


def test_multi_resolution_is_mean_of_resolutions(rng):
    x = torch.from_numpy(rng.standard_normal((2, 8192)).astype(np.float32))
    y = x + 0.1 * torch.from_numpy(rng.standard_normal((2, 8192)).astype(np.float32))
    each = [float(L.stft_loss(x, y, n)) for n in (512, 1024, 2048)]
    assert float(L.multi_resolution_stft_loss(x, y)) == pytest.approx(np.mean(each), rel=1e-5)
    assert float(L.multi_resolution_stft_loss(x, x)) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(MsseduError, match="shorter than the largest window"):
        L.multi_resolution_stft_loss(x[..., :1000], x[..., :1000])


def test_si_sdr_hand_value_and_scale_invariance():
    ref = torch.tensor([1.0, -1.0, 1.0, -1.0])
    noise = torch.tensor([1.0, 1.0, -1.0, -1.0])      # zero mean, orthogonal to ref
    est = 2 * ref + noise
    # alpha = <est, ref>/||ref||^2 = 2 ; ||2 ref||^2 = 16 ; ||noise||^2 = 4 -> 10 log10(4)
    assert float(L.si_sdr_loss(ref, est)) == pytest.approx(-10 * np.log10(4.0), abs=1e-5)
    assert float(L.si_sdr_loss(ref, 5 * est)) == pytest.approx(-10 * np.log10(4.0), abs=1e-5)


def test_sdr_hand_value():
    ref = torch.ones(2, 100)
    # ||s||^2 / ||s - 0.9 s||^2 = 1 / 0.01 -> 20 dB
    assert float(L.sdr_loss(ref, 0.9 * ref)) == pytest.approx(-20.0, abs=1e-4)


@pytest.mark.parametrize("shape", [(4000,), (2, 4000), (3, 2, 4000)])
@pytest.mark.parametrize("per_channel", [False, True])
def test_sdr_losses_are_the_negative_numpy_metrics(rng, shape, per_channel):
    """One SDR and one SI-SDR: the torch losses compute the numpy metrics, negated."""
    ref = rng.standard_normal(shape)
    est = 0.7 * ref + 0.3 * rng.standard_normal(shape) + 0.05
    t_ref, t_est = torch.from_numpy(ref), torch.from_numpy(est)
    want = -np.mean(metrics.sdr(ref, est, per_channel=per_channel))
    assert float(L.sdr_loss(t_ref, t_est, per_channel=per_channel)) == pytest.approx(want, abs=1e-4)
    for zero_mean in (True, False):
        want = -np.mean(metrics.si_sdr(ref, est, zero_mean=zero_mean, per_channel=per_channel))
        got = L.si_sdr_loss(t_ref, t_est, zero_mean=zero_mean, per_channel=per_channel)
        assert float(got) == pytest.approx(want, abs=1e-4)
    # float32 tensors (as in training) agree too
    got = L.si_sdr_loss(t_ref.float(), t_est.float(), per_channel=per_channel)
    want = -np.mean(metrics.si_sdr(ref, est, per_channel=per_channel))
    assert float(got) == pytest.approx(want, abs=1e-3)


def test_spectral_convergence_loss_is_phase_spectral_convergence(rng):
    ref = np.abs(rng.standard_normal((257, 40)))
    est = ref + 0.2 * np.abs(rng.standard_normal((257, 40)))
    got = float(L.spectral_convergence_loss(torch.from_numpy(ref), torch.from_numpy(est)))
    assert got == pytest.approx(phase.spectral_convergence(ref, est), rel=1e-6)


def test_losses_are_differentiable():
    est = torch.rand(2, 2, 8192, requires_grad=True)
    ref = torch.rand(2, 2, 8192)
    for name in L.LOSSES:
        est.grad = None
        L.get_loss(name)(ref, est).backward()
        assert est.grad is not None and torch.isfinite(est.grad).all(), name


def test_loss_errors():
    with pytest.raises(MsseduError, match="shape"):
        L.l1_loss(torch.zeros(3), torch.zeros(4))
    with pytest.raises(MsseduError, match="abs"):
        L.l2_loss(torch.zeros(3, dtype=torch.complex64), torch.zeros(3, dtype=torch.complex64))
    with pytest.raises(MsseduError, match="Unknown loss"):
        L.get_loss("l3")


def test_registry_names_and_argument_order():
    assert {"l1", "l2", "huber", "mrstft", "si_sdr"} <= set(L.LOSSES)
    assert L.WAVEFORM_LOSSES <= set(L.LOSSES)
    assert L.get_loss("si_sdr") is L.si_sdr_loss
    # (reference, estimate): the reference's energy is the numerator
    ref, est = torch.ones(1, 50), torch.zeros(1, 50)
    assert float(L.spectral_convergence_loss(ref, est)) == pytest.approx(1.0)
    assert float(L.spectral_convergence_loss(est + 1e-3, ref)) > 100
