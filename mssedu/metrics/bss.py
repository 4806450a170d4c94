"""BSS Eval v4 through museval (SDR, ISR, SIR, SAR), and a quick in-process version for widgets.

The rule for undefined scores is stated once, in :mod:`mssedu.metrics`.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..audio import pcm_to_float
from ..checks import check_rate, check_signal
from ..compat.museval import museval
from ..errors import ParameterError, UndefinedScoreWarning

from .ratios import db_ratio, undefined_rows

__all__ = ["bss_eval", "bss_eval_quick", "METRICS"]

#: The BSS Eval ratios, in the order museval returns them.
METRICS = ("SDR", "ISR", "SIR", "SAR")


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
    bad = undefined_rows(R.reshape(len(names), -1), E.reshape(len(names), -1), "bss_eval_quick")
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
                     "SDR": db_ratio(energy(s), energy(e_spat + e_interf + e_artif), eps),
                     "ISR": db_ratio(energy(s), energy(e_spat), eps),
                     "SIR": db_ratio(energy(s + e_spat), energy(e_interf), eps),
                     "SAR": db_ratio(energy(s + e_spat + e_interf), energy(e_artif), eps)})
    table = pd.DataFrame(rows).set_index("source")
    table.loc[np.asarray(names)[bad], list(METRICS)] = np.nan    # the module's rule
    return table
