r"""The constant-Q transform: bins spaced evenly in pitch, from scratch (Brown, 1991) for
reading (:func:`naive_cqt`) and through librosa for use (:func:`cqt`, :func:`icqt`)."""
from __future__ import annotations

import librosa
import numpy as np
import scipy.signal

from ..audio import as_signal
from ..checks import check_rate, is_whole
from ..errors import ParameterError

__all__ = ["cqt", "icqt", "cqt_frequencies", "constant_q_kernel", "naive_cqt"]


def cqt_frequencies(n_bins: int = 84, fmin: float = 32.70, bins_per_octave: int = 12) -> np.ndarray:
    r"""Centre frequencies :math:`f_k = f_{min}\, 2^{k / B}` of the CQT bins.

    Parameters
    ----------
    n_bins : int
        Number of bins.
    fmin : float
        Frequency of the lowest bin in Hz (32.70 Hz is C1).
    bins_per_octave : int
        :math:`B`, bins per octave (12: semitones).

    Returns
    -------
    np.ndarray
        Shape ``(n_bins,)``, in Hz.
    """
    return fmin * 2.0 ** (np.arange(n_bins) / bins_per_octave)


def constant_q_kernel(sr: int, fmin: float = 32.70, n_bins: int = 84,
                      bins_per_octave: int = 12, window="hann"):
    r"""The constant-Q filters, from scratch (Brown, 1991).

    Bin :math:`k` has centre :math:`f_k = f_{min} 2^{k/B}` and quality factor
    :math:`Q = 1 / (2^{1/B} - 1)`, so its filter is :math:`N_k = \lceil Q\, f_s / f_k \rceil`
    samples long: long for low notes (fine frequency resolution), short for high ones
    (fine time resolution). The filter is a window times a complex exponential,

    .. math::  a_k[n] = \frac{w[n]}{N_k} \, e^{2\pi i Q n / N_k}, \qquad n = 0..N_k-1 .

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    fmin : float
        Frequency of the lowest bin in Hz.
    n_bins : int
        Number of bins; the top one must lie below Nyquist.
    bins_per_octave : int
        Bins per octave.
    window : str
        Window shape of each filter (a scipy name).

    Returns
    -------
    filters : list of np.ndarray
        One complex filter :math:`a_k` per bin, of length :math:`N_k`.
    lengths : np.ndarray
        The lengths :math:`N_k`, shape ``(n_bins,)``.
    freqs : np.ndarray
        The centre frequencies, shape ``(n_bins,)``.
    """
    sr = check_rate(sr)
    freqs = cqt_frequencies(n_bins, fmin, bins_per_octave)
    if freqs[-1] >= sr / 2:
        raise ParameterError(f"The top CQT bin ({freqs[-1]:.0f} Hz) is above Nyquist ({sr / 2:.0f} Hz); "
                          "use fewer bins or a lower fmin.")
    Q = 1.0 / (2.0 ** (1.0 / bins_per_octave) - 1.0)
    lengths = np.ceil(Q * sr / freqs).astype(int)
    filters = []
    for N in lengths:
        n = np.arange(N)
        w = scipy.signal.get_window(window, N, fftbins=False) if N > 1 else np.ones(1)
        filters.append((w / N) * np.exp(2j * np.pi * Q * n / N))
    return filters, lengths, freqs


