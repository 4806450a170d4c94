"""Figures of chapter 7 (the pretrained separator): segment weights, the comparison table."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..chunking import segment_weights
from ..errors import ParameterError
from ..spectral import amplitude_to_db, stft
from .core import spectrogram_axes

__all__ = ["chunking_figure", "update_chunking_figure", "comparison_figure", "demo_figure"]


def chunking_figure(seconds: float = 20.0, segment: float = 7.8, overlap: float = 0.25,
                    sr: int = 100, figsize=(9, 3.2)):
    """How a long song is cut into overlapping segments and cross-faded back: each
    segment's triangular weight (top) and its normalised share :math:`w_k / \\sum_j w_j`
    (bottom), which always sums to one.

    Parameters
    ----------
    seconds : float
        Length of the song in seconds.
    segment : float
        Length of one segment in seconds.
    overlap : float
        Fraction of a segment shared with the next one, in ``[0, 1)``.
    sr : int
        Points per second of the plot (only the plotting resolution, not an audio rate).
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Two stacked axes: the weights and the normalised shares.
    """
    length, seg = int(seconds * sr), int(segment * sr)
    offsets, w, total = segment_weights(length, seg, overlap)
    t = np.arange(length) / sr
    fig, (a, b) = plt.subplots(2, 1, figsize=figsize, sharex=True, constrained_layout=True)
    for k in range(len(offsets)):
        a.plot(t, w[k], lw=1.2)
        b.plot(t, w[k] / np.maximum(total, 1e-12), lw=1.2)
    a.set_ylabel("weight $w_k$")
    a.set_title(f"{len(offsets)} segments of {segment:g} s, overlap {overlap:.0%}")
    b.plot(t, (w / np.maximum(total, 1e-12)).sum(axis=0), "k--", lw=1, label="sum = 1")
    b.set_ylabel("share")
    b.set_xlabel("time (s)")
    b.legend(loc="lower right", fontsize=8)
    plt.close(fig)
    return fig


def update_chunking_figure(fig, seconds: float, segment: float, overlap: float, sr: int = 100):
    """Redraw a :func:`chunking_figure` for a new segment length and overlap, in place: its
    lines get the new curves (``set_data``), lines beyond the new number of segments are
    hidden, the title gets the new words. Build the figure with the most segments it will
    show (the shortest segment, the largest overlap), as a widget does.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from :func:`chunking_figure` of the same ``seconds`` and ``sr``.
    seconds, segment, overlap, sr
        As for :func:`chunking_figure`.

    Returns
    -------
    list of matplotlib.artist.Artist
        Every line and the title (what may change), e.g. for :class:`mssedu.plot.LiveFigure`.

    Examples
    --------
    >>> fig = chunking_figure(10.0, 2.0, 0.5)
    >>> changed = update_chunking_figure(fig, 10.0, 5.0, 0.0)
    >>> sum(line.get_visible() for line in fig.axes[0].lines), changed[-1].get_text()
    (2, '2 segments of 5 s, overlap 0%')
    """
    a, b = fig.axes[:2]
    length, seg = int(seconds * sr), int(segment * sr)
    offsets, w, total = segment_weights(length, seg, overlap)
    if len(offsets) > len(a.lines):
        raise ParameterError(f"this figure has lines for {len(a.lines)} segments, {segment:g} s with overlap "
                             f"{overlap:g} needs {len(offsets)}; build it with the shortest segment and "
                             "the largest overlap the widget offers.")
    t = np.arange(length) / sr
    share = w / np.maximum(total, 1e-12)
    for k, (line_w, line_s) in enumerate(zip(a.lines, b.lines[:-1])):   # b's last line: the sum
        shown = k < len(offsets)
        line_w.set_visible(shown)
        line_s.set_visible(shown)
        if shown:
            line_w.set_data(t, w[k])
            line_s.set_data(t, share[k])
    b.lines[-1].set_data(t, share.sum(axis=0))
    a.set_title(f"{len(offsets)} segments of {segment:g} s, overlap {overlap:.0%}")
    return list(a.lines) + list(b.lines) + [a.title]


def comparison_figure(table, metric: str = "SDR", source: str = "vocals", ax=None, figsize=(7, 3)):
    """Horizontal bars of ``metric`` for ``source``, one per separator, from
    :func:`mssedu.separation.compare`'s table.

    Parameters
    ----------
    table : pandas.DataFrame
        The table of :func:`mssedu.separation.compare`, with columns ``separator``,
        ``source`` and one per metric.
    metric : str
        The column to plot, e.g. ``"SDR"``.
    source : str
        The source whose rows are plotted, e.g. ``"vocals"``.
    ax : matplotlib.axes.Axes or None
        Draw onto this axis; None makes a new figure.
    figsize : tuple of float
        Figure size in inches when a new figure is made.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure holding ``ax``.
    """
    rows = table[table["source"] == source]
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    names = list(rows["separator"])
    values = np.asarray(rows[metric], dtype=float)
    colors = ["#999999" if "oracle" in n.lower() or "irm" in n.lower() else
              ("#d62728" if "random" in n.lower() else "#1f77b4") for n in names]
    ax.barh(range(len(names)), np.nan_to_num(values), color=colors)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names)
    ax.invert_yaxis()
    ax.axvline(0, color="k", lw=0.8)
    for i, v in enumerate(values):
        ax.text(v if np.isfinite(v) else 0, i, f" {v:.1f} dB" if np.isfinite(v) else " n/a", va="center", fontsize=8)
    ax.set_xlabel(f"{source} {metric} (dB, median over 1 s frames)")
    if fig is not None:
        plt.close(fig)
        return fig
    return ax.figure


def demo_figure(table, vocals: dict, track, n_fft: int = 4096, hop_length: int = 1024):
    """The ``mssedu demo`` figure: vocals SDR per method (left) and the spectrogram of each
    method's vocals estimate next to the true vocals (right).

    Parameters
    ----------
    table : pandas.DataFrame
        The comparison table (see :func:`comparison_figure`).
    vocals : dict
        ``{method name: vocals estimate}``, each ``(channels, samples)`` or None (skipped).
    track : Track
        The multitrack (:class:`mssedu.data.Track`); its ``vocals`` stem is shown first.
    n_fft : int
        STFT frame length in samples.
    hop_length : int
        STFT hop in samples.

    Returns
    -------
    matplotlib.figure.Figure
        The bar chart and the spectrograms.
    """
    vocals = {"true vocals": track.stems.get("vocals"), **{k: v for k, v in vocals.items() if v is not None}}
    vocals = {k: v for k, v in vocals.items() if v is not None}
    n = len(vocals)
    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    fig = plt.figure(figsize=(5 + 3.6 * cols, 2.6 * max(rows, 1) + 0.4), constrained_layout=True)
    grid = fig.add_gridspec(max(rows, 1), cols + 2)
    comparison_figure(table, ax=fig.add_subplot(grid[:, :2]))
    mags = {k: np.abs(stft(v, n_fft, hop_length)).mean(axis=0) for k, v in vocals.items()}
    ref = max(float(m.max()) for m in mags.values()) or 1.0
    for i, (name, m) in enumerate(mags.items()):
        ax = fig.add_subplot(grid[i // cols, 2 + i % cols])
        db = amplitude_to_db(m, ref=ref, top_db=None)
        spectrogram_axes(ax, 10 ** (np.maximum(db, -80) / 20), track.sr, hop_length, title=name,
                         vmin=-80, vmax=0, colorbar=False)
    plt.close(fig)
    return fig
