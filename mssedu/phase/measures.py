r"""How good is a phase? Two measures: spectral convergence and (in)consistency.

**Spectral convergence** compares the magnitude of the STFT of a reconstruction
:math:`\hat x` with the target magnitude :math:`A`,

.. math:: \mathrm{SC}(\hat x) = \frac{\big\| |\mathrm{STFT}(\hat x)| - A \big\|_F}{\|A\|_F} .

It is the error that Griffin & Lim (1984) prove their algorithm never increases, the
convergence curve of every phase-reconstruction paper since, and one of the two terms of
the multi-resolution STFT loss.

**Inconsistency** asks how far a complex spectrogram :math:`X` is from being the STFT of any
signal at all,

.. math::

    \mathcal{I}(X) = \frac{\| X - \mathrm{STFT}(\mathrm{iSTFT}(X)) \|_F}{\|X\|_F} ,

0 for an STFT, larger for a magnitude glued to a borrowed or random phase. Le Roux, Ono &
Sagayama (2008) use its numerator as the objective that phase reconstruction minimises.
"""
from __future__ import annotations

import numpy as np
import torch

from ..checks import check_finite
from ..errors import ParameterError
from .inputs import check_stft_grid
from .projection import ConsistentProjection, frames_major

__all__ = ["spectral_convergence", "consistency"]


def spectral_convergence(reference, estimate) -> float:
    r"""Spectral convergence of ``estimate`` against ``reference``,

    .. math:: \mathrm{SC} = \frac{\big\| |\hat X| - |X| \big\|_F}{\| X \|_F},

    the relative error of the magnitudes (0 = same magnitudes; phases do not count).

    Parameters
    ----------
    reference : array or tensor ``(..., freq, frames)``
        The target: a magnitude :math:`|X|` or a complex spectrogram :math:`X`.
    estimate : array or tensor, same shape
        The spectrogram of the reconstruction, :math:`\hat X` (complex or magnitude).

    Returns
    -------
    float
        The spectral convergence, computed in float64.

    Raises
    ------
    ParameterError
        Different shapes, NaN/inf, or an all-zero reference.

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.phase import spectral_convergence
    >>> A = np.ones((3, 4))
    >>> round(spectral_convergence(A, 1.1 * A), 6)
    0.1
    """
    ref = reference.detach().cpu().numpy() if isinstance(reference, torch.Tensor) else np.asarray(reference)
    est = estimate.detach().cpu().numpy() if isinstance(estimate, torch.Tensor) else np.asarray(estimate)
    if ref.shape != est.shape:
        raise ParameterError(f"reference has shape {ref.shape} and estimate {est.shape}; "
                             "compare spectrograms of the same shape (same n_fft, hop and length).")
    check_finite(ref, "reference")
    check_finite(est, "estimate")
    ref = np.abs(ref).astype(np.float64)
    diff = np.abs(est).astype(np.float64) - ref
    den = np.sqrt(np.sum(ref ** 2))
    if den == 0:
        raise ParameterError("reference is all zeros: spectral convergence is undefined for silence.")
    return float(np.sqrt(np.sum(diff ** 2)) / den)


def consistency(X, hop_length: int | None = None, window="hann", center: bool = True,
                n_fft: int | None = None) -> float:
    r"""How far a complex spectrogram is from being the STFT of any signal,

    .. math:: \mathcal{I}(X) = \frac{\| X - \mathrm{STFT}(\mathrm{iSTFT}(X)) \|_F}{\|X\|_F} .

    0 means *consistent*: ``X`` is exactly the STFT of a signal. A mask applied to a mixture,
    or an estimated magnitude glued to a borrowed phase, is generally not consistent;
    Griffin-Lim drives this number down.

    Parameters
    ----------
    X : complex array or tensor ``(..., freq, frames)``
        The spectrogram.
    hop_length : int, optional
        Hop it was made with; default ``n_fft // 4``.
    window : str or array
        Window it was made with.
    center : bool
        Whether its frames are centred.
    n_fft : int, optional
        Frame length; default ``2 * (freq - 1)``.

    Returns
    -------
    float
        In ``[0, 1]`` (approximately; 0 for a consistent spectrogram).

    Raises
    ------
    ParameterError
        A real (magnitude) array, a wrong shape or STFT parameters, NaN/inf.

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.spectral import stft
    >>> from mssedu.phase import consistency
    >>> X = stft(np.random.default_rng(0).standard_normal(8000).astype(np.float32), 512, 128)
    >>> consistency(X, 128) < 1e-5
    True
    """
    Xt = X if isinstance(X, torch.Tensor) else torch.from_numpy(np.asarray(X))
    if not Xt.is_complex():
        raise ParameterError("consistency needs a complex spectrogram (magnitude and phase); "
                             "a magnitude alone has no phase to be consistent with.")
    if Xt.ndim < 2:
        raise ParameterError(f"X must be (..., freq, frames), got shape {tuple(Xt.shape)}.")
    check_finite(Xt, "X")
    Xt = Xt.to(torch.complex64)
    n_fft, hop = check_stft_grid(Xt.shape[-2], n_fft, hop_length, window)
    # the longest signal that gives exactly these frames (centre=True: up to hop - 1 samples
    # after the last frame's centre), so that nothing X says is cut off
    length = hop * (Xt.shape[-1] - 1) + (min(hop, n_fft // 2) if center else n_fft)
    Xt = frames_major(Xt)
    den = float(torch.linalg.vector_norm(Xt, dtype=torch.complex128))
    if den == 0:
        return 0.0
    project = ConsistentProjection(n_fft, hop, window, center, Xt.shape[-2], length,
                                   Xt.shape[0], Xt.device)
    y = project.synthesise(Xt)
    squared = sum(float(torch.linalg.vector_norm(Y - Xt[:, frames])) ** 2
                  for frames, Y in project.analyse(y))
    return float(np.sqrt(squared)) / den
