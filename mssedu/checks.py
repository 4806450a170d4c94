"""Input checks every public entry point shares: arrays, options, sizes, names and paths.

Each rule lives here once, so that every function refuses the same bad input with the same
kind of message: a :class:`~mssedu.errors.ParameterError` (or a ``DataError`` for files) that
names the argument, what was wrong, and what to do.

* **Arrays** (:func:`check_signal`, :func:`check_spectrogram`, :func:`check_finite`): audio is
  a real float or integer array ``(..., samples)``; a spectrogram to invert is complex
  ``(..., freq, frames)``; neither holds NaN/inf. ``None``, strings, ragged lists, object,
  boolean and complex arrays are refused, not guessed at.
* **Options** (:func:`check_bool`, :func:`check_int`, :func:`check_number`, :func:`check_rate`):
  by type and range, never by truthiness (``center="no"`` is refused, not taken as True).
* **Sizes that allocate** (:func:`check_size`, :data:`LIMITS`): an FFT length, an iteration
  count, a number of NMF components, a sample rate or a number of shifts is refused *before*
  any work when it passes its named limit, with the limit and why it exists.
* **Names and paths** (:func:`safe_component`, :func:`check_upload`, :func:`check_inside`):
  a name made from a file name is one safe path component; uploads are non-empty bytes with a
  plain name; a path handed back to a user stays inside its folder.

The checks are cheap: no copies of the data and no Python loop over its elements; an array is
scanned at most once (``np.isfinite(x).all()``), and integer arrays not at all.

Examples
--------
>>> from mssedu.checks import check_bool, check_rate
>>> check_rate(44100)
44100
>>> try:
...     check_bool("no", "center")
... except ValueError as err:
...     print(err)
center must be True or False, got 'no' (a str). Pass a bool: center=False.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .atomic import writable_folder
from .errors import DataError, ParameterError

__all__ = ["LIMITS", "check_size", "check_int", "check_bool", "check_number", "check_rate",
           "check_finite", "check_array", "check_real", "check_signal", "check_spectrogram", "is_number", "is_whole",
           "safe_component", "check_upload", "check_inside", "check_output_file"]

#: Named limits on sizes that allocate memory or time: ``name -> (limit, why)``.
LIMITS = {
    # 2**18 samples is 6 s at 44.1 kHz: far past any analysis frame (librosa's default is 2048)
    "n_fft": (2 ** 18, "an FFT frame longer than 6 s at 44.1 kHz is not a short-time analysis "
                       "and its buffers grow with every channel and frame"),
    # a few hundred iterations is where Griffin-Lim and MISI stop improving
    "n_iter": (10_000, "phase reconstruction converges within a few hundred iterations, and each "
                       "costs one STFT and one inverse STFT of the whole signal"),
    # NMF's factors are (freq, components) and (components, frames)
    "n_components": (1_024, "the NMF factors grow with the number of components; separation "
                            "uses a handful to a few hundred"),
    # 768 kHz is twice the highest rate any audio interface records (384 kHz)
    "sr": (768_000, "no audio format or device goes beyond 768 kHz, and resampled output grows "
                    "with the rate"),
    # demucs' shift trick runs the model once per shift; its paper uses up to 10
    "shifts": (20, "each shift runs the whole model once more; demucs uses 1 to 10"),
}

#: characters kept in a name made from a file name (letters, digits, a few safe marks)
_UNSAFE = re.compile(r"[^\w\-. ()+,]+")
#: longest component kept: file systems allow 255 bytes; leave room for suffixes
_MAX_COMPONENT = 120


def _what(value) -> str:
    """``'no' (a str)``: a value and its type, for messages."""
    return f"{value!r} (a {type(value).__name__})"


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

    Examples
    --------
    >>> is_number(0.5), is_number("0.5"), is_number(True), is_number(float("nan"))
    (True, False, False, False)
    """
    try:
        return bool(not isinstance(value, (bool, np.bool_, str, bytes)) and np.isscalar(value)
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


def check_size(name: str, value, limit: int, why: str, minimum: int = 1,
               error: type = ParameterError) -> int:
    """Refuse a size that would allocate too much, before anything is allocated.

    Parameters
    ----------
    name : str
        What the size is (an argument, or a field of a file), for the message.
    value : int
        The size asked for.
    limit : int
        The largest size accepted.
    why : str
        Why the limit exists, for the message.
    minimum : int
        The smallest size accepted.
    error : type
        The error class to raise (e.g. ``ModelLoadingError`` for a size read from a checkpoint).

    Returns
    -------
    int
        ``value`` as a Python int.

    Examples
    --------
    >>> check_size("channels", 64, 4096, "wider models do not exist")
    64
    """
    if is_whole(value) and int(value) > limit:
        raise error(f"{name}={int(value)} is above the limit of {limit}: {why}. "
                    f"Use a smaller {name} (at most {limit}).")
    if not is_whole(value) or int(value) < minimum:
        raise error(f"{name} must be a whole number from {minimum} to {limit}, got "
                    f"{_what(value)}. Pass a whole number in that range.")
    return int(value)


def check_int(value, name: str, minimum: int | None = None, maximum: int | None = None,
              hint: str = "") -> int:
    """Validate a whole-number option (not a bool, a string, NaN or 2.5), within bounds.

    A name in :data:`LIMITS` gets that limit as its maximum, with the reason in the message.

    Parameters
    ----------
    value : int
        The argument's value (``3``, ``3.0`` and ``np.int64(3)`` are all whole).
    name : str
        Argument name, for the message (and the key into :data:`LIMITS`).
    minimum, maximum : int, optional
        Inclusive bounds; ``None`` for none.
    hint : str
        What the argument means, appended to the message.

    Returns
    -------
    int
        ``value`` as a Python int.
    """
    limit = LIMITS[name][0] if name in LIMITS and maximum is None else maximum
    if type(value) is int and (minimum is None or value >= minimum) and (
            limit is None or value <= limit):
        return value          # the common case, on the hot path of stft/istft: no numpy calls
    low = minimum is None or (is_whole(value) and value >= minimum)
    if not is_whole(value) or not low or (maximum is not None and value > maximum):
        what = ("an integer" if minimum is None else "a positive integer" if minimum == 1
                else f"an integer >= {minimum}") + (f" <= {maximum}" if maximum is not None else "")
        raise ParameterError(f"{name} must be {what}, got {value!r}." + (f" {hint}" if hint else ""))
    if name in LIMITS and maximum is None:   # a size that allocates: its named limit and why
        check_size(name, value, LIMITS[name][0], LIMITS[name][1], -2 ** 63)
    return int(value)


def check_bool(value, name: str) -> bool:
    """Validate a yes/no option by its type, not its truthiness.

    Parameters
    ----------
    value : bool
        ``True`` or ``False`` (numpy's ``np.bool_`` too).
    name : str
        Argument name, for the message.

    Returns
    -------
    bool
        ``value`` as a Python bool.

    Raises
    ------
    ParameterError
        Anything else: ``"no"``, ``"False"``, ``0``, ``None`` (each would be silently True or
        False under ``if value:``).
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{name} must be True or False, got {_what(value)}. "
                             f"Pass a bool: {name}=False.")
    return bool(value)


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


def check_rate(sr, name: str = "sr") -> int:
    """Validate a sample rate: a whole number of Hz from 1 to ``LIMITS["sr"]`` (768 kHz).

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

    Examples
    --------
    >>> try:
    ...     check_rate(-1)
    ... except ValueError as err:
    ...     print(err)
    sr must be a positive whole number of Hz, got -1.
    """
    if not (is_whole(sr) and float(sr) > 0):
        raise ParameterError(f"{name} must be a positive whole number of Hz, got {sr!r}.")
    limit, why = LIMITS["sr"]
    if sr > limit:
        raise ParameterError(f"{name}={sr!r} Hz is above the limit of {limit} Hz: {why}. "
                             "Use a real audio rate such as 44100 or 48000.")
    return int(sr)


def _is_tensor(x) -> bool:
    """A torch tensor, recognised without importing torch (``import mssedu`` stays quick)."""
    return type(x).__module__.split(".")[0] == "torch" and hasattr(x, "isfinite")


def check_finite(x, name: str = "signal") -> None:
    """Raise if ``x`` holds NaN or inf (one pass over the data; none for integer arrays).

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
        # a NaN/inf makes the sum one (a cheap first test); a finite sum may still overflow
        if (x.is_floating_point() or x.is_complex()) and not bool(x.sum().isfinite()):
            if not bool(x.isfinite().all()):
                _non_finite(name, int((~x.isfinite()).sum()), x.numel())
        return
    arr = np.asarray(x)
    if arr.dtype.kind in "biu":                # integers and booleans are always finite
        return
    if arr.dtype.kind not in "fc":
        raise ParameterError(f"{name} must be numeric, got dtype {arr.dtype}.")
    if not np.isfinite(np.sum(arr)) and not np.isfinite(arr).all():   # cheap first test, as above
        _non_finite(name, int(arr.size - np.count_nonzero(np.isfinite(arr))), arr.size)


def _non_finite(name: str, bad: int, total: int):
    raise ParameterError(
        f"{name} contains {bad} NaN/inf value(s) out of {total}. "
        "Check the file or the processing step that produced it "
        "(np.nan_to_num can replace them if that is what you want).")


def _as_array(x, name: str, what: str) -> np.ndarray:
    """``x`` as a numeric ndarray (no copy for an array), or a message naming what it is."""
    if type(x) is np.ndarray and x.dtype != object:
        return x              # the common case: nothing to convert
    if x is None or isinstance(x, (str, bytes, dict)):
        raise ParameterError(f"{name} must be {what}, got {_what(x)}. Pass a numpy array "
                             "(e.g. the signal returned by mssedu.audio.load).")
    try:
        arr = np.asarray(x)
    except ValueError as err:   # numpy >= 1.24 refuses ragged nested lists
        raise ParameterError(f"{name} is a ragged list (rows of different lengths: {err}); "
                             f"{name} must be {what}. Cut or pad the rows to one length.") from None
    if arr.dtype == object:
        raise ParameterError(f"{name} must be {what}, got an array of Python objects (a ragged "
                             "list or mixed types?). Pass one numeric array.")
    return arr


def check_array(x, name: str, what: str = "a numeric array") -> np.ndarray:
    """``x`` as a numeric ndarray (no copy for an array), refusing what is not one.

    Parameters
    ----------
    x : array_like
        The data.
    name : str
        What ``x`` is, for the message.
    what : str
        What ``x`` should be, for the message.

    Returns
    -------
    numpy.ndarray
        ``np.asarray(x)``.
    """
    arr = _as_array(x, name, what)
    if arr.dtype.kind not in "biufc":
        raise ParameterError(f"{name} must be {what}, got dtype {arr.dtype}. Pass numbers.")
    return arr


def check_real(x, name: str = "signal") -> None:
    """Refuse a complex array or tensor where audio is meant (its imaginary part would be lost).

    Parameters
    ----------
    x : numpy.ndarray or torch.Tensor
        The data (only its dtype is looked at).
    name : str
        What ``x`` is, for the message.

    Raises
    ------
    ParameterError
        ``x`` has a complex dtype.
    """
    if (x.is_complex() if _is_tensor(x) else np.asarray(x).dtype.kind == "c"):
        raise ParameterError(f"{name} is complex ({x.dtype}), not audio: a spectrogram? Invert "
                             f"it with mssedu.spectral.istft, or pass {name}.real if the "
                             "imaginary part is only rounding noise.")


def check_signal(x, name: str = "signal", min_samples: int = 1, finite: bool = True) -> np.ndarray:
    """Check that ``x`` is audio: a real, finite, numeric array ``(..., samples)``.

    Only checks; :func:`mssedu.audio.as_signal` also converts to float32. A 2-D array must be
    ``(channels, samples)``: one with more rows than columns is refused (it is almost surely
    ``(samples, channels)``; pass ``x.T``).

    Parameters
    ----------
    x : array_like
        Audio samples, last axis = time.
    name : str
        What ``x`` is, for messages.
    min_samples : int
        Fewest samples accepted (e.g. one analysis frame).
    finite : bool
        Also refuse NaN/inf (metrics pass False: they score those NaN, see
        :mod:`mssedu.metrics`).

    Returns
    -------
    numpy.ndarray
        ``np.asarray(x)``, unconverted (no copy for an array).

    Raises
    ------
    ParameterError
        None, a string, a ragged list, a scalar, NaN/inf, a boolean, complex or non-numeric
        dtype, a ``(samples, channels)`` layout, or too few samples.
    """
    arr = _as_array(x, name, "an audio array shaped (..., samples)")
    if arr.ndim == 0:
        raise ParameterError(f"{name} must be an array shaped (..., samples), got a scalar.")
    if arr.dtype == bool:
        raise ParameterError(f"{name} is a boolean array (shape {arr.shape}), not audio; pass "
                             "samples as floats in [-1, 1] (or integer PCM such as int16).")
    if arr.dtype.kind not in "iufc":
        raise ParameterError(f"{name} must be audio samples (numbers), got dtype {arr.dtype}. "
                             "Pass a numpy array of floats in [-1, 1].")
    check_real(arr, name)
    if finite:
        check_finite(arr, name)
    if arr.ndim == 2 and arr.shape[0] > arr.shape[1] > 0:
        raise ParameterError(
            f"{name} has shape {arr.shape}: more channels ({arr.shape[0]}) than samples "
            f"({arr.shape[1]}). mssedu signals are (channels, samples); this looks like "
            f"(samples, channels), so pass {name}.T (e.g. soundfile.read gives that layout).")
    if arr.shape[-1] < min_samples:
        raise ParameterError(
            f"{name} has {arr.shape[-1]} samples, fewer than the {min_samples} needed "
            "(e.g. one analysis frame). Use a longer clip or a smaller n_fft.")
    return arr


def check_spectrogram(X, name: str = "X", finite: bool = True):
    """Check that ``X`` is a complex STFT ``(..., freq, frames)`` (numpy or torch).

    Parameters
    ----------
    X : numpy.ndarray or torch.Tensor
        The spectrogram.
    name : str
        What ``X`` is, for messages.
    finite : bool
        Also refuse NaN/inf (one pass over the data).

    Returns
    -------
    numpy.ndarray or torch.Tensor
        ``X`` itself for a tensor, ``np.asarray(X)`` otherwise (no copy).

    Raises
    ------
    ParameterError
        Not an array, real (a magnitude has no phase to invert), fewer than two
        dimensions, fewer than two frequency bins, or NaN/inf.
    """
    arr = X if _is_tensor(X) else _as_array(X, name, "a complex STFT shaped (..., freq, frames)")
    complex_ = X.is_complex() if _is_tensor(X) else arr.dtype.kind == "c"
    if not complex_:
        raise ParameterError(
            f"{name} is real ({arr.dtype}), not a complex STFT: istft needs the phase too. "
            f"Pass stft(x), or give a magnitude a phase first (S * np.exp(1j * angle), or "
            "mssedu.phase.griffin_lim to estimate one).")
    if arr.ndim < 2 or arr.shape[-2] < 2:
        raise ParameterError(f"{name} must be (..., freq, frames) with freq >= 2, got shape "
                             f"{tuple(arr.shape)}. A 1-D array is one frame or one bin: add the "
                             "missing axis (X[:, None] for one frame).")
    if finite:
        check_finite(arr, name)
    return arr


def safe_component(text, fallback: str = "untitled") -> str:
    """A name made from a file name, as one safe path component (never empty, ``.`` or ``..``).

    Path separators, NUL and other control characters, and marks a shell or a file system
    treats specially become ``_``; leading dots and spaces are dropped (no hidden or dot
    names); the result is at most 120 characters.

    Parameters
    ----------
    text : str
        The raw name (e.g. a file's stem).
    fallback : str
        The name used when nothing safe is left.

    Returns
    -------
    str
        One path component.

    Examples
    --------
    >>> safe_component("../../etc/passwd"), safe_component("."), safe_component("My Song (live)")
    ('etc_passwd', 'untitled', 'My Song (live)')
    """
    cleaned = _UNSAFE.sub("_", str(text)).strip(" ._")[:_MAX_COMPONENT].rstrip(" .")
    return cleaned or fallback


def check_upload(data, name) -> tuple:
    """Check an uploaded file: a plain, non-empty name and non-empty bytes.

    Parameters
    ----------
    data : bytes
        The file's content (``bytes``, ``bytearray`` or ``memoryview``).
    name : str
        The file's name as the browser sent it.

    Returns
    -------
    tuple
        ``(data, str)``: the content (not copied) and the name reduced to its last component.
    """
    if not isinstance(name, str) or not name.strip() or "\x00" in name:
        raise ParameterError(f"The upload's name must be a non-empty file name without NUL "
                             f"characters, got {_what(name)}. Rename the file and upload it again.")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ParameterError(f"The upload {name!r} must be the file's bytes, got "
                             f"{type(data).__name__}. Upload the file itself.")
    if len(data) == 0:
        raise ParameterError(f"The upload {name!r} is empty (0 bytes). Upload a file with audio "
                             "in it.")
    return data, Path(name.replace("\\", "/")).name or "upload"   # no copy of a big upload


def check_output_file(path, name: str, advice: str) -> Path:
    """Check, before any long work, that a result file can be written at ``path``.

    Its folder is created if needed and must be a writable folder
    (:func:`mssedu.atomic.writable_folder`); ``path`` itself must not be a folder.

    Parameters
    ----------
    path : str or Path
        Where the result will be written (e.g. a checkpoint).
    name : str
        What it is (an argument or option), for the message.
    advice : str
        What to do instead, for the message (e.g. ``"Choose another --checkpoint."``).

    Returns
    -------
    Path
        ``path``, with ``~`` expanded.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise DataError(f"{name} {path} is a folder, not a file name. {advice}")
    writable_folder(path.parent, advice, what=f"folder of {name}")
    return path


def check_inside(path, folder, name: str = "path") -> Path:
    """Check that ``path`` (after resolving ``..`` and links) lies inside ``folder``.

    Parameters
    ----------
    path : str or Path
        The path to check.
    folder : str or Path
        The folder it must stay in.
    name : str
        What ``path`` is, for the message.

    Returns
    -------
    Path
        The resolved path.
    """
    if not isinstance(path, (str, Path)) or "\x00" in str(path):
        raise DataError(f"{name} must be a file path without NUL characters, got {_what(path)}.")
    root = Path(folder).resolve()
    resolved = (root / path).resolve()
    if resolved != root and root not in resolved.parents:
        raise DataError(f"{name} {str(path)!r} lies outside {root}; only files in that folder "
                        "are served. Pass a name inside it.")
    return resolved
