r"""BS-RoFormer (Lu, Wang, Kong & Hung, 2024): band-split, then Transformers across time and bands.

The stereo STFT (2048 points, hop 441 at 44.1 kHz) is cut into 62 frequency bands, narrow
at the bottom (2 bins) and wide at the top (128 bins). Each band's complex values (real and
imaginary parts of both channels) are normalised (RMSNorm) and projected to a
``dim``-vector, giving a grid of ``(frames, bands)`` tokens. Each of ``depth`` blocks then
runs a Transformer along *time* within every band, and one along *frequency* (across the
bands) within every frame, both with rotary position embeddings (RoPE), whose attention
scores depend only on the distance between positions:

.. math::  \mathrm{score}(m, n) = \langle R_m q, R_n k \rangle = \langle q, R_{n-m} k \rangle,

:math:`R_m` rotating each pair of features by the angle :math:`m\,\theta_i`. A small MLP
per band and stem maps the tokens back to a complex mask (GLU output), which multiplies
the mixture's STFT; the inverse STFT gives the stem. It reached 9.8 dB SDR on MUSDB18-HQ
(no extra data) and won the SDX'23 challenge.

This file is mssedu's own implementation of the architecture as the community publishes
its checkpoints (lucidrains' ``BS-RoFormer`` layout, as used by ZFTurbo's
Music-Source-Separation-Training): the same parameter names, and the same YAML
configuration (``audio:``, ``model:``, ``training:``, ``inference:`` sections), so those
files load unchanged (:func:`~mssedu.separation.families.load_roformer`). It needs only
torch (no einops, beartype or rotary-embedding package).

References
----------
Lu, W.-T., Wang, J.-C., Kong, Q. & Hung, Y.-N. (2024). Music Source Separation with
Band-Split RoPE Transformer. ICASSP.

Examples
--------
>>> net = BSRoFormer(**{**SMALL_CONFIG["model"], "dim": 16, "depth": 1})
>>> net(torch.zeros(1, 2, 4410)).shape   # (batch, stems, channels, samples)
torch.Size([1, 4, 2, 4410])
"""
from __future__ import annotations

import librosa
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..audio import as_signal
from ..chunking import overlap_add
from ..config import torch_device
from ..errors import ParameterError

__all__ = ["BSRoFormer", "MelRoFormer", "RoFormerSeparator", "SMALL_CONFIG", "DEFAULT_BANDS", "roformer_kwargs",
           "roformer_sources", "roformer_class", "mel_bands", "SMALL_MEL_CONFIG"]

#: Bins per band of the published models (2048-point STFT: 1025 bins in 62 bands).
DEFAULT_BANDS = (2,) * 24 + (4,) * 12 + (12,) * 8 + (24,) * 8 + (48,) * 8 + (128, 129)

#: A small configuration of the real architecture (``bs-roformer-random``): the published
#: STFT and bands, a narrow and shallow Transformer (fast on a laptop, meaningless output).
SMALL_CONFIG = {
    "audio": {"chunk_size": 88200, "num_channels": 2, "sample_rate": 44100},
    "model": {"dim": 32, "depth": 1, "stereo": True, "num_stems": 4, "time_transformer_depth": 1,
              "freq_transformer_depth": 1, "freqs_per_bands": DEFAULT_BANDS, "dim_head": 16,
              "heads": 2, "stft_n_fft": 2048, "stft_hop_length": 441, "stft_win_length": 2048,
              "mask_estimator_depth": 2, "mlp_expansion_factor": 2},
    "training": {"instruments": ["drums", "bass", "other", "vocals"], "target_instrument": None},
    "inference": {"num_overlap": 2},
}

#: A small Mel-RoFormer (``mel-roformer-random``): 60 mel bands, narrow and shallow.
SMALL_MEL_CONFIG = {**SMALL_CONFIG, "model": {
    "dim": 32, "depth": 1, "stereo": True, "num_stems": 4, "time_transformer_depth": 1,
    "freq_transformer_depth": 1, "num_bands": 60, "sample_rate": 44100, "dim_head": 16, "heads": 2,
    "stft_n_fft": 2048, "stft_hop_length": 441, "stft_win_length": 2048, "mask_estimator_depth": 1,
    "mlp_expansion_factor": 2}}

