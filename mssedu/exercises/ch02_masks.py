"""Exercises of chapter 2 (masks). Reference answers come from :mod:`mssedu.masks`."""
from __future__ import annotations

import numpy as np

from ..masks import ideal_binary_mask, ideal_ratio_mask, w_disjoint_orthogonality
from . import close, exercise

__all__: list = []  # the checkers register themselves; check() reaches them by name


def _mags(target, interference):
    return np.abs(np.asarray(target)), np.abs(np.asarray(interference))


@exercise("masks.ibm")
def check_ibm(answer, target=None, interference=None, threshold_db=0.0):
    """Ideal binary mask of ``target`` against ``interference`` (0 dB local criterion)."""
    expected = ideal_binary_mask(target, interference, threshold_db)
    a = np.asarray(answer)
    if a.dtype == bool:
        a = a.astype(np.float32)
    ok, msg = close(a, expected, "your mask", atol=1e-6,
                    hint="A bin is 1 where |target| > |interference| (strictly), 0 elsewhere; "
                         "compare magnitudes (np.abs), not complex values.")
    if ok:
        msg = f"Right: the IBM keeps {expected.mean():.0%} of the bins."
    return ok, msg


@exercise("masks.wiener")
def check_wiener(answer, target=None, interference=None):
    """Wiener (alpha = 2) ratio mask."""
    expected = ideal_ratio_mask(target, interference, alpha=2.0)
    S, N = _mags(target, interference)
    ok, msg = close(answer, expected, "your mask", rtol=1e-3, atol=1e-4,
                    hint="Use powers: |S|**2 / (|S|**2 + |N|**2). "
                    + ("(Did you use magnitudes, alpha = 1?)"
                       if np.allclose(np.asarray(answer, dtype=float).ravel()[:100],
                                      (S / np.maximum(S + N, 1e-30)).ravel()[:100], atol=1e-4)
                       else ""))
    return ok, ("Right: that is the oracle Wiener filter." if ok else msg)


@exercise("masks.psr")
def check_psr(answer, target=None, interference=None):
    """Preserved-signal ratio of the 0 dB IBM (fraction of the target's energy kept)."""
    expected = w_disjoint_orthogonality(target, interference)["psr"]
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return False, "Give one number between 0 and 1 (a fraction, not a percentage or an array)."
    if 1 < value <= 100 and abs(value / 100 - expected) < 1e-3:
        return False, "That looks like a percentage: give a fraction between 0 and 1."
    if abs(value - expected) < 1e-3:
        return True, f"Right: the binary mask keeps {expected:.1%} of the target's energy."
    return False, ("Not quite. PSR = sum(|M S|^2) / sum(|S|^2) with M the 0 dB IBM; sum over "
                   "channels, frequencies and frames.")
