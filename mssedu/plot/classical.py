"""Figures of chapter 5 (before deep learning): cancellation, HPSS masks, REPET, NMF."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .core import spectrogram_axes

__all__ = ["cancellation_figure", "hpss_figure", "beat_spectrum_figure", "nmf_figure"]


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
    def cut(a):
        a = np.asarray(a)
        a = a.mean(axis=0) if a.ndim == 3 else a
        n_fft = 2 * (a.shape[0] - 1)
        return a[: max(2, int(max_hz * n_fft / sr))]

    fig, axes = plt.subplots(1, 3, figsize=figsize, constrained_layout=True)
    n_fft = 2 * (np.asarray(mixture_stft).shape[-2] - 1)
    top = max(2, int(max_hz * n_fft / sr))
    freqs = np.linspace(0, top * sr / n_fft, top)
    spectrogram_axes(axes[0], cut(np.abs(mixture_stft)), sr, hop_length, title="mixture", freqs=freqs)
    spectrogram_axes(axes[1], cut(mask_harmonic), sr, hop_length, db=False, title="harmonic mask",
                     cmap="viridis", freqs=freqs)
    spectrogram_axes(axes[2], cut(mask_percussive), sr, hop_length, db=False,
                     title="percussive mask", cmap="viridis", freqs=freqs)
    plt.close(fig)
    return fig


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
