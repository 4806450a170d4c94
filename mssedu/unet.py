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

Presets (:data:`PRESETS`): ``tiny`` (44.1 kHz, ``n_fft=2048``, hop 512, 256 bins = 0-5.5 kHz,
depth 5, 8..128 channels, ~0.6 M parameters; trains on two CPU cores in minutes) and
``full`` (Spleeter's sizes: ``n_fft=4096``, hop 1024, 1024 bins, depth 6, 16..512 channels,
~9.8 M parameters per target; for a GPU).

Examples
--------
>>> import torch
>>> from mssedu.unet import MiniUNet
>>> model = MiniUNet.from_preset("tiny")
>>> mag = torch.rand(1, 2, 1025, 37)          # (batch, channels, freq, frames), any size
>>> model(mag).shape                          # (batch, targets, channels, freq, frames)
torch.Size([1, 1, 2, 1025, 37])
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from .errors import ParameterError

try:  # torch is a hard dependency, but keep `import mssedu.unet` readable in docs builds
    import torch
    from torch import nn
except ImportError:  # pragma: no cover
    torch = None
    nn = None

__all__ = ["UNetConfig", "PRESETS", "MiniUNet", "UNetSeparator", "count_parameters",
           "conv_output_size", "shipped_checkpoint"]


@dataclass
class UNetConfig:
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

    @property
    def n_freq(self) -> int:
        """Bins of the full STFT, ``n_fft // 2 + 1``."""
        return self.n_fft // 2 + 1

    @property
    def patch_samples(self) -> int:
        """Samples of audio that give exactly ``patch_frames`` STFT frames (``center=True``)."""
        return (self.patch_frames - 1) * self.hop_length

    def to_dict(self) -> dict:
        """Plain types only (so a checkpoint loads with ``weights_only=True``)."""
        d = dataclasses.asdict(self)
        d["channels"] = list(self.channels)
        d["targets"] = list(self.targets)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "UNetConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ParameterError(f"Unknown U-Net config keys {sorted(unknown)}; known: {sorted(known)}.")
        return cls(**d)


#: Named configurations. ``tiny``: CPU lab model; ``full``: Spleeter-sized, for a GPU.
PRESETS = {
    "tiny": dict(sr=44100, n_fft=2048, hop_length=512, n_bins=256,
                 channels=(8, 16, 32, 64, 128), patch_frames=128),
    "full": dict(sr=44100, n_fft=4096, hop_length=1024, n_bins=1024,
                 channels=(16, 32, 64, 128, 256, 512), patch_frames=512),
}


def shipped_checkpoint(name: str = "unet_tiny_vocals") -> str:
    """Path of a checkpoint that ships with mssedu (``mssedu/checkpoints/<name>.pt``).

    ``unet_tiny_vocals``: the ``tiny`` preset trained for 5 minutes on two CPU cores on
    synthetic songs only (see ``mssedu/checkpoints/README.md`` for exactly how); load it
    with ``UNetSeparator.from_checkpoint(shipped_checkpoint())``."""
    from pathlib import Path

    path = Path(__file__).parent / "checkpoints" / f"{name}.pt"
    if not path.is_file():
        raise ParameterError(f"No shipped checkpoint {name!r} (looked for {path}). Train one with "
                          "mssedu.train.train(...) and pass its path instead.")
    return str(path)


def conv_output_size(size: int, kernel_size: int = 5, stride: int = 2, padding: int = 2) -> int:
    r"""Length of a strided convolution's output along one axis,
    :math:`\lfloor (n + 2p - k) / s \rfloor + 1` (with ``k=5, s=2, p=2``: :math:`\lceil n/2 \rceil`)."""
    return (int(size) + 2 * padding - kernel_size) // stride + 1


def count_parameters(module) -> int:
    """Number of trainable parameters (weights and biases) of a torch module."""
    return int(sum(p.numel() for p in module.parameters() if p.requires_grad))


class _EncoderBlock(nn.Module if nn else object):
    """Conv2d(k x k, stride 2) -> BatchNorm -> LeakyReLU: halves frequency and time."""

    def __init__(self, c_in, c_out, k, slope):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, stride=2, padding=k // 2)
        self.norm = nn.BatchNorm2d(c_out)
        self.act = nn.LeakyReLU(slope)

    def forward(self, x):
        return self.act(self.norm(self.conv(x)))


class _DecoderBlock(nn.Module if nn else object):
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


