"""The band-split student: shapes, bands, training by the U-Net's loop, checkpoints by kind."""
import numpy as np
import pytest
import torch

from mssedu.bandsplit import BandSplitModel, BandSplitSeparator, band_edges
from mssedu.data import Track
from mssedu.errors import ParameterError
from mssedu.separation import load_separator, separate
from mssedu.unet import TrainConfig, load_checkpoint, read_checkpoint, save_checkpoint, train


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
