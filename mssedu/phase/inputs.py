r"""What every phase-reconstruction algorithm starts from: checked inputs and an initial phase.

Griffin-Lim and MISI both look for a phase :math:`\phi` to go with a given magnitude
:math:`A`, by iterating from a first guess :math:`\phi_0`. The result depends on that guess
(the algorithms only find a *local* optimum), so the guess is made in one place,
:func:`initial_phase`, and the fast and the textbook implementations both call it: from the
same ``init`` and ``seed`` they start from exactly the same spectrogram
:math:`A\, e^{i\phi_0}`. The usual guesses are

- a uniformly random phase, :math:`\phi_0(f, t) \sim \mathcal{U}[0, 2\pi)` (seeded);
- the zero phase, :math:`\phi_0 = 0` (deterministic, what ``librosa.griffinlim(init=None)``
  uses);
- a phase you already have, e.g. the mixture's, :math:`\phi_0 = \angle Y` (MISI's usual
  start).

The other functions check the arguments the algorithms share (magnitude, number of
iterations, momentum, STFT grid, output length) and raise
:class:`mssedu.errors.ParameterError` with a message that says what to change.
"""
from __future__ import annotations

import numpy as np
import torch

from ..checks import check_finite, check_int
from ..errors import ParameterError
from ..spectral import check_cola, check_stft_params, n_frames

__all__ = ["initial_phase", "check_magnitude", "check_iterations", "check_momentum",
           "check_stft_grid", "check_length"]


def _numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def initial_phase(init, shape, seed: int = 0) -> np.ndarray:
    r"""The starting phase :math:`e^{i\phi_0}` of Griffin-Lim or MISI, as unit phasors.

    Parameters
    ----------
    init : ``"random"`` | ``"zeros"`` | array or tensor
        ``"random"``: :math:`\phi_0` uniform in :math:`[0, 2\pi)`, drawn with
        ``numpy.random.default_rng(seed)``; ``"zeros"``: :math:`\phi_0 = 0`; a real array:
        the angles :math:`\phi_0` in radians; a complex array (e.g. an STFT): its angles
        (a zero bin gets angle 0). Arrays must broadcast to ``shape`` (a mixture's phase
        ``(..., freq, frames)`` is shared by all sources ``(J, ..., freq, frames)``).
    shape : tuple of int
        Shape of the magnitude the phase goes with, ``(..., freq, frames)``.
    seed : int
        Seed of the random phase (ignored otherwise).

    Returns
    -------
    numpy.ndarray
        complex64, ``shape``, every entry of modulus 1: multiply a magnitude by it.

    Raises
    ------
    ParameterError
        An unknown ``init`` name, an array that does not broadcast to ``shape``, NaN or inf.

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.phase import initial_phase
    >>> p = initial_phase("random", (3, 4), seed=0)
    >>> p.dtype, bool(np.allclose(np.abs(p), 1))
    (dtype('complex64'), True)
    >>> bool(np.array_equal(p, initial_phase("random", (3, 4), seed=0)))
    True
    """
    shape = tuple(int(n) for n in shape)
    if isinstance(init, str):
        if init == "random":
            angles = np.random.default_rng(int(seed)).uniform(0.0, 2 * np.pi, shape)
            return np.exp(1j * angles).astype(np.complex64)
        if init == "zeros":
            return np.ones(shape, dtype=np.complex64)
        raise ParameterError(f"init must be 'random', 'zeros' or an array of phases, got {init!r}.")
    given = _numpy(init)
    try:
        given = np.broadcast_to(given, shape)
    except ValueError:
        raise ParameterError(f"init phase has shape {given.shape}, the magnitude {shape}; they must "
                             "match (or the phase must broadcast, e.g. one mixture phase for "
                             "all sources).") from None
    check_finite(given, "init")
    if np.iscomplexobj(given):
        modulus = np.abs(given)
        unit = np.where(modulus > 0, given / np.where(modulus > 0, modulus, 1), 1)
        return unit.astype(np.complex64)
    return np.exp(1j * given.astype(np.float64)).astype(np.complex64)


def check_magnitude(magnitude, name: str = "magnitude") -> None:
    """Check that ``magnitude`` is a magnitude spectrogram: real, finite, ``>= 0``, and
    shaped ``(..., freq, frames)``.

    Parameters
    ----------
    magnitude : array or tensor
        The values to check.
    name : str
        What it is, for the message.

    Returns
    -------
    None
        Returns only if ``magnitude`` is fine.

    Raises
    ------
    ParameterError
        A complex or non-numeric array, too few dimensions, NaN/inf or a negative value.

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.phase.inputs import check_magnitude
    >>> check_magnitude(np.ones((257, 10)))
    """
    is_tensor = isinstance(magnitude, torch.Tensor)
    if (magnitude.is_complex() if is_tensor else np.iscomplexobj(magnitude)):
        raise ParameterError(f"{name} is complex; pass the magnitude (np.abs(X) or X.abs()), "
                             "not the STFT.")
    if not is_tensor and not np.issubdtype(np.asarray(magnitude).dtype, np.number):
        raise ParameterError(f"{name} must be a numeric array, got dtype "
                             f"{np.asarray(magnitude).dtype}.")
    shape = tuple(magnitude.shape) if is_tensor else np.shape(magnitude)
    if len(shape) < 2 or shape[-2] < 2 or shape[-1] < 1:
        raise ParameterError(f"{name} must be shaped (..., freq, frames) with freq >= 2, "
                             f"got shape {shape}.")
    check_finite(magnitude, name)
    if bool((magnitude < 0).any()):
        raise ParameterError(f"{name} has negative values; a magnitude spectrogram is |X| >= 0. "
                             "Did you pass decibels? Convert back with 10 ** (dB / 20).")


