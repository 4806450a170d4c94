"""Time-frequency representations: the STFT and its inverse (:mod:`.fourier`), and the
constant-Q transform (:mod:`.constant_q`). Every name is importable from ``mssedu.spectral``.

Examples
--------
>>> import numpy as np
>>> from mssedu.spectral import istft, stft
>>> x = np.random.default_rng(0).standard_normal((2, 8000)).astype(np.float32)
>>> bool(np.abs(istft(stft(x, 512, 128), 128, length=8000) - x).max() < 1e-5)
True
"""
from __future__ import annotations

from .constant_q import constant_q_kernel, cqt, cqt_frequencies, icqt, naive_cqt
from .fourier import (amplitude_to_db, check_cola, check_invertible, check_stft_params, get_window,
                      istft, magphase, n_frames, stft)

__all__ = ["stft", "istft", "check_stft_params", "check_invertible", "magphase", "amplitude_to_db",
           "get_window", "check_cola", "n_frames", "cqt", "icqt", "cqt_frequencies",
           "constant_q_kernel", "naive_cqt"]
