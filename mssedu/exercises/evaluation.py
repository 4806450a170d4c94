"""Exercises of chapter 4 (evaluation). Reference answers come from :mod:`mssedu.metrics`."""
from __future__ import annotations

import numpy as np
import scipy.stats

from ..metrics import sdr, si_sdr
from .checking import check_function, exercise
from .hints import ladder

__all__: list = []  # the checkers register themselves; check() reaches them by name


def _number(answer):
    try:
        return float(np.asarray(answer, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        return None


@exercise("evaluation.sdr")
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


@exercise("evaluation.si_sdr")
def check_si_sdr(answer, reference=None, estimate=None):
    """SI-SDR in dB (zero-mean signals, one scale over all channels)."""
    expected = si_sdr(reference, estimate)
    value = _number(answer)
    if value is None:
        return False, "Give one number in dB (a float)."
    if abs(value - expected) < 0.01:
        return True, f"Right: {expected:.2f} dB, whatever the estimate's gain."
    if abs(value - sdr(reference, estimate)) < 0.01:
        return False, ("That is the plain SDR: first scale the reference by the gain that fits the "
                       "estimate best (the inner product of s_hat and s over the energy of s).")
    return False, "Not quite. " + ladder(
        "evaluation.si_sdr",
        "SI-SDR first scales the reference to fit the estimate best, then compares the energies of "
        "the scaled reference and of what is left.",
        "Remove each channel's mean; alpha = (inner product of s_hat and s) / (energy of s); the "
        "target is alpha s, the error s_hat - alpha s; 10 log10 of their energy ratio.")


# --- build it yourself: SI-SDR from the projection formula ------------------------------------

def _si_sdr_cases():
    rng = np.random.default_rng(5)
    s = rng.standard_normal((2, 4000)) + 0.3
    s[1] *= 0.3
    return [(s, 0.5 * s + 0.2 * rng.standard_normal((2, 4000)) - 0.1),
            (s, s * np.array([[2.0], [0.5]]) + 0.05 * rng.standard_normal((2, 4000))),
            (s[:1], -0.7 * s[:1] + 0.4 * rng.standard_normal((1, 4000)))]


def _si_sdr_variant(reference, estimate, per_channel=False, zero_mean=True, log_factor=10.0):
    r, e = np.asarray(reference, np.float64), np.asarray(estimate, np.float64)
    if zero_mean:
        r, e = r - r.mean(-1, keepdims=True), e - e.mean(-1, keepdims=True)
    if per_channel:
        alpha = np.sum(e * r, -1, keepdims=True) / np.sum(r ** 2, -1, keepdims=True)
    else:
        alpha = np.sum(e * r) / np.sum(r ** 2)
    return log_factor * np.log10(np.sum((alpha * r) ** 2) / np.sum((alpha * r - e) ** 2))


@exercise("evaluation.my_si_sdr")
def my_si_sdr(answer):
    """A function ``my_si_sdr(reference, estimate)``: SI-SDR in dB of ``(channels, samples)``
    arrays, each channel's mean removed, one scale over all channels."""
    return check_function(
        answer, _si_sdr_cases(), lambda r, e: float(si_sdr(r, e)),
        mistakes=[
            (lambda r, e: _si_sdr_variant(r, e, per_channel=True),
             "You scaled each channel by its own alpha. The exercise (and mssedu.metrics.si_sdr) uses "
             "one alpha over all channels and samples: alpha = sum(e * r) / sum(r**2) over everything."),
            (lambda r, e: _si_sdr_variant(r, e, zero_mean=False),
             "Remove each channel's mean (of reference and estimate) first, as Le Roux et al. do; "
             "an offset otherwise counts as signal."),
            (lambda r, e: _si_sdr_variant(r, e, log_factor=20.0),
             "Energies (sums of squares) take 10 * log10, not 20 * log10."),
            (lambda r, e: float(sdr(r, e)),
             "That is the plain SDR: scale the reference by the best-fitting gain first (the inner "
             "product of estimate and reference over the reference's energy)."),
        ],
        name="my_si_sdr", rtol=1e-4, atol=1e-4,
        hint=ladder("evaluation.my_si_sdr",
                    "Scale the reference by the gain that fits the estimate best, then compare the scaled "
                    "reference's energy with the energy of what remains.",
                    "Zero-mean both; alpha = sum(e r) / sum(r r); then the energy ratio of alpha r and "
                    "alpha r - e, in dB (10 log10)."))


# --- the perceptual gap: rank correlation of ratings and a metric ------------------------------

@exercise("evaluation.rank_correlation")
def check_rank_correlation(answer, ratings=None, metric=None):
    """Spearman's rank correlation between listening-test ratings and a metric (one float)."""
    expected = float(scipy.stats.spearmanr(metric, ratings).statistic)
    value = _number(answer)
    if value is None or not -1 <= value <= 1:
        return False, "Give one number between -1 and 1 (Spearman's rho)."
    if abs(value - expected) < 1e-6:
        return True, f"Right: rho = {expected:.2f}."
    if abs(value - float(np.corrcoef(metric, ratings)[0, 1])) < 1e-6:
        return False, ("That is Pearson's correlation of the values. Spearman's correlates their "
                       "ranks: scipy.stats.spearmanr(metric, ratings).")
    return False, "Not quite: rho = corr(rank(metric), rank(ratings)) (scipy.stats.spearmanr)."
