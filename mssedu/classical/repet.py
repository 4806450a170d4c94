"""REPET (Rafii & Pardo, 2013): the accompaniment repeats, the voice does not.

A median over repetitions of the spectrogram models the repeating background; the beat
spectrum finds the repeating period.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..audio import as_signal
from ..checks import check_finite, check_rate, is_whole
from ..errors import ParameterError
from ..spectral import istft, stft

__all__ = ["beat_spectrum", "repeating_period", "repet_mask", "repet", "RepetResult"]


def beat_spectrum(power_spectrogram) -> np.ndarray:
    r"""The beat spectrum (Foote & Uchihashi, 2001) used by REPET.

    Autocorrelate every frequency row :math:`V^2(f, \cdot)` of the power spectrogram over
    time and average over frequency:

    .. math:: b(\ell) = \frac{1}{F} \sum_{f} \frac{1}{T - \ell}
              \sum_{t=0}^{T - 1 - \ell} V^2(f, t)\, V^2(f, t + \ell),

    then normalise so that :math:`b(0) = 1`. Peaks at lag :math:`\ell` mean the
    spectrogram resembles itself :math:`\ell` frames later: the song's repeating period.

    Parameters
    ----------
    power_spectrogram : ``(freq, frames)`` or ``(channels, freq, frames)`` (channels averaged)

    Returns
    -------
    ``(frames,)`` float64, lag 0 first
    """
    if np.iscomplexobj(power_spectrogram):
        raise ParameterError("beat_spectrum takes a power spectrogram |X|**2, not a complex STFT.")
    P = np.asarray(power_spectrogram, dtype=np.float64)
    if P.ndim == 3:
        P = P.mean(axis=0)
    if P.ndim != 2:
        raise ParameterError(f"power_spectrogram must be (freq, frames), got shape {P.shape}.")
    check_finite(P, "power_spectrogram")
    T = P.shape[1]
    # Wiener-Khinchin: zero-pad to 2T so the circular autocorrelation becomes a linear one
    n = 1 << int(np.ceil(np.log2(2 * T)))
    F = np.fft.rfft(P, n=n, axis=1)
    acf = np.fft.irfft(np.abs(F) ** 2, n=n, axis=1)[:, :T] / np.arange(T, 0, -1)
    b = acf.mean(axis=0)
    return b / b[0] if b[0] > 0 else b


def repeating_period(beat, min_period: int, max_period: int) -> int:
    """The repeating period in frames: the lag of the highest beat-spectrum value in
    ``[min_period, max_period]`` (inclusive; the simple rule nussl's Repet uses).

    Parameters
    ----------
    beat : array_like, shape ``(frames,)``
        A beat spectrum (:func:`beat_spectrum`), lag 0 first.
    min_period, max_period : int
        The shortest and longest lag searched, in frames.

    Returns
    -------
    int
        The period in frames.
    """
    beat = np.asarray(beat)
    min_period, max_period = int(min_period), int(min(max_period, len(beat) - 1))
    if min_period < 1 or max_period < min_period:
        raise ParameterError(f"No lag to search: min_period={min_period}, max_period={max_period} "
                          f"frames for a beat spectrum of {len(beat)} lags. Use a longer excerpt "
                          "or a shorter min_period.")
    return int(min_period + np.argmax(beat[min_period:max_period + 1]))


def repet_mask(magnitude, period: int) -> np.ndarray:
    r"""REPET's soft mask of the repeating background (Rafii & Pardo, 2013).

    Cut the magnitude spectrogram :math:`V` into segments of ``period`` frames; the
    *repeating segment* is their element-wise median, :math:`\tilde S(f, \ell) =
    \mathrm{median}_k V(f, \ell + kp)`; the *repeating spectrogram* cannot exceed the
    mixture, :math:`W = \min(\tilde S, V)`; the mask is :math:`M = W / V \in [0, 1]`.

    Parameters
    ----------
    magnitude : ``(..., freq, frames)``
    period : int, frames

    Returns
    -------
    mask shaped like ``magnitude``
    """
    if np.iscomplexobj(magnitude) or np.ndim(magnitude) < 2:
        raise ParameterError("repet_mask takes a real magnitude spectrogram (..., freq, frames).")
    V = np.asarray(magnitude, dtype=np.float64)
    T = V.shape[-1]
    if not is_whole(period) or not 1 <= period <= T:
        raise ParameterError(f"period={period!r} frames must be a whole number between 1 and the {T} frames available.")
    period = int(period)
    reps = int(np.ceil(T / period))
    padded = np.concatenate([V, np.full(V.shape[:-1] + (reps * period - T,), np.nan)], axis=-1)
    segments = padded.reshape(V.shape[:-1] + (reps, period))
    model = np.nanmedian(segments, axis=-2)                     # (..., freq, period)
    W = np.minimum(np.tile(model, reps)[..., :T], V)
    eps = np.finfo(np.float64).tiny
    return ((W + eps) / (V + eps)).astype(np.float32)


@dataclass
class RepetResult:
    """What :func:`repet` returns: waveforms and the quantities worth plotting."""

    background: np.ndarray      #: repeating part (accompaniment), (channels, samples)
    foreground: np.ndarray      #: non-repeating part (voice), (channels, samples)
    mask: np.ndarray            #: background mask (channels, freq, frames)
    beat_spectrum: np.ndarray   #: (frames,)
    period: int                 #: frames
    period_s: float             #: seconds
    sr: int
    hop_length: int


def repet(x, sr: int, n_fft: int = 2048, hop_length: int = 512, window="hann",
          min_period: float = 0.8, max_period: float = 8.0, period: float | None = None,
          high_pass_cutoff: float = 100.0, mask_type: str = "soft") -> RepetResult:
    """REPET: separate the repeating background from the non-repeating foreground.

    1. :func:`beat_spectrum` of the channel-averaged power spectrogram;
    2. :func:`repeating_period` between ``min_period`` and ``max_period`` seconds (the
       upper bound is capped at a third of the signal, so the median sees >= 3 repetitions),
       unless ``period`` (seconds) is given;
    3. :func:`repet_mask` per channel; bins below ``high_pass_cutoff`` Hz are given to the
       background (Rafii & Pardo: the voice has no energy there);
    4. background = mask x STFT, foreground = mixture - background (so they add up).

    ``mask_type="binary"`` rounds the mask at 0.5. Defaults follow nussl's ``Repet``.

    Parameters
    ----------
    x : array_like, shape ``(channels, samples)`` or ``(samples,)``
        The mixture.
    sr : int
        Sample rate in Hz.
    n_fft : int
        STFT frame length.
    hop_length : int
        STFT hop.
    window : str or array
        STFT window.
    min_period, max_period : float
        The range of periods searched, in seconds.
    period : float, optional
        The repeating period in seconds (skips the search).
    high_pass_cutoff : float
        Bins below this frequency (Hz) go to the background; 0 to disable.
    mask_type : {"soft", "binary"}
        Keep the soft mask, or round it at 0.5.

    Returns
    -------
    RepetResult
        ``background`` and ``foreground`` (``(channels, samples)``), the ``mask``
        ``(channels, freq, frames)``, the ``beat_spectrum`` and the period.
    """
    x = as_signal(x, "x")
    sr = check_rate(sr)
    if x.ndim == 1:
        x = x[None]
    if mask_type not in ("soft", "binary"):
        raise ParameterError(f"mask_type must be 'soft' or 'binary', got {mask_type!r}.")
    X = stft(x, n_fft, hop_length, window)
    V = np.abs(X)
    beat = beat_spectrum(V ** 2)
    frames_per_s = sr / hop_length
    if period is None:
        if not 0 < min_period < max_period:
            raise ParameterError(f"Need 0 < min_period < max_period, got {min_period}, {max_period}.")
        top = min(max_period, x.shape[-1] / sr / 3)
        p = repeating_period(beat, int(np.ceil(min_period * frames_per_s)),
                             int(np.ceil(top * frames_per_s)))
    else:
        if not period > 0:
            raise ParameterError(f"period must be > 0 seconds, got {period!r}.")
        p = int(np.ceil(period * frames_per_s))
    mask = repet_mask(V, p)
    if mask_type == "binary":
        mask = (mask >= 0.5).astype(np.float32)
    if high_pass_cutoff:
        cutoff_bin = int(round(high_pass_cutoff * n_fft / sr))   # nearest bin, as nussl
        mask[..., :cutoff_bin, :] = 1.0
    background = istft(X * mask, hop_length, window, length=x.shape[-1])
    return RepetResult(background, (x - background).astype(np.float32), mask, beat, p,
                       p / frames_per_s, sr, hop_length)