def naive_cqt(x, sr: int, hop_length: int = 512, fmin: float = 32.70, n_bins: int = 84,
              bins_per_octave: int = 12) -> np.ndarray:
    r"""Teaching CQT: correlate each centred frame with each constant-Q filter directly,

    .. math:: X^{CQ}[k, m] = \sum_n x[n + mH - N_k/2]\; \overline{a_k[n]} .

    Slow (it is a loop over bins, for reading, not for songs) and mono only: ``x`` is 1-D.

    Parameters
    ----------
    x : array_like, shape ``(samples,)``
        A mono signal.
    sr : int
        Sample rate in Hz.
    hop_length : int
        Step between frames.
    fmin : float
        Frequency of the lowest bin in Hz.
    n_bins : int
        Number of bins.
    bins_per_octave : int
        Bins per octave.

    Returns
    -------
    np.ndarray
        complex64 ``(n_bins, frames)``, frames centred on multiples of ``hop_length``.
    """
    x = as_signal(x, "x")
    if x.ndim != 1:
        raise ParameterError("naive_cqt takes a mono 1-D signal; use cqt for (channels, samples).")
    filters, lengths, _ = constant_q_kernel(sr, fmin, n_bins, bins_per_octave)
    pad = int(lengths.max()) // 2 + 1
    xp = np.pad(x, pad)
    n_fr = 1 + len(x) // hop_length
    out = np.zeros((n_bins, n_fr), dtype=np.complex64)
    for k, (a, N) in enumerate(zip(filters, lengths)):
        # every frame of this bin at once: strided view of the padded signal
        starts = pad + np.arange(n_fr) * hop_length - N // 2
        frames = np.lib.stride_tricks.sliding_window_view(xp, N)[starts]
        out[k] = frames @ np.conj(a)
    return out


def cqt(x, sr: int, hop_length: int = 512, fmin: float = 32.70, n_bins: int = 84,
        bins_per_octave: int = 12) -> np.ndarray:
    """Constant-Q transform of ``(..., samples)`` -> complex ``(..., n_bins, frames)``,
    computed by :func:`librosa.cqt` (its recursive down-sampling is much faster than
    :func:`naive_cqt`, which shows the idea). ``hop_length`` must be divisible by
    ``2**(octaves - 1)``.

    Parameters
    ----------
    x : array_like, shape ``(..., samples)``
        The signal, e.g. ``(channels, samples)``.
    sr : int
        Sample rate in Hz.
    hop_length : int
        Step between frames.
    fmin : float
        Frequency of the lowest bin in Hz.
    n_bins : int
        Number of bins.
    bins_per_octave : int
        Bins per octave.

    Returns
    -------
    np.ndarray
        Complex ``(..., n_bins, frames)``, e.g. ``(channels, n_bins, frames)``.
    """
    sr = check_rate(sr)
    x = as_signal(x, "x")
    try:
        return librosa.cqt(x, sr=sr, hop_length=hop_length, fmin=fmin, n_bins=n_bins,
                           bins_per_octave=bins_per_octave)
    except librosa.util.exceptions.ParameterError as err:
        raise ParameterError(f"CQT parameters rejected: {err}") from err


def icqt(C, sr: int, hop_length: int = 512, fmin: float = 32.70, bins_per_octave: int = 12,
         length: int | None = None) -> np.ndarray:
    """Approximate inverse of :func:`cqt` (:func:`librosa.icqt`). The CQT is not a tight
    frame, so the reconstruction is close but not exact: a point the course makes.

    Parameters
    ----------
    C : array_like, complex, shape ``(..., n_bins, frames)``
        A CQT from :func:`cqt`.
    sr : int
        Sample rate in Hz.
    hop_length : int
        Step between frames, as in :func:`cqt`.
    fmin : float
        Frequency of the lowest bin in Hz, as in :func:`cqt`.
    bins_per_octave : int
        Bins per octave, as in :func:`cqt`.
    length : int, optional
        Exact output length in samples.

    Returns
    -------
    np.ndarray
        float32 ``(..., samples)``.
    """
    sr = check_rate(sr)
    if length is not None and (not is_whole(length) or length < 1):
        raise ParameterError(f"length must be a positive whole number of samples, got {length!r}; "
                             "pass the original signal's length (x.shape[-1]) or None.")
    return librosa.icqt(np.asarray(C), sr=sr, hop_length=hop_length, fmin=fmin,
                        bins_per_octave=bins_per_octave, length=length).astype(np.float32)

