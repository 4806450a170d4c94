"""mssedu.models: the mini U-Net's shapes, masks, parameter counts and the separator."""
import numpy as np
import pytest
import torch

from mssedu import MsseduError
from mssedu.models import (UNET_PRESETS, MiniUNet, UNetConfig, UNetSeparator, conv_output_size,
                         count_parameters)

SMALL = dict(sr=8000, n_fft=256, hop_length=64, n_bins=64, channels=(4, 8, 16), patch_frames=16)


def small_model(**kw):
    torch.manual_seed(0)
    return MiniUNet(UNetConfig(**{**SMALL, **kw})).eval()


def expected_parameters(cfg: UNetConfig) -> int:
    """Count by hand: a k x k conv from a to b channels has a*b*k*k weights and b biases;
    batch-norm adds 2 per channel; the input standardisation 2 per kept bin."""
    k2 = cfg.kernel_size ** 2
    c = cfg.channels
    n = 2 * cfg.n_bins
    ins = (cfg.audio_channels,) + c[:-1]
    n += sum(a * b * k2 + b + 2 * b for a, b in zip(ins, c))                   # encoder
    dec_in = [c[-1]] + [2 * ch for ch in reversed(c[:-1])]
    dec_out = list(reversed(c[:-1])) + [len(cfg.targets) * cfg.audio_channels]
    for i, (a, b) in enumerate(zip(dec_in, dec_out)):
        n += a * b * k2 + b + (0 if i == len(dec_in) - 1 else 2 * b)          # decoder
    return n


@pytest.mark.parametrize("preset", sorted(UNET_PRESETS))
def test_parameter_counts_match_hand_count(preset):
    model = MiniUNet.from_preset(preset)
    assert model.num_parameters() == expected_parameters(model.config)
    assert count_parameters(model) == model.num_parameters()


def test_presets_sizes():
    assert MiniUNet.from_preset("tiny").num_parameters() < 1_000_000
    full = MiniUNet.from_preset("full")
    assert full.config.depth == 6 and full.config.channels == (16, 32, 64, 128, 256, 512)
    # Spleeter's per-source U-Net has ~9.8 M parameters
    assert 9.5e6 < full.num_parameters() < 10.1e6


