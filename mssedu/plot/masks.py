"""Figures for chapter 2 (masks): a mask beside what it does to the mixture, masks side by
side, and how disjoint the stems are."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..spectral import amplitude_to_db
from .core import finish_row, panel_row, spectrogram_axes, spectrogram_figure

__all__ = ["mask_figure", "masked_spectrogram_figure", "masks_figure", "wdo_figure"]


def mask_figure(mask, sr: int, hop_length: int = 1024, title: str = "mask", figsize=(9, 3.2)):
    """One mask ``(channels, freq, frames)`` (channels averaged) as an image, 0 (black) to
    1 (bright); a complex mask is shown by its magnitude.

    Parameters
    ----------
    mask : numpy.ndarray
        ``([channels,] freq, frames)``, real or complex.
    sr : int
        Sample rate in Hz.
    hop_length : int
        STFT hop in samples.
    title : str
        Figure title.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    return spectrogram_figure(np.abs(np.asarray(mask)), sr, hop_length, title=title, db=False,
                              figsize=figsize, cmap="viridis")


def masked_spectrogram_figure(mixture_stft, mask, sr: int, hop_length: int = 1024,
                              target_stft=None, titles=None):
    """Mixture | mask | masked mixture (| true target, if given), in one row. Spectrograms in
    dB on a shared scale (80 dB below the mixture's peak), the mask from 0 to 1.

    Parameters
    ----------
    mixture_stft : numpy.ndarray
        Complex STFT of the mixture.
    mask : numpy.ndarray
        The mask, same shape.
    sr : int
        Sample rate in Hz.
    hop_length : int
        STFT hop in samples.
    target_stft : numpy.ndarray or None
        The true target's STFT, drawn last if given.
    titles : sequence of str or None
        Panel titles.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    Y = np.abs(np.asarray(mixture_stft))
    M = np.abs(np.asarray(mask))
    panels = [("mixture", Y, True), ("mask", M, False), ("masked mixture", M * Y, True)]
    if target_stft is not None:
        panels.append(("true target", np.abs(np.asarray(target_stft)), True))
    if titles:
        panels = [(t, p, d) for t, (_, p, d) in zip(titles, panels)]
    ref = float(Y.mean(axis=0).max()) if Y.ndim == 3 else float(Y.max())
    fig, axes = panel_row(len(panels), (3.6, 3.0))
    for ax, (title, img, db) in zip(axes, panels):
        if db:
            mono = img.mean(axis=0) if img.ndim == 3 else img
            scaled = 10 ** (np.maximum(amplitude_to_db(mono, ref=ref or 1.0, top_db=None), -80) / 20)
            spectrogram_axes(ax, scaled, sr, hop_length, title=title, vmin=-80, vmax=0,
                             colorbar=False)
        else:
            spectrogram_axes(ax, img, sr, hop_length, db=False, title=title, cmap="viridis",
                             colorbar=True)
    return finish_row(fig, axes)


def masks_figure(masks: dict, sr: int, hop_length: int = 1024):
    """Several masks side by side (``{title: mask}``), same 0..1 scale.

    Parameters
    ----------
    masks : dict
        Title -> mask ``([channels,] freq, frames)``.
    sr : int
        Sample rate in Hz.
    hop_length : int
        STFT hop in samples.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    return spectrogram_figure({k: np.abs(np.asarray(v)) for k, v in masks.items()}, sr,
                              hop_length, db=False, cmap="viridis")


def wdo_figure(results: dict, title: str = "How disjoint are the stems? (0 dB binary mask)"):
    """Bars of PSR, WDO and SIR per stem from ``{stem: w_disjoint_orthogonality(...)}``.

    Parameters
    ----------
    results : dict
        Stem -> the dict of :func:`mssedu.masks.w_disjoint_orthogonality`.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    names = list(results)
    psr = [results[k]["psr"] for k in names]
    wdo = [results[k]["wdo"] for k in names]
    sir = [results[k]["sir_db"] for k in names]
    x = np.arange(len(names))
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.0), constrained_layout=True)
    a.bar(x - 0.18, psr, 0.36, label="PSR (energy kept)")
    a.bar(x + 0.18, wdo, 0.36, label="WDO")
    a.set_xticks(x, names)
    a.set_ylim(min(0, min(wdo) - 0.05), 1.05)
    a.axhline(1, color="k", lw=0.5)
    a.legend(fontsize=8, loc="lower right")
    a.set_title(title, fontsize=9)
    b.bar(x, sir, color="C2")
    b.set_xticks(x, names)
    b.set_ylabel("SIR of the kept bins (dB)")
    plt.close(fig)
    return fig
