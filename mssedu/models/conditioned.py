r"""Separation by query: one U-Net that separates the stem it is asked for.

A plain U-Net (:class:`~mssedu.models.MiniUNet`) learns a fixed list of targets. The
*conditioned* U-Net of Meseguer-Brocal & Peeters (2019) learns one mask, and a second input
says *which* stem that mask is for: the query, a one-hot vector :math:`q \in \{0, 1\}^K`
over the ``K`` stems it knows (``"vocals"``, ``"drums"``, ``"bass"``, ``"other"``).

The query acts through **FiLM** layers (feature-wise linear modulation, Perez et al., 2018).
A small control network turns :math:`q` into one scale and one offset per channel of every
encoder block, and the block's batch-normalised feature maps :math:`x_c` become

.. math::  \mathrm{FiLM}(x_c) = \gamma_c(q)\, x_c + \beta_c(q)

before the block's LeakyReLU. The U-Net's weights are shared by all stems; only the
:math:`2 \sum_i c_i` numbers :math:`\gamma, \beta` change with the query: the query can
turn a channel up, down, off, or shift it across the ReLU's knee.

Design choices, stated once:

- **Control network**: ``Linear(K, hidden) -> ReLU -> Linear(hidden, 2 sum c_i)``, the
  paper's dense control model; its last layer starts at zero weights and
  :math:`\gamma = 1, \beta = 0`, so an untrained model is the plain U-Net.
- **Per-channel FiLM on the encoder only**, the paper's "complex" variant at the place it
  conditions: the decoder receives the modulated features through the skips.
- **Without a query** the model computes every stem (one pass per query, batched) and
  returns ``(batch, targets, channels, freq, frames)`` like a multi-target U-Net, so the
  course's separator, validation and checkpoints work unchanged.

Examples
--------
>>> import torch
>>> from mssedu.models import ConditionedUNet
>>> model = ConditionedUNet.from_preset("tiny")
>>> mag = torch.rand(1, 2, 1025, 37)             # (batch, channels, freq, frames)
>>> model(mag, query="bass").shape                # one stem: the one asked for
torch.Size([1, 1, 2, 1025, 37])
>>> model(mag).shape                              # no query: every stem it knows
torch.Size([1, 4, 2, 1025, 37])
"""
from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..audio import as_signal
from ..chunking import overlap_add
from ..errors import ParameterError
from ..spectral import istft, stft
from .base import SpectrogramModel
from .unet import UNET_PRESETS, MiniUNet, UNetConfig

__all__ = ["ConditionedUNetConfig", "CONDITIONED_PRESETS", "ConditionedUNet", "film",
           "separate_by_query", "QUERY_STEMS"]

#: The stems of the course's synthetic songs (MUSDB18 layout), the queries of the presets.
QUERY_STEMS = ("vocals", "drums", "bass", "other")


@dataclass
class ConditionedUNetConfig(UNetConfig):
    """A :class:`~mssedu.models.UNetConfig` whose ``targets`` are the *queries* the model
    knows (one-hot positions, in this order), plus the control network's width.

    Attributes
    ----------
    targets : tuple of str
        The stems one may ask for (default :data:`QUERY_STEMS`).
    film_hidden : int
        Width of the control network's hidden layer.
    """

    targets: tuple = QUERY_STEMS
    film_hidden: int = 32
    label = "conditioned U-Net"

    def __post_init__(self):
        super().__post_init__()
        if len(set(self.targets)) != len(self.targets):
            raise ParameterError(f"targets (the queries) must be distinct, got {self.targets}.")
        if int(self.film_hidden) < 1:
            raise ParameterError(f"film_hidden must be >= 1, got {self.film_hidden}.")
        self.film_hidden = int(self.film_hidden)

    def body_config(self) -> UNetConfig:
        """The plain U-Net under the FiLM layers: the same sizes, one mask (the queried stem).

        Returns
        -------
        UNetConfig
        """
        plain = {f.name: getattr(self, f.name) for f in dataclasses.fields(UNetConfig)}
        return UNetConfig(**{**plain, "targets": ("query",)})


#: Named configurations: the U-Net presets with the four synthetic stems as queries.
CONDITIONED_PRESETS = {name: {**fields, "targets": QUERY_STEMS} for name, fields in UNET_PRESETS.items()}


