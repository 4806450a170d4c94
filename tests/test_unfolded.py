"""Deep-unfolded MISI: equals plain MISI at initialisation, trains, right shapes."""
import numpy as np
import pytest
import torch

from mssedu.errors import ParameterError
from mssedu.phase import UnfoldedMISI, misi, train_unfolded
from mssedu.spectral import stft


def _sources(n=8000, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 8000
    a = np.sin(2 * np.pi * 440 * t) + 0.1 * rng.standard_normal(n)
    b = np.sign(np.sin(2 * np.pi * 97 * t)) * 0.5
    return np.stack([a, b])[:, None].repeat(2, 1).astype(np.float32)   # (J=2, channels=2, n)


@pytest.mark.parametrize("k", [1, 5])
def test_zero_corrections_equal_plain_misi(k):
    s = _sources()
    A = np.abs(stft(s, 256, 64))
    net = UnfoldedMISI(n_layers=k, n_sources=2, n_fft=256, hop_length=64)
    with torch.no_grad():
        y = net(torch.from_numpy(A), torch.from_numpy(s.sum(0)))
    plain, _ = misi(A, s.sum(0), n_iter=k, n_fft=256, hop_length=64)
    assert y.shape == (2, 2, 8000)
    np.testing.assert_allclose(y.numpy(), plain, atol=2e-5)
    np.testing.assert_allclose(y.sum(0).numpy(), s.sum(0), atol=1e-5)   # mixture consistency


def test_training_lowers_the_waveform_loss_and_keeps_the_sum():
    torch.manual_seed(0)
    batches = []
    for seed in range(2):
        s = torch.from_numpy(_sources(4000, seed))
        batches.append({"mixture": s.sum(0)[None], "a": s[0][None], "b": s[1][None]})


    mags = {id(b["mixture"]): torch.stack([stft(b["a"], 256, 64).abs() * 0.7 + 0.3 * stft(b["b"], 256, 64).abs(),
                                           stft(b["b"], 256, 64).abs()]) for b in batches}
    net = UnfoldedMISI(n_layers=3, n_sources=2, n_fft=256, hop_length=64)
    hist = train_unfolded(net, batches, lambda mix: mags[id(mix)], ("a", "b"), steps=30, lr=1e-2)
    loss = hist["loss"]
    assert len(loss) == 30
    assert np.mean(loss[-4:]) < np.mean(loss[:4]) - 0.3     # dB of SI-SDR gained
    with torch.no_grad():
        y = net(mags[id(batches[0]["mixture"])], batches[0]["mixture"])
    assert y.shape == (2, 1, 2, 4000)
    torch.testing.assert_close(y.sum(0), batches[0]["mixture"], atol=1e-5, rtol=0)


def test_an_interrupted_training_keeps_its_steps_and_reports_them():
    """Ctrl-C (a notebook's stop button) ends train_unfolded with the steps done so far."""
    s = torch.from_numpy(_sources(4000, 0))
    batch = {"mixture": s.sum(0)[None], "a": s[0][None], "b": s[1][None]}
    mags = torch.stack([stft(batch["a"], 256, 64).abs(), stft(batch["b"], 256, 64).abs()])
    seen = []

    def stop_after_two(step, steps, value):
        seen.append((step, steps))
        if step == 2:
            raise KeyboardInterrupt
    net = UnfoldedMISI(n_layers=2, n_sources=2, n_fft=256, hop_length=64)
    hist = train_unfolded(net, [batch], lambda mix: mags, ("a", "b"), steps=30, progress=stop_after_two)
    assert hist["stopped"] == "interrupted" and len(hist["loss"]) == 2
    assert seen == [(1, 30), (2, 30)] and not net.training
    assert train_unfolded(net, [batch], lambda mix: mags, ("a", "b"), steps=2)["stopped"] == "steps"


def test_bad_inputs_are_clear():
    net = UnfoldedMISI(n_layers=2, n_sources=3, n_fft=256, hop_length=64)
    with pytest.raises(ParameterError, match="3 sources"):
        net(torch.rand(2, 129, 10), torch.rand(576))
    with pytest.raises(ParameterError, match="n_layers"):
        UnfoldedMISI(n_layers=0)
