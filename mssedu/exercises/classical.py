"""Exercises of chapter 5 (notebook ``05_classical``): the karaoke trick and
REPET's repeating period. Reference answers come from :mod:`mssedu.classical`.

>>> from mssedu.exercises import check
>>> from mssedu.exercises.classical import karaoke_problem
>>> x = karaoke_problem()
>>> check("classical.karaoke", x[0] - x[1]).ok
True
"""
from __future__ import annotations

import functools
import numbers

import numpy as np

from ..classical import beat_spectrum, repeating_period
from ..data import example_track
from ..spectral import stft
from .checking import check_function, exercise

__all__ = ["karaoke_problem", "period_problem", "N_FFT", "HOP", "MIN_S", "MAX_S"]

N_FFT, HOP = 2048, 512
MIN_S, MAX_S = 0.8, 2.0


def karaoke_problem() -> np.ndarray:
    """Two seconds of the example mixture, ``(2, samples)``.

    Returns
    -------
    numpy.ndarray
        ``(2, samples)``, float32.
    """
    return example_track().excerpt(1.0, 2.0).mixture


@functools.lru_cache(maxsize=1)
def _period_problem():
    t = example_track()
    b = beat_spectrum(np.abs(stft(t.mixture, N_FFT, HOP)) ** 2)
    return b, t.sr


def period_problem():
    """The REPET exercise's inputs: ``(beat, sr, hop_length, min_s, max_s)``: the beat
    spectrum of the example mixture (lag 0 first, one value per STFT frame of
    ``hop_length`` samples), and the search range in seconds.

    Returns
    -------
    beat : numpy.ndarray
        The beat spectrum.
    sr : int
        Sample rate in Hz.
    hop_length : int
        Samples per lag.
    min_s, max_s : float
        The search range in seconds.
    """
    b, sr = _period_problem()
    return b.copy(), sr, HOP, MIN_S, MAX_S


@exercise("classical.karaoke")
def _karaoke(answer):
    x = karaoke_problem().astype(np.float64)
    a = np.asarray(answer, dtype=np.float64)
    if a.ndim == 2 and a.shape[0] in (1, 2):
        if a.shape[0] == 2 and not np.allclose(a[0], a[1], atol=1e-5):
            return False, ("Your two channels differ. The karaoke signal is one signal, L - R "
                           "(you may play it on both channels).")
        a = a[0]
    if a.shape != x[0].shape:
        return False, f"Expected {x.shape[-1]} samples (one channel), got shape {np.shape(answer)}."
    diff = x[0] - x[1]
    if np.allclose(a, diff, atol=1e-5):
        return True, "L - R: everything mixed equally into both channels is gone."
    if np.allclose(a, -diff, atol=1e-5):
        return True, "R - L works just as well: the same signal with inverted polarity, which sounds identical."
    if np.allclose(a, (x[0] + x[1]) / 2, atol=1e-5) or np.allclose(a, x[0] + x[1], atol=1e-5):
        return False, "That is the mid (sum) signal, which keeps the centre. Subtract instead."
    if np.allclose(a, diff / 2, atol=1e-5):
        return True, "(L - R) / 2, the side signal: the same thing at half the level."
    return False, "Take the left channel x[0] minus the right channel x[1]."


@exercise("classical.repet_period")
def _repet_period(answer):
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise TypeError(f"the period should be one number of seconds, got {type(answer).__name__}")
    b, sr = _period_problem()
    fps = sr / HOP
    lo, hi = int(np.ceil(MIN_S * fps)), int(np.ceil(MAX_S * fps))
    expected = repeating_period(b, lo, hi) / fps
    if abs(answer - expected) <= 0.6 / fps:
        return True, (f"{expected:.3f} s: the strongest self-similarity of the spectrogram within "
                      f"[{MIN_S}, {MAX_S}] s. REPET's median model uses segments of that length.")
    if abs(answer - expected * fps) <= 0.6:
        return False, "That is the period in frames; convert to seconds: frames * hop_length / sr."
    if answer < MIN_S or answer > MAX_S:
        return False, (f"Search only lags between {MIN_S} and {MAX_S} s (the beat spectrum is "
                       "largest at lag 0, which is no period at all).")
    return False, ("Find the lag with the largest beat-spectrum value inside the range "
                   "(np.argmax on beat[lo:hi + 1], plus lo), then convert frames to seconds.")


# --- build it yourself: the beat spectrum --------------------------------------------------------

def _beat_cases():
    rng = np.random.default_rng(6)
    loop = rng.random((12, 7)) ** 2
    P = np.tile(loop, (1, 6))[:, :40] + 0.05 * rng.random((12, 40))
    return [(P,), (rng.random((5, 17)),)]


def _beat_loop(P, unbiased=True, normalise=True, circular=False, axis_freq=True):
    P = np.asarray(P, dtype=np.float64)
    if not axis_freq:
        P = P.T
    F, T = P.shape
    b = np.empty(T)
    for lag in range(T):
        if circular:
            b[lag] = np.mean(np.sum(P * np.roll(P, -lag, axis=1), axis=1)) / T
        else:
            prod = np.sum(P[:, :T - lag] * P[:, lag:], axis=1)
            b[lag] = np.mean(prod / (T - lag if unbiased else 1))
    return b / b[0] if normalise else b


@exercise("classical.my_beat_spectrum")
def my_beat_spectrum(answer):
    """A function ``my_beat_spectrum(P)`` of a power spectrogram ``(freq, frames)``: the
    autocorrelation of every row over time, divided by the overlap ``T - lag``, averaged over
    frequency, normalised to ``b[0] = 1``, like :func:`mssedu.classical.beat_spectrum`."""
    return check_function(
        answer, _beat_cases(), beat_spectrum,
        mistakes=[
            (lambda P: _beat_loop(P, unbiased=False),
             "You summed the products without dividing by the overlap T - lag: long lags have fewer "
             "products, so your beat spectrum slopes down and favours short periods."),
            (lambda P: _beat_loop(P, normalise=False),
             "Normalise at the end: divide by b[0], so that lag 0 is 1."),
            (lambda P: _beat_loop(P, circular=True),
             "That is a circular autocorrelation (np.roll wraps the end onto the start). Use only "
             "the overlapping part, P[:, :T - lag] * P[:, lag:] (or zero-pad to 2T before an FFT)."),
            (lambda P: _beat_loop(P, axis_freq=False),
             "You autocorrelated along frequency. Lags are in *time*: correlate each row "
             "(frequency bin) with itself shifted along the frames axis, then average the rows."),
        ],
        name="my_beat_spectrum", rtol=1e-6, atol=1e-9,
        hint="For lag in range(T): b[lag] = mean over f of sum_t P[f, t] P[f, t + lag] / (T - lag); then b / b[0].")
