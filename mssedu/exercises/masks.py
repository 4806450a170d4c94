"""Exercises of chapter 2 (masks). Reference answers come from :mod:`mssedu.masks`."""
from __future__ import annotations

import numpy as np

from ..masks import ideal_binary_mask, ideal_ratio_mask, w_disjoint_orthogonality
from .checking import check_function, close, exercise

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
    if np.iscomplexobj(a):
        return False, "Your mask is complex: a mask is real 0/1; compare magnitudes, np.abs(V) > np.abs(A)."
    S, N = _mags(target, interference)
    if a.shape == expected.shape:
        mixture = np.abs(np.asarray(target) + np.asarray(interference))
        if np.array_equal(a, (S > mixture).astype(np.float32)) and not np.array_equal(a, expected):
            return False, ("You compared the vocals with the mixture Y (|V| > |Y|), which is rarely "
                           "true. The IBM compares the target with the *interference*: the "
                           "accompaniment A, np.abs(V) > np.abs(A).")
        if np.array_equal(a, 1 - expected):
            return False, "Your mask is inverted (1 where the accompaniment is louder): swap the comparison."
    ok, msg = close(a, expected, "your mask", atol=1e-6,
                    hint="A bin is 1 where |target| > |interference| (strictly), 0 elsewhere.")
    if ok:
        ties = int(np.sum(S == N))
        msg = (f"Right: the IBM keeps {expected.mean():.0%} of the bins. "
               + (f"({ties} bins have |V| = |A| exactly; there > and >= differ.)" if ties else
                  "(No bin has |V| = |A| exactly here, so > and >= give the same mask; "
                  "the definition is the strict >, which gives 0 where both are silent.)"))
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


# --- build it yourself: the ratio mask of any alpha ---------------------------------------------

def _mask_cases():
    rng = np.random.default_rng(2)
    S = (rng.standard_normal((30, 20)) + 1j * rng.standard_normal((30, 20))).astype(np.complex64)
    N = (rng.standard_normal((30, 20)) + 1j * rng.standard_normal((30, 20))).astype(np.complex64)
    S[:3], N[:3] = 0, 0          # silent bins: both zero
    N[3:5] = 0                   # only the target sounds
    return [(S, N, 1.0), (S, N, 2.0), (S, N, 0.5)]


def _naive_mask(S, N, alpha, nan_ok=False, power_after=False, no_abs=False):
    a, b = (np.asarray(S), np.asarray(N)) if no_abs else (np.abs(S), np.abs(N))
    with np.errstate(divide="ignore", invalid="ignore"):
        m = (a / (a + b)) ** alpha if power_after else a ** alpha / (a ** alpha + b ** alpha)
    return m if nan_ok else np.nan_to_num(m, nan=0.0)


@exercise("masks.my_ratio_mask")
def my_ratio_mask(answer):
    """A function ``my_ratio_mask(S, N, alpha)``: ``|S|**alpha / (|S|**alpha + |N|**alpha)``,
    0 where both are silent, like :func:`mssedu.masks.ideal_ratio_mask`."""
    return check_function(
        answer, _mask_cases(), lambda S, N, a: ideal_ratio_mask(S, N, alpha=a),
        mistakes=[
            (lambda S, N, a: _naive_mask(S, N, a, nan_ok=True),
             "Your mask is NaN where both sources are silent (0 / 0). Give those bins 0: "
             "np.divide(num, den, out=np.zeros_like(num), where=den > 0)."),
            (lambda S, N, a: _naive_mask(S, N, a, power_after=True, nan_ok=True),
             "You raised the *ratio* to alpha, (|S| / (|S| + |N|))**alpha, and it is NaN where both "
             "are silent. Raise each magnitude first: |S|**alpha / (|S|**alpha + |N|**alpha), and give "
             "0 where the denominator is 0."),
            (lambda S, N, a: _naive_mask(S, N, a, power_after=True),
             "You raised the *ratio* to alpha, (|S| / (|S| + |N|))**alpha. Raise each magnitude "
             "first: |S|**alpha / (|S|**alpha + |N|**alpha) (for alpha = 2, the powers)."),
            (lambda S, N, a: _naive_mask(S, N, a, no_abs=True),
             "Your mask is complex: take magnitudes (np.abs) of S and N first; a ratio mask is real, in [0, 1]."),
            (lambda S, N, a: _naive_mask(S, N, 2 * a),
             "You squared the magnitudes on top of alpha: alpha = 2 already means powers |S|**2."),
        ],
        name="my_ratio_mask", rtol=1e-4, atol=1e-5,
        hint="Magnitudes S, N = np.abs(...); num = S**alpha; mask = num / (num + N**alpha), 0 where both are 0.")
