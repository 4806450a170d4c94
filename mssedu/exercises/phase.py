"""Exercises of chapter 3 (notebook ``03_phase``): spectral convergence and MISI's mixing
constraint. Reference answers come from :mod:`mssedu.phase`.

>>> from mssedu.exercises import check
>>> from mssedu.exercises.phase import misi_problem
>>> est, mix = misi_problem()
>>> check("phase.misi_step", est + (mix - est.sum(axis=0)) / len(est)).ok
True
"""
from __future__ import annotations

import functools

import numpy as np

from ..phase import griffin_lim, spectral_convergence
from ..spectral import istft, stft
from .checking import as_number, check_function, close, exercise

__all__ = ["sc_problem", "misi_problem"]

N_FFT, HOP = 512, 128


def _signal() -> np.ndarray:
    """One second at 8 kHz: a 220 Hz tone with harmonics, plus a little noise, float32."""
    sr = 8000
    t = np.arange(sr) / sr
    x = sum(np.sin(2 * np.pi * 220 * k * t) / k for k in range(1, 6))
    x = x + 0.05 * np.random.default_rng(3).standard_normal(sr)
    return (0.3 * x).astype(np.float32)


@functools.lru_cache(maxsize=1)
def _sc_problem():
    x = _signal()
    A = np.abs(stft(x, N_FFT, HOP))
    y, _ = griffin_lim(A, n_iter=4, momentum=0.0, length=len(x), seed=1)
    return A, stft(y, N_FFT, HOP)


def sc_problem():
    """The spectral-convergence exercise's inputs.

    Returns
    -------
    A : np.ndarray
        The target magnitude, real ``(257, 63)``.
    X_hat : np.ndarray
        The STFT (complex, same shape) of a 4-iteration classic Griffin-Lim reconstruction
        of ``A``.

    Examples
    --------
    >>> from mssedu.exercises.phase import sc_problem
    >>> A, X_hat = sc_problem()
    >>> A.shape, X_hat.dtype
    ((257, 63), dtype('complex64'))
    """
    A, X = _sc_problem()
    return A.copy(), X.copy()


def misi_problem():
    """The MISI exercise's inputs.

    Returns
    -------
    estimates : np.ndarray
        ``(3, 4000)`` float32: three source waveforms that do not add up to the mixture.
    mixture : np.ndarray
        ``(4000,)`` float32.

    Examples
    --------
    >>> from mssedu.exercises.phase import misi_problem
    >>> est, mix = misi_problem()
    >>> est.shape, mix.shape
    ((3, 4000), (4000,))
    """
    rng = np.random.default_rng(7)
    sources = rng.standard_normal((3, 4000)).astype(np.float32) * np.array([[1.0], [0.5], [0.25]], np.float32)
    estimates = (sources * 0.8 + 0.05 * rng.standard_normal((3, 4000))).astype(np.float32)
    return estimates, sources.sum(axis=0)


@exercise("phase.spectral_convergence")
def _spectral_convergence(answer):
    value = as_number(answer, "sc")
    A, X = _sc_problem()
    expected = spectral_convergence(A, X)
    if abs(value - expected) <= 1e-3 * expected:
        return True, (f"SC = {expected:.4f}: after 4 classic iterations the magnitudes are still "
                      f"{100 * expected:.0f}% off (relative, in the Frobenius norm).")
    if abs(value - np.linalg.norm(X - A) / np.linalg.norm(A)) <= 1e-3 * expected:
        return False, ("You compared the complex STFT with the magnitude. Spectral convergence "
                       "compares magnitudes: take np.abs(X_hat) first.")
    if abs(value - np.linalg.norm(np.abs(X) - A)) <= 1e-3 * np.linalg.norm(np.abs(X) - A):
        return False, "That is the numerator only: divide by the norm of A (np.linalg.norm(A))."
    if abs(value - np.linalg.norm(np.abs(X) - A) ** 2 / np.linalg.norm(A) ** 2) <= 1e-3:
        return False, "Squared norms: take the square root of both (np.linalg.norm does it for you)."
    return False, "Not quite: SC = ||  |X_hat| - A  ||_F / ||A||_F (np.linalg.norm flattens the array)."


@exercise("phase.misi_step")
def _misi_step(answer):
    est, mix = misi_problem()
    a = np.asarray(answer, dtype=np.float64)
    expected = est + (mix - est.sum(axis=0)) / len(est)
    if a.shape != est.shape:
        return False, f"Return all three corrected sources, shape {est.shape}; got {a.shape}."
    ok, msg = close(a, expected, "corrected estimates", rtol=1e-4, atol=1e-5)
    if ok:
        return True, ("The corrected estimates add up to the mixture exactly, and each moved by "
                      "the same third of the error: MISI does this at every iteration.")
    if np.allclose(a.sum(axis=0), mix, atol=1e-4):
        return False, ("They do add up to the mixture, but the error should be shared equally: "
                       "add (mixture - sum of estimates) / J to every source.")
    if np.allclose(a, est + (mix - est.sum(axis=0)), atol=1e-4):
        return False, "You added the whole error to every source: divide it by J (the number of sources)."
    return False, "Compute delta = mixture - estimates.sum(axis=0), then estimates + delta / J."


# --- build it yourself: one Griffin-Lim iteration ---------------------------------------------

def _gl_cases():
    x = _signal()[:2000]
    A = np.abs(stft(x, N_FFT, HOP))
    rng = np.random.default_rng(4)
    guess = (0.3 * rng.standard_normal(2000)).astype(np.float32)
    return [(A, guess, N_FFT, HOP), (A, 0.5 * x[::-1].copy(), N_FFT, HOP)]


def _gl_step(A, x, n_fft, hop, keep_magnitude=False, no_length=False, zero_phase=False):
    X = stft(np.asarray(x, dtype=np.float32), n_fft, hop)
    if zero_phase:
        Y = A.astype(np.complex64)
    elif keep_magnitude:
        Y = X
    else:
        Y = A * np.exp(1j * np.angle(X))
    return istft(Y, hop, length=None if no_length else len(x), n_fft=n_fft)


@exercise("phase.my_griffin_lim_step")
def my_griffin_lim_step(answer):
    """A function ``my_gl_step(A, x, n_fft, hop)``: one Griffin-Lim iteration from the waveform
    ``x``: keep the phase of ``stft(x)``, impose the magnitude ``A``, invert (same length)."""
    return check_function(
        answer, _gl_cases(), _gl_step,
        mistakes=[
            (lambda A, x, n, h: _gl_step(A, x, n, h, keep_magnitude=True),
             "You inverted stft(x) unchanged (that just gives x back). The step *imposes the target "
             "magnitude*: A * np.exp(1j * np.angle(X))."),
            (lambda A, x, n, h: _gl_step(A, x, n, h, zero_phase=True),
             "You used the target magnitude with zero phase (np.angle(A) is 0). Take the phase "
             "of the current estimate's STFT, np.angle(stft(x, n_fft, hop))."),
            (lambda A, x, n, h: _gl_step(A, x, n, h, no_length=True),
             "Your output has the wrong length: pass length=len(x) (and n_fft) to istft, so the "
             "padding of the centred STFT is cut off exactly."),
        ],
        name="my_gl_step", rtol=1e-3, atol=1e-4,
        hint="X = stft(x, n_fft, hop); X = A * np.exp(1j * np.angle(X)); "
             "return istft(X, hop, length=len(x), n_fft=n_fft).")
