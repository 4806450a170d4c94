r"""A listening test after ITU-R BS.1534 (MUSHRA), and how well metrics predict it.

In a MUSHRA trial the listener hears the reference, then a set of *conditions* in a random,
unlabelled order, and rates each from 0 to 100 on a continuous scale marked Bad (0-20),
Poor (20-40), Fair (40-60), Good (60-80) and Excellent (80-100). Two conditions keep the
listener honest: the *hidden reference* (the reference itself, which should get about 100)
and the *low-pass anchor* (the reference low-passed at 3.5 kHz, a known, mid-to-low quality).

The perceptual gap is then measured with a rank correlation: Spearman's

.. math:: \rho = \operatorname{corr}\big(\operatorname{rank}(m_i), \operatorname{rank}(r_i)\big)

between each rating :math:`r_i` and the metric :math:`m_i` (SDR, SI-SDR...) of the rated
condition. Ranks, not values, because a listener's scale need not be linear in dB.

Examples
--------
>>> import numpy as np
>>> x = np.random.default_rng(0).standard_normal((2, 22050)).astype(np.float32)
>>> anchor = lowpass_anchor(x, 22050)
>>> anchor.shape, rating_label(72)
((2, 22050), 'Good')
"""
from __future__ import annotations

import os
from pathlib import Path

import filelock
import numpy as np
import pandas as pd
import scipy.signal
import scipy.stats

from .atomic import part_path, usual_mode
from .audio import as_signal
from .checks import check_rate
from .errors import DataError, ParameterError
from .metrics import sdr, si_sar, si_sdr

__all__ = ["RATING_SCALE", "RATING_COLUMNS", "HIDDEN_REFERENCE", "ANCHOR", "lowpass_anchor",
           "rating_label", "trial_order", "save_ratings", "load_ratings", "condition_metrics",
           "rating_correlations"]

#: the five labelled intervals of the MUSHRA scale: (lower bound, label)
RATING_SCALE = ((0, "Bad"), (20, "Poor"), (40, "Fair"), (60, "Good"), (80, "Excellent"))
#: the columns of a ratings CSV, one row per rating
RATING_COLUMNS = ["listener", "trial", "condition", "rating"]
#: names of the two conditions every trial adds
HIDDEN_REFERENCE = "hidden reference"
ANCHOR = "anchor 3.5 kHz"


def lowpass_anchor(signal, sr: int, cutoff: float = 3500.0, order: int = 8) -> np.ndarray:
    """The MUSHRA low-pass anchor: a zero-phase Butterworth low-pass (``scipy.signal``
    ``butter`` + ``sosfiltfilt``, so nothing is delayed) of the reference.

    Parameters
    ----------
    signal : array_like, shape ``([channels,] samples)``
        The reference.
    sr : int
        Sample rate in Hz.
    cutoff : float
        -3 dB frequency in Hz (BS.1534: 3.5 kHz).
    order : int
        Filter order (applied twice: forward and backward).

    Returns
    -------
    np.ndarray
        float32, same shape as ``signal``.
    """
    x = as_signal(signal, "signal")
    sr = check_rate(sr)
    if not 0 < cutoff < sr / 2:
        raise ParameterError(f"cutoff must be between 0 and sr/2 = {sr / 2} Hz, got {cutoff!r}.")
    sos = scipy.signal.butter(int(order), cutoff, btype="low", fs=sr, output="sos")
    return scipy.signal.sosfiltfilt(sos, x.astype(np.float64), axis=-1).astype(np.float32)


def rating_label(value: float) -> str:
    """The MUSHRA label of a rating (``72 -> "Good"``).

    Parameters
    ----------
    value : float
        A rating in ``[0, 100]``.

    Returns
    -------
    str
        ``"Bad"``, ``"Poor"``, ``"Fair"``, ``"Good"`` or ``"Excellent"``.
    """
    if value is None or not np.isfinite(value) or not 0 <= value <= 100:
        raise ParameterError(f"A rating is between 0 and 100, got {value!r}.")
    return [label for low, label in RATING_SCALE if value >= low][-1]


def trial_order(names, seed=None) -> list:
    """The blind order of one trial: ``names`` plus the hidden reference and the anchor,
    shuffled (a new order per trial unless ``seed`` is fixed).

    Parameters
    ----------
    names : sequence of str
        The conditions under test.
    seed : int or None
        Random seed.

    Returns
    -------
    list of str
        All conditions, shuffled.
    """
    names = list(names)
    if not names or len(set(names)) != len(names):
        raise ParameterError(f"Give at least one condition, each name once; got {names}.")
    clash = {HIDDEN_REFERENCE, ANCHOR} & set(names)
    if clash:
        raise ParameterError(f"{sorted(clash)} are added by the test itself; rename your condition.")
    every = names + [HIDDEN_REFERENCE, ANCHOR]
    return [every[i] for i in np.random.default_rng(seed).permutation(len(every))]


