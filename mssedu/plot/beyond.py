"""Figures of chapter 8 (beyond): stereo cues and band splits."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..models import band_edges
from ..spatial import ild_ipd, stereo_stft
from .core import display_rows, finish_row, frequency_position, masked_bins_axes, panel_row, spectrogram_axes

__all__ = ["ild_figure", "ild_image", "update_ild_figure", "ild_histogram_figure", "band_split_figure", "bsrnn_band_edges"]


def ild_figure(signals: dict, sr: int, n_fft: int = 2048, hop_length: int = 512,
               max_hz: float = 8000.0, figsize=None):
    """ILD maps (dB, diverging colours, red = louder left) of several stereo signals side
    by side, on a mel-spaced frequency axis with round ticks up to ``max_hz``; quiet bins (60 dB
    under the loudest) are greyed out.

    Parameters
    ----------
    signals : dict
        Title -> stereo signal ``(2, samples)``.
    sr : int
        Sample rate in Hz.
    n_fft : int
        STFT frame length in samples.
    hop_length : int
        STFT hop in samples.
    max_hz : float
        Highest frequency shown.
    figsize : tuple of float or None
        Figure size in inches (default: from the number of signals).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    n = len(signals)
    fig, axes = panel_row(n, (3.8, 3.0), figsize)
    im = None
    for ax, (label, x) in zip(axes, signals.items()):
        ild, quiet = _ild_quiet(x, n_fft, hop_length)
        im = masked_bins_axes(ax, ild, quiet, sr, n_fft, hop_length, "RdBu_r", -20, 20, label,
                              y_axis="mel", fmax=max_hz)
    return finish_row(fig, axes, im, "ILD (dB)", "frequency (Hz), mel scale")


def _ild_quiet(x, n_fft, hop_length):
    """ILD (dB, clipped at 20) of a stereo signal per bin, and its quiet bins (60 dB under the loudest)."""
    X = stereo_stft(x, n_fft, hop_length, "hann")
    ild, _ = ild_ipd(X, max_db=20)
    energy = np.abs(X[0]) ** 2 + np.abs(X[1]) ** 2
    return ild, energy < energy.max() * 1e-6


def ild_image(x, sr: int, n_fft: int = 2048, hop_length: int = 512, max_hz: float = 8000.0):
    """The image :func:`ild_figure` draws for one stereo signal: the ILD of its display rows
    (:func:`mssedu.plot.display_rows`), quiet bins masked. For :func:`update_ild_figure`.

    Parameters
    ----------
    x : numpy.ndarray
        Stereo signal ``(2, samples)``.
    sr, n_fft, hop_length, max_hz
        As for :func:`ild_figure`.

    Returns
    -------
    numpy.ma.MaskedArray
        ``(rows, frames)``, bottom row first.

    Examples
    --------
    >>> x = np.stack([np.ones(4000), 0.5 * np.ones(4000)])
    >>> img = ild_image(x, 8000, 256, 64, max_hz=2000)
    >>> round(float(np.ma.median(img)), 2)      # 20 log10(1 / 0.5)
    6.02
    """
    ild, quiet = _ild_quiet(x, n_fft, hop_length)
    rows = display_rows(ild.shape[-2], sr, fmax=max_hz)
    return np.ma.masked_where(quiet[rows], ild[rows])


def update_ild_figure(fig, images: dict) -> list:
    """Put new ILD maps (from :func:`ild_image`) and titles into an :func:`ild_figure` of as
    many signals, in place (``set_data``): a widget move then costs a redraw of the images.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from :func:`ild_figure`.
    images : dict
        Title -> image from :func:`ild_image`, one per panel, in order.

    Returns
    -------
    list of matplotlib.artist.Artist
        The images and panel titles (what changed), e.g. for :class:`mssedu.plot.LiveFigure`.

    Examples
    --------
    >>> x = np.stack([np.ones(4000), 0.5 * np.ones(4000)])
    >>> fig = ild_figure({"a": x}, 8000, 256, 64, max_hz=2000)
    >>> changed = update_ild_figure(fig, {"b": ild_image(x[::-1], 8000, 256, 64, max_hz=2000)})
    >>> changed[1].get_text(), round(float(np.ma.median(changed[0].get_array())), 2)
    ('b', -6.02)
    """
    axes = [ax for ax in fig.axes if ax.images][:len(images)]
    for ax, (label, img) in zip(axes, images.items()):
        ax.images[0].set_data(img)
        ax.set_title(label)
    return [ax.images[0] for ax in axes] + [ax.title for ax in axes]