class MiniUNet(nn.Module if nn else object):
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

    def __init__(self, config: UNetConfig | None = None, **overrides):
        super().__init__()
        if config is None:
            config = UNetConfig(**PRESETS["tiny"])
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

    @classmethod
    def from_preset(cls, name: str = "tiny", **overrides) -> "MiniUNet":
        """Build a named configuration (:data:`PRESETS`), with optional field overrides."""
        if name not in PRESETS:
            raise ParameterError(f"Unknown preset {name!r}; choose one of {sorted(PRESETS)}.")
        return cls(UNetConfig(**{**PRESETS[name], **overrides}))

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
        return mag

    def forward(self, mag, return_mask: bool = False):
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
    def num_parameters(self) -> int:
        return count_parameters(self)

    def layer_table(self, frames: int | None = None) -> list:
        """One dict per layer: ``name``, ``layer`` (its repr), ``output`` shape (for an input of
        ``(1, audio_channels, n_bins, frames)``) and ``params``."""
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

    def summary(self, frames: int | None = None, print_it: bool = True) -> str:
        """A table of layers, output shapes and parameter counts (for a patch of ``frames``).

        Shapes are ``(batch, channels, freq, frames)``; encoder blocks halve the last two,
        decoder blocks double them."""
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
        text = "\n".join(lines)
        if print_it:
            print(text)
        return text

    def feature_maps(self, mag) -> dict:
        """Outputs of every encoder and decoder block for one input (eval mode, no grad):
        ``{"encoder.0": (channels, freq, frames) numpy, ..., "mask": ...}`` for display."""
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


def _chunk_weights(length: int, overlap: int, fade_in: bool, fade_out: bool) -> np.ndarray:
    """Cross-fade weights of one chunk: a linear ramp up over the first ``overlap`` frames
    (unless it is the first chunk) and down over the last ``overlap`` (unless it is the last).
    Neighbouring ramps sum to one, so the blended mask is a proper weighted average."""
    w = np.ones(length, dtype=np.float32)
    ramp = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap if overlap else np.ones(0, np.float32)
    if fade_in and overlap:
        w[:overlap] = ramp
    if fade_out and overlap:
        w[-overlap:] = np.minimum(w[-overlap:], ramp[::-1])
    return w