def check_iterations(n_iter) -> int:
    """Check a number of iterations.

    Parameters
    ----------
    n_iter : int
        A whole number ``>= 0``.

    Returns
    -------
    int
        ``n_iter`` as a Python int.

    Raises
    ------
    ParameterError
        A negative, fractional or boolean value.

    Examples
    --------
    >>> from mssedu.phase.inputs import check_iterations
    >>> check_iterations(32.0)
    32
    """
    return check_int(n_iter, "n_iter", 0)    # named limit: LIMITS["n_iter"]


def check_momentum(momentum) -> float:
    r"""Check the momentum :math:`\alpha` of fast Griffin-Lim.

    Parameters
    ----------
    momentum : float
        Between 0 (classic Griffin-Lim) and 1.

    Returns
    -------
    float
        ``momentum`` as a Python float.

    Raises
    ------
    ParameterError
        ``None``, NaN, or a value outside ``[0, 1]``.

    Examples
    --------
    >>> from mssedu.phase.inputs import check_momentum
    >>> check_momentum(0.99)
    0.99
    """
    if momentum is None or not np.isfinite(momentum) or not 0 <= momentum <= 1:
        raise ParameterError(f"momentum must be between 0 (classic Griffin-Lim) and 1 "
                             f"(0.99 = fast Griffin-Lim), got {momentum!r}.")
    return float(momentum)


def check_stft_grid(n_freq: int, n_fft=None, hop_length=None, window="hann") -> tuple:
    """Work out and check the STFT parameters of a spectrogram with ``n_freq`` bins.

    Parameters
    ----------
    n_freq : int
        Number of frequency bins of the spectrogram (``n_fft // 2 + 1``).
    n_fft : int, optional
        Frame length; default ``2 * (n_freq - 1)``.
    hop_length : int, optional
        Step between frames; default ``n_fft // 4``.
    window : str or array
        Analysis window (see :func:`mssedu.spectral.get_window`).

    Returns
    -------
    n_fft : int
    hop_length : int

    Raises
    ------
    ParameterError
        ``n_fft`` that does not give ``n_freq`` bins, a bad hop, or a window and hop whose
        overlap-add cannot be inverted (no NOLA).

    Examples
    --------
    >>> from mssedu.phase.inputs import check_stft_grid
    >>> check_stft_grid(1025)
    (2048, 512)
    """
    n_fft = 2 * (n_freq - 1) if n_fft is None else n_fft
    if int(n_fft) != n_fft or int(n_fft) // 2 + 1 != n_freq:
        raise ParameterError(f"n_fft={n_fft!r} does not match the spectrogram's {n_freq} frequency "
                             f"bins (n_fft // 2 + 1 must equal {n_freq}); leave n_fft out to "
                             "infer it.")
    n_fft = int(n_fft)
    hop = check_stft_params(n_fft, hop_length)
    if not check_cola(window, n_fft, hop)["nola"]:
        raise ParameterError(f"window={window!r} with n_fft={n_fft} and hop_length={hop} cannot "
                             "be inverted (the shifted squared windows vanish somewhere: no NOLA). "
                             "Use a smaller hop, e.g. n_fft // 4.")
    return n_fft, hop


def check_length(length, frames: int, n_fft: int, hop_length: int, center: bool = True) -> int:
    """The length in samples of the signal to reconstruct from ``frames`` STFT frames.

    Parameters
    ----------
    length : int or None
        The length asked for (e.g. the original signal's); ``None``: the longest signal
        that the frames fully cover, ``hop * (frames - 1)`` (``+ n_fft`` without ``center``).
    frames : int
        Number of frames of the magnitude.
    n_fft, hop_length : int
        Frame length and hop.
    center : bool
        Whether the STFT centred its frames.

    Returns
    -------
    int
        The length.

    Raises
    ------
    ParameterError
        A length that is not a positive whole number, or that gives a different number of
        frames.

    Examples
    --------
    >>> from mssedu.phase.inputs import check_length
    >>> check_length(None, 63, 512, 128)
    7936
    """
    if length is None:
        return hop_length * (frames - 1) + (0 if center else n_fft)
    if int(length) != length or length < 1:
        raise ParameterError(f"length must be a positive whole number of samples, got {length!r}.")
    length = int(length)
    got = n_frames(length, n_fft, hop_length, center)
    if got != frames:
        raise ParameterError(f"length={length} samples gives {got} STFT frames but the magnitude "
                             f"has {frames}; pass the length of the signal the magnitude was "
                             "computed from (or leave it out).")
    return length
