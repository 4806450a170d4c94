"""The exceptions mssedu raises, and the small input checks every module shares.

One family, so that ``except mssedu.MsseduError`` catches everything mssedu raises on
purpose, and one class per kind of fault, so that a caller can tell a bad argument from a
missing file or an unreachable server::

    MsseduError                 root (an Exception)
    ├── ParameterError          a bad argument or input value  (also a ValueError)
    ├── DataError               a file or folder is missing, unreadable, corrupt or unwritable
    │   └── AudioError          ... an audio file in particular (cannot be decoded, too long)
    ├── ModelLoadingError       weights or a checkpoint cannot be found, verified or loaded
    └── NetworkError            a server cannot be reached or answers with an error

Every message says what was wrong and what to do about it.

Examples
--------
>>> import numpy as np
>>> from mssedu.errors import ParameterError, check_rate
>>> try:
...     check_rate(-1)
... except ParameterError as err:
...     print(err)
sr must be a positive whole number of Hz, got -1.
"""
from __future__ import annotations

import numpy as np

__all__ = ["MsseduError", "ParameterError", "DataError", "AudioError", "ModelLoadingError",
           "NetworkError", "check_finite", "as_signal", "check_rate", "check_number", "is_number", "is_whole", "pcm_to_float",
           "PCM_SCALES"]


class MsseduError(Exception):
    """Root of every error mssedu raises on purpose; the message says what to do."""


class ParameterError(MsseduError, ValueError):
    """An argument or input value is wrong (a shape, a range, a type, an unknown name).

    It is also a :class:`ValueError`, so ``except ValueError`` keeps catching bad input."""


class DataError(MsseduError):
    """A file or folder is missing, unreadable, corrupt, or cannot be written."""


class AudioError(DataError):
    """An audio file cannot be decoded, or is not what its header says."""


class ModelLoadingError(MsseduError):
    """Model weights or a checkpoint cannot be found, verified or loaded (safely)."""


class NetworkError(MsseduError):
    """A download server cannot be reached, or refuses the request."""


def _is_tensor(x) -> bool:
    """A torch tensor, recognised without importing torch (``import mssedu`` stays quick)."""
    return type(x).__module__.split(".")[0] == "torch" and hasattr(x, "isfinite")


def check_finite(x, name: str = "signal") -> None:
    """Raise if ``x`` holds NaN or inf.

    Parameters
    ----------
    x : numpy.ndarray or torch.Tensor
        Numeric data of any shape.
    name : str
        What ``x`` is, for the message.

    Raises
    ------
    ParameterError
        ``x`` is not numeric, or holds NaN/inf (the message counts them).
    """
    if _is_tensor(x):
        if bool(x.sum().isfinite()):          # a NaN/inf makes the sum one: a cheap first test
            return
        bad, total = int((~x.isfinite()).sum()), x.numel()
    else:
        arr = np.asarray(x)
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise ParameterError(f"{name} must be numeric, got dtype {arr.dtype}.")
        if arr.dtype.kind in "fc" and np.isfinite(np.sum(arr)):   # cheap first test, as above
            return
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        total = arr.size
    if bad:
        raise ParameterError(
            f"{name} contains {bad} NaN/inf value(s) out of {total}. "
            "Check the file or the processing step that produced it "
            "(np.nan_to_num can replace them if that is what you want).")


