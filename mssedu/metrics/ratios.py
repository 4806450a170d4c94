"""Plain and scale-invariant SDR (and SI-SAR) in numpy: the ratios a student can write by hand.

The rule for undefined scores is stated once, in :mod:`mssedu.metrics`.

Examples
--------
>>> import numpy as np
>>> s = np.array([1.0, -1.0, 1.0, -1.0])
>>> round(float(sdr(s, 0.9 * s)), 2)
20.0
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..audio import pcm_to_float
from ..checks import check_bool, check_rate, check_signal
from ..errors import ParameterError, UndefinedScoreWarning

__all__ = ["sdr", "si_sdr", "framewise_sdr", "gain_sensitivity", "si_sar"]


def _pair_arrays(reference, estimate):
    # int16 etc. by full scale, like a WAV reader; NaN/inf are scored NaN (the module's rule)
    r = pcm_to_float(check_signal(reference, "reference", finite=False))
    e = pcm_to_float(check_signal(estimate, "estimate", finite=False))
    if r.ndim == 0 or r.ndim > 3:
        raise ParameterError(f"reference must be (samples,), (channels, samples) or (sources, "
                          f"channels, samples); got shape {r.shape}.")
    if r.shape != e.shape:
        what = ("channels" if r.ndim == e.ndim and r.ndim >= 2 and r.shape[-2] != e.shape[-2]
                else "lengths" if r.ndim == e.ndim and r.shape[-1] != e.shape[-1] else "shapes")
        raise ParameterError(f"reference has shape {r.shape}, estimate {e.shape}: the {what} differ. "
                          "Give both the same channels and length (istft(..., length=n)).")
    return r.astype(np.float64), e.astype(np.float64)


def _flatten(x, per_channel: bool):
    """(..., samples) -> (rows, samples) and the shape of the result."""
    if x.ndim == 1:
        return x[None], ()
    if per_channel:
        return x.reshape(-1, x.shape[-1]), x.shape[:-1]
    return x.reshape(int(np.prod(x.shape[:-2], dtype=int)), -1), x.shape[:-2]


def db_ratio(num, den, eps):
    return 10 * np.log10((num + eps) / (den + eps))


def _shape_out(values, shape):
    return float(values[0]) if shape == () else values.reshape(shape)


def undefined_rows(reference, estimate, what: str) -> np.ndarray:
    """Which rows of ``(rows, samples)`` pairs have no defined score, with one warning for all.

    The module's rule: a silent reference, or NaN/inf in either argument, makes a score
    undefined; its value is NaN and an :class:`~mssedu.errors.UndefinedScoreWarning` says so.

    Parameters
    ----------
    reference, estimate : numpy.ndarray
        ``(rows, samples)`` each.
    what : str
        The metric or loss, for the message.

    Returns
    -------
    numpy.ndarray
        bool ``(rows,)``: True where the score must be NaN.
    """
    broken = ~(np.isfinite(reference).all(-1) & np.isfinite(estimate).all(-1))
    silent = ~np.any(reference, axis=-1) & ~broken
    if broken.any():
        warnings.warn(f"{what}: {int(broken.sum())} of {broken.size} reference/estimate pair(s) "
                      "hold NaN/inf, so their score is undefined and NaN. Check the file or the "
                      "model that produced the estimate (np.isfinite shows where).",
                      UndefinedScoreWarning, stacklevel=3)
    if silent.any():
        warnings.warn(f"{what}: {int(silent.sum())} of {silent.size} reference(s) are silent (all "
                      "zeros), so the score is undefined there and NaN. Score only where the "
                      "source plays, and average with np.nanmean.", UndefinedScoreWarning,
                      stacklevel=3)
    return broken | silent


def _ratio_or_nan(num, den, eps, undefined, shape):
    with np.errstate(all="ignore"):      # the undefined rows become NaN just below
        out = db_ratio(num, den, eps)
    return _shape_out(np.where(undefined, np.nan, out), shape)


def sdr(reference, estimate, per_channel: bool = False, eps: float = 1e-12):
    r"""Plain signal-to-distortion ratio, :math:`10 \log_{10} \|s\|^2 / \|s - \hat s\|^2` (dB).

    The "new SDR" of the Music Demixing Challenge (Mitsufuji et al., 2022): no distortion
    filters, no frames, so it is fast and any difference, a gain included, counts as error.
    ``(channels, samples)`` gives one number over all channels (``per_channel=True``: one per
    channel); ``(sources, channels, samples)`` one per source. ``eps`` keeps silence finite.
    The argument order, ``(reference, estimate)``, is that of every metric and loss;
    :func:`mssedu.losses.sdr_loss` is its torch twin (negated, to minimise).

    Parameters
    ----------
    reference : array_like, shape ``(samples,)``, ``(channels, samples)`` or ``(sources, channels, samples)``
        The true signal(s) :math:`s`.
    estimate : array_like, same shape
        The estimate(s) :math:`\hat s`.
    per_channel : bool
        One value per channel instead of one per ``(channels, samples)`` signal.
    eps : float
        Added to both energies.

    Returns
    -------
    float or np.ndarray
        SDR in dB: a float for one signal, else an array shaped ``(sources,)`` (or
        ``(channels,)`` / ``(sources, channels)`` with ``per_channel``).

    Examples
    --------
    >>> import numpy as np
    >>> s = np.ones((2, 100))
    >>> round(sdr(s, 0.9 * s), 6)
    20.0
    """
    r, e = _pair_arrays(reference, estimate)
    (r, shape), (e, _) = _flatten(r, check_bool(per_channel, "per_channel")), _flatten(e, per_channel)
    bad = undefined_rows(r, e, "sdr")
    with np.errstate(invalid="ignore", over="ignore"):
        num, den = np.sum(r ** 2, -1), np.sum((r - e) ** 2, -1)
    return _ratio_or_nan(num, den, _check_eps(eps), bad, shape)


def _check_eps(eps) -> float:
    # eps > 0 keeps a near-silent (but defined) energy finite; 0 or less turns it into inf/NaN
    if isinstance(eps, (bool, str)) or not np.isscalar(eps) or not np.isfinite(eps) or eps <= 0:
        raise ParameterError(f"eps must be a small positive number such as 1e-12, got {eps!r}.")
    return float(eps)


def si_sdr(reference, estimate, zero_mean: bool = True, per_channel: bool = False,
           eps: float = 1e-12):
    r"""Scale-invariant SDR (Le Roux et al., 2019), in dB.

    .. math::

        \alpha = \frac{\langle \hat s, s \rangle}{\|s\|^2}, \qquad
        \mathrm{SI\text{-}SDR} = 10 \log_{10} \frac{\|\alpha s\|^2}{\|\alpha s - \hat s\|^2}

    ``zero_mean`` removes each signal's mean first (as Le Roux et al. and nussl do).
    Shapes and ``per_channel`` as :func:`sdr`; :func:`mssedu.losses.si_sdr_loss` is its
    torch twin (negated, to minimise).

    Parameters
    ----------
    reference : array_like, shape ``(samples,)``, ``(channels, samples)`` or ``(sources, channels, samples)``
        The true signal(s) :math:`s`.
    estimate : array_like, same shape
        The estimate(s) :math:`\hat s`.
    zero_mean : bool
        Remove each channel's mean first.
    per_channel : bool
        One value per channel instead of one per ``(channels, samples)`` signal.
    eps : float
        Added to the energies.

    Returns
    -------
    float or np.ndarray
        SI-SDR in dB, shaped as for :func:`sdr`.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.sin(np.arange(1000) / 10)[None]
    >>> n = 0.1 * np.cos(np.arange(1000) / 3)[None]
    >>> bool(abs(si_sdr(s, 0.5 * (s + n)) - si_sdr(s, s + n)) < 1e-9)
    True
    """
    r, e = _pair_arrays(reference, estimate)
    eps = _check_eps(eps)
    if check_bool(zero_mean, "zero_mean"):  # each channel's own mean
        with np.errstate(all="ignore"):     # inf - inf: an undefined row, NaN below
            r = r - r.mean(-1, keepdims=True)
            e = e - e.mean(-1, keepdims=True)
    (r, shape), (e, _) = _flatten(r, check_bool(per_channel, "per_channel")), _flatten(e, per_channel)
    bad = undefined_rows(r, e, "si_sdr")
    with np.errstate(invalid="ignore", over="ignore"):
        alpha = np.sum(e * r, -1, keepdims=True) / (np.sum(r ** 2, -1, keepdims=True) + eps)
        target = alpha * r
        num, den = np.sum(target ** 2, -1), np.sum((target - e) ** 2, -1)
    return _ratio_or_nan(num, den, eps, bad, shape)


def framewise_sdr(reference, estimate, sr: int, window: float = 1.0, hop: float | None = None,
                  scale_invariant: bool = False):
    """Plain SDR (or SI-SDR) on frames of ``window`` seconds.
    Frames where the reference is silent are NaN. A fast stand-in for BSS Eval's framewise
    SDR, for plots and live widgets.

    Parameters
    ----------
    reference : array_like, shape ``(channels, samples)`` or ``(samples,)``
        The true signal.
    estimate : array_like, same shape
        The estimate.
    sr : int
        Sample rate in Hz.
    window : float
        Frame length in seconds.
    hop : float, optional
        Frame hop in seconds; default ``window``.
    scale_invariant : bool
        Use :func:`si_sdr` instead of :func:`sdr`.

    Returns
    -------
    starts : np.ndarray
        Frame start times in seconds, shape ``(frames,)``.
    values : np.ndarray
        SDR of each frame in dB, shape ``(frames,)``.
    """
    sr = check_rate(sr)
    r, e = _pair_arrays(reference, estimate)
    win = int(round(window * sr))
    step = int(round((hop or window) * sr))
    if win < 2 or step < 1:
        raise ParameterError("window and hop must be positive durations in seconds.")
    n = r.shape[-1]
    starts = np.arange(0, max(1, n - win + 1), step)
    f = si_sdr if scale_invariant else sdr
    if not (np.isfinite(r).all() and np.isfinite(e).all()):
        undefined_rows(r.reshape(1, -1), e.reshape(1, -1), "framewise_sdr")   # the one warning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedScoreWarning)   # silent frames: NaN, documented
        vals = np.array([np.nan if not np.any(r[..., a:a + win]) else
                         f(r[..., a:a + win], e[..., a:a + win]) for a in starts])
    return starts / sr, vals


def gain_sensitivity(reference, estimate, gains_db=None):
    """How SDR and SI-SDR react to scaling the estimate by a gain.

    Scales ``estimate`` by each gain in ``gains_db`` (default -12 ... +12 dB) and measures
    :func:`sdr` and :func:`si_sdr` against ``reference``. SDR peaks near the right level and
    falls on both sides; SI-SDR stays put (it rescales the reference optimally).

    Parameters
    ----------
    reference : array_like, shape ``(channels, samples)``
        The true signal.
    estimate : array_like, same shape
        The estimate to scale.
    gains_db : array_like, optional
        The gains in dB; default ``np.linspace(-12, 12, 13)``.

    Returns
    -------
    pandas.DataFrame
        Columns ``gain_db, gain, SDR, SI-SDR``, one row per gain.
    """
    if gains_db is None:
        gains_db = np.linspace(-12, 12, 13)
    try:
        gains = None if isinstance(gains_db, (str, bytes)) else \
            np.atleast_1d(np.asarray(gains_db, dtype=np.float64))
    except (TypeError, ValueError):
        gains = None
    if gains is None or gains.ndim != 1 or gains.size == 0 or not np.all(np.isfinite(gains)):
        raise ParameterError(f"gains_db must be a non-empty 1-D list of finite gains in dB, got "
                             f"{gains_db!r:.60}; e.g. gains_db=[-6, 0, 6].")
    gains_db = gains
    est = pcm_to_float(estimate).astype(np.float64)
    rows = []
    for g in gains_db:
        lin = 10 ** (g / 20)
        rows.append({"gain_db": float(g), "gain": float(lin),
                     "SDR": float(np.mean(sdr(reference, lin * est))),
                     "SI-SDR": float(np.mean(si_sdr(reference, lin * est)))})
    return pd.DataFrame(rows)


def si_sar(reference, estimate, others, eps: float = 1e-12) -> float:
    r"""Scale-invariant signal-to-artefacts ratio (Le Roux et al., 2019), in dB.

    The estimate is projected onto the span of *all* the true sources, the target
    :math:`s` and the others :math:`s_k`: what they explain, :math:`P\hat s`, is target plus
    interference, and the rest, :math:`\hat s - P\hat s`, is the artefacts (musical noise,
    smearing):

    .. math:: \mathrm{SI\text{-}SAR} = 10 \log_{10} \frac{\|P \hat s\|^2}{\|\hat s - P\hat s\|^2}.

    Each channel's mean is removed first, and one coefficient per source covers all channels
    (as in :func:`si_sdr`).

    Parameters
    ----------
    reference : array_like, shape ``([channels,] samples)``
        The true target source :math:`s`.
    estimate : array_like, same shape
        Its estimate :math:`\hat s`.
    others : sequence of array_like, each the same shape
        The other true sources (e.g. ``[accompaniment]``).
    eps : float
        Added to the energies.

    Returns
    -------
    float
        SI-SAR in dB.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> s, n, art = rng.standard_normal((3, 1, 4000))
    >>> bool(si_sar(s, s + 0.5 * n, [n]) > 100)          # leakage is no artefact
    True
    """
    r, e = _pair_arrays(reference, estimate)
    if isinstance(others, np.ndarray) and others.shape == r.shape:
        others = [others]                       # one other source given bare
    basis = [r] + [_pair_arrays(reference, o)[1] for o in others]
    # zero-mean channels, then every source as one long vector: (sources, channels * samples)
    A = np.stack([(b - b.mean(-1, keepdims=True)).reshape(-1) for b in basis])
    e = (e - e.mean(-1, keepdims=True)).reshape(-1)
    coef = np.linalg.lstsq(A.T, e, rcond=None)[0]   # least-squares projection onto the span
    explained = A.T @ coef
    return float(db_ratio(np.sum(explained ** 2), np.sum((e - explained) ** 2), eps))
