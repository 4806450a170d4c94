r"""A band-split student model: BSRNN (Luo & Yu, 2023) and BS-RoFormer (Lu et al., 2023), small.

Where the U-Net treats the spectrogram as an image, a band-split model treats it as a set of
**sub-bands** that are each modelled over time and then compared with each other. Four steps:

1. **Band split.** The ``F`` frequency bins are cut into ``K`` bands, narrow at low
   frequencies where pitch lives and wide at high ones (the "v7" layout of BSRNN: 100 Hz
   bands up to 1 kHz, 250 Hz up to 4 kHz, 500 Hz up to 8 kHz, 1 kHz up to 16 kHz, 2 kHz above;
   :func:`band_edges`). Band :math:`k` of width :math:`w_k` bins gives, per frame, a vector
   of :math:`C w_k` compressed magnitudes :math:`\log(1 + |X|)` (all audio channels).
2. **Per-band projection.** Each band has its own normalisation and linear layer to a shared
   feature size :math:`D`:  :math:`z_{k,t} = W_k\,\mathrm{LayerNorm}_k(x_{k,t}) + b_k
   \in \mathbb{R}^D`. The tensor :math:`Z` has shape ``(batch, K, frames, D)``.
3. **Interleaved modelling.** ``layers`` times: a *sequence* module runs along time inside
   every band (``K`` independent sequences of length ``frames``), then a *band* module runs
   across the bands inside every frame (``frames`` sequences of length ``K``). Both are
   residual, :math:`Z \leftarrow Z + g(\mathrm{LayerNorm}(Z))`, with :math:`g` either a
   bidirectional LSTM and a linear layer (BSRNN, ``block="lstm"``) or a Transformer layer
   with rotary position embeddings (BS-RoFormer, ``block="roformer"``; :class:`RotaryAttention`).
4. **Per-band mask heads.** Each band has its own small MLP,
   :math:`M_k = \sigma\big(V_k \tanh(U_k\,\mathrm{LayerNorm}(z_{k,t}))\big)`, giving
   :math:`w_k` mask values per channel and target; the band masks are put back side by side.

Steps 2 and 4 are written as one small layer per band (``split[k]``, ``heads[k]``) but
computed for all bands at once: the bands are zero-padded to the widest one and each layer
becomes a *grouped* linear layer, one :func:`torch.einsum` over the band axis, instead of
25 small operations per layer, forward and backward. The result is the same.

Design choice: the masks are **magnitude** masks in [0, 1] (the papers estimate complex
masks). Then the model has exactly the U-Net's interface, ``model(|X|) -> M \odot |X|``, and
the same training loop, losses, separator (mixture phase or Wiener) and tables apply; what
changes between the two students is only how the mask is computed.

Presets (:data:`BANDSPLIT_PRESETS`): ``tiny`` (44.1 kHz, ``n_fft=2048``, hop 512, the U-Net's crop at
5.5 kHz so 25 bands, ``D=32``, 2 RoFormer layer pairs -- cheaper than LSTMs on a CPU --,
~0.15 M parameters: CPU minutes) and ``full`` (the whole spectrum, 41 bands, ``D=128``, 6
RoFormer layer pairs, 8 heads, 3 s patches: for a GPU). ``block="lstm"`` gives BSRNN.

References
----------
Luo, Y. & Yu, J. (2023). Music Source Separation with Band-Split RNN. IEEE/ACM TASLP 31.
Lu, W.-T., Wang, J.-C., Kong, Q. & Hung, Y.-N. (2023). Music Source Separation with
Band-Split RoPE Transformer. arXiv:2309.02612.
Su, J. et al. (2021). RoFormer: Enhanced Transformer with Rotary Position Embedding.

Examples
--------
>>> import torch
>>> from mssedu.models import BandSplitModel
>>> model = BandSplitModel.from_preset("tiny")
>>> len(model.edges) - 1, model.edges[-1]       # bands, and the crop (bins)
(25, 256)
>>> tuple(model(torch.rand(1, 2, 1025, 20)).shape)   # (batch, targets, channels, freq, frames)
(1, 1, 2, 1025, 20)
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from ..checks import check_finite
from ..errors import ParameterError
from .base import SpectrogramModel, SpectrogramModelConfig

__all__ = ["BandSplitConfig", "BandSplitModel", "RotaryAttention", "BANDSPLIT_PRESETS", "BSRNN_BANDS",
           "band_edges"]

#: BSRNN's "v7" band layout as ``(up to Hz, band width Hz)`` pairs; the rest is one band.
BSRNN_BANDS = ((1000, 100), (4000, 250), (8000, 500), (16000, 1000), (20000, 2000))


def band_edges(sr: int, n_fft: int, bands=BSRNN_BANDS, max_hz: float | None = None) -> list:
    """Bin edges of the sub-bands: band ``k`` holds bins ``edges[k] .. edges[k + 1] - 1``.

    Parameters
    ----------
    sr : int
        Sample rate (Hz).
    n_fft : int
        FFT size; the spectrum has ``n_fft // 2 + 1`` bins of ``sr / n_fft`` Hz.
    bands : sequence of (float, float)
        ``(up to Hz, width Hz)`` pairs, in increasing order (default :data:`BSRNN_BANDS`).
        Bands narrower than a bin are merged; the bins above the last pair form one band
        (added to the last band when narrower than half of it).
    max_hz : float, optional
        Stop here: the bands cover only bins below ``round(max_hz * n_fft / sr)`` (a
        frequency crop, as the U-Net's ``n_bins``).

    Returns
    -------
    list of int
        Increasing edges from 0 to ``n_fft // 2 + 1`` (or to the crop).

    Examples
    --------
    >>> edges = band_edges(44100, 2048)
    >>> len(edges) - 1, edges[:4], edges[-1]
    (41, [0, 5, 9, 14], 1025)
    """
    n_freq = n_fft // 2 + 1
    top = sr / 2 if max_hz is None else min(float(max_hz), sr / 2)
    if top <= 0:
        raise ParameterError(f"max_hz must be > 0, got {max_hz!r}.")
    if max_hz is not None:
        n_freq = min(n_freq, max(1, int(round(top * n_fft / sr))))
    edges, hz = [0], 0.0
    for stop, width in bands:
        if width <= 0:
            raise ParameterError(f"Band widths must be > 0 Hz, got {width}.")
        while hz + width <= min(stop, top) + 1e-9:
            hz += width
            b = min(int(round(hz * n_fft / sr)), n_freq)
            if b > edges[-1]:
                edges.append(b)
    if edges[-1] < n_freq:   # the rest: a band of its own, or added to the last if it is tiny
        if len(edges) > 1 and n_freq - edges[-1] < (edges[-1] - edges[-2]) / 2:
            edges[-1] = n_freq
        else:
            edges.append(n_freq)
    return edges


@dataclass
class BandSplitConfig(SpectrogramModelConfig):
    """Everything that defines a band-split model (stored in its checkpoints).

    Attributes
    ----------
    sr : int
    n_fft, hop_length : int
    bands : tuple of (float, float)
        Band layout, see :func:`band_edges`.
    max_hz : float or None
        Frequency crop: only bins below it are modelled, the mask above is 0 (as the
        U-Net's ``n_bins`` with ``mask_extension="zeros"``). ``None``: the whole spectrum.
    features : int
        Shared feature size :math:`D`.
    layers : int
        Pairs of (sequence, band) modules.
    block : {"lstm", "roformer"}
        BSRNN's BiLSTMs or BS-RoFormer's rotary Transformer layers.
    heads : int
        Attention heads (``"roformer"``).
    hidden : int
        LSTM hidden size per direction, Transformer feed-forward size: ``hidden``;
        mask-head MLP: ``2 * features``.
    audio_channels : int
    targets : tuple of str
    patch_frames : int
        STFT frames of one training excerpt.
    dropout : float
    """

    sr: int = 44100
    n_fft: int = 2048
    hop_length: int = 512
    bands: tuple = BSRNN_BANDS
    max_hz: float | None = None
    features: int = 48
    layers: int = 2
    block: str = "lstm"
    heads: int = 4
    hidden: int = 48
    audio_channels: int = 2
    targets: tuple = ("vocals",)
    patch_frames: int = 128
    dropout: float = 0.0
    label = "band-split"

    def __post_init__(self):
        self.bands = tuple((float(a), float(b)) for a, b in self.bands)
        self.targets = (self.targets,) if isinstance(self.targets, str) else tuple(self.targets)
        if self.block not in ("lstm", "roformer"):
            raise ParameterError(f"block must be 'lstm' or 'roformer', got {self.block!r}.")
        for name in ("features", "layers", "heads", "hidden", "audio_channels", "patch_frames"):
            if int(getattr(self, name)) < 1:
                raise ParameterError(f"{name} must be >= 1, got {getattr(self, name)!r}.")
        if self.block == "roformer" and (self.features % (2 * self.heads)):
            raise ParameterError(f"features ({self.features}) must be a multiple of 2 * heads "
                                 f"({2 * self.heads}) for rotary attention.")
        if not self.targets:
            raise ParameterError("targets must name at least one source, e.g. ('vocals',).")


#: Named configurations: ``tiny`` (CPU, minutes) and ``full`` (a GPU).
BANDSPLIT_PRESETS = {
    "tiny": dict(features=32, layers=2, block="roformer", heads=2, hidden=64, patch_frames=128,
                 max_hz=5512.5),
    "full": dict(features=128, layers=6, block="roformer", heads=8, hidden=512, patch_frames=256),
}


class RotaryAttention(nn.Module):
    r"""A pre-norm Transformer layer whose attention knows positions by rotation (RoPE).

    Query and key vectors are split into pairs :math:`(u_{2i}, u_{2i+1})`, and the pair at
    position :math:`p` is rotated by the angle :math:`p\,\theta_i` with
    :math:`\theta_i = 10000^{-2i/d}`. The score :math:`q_p^\top k_{p'}` then depends on
    the positions only through :math:`p - p'` (Su et al., 2021).

    Parameters
    ----------
    dim : int
        Feature size.
    heads : int
        Attention heads (``dim / heads`` must be even).
    hidden : int
        Feed-forward size.
    dropout : float
    """

    def __init__(self, dim: int, heads: int, hidden: int, dropout: float = 0.0):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.ff = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout),
                                nn.Linear(hidden, dim))
        half = dim // heads // 2
        self.register_buffer("theta", 10000.0 ** (-torch.arange(half) / half), persistent=False)

    def rotate(self, u):
        r"""Rotate the pairs of ``u`` (``(batch, heads, positions, d)``) by ``p * theta``.

        A pair is a complex number :math:`u_{2i} + j\,u_{2i+1}`, and the rotation is one
        complex product, :math:`(u_{2i} + j\,u_{2i+1})\,e^{j p \theta_i}` (as Su et al.
        write it): its real and imaginary parts are
        :math:`u_{2i}\cos p\theta_i - u_{2i+1}\sin p\theta_i` and
        :math:`u_{2i}\sin p\theta_i + u_{2i+1}\cos p\theta_i`.

        Parameters
        ----------
        u : torch.Tensor
            Real, with an even last axis.

        Returns
        -------
        torch.Tensor
            Same shape.
        """
        angle = torch.arange(u.shape[-2], device=u.device, dtype=torch.float32)[:, None] * self.theta
        pairs = torch.view_as_complex(u.float().contiguous().unflatten(-1, (-1, 2)))  # float32 under AMP too
        turned = pairs * torch.polar(torch.ones_like(angle), angle)
        return torch.view_as_real(turned).flatten(-2).to(u.dtype)

    def forward(self, x):
        """One layer.

        Parameters
        ----------
        x : torch.Tensor
            ``(batch, positions, dim)``.

        Returns
        -------
        torch.Tensor
            Same shape.
        """
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = nn.functional.scaled_dot_product_attention(self.rotate(q), self.rotate(k), v)
        x = x + self.out(y.transpose(1, 2).reshape(b, n, d))
        return x + self.ff(self.norm2(x))


class _BiLSTM(nn.Module):
    """BSRNN's residual module: LayerNorm -> bidirectional LSTM -> Linear, added to the input."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.rnn = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, dim)

    def forward(self, x):
        return x + self.fc(self.rnn(self.norm(x))[0])


class BandSplitModel(SpectrogramModel):
    """Band-split mask estimator (see the module docstring).

    Parameters
    ----------
    config : BandSplitConfig, optional
        Default: the ``tiny`` preset. Keyword arguments override its fields.

    Shapes
    ------
    ``forward(mag)``: the mixture magnitude ``(batch, audio_channels, n_fft // 2 + 1,
    frames)`` gives the estimates ``(batch, targets, audio_channels, freq, frames)`` (and
    the masks with ``return_mask=True``), exactly as :class:`mssedu.models.MiniUNet`.
    """

    #: The checkpoint kind (:data:`mssedu.models.MODEL_KINDS`).
    kind = "bandsplit"
    config_class = BandSplitConfig
    presets = BANDSPLIT_PRESETS

    def __init__(self, config: BandSplitConfig | None = None, **overrides):
        super().__init__()
        config = config or BandSplitConfig(**BANDSPLIT_PRESETS["tiny"])
        if overrides:
            config = dataclasses.replace(config, **overrides)
        self.config = c = config
        self.edges = band_edges(c.sr, c.n_fft, c.bands, c.max_hz)
        widths = [b - a for a, b in zip(self.edges, self.edges[1:])]
        C, T, D = c.audio_channels, len(c.targets), c.features
        # 2. per-band normalisation and projection to D features
        self.split = nn.ModuleList(nn.Sequential(nn.LayerNorm(C * w), nn.Linear(C * w, D)) for w in widths)
        # 3. interleaved sequence (time) and band modules

        def module():
            if c.block == "lstm":
                return _BiLSTM(D, c.hidden)
            return RotaryAttention(D, c.heads, c.hidden, c.dropout)

        self.time_layers = nn.ModuleList(module() for _ in range(c.layers))
        self.band_layers = nn.ModuleList(module() for _ in range(c.layers))
        # 4. per-band mask heads: w_k values per target and channel
        self.heads = nn.ModuleList(nn.Sequential(nn.LayerNorm(D), nn.Linear(D, 2 * D), nn.Tanh(),
                                                 nn.Linear(2 * D, T * C * w)) for w in widths)
        # all bands are computed at once on a zero-padded tensor: band k's bins, padded to
        # the widest band W by repeating its last bin, and which of the W slots are real
        W = max(widths)
        slots = torch.arange(W)
        self.register_buffer("band_bins", torch.stack([a + slots.clamp(max=w - 1) for a, w in
                                                       zip(self.edges, widths)]), persistent=False)
        self.register_buffer("band_slots", torch.stack([slots < w for w in widths]), persistent=False)
        self.register_buffer("slot_of_bin", torch.cat([k * W + slots[:w] for k, w in enumerate(widths)]),
                             persistent=False)

    def forward(self, mag, return_mask: bool = False):
        """Estimate each target's magnitude.

        Parameters
        ----------
        mag : torch.Tensor
            Mixture magnitude ``(batch, audio_channels, n_fft // 2 + 1, frames)`` (or without
            the batch axis), finite and >= 0.
        return_mask : bool
            Also return the masks.

        Returns
        -------
        estimate : torch.Tensor
            ``(batch, targets, audio_channels, freq, frames)``.
        mask : torch.Tensor
            Same shape, in [0, 1]; only with ``return_mask=True``.
        """
        c = self.config
        if not isinstance(mag, torch.Tensor) or mag.is_complex():
            raise ParameterError("BandSplitModel takes the magnitude |X| as a real torch tensor.")
        if mag.ndim == 3:
            mag = mag.unsqueeze(0)
        if mag.ndim != 4 or mag.shape[1] != c.audio_channels or mag.shape[2] != c.n_freq:
            raise ParameterError(f"Expected a magnitude (batch, {c.audio_channels}, {c.n_freq}, "
                                 f"frames) (n_fft={c.n_fft}), got shape {tuple(mag.shape)}.")
        check_finite(mag, "the magnitude spectrogram")
        B, C, _, N = mag.shape
        T, K = len(c.targets), len(self.split)
        x = torch.log1p(mag)
        # 1-2. band split: (B, C, K, W, N) -> (B, K, N, C, W), each band's own LayerNorm and
        # Linear applied to all bands at once (a grouped linear layer on the padded bands)
        z = self._project(x[:, :, self.band_bins].permute(0, 2, 4, 1, 3))     # (B, K, N, D)
        D = z.shape[-1]
        # 3. along time inside each band, then across bands inside each frame
        for along_time, across_bands in zip(self.time_layers, self.band_layers):
            z = along_time(z.reshape(B * K, N, D)).reshape(B, K, N, D)
            z = across_bands(z.transpose(1, 2).reshape(B * N, K, D)).reshape(B, N, K, D).transpose(1, 2)
        # 4. per-band masks (B, T, C, K, W, N), the real slots put side by side along frequency
        mask = self._masks(z).reshape(B, T, C, -1, N)[:, :, :, self.slot_of_bin]
        estimate = mask * mag[:, None, :, :mask.shape[3]]
        if self.edges[-1] < c.n_freq:   # above the crop: mask 0, estimate 0
            zeros = mag.new_zeros(B, T, C, c.n_freq - self.edges[-1], N)
            mask, estimate = torch.cat([mask, zeros], dim=3), torch.cat([estimate, zeros], dim=3)
        return (estimate, mask) if return_mask else estimate

    def _padded(self, per_band, dim: int):
        """Stack one tensor per band whose axis ``dim`` runs over the band's bins, zero-padded
        to the widest band: ``(K, ...)``."""
        W = self.band_bins.shape[1]
        return torch.stack([nn.functional.pad(t.movedim(dim, -1), (0, W - t.shape[dim])).movedim(-1, dim)
                            for t in per_band])

    def _project(self, bands):
        r"""Step 2 for all bands: ``(B, K, N, C, W)`` padded bands -> ``(B, K, N, D)``.

        Band ``k``'s LayerNorm statistics use only its ``C w_k`` real values; its weights
        :math:`W_k` are zero on the padded slots, so :math:`z_{k,t} = W_k\,
        \mathrm{LayerNorm}_k(x_{k,t}) + b_k` exactly as with one small layer per band."""
        C = bands.shape[-2]
        real = self.band_slots[:, None, None, :].to(bands.dtype)              # (K, 1, 1, W)
        count = C * real.sum(-1, keepdim=True)
        mean = (bands * real).sum((-2, -1), keepdim=True) / count
        centred = (bands - mean) * real
        var = centred.square().sum((-2, -1), keepdim=True) / count
        eps = self.split[0][0].eps
        normed = centred * torch.rsqrt(var + eps)
        gain = self._padded([ln.weight.view(C, -1) for ln, _ in self.split], -1)    # (K, C, W)
        shift = self._padded([ln.bias.view(C, -1) for ln, _ in self.split], -1)
        weight = self._padded([lin.weight.view(lin.out_features, C, -1) for _, lin in self.split], -1)
        bias = torch.stack([lin.bias for _, lin in self.split])                 # (K, D)
        normed = normed * gain[:, None] + shift[:, None]
        return torch.einsum("bkncw,kdcw->bknd", normed, weight) + bias[:, None]

    def _masks(self, z):
        r"""Step 4 for all bands: ``(B, K, N, D)`` -> masks ``(B, T, C, K, W, N)`` (padded slots
        included), :math:`\sigma(V_k \tanh(U_k\,\mathrm{LayerNorm}_k(z_{k,t})))`."""
        c = self.config
        T, C = len(c.targets), c.audio_channels
        norms, first, last = zip(*[(h[0], h[1], h[3]) for h in self.heads])
        h = nn.functional.layer_norm(z, z.shape[-1:], eps=norms[0].eps)
        h = h * torch.stack([n.weight for n in norms])[:, None] + torch.stack([n.bias for n in norms])[:, None]
        h = torch.einsum("bknd,ked->bkne", h, torch.stack([f.weight for f in first]))
        h = torch.tanh(h + torch.stack([f.bias for f in first])[:, None])
        weight = self._padded([f.weight.view(T, C, -1, f.in_features) for f in last], 2)   # (K, T, C, W, E)
        bias = self._padded([f.bias.view(T, C, -1) for f in last], 2)                      # (K, T, C, W)
        out = torch.einsum("bkne,ktcwe->btckwn", h, weight) + bias.permute(1, 2, 0, 3)[..., None]
        return torch.sigmoid(out)

    def summary(self) -> str:
        """A few lines: bands, layers and parameters per part.

        Returns
        -------
        str
        """
        c = self.config

        def count(mods):
            return sum(p.numel() for m in mods for p in m.parameters())

        widths = [b - a for a, b in zip(self.edges, self.edges[1:])]
        return "\n".join([
            f"BandSplitModel ({c.block}): targets={list(c.targets)}, sr={c.sr}, n_fft={c.n_fft}, "
            f"hop={c.hop_length}",
            f"band split   : {len(widths)} bands, widths {min(widths)}..{max(widths)} bins -> "
            f"{c.features} features each   {count(self.split):>10,}",
            f"time modules : {c.layers} x {c.block} along frames          {count(self.time_layers):>10,}",
            f"band modules : {c.layers} x {c.block} across bands          {count(self.band_layers):>10,}",
            f"mask heads   : {len(widths)} MLPs -> sigmoid masks      {count(self.heads):>10,}",
            f"total trainable parameters: {self.num_parameters():,}"])
