"""Figures for chapter 2 (masks): a mask beside what it does to the mixture, masks side by
side, and how disjoint the stems are."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..spectral import amplitude_to_db
from .core import LiveFigure, display_rows, finish_row, panel_row, spectrogram_axes, spectrogram_figure

__all__ = ["mask_figure", "masked_spectrogram_figure", "MaskedSpectrogramView", "masks_figure",
           "wdo_figure"]

#: The dB range of the spectrogram panels: 80 dB below the mixture's peak up to it.
FLOOR_DB = -80.0


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
    ref = _mixture_ref(Y)
    fig, axes = panel_row(len(panels), (3.6, 3.0))
    for ax, (title, img, db) in zip(axes, panels):
        if db:   # every spectrogram panel in dB against the mixture's peak: they compare
            spectrogram_axes(ax, img, sr, hop_length, title=title, vmin=FLOOR_DB, vmax=0,
                             colorbar=False, ref=ref)
        else:
            spectrogram_axes(ax, img, sr, hop_length, db=False, title=title, cmap="viridis",
                             colorbar=True)
    return finish_row(fig, axes)


def _mixture_ref(Y) -> float:
    """The magnitude shown as 0 dB on every panel: the peak of the channel-averaged mixture."""
    return float(Y.mean(axis=0).max()) if Y.ndim == 3 else float(Y.max()) or 1.0


class MaskedSpectrogramView:
    """:func:`masked_spectrogram_figure` kept alive for a widget: :meth:`update` swaps a new
    mask (and target) into the images already drawn (``set_data``), and :meth:`image`
    redraws only those images over the rest, drawn once (blitting), into a JPEG.

    A new figure per move costs about 0.2 s to build and 0.3-0.5 s to render on 2 cores;
    an update of this view a few hundredths of a second.

    Parameters
    ----------
    mixture_stft : numpy.ndarray
        Complex STFT of the mixture ``([channels,] freq, frames)``.
    sr : int
        Sample rate in Hz.
    hop_length : int
        STFT hop in samples.
    with_target : bool
        Draw a fourth panel, the target (given to :meth:`update`).
    titles : sequence of str or None
        Panel titles (the last one may change with :meth:`update`).

    Examples
    --------
    >>> import numpy as np
    >>> Y = np.ones((2, 65, 20), dtype=np.complex64)
    >>> view = MaskedSpectrogramView(Y, 8000, 64, with_target=False)
    >>> view.update(np.full((2, 65, 20), 0.1))
    >>> round(float(view.images[2].get_array().max()), 1)    # 20 dB below the mixture
    -20.0
    >>> view.image()[:2]     # a JPEG file
    b'\\xff\\xd8'
    """

    def __init__(self, mixture_stft, sr: int, hop_length: int = 1024, with_target: bool = True,
                 titles=None):
        Y = np.abs(np.asarray(mixture_stft))
        self._mono = lambda x: x.mean(axis=0) if x.ndim == 3 else x   # channels averaged
        self._rows = display_rows(Y.shape[-2], sr)
        self._Y = Y[..., self._rows, :]            # only the rows drawn: updates stay small
        self._ref = _mixture_ref(Y)
        zeros = np.zeros_like(Y)
        fig = masked_spectrogram_figure(mixture_stft, zeros, sr, hop_length,
                                        zeros if with_target else None, titles)
        self.images = [ax.images[0] for ax in fig.axes[:3 + with_target]]
        self._title = fig.axes[3].title if with_target else None
        self._live = LiveFigure(fig, self.images[1:] + [self._title] * with_target)
        self.fig = fig

    def _db(self, magnitude):
        """Display rows of ``magnitude`` in dB against the mixture's peak, floored."""
        return np.maximum(amplitude_to_db(self._mono(magnitude), ref=self._ref, top_db=None), FLOOR_DB)

    def update(self, mask, target_stft=None, title: str | None = None) -> None:
        """Show a new mask and what it keeps of the mixture (drawn by :meth:`image`).

        Parameters
        ----------
        mask : numpy.ndarray
            The mask ``([channels,] freq, frames)``, real or complex (its magnitude is shown).
        target_stft : numpy.ndarray or None
            A new target for the last panel (None: keep the one shown).
        title : str or None
            A new title for the last panel (None: keep it).
        """
        M = np.abs(np.asarray(mask)[..., self._rows, :])
        self.images[1].set_data(self._mono(M))
        self.images[2].set_data(self._db(M * self._Y))
        if target_stft is not None and len(self.images) > 3:
            self.images[3].set_data(self._db(np.abs(np.asarray(target_stft)[..., self._rows, :])))
        if title is not None and self._title is not None:
            self._title.set_text(title)

    def image(self, quality: int = 90) -> bytes:
        """The figure as it is now, as JPEG bytes (for ``IPython.display.Image(data, format="jpeg")``).

        Parameters
        ----------
        quality : int
            JPEG quality, 1 to 95.

        Returns
        -------
        bytes
            The JPEG file.
        """
        return self._live.jpeg(quality)


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
    # room above the line at 1 (no bar reaches it) for the legend: never over a bar
    a.set_ylim(min(0, min(wdo) - 0.05), 1.4)
    a.axhline(1, color="k", lw=0.5)
    a.legend(fontsize=8, loc="upper center", ncol=2, frameon=False)
    a.set_title(title, fontsize=9)
    b.bar(x, sir, color="C2")
    b.set_xticks(x, names)
    b.set_ylabel("SIR of the kept bins (dB)")
    plt.close(fig)
    return fig