def film(x, gamma, beta):
    r"""Feature-wise linear modulation: :math:`\gamma_c x_c + \beta_c` for every channel ``c``.

    Parameters
    ----------
    x : torch.Tensor or numpy.ndarray
        Feature maps ``(batch, channels, freq, frames)``.
    gamma, beta : torch.Tensor or numpy.ndarray
        ``(batch, channels)``: one scale and one offset per example and channel, the same
        at every time-frequency point.

    Returns
    -------
    torch.Tensor or numpy.ndarray
        Same shape as ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((1, 2, 3, 4))
    >>> film(x, np.array([[2.0, 0.0]]), np.array([[0.5, -1.0]]))[0, :, 0, 0]
    array([ 2.5, -1. ])
    """
    if gamma.shape != beta.shape or gamma.shape != x.shape[:2]:
        raise ParameterError(f"gamma and beta must be (batch, channels) = {tuple(x.shape[:2])}, got "
                             f"{tuple(gamma.shape)} and {tuple(beta.shape)}.")
    return x * gamma[:, :, None, None] + beta[:, :, None, None]


class _FiLMBlock(nn.Module):
    """An encoder block of the U-Net with FiLM between its BatchNorm and its LeakyReLU.

    Its ``gamma_beta`` is set by :class:`ConditionedUNet` for the length of one forward pass."""

    def __init__(self, block):
        super().__init__()
        self.block = block
        self.gamma_beta = None

    def forward(self, x):
        b = self.block
        x = b.norm(b.conv(x))
        if self.gamma_beta is not None:
            x = film(x, *self.gamma_beta)
        return b.act(x)


class ConditionedUNet(SpectrogramModel):
    """A U-Net whose one mask is the stem named by a query, through FiLM (module docstring).

    Parameters
    ----------
    config : ConditionedUNetConfig, optional
        Defaults to the ``tiny`` preset. Keyword arguments override its fields.

    Shapes
    ------
    ``forward(mag, query)``: ``mag`` ``(batch, audio_channels, freq, frames)`` as
    :class:`~mssedu.models.MiniUNet`; ``query`` a stem name, an index, or one per example;
    the estimate is ``(batch, 1, audio_channels, freq, frames)``. With ``query=None``:
    ``(batch, targets, audio_channels, freq, frames)``, every stem.
    """

    kind = "conditioned"
    config_class = ConditionedUNetConfig
    presets = CONDITIONED_PRESETS
    #: The training step draws one query per example for a model that takes one.
    takes_query = True

    def __init__(self, config: ConditionedUNetConfig | None = None, **overrides):
        super().__init__()
        if config is None:
            config = ConditionedUNetConfig(**CONDITIONED_PRESETS["tiny"])
        if overrides:
            config = dataclasses.replace(config, **overrides)
        if not isinstance(config, ConditionedUNetConfig):
            raise ParameterError(f"ConditionedUNet needs a ConditionedUNetConfig, got {type(config).__name__}.")
        self.config = config
        self.body = MiniUNet(config.body_config())
        self.body.encoder = nn.ModuleList(_FiLMBlock(b) for b in self.body.encoder)
        width = sum(config.channels)
        self.control = nn.Sequential(nn.Linear(len(config.targets), config.film_hidden), nn.ReLU(),
                                     nn.Linear(config.film_hidden, 2 * width))
        with torch.no_grad():   # start as the plain U-Net: gamma = 1, beta = 0 for any query
            self.control[2].weight.zero_()
            self.control[2].bias.copy_(torch.cat([torch.ones(width), torch.zeros(width)]))

    def query_index(self, query, batch: int) -> torch.Tensor:
        """Positions of the queried stems, one per example.

        Parameters
        ----------
        query : str, int, sequence of them, or torch.Tensor of ints
            A stem name of ``config.targets`` (or its position) for the whole batch, or one
            per example.
        batch : int
            The batch size.

        Returns
        -------
        torch.Tensor
            ``(batch,)`` int64.

        Raises
        ------
        ParameterError
            An unknown name, a position out of range, or a wrong number of queries.
        """
        names = list(self.config.targets)
        if isinstance(query, (str, numbers.Integral)):
            query = [query] * batch
        if isinstance(query, torch.Tensor):
            query = query.reshape(-1).tolist()
        idx = []
        for q in query:
            if isinstance(q, str) and q in names:
                idx.append(names.index(q))
            elif isinstance(q, numbers.Integral) and not isinstance(q, bool) and 0 <= q < len(names):
                idx.append(int(q))
            else:
                raise ParameterError(f"Unknown query {q!r}; this model separates {names} "
                                     f"(by name, or by position 0..{len(names) - 1}).")
        if len(idx) != batch:
            raise ParameterError(f"Got {len(idx)} queries for a batch of {batch}; give one, or one per example.")
        return torch.tensor(idx, dtype=torch.long, device=self.control[0].weight.device)

    def query_vector(self, query) -> torch.Tensor:
        """The one-hot vector of ``query``, what the control network reads.

        Parameters
        ----------
        query : str or int
            A stem name of ``config.targets`` or its position.

        Returns
        -------
        torch.Tensor
            ``(targets,)`` float32, a single 1 at the query's position.
        """
        return nn.functional.one_hot(self.query_index(query, 1), len(self.config.targets))[0].float()

    def film_parameters(self, query) -> list:
        r"""The :math:`(\gamma, \beta)` of every encoder block for these queries.

        Parameters
        ----------
        query : torch.Tensor
            ``(batch,)`` positions (:meth:`query_index`).

        Returns
        -------
        list of (torch.Tensor, torch.Tensor)
            Per encoder block, ``gamma`` and ``beta`` of shape ``(batch, channels_i)``.
        """
        q = nn.functional.one_hot(query, len(self.config.targets)).float()
        gamma, beta = self.control(q).chunk(2, dim=1)     # (batch, sum c_i) each
        widths = list(self.config.channels)
        return list(zip(gamma.split(widths, dim=1), beta.split(widths, dim=1)))

    def forward(self, mag, query=None, return_mask: bool = False):
        """Estimate the queried stem (or every stem, without a query).

        Parameters
        ----------
        mag : torch.Tensor
            Mixture magnitude ``(batch, audio_channels, freq, frames)`` (or without the
            batch axis), as :meth:`MiniUNet.forward`.
        query : str, int, sequence or torch.Tensor, optional
            See :meth:`query_index`; ``None``: every stem.
        return_mask : bool
            Also return the mask.

        Returns
        -------
        estimate : torch.Tensor
            ``(batch, 1, audio_channels, freq, frames)``, or ``(batch, targets, ...)``
            without a query.
        mask : torch.Tensor
            Same shape, in [0, 1]; only with ``return_mask=True``.
        """
        if isinstance(mag, torch.Tensor) and mag.ndim == 3:
            mag = mag.unsqueeze(0)
        if not (isinstance(mag, torch.Tensor) and mag.ndim == 4):
            self.body(mag)          # not a magnitude batch: the U-Net's input check says why
        batch, k = mag.shape[0], len(self.config.targets)
        if query is None:   # every stem: the batch repeated once per query, example-major
            idx = torch.arange(k, device=self.control[0].weight.device).repeat(batch)
            mag = mag.repeat_interleave(k, dim=0)
        else:
            idx = self.query_index(query, batch)
        blocks = list(self.body.encoder)
        for block, params in zip(blocks, self.film_parameters(idx)):
            block.gamma_beta = params
        try:
            est, mask = self.body(mag, return_mask=True)       # (batch [* k], 1, C, F, N)
        finally:
            for block in blocks:
                block.gamma_beta = None
        if query is None:
            est, mask = (t.reshape(batch, k, *t.shape[2:]) for t in (est, mask))
        return (est, mask) if return_mask else est


