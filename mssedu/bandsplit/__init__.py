"""The band-split student model (BSRNN / BS-RoFormer, small), one concept per file:

* :mod:`~mssedu.bandsplit.model` -- the network (:class:`BandSplitModel`, presets, bands);
* :mod:`~mssedu.bandsplit.separator` -- a trained model as a separator.

It is trained by the U-Net's loop and saved in the U-Net's checkpoint format (with
``kind="bandsplit"``): importing this package registers the kind, so
``mssedu.unet.train(model_kind="bandsplit")``, :func:`mssedu.unet.load_checkpoint` and
:func:`mssedu.separation.load_separator` handle it. :func:`train` is a shortcut.

Examples
--------
>>> from mssedu.bandsplit import train                       # doctest: +SKIP
>>> result = train(preset="tiny", max_seconds=300)           # doctest: +SKIP
>>> result.separator.separate(mixture)["vocals"]            # doctest: +SKIP
"""
from __future__ import annotations

from ..unet import TrainResult, register_model_kind
from ..unet import train as unet_train
from .model import PRESETS, BSRNN_BANDS, BandSplitConfig, BandSplitModel, RotaryAttention, band_edges
from .separator import BandSplitSeparator

__all__ = ["BandSplitModel", "BandSplitConfig", "BandSplitSeparator", "RotaryAttention", "PRESETS",
           "BSRNN_BANDS", "band_edges", "train"]

register_model_kind("bandsplit", BandSplitConfig, BandSplitModel, PRESETS, BandSplitSeparator)


def train(data=None, valid="synthetic", **settings) -> TrainResult:
    """Train a band-split model: :func:`mssedu.unet.train` with ``model_kind="bandsplit"``.

    Parameters
    ----------
    data, valid
        As :func:`mssedu.unet.train`.
    **settings
        :func:`mssedu.unet.train`'s other arguments and :class:`mssedu.unet.TrainConfig`
        fields (``preset="tiny"``, ``max_seconds=300``, ``checkpoint=...``).

    Returns
    -------
    TrainResult
        ``result.separator`` is a :class:`BandSplitSeparator`.
    """
    return unet_train(data, valid, model_kind="bandsplit", **settings)
