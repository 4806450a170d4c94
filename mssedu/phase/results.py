"""What the phase-reconstruction algorithms return: the signal(s) and the convergence history.

Both the fast (:mod:`mssedu.phase.fast`) and the textbook (:mod:`mssedu.phase.textbook`)
implementations return these named tuples, so ``signal, history = ...`` works with either.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["GriffinLimResult", "MisiResult"]


class GriffinLimResult(NamedTuple):
    """What :func:`~mssedu.phase.griffin_lim` returns (unpacks as ``signal, history``).

    signal : np.ndarray or torch.Tensor, float32, ``(..., samples)``
    history : np.ndarray, float64, ``(n_iter + 1,)`` -- ``history[k]`` is the spectral
        convergence of the signal obtained after ``k`` iterations (``history[0]``: from the
        initial phase; ``history[-1]``: of ``signal``).
    """

    signal: object
    history: np.ndarray


class MisiResult(NamedTuple):
    """What :func:`~mssedu.phase.misi` returns (unpacks as ``estimates, history``).

    estimates : dict name -> waveform, or array/tensor ``(n_sources, ..., samples)``
        (same container type as the magnitudes given); they sum to the mixture.
    history : np.ndarray ``(n_iter + 1,)`` -- spectral convergence of all sources together
        after ``k`` iterations (``history[0]``: from the initial phases).
    """

    estimates: object
    history: np.ndarray