def separate_by_query(model: ConditionedUNet, mixture, query, chunk_frames: int | None = None) -> np.ndarray:
    """The stem ``query`` of a song, from a :class:`ConditionedUNet` (mixture phase).

    Parameters
    ----------
    model : ConditionedUNet
        Trained; put in eval mode.
    mixture : numpy.ndarray
        float32 ``(audio_channels, samples)`` at ``model.config.sr``.
    query : str or int
        A stem the model knows (``model.config.targets``).
    chunk_frames : int, optional
        Frames per network pass (default 4 patches, a quarter overlap, cross-faded).

    Returns
    -------
    numpy.ndarray
        float32 ``(audio_channels, samples)``.

    Examples
    --------
    >>> import numpy as np
    >>> model = ConditionedUNet.from_preset("tiny")
    >>> separate_by_query(model, np.zeros((2, 44100), np.float32), "bass").shape
    (2, 44100)
    """
    if not isinstance(model, ConditionedUNet):
        raise ParameterError(f"separate_by_query needs a ConditionedUNet, got {type(model).__name__}; "
                             "load one with mssedu.models.load_checkpoint(path).")
    cfg = model.config
    model.query_index(query, 1)          # an unknown query is refused before any work
    x = as_signal(mixture, "mixture", min_samples=cfg.n_fft)
    if x.ndim != 2 or x.shape[0] != cfg.audio_channels:
        raise ParameterError(f"mixture must be ({cfg.audio_channels}, samples), got shape {x.shape}.")
    device = model.control[0].weight.device
    model.eval()
    X = stft(torch.from_numpy(x).to(device), cfg.n_fft, cfg.hop_length)   # (C, F, N)
    mag = X.abs()
    chunk = int(chunk_frames or 4 * cfg.patch_frames)

    def process(a, b):
        _, mask = model(mag[None, :, :, a:b], query=query, return_mask=True)
        return mask[0, 0].float()

    with torch.no_grad():
        mask = overlap_add(process, mag.shape[-1], chunk, chunk // 4)
    y = istft(mask * X, cfg.hop_length, length=x.shape[-1], n_fft=cfg.n_fft)
    return y.cpu().numpy().astype(np.float32)
