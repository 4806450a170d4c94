"""What the course's spectrogram mask models share: configuration, presets, size.

Both models (:class:`~mssedu.models.MiniUNet`, :class:`~mssedu.models.BandSplitModel`) read
the mixture magnitude ``(batch, channels, freq, frames)`` and paint one mask per target.
Their configs are dataclasses with this module's :class:`SpectrogramModelConfig` mixed in
(STFT sizes, the checkpoint round trip), and the networks derive from
:class:`SpectrogramModel` (named presets, parameter count).

Examples
--------
>>> from mssedu.models import MiniUNet
>>> model = MiniUNet.from_preset("tiny")
>>> model.config.n_freq, model.config.patch_samples
(1025, 65024)
"""
from __future__ import annotations

import dataclasses

from torch import nn

from ..errors import ParameterError

__all__ = ["SpectrogramModelConfig", "SpectrogramModel", "ModelSummary", "count_parameters"]


def _plain(value):
    """Tuples (also nested) as lists: the plain types a ``weights_only`` checkpoint holds."""
    return [_plain(v) for v in value] if isinstance(value, (tuple, list)) else value


class SpectrogramModelConfig:
    """What the configs of the course's spectrogram models share (:class:`UNetConfig`,
    :class:`BandSplitConfig`): a mixin for a dataclass with ``n_fft``,
    ``hop_length`` and ``patch_frames`` fields, whose ``__post_init__`` turns list fields back
    into tuples. ``label`` names the model in messages."""

    label = "model"

    @property
    def n_freq(self) -> int:
        """Bins of the full STFT, ``n_fft // 2 + 1``."""
        return self.n_fft // 2 + 1

    @property
    def patch_samples(self) -> int:
        """Samples of audio that give exactly ``patch_frames`` STFT frames (``center=True``)."""
        return (self.patch_frames - 1) * self.hop_length

    def to_dict(self) -> dict:
        """The config as plain types (so a checkpoint loads with ``weights_only=True``).

        Returns
        -------
        dict
            Field name -> int, str, float, None or (nested) list.
        """
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, d: dict):
        """Rebuild a config from :meth:`to_dict`'s output.

        Parameters
        ----------
        d : dict
            Field name -> value.

        Returns
        -------
        SpectrogramModelConfig
            An instance of the class it is called on.

        Raises
        ------
        ParameterError
            Unknown keys (a checkpoint of another version or model).
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ParameterError(f"Unknown {cls.label} config keys {sorted(unknown)}; known: {sorted(known)}.")
        return cls(**d)


class ModelSummary(str):
    """Text that a notebook displays as itself (not as a quoted, escaped string)."""

    def __repr__(self) -> str:
        return str(self)


def count_parameters(module) -> int:
    """Number of trainable parameters (weights and biases) of a torch module.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    int
    """
    return int(sum(p.numel() for p in module.parameters() if p.requires_grad))


class SpectrogramModel(nn.Module):
    """Base of the course's mask models: built from a config, or from a named preset.

    A subclass sets :attr:`kind` (its name in checkpoints), :attr:`config_class` and
    :attr:`presets` (preset name -> config fields).
    """

    #: The model's name in checkpoints (:data:`mssedu.models.MODEL_KINDS`).
    kind = ""
    #: Its config dataclass.
    config_class = None
    #: Preset name -> config fields.
    presets: dict = {}

    @classmethod
    def from_preset(cls, name: str = "tiny", **overrides):
        """Build a named configuration (see the subclass's ``presets``).

        Parameters
        ----------
        name : str
            The preset (``"tiny"`` or ``"full"``).
        **overrides
            Config fields to change.

        Returns
        -------
        SpectrogramModel
            An instance of the class it is called on.

        Raises
        ------
        ParameterError
            No such preset.
        """
        if name not in cls.presets:
            raise ParameterError(f"Unknown preset {name!r}; choose one of {sorted(cls.presets)}.")
        return cls(cls.config_class(**{**cls.presets[name], **overrides}))

    def num_parameters(self) -> int:
        """Trainable parameters of the network.

        Returns
        -------
        int
        """
        return count_parameters(self)
