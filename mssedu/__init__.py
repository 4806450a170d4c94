"""mssedu: a course toolkit for music source separation.

Submodules are imported on first use, so ``import mssedu`` stays quick. From the bottom up:

* ``errors``, ``config`` -- the exception family and run-time settings;
* ``audio``, ``spectral``, ``masks``, ``phase``, ``metrics``, ``classical``, ``spatial``,
  ``losses``, ``chunking`` -- the signal-processing lessons, one concept per module;
  ``listening`` -- a MUSHRA listening test's conditions, ratings files and rank correlations;
* ``data`` -- tracks, the real example excerpt, MUSDB18, synthetic songs, training excerpts;
* ``models`` -- the students' mask models (mini U-Net, band-split): checkpoints, separator, training;
* ``separation`` -- one ``separate()`` for every separator (oracle, mini U-Net, HT-Demucs),
  demucs weights, scoring;
* ``pipeline`` -- the end-to-end demo; ``cli`` -- the ``mssedu`` command;
* ``plot``, ``widgets``, ``exercises`` -- figures, sliders and checked exercises for the notebooks;
  ``tables`` -- results tables as shown (rounded, units, BSS Eval footnotes).
"""
from __future__ import annotations

import importlib

from .errors import (AudioError, DataError, ModelLoadingError, MsseduError, NetworkError,
                     ParameterError)

__version__ = "0.1.0"
__all__ = ["MsseduError", "ParameterError", "DataError", "AudioError", "ModelLoadingError",
           "NetworkError", "__version__"]

_SUBMODULES = {"errors", "checks", "config", "audio", "spectral", "data", "masks", "phase", "metrics",
               "models", "losses", "chunking", "separation", "pipeline", "plot", "widgets",
               "exercises", "cli", "classical", "spatial", "compat", "network", "chapters", "progress",
               "atomic", "course", "app", "colab_setup", "tables", "extras",
               "listening"}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'mssedu' has no attribute {name!r}")
