"""Figures for chapter 4 (evaluation): metrics frame by frame, and the gain curve."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..errors import ParameterError

__all__ = ["framewise_figure", "gain_sensitivity_figure", "song_scores_figure", "ratings_figure"]


def framewise_figure(frames, metrics=("SDR", "SIR", "SAR"), sources=None, signal=None, sr=None,
                     title=None):
    """Metrics frame by frame from ``bss_eval(..., framewise=True)``: one panel per metric,
    one line per source; the dashed line is each source's median. If ``signal`` (e.g. the
    reference, ``(channels, samples)``) and ``sr`` are given, its RMS per frame is drawn in a
    top panel, so dips can be matched to quiet passages.

    Parameters
    ----------
    frames : pandas.DataFrame
        From ``bss_eval(..., framewise=True)``.
    metrics : sequence of str
        Which metrics to draw.
    sources : sequence of str or None
        Which sources (default: all).
    signal : numpy.ndarray or None
        Drawn as RMS per frame on top.
    sr : int or None
        Sample rate of ``signal`` in Hz.
    title : str or None
        Figure or panel title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    sources = sources or list(dict.fromkeys(frames["source"]))
    n = len(metrics) + (signal is not None)
    fig, axes = plt.subplots(n, 1, figsize=(9, 1.9 * n), sharex=True, squeeze=False,
                             constrained_layout=True)
    axes = axes[:, 0]
    if signal is not None:
        x = np.asarray(signal, dtype=np.float64)
        x = x.mean(0) if x.ndim == 2 else x
        hop = max(1, sr // 20)
        rms = [np.sqrt(np.mean(x[a:a + hop] ** 2)) for a in range(0, len(x), hop)]
        axes[0].plot(np.arange(len(rms)) * hop / sr, 20 * np.log10(np.maximum(rms, 1e-6)), lw=0.8)
        axes[0].set_ylabel("reference\nRMS (dB)")
        axes = axes[1:]
    for ax, m in zip(axes, metrics):
        for i, s in enumerate(sources):
            d = frames[frames["source"] == s]
            ax.step(d["start"], d[m], where="post", color=f"C{i}", label=s)
            ax.axhline(np.nanmedian(d[m]), color=f"C{i}", ls="--", lw=0.8)
        ax.set_ylabel(f"{m} (dB)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, ncol=len(sources))
    axes[-1].set_xlabel("frame start (s)")
    if title:
        fig.suptitle(title, fontsize=10)
    plt.close(fig)
    return fig


def gain_sensitivity_figure(table, current_gain_db=None):
    """SDR and SI-SDR against the gain applied to the estimate (from
    :func:`mssedu.metrics.gain_sensitivity`), with an optional marker at the current gain.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`mssedu.metrics.gain_sensitivity`.
    current_gain_db : float or None
        Gain to mark with a vertical line.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    fig, ax = plt.subplots(figsize=(6, 3.0), constrained_layout=True)
    ax.plot(table["gain_db"], table["SDR"], "o-", label="SDR")
    ax.plot(table["gain_db"], table["SI-SDR"], "s-", label="SI-SDR")
    if current_gain_db is not None:
        ax.axvline(current_gain_db, color="k", ls=":", lw=1)
    ax.set_xlabel("gain applied to the estimate (dB)")
    ax.set_ylabel("dB")
    ax.grid(alpha=0.3)
    ax.legend()
    plt.close(fig)
    return fig


def song_scores_figure(scores, metric: str = "SDR", title=None):
    """The standard figure of a results table over many songs (as SiSEC 2018's): one panel
    per target, one box per separator over the songs' scores (each song's value is the
    median of its 1-s frames); the line in a box is the median over songs, the number the
    table reports, and every song is a dot.

    Parameters
    ----------
    scores : SongScores or pandas.DataFrame
        From :func:`mssedu.separation.evaluate_many` (or its ``per_track`` table: columns
        ``separator``, ``track``, ``source`` and ``metric``).
    metric : str
        Which metric (``"SDR"``, ``"SIR"``, ``"SAR"``, ``"ISR"``).
    title : str or None
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"separator": ["a", "a", "b", "b"], "track": ["x", "y", "x", "y"],
    ...                    "source": "vocals", "SDR": [1.0, 2.0, 3.0, 5.0]})
    >>> len(song_scores_figure(df).axes)
    1
    """
    table = getattr(scores, "per_track", scores)
    if metric not in table.columns:
        raise ParameterError(f"metric {metric!r} is not a column of the scores ({list(table.columns)}).")
    sources = list(dict.fromkeys(table["source"]))
    methods = list(dict.fromkeys(table["separator"]))
    fig, axes = plt.subplots(1, len(sources), figsize=(2.2 + 1.1 * len(methods) * len(sources), 3.6),
                             sharey=True, squeeze=False, constrained_layout=True)
    for ax, source in zip(axes[0], sources):
        values = [table[(table["source"] == source) & (table["separator"] == m)][metric].dropna().to_numpy()
                  for m in methods]
        style = dict(widths=0.6, showfliers=False, medianprops={"color": "k"})
        try:      # matplotlib >= 3.10 says orientation=; vert= is deprecated there
            ax.boxplot(values, orientation="horizontal", **style)
        except TypeError:
            ax.boxplot(values, vert=False, **style)
        for k, v in enumerate(values):   # every song, jittered a little so equal values show
            jitter = np.random.default_rng(k).uniform(-0.15, 0.15, len(v))
            ax.plot(v, k + 1 + jitter, "o", ms=3, alpha=0.6)
        ax.set_yticks(range(1, len(methods) + 1), methods)
        ax.invert_yaxis()
        ax.set_title(source)
        ax.set_xlabel(f"{metric} (dB)")
        ax.grid(axis="x", alpha=0.3)
    songs = table["track"].nunique() if "track" in table.columns else None
    fig.suptitle(title or f"{metric} per song" + (f" ({songs} songs; line: median)" if songs else ""))
    return fig


def ratings_figure(ratings, metrics, correlations=None):
    """Listening-test ratings against each metric: one panel per metric, one dot per rating
    (colour: listener), Spearman's rho in the panel title.

    Parameters
    ----------
    ratings : pandas.DataFrame
        Columns ``listener``, ``condition``, ``rating`` (:func:`mssedu.listening.load_ratings`).
    metrics : pandas.DataFrame
        Index condition, one column per metric in dB.
    correlations : pandas.DataFrame or None
        From :func:`mssedu.listening.rating_correlations` (its ``rho`` goes in the titles).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    joined = ratings.join(metrics, on="condition", how="inner")
    fig, axes = plt.subplots(1, len(metrics.columns), figsize=(4 * len(metrics.columns), 3.4),
                             sharey=True, squeeze=False)
    for ax, col in zip(axes[0], metrics.columns):
        for who, part in joined.groupby("listener"):
            ax.scatter(part[col], part["rating"], label=str(who), alpha=0.8)
        for name, x in metrics[col].items():       # each condition named once, under the axis
            ax.annotate(name, (x, 0), xytext=(0, -2), textcoords="offset points", fontsize=7,
                        rotation=90, ha="center", va="top")
        rho = "" if correlations is None else f"\n(Spearman rho = {correlations.loc[col, 'rho']:.2f})"
        ax.set(xlabel=f"{col} (dB)", title=f"{col}{rho}", ylim=(-5, 105))
    axes[0][0].set_ylabel("rating (0-100)")
    axes[0][-1].legend(title="listener", fontsize=8)
    fig.tight_layout()
    return fig
