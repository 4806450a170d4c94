"""Figures of chapter 3 (phase): convergence curves and phase images."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .core import finish_row, masked_bins_axes, panel_row

__all__ = ["convergence_figure", "phase_figure"]


def convergence_figure(histories: dict, marker: int | None = None, title: str | None = None,
                       reference: float | None = None, figsize=(6.5, 3.2)):
    """Spectral convergence against iteration for several runs, log scale.

    Parameters
    ----------
    histories : dict
        label -> 1-D array (``history[k]`` after ``k`` iterations, as returned by
        :func:`mssedu.phase.griffin_lim` / :func:`mssedu.phase.misi`).
    marker : int, optional
        Draw a vertical line at this iteration (e.g. a slider's value).
    title : str, optional
        Figure title.
    reference : float, optional
        Draw a horizontal line at this error (e.g. a target).
    figsize : tuple
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """

    fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    for label, h in histories.items():
        h = np.asarray(h, dtype=float)
        ax.plot(np.arange(len(h)), np.maximum(h, 1e-8), lw=1.6, label=label)
    if marker is not None:
        ax.axvline(marker, color="0.3", ls=":", lw=1)
    if reference is not None:
        ax.axhline(reference, color="0.5", ls="--", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("spectral convergence")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    plt.close(fig)
    return fig


def phase_figure(spectrograms: dict, sr: int, hop_length: int, max_hz: float = 2000.0,
                 seconds: float = 1.0, figsize=None):
    """The phase (angle, cyclic colour map) of several complex spectrograms side by side,
    zoomed on the first ``seconds`` and the bins below ``max_hz`` so that structure is
    visible, on a mel-spaced frequency axis with round ticks (as every spectrogram of the
    course); bins more than 60 dB below the loudest are greyed out (their phase is noise).

    Parameters
    ----------
    spectrograms : dict
        label -> complex ``(freq, frames)`` or ``(channels, freq, frames)`` (first channel
        shown).
    sr : int
        Sample rate (Hz).
    hop_length : int
        STFT hop (samples).
    max_hz : float
        Highest frequency shown.
    seconds : float
        Duration shown, from the start.
    figsize : tuple, optional
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """

    n = len(spectrograms)
    fig, axes = panel_row(n, (3.6, 3.0), figsize)
    im = None
    for ax, (label, X) in zip(axes, spectrograms.items()):
        X = np.asarray(X)
        if X.ndim == 3:
            X = X[0]
        n_fft = 2 * (X.shape[0] - 1)
        top = max(2, int(max_hz * n_fft / sr))
        right = max(2, int(seconds * sr / hop_length))
        Z = X[:top, :right]
        ang = np.angle(Z)
        mag = np.abs(Z)
        quiet = mag < mag.max() * 1e-3 if mag.max() > 0 else np.ones_like(mag, bool)
        im = masked_bins_axes(ax, ang, quiet, sr, n_fft, hop_length, "twilight", -np.pi, np.pi, label,
                              y_axis="mel", fmax=max_hz)
    return finish_row(fig, axes, im, "phase (rad)", "frequency (Hz), mel scale")
