r"""Objective separation metrics: BSS Eval (SDR, SIR, SAR, ISR), SDR and SI-SDR.

**BSS Eval** (Vincent, Gribonval & Févotte, 2006) splits an estimate :math:`\hat s_j` of the
image :math:`s_j` of source :math:`j` into

.. math::  \hat s_j = s_j + e^{\mathrm{spat}}_j + e^{\mathrm{interf}}_j + e^{\mathrm{artif}}_j

by least-squares projections onto delayed copies of the references (distortion filters of
512 taps): :math:`s_j + e^{\mathrm{spat}}_j` is the projection onto source :math:`j`'s
delayed copies, the projection onto all sources adds :math:`e^{\mathrm{interf}}_j`, and the
rest is :math:`e^{\mathrm{artif}}_j`. Then

.. math::

    \mathrm{SDR} = 10 \log_{10} \frac{\|s_j\|^2}
        {\|e^{\mathrm{spat}}_j + e^{\mathrm{interf}}_j + e^{\mathrm{artif}}_j\|^2}, \quad
    \mathrm{ISR} = 10 \log_{10} \frac{\|s_j\|^2}{\|e^{\mathrm{spat}}_j\|^2},

    \mathrm{SIR} = 10 \log_{10} \frac{\|s_j + e^{\mathrm{spat}}_j\|^2}{\|e^{\mathrm{interf}}_j\|^2},
    \quad
    \mathrm{SAR} = 10 \log_{10} \frac{\|s_j + e^{\mathrm{spat}}_j + e^{\mathrm{interf}}_j\|^2}
        {\|e^{\mathrm{artif}}_j\|^2}.

**BSS Eval v4** (museval; Stöter, Liutkus & Ito, 2018), the SiSEC 2018 / MUSDB18 standard,
computes the distortion filters once on the whole track and the ratios on 1-second frames;
a track's score is the median over frames. :func:`bss_eval` wraps museval and returns a
pandas DataFrame.

**Plain SDR** (the Music Demixing Challenge's "new SDR"): no projection, just
:math:`10\log_{10} \|s\|^2 / \|s - \hat s\|^2`. A gain error counts as distortion.

**SI-SDR** (Le Roux, Wisdom, Erdogan & Hershey, 2019) rescales the reference optimally
first, :math:`\alpha = \langle \hat s, s\rangle / \|s\|^2`, so a gain change of the estimate
does not move it:

.. math:: \mathrm{SI\text{-}SDR} = 10 \log_{10} \frac{\|\alpha s\|^2}{\|\alpha s - \hat s\|^2}.

:func:`gain_sensitivity` shows the difference.

Shapes: a signal is ``(channels, samples)`` (or 1-D mono); a set of sources is a dict
``name -> (channels, samples)`` or an array ``(sources, channels, samples)``.

**Undefined scores: NaN with a warning, one rule for every metric and loss.** BSS Eval and
its relatives measure an estimate *against a reference*; they are undefined when

* the reference is silent (all zeros): there is nothing to measure against (an ``eps`` would
  turn this into about -142 dB, a number that looks like a result and is not one), or
* the reference or the estimate holds NaN or inf (a broken file or model).

Then the value for that source (or channel, with ``per_channel=True``; or frame, in
:func:`framewise_sdr`) is NaN, and an :class:`~mssedu.errors.UndefinedScoreWarning` says
which argument and what to do; the other values are computed as usual (so
``np.nanmean`` over a set of songs skips them, as museval's medians do). The losses of
:mod:`mssedu.losses` follow the same rule: a non-finite input gives a NaN loss and the
warning; a silent reference stays defined there only through ``eps > 0``, which is therefore
required. Wrong types and shapes (``None``, strings, ragged lists, complex arrays, mismatched
shapes) are not degenerate scores but bad arguments: ``ParameterError``.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .audio import pcm_to_float
from .checks import check_bool, check_rate, check_signal
from .compat.museval import museval
from .errors import ParameterError, UndefinedScoreWarning

__all__ = ["bss_eval", "bss_eval_quick", "sdr", "si_sdr", "gain_sensitivity", "framewise_sdr",
           "METRICS", "si_sar"]

#: The BSS Eval ratios, in the order museval returns them.
METRICS = ("SDR", "ISR", "SIR", "SAR")


# --- input handling -------------------------------------------------------------------------

def _as_sources(x, name: str):
    """dict or array -> (names, float64 array (sources, channels, samples))."""
    if isinstance(x, dict):
        if not x:
            raise ParameterError(f"{name} is an empty dict; give at least one source.")
        names = list(x)
        arrays = [pcm_to_float(check_signal(v, f"{name}[{k!r}]", finite=False)) for k, v in x.items()]
        shapes = {k: a.shape for k, a in zip(names, arrays)}
        if len(set(shapes.values())) != 1:
            raise ParameterError(f"The signals in {name} have different shapes {shapes}; every "
                              "source must have the same channels and length.")
        arr = np.stack([a if a.ndim == 2 else np.atleast_2d(a) for a in arrays])
    else:
        arr = pcm_to_float(check_signal(x, name, finite=False))
        names = None
        if arr.ndim == 1:
            arr = arr[None, None]
        elif arr.ndim == 2:
            arr = arr[None]
        elif arr.ndim != 3:
            raise ParameterError(f"{name} must be (sources, channels, samples), (channels, samples) or "
                              f"a dict of (channels, samples) signals; got shape {arr.shape}.")
    if arr.ndim != 3:
        raise ParameterError(f"{name}: each source must be (channels, samples), got {arr.shape[1:]}.")
    return names, arr.astype(np.float64)


def _pair(references, estimates):
    ref_names, R = _as_sources(references, "references")
    est_names, E = _as_sources(estimates, "estimates")
    if ref_names is not None and est_names is not None:
        if set(ref_names) != set(est_names):
            raise ParameterError(f"references have sources {ref_names}, estimates {est_names}; "
                              "give an estimate for every reference, with the same names.")
        E = E[[est_names.index(k) for k in ref_names]]
    names = ref_names or est_names or [f"source{j}" for j in range(R.shape[0])]
    if R.shape[0] != E.shape[0]:
        raise ParameterError(f"{R.shape[0]} reference(s) but {E.shape[0]} estimate(s); they must "
                          "pair up one to one.")
    if R.shape[1] != E.shape[1]:
        raise ParameterError(f"references have {R.shape[1]} channel(s), estimates {E.shape[1]}; "
                          "convert with mssedu.audio.to_mono / to_stereo first.")
    if R.shape[2] != E.shape[2]:
        raise ParameterError(f"references have {R.shape[2]} samples, estimates {E.shape[2]}; cut or "
                          "pad the estimates to the references' length (istft(..., length=n)).")
    return list(names), R, E


# --- BSS Eval v4 via museval ----------------------------------------------------------------

def _bss_notes(names, R, E) -> dict:
    """Why a source has no BSS Eval scores (the module's rule: NaN with a warning), by name."""
    notes = {}
    for j, k in enumerate(names):
        if not (np.isfinite(R[j]).all() and np.isfinite(E[j]).all()):
            notes[k] = ("reference or estimate holds NaN/inf: the scores are undefined; check "
                        "the file or model that produced it")
        elif not np.any(R[j]):
            notes[k] = ("reference is silent (all zeros): SDR/SIR/SAR are undefined, "
                        "there is nothing to measure the estimate against")
        elif not np.any(E[j]):
            notes[k] = ("estimate is silent (all zeros): BSS Eval cannot project a zero "
                        "signal; its plain SDR is 0 dB (see mssedu.metrics.sdr)")
    return notes


def bss_eval(references, estimates, sr: int = 44100, window: float | None = 1.0,
             hop: float | None = None, framewise: bool = False, filters_len: int = 512):
    """BSS Eval v4 (museval): SDR, ISR, SIR, SAR of every source, as a pandas DataFrame.

    Parameters
    ----------
    references, estimates : dict name -> ``(channels, samples)``, or arrays
        ``(sources, channels, samples)`` (a single ``(channels, samples)`` is one source).
        All sources are evaluated jointly: SIR measures leakage from the *other* references.
    sr : int
        Sample rate (sets the frame length in samples).
    window, hop : float, seconds
        Frame length and hop (1 s and 1 s, as SiSEC/MUSDB). ``window=None`` evaluates the
        whole signal as one frame.
    framewise : bool
        ``False``: one row per source with the median over frames (NaN frames ignored).
        ``True``: one row per (source, frame) with its start time.
    filters_len : int
        Distortion filter length in taps (512, as museval).

    Returns
    -------
    pandas.DataFrame
        median: index ``source``; columns ``SDR ISR SIR SAR`` (dB), ``frames`` (frames with a
        value) and ``note`` (why a value is NaN, else empty).
        framewise: columns ``source frame start SDR ISR SIR SAR``.

    Notes
    -----
    BSS Eval is undefined where a reference is silent: museval refuses a silent source
    outright and gives NaN for frames in which any source is silent. Here a silent (or
    silently estimated) source is left out of the joint evaluation, its row is NaN with a
    ``note`` saying so, and a :class:`UserWarning` is issued; silent frames are NaN and
    skipped by the median (the ``frames`` column counts the rest).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = {"a": rng.standard_normal((1, 8000)), "b": rng.standard_normal((1, 8000))}
    >>> est = {k: v + 0.1 * rng.standard_normal((1, 8000)) for k, v in ref.items()}
    >>> df = bss_eval(ref, est, sr=8000)
    >>> round(float(df.loc["a", "SDR"]))
    20
    """
    sr = check_rate(sr)
    names, R, E = _pair(references, estimates)
    n = R.shape[-1]
    win = n if window is None else int(round(window * sr))
    hop_s = win if hop is None and window is None else int(round((hop or window) * sr))
    if win < 1 or hop_s < 1:
        raise ParameterError(f"window and hop must be positive durations in seconds, got {window!r}, {hop!r}.")
    if win > n:
        win = hop_s = n
    if filters_len >= win:
        raise ParameterError(f"The frame ({win} samples) must be longer than the distortion filters "
                          f"({filters_len} taps); use a longer window or signal.")

    notes = _bss_notes(names, R, E)
    keep = [j for j in range(len(names)) if names[j] not in notes]
    if notes:
        warnings.warn("bss_eval: " + "; ".join(f"{k}: {v}" for k, v in notes.items())
                      + ". Those rows are NaN.", UndefinedScoreWarning, stacklevel=2)

    n_frames = 1 + max(0, (n - win)) // hop_s if win < n else 1
    scores = np.full((4, len(names), n_frames), np.nan)
    if keep:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out = museval.metrics.bss_eval(
                np.transpose(R[keep], (0, 2, 1)), np.transpose(E[keep], (0, 2, 1)),
                window=win, hop=hop_s, compute_permutation=False, filters_len=filters_len,
                framewise_filters=False, bsseval_sources_version=False)
        vals = np.asarray(out[:4], dtype=np.float64)
        n_frames = vals.shape[-1]
        scores = np.full((4, len(names), n_frames), np.nan)
        scores[:, keep] = vals
    starts = np.arange(n_frames) * hop_s / sr

    if framewise:
        rows = []
        for j, k in enumerate(names):
            for t in range(n_frames):
                rows.append({"source": k, "frame": t, "start": float(starts[t]),
                             **{m: float(scores[i, j, t]) for i, m in enumerate(METRICS)}})
        return pd.DataFrame(rows)

    rows = []
    for j, k in enumerate(names):
        valid = np.isfinite(scores[0, j])
        row = {m: float(np.nanmedian(scores[i, j])) if valid.any() else float("nan")
               for i, m in enumerate(METRICS)}
        note = notes.get(k, "")
        if not note and not valid.all():
            note = (f"{int((~valid).sum())} of {n_frames} frames skipped: a reference or estimate "
                    "is silent there (museval gives NaN)")
        rows.append({"source": k, **row, "frames": int(valid.sum()), "note": note})
    return pd.DataFrame(rows).set_index("source")


# --- plain and scale-invariant SDR ---------------------------------------------------------

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


def _db_ratio(num, den, eps):
    return 10 * np.log10((num + eps) / (den + eps))


def _shape_out(values, shape):
    return float(values[0]) if shape == () else values.reshape(shape)


def _undefined_rows(reference, estimate, what: str) -> np.ndarray:
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
        out = _db_ratio(num, den, eps)
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
    bad = _undefined_rows(r, e, "sdr")
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
    bad = _undefined_rows(r, e, "si_sdr")
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
        _undefined_rows(r.reshape(1, -1), e.reshape(1, -1), "framewise_sdr")   # the one warning
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


def bss_eval_quick(references, estimates):
    r"""BSS Eval with 1-tap distortion filters, on the whole signal: instant.

    The same decomposition as :func:`bss_eval` (images version), but the "distortion
    filters" are single gains (one per reference channel), so the projections are small
    least-squares problems: with :math:`P_j` the projection onto the channels of reference
    :math:`j` and :math:`P` onto those of all references,
    :math:`e^{\mathrm{spat}} = P_j \hat s - s_j`,
    :math:`e^{\mathrm{interf}} = P \hat s - P_j \hat s`,
    :math:`e^{\mathrm{artif}} = \hat s - P \hat s`. Its SDR is the plain :func:`sdr`; SIR and
    SAR are close to museval's when the estimate has no filtering or delay. Equal to
    ``museval.metrics.bss_eval(..., filters_len=1, window=n)``; used for live widgets.

    Parameters
    ----------
    references, estimates : dict name -> ``(channels, samples)``, or arrays
        ``(sources, channels, samples)``, as :func:`bss_eval`.

    Returns
    -------
    pandas.DataFrame
        Like :func:`bss_eval`: index ``source``; columns ``SDR ISR SIR SAR`` (dB).
    """
    names, R, E = _pair(references, estimates)
    bad = _undefined_rows(R.reshape(len(names), -1), E.reshape(len(names), -1), "bss_eval_quick")
    if bad.any():   # a broken or silent reference spoils every projection: score the others
        R, E = np.where(bad[:, None, None], 0.0, R), np.where(bad[:, None, None], 0.0, E)
    nsrc, nch, _ = R.shape
    basis = R.reshape(nsrc * nch, -1)                         # every reference channel
    gram = basis @ basis.T
    rows = []
    eps = 1e-12
    for j, k in enumerate(names):
        own = slice(j * nch, (j + 1) * nch)
        est = E[j]                                            # (channels, samples)
        # projections: solve the normal equations for every estimate channel at once
        coef_all = np.linalg.lstsq(gram, basis @ est.T, rcond=None)[0]
        p_all = coef_all.T @ basis
        coef_own = np.linalg.lstsq(gram[own, own], basis[own] @ est.T, rcond=None)[0]
        p_own = coef_own.T @ basis[own]
        s = R[j]
        e_spat, e_interf, e_artif = p_own - s, p_all - p_own, est - p_all
        energy = lambda x: float(np.sum(x ** 2))  # noqa: E731
        rows.append({"source": k,
                     "SDR": _db_ratio(energy(s), energy(e_spat + e_interf + e_artif), eps),
                     "ISR": _db_ratio(energy(s), energy(e_spat), eps),
                     "SIR": _db_ratio(energy(s + e_spat), energy(e_interf), eps),
                     "SAR": _db_ratio(energy(s + e_spat + e_interf), energy(e_artif), eps)})
    table = pd.DataFrame(rows).set_index("source")
    table.loc[np.asarray(names)[bad], list(METRICS)] = np.nan    # the module's rule
    return table


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
    return float(_db_ratio(np.sum(explained ** 2), np.sum((e - explained) ** 2), eps))