def load_ratings(path) -> pd.DataFrame:
    """Read a ratings CSV (columns :data:`RATING_COLUMNS`).

    Parameters
    ----------
    path : str or Path
        The CSV.

    Returns
    -------
    pandas.DataFrame
        One row per rating.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise DataError(f"Cannot read ratings from {path}: {err}. Give a CSV written by "
                        "save_ratings (or the listening test's Save button).") from err
    missing = [c for c in RATING_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{path} is not a ratings file: it lacks the columns {missing}. "
                        "Choose another file name for your ratings.")
    return table


#: How long a save waits for another process's save to the same file (``lock=True``).
LOCK_TIMEOUT_S = 10.0


def save_ratings(path, rows, overwrite: bool = False, lock: bool = False) -> Path:
    """Add ratings to a CSV the student owns, atomically (whole or not at all).

    An existing ratings file is kept and the new rows are appended; ``overwrite=True``
    replaces it. A file that is not a ratings CSV is never touched; a missing folder is
    made. With ``lock=True``
    (a file that several processes write, as the workshop app's pooled ratings) the read,
    append and replace happen under a lock file ``<path>.lock`` (the ``filelock`` package),
    so that two listeners saving at once both keep their ratings.

    Parameters
    ----------
    path : str or Path
        The CSV.
    rows : pandas.DataFrame or list of dict
        New ratings, columns :data:`RATING_COLUMNS`.
    overwrite : bool
        Replace the file's ratings instead of appending.
    lock : bool
        Hold ``<path>.lock`` while reading and writing (concurrent writers).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ParameterError
        Rows without the columns, or a rating outside 0-100.
    DataError
        ``path`` is not a ratings file, cannot be written, or stays locked for
        :data:`LOCK_TIMEOUT_S` seconds.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "room.csv"
    >>> for who in ("ana", "bo"):
    ...     _ = save_ratings(path, [{"listener": who, "trial": "1", "condition": "IBM", "rating": 40}], lock=True)
    >>> load_ratings(path)["listener"].tolist()
    ['ana', 'bo']
    """
    path = Path(path).expanduser()
    new = pd.DataFrame(rows)
    missing = [c for c in RATING_COLUMNS if c not in new.columns]
    if missing:
        raise ParameterError(f"rows lack the columns {missing}; give {RATING_COLUMNS}.")
    if not np.all(new["rating"].between(0, 100)):
        raise ParameterError("Every rating must be between 0 and 100.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)   # e.g. the app's listening/ folder
    except OSError as err:
        raise DataError(f"Cannot make the folder {path.parent}: {err}. Choose a folder you can write to.") from err
    if not lock:
        return _write_ratings(path, new, overwrite)
    try:
        with filelock.FileLock(f"{path}.lock", timeout=LOCK_TIMEOUT_S):
            return _write_ratings(path, new, overwrite)
    except filelock.Timeout:
        raise DataError(f"{path} stayed locked by another save for {LOCK_TIMEOUT_S:g} s; save again, "
                        f"or delete {path}.lock if no one else is saving.") from None
    except OSError as err:   # the lock file itself cannot be made
        raise DataError(f"Cannot lock {path}: {err}. Choose a folder you can write to.") from err


def _write_ratings(path: Path, new: pd.DataFrame, overwrite: bool) -> Path:
    """Append ``new`` to the ratings at ``path`` (or replace them), atomically."""
    if path.exists() and not overwrite:
        new = pd.concat([load_ratings(path), new[RATING_COLUMNS]], ignore_index=True)
    part = part_path(path)
    try:
        new[RATING_COLUMNS].to_csv(part, index=False)
        os.chmod(part, usual_mode())
        os.replace(part, path)                     # atomic: the old file or the new, never half
    except OSError as err:
        part.unlink(missing_ok=True)
        raise DataError(f"Cannot write {path}: {err}. Choose a folder you can write to.") from err
    return path


def condition_metrics(reference, conditions: dict, others=None) -> pd.DataFrame:
    """SDR, SI-SDR and (given the other true sources) SI-SAR, in dB, of every condition.

    Parameters
    ----------
    reference : array_like, shape ``(channels, samples)``
        The true source.
    conditions : dict
        Condition name -> estimate of the same shape.
    others : sequence of array_like, optional
        The other true sources (e.g. ``[accompaniment]``), for SI-SAR
        (:func:`mssedu.metrics.si_sar`).

    Returns
    -------
    pandas.DataFrame
        Index condition; columns ``SDR``, ``SI-SDR`` (and ``SI-SAR``).
    """
    rows = {}
    for name, est in conditions.items():
        rows[name] = {"SDR": float(sdr(reference, est)), "SI-SDR": float(si_sdr(reference, est))}
        if others is not None:
            rows[name]["SI-SAR"] = si_sar(reference, est, others)
    return pd.DataFrame(rows).T


def rating_correlations(ratings, metrics) -> pd.DataFrame:
    """Spearman's rank correlation between every rating and each metric of its condition.

    Conditions without metrics (the hidden reference, whose SDR is infinite) are left out.

    Parameters
    ----------
    ratings : pandas.DataFrame or str or Path
        Ratings (columns :data:`RATING_COLUMNS`) or their CSV.
    metrics : pandas.DataFrame
        Index condition, one column per metric (e.g. :func:`condition_metrics`).

    Returns
    -------
    pandas.DataFrame
        Index metric; columns ``rho`` (``scipy.stats.spearmanr``), ``p``, ``n`` (ratings used).
    """
    table = ratings if isinstance(ratings, pd.DataFrame) else load_ratings(ratings)
    joined = table.join(metrics, on="condition", how="inner")
    if len(joined) < 3:
        raise ParameterError(f"Only {len(joined)} ratings have metrics: rate at least 3 conditions "
                             f"that are in the metrics table ({list(metrics.index)}).")
    out = {}
    for col in metrics.columns:
        res = scipy.stats.spearmanr(joined[col], joined["rating"])
        out[col] = {"rho": float(res.statistic), "p": float(res.pvalue), "n": len(joined)}
    return pd.DataFrame(out).T
