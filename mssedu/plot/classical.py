"""Figures of chapter 5 (before deep learning): cancellation, HPSS masks, REPET, NMF."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..errors import ParameterError
from .core import display_rows, spectrogram_axes

__all__ = ["cancellation_figure", "hpss_figure", "update_hpss_figure", "update_beat_spectrum_figure", "beat_spectrum_figure", "nmf_figure"]


def cancellation_figure(levels: dict, title: str = "level left after L - R", figsize=(6, 2.8)):
    """Horizontal bars: dB of each stem left in the karaoke signal (``levels``: name -> dB,
    e.g. the ``kept_db`` column of :func:`mssedu.classical.cancellation_report`).

    Parameters
    ----------
    levels : dict
        Stem name -> level in dB.
    title : str
        Axes title.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    names = list(levels)
    vals = [max(float(levels[k]), -60.0) for k in names]
    fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    colours = ["0.45" if k == "mixture" else "C0" for k in names]
    ax.barh(names, vals, color=colours)
    ax.set_xlim(-40, 3)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("dB relative to the original (0 = untouched, -inf = cancelled)")
    ax.invert_yaxis()
    ax.set_title(title)
    plt.close(fig)
    return fig


def hpss_figure(mixture_stft, mask_harmonic, mask_percussive, sr: int, hop_length: int,
                max_hz: float = 8000.0, figsize=(12, 3.0)):
    """The mixture spectrogram and the harmonic and percussive masks, side by side.

    Parameters
    ----------
    mixture_stft : numpy.ndarray
        Complex STFT ``([channels,] freq, frames)`` of the mixture.
    mask_harmonic, mask_percussive : numpy.ndarray
        The two masks, same shape, in [0, 1].
    sr : int
        Sample rate in Hz.
    hop_length : int
        STFT hop in samples.
    max_hz : float
        Highest frequency shown.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    fig, axes = plt.subplots(1, 3, figsize=figsize, constrained_layout=True)
    spectrogram_axes(axes[0], mixture_stft, sr, hop_length, title="mixture", fmax=max_hz)
    spectrogram_axes(axes[1], mask_harmonic, sr, hop_length, db=False, title="harmonic mask",
                     cmap="viridis", fmax=max_hz)
    spectrogram_axes(axes[2], mask_percussive, sr, hop_length, db=False,
                     title="percussive mask", cmap="viridis", fmax=max_hz)
    plt.close(fig)
    return fig


def update_hpss_figure(fig, mask_harmonic, mask_percussive, sr: int, max_hz: float = 8000.0):
    """Swap new masks into an :func:`hpss_figure` in place (``set_data``): a widget move then
    costs a redraw of two images, not a new figure.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from :func:`hpss_figure`.
    mask_harmonic, mask_percussive : numpy.ndarray
        The new masks ``([channels,] freq, frames)``, shaped as the ones drawn.
    sr : int
        Sample rate in Hz.
    max_hz : float
        Highest frequency shown, as given to :func:`hpss_figure`.

    Returns
    -------
    list of matplotlib.image.AxesImage
        The two mask images (what changed), e.g. for :class:`mssedu.plot.LiveFigure`.

    Examples
    --------
    >>> Y = np.ones((65, 10), dtype=np.complex64)
    >>> fig = hpss_figure(Y, np.zeros((65, 10)), np.ones((65, 10)), 8000, 64, max_hz=2000)
    >>> images = update_hpss_figure(fig, np.full((65, 10), 0.25), np.ones((65, 10)), 8000, max_hz=2000)
    >>> float(images[0].get_array().max())
    0.25
    """
    rows = display_rows(np.asarray(mask_harmonic).shape[-2], sr, fmax=max_hz)   # as spectrogram_axes draws
    images = [fig.axes[1].images[0], fig.axes[2].images[0]]
    for im, mask in zip(images, (mask_harmonic, mask_percussive)):
        mask = np.asarray(mask)
        im.set_data((mask.mean(axis=0) if mask.ndim == 3 else mask)[rows])
    return images


def beat_spectrum_figure(beat, sr: int, hop_length: int, period: int | None = None,
                         search: tuple | None = None, figsize=(7, 2.8)):
    """The beat spectrum against lag in seconds, with the chosen period (and its
    multiples) and the searched range (``search`` = (min_s, max_s)) marked.

    Parameters
    ----------
    beat : numpy.ndarray
        Beat spectrum, one value per lag in frames (lag 0 first).
    sr : int
        Sample rate in Hz.
    hop_length : int
        STFT hop in samples.
    period : int or None
        The chosen period in frames, marked with its multiples.
    search : tuple of float or None
        ``(min_s, max_s)``, the searched range, shaded.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    beat = np.asarray(beat)
    lags = np.arange(len(beat)) * hop_length / sr
    fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    ax.plot(lags[1:], beat[1:], lw=1.2)
    if search is not None:
        ax.axvspan(search[0], search[1], color="C2", alpha=0.12, label="search range")
    if period is not None:
        for k in range(1, int(lags[-1] / (period * hop_length / sr)) + 1):
            ax.axvline(k * period * hop_length / sr, color="C3", ls="--" if k > 1 else "-",
                       lw=1 if k > 1 else 1.6, alpha=0.8 if k == 1 else 0.4,
                       label="period" if k == 1 else None)
    ax.set_xlabel("lag (s)")
    ax.set_ylabel("beat spectrum b(lag)")
    ax.legend(fontsize=8, loc="upper right")
    plt.close(fig)
    return fig