def ild_histogram_figure(signals: dict, n_fft: int = 2048, hop_length: int = 512,
                         expected: dict | None = None, figsize=(7, 3.0)):
    """Energy-weighted histograms of the ILD of each stereo signal: where in the stereo
    field its energy sits (0 dB = centre). ``expected``: label -> ILD to mark.

    Parameters
    ----------
    signals : dict
        Label -> stereo signal ``(2, samples)``.
    n_fft : int
        STFT frame length in samples.
    hop_length : int
        STFT hop in samples.
    expected : dict or None
        Label -> ILD in dB to mark.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    bins = np.linspace(-30, 30, 61)
    for i, (label, x) in enumerate(signals.items()):
        X = stereo_stft(x, n_fft, hop_length, "hann")
        ild, _ = ild_ipd(X, max_db=30)
        w = (np.abs(X[0]) ** 2 + np.abs(X[1]) ** 2).ravel()
        ax.hist(ild.ravel(), bins=bins, weights=w / (w.sum() or 1.0), histtype="step", lw=1.6,
                label=label, color=f"C{i}")
        if expected and label in expected and np.isfinite(expected[label]):
            ax.axvline(expected[label], color=f"C{i}", ls="--", lw=1)
    ax.set_xlabel("ILD (dB): left louder  >  0  >  right louder")
    ax.set_ylabel("share of energy")
    ax.legend(fontsize=8)
    plt.close(fig)
    return fig


def band_split_figure(S, sr: int, hop_length: int, band_edges_hz, max_hz: float | None = None,
                      title: str = "band split", figsize=(9, 3.4)):
    """A spectrogram with the sub-band boundaries of a band-split model drawn over it
    (``band_edges_hz``: increasing edges from 0 to sr/2), on the course's mel-spaced frequency
    axis (:func:`mssedu.plot.spectrogram_axes`): the narrow low bands get room.

    Parameters
    ----------
    S : numpy.ndarray
        Spectrogram ``([channels,] freq, frames)``.
    sr : int
        Sample rate in Hz.
    hop_length : int
        STFT hop in samples.
    band_edges_hz : array_like
        Increasing band edges from 0 to ``sr / 2``.
    max_hz : float or None
        Highest frequency shown (default: ``sr / 2``).
    title : str
        Axes title.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    S = np.abs(np.asarray(S))
    S = S.mean(axis=0) if S.ndim == 3 else S
    max_hz = max_hz or sr / 2
    fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    spectrogram_axes(ax, S, sr, hop_length, y_axis="mel", fmax=max_hz, colorbar=False,
                     title=f"{title}: {len(band_edges_hz) - 1} bands")
    for e in band_edges_hz:
        if 0 < e < max_hz:
            ax.axhline(float(frequency_position(e, "mel")), color="w", lw=0.6, alpha=0.8)
    plt.close(fig)
    return fig


def bsrnn_band_edges(sr: int = 44100) -> np.ndarray:
    """Sub-band edges in Hz of the band-split model (:func:`mssedu.models.band_edges`,
    the band-split RNN's "v7" layout of Luo & Yu, 2023): 100 Hz bands up to 1 kHz, 250 Hz up
    to 4 kHz, 500 Hz up to 8 kHz, 1 kHz up to 16 kHz, 2 kHz up to 20 kHz, and one band for
    the rest (41 bands at 44.1 kHz). Computed on 1-Hz bins (``n_fft = sr``), so the edges
    are the layout's own frequencies, not those of one FFT size.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.

    Returns
    -------
    numpy.ndarray
        Increasing edges in Hz, from 0 to ``sr / 2``.
    """
    sr = int(sr)
    return np.minimum(np.asarray(band_edges(sr, sr), dtype=float), sr / 2)