#: Integer PCM dtypes and how :func:`as_signal` maps them to [-1, 1): (offset, full scale).
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
    """``x`` as a float32 array shaped ``(..., samples)``, checked.

    Integer PCM is converted by its full scale, as a WAV reader would: int16 / 32768,
    int32 / 2**31, int8 / 128, uint8 (x - 128) / 128, uint16 (x - 32768) / 32768, so
    full scale maps to 1.0. Other integer dtypes (int64: a plain list of numbers) are
    taken as they are. A 2-D array must be ``(channels, samples)``: one with more rows
    than columns is refused (it is almost surely ``(samples, channels)``; pass ``x.T``).

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
        float32, same shape as ``x``.

    Raises
    ------
    ParameterError
        A scalar, NaN/inf, a boolean or non-numeric dtype, a ``(samples, channels)``
        layout, or too few samples.
    """
    arr = np.asarray(x)
    if arr.ndim == 0:
        raise ParameterError(f"{name} must be an array shaped (..., samples), got a scalar.")
    if arr.dtype == bool:
        raise ParameterError(f"{name} is a boolean array (shape {arr.shape}), not audio; pass "
                             "samples as floats in [-1, 1] (or integer PCM such as int16).")
    check_finite(arr, name)
    if arr.ndim == 2 and arr.shape[0] > arr.shape[1] > 0:
        raise ParameterError(
            f"{name} has shape {arr.shape}: more channels ({arr.shape[0]}) than samples "
            f"({arr.shape[1]}). mssedu signals are (channels, samples); this looks like "
            f"(samples, channels), so pass {name}.T (e.g. soundfile.read gives that layout).")
    arr = pcm_to_float(arr).astype(np.float32, copy=False)
    if arr.shape[-1] < min_samples:
        raise ParameterError(
            f"{name} has {arr.shape[-1]} samples, fewer than the {min_samples} needed "
            "(e.g. one analysis frame). Use a longer clip or a smaller n_fft.")
    return arr


def check_rate(sr, name: str = "sr") -> int:
    """Validate a sample rate.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    name : str
        Argument name, for the message.

    Returns
    -------
    int
        ``sr`` as a Python int.

    Raises
    ------
    ParameterError
        ``sr`` is not a positive whole number.
    """
    if not (is_whole(sr) and float(sr) > 0):
        raise ParameterError(f"{name} must be a positive whole number of Hz, got {sr!r}.")
    return int(sr)


def is_number(value) -> bool:
    """Is ``value`` one finite real number (not a bool, a string, an array or None)?

    Parameters
    ----------
    value : object
        Anything.

    Returns
    -------
    bool
        True for e.g. ``2``, ``0.5``, ``np.float32(1)``; False for ``"2"``, ``True``, NaN.
    """
    try:
        return bool(not isinstance(value, (bool, str, bytes)) and np.isscalar(value)
                    and np.isreal(value) and np.isfinite(float(value)))
    except (TypeError, ValueError, OverflowError):
        return False


def is_whole(value) -> bool:
    """Is ``value`` a whole number (``3``, ``3.0``, ``np.int64(3)``; not ``"3"``, ``True``, 3.5)?

    Parameters
    ----------
    value : object
        Anything.

    Returns
    -------
    bool
        True when :func:`is_number` holds and the value has no fractional part.
    """
    return is_number(value) and float(value) == int(value)


def check_number(value, name: str, minimum: float | None = None, strict: bool = True,
                 hint: str = "") -> float:
    """Validate a finite real number argument (not a bool or a string), optionally bounded below.

    Parameters
    ----------
    value : float
        The argument's value.
    name : str
        Argument name, for the message.
    minimum : float, optional
        Lower bound; ``None`` for none.
    strict : bool
        ``value`` must be greater than ``minimum`` (True) or at least ``minimum`` (False).
    hint : str
        What the argument means, appended to the message.

    Returns
    -------
    float
        ``value`` as a Python float.

    Raises
    ------
    ParameterError
        ``value`` is not a finite real number, or is below the bound.
    """
    ok = is_number(value)
    if ok and minimum is not None:
        ok = float(value) > minimum if strict else float(value) >= minimum
    if not ok:
        what = ("a finite number" if minimum is None
                else f"{'>' if strict else '>='} {minimum:g} (a finite number)")
        raise ParameterError(f"{name} must be {what}, got {value!r}."
                             + (f" {hint}" if hint else ""))
    return float(value)
