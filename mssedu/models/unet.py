r"""A mini U-Net that masks spectrograms (Jansson et al., 2017; Spleeter, Hennequin et al., 2020).

The network looks at the magnitude spectrogram of a stereo mixture, :math:`|X|` of shape
``(channels, freq, frames)``, as a two-channel *image*, and paints a soft mask
:math:`M \in [0, 1]` of the same shape for each target source. The estimate is the mask
times the mixture,

.. math::  \hat{S}_j = M_j \odot |X|, \qquad M_j = \sigma\big(f_\theta(|X|)\big)_j ,

and it is heard with the mixture's phase (or after a Wiener post-filter, see
:class:`UNetSeparator`).

Architecture (one line per layer; ``D`` = depth, ``c_i`` = channels of layer ``i``):

- **encoder**: ``D`` blocks of ``Conv2d(5x5, stride 2) -> BatchNorm -> LeakyReLU(0.2)``.
  Each halves the frequency and time axes, so a pixel of block ``i`` sees a wider patch
  of the spectrogram (a receptive field of ``4 * 2**i + 1`` bins and frames).
- **decoder**: ``D`` blocks of ``ConvTranspose2d(5x5, stride 2) -> ReLU -> BatchNorm``
  (dropout 0.5 in the first three), each doubling the size back. The input of every
  decoder block but the first is the previous decoder output **concatenated** with the
  encoder output of the same size (the skip connections of Ronneberger et al., 2015):
  fine detail that the bottleneck threw away comes back through them.
- **mask**: the last block has ``targets * channels`` outputs, squashed by a sigmoid.

Design choices, stated once:

- **Multi-target, one network.** Spleeter and Jansson train one U-Net per source. Here one
  network outputs one mask per target (``targets=("vocals",)`` by default) so that the
  same code does vocals-only and 4-stem models. With one target the accompaniment is the
  rest, ``mixture - vocals``; masks of several targets are independent sigmoids (they need
  not sum to one; a Wiener post-filter makes them consistent).
- **Input compression.** The network reads :math:`\log(1 + |X|)` followed by a learned
  per-frequency scale and offset (as Open-Unmix standardises its input, Stöter et al.,
  2019). Raw magnitudes (Spleeter) span 60-80 dB and make a tiny CPU model slow to train.
- **Frequency crop.** Only the lowest ``n_bins`` bins go through the network (Spleeter
  keeps 1024 of 2049, up to 11 kHz). Above the crop the mask is 0 (``mask_extension=
  "zeros"``: vocals hold ~1 % of their energy above 5.5 kHz) or the frame's mean mask
  (``"average"``, Spleeter's choice).
- **Any input size.** The frequency and time axes are zero-padded up to a multiple of
  ``2**depth`` before the encoder and the mask is cropped back: output size == input size.

Presets (:data:`UNET_PRESETS`): ``tiny`` (44.1 kHz, ``n_fft=2048``, hop 512, 256 bins = 0-5.5 kHz,
depth 5, 8..128 channels, ~0.6 M parameters; trains on two CPU cores in minutes) and
``full`` (Spleeter's sizes: ``n_fft=4096``, hop 1024, 1024 bins, depth 6, 16..512 channels,
~9.8 M parameters per target; for a GPU).

Examples
--------
>>> import torch
>>> from mssedu.models import MiniUNet
>>> model = MiniUNet.from_preset("tiny")
>>> mag = torch.rand(1, 2, 1025, 37)          # (batch, channels, freq, frames), any size
>>> model(mag).shape                          # (batch, targets, channels, freq, frames)
torch.Size([1, 1, 2, 1025, 37])
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from ..checks import check_finite
from ..errors import ParameterError
from .base import ModelSummary, SpectrogramModel, SpectrogramModelConfig, count_parameters

__all__ = ["UNetConfig", "UNET_PRESETS", "MiniUNet", "conv_output_size"]


@dataclass
class UNetConfig(SpectrogramModelConfig):
    """Everything needed to rebuild a :class:`MiniUNet` and its spectrogram front end.

    Attributes
    ----------
    sr : int
        Sample rate the model works at (Hz).
    n_fft, hop_length : int
        STFT frame and hop (Hann window, ``center=True``), as in :func:`mssedu.spectral.stft`.
    n_bins : int
        Frequency crop: the network sees bins ``0 .. n_bins - 1`` (``n_bins * sr / n_fft`` Hz).
    channels : tuple of int
        Output channels of the encoder blocks; its length is the depth.
    audio_channels : int
        2 for stereo (the channels are the image's input channels).
    targets : tuple of str
        One mask per target, e.g. ``("vocals",)`` or ``("drums", "bass", "other", "vocals")``.
    kernel_size : int
        5 in Jansson et al. and Spleeter.
    dropout : float
        Dropout rate of the first ``n_dropout`` decoder blocks (0.5, 3 in Spleeter).
    patch_frames : int
        Frames per training patch (and per chunk when separating).
    mask_extension : {"zeros", "average"}
        Mask above the frequency crop.
    """

    sr: int = 44100
    n_fft: int = 2048
    hop_length: int = 512
    n_bins: int = 256
    channels: tuple = (8, 16, 32, 64, 128)
    audio_channels: int = 2
    targets: tuple = ("vocals",)
    kernel_size: int = 5
    dropout: float = 0.5
    n_dropout: int = 3
    leaky_slope: float = 0.2
    patch_frames: int = 128
    mask_extension: str = "zeros"
    label = "U-Net"

    def __post_init__(self):
        self.channels = tuple(int(c) for c in self.channels)
        self.targets = tuple(str(t) for t in self.targets)
        if not self.channels or min(self.channels) < 1:
            raise ParameterError(f"channels must be a non-empty list of positive ints, got {self.channels}.")
        if not self.targets:
            raise ParameterError("targets must name at least one source, e.g. ('vocals',).")
        if self.n_bins < 1 or self.n_bins > self.n_fft // 2 + 1:
            raise ParameterError(f"n_bins={self.n_bins} must be between 1 and n_fft // 2 + 1 = "
                              f"{self.n_fft // 2 + 1}.")
        if self.kernel_size % 2 == 0:
            raise ParameterError(f"kernel_size must be odd (5 in the papers), got {self.kernel_size}.")
        if self.mask_extension not in ("zeros", "average"):
            raise ParameterError(f"mask_extension must be 'zeros' or 'average', got {self.mask_extension!r}.")
        if self.audio_channels < 1:
            raise ParameterError(f"audio_channels must be >= 1, got {self.audio_channels}.")

    @property
    def depth(self) -> int:
        return len(self.channels)


#: Named configurations. ``tiny``: CPU lab model; ``full``: Spleeter-sized, for a GPU.
UNET_PRESETS = {
    "tiny": dict(sr=44100, n_fft=2048, hop_length=512, n_bins=256,
                 channels=(8, 16, 32, 64, 128), patch_frames=128),
    "full": dict(sr=44100, n_fft=4096, hop_length=1024, n_bins=1024,
                 channels=(16, 32, 64, 128, 256, 512), patch_frames=512),
}


def conv_output_size(size: int, kernel_size: int = 5, stride: int = 2, padding: int = 2) -> int:
    r"""Length of a strided convolution's output along one axis.

    .. math:: n_{out} = \lfloor (n + 2p - k) / s \rfloor + 1

    (with ``k=5, s=2, p=2``: :math:`\lceil n/2 \rceil`).

    Parameters
    ----------
    size : int
        Input length :math:`n`.
    kernel_size, stride, padding : int
        :math:`k`, :math:`s`, :math:`p`.

    Returns
    -------
    int

    Examples
    --------
    >>> conv_output_size(513)
    257
    """
    return (int(size) + 2 * padding - kernel_size) // stride + 1


class _EncoderBlock(nn.Module):
    """Conv2d(k x k, stride 2) -> BatchNorm -> LeakyReLU: halves frequency and time."""

    def __init__(self, c_in, c_out, k, slope):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, stride=2, padding=k // 2)
        self.norm = nn.BatchNorm2d(c_out)
        self.act = nn.LeakyReLU(slope)

    def forward(self, x):
        return self.act(self.norm(self.conv(x)))


class _DecoderBlock(nn.Module):
    """ConvTranspose2d(k x k, stride 2) -> ReLU -> BatchNorm [-> Dropout]: doubles both axes."""

    def __init__(self, c_in, c_out, k, dropout):
        super().__init__()
        # output_padding=1 makes the output exactly twice the input: 2n, not 2n - 1
        self.conv = nn.ConvTranspose2d(c_in, c_out, k, stride=2, padding=k // 2, output_padding=1)
        self.act = nn.ReLU()
        self.norm = nn.BatchNorm2d(c_out)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x):
        return self.drop(self.norm(self.act(self.conv(x))))


class MiniUNet(SpectrogramModel):
    """Spectrogram U-Net that predicts one soft mask per target (see the module docstring).

    Parameters
    ----------
    config : UNetConfig, optional
        Defaults to the ``tiny`` preset. Keyword arguments override its fields.

    Shapes
    ------
    ``forward(mag)``: ``mag`` is the mixture magnitude ``(batch, audio_channels, freq,
    frames)`` with ``freq`` either the full ``n_fft // 2 + 1`` (the crop is applied inside)
    or exactly ``n_bins``; the result is the estimated magnitudes ``(batch, targets,
    audio_channels, freq, frames)``, or with ``return_mask=True`` the pair
    ``(estimate, mask)``.
    """

    kind = "unet"
    config_class = UNetConfig
    presets = UNET_PRESETS

    def __init__(self, config: UNetConfig | None = None, **overrides):
        super().__init__()
        if config is None:
            config = UNetConfig(**UNET_PRESETS["tiny"])
        if overrides:
            config = dataclasses.replace(config, **overrides)
        self.config = config
        c, k = config.channels, config.kernel_size
        n_out = len(config.targets) * config.audio_channels
        # input standardisation, one scale and offset per frequency bin (learned)
        self.input_scale = nn.Parameter(torch.ones(config.n_bins, 1))
        self.input_offset = nn.Parameter(torch.zeros(config.n_bins, 1))
        # encoder: audio_channels -> c[0] -> c[1] -> ... -> c[-1]
        ins = (config.audio_channels,) + c[:-1]
        self.encoder = nn.ModuleList(_EncoderBlock(a, b, k, config.leaky_slope) for a, b in zip(ins, c))
        # decoder: c[-1] -> c[-2] -> ... -> c[0] -> masks; inputs after the first are
        # concatenations [decoder output, encoder skip] of twice the channels
        dec_in = [c[-1]] + [2 * ch for ch in reversed(c[:-1])]
        dec_out = list(reversed(c[:-1])) + [n_out]
        self.decoder = nn.ModuleList()
        for i, (a, b) in enumerate(zip(dec_in, dec_out)):
            last = i == len(dec_in) - 1
            drop = config.dropout if i < config.n_dropout and not last else 0.0
            if last:  # the mask layer: no ReLU/BatchNorm, a sigmoid follows
                self.decoder.append(nn.ConvTranspose2d(a, b, k, stride=2, padding=k // 2, output_padding=1))
            else:
                self.decoder.append(_DecoderBlock(a, b, k, drop))

    # -- shapes ----------------------------------------------------------------------
    def _check_input(self, mag):
        cfg = self.config
        if not isinstance(mag, torch.Tensor):
            raise ParameterError(f"MiniUNet takes a torch tensor, got {type(mag).__name__}; "
                              "use torch.from_numpy(...) or UNetSeparator.separate for audio.")
        if mag.ndim == 3:
            mag = mag.unsqueeze(0)
        if mag.ndim != 4:
            raise ParameterError(f"Expected a magnitude spectrogram (batch, channels, freq, frames), "
                              f"got shape {tuple(mag.shape)}.")
        if mag.shape[1] != cfg.audio_channels:
            raise ParameterError(
                f"The model was built for {cfg.audio_channels} audio channel(s) but the input has "
                f"{mag.shape[1]}. Convert the audio first (mssedu.audio.to_stereo / to_mono).")
        if mag.shape[2] not in (cfg.n_freq, cfg.n_bins):
            raise ParameterError(
                f"The input has {mag.shape[2]} frequency bins; this model expects {cfg.n_freq} "
                f"(n_fft={cfg.n_fft}) or the crop of {cfg.n_bins}. Use the model's n_fft.")
        if mag.shape[3] < 1:
            raise ParameterError("The input has no frames; use at least n_fft samples of audio.")
        if mag.is_complex():
            raise ParameterError("Pass the magnitude |X| (real, >= 0), not the complex STFT.")
        check_finite(mag, "the magnitude spectrogram")
        return mag

    def forward(self, mag, return_mask: bool = False):
        """Estimate each target's magnitude.

        Parameters
        ----------
        mag : torch.Tensor
            Mixture magnitude ``(batch, audio_channels, freq, frames)`` (or without the
            batch axis), ``freq`` = ``n_fft // 2 + 1`` or ``n_bins``; finite, >= 0.
        return_mask : bool
            Also return the mask.

        Returns
        -------
        estimate : torch.Tensor
            ``(batch, targets, audio_channels, freq, frames)``.
        mask : torch.Tensor
            Same shape, in [0, 1]; only with ``return_mask=True``.
        """
        cfg = self.config
        mag = self._check_input(mag)
        batch, chans, n_freq, n_frames = mag.shape
        # 1. crop frequencies and pad both axes to a multiple of 2**depth
        x = mag[:, :, :cfg.n_bins]
        unit = 2 ** cfg.depth
        pad_f = (-x.shape[2]) % unit
        pad_t = (-n_frames) % unit
        x = torch.log1p(x) * self.input_scale + self.input_offset
        x = nn.functional.pad(x, (0, pad_t, 0, pad_f))
        # 2. encoder, keeping every block's output for the skip connections
        skips = []
        for block in self.encoder:
            x = block(x)
            skips.append(x)
        # 3. decoder: first block reads the bottleneck, the others [previous, skip]
        x = self.decoder[0](skips[-1])
        for block, skip in zip(self.decoder[1:], reversed(skips[:-1])):
            x = block(torch.cat([x, skip], dim=1))
        # 4. sigmoid mask, cropped back to the input size
        mask = torch.sigmoid(x)[:, :, :cfg.n_bins, :n_frames]
        mask = mask.reshape(batch, len(cfg.targets), chans, mask.shape[2], n_frames)
        if n_freq > cfg.n_bins:  # extend the mask above the crop
            rest = n_freq - cfg.n_bins
            if cfg.mask_extension == "zeros":
                high = mask.new_zeros(mask.shape[:3] + (rest, n_frames))
            else:
                high = mask.mean(dim=3, keepdim=True).expand(-1, -1, -1, rest, -1)
            mask = torch.cat([mask, high], dim=3)
        estimate = mask * mag.unsqueeze(1)
        return (estimate, mask) if return_mask else estimate

    # -- teaching helpers -------------------------------------------------------------
    def layer_table(self, frames: int | None = None) -> list:
        """The layers, their output shapes and parameter counts.

        Parameters
        ----------
        frames : int, optional
            Frames of the probe input ``(1, audio_channels, n_bins, frames)`` (default:
            one training patch).

        Returns
        -------
        list of dict
            One per layer: ``name``, ``layer`` (a short description), ``output`` (shape)
            and ``params``.
        """
        cfg = self.config
        frames = cfg.patch_frames if frames is None else int(frames)
        rows = [{"name": "input (cropped)", "layer": f"log(1+|X|), bins 0..{cfg.n_bins - 1}",
                 "output": (1, cfg.audio_channels, cfg.n_bins, frames), "params": 2 * cfg.n_bins}]
        hooks = []
        named = [(f"encoder.{i}", b) for i, b in enumerate(self.encoder)] + \
                [(f"decoder.{i}", b) for i, b in enumerate(self.decoder)]

        def grab(name, mod):
            def hook(_m, inp, out):
                rows.append({"name": name, "layer": _short_repr(mod),
                             "input": tuple(inp[0].shape), "output": tuple(out.shape),
                             "params": count_parameters(mod)})
            return hook

        for name, mod in named:
            hooks.append(mod.register_forward_hook(grab(name, mod)))
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                self(torch.zeros(1, cfg.audio_channels, cfg.n_bins, frames,
                                 device=self.input_scale.device))
        finally:
            for h in hooks:
                h.remove()
            self.train(was_training)
        rows.append({"name": "mask", "layer": "sigmoid, cropped to the input size",
                     "output": (1, len(cfg.targets), cfg.audio_channels, cfg.n_bins, frames),
                     "params": 0})
        return rows

    def summary(self, frames: int | None = None) -> "ModelSummary":
        """A table of layers, output shapes and parameter counts (for a patch of ``frames``).

        Shapes are ``(batch, channels, freq, frames)``; encoder blocks halve the last two,
        decoder blocks double them.

        Parameters
        ----------
        frames : int, optional
            Frames of the probe input (default: one training patch).

        Returns
        -------
        ModelSummary
            The table as text (a ``str``); a notebook shows it once, as plain text.
        """
        cfg = self.config
        rows = self.layer_table(frames)
        lines = [f"MiniUNet: targets={list(cfg.targets)}, sr={cfg.sr}, n_fft={cfg.n_fft}, "
                 f"hop={cfg.hop_length}, crop={cfg.n_bins} bins "
                 f"(0-{cfg.n_bins * cfg.sr / cfg.n_fft:.0f} Hz), depth={cfg.depth}",
                 f"{'layer':<16}{'what':<52}{'output shape':<26}{'params':>10}",
                 "-" * 104]
        for r in rows:
            lines.append(f"{r['name']:<16}{r['layer'][:51]:<52}{str(r['output']):<26}{r['params']:>10,}")
        lines.append("-" * 104)
        lines.append(f"total trainable parameters: {self.num_parameters():,}")
        return ModelSummary("\n".join(lines))

    def feature_maps(self, mag) -> dict:
        """Outputs of every encoder and decoder block for one input (eval mode, no grad).

        Parameters
        ----------
        mag : torch.Tensor
            As :meth:`forward`.

        Returns
        -------
        dict
            ``{"encoder.0": (channels, freq, frames) array, ..., "mask": ...}``.
        """
        maps = {}
        hooks = []
        named = [(f"encoder.{i}", b) for i, b in enumerate(self.encoder)] + \
                [(f"decoder.{i}", b) for i, b in enumerate(self.decoder)]
        for name, mod in named:
            hooks.append(mod.register_forward_hook(
                lambda _m, _i, out, name=name: maps.__setitem__(name, out[0].detach().cpu().numpy())))
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                _, mask = self(mag, return_mask=True)
        finally:
            for h in hooks:
                h.remove()
            self.train(was_training)
        maps["mask"] = mask[0].reshape(-1, *mask.shape[-2:]).cpu().numpy()
        return maps


def _short_repr(mod) -> str:
    if isinstance(mod, _EncoderBlock):
        c = mod.conv
        return f"Conv2d {c.in_channels}->{c.out_channels} {c.kernel_size[0]}x{c.kernel_size[1]}/2 +BN +LeakyReLU"
    if isinstance(mod, _DecoderBlock):
        c = mod.conv
        drop = " +Dropout" if isinstance(mod.drop, nn.Dropout) else ""
        return (f"ConvT2d {c.in_channels}->{c.out_channels} {c.kernel_size[0]}x{c.kernel_size[1]}/2 "
                f"+ReLU +BN{drop}")
    if isinstance(mod, nn.ConvTranspose2d):
        return (f"ConvT2d {mod.in_channels}->{mod.out_channels} "
                f"{mod.kernel_size[0]}x{mod.kernel_size[1]}/2 (mask logits)")
    return type(mod).__name__
