"""Harmonic/percussive separation (HPSS, Fitzgerald 2010).

Harmonic sounds are horizontal lines in a spectrogram, percussive ones vertical lines;
median filters along time and along frequency tell them apart.
"""
from __future__ import annotations

import librosa
import numpy as np

from ..audio import as_signal
from ..checks import check_finite, is_number, is_whole
from ..errors import ParameterError
from ..spectral import istft, stft

__all__ = ["hpss_masks", "hpss"]


def hpss_masks(S, kernel_size=31, power: float = 2.0, margin=1.0):
    r"""Harmonic and percussive soft masks by median filtering (Fitzgerald, 2010).

    With :math:`|S|` the magnitude spectrogram,
    :math:`H = \mathrm{median}_{\text{time}}(|S|)` (a horizontal median filter of
    ``kernel_size[0]`` frames) and :math:`P = \mathrm{median}_{\text{freq}}(|S|)` (a
    vertical one of ``kernel_size[1]`` bins), the harmonic mask is the Wiener-like ratio

    .. math:: M_H = \frac{H^p}{H^p + (\beta P)^p}, \qquad
              M_P = \frac{P^p}{P^p + (\beta H)^p}

    with ``power`` :math:`p` and ``margin`` :math:`\beta \ge 1` (Driedger et al., 2014: a
    margin above 1 leaves a residual that is neither). Computed by
    :func:`librosa.decompose.hpss` on our spectrogram.

    Parameters
    ----------
    S : ``(..., freq, frames)`` complex or magnitude spectrogram
    kernel_size : int or (int, int) -- (harmonic in frames, percussive in bins)
    power : float > 0 (``np.inf`` gives binary masks)
    margin : float or (float, float), >= 1

    Returns
    -------
    (mask_harmonic, mask_percussive), each shaped like ``S``, values in ``[0, 1]``
    """
    S = np.asarray(S)
    if S.ndim < 2:
        raise ParameterError(f"S must be a spectrogram (..., freq, frames), got shape {S.shape}.")
    check_finite(S, "S")
    ks = (kernel_size, kernel_size) if np.isscalar(kernel_size) else tuple(kernel_size)
    if len(ks) != 2 or any(not is_whole(k) or k < 1 for k in ks):
        raise ParameterError(f"kernel_size must be a positive whole number or a pair of them, got {kernel_size!r}.")
    margins = (margin, margin) if np.isscalar(margin) else tuple(margin)
    if len(margins) != 2 or any(not is_number(m) or m < 1 for m in margins):
        raise ParameterError(f"margin must be >= 1 (1 = no residual), got {margin!r}.")
    if not is_number(power) or not power > 0:
        raise ParameterError(f"power must be > 0, got {power!r}.")
    return librosa.decompose.hpss(np.abs(S), kernel_size=tuple(int(k) for k in ks),
                                  power=power, mask=True, margin=margins)


def hpss(x, kernel_size=31, power: float = 2.0, margin=1.0, n_fft: int = 2048,
         hop_length: int = 512, window="hann") -> dict:
    """Split a signal ``(channels, samples)`` into harmonic and percussive parts.

    Masks from :func:`hpss_masks` are applied to the STFT of ``x``; the result is a dict with
    ``"harmonic"``, ``"percussive"`` and, when ``margin > 1``, ``"residual"`` (what neither
    mask claims, so that the parts always add up to ``x``). Each is ``(channels, samples)``.

    Parameters
    ----------
    x : array_like, shape ``(channels, samples)``
        The signal.
    kernel_size, power, margin
        As in :func:`hpss_masks`.
    n_fft : int
        STFT frame length.
    hop_length : int
        STFT hop.
    window : str or array
        STFT window.

    Returns
    -------
    dict
        ``"harmonic"``, ``"percussive"`` (and ``"residual"``), each float32
        ``(channels, samples)``.

    Examples
    --------
    >>> from mssedu.data import example_track
    >>> from mssedu.classical import hpss
    >>> parts = hpss(example_track().excerpt(0, 1).mixture)
    >>> sorted(parts)
    ['harmonic', 'percussive']
    """
    x = as_signal(x, "x")
    X = stft(x, n_fft, hop_length, window)
    mh, mp = hpss_masks(X, kernel_size, power, margin)
    out = {"harmonic": istft(X * mh, hop_length, window, length=x.shape[-1]),
           "percussive": istft(X * mp, hop_length, window, length=x.shape[-1])}
    if not np.isscalar(margin) or margin != 1:
        out["residual"] = (x - out["harmonic"] - out["percussive"]).astype(np.float32)
    return out
