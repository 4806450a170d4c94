"""Exercises of chapter 4 (evaluation). Reference answers come from :mod:`mssedu.metrics`."""
from __future__ import annotations

import numpy as np

from ..metrics import sdr, si_sdr
from . import exercise

__all__: list = []  # the checkers register themselves; check() reaches them by name


def _number(answer):
    try:
        return float(np.asarray(answer, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        return None


@exercise("eval.sdr")
def check_sdr(answer, reference=None, estimate=None):
    """Plain SDR in dB over all channels and samples."""
    expected = sdr(reference, estimate)
    value = _number(answer)
    if value is None:
        return False, "Give one number in dB (a float), computed over all channels and samples."
    if abs(value - expected) < 0.01:
        return True, f"Right: {expected:.2f} dB."
    ratio = np.sum(np.asarray(reference, float) ** 2) / np.sum((np.asarray(reference, float) - estimate) ** 2)
    if abs(value - 20 * np.log10(ratio)) < 0.01:
        return False, "Energies are already squared: use 10 * log10, not 20 * log10."
    if abs(value - ratio) < 1e-3 * ratio:
        return False, "That is the ratio itself; convert it to decibels with 10 * log10."
    return False, "Not quite: SDR = 10 log10( sum s^2 / sum (s - s_hat)^2 )."


@exercise("eval.si_sdr")
def check_si_sdr(answer, reference=None, estimate=None):
    """SI-SDR in dB (zero-mean signals, one scale over all channels)."""
    expected = si_sdr(reference, estimate)
    value = _number(answer)
    if value is None:
        return False, "Give one number in dB (a float)."
    if abs(value - expected) < 0.01:
        return True, f"Right: {expected:.2f} dB, whatever the estimate's gain."
    if abs(value - sdr(reference, estimate)) < 0.01:
        return False, "That is the plain SDR: first scale the reference by alpha = <s_hat, s> / ||s||^2."
    return False, ("Not quite: alpha = <s_hat, s> / ||s||^2, then 10 log10(||alpha s||^2 / "
                   "||alpha s - s_hat||^2) (remove each channel's mean first).")
