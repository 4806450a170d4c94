"""Exercises of chapter 8 (notebook ``08_beyond``): the pan law's ILD and an ILD map.
Reference answers come from :mod:`mssedu.spatial`.

>>> from mssedu.exercises import check
>>> check("beyond.pan_law_ild", 7.66).ok
True
"""
from __future__ import annotations

import numbers

import numpy as np

from ..spatial import pan, pan_law_ild
from ..spectral import stft
from . import exercise

__all__ = ["ild_problem", "POSITION", "N_FFT", "HOP"]

POSITION = -0.5
N_FFT, HOP = 512, 128


def ild_problem() -> np.ndarray:
    """The ILD exercise's input: a stereo STFT ``(2, 257, frames)``, complex64, of two
    tones panned to different places over a little noise.

    Returns
    -------
    numpy.ndarray
        ``(2, 257, frames)``, complex64.
    """
    sr = 8000
    t = np.arange(sr // 2) / sr
    rng = np.random.default_rng(11)
    x = (pan(np.sin(2 * np.pi * 440 * t), -0.6) + pan(0.5 * np.sin(2 * np.pi * 1250 * t), 0.4)
         + 0.01 * rng.standard_normal((2, len(t))))
    return stft(x.astype(np.float32), N_FFT, HOP)


@exercise("beyond.pan_law_ild")
def _pan_law_ild(answer):
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise TypeError(f"the ILD should be one number of dB, got {type(answer).__name__}")
    expected = pan_law_ild(POSITION)
    if abs(answer - expected) <= 0.01:
        return True, (f"{expected:.2f} dB: at pan {POSITION} the left channel carries cos^2 = "
                      f"{np.cos((POSITION + 1) * np.pi / 4) ** 2:.0%} of the power.")
    if abs(answer + expected) <= 0.01:
        return False, "Right magnitude, wrong sign: ILD = 20 log10(|L| / |R|) is positive when the left is louder."
    if abs(answer - expected / 2) <= 0.01:
        return False, "Amplitudes take 20 log10, not 10 log10 (that is for powers)."
    return False, ("theta = (p + 1) * pi / 4, L = cos(theta) s, R = sin(theta) s; the ILD is "
                   "20 log10(L / R), the same in every bin.")


@exercise("beyond.ild")
def _ild(answer):
    X = ild_problem()
    a = np.asarray(answer, dtype=np.float64)
    if a.shape != X.shape[1:]:
        return False, f"Expected one ILD per bin, shape {X.shape[1:]}; got {a.shape}."
    L, R = np.abs(X[0]).astype(np.float64), np.abs(X[1]).astype(np.float64)
    loud = np.minimum(L, R) > 1e-3 * max(L.max(), R.max())
    expected = 20 * np.log10(L[loud] / R[loud])
    got = a[loud]
    if np.allclose(got, expected, atol=0.05):
        return True, (f"Right. The 440 Hz tone's bins say about {pan_law_ild(-0.6):+.1f} dB (left), "
                      f"the 1250 Hz tone's about {pan_law_ild(0.4):+.1f} dB (right): panning is a "
                      "level difference per bin.")
    if np.allclose(got, -expected, atol=0.05):
        return False, "Sign: the ILD is 20 log10(|X_L| / |X_R|) (left over right)."
    if np.allclose(got, expected / 2, atol=0.05):
        return False, "Magnitudes take 20 log10 (10 log10 is for powers |X|**2)."
    return False, "Compute 20 * np.log10(np.abs(X[0]) / np.abs(X[1])) (add a tiny eps to avoid 0/0)."