class UNetSeparator:
    r"""A trained :class:`MiniUNet` behind the course's separator interface
    (:class:`mssedu.separator.Separator`).

    ``separate(signal)`` computes the STFT of the whole signal, runs the network over
    overlapping chunks of ``chunk_frames`` frames (fully convolutional, so any length
    works; chunks bound the memory), cross-fades the chunk masks with trapezoid weights
    :math:`M = \sum_k w_k M_k / \sum_k w_k`, applies them to the complex mixture STFT and
    inverts.

    Parameters
    ----------
    model : MiniUNet
        In eval mode during separation (dropout off, batch-norm running statistics).
    wiener : bool
        Post-filter: turn the estimated magnitudes :math:`\hat V_j = M_j |X|` (plus the
        accompaniment :math:`(1 - M)|X|` for a one-target model) into Wiener gains
        :math:`\hat V_j^2 / \sum_k \hat V_k^2` (:func:`mssedu.masks` chapter): sharper
        masks, less bleed, a little more "musical noise".
    chunk_frames, overlap_frames : int
        Chunk length and overlap in STFT frames (default: 4 patches, a quarter overlap).
    device : str
        ``"auto"`` (CUDA > MPS > CPU) or a torch device name.

    Attributes
    ----------
    name, sr, sources : see :class:`mssedu.separator.Separator`. ``sources`` is the
        model's targets, plus ``"accompaniment"`` (mixture minus the target) for a
        one-target model.

    Examples
    --------
    >>> import numpy as np
    >>> sep = UNetSeparator(MiniUNet.from_preset("tiny"))      # untrained: masks near 0.5
    >>> out = sep.separate(np.zeros((2, 44100), np.float32), progress=False)
    >>> sorted(out), out["vocals"].shape
    (['accompaniment', 'vocals'], (2, 44100))
    """

    def __init__(self, model: "MiniUNet", wiener: bool = False, chunk_frames: int | None = None,
                 overlap_frames: int | None = None, device="auto", name: str | None = None):
        from .config import torch_device

        if not isinstance(model, MiniUNet):
            raise ParameterError(f"UNetSeparator needs a MiniUNet, got {type(model).__name__}; "
                              "load one with mssedu.train.load_checkpoint(path).")
        self.model = model
        self.config = model.config
        self.device = torch_device(device)
        self.model.to(self.device).eval()
        self.wiener = bool(wiener)
        self.chunk_frames = int(chunk_frames or 4 * self.config.patch_frames)
        self.overlap_frames = int(self.chunk_frames // 4 if overlap_frames is None else overlap_frames)
        if self.chunk_frames < 1 or not 0 <= self.overlap_frames < self.chunk_frames:
            raise ParameterError(f"Need chunk_frames >= 1 and 0 <= overlap_frames < chunk_frames, got "
                              f"{self.chunk_frames} and {self.overlap_frames}.")
        self.name = name or f"mini U-Net ({'+'.join(self.config.targets)}{', Wiener' if wiener else ''})"
        self.sr = self.config.sr
        self.sources = list(self.config.targets)
        if len(self.sources) == 1:
            self.sources.append("accompaniment")

    @classmethod
    def from_checkpoint(cls, path, **kwargs) -> "UNetSeparator":
        """Load a checkpoint written by :func:`mssedu.train.train` (``weights_only=True``)."""
        from .train import load_checkpoint

        model, _ = load_checkpoint(path)
        return cls(model, **kwargs)

    def _check_signal(self, signal) -> np.ndarray:
        from .errors import as_signal, ParameterError

        x = as_signal(signal, "signal", min_samples=self.config.n_fft)
        if x.ndim != 2 or x.shape[0] != self.config.audio_channels:
            raise ParameterError(
                f"This model separates {self.config.audio_channels}-channel signals shaped "
                f"(channels, samples); got shape {x.shape}. Use mssedu.audio.to_stereo / to_mono, "
                "or mssedu.pretrained.separate, which converts for you.")
        return x

    def predict_mask(self, signal, progress: bool = False) -> np.ndarray:
        """The network's masks for ``signal``: ``(targets, channels, freq, frames)`` in [0, 1]
        (before any Wiener post-filter), on the STFT grid of the model's config."""
        from .spectral import stft

        x = self._check_signal(signal)
        cfg = self.config
        X = stft(torch.from_numpy(x).to(self.device), cfg.n_fft, cfg.hop_length)
        return self._masks(X.abs(), progress).cpu().numpy()

    def _masks(self, mag, progress: bool):
        """Chunked, cross-faded masks for a ``(channels, freq, frames)`` magnitude."""
        n = mag.shape[-1]
        L, ov = self.chunk_frames, self.overlap_frames
        starts = [0]
        while starts[-1] + L < n:
            starts.append(starts[-1] + L - ov)
        total = None
        weight = torch.zeros(n, device=mag.device)
        it = starts
        if progress and len(starts) > 1:
            from tqdm.auto import tqdm

            it = tqdm(starts, desc="U-Net chunks", leave=False)
        with torch.no_grad():
            for k, a in enumerate(it):
                b = min(a + L, n)
                _, m = self.model(mag[None, :, :, a:b], return_mask=True)
                w = torch.from_numpy(_chunk_weights(b - a, ov, fade_in=k > 0,
                                                    fade_out=k < len(starts) - 1)).to(mag.device)
                if total is None:
                    total = torch.zeros(m.shape[1:-1] + (n,), device=mag.device)
                total[..., a:b] += m[0].float() * w
                weight[a:b] += w
        return total / weight.clamp_min(1e-8)

    def _wiener_gains(self, mask, mag) -> np.ndarray:
        r"""Wiener gains :math:`\hat V_j^2 / \sum_k \hat V_k^2` from the network's magnitude
        estimates :math:`\hat V_j = M_j |X|` (with the rest :math:`(1 - M)|X|` as the
        accompaniment of a one-target model), via :func:`mssedu.masks.ideal_ratio_mask`
        with ``alpha=2``: the same formula as the oracle Wiener mask, fed with estimates."""
        from .masks import ideal_ratio_mask

        est = (mask * mag).cpu().numpy()                           # (S, C, F, N)
        if est.shape[0] == 1:
            est = np.concatenate([est, ((1 - mask) * mag).cpu().numpy()], axis=0)
        power = est.astype(np.float64) ** 2
        gains = []
        for j in range(len(self.config.targets)):
            others = np.sqrt(np.maximum(power.sum(axis=0) - power[j], 0.0))
            gains.append(ideal_ratio_mask(est[j], others, alpha=2))
        return np.stack(gains).astype(np.float32)

    def separate(self, signal, progress: bool = True) -> dict:
        """Separate ``signal`` (float32 ``(channels, samples)`` at ``self.sr``) into
        ``{source: (channels, samples)}``."""
        from .spectral import istft, stft

        x = self._check_signal(signal)
        cfg = self.config
        xt = torch.from_numpy(x).to(self.device)
        X = stft(xt, cfg.n_fft, cfg.hop_length)
        mask = self._masks(X.abs(), progress)                     # (S, C, F, N)
        if self.wiener:
            mask = torch.from_numpy(self._wiener_gains(mask, X.abs())).to(X.device)
        out = {}
        for j, name in enumerate(cfg.targets):
            y = istft(mask[j] * X, cfg.hop_length, length=x.shape[-1], n_fft=cfg.n_fft)
            out[name] = y.cpu().numpy().astype(np.float32)
        if len(cfg.targets) == 1:
            out["accompaniment"] = (x - out[cfg.targets[0]]).astype(np.float32)
        return out

    def __repr__(self) -> str:
        return (f"UNetSeparator({self.name!r}, sr={self.sr}, sources={self.sources}, "
                f"{self.model.num_parameters():,} parameters)")