def test_conv_output_size_matches_torch():
    conv = torch.nn.Conv2d(1, 1, 5, stride=2, padding=2)
    for n in (1, 2, 7, 64, 513, 1025):
        out = conv(torch.zeros(1, 1, n, 3))
        assert out.shape[2] == conv_output_size(n) == -(-n // 2)


@pytest.mark.parametrize("freq,frames", [(129, 1), (129, 7), (129, 33), (64, 5), (129, 129)])
def test_output_same_size_as_input_for_odd_sizes(freq, frames):
    model = small_model()
    mag = torch.rand(2, 2, freq, frames)
    est, mask = model(mag, return_mask=True)
    assert est.shape == (2, 1, 2, freq, frames)
    assert mask.shape == est.shape
    assert torch.allclose(est, mask * mag.unsqueeze(1))


def test_mask_in_unit_interval_and_zero_above_crop():
    model = small_model()
    with torch.no_grad():
        _, mask = model(10 * torch.rand(1, 2, 129, 20), return_mask=True)
    assert float(mask.min()) >= 0.0 and float(mask.max()) <= 1.0
    assert torch.all(mask[..., 64:, :] == 0)
    assert float(mask[..., :64, :].min()) > 0.0


def test_average_mask_extension():
    model = small_model(mask_extension="average")
    _, mask = model(torch.rand(1, 2, 129, 20), return_mask=True)
    mean = mask[..., :64, :].mean(dim=3, keepdim=True)
    assert torch.allclose(mask[..., 64:, :], mean.expand_as(mask[..., 64:, :]))


def test_multi_target_output():
    model = small_model(targets=("drums", "bass", "other", "vocals"))
    est = model(torch.rand(3, 2, 129, 10))
    assert est.shape == (3, 4, 2, 129, 10)


def test_mono_model():
    model = small_model(audio_channels=1)
    assert model(torch.rand(1, 1, 129, 10)).shape == (1, 1, 1, 129, 10)


def test_wrong_channel_count_is_a_clear_error():
    model = small_model()
    with pytest.raises(MsseduError, match="2 audio channel.*has 1"):
        model(torch.rand(1, 1, 129, 10))


def test_wrong_frequency_count_and_types():
    model = small_model()
    with pytest.raises(MsseduError, match="frequency bins"):
        model(torch.rand(1, 2, 100, 10))
    with pytest.raises(MsseduError, match="torch tensor"):
        model(np.zeros((1, 2, 129, 10), np.float32))
    with pytest.raises(MsseduError, match="magnitude"):
        model(torch.zeros(1, 2, 129, 10, dtype=torch.complex64))
    with pytest.raises(MsseduError, match="no frames"):
        model(torch.zeros(1, 2, 129, 0))


def test_config_validation():
    with pytest.raises(MsseduError, match="n_bins"):
        UNetConfig(n_fft=256, n_bins=500)
    with pytest.raises(MsseduError, match="odd"):
        UNetConfig(kernel_size=4)
    with pytest.raises(MsseduError, match="Unknown preset"):
        MiniUNet.from_preset("huge")
    with pytest.raises(MsseduError, match="Unknown U-Net config"):
        UNetConfig.from_dict({"n_fft": 256, "bogus": 1})


def test_dropout_only_in_first_three_decoder_blocks():
    model = MiniUNet.from_preset("full")
    has_dropout = [isinstance(getattr(b, "drop", None), torch.nn.Dropout) for b in model.decoder]
    assert has_dropout == [True, True, True, False, False, False]


def test_summary_lists_layers_shapes_and_total():
    model = MiniUNet.from_preset("tiny")
    text = model.summary()
    assert f"{model.num_parameters():,}" in text
    assert "(1, 8, 128, 64)" in text          # encoder.0 halves 256 bins x 128 frames
    assert "(1, 128, 8, 4)" in text           # bottleneck after 5 halvings
    rows = model.layer_table()
    assert sum(r["params"] for r in rows) == model.num_parameters()


def test_feature_maps():
    model = small_model()
    maps = model.feature_maps(torch.rand(1, 2, 129, 16))
    assert maps["encoder.0"].shape == (4, 32, 8)
    assert maps["encoder.2"].shape == (16, 8, 2)
    assert maps["mask"].shape == (2, 129, 16)


# -- separator ----------------------------------------------------------------------------

def test_separator_shapes_and_mixture_consistency(rng):
    sep = UNetSeparator(small_model(), device="cpu")
    x = (0.1 * rng.standard_normal((2, 8000 + 17))).astype(np.float32)
    out = sep.separate(x, progress=False)
    assert sep.sources == ["vocals", "accompaniment"] and sep.sr == 8000
    assert out["vocals"].shape == x.shape and out["vocals"].dtype == np.float32
    np.testing.assert_allclose(out["vocals"] + out["accompaniment"], x, atol=1e-6)


def test_separator_satisfies_protocol():
    from mssedu.separation import Separator

    assert isinstance(UNetSeparator(small_model(), device="cpu"), Separator)


def test_chunk_crossfade_is_a_partition_of_unity():
    """With a constant mask, chunked separation must give exactly that constant."""
    model = small_model()
    last = model.decoder[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(0.3)
    sep = UNetSeparator(model, chunk_frames=16, overlap_frames=5, device="cpu")
    mask = sep.predict_mask(np.random.default_rng(0).standard_normal((2, 8000)).astype(np.float32))
    assert mask.shape == (1, 2, 129, 126)
    np.testing.assert_allclose(mask[..., :64, :], 1 / (1 + np.exp(-0.3)), rtol=1e-5)


def test_chunked_close_to_whole(rng):
    model = small_model()
    x = (0.1 * rng.standard_normal((2, 16000))).astype(np.float32)
    whole = UNetSeparator(model, chunk_frames=10_000, device="cpu").predict_mask(x)
    chunked = UNetSeparator(model, chunk_frames=64, overlap_frames=16, device="cpu").predict_mask(x)
    # only the borders of chunks (zero padding seen by the convolutions) differ
    assert np.median(np.abs(whole - chunked)) < 1e-3


def test_wiener_postfilter_masks(rng):
    model = small_model()
    x = (0.1 * rng.standard_normal((2, 8000))).astype(np.float32)
    plain = UNetSeparator(model, device="cpu").separate(x, progress=False)
    wien = UNetSeparator(model, wiener=True, device="cpu").separate(x, progress=False)
    np.testing.assert_allclose(wien["vocals"] + wien["accompaniment"], x, atol=1e-6)
    assert not np.allclose(plain["vocals"], wien["vocals"])


def test_separator_errors():
    sep = UNetSeparator(small_model(), device="cpu")
    with pytest.raises(MsseduError, match="2-channel"):
        sep.separate(np.zeros((1, 8000), np.float32))
    with pytest.raises(MsseduError, match="fewer than"):
        sep.separate(np.zeros((2, 100), np.float32))
    with pytest.raises(MsseduError, match="MiniUNet"):
        UNetSeparator(torch.nn.Linear(2, 2))
    with pytest.raises(MsseduError, match="overlap"):
        UNetSeparator(small_model(), chunk_frames=8, overlap_frames=8)


def test_source_magnitudes_are_mask_times_mixture_magnitude():
    """M|X| and (1 - M)|X| of a one-target model; the torch batch path equals the chunked one."""
    from mssedu.errors import ParameterError
    from mssedu.spectral import stft

    torch.manual_seed(0)
    sep = UNetSeparator(MiniUNet.from_preset("tiny"), device="cpu")
    x = (0.1 * np.random.default_rng(0).standard_normal((2, 22050))).astype(np.float32)
    A = sep.source_magnitudes(x)
    X = np.abs(stft(x, sep.config.n_fft, sep.config.hop_length))
    M = sep.predict_mask(x)[0]
    assert A.shape == (2, *X.shape) and not A.requires_grad
    np.testing.assert_allclose(A[0].numpy(), M * X, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(A[1].numpy(), (1 - M) * X, rtol=1e-5, atol=1e-6)
    B = sep.source_magnitudes(torch.from_numpy(np.stack([x, x[::-1].copy()])))
    assert B.shape == (2, 2, *X.shape)
    np.testing.assert_allclose(B[:, 0].numpy(), A.numpy(), rtol=1e-4, atol=1e-5)
    with pytest.raises(ParameterError, match="batch, 2, samples"):
        sep.source_magnitudes(torch.from_numpy(x))