def update_beat_spectrum_figure(fig, period: int, sr: int, hop_length: int) -> list:
    """Move the period marks of a :func:`beat_spectrum_figure` to a new period, in place: the
    first mark and as many multiples as fit are moved (``set_xdata``), the others hidden.
    Build the figure with the shortest period it will show (the most marks), as a widget does.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from :func:`beat_spectrum_figure` drawn with a period.
    period : int
        The new period in frames.
    sr : int
        Sample rate in Hz.
    hop_length : int
        STFT hop in samples.

    Returns
    -------
    list of matplotlib.lines.Line2D
        The period marks (what changed), e.g. for :class:`mssedu.plot.LiveFigure`.

    Examples
    --------
    >>> fig = beat_spectrum_figure(np.linspace(1, 0, 100), 100, 1, period=10)
    >>> marks = update_beat_spectrum_figure(fig, 30, 100, 1)
    >>> [float(m.get_xdata()[0]) for m in marks if m.get_visible()]
    [0.3, 0.6, 0.9]
    """
    ax = fig.axes[0]
    marks = ax.lines[1:]                   # the first line is the beat spectrum itself
    count = int(ax.lines[0].get_xdata()[-1] / (period * hop_length / sr))   # multiples up to the last lag drawn
    if count > len(marks):
        raise ParameterError(f"this figure has {len(marks)} period marks, a period of {period} frames needs "
                             f"{count}; build it with the shortest period the widget offers.")
    for k, mark in enumerate(marks, start=1):
        mark.set_visible(k <= count)
        mark.set_xdata([k * period * hop_length / sr] * 2)    # as beat_spectrum_figure computes it
    return marks


def nmf_figure(W, H, sr: int, hop_length: int, max_hz: float = 4000.0, figsize=(11, 3.2)):
    """NMF templates (columns of ``W``, as spectra in dB) and activations (rows of ``H``).

    Parameters
    ----------
    W : numpy.ndarray
        Templates ``(freq, components)``.
    H : numpy.ndarray
        Activations ``(components, frames)``.
    sr : int
        Sample rate in Hz.
    hop_length : int
        STFT hop in samples.
    max_hz : float
        Highest frequency shown.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    W, H = np.asarray(W), np.asarray(H)
    n_fft = 2 * (W.shape[0] - 1)
    top = max(2, int(max_hz * n_fft / sr))
    freqs = np.arange(top) * sr / n_fft
    fig, (a1, a2) = plt.subplots(1, 2, figsize=figsize, constrained_layout=True,
                                 gridspec_kw={"width_ratios": [1, 2]})
    K = W.shape[1]
    for k in range(K):
        w = W[:top, k] / (W[:top, k].max() or 1.0)
        a1.plot(freqs, k + 0.9 * w, lw=0.8)
        h = H[k] / (H[k].max() or 1.0)
        a2.plot(np.arange(H.shape[1]) * hop_length / sr, k + 0.9 * h, lw=0.8)
    a1.set_xlabel("frequency (Hz)")
    a1.set_ylabel("component")
    a1.set_title("templates W (spectra)")
    a2.set_xlabel("time (s)")
    a2.set_title("activations H")
    for a in (a1, a2):
        a.set_yticks(range(K))
    plt.close(fig)
    return fig
