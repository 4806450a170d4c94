"""The band-split student: shapes, bands, training by the U-Net's loop, checkpoints by kind."""
import numpy as np
import pytest
import torch

from mssedu.models import BandSplitModel, BandSplitSeparator, RotaryAttention, band_edges
from mssedu.data import Track
from mssedu.errors import ParameterError
from mssedu.separation import load_separator, separate
from mssedu.models import TrainConfig, load_checkpoint, read_checkpoint, save_checkpoint, train


def _song(seconds=4.0, seed=0):
    rng = np.random.default_rng(seed)
    n = int(44100 * seconds)
    t = np.arange(n) / 44100
    vox = (0.2 * np.sin(2 * np.pi * 440 * t) * (np.sin(2 * np.pi * 0.5 * t) > 0))[None].repeat(2, 0)
    acc = 0.05 * rng.standard_normal((2, n))
    vox, acc = vox.astype(np.float32), acc.astype(np.float32)
    return Track(f"toy{seed}", 44100, vox + acc, {"vocals": vox, "accompaniment": acc})


def test_bands_are_musical_finer_at_low_frequencies():
    edges = band_edges(44100, 2048)
    widths = np.diff(edges)
    assert edges[0] == 0 and edges[-1] == 1025 and len(widths) == 41
    assert widths[0] <= 5 < widths[-1]          # 100 Hz (4.6 bins) at the bottom, kHz at the top
    assert np.all(np.diff(widths[:-1]) >= -1)   # never much narrower going up (rounding)
    crop = band_edges(44100, 2048, max_hz=5512.5)
    assert crop[-1] == 256 and crop == edges[:len(crop) - 1] + [256]


@pytest.mark.parametrize("block", ["lstm", "roformer"])
def test_output_shapes_and_mask_range(block):
    model = BandSplitModel.from_preset("tiny", block=block, targets=("vocals", "drums"))
    mag = torch.rand(2, 2, 1025, 17)
    with torch.no_grad():
        est, mask = model(mag, return_mask=True)
    assert est.shape == mask.shape == (2, 2, 2, 1025, 17)
    assert float(mask.min()) >= 0 and float(mask.max()) <= 1
    assert float(mask[..., 256:, :].abs().max()) == 0        # above the 5.5 kHz crop
    torch.testing.assert_close(est, mask * mag.unsqueeze(1))
    with pytest.raises(ParameterError, match="1025"):
        model(torch.rand(1, 2, 513, 4))


def test_a_few_training_steps_lower_the_loss():
    torch.manual_seed(0)
    res = train([_song(4.0, 0), _song(4.0, 1)], valid=None, model_kind="bandsplit", steps=12,
                batch_size=4, lr=3e-3, augment=None, songs_per_epoch=16, progress=False, device="cpu",
                schedule="constant")
    loss = res.history["loss"]
    assert isinstance(res.model, BandSplitModel) and res.steps == 12
    assert np.mean(loss[-3:]) < 0.9 * np.mean(loss[:3])      # about 0.6x in practice
    assert isinstance(res.separator, BandSplitSeparator)


def test_checkpoint_kind_round_trip_and_load_separator(tmp_path):
    model = BandSplitModel.from_preset("tiny")
    path = save_checkpoint(tmp_path / "bs.weights", model)      # any suffix: content decides
    assert read_checkpoint(path)["kind"] == "bandsplit"
    again, config = load_checkpoint(path)
    assert isinstance(again, BandSplitModel) and config == model.config
    for a, b in zip(model.state_dict().values(), again.state_dict().values()):
        torch.testing.assert_close(a, b)
    sep = load_separator(path, device="cpu")
    assert isinstance(sep, BandSplitSeparator) and sep.sources == ["vocals", "accompaniment"]
    song = _song(2.0)
    out = separate(sep, song.mixture[0], 44100, progress=False)     # mono in, mono out
    assert out["vocals"].shape == (88200,)
    np.testing.assert_allclose(out["vocals"] + out["accompaniment"], song.mixture[0], atol=1e-4)