# what the architecture takes; the rest of a published ``model:`` section is for training
_ARCH_KEYS = {"dim", "depth", "stereo", "num_stems", "time_transformer_depth", "freq_transformer_depth",
              "freqs_per_bands", "dim_head", "heads", "stft_n_fft", "stft_hop_length",
              "stft_win_length", "stft_normalized", "mask_estimator_depth", "mlp_expansion_factor",
              "num_bands", "sample_rate"}
_TRAINING_KEYS = {"attn_dropout", "ff_dropout", "flash_attn", "dim_freqs_in", "multi_stft_resolution_loss_weight",
                  "multi_stft_resolutions_window_sizes", "multi_stft_hop_size", "multi_stft_normalized",
                  "use_torch_checkpoint", "sage_attention", "linear_transformer_depth", "skip_connection"}


class _RMSNorm(nn.Module):
    """x / ||x|| * sqrt(dim) * gamma (the key ``gamma`` as published)."""

    def __init__(self, dim: int):
        super().__init__()
        self.scale = dim ** 0.5
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return F.normalize(x, dim=-1) * self.scale * self.gamma


class _Rotary(nn.Module):
    """Rotary embedding: feature pairs (2i, 2i+1) of position m rotated by m * freqs[i]."""

    def __init__(self, dim: int, theta: float = 10000.0):
        super().__init__()
        freqs = 1.0 / theta ** (torch.arange(0, dim, 2)[: dim // 2].float() / dim)
        self.freqs = nn.Parameter(freqs, requires_grad=False)    # stored in the published files

    def forward(self, x):                                        # (..., n, d)
        angles = torch.arange(x.shape[-2], device=x.device, dtype=torch.float32)[:, None] * self.freqs
        angles = angles.repeat_interleave(2, dim=-1)             # (n, d): each angle twice
        pairs = x.float().unflatten(-1, (-1, 2))
        rotated = torch.stack((-pairs[..., 1], pairs[..., 0]), dim=-1).flatten(-2)
        return (x.float() * angles.cos() + rotated * angles.sin()).type_as(x)


class _Attention(nn.Module):
    """Multi-head self-attention with RoPE and a sigmoid gate per head."""

    def __init__(self, dim: int, heads: int, dim_head: int, rotary: _Rotary):
        super().__init__()
        self.heads, self.rotary_embed = heads, rotary
        self.norm = _RMSNorm(dim)
        self.to_qkv = nn.Linear(dim, 3 * heads * dim_head, bias=False)
        self.to_gates = nn.Linear(dim, heads)
        self.to_out = nn.Sequential(nn.Linear(heads * dim_head, dim, bias=False))

    def forward(self, x):                                        # (b, n, dim)
        x = self.norm(x)
        q, k, v = self.to_qkv(x).unflatten(-1, (3, self.heads, -1)).permute(2, 0, 3, 1, 4)
        q, k = self.rotary_embed(q), self.rotary_embed(k)        # (b, h, n, d) each
        out = F.scaled_dot_product_attention(q, k, v)
        out = out * self.to_gates(x).transpose(1, 2)[..., None].sigmoid()
        return self.to_out(out.transpose(1, 2).flatten(-2))


class _Transformer(nn.Module):
    """Pre-norm residual layers of attention and feed-forward (GELU, 4x wide)."""

    def __init__(self, dim: int, depth: int, heads: int, dim_head: int, rotary: _Rotary, norm_output: bool):
        super().__init__()
        self.layers = nn.ModuleList(nn.ModuleList([
            _Attention(dim, heads, dim_head, rotary),
            nn.Module()]) for _ in range(depth))
        for layer in self.layers:                                # net.0/1/4 as published
            layer[1].net = nn.Sequential(_RMSNorm(dim), nn.Linear(dim, 4 * dim), nn.GELU(),
                                         nn.Dropout(0.0), nn.Linear(4 * dim, dim))
        self.norm = _RMSNorm(dim) if norm_output else nn.Identity()   # Mel-RoFormer's: each output

    def forward(self, x):
        for attn, ff in self.layers:
            x = attn(x) + x
            x = ff.net(x) + x
        return self.norm(x)


def _mask_mlp(dim: int, dim_in: int, n_linear: int, hidden: int) -> nn.Sequential:
    """Tokens of one band -> its complex mask values: ``n_linear`` linear layers (tanh between),
    doubled width, then a GLU halves it."""
    sizes = [dim] + [hidden] * (n_linear - 1) + [2 * dim_in]
    layers = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [nn.Linear(a, b)] + ([nn.Tanh()] if k < len(sizes) - 2 else [])
    return nn.Sequential(nn.Sequential(*layers), nn.GLU(dim=-1))


def _build_trunk(model: nn.Module, dim: int, depth: int, time_depth: int, freq_depth: int, heads: int,
                 dim_head: int, n_linear: int, hidden: int, norm_output: bool) -> None:
    """The layers both RoFormers share, named as published: band projections, ``depth`` pairs
    of (time, frequency) Transformers, one mask MLP per band and stem (``model.band_dims``)."""
    time_rope, freq_rope = _Rotary(dim_head), _Rotary(dim_head)   # shared by all blocks
    model.layers = nn.ModuleList(nn.ModuleList([
        _Transformer(dim, time_depth, heads, dim_head, time_rope, norm_output),
        _Transformer(dim, freq_depth, heads, dim_head, freq_rope, norm_output)]) for _ in range(depth))
    model.band_split = nn.Module()
    model.band_split.to_features = nn.ModuleList(
        nn.Sequential(_RMSNorm(d), nn.Linear(d, dim)) for d in model.band_dims)
    model.mask_estimators = nn.ModuleList()
    for _ in range(model.num_stems):
        estimator = nn.Module()
        estimator.to_freqs = nn.ModuleList(_mask_mlp(dim, d, n_linear, hidden) for d in model.band_dims)
        model.mask_estimators.append(estimator)


class BSRoFormer(nn.Module):
    """The band-split RoPE Transformer: waveform ``(batch, channels, samples)`` -> stems
    ``(batch, stems, channels, samples)`` (``(batch, channels, samples)`` for one stem).

    Parameters
    ----------
    dim, depth : int
        Token width; number of (time, frequency) Transformer pairs.
    stereo : bool
        Two channels (else one).
    num_stems : int
        Masks estimated.
    time_transformer_depth, freq_transformer_depth : int
        Layers of each Transformer.
    freqs_per_bands : tuple of int
        Bins per band; they sum to ``stft_n_fft // 2 + 1``.
    dim_head, heads : int
        Attention heads and their width.
    stft_n_fft, stft_hop_length, stft_win_length : int
        The STFT (Hann window).
    stft_normalized : bool
        torch.stft's ``normalized``.
    mask_estimator_depth : int
        Linear layers of each mask MLP.
    mlp_expansion_factor : int
        Hidden width of the mask MLPs, in multiples of ``dim``.
    """

    def __init__(self, dim: int, depth: int, stereo: bool = False, num_stems: int = 1,
                 time_transformer_depth: int = 2, freq_transformer_depth: int = 2,
                 freqs_per_bands=DEFAULT_BANDS, dim_head: int = 64, heads: int = 8,
                 stft_n_fft: int = 2048, stft_hop_length: int = 512, stft_win_length: int = 2048,
                 stft_normalized: bool = False, mask_estimator_depth: int = 2, mlp_expansion_factor: int = 4):
        super().__init__()
        self.channels, self.num_stems = 2 if stereo else 1, int(num_stems)
        if sum(freqs_per_bands) != stft_n_fft // 2 + 1 or len(freqs_per_bands) < 2:
            raise ParameterError(f"freqs_per_bands must cover the {stft_n_fft // 2 + 1} bins of a "
                                 f"{stft_n_fft}-point STFT in at least 2 bands; they sum to "
                                 f"{sum(freqs_per_bands)}. Check the model: section of the config.")
        self.stft_kwargs = dict(n_fft=stft_n_fft, hop_length=stft_hop_length, win_length=stft_win_length,
                                normalized=stft_normalized)
        self.band_dims = tuple(2 * f * self.channels for f in freqs_per_bands)   # re, im per channel
        self.freq_indices = None                                                # bands cut, not picked
        _build_trunk(self, dim, depth, time_transformer_depth, freq_transformer_depth, heads, dim_head,
                     mask_estimator_depth, dim * mlp_expansion_factor, norm_output=False)
        self.final_norm = _RMSNorm(dim)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """Separate a batch.

        Parameters
        ----------
        audio : torch.Tensor
            ``(batch, channels, samples)``.

        Returns
        -------
        torch.Tensor
            ``(batch, stems, channels, samples)``; ``(batch, channels, samples)`` for one stem.
        """
        b, c, n = audio.shape
        window = torch.hann_window(self.stft_kwargs["win_length"], device=audio.device)
        spec = torch.stft(audio.reshape(b * c, n), **self.stft_kwargs, window=window, return_complex=True)
        spec = spec.unflatten(0, (b, c)).transpose(1, 2).flatten(1, 2)     # (b, bins*c, t): bin-major
        picked = spec if self.freq_indices is None else spec[:, self.freq_indices]   # Mel: overlapping
        feats = torch.view_as_real(picked).transpose(1, 2).flatten(2)      # (b, t, bins*c*2)
        x = torch.stack([net(part) for net, part in zip(self.band_split.to_features,
                                                        feats.split(self.band_dims, dim=-1))], dim=-2)
        for time_tf, freq_tf in self.layers:                               # x: (b, t, bands, dim)
            t, k = x.shape[1], x.shape[2]
            x = time_tf(x.transpose(1, 2).flatten(0, 1)).unflatten(0, (b, k)).transpose(1, 2)
            x = freq_tf(x.flatten(0, 1)).unflatten(0, (b, t))
        x = self.final_norm(x)
        masks = torch.stack([torch.cat([mlp(band) for mlp, band in zip(est.to_freqs, x.unbind(dim=-2))],
                                       dim=-1) for est in self.mask_estimators], dim=1)  # (b, s, t, bins*c*2)
        masks = torch.view_as_complex(masks.unflatten(-1, (-1, 2)).transpose(2, 3).contiguous())
        if self.freq_indices is not None:          # a bin in several bands: the mean of its masks
            summed = masks.new_zeros(masks.shape[:2] + spec.shape[1:]).index_add_(2, self.freq_indices, masks)
            masks = summed / self.bands_per_bin[:, None]
        out = spec[:, None] * masks                                        # (b, s, bins*c, t)
        out = out.unflatten(2, (-1, c)).transpose(2, 3).flatten(0, 2)      # (b*s*c, bins, t)
        y = torch.istft(out, **self.stft_kwargs, window=window, length=n).unflatten(0, (b, -1, c))
        return y[:, 0] if self.num_stems == 1 else y


def mel_bands(sample_rate: int = 44100, n_fft: int = 2048, num_bands: int = 60) -> torch.Tensor:
    """Which STFT bins each Mel-RoFormer band holds: the non-zero support of each triangle of
    librosa's mel filter bank (the first and last bins forced in), so neighbours overlap.

    Parameters
    ----------
    sample_rate : int
        Hz.
    n_fft : int
        FFT size.
    num_bands : int
        Mel bands.

    Returns
    -------
    torch.Tensor
        bool ``(num_bands, n_fft // 2 + 1)``; every bin is in at least one band.

    Examples
    --------
    >>> bands = mel_bands()
    >>> tuple(bands.shape), bool(bands.any(dim=0).all())
    ((60, 1025), True)
    """
    fb = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=num_bands)
    fb[0, 0] = fb[-1, -1] = 1.0        # the published models' convention: DC and Nyquist covered
    return torch.from_numpy(fb > 0)


class MelRoFormer(BSRoFormer):
    """Mel-RoFormer (Wang, Lu, Won et al., 2024): BS-RoFormer with overlapping mel-scale bands;
    a bin's mask is the mean of its bands' masks. Layers as published: every Transformer ends
    with an RMSNorm, no final norm, ``mask_estimator_depth + 1`` linear layers per mask MLP.

    Parameters
    ----------
    dim, depth, stereo, num_stems, time_transformer_depth, freq_transformer_depth : int or bool
        As :class:`BSRoFormer`.
    num_bands : int
        Mel bands.
    sample_rate : int
        For the mel scale.
    dim_head, heads, stft_n_fft, stft_hop_length, stft_win_length, stft_normalized : int or bool
        As :class:`BSRoFormer`.
    mask_estimator_depth, mlp_expansion_factor : int
        As :class:`BSRoFormer` (one more linear layer per MLP).
    """

    def __init__(self, dim: int, depth: int, stereo: bool = False, num_stems: int = 1,
                 time_transformer_depth: int = 2, freq_transformer_depth: int = 2, num_bands: int = 60,
                 sample_rate: int = 44100, dim_head: int = 64, heads: int = 8, stft_n_fft: int = 2048,
                 stft_hop_length: int = 512, stft_win_length: int = 2048, stft_normalized: bool = False,
                 mask_estimator_depth: int = 1, mlp_expansion_factor: int = 4):
        nn.Module.__init__(self)
        self.channels, self.num_stems = 2 if stereo else 1, int(num_stems)
        self.stft_kwargs = dict(n_fft=stft_n_fft, hop_length=stft_hop_length, win_length=stft_win_length,
                                normalized=stft_normalized)
        bands = mel_bands(sample_rate, stft_n_fft, num_bands)
        bins = torch.arange(bands.shape[1]).expand_as(bands)[bands]        # band by band, ascending
        c = self.channels                                                  # bin f of channel s: f c + s
        self.register_buffer("freq_indices", (bins[:, None] * c + torch.arange(c)).flatten(), persistent=False)
        self.register_buffer("bands_per_bin", bands.sum(0).repeat_interleave(c), persistent=False)
        self.band_dims = tuple(2 * int(k) * c for k in bands.sum(1))
        _build_trunk(self, dim, depth, time_transformer_depth, freq_transformer_depth, heads, dim_head,
                     mask_estimator_depth + 1, dim * mlp_expansion_factor, norm_output=True)
        self.final_norm = nn.Identity()


def roformer_kwargs(model_section: dict, what: str = "config") -> dict:
    """The :class:`BSRoFormer` (or :class:`MelRoFormer`) arguments of a published config's
    ``model:`` section.

    Parameters
    ----------
    model_section : dict
        The ``model:`` mapping of a ZFTurbo-style YAML file.
    what : str
        The file, for messages.

    Returns
    -------
    dict
        Only the architecture's arguments (dropout, loss and training settings dropped).

    Raises
    ------
    ParameterError
        An unknown key, or a variant this implementation does not build (linear
        attention, skip connections).
    """
    if not isinstance(model_section, dict):
        raise ParameterError(f"{what}: the model: section must be a mapping of settings.")
    unknown = sorted(set(model_section) - _ARCH_KEYS - _TRAINING_KEYS)
    if unknown:
        raise ParameterError(f"{what}: unknown RoFormer settings {unknown}; mssedu builds the "
                             "published BS-RoFormer and Mel-RoFormer layouts.")
    if model_section.get("linear_transformer_depth") or model_section.get("skip_connection"):
        raise ParameterError(f"{what}: linear attention layers and skip connections are variants "
                             "mssedu does not build; use a checkpoint without them.")
    mel = "num_bands" in model_section           # Mel-RoFormer: bands from the mel scale
    keep = _ARCH_KEYS - ({"freqs_per_bands"} if mel else {"num_bands", "sample_rate"})
    return {k: (tuple(v) if k == "freqs_per_bands" else v) for k, v in model_section.items() if k in keep}


def roformer_class(model_section: dict):
    """The class a config's ``model:`` section describes.

    Parameters
    ----------
    model_section : dict
        The ``model:`` mapping.

    Returns
    -------
    type
        :class:`MelRoFormer` when it sets ``num_bands``, else :class:`BSRoFormer`.
    """
    return MelRoFormer if "num_bands" in model_section else BSRoFormer


def roformer_sources(config: dict) -> list:
    """The stems a config's model returns, in order (with the residual for one-target models).

    Parameters
    ----------
    config : dict
        A whole config (``model:`` and ``training:`` sections).

    Returns
    -------
    list of str
        ``training.instruments`` for a multi-stem model; for a one-stem model its
        ``target_instrument`` and the rest of the mixture (the other instrument's name
        when there are two, else ``"accompaniment"``).
    """
    training = config.get("training") or {}
    instruments = list(training.get("instruments") or [])
    if int(config["model"].get("num_stems", 1)) > 1:
        return instruments
    target = training.get("target_instrument") or (instruments[0] if instruments else "target")
    rest = [i for i in instruments if i != target]
    return [target, rest[0] if len(rest) == 1 else "accompaniment"]


class RoFormerSeparator:
    """A :class:`BSRoFormer` behind the course's separator interface: the song cut into the
    training chunk length, cross-faded (:func:`mssedu.chunking.overlap_add`).

    Parameters
    ----------
    model : BSRoFormer or MelRoFormer
        The network (eval mode is set here).
    config : dict
        Its config (``audio:``, ``training:``, ``inference:`` sections are read).
    name : str
        Label for tables.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``...

    Attributes
    ----------
    name, sr, channels, sources, device, model, chunk
    """

    def __init__(self, model: BSRoFormer, config: dict, name: str = "BS-RoFormer", device="auto"):
        audio = config.get("audio") or {}
        self.device = torch_device(device)
        self.model = model.eval().to(self.device)
        self.name, self.sr, self.channels = name, int(audio.get("sample_rate", 44100)), model.channels
        self.sources = roformer_sources(config)
        if len(self.sources) != model.num_stems + (model.num_stems == 1):
            raise ParameterError(f"{name}: the config names {len(self.sources)} stems "
                                 f"({self.sources}) for a model with {model.num_stems} masks.")
        self.chunk = int(audio.get("chunk_size", 8 * self.sr))
        overlap = int((config.get("inference") or {}).get("num_overlap", 2))
        self.fade = self.chunk // max(2 * overlap, 2)

    def separate(self, signal, progress: bool = True) -> dict:
        """Separate ``signal`` into the model's sources.

        Parameters
        ----------
        signal : numpy.ndarray
            float32 ``(channels, samples)`` at ``self.sr``.
        progress : bool
            Unused.

        Returns
        -------
        dict
            ``{source: (channels, samples) float32}``; a one-stem model's second source is
            the mixture minus its target, so the two sum to the mixture.
        """
        x = as_signal(signal, "signal")
        if x.ndim != 2 or x.shape[0] != self.channels:
            raise ParameterError(f"{self.name} separates {self.channels}-channel signals shaped "
                                 f"(channels, samples); got shape {x.shape}. Use "
                                 "mssedu.separation.separate, which converts channels and rates.")
        mix = torch.from_numpy(np.ascontiguousarray(x))[None].to(self.device)

        def process(a, b):
            with torch.no_grad():
                y = self.model(mix[..., a:b])[0]
            return (y[None] if self.model.num_stems == 1 else y).cpu().numpy()

        y = overlap_add(process, x.shape[-1], self.chunk, self.fade)     # (stems, C, N)
        if self.model.num_stems == 1:
            y = np.stack([y[0], x - y[0]])
        return {s: np.ascontiguousarray(y[i], dtype=np.float32) for i, s in enumerate(self.sources)}

    def __repr__(self) -> str:
        n = sum(p.numel() for p in self.model.parameters())
        return f"RoFormerSeparator({self.name!r}, sources={self.sources}, {n:,} parameters, device={self.device})"
