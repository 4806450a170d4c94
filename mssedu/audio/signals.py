"""Audio as arrays: rates, channels, levels, integer PCM, and a player.

Examples
--------
>>> import numpy as np
>>> to_stereo(np.ones(4, np.float32)).shape
(2, 4)
"""
from __future__ import annotations

from math import gcd

import numpy as np
from IPython.display import Audio
from scipy.signal import resample_poly

from ..checks import check_number, check_rate, check_signal
from ..errors import ParameterError

__all__ = ["resample", "to_mono", "to_stereo", "normalize", "play", "as_signal", "pcm_to_float",
           "PCM_SCALES"]


def resample(signal, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample ``(..., samples)`` from ``orig_sr`` to ``target_sr`` (polyphase, scipy).

    Parameters
    ----------
    signal : array_like, shape ``(..., samples)``
        The audio, e.g. ``(channels, samples)``.
    orig_sr : int
        Its sample rate in Hz.
    target_sr : int
        The rate wanted, in Hz.

    Returns
    -------
    np.ndarray
        float32, shape ``(..., new_samples)`` with ``new_samples`` about
        ``samples * target_sr / orig_sr``.
    """
    orig_sr, target_sr = check_rate(orig_sr, "orig_sr"), check_rate(target_sr, "target_sr")
    x = as_signal(signal)
    if orig_sr == target_sr:
        return x
    g = gcd(orig_sr, target_sr)
    return resample_poly(x, target_sr // g, orig_sr // g, axis=-1).astype(np.float32)


def to_mono(signal) -> np.ndarray:
    """Average channels: ``(channels, samples)`` -> ``(1, samples)``; 1-D input becomes ``(1, samples)``.

    Parameters
    ----------
    signal : array_like, shape ``(channels, samples)`` or ``(samples,)``
        The audio.

    Returns
    -------
    np.ndarray
        float32, shape ``(1, samples)``.
    """
    x = as_signal(signal)
    if x.ndim == 1:
        return x[None]
    return x.mean(axis=-2, keepdims=True)


def to_stereo(signal) -> np.ndarray:
    """Make a signal two-channel: mono is duplicated, stereo is kept, more channels are an error.

    Parameters
    ----------
    signal : array_like, shape ``(channels, samples)`` or ``(samples,)``
        Mono or stereo audio.

    Returns
    -------
    np.ndarray
        float32, shape ``(2, samples)``.
    """
    x = as_signal(signal)
    if x.ndim == 1:
        x = x[None]
    if x.shape[-2] == 1:
        return np.repeat(x, 2, axis=-2)
    if x.shape[-2] == 2:
        return x
    raise ParameterError(f"to_stereo expects 1 or 2 channels, got {x.shape[-2]}. "
                      "Down-mix multichannel audio first (e.g. to_mono).")


def normalize(signal, peak: float = 0.99) -> np.ndarray:
    """Scale so that the largest absolute sample equals ``peak``; silence is returned as is.

    Parameters
    ----------
    signal : array_like, shape ``(channels, samples)`` or any
        The audio.
    peak : float
        The largest absolute sample after scaling, > 0.

    Returns
    -------
    np.ndarray
        float32, same shape.
    """
    peak = check_number(peak, "peak", 0, hint="It is the largest absolute sample after "
                        "scaling, e.g. 0.99 (a negative peak would flip the polarity).")
    x = as_signal(signal)
    m = float(np.max(np.abs(x))) if x.size else 0.0
    return x if m == 0 else (x * (peak / m)).astype(np.float32)


def play(signal, sr: int, normalize_level: bool = False):
    """An IPython audio player for ``signal`` (``(channels, samples)`` or 1-D).

    Levels are kept as they are (``normalize_level=False``) so that players side by side
    can be compared by ear; samples beyond +-1 are scaled down to avoid clipping.

    Parameters
    ----------
    signal : array_like, shape ``(channels, samples)`` or ``(samples,)``
        The audio.
    sr : int
        Sample rate in Hz.
    normalize_level : bool
        Let the player scale the audio to full level.

    Returns
    -------
    IPython.display.Audio
        A player; it shows when it is the last value of a notebook cell.
    """
    x = as_signal(signal)
    sr = check_rate(sr)
    if x.ndim == 2 and x.shape[0] == 1:
        x = x[0]
    if x.ndim > 2:
        raise ParameterError(f"play expects (channels, samples), got shape {x.shape}.")
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if not normalize_level and peak > 1.0:
        x = x / peak
    return Audio(x, rate=sr, normalize=bool(normalize_level and peak > 0.0))


#: Integer PCM dtypes and how :func:`pcm_to_float` maps them to [-1, 1): (offset, full scale).
PCM_SCALES = {np.dtype(np.int8): (0, 2.0 ** 7), np.dtype(np.int16): (0, 2.0 ** 15),
              np.dtype(np.int32): (0, 2.0 ** 31), np.dtype(np.uint8): (128, 2.0 ** 7),
              np.dtype(np.uint16): (2 ** 15, 2.0 ** 15)}

def pcm_to_float(x) -> np.ndarray:
    """Integer PCM samples as floats in [-1, 1) (see :data:`PCM_SCALES`); other dtypes unchanged.

    Parameters
    ----------
    x : array_like
        Samples of any shape and dtype.

    Returns
    -------
    numpy.ndarray
        float64 for integer PCM dtypes (int8/16/32, uint8/16), otherwise ``np.asarray(x)``.

    Examples
    --------
    >>> import numpy as np
    >>> pcm_to_float(np.array([-32768, 16384], dtype=np.int16))
    array([-1. ,  0.5])
    """
    arr = np.asarray(x)
    if arr.dtype in PCM_SCALES:
        offset, scale = PCM_SCALES[arr.dtype]
        return (arr.astype(np.float64) - offset) / scale
    return arr


def as_signal(x, name: str = "signal", min_samples: int = 1) -> np.ndarray:
    """``x`` checked as audio (:func:`mssedu.checks.check_signal`) and as float32 ``(..., samples)``.

    Integer PCM is converted by its full scale, as a WAV reader would (int16 / 32768, uint8
    (x - 128) / 128, ...: :func:`pcm_to_float`); other integer dtypes (int64: a plain list of
    numbers) are taken as they are.

    Parameters
    ----------
    x : array_like
        Audio samples, last axis = time.
    name : str
        What ``x`` is, for messages.
    min_samples : int
        Fewest samples accepted (e.g. one analysis frame).

    Returns
    -------
    numpy.ndarray
        float32, same shape as ``x`` (no copy for a float32 array).

    Examples
    --------
    >>> import numpy as np
    >>> as_signal(np.array([0, 16384], dtype=np.int16))
    array([0. , 0.5], dtype=float32)
    """
    arr = check_signal(x, name, min_samples)
    return pcm_to_float(arr).astype(np.float32, copy=False)