def test_unknown_kind_and_preset_are_clear():
    with pytest.raises(ParameterError, match="model kind"):
        TrainConfig(model_kind="nope")
    with pytest.raises(ParameterError, match="preset"):
        TrainConfig(model_kind="bandsplit", preset="huge")


def _reference_rotate(u, theta):
    """RoPE written pair by pair: (a, b) at position p -> (a cos - b sin, a sin + b cos)."""
    angle = torch.arange(u.shape[-2], dtype=u.dtype)[:, None] * theta
    a, b = u[..., 0::2], u[..., 1::2]
    return torch.stack([a * angle.cos() - b * angle.sin(), a * angle.sin() + b * angle.cos()], -1).flatten(-2)


def _reference_forward(model, mag):
    """The model's maths with one small layer per band, a Python loop over the bands (the
    module docstring, steps 1-4), from the same weights as ``model``."""
    c = model.config
    B, C, _, N = mag.shape
    x = torch.log1p(mag)
    z = torch.stack([proj(x[:, :, a:b].permute(0, 3, 1, 2).reshape(B, N, -1))
                     for proj, a, b in zip(model.split, model.edges, model.edges[1:])], dim=1)
    K, D = z.shape[1], z.shape[-1]
    for along_time, across_bands in zip(model.time_layers, model.band_layers):
        z = along_time(z.reshape(B * K, N, D)).reshape(B, K, N, D)
        z = across_bands(z.transpose(1, 2).reshape(B * N, K, D)).reshape(B, N, K, D).transpose(1, 2)
    T = len(c.targets)
    masks = [torch.sigmoid(head(z[:, k])).reshape(B, N, T, C, -1).permute(0, 2, 3, 4, 1)
             for k, head in enumerate(model.heads)]
    masks.append(mag.new_zeros(B, T, C, c.n_freq - model.edges[-1], N))
    return torch.cat(masks, dim=3) * mag.unsqueeze(1)


def test_rotary_rotation_is_the_pairwise_formula():
    layer = RotaryAttention(32, 2, 64)
    u = torch.randn(3, 2, 40, 16)
    torch.testing.assert_close(layer.rotate(u), _reference_rotate(u, layer.theta), atol=1e-5, rtol=0)
    qkv = torch.randn(3, 40, 3, 2, 16).permute(2, 0, 3, 1, 4)       # a strided view, as in forward
    torch.testing.assert_close(layer.rotate(qkv[1]), _reference_rotate(qkv[1], layer.theta), atol=1e-5, rtol=0)
    # the angle between two rotated vectors depends only on the distance of their positions
    q, k = torch.randn(16), torch.randn(16)
    rq = layer.rotate(q.expand(1, 1, 40, 16))[0, 0]
    rk = layer.rotate(k.expand(1, 1, 40, 16))[0, 0]
    torch.testing.assert_close(rq[5] @ rk[2], rq[30] @ rk[27], atol=1e-4, rtol=0)


@pytest.mark.parametrize("block,overrides", [("roformer", {}), ("roformer", {"targets": ("vocals", "drums")}),
                                             ("lstm", {"audio_channels": 1, "max_hz": 11025.0})])
def test_batched_bands_equal_the_per_band_loop(block, overrides):
    """All bands in one padded tensor (grouped linear layers) = one small layer per band."""
    torch.manual_seed(0)
    model = BandSplitModel.from_preset("tiny", block=block, **overrides).eval()
    with torch.no_grad():     # non-trivial norms and biases, so every parameter matters
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    mag = 3 * torch.rand(2, model.config.audio_channels, 1025, 23)
    with torch.no_grad():
        want = _reference_forward(model, mag)
        got = model(mag)
    assert want.abs().max() > 0.1
    torch.testing.assert_close(got, want, atol=1e-5, rtol=0)
