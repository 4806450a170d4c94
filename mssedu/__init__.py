"""mssedu: a course toolkit for music source separation.

Submodules (imported on first use, so ``import mssedu`` stays quick):
``audio``, ``spectral``, ``data``, ``masks``, ``phase``, ``metrics``, ``unet``, ``losses``,
``train``, ``pretrained``, ``plot``, ``widgets``, ``exercises``, ``cli``.
"""
from __future__ import annotations

import importlib

from ._errors import MsseduError

__version__ = "0.1.0"
__all__ = ["MsseduError", "__version__"]

_SUBMODULES = {"audio", "spectral", "data", "masks", "phase", "metrics", "unet", "losses",
               "train", "pretrained", "plot", "widgets", "exercises", "cli", "classical",
               "spatial", "compat", "separator"}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'mssedu' has no attribute {name!r}")
