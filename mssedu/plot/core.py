"""Figures every chapter uses: waveforms, spectrograms, masks side by side."""
from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.image import imsave
from matplotlib.ticker import FuncFormatter

from ..errors import ParameterError
from ..spectral import amplitude_to_db, stft

__all__ = ["spectrogram_figure", "waveform_figure", "spectrogram_axes", "stems_figure",
           "masked_bins_axes", "frequency_position", "display_rows", "panel_row", "finish_row",
           "LiveFigure"]


def _mono(x):
    x = np.asarray(x)
    return x.mean(axis=0) if x.ndim == 2 else x


#: Round frequencies (Hz) offered as tick marks on a mel or log axis.
_ROUND_FREQS = (20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000)


def _mel(f):
    """Hz to mel (O'Shaughnessy's formula, as in HTK): ``2595 log10(1 + f / 700)``."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def _hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def _hz_label(f: float) -> str:
    return f"{f / 1000:g}k" if f >= 1000 else f"{f:g}"


def frequency_position(f, y_axis: str = "mel"):
    r"""Where frequency ``f`` (Hz) sits on a frequency axis drawn by :func:`spectrogram_axes`
    or :func:`masked_bins_axes` (e.g. to draw a line at a band edge).

    Parameters
    ----------
    f : float or numpy.ndarray
        Frequency in Hz.
    y_axis : {"mel", "log", "hz"}
        The axis' scale: mel (:math:`2595 \log_{10}(1 + f/700)`), natural log, or linear Hz.

    Returns
    -------
    float or numpy.ndarray
        The axis coordinate.
    """
    if y_axis not in ("mel", "log", "hz"):
        raise ParameterError(f"y_axis must be 'mel', 'log' or 'hz', got {y_axis!r}.")
    f = np.asarray(f, dtype=np.float64)
    return _mel(f) if y_axis == "mel" else (np.log(f) if y_axis == "log" else f)


def _frequency_rows(freqs, y_axis: str, fmax):
    """Display rows for bins at ``freqs`` on a ``y_axis`` scale up to ``fmax``: the bin index
    of each display row, the axis limits, and the round tick frequencies with their positions
    (ticks ``None``: let matplotlib place round ones on a linear axis)."""
    n_freq = len(freqs)
    top = float(min(fmax, freqs[-1]) if fmax else freqs[-1])
    if y_axis == "cqt":
        tick_f = [f for f in _ROUND_FREQS if freqs[0] <= f <= freqs[-1]]
        tick_pos = [float(np.interp(np.log(f), np.log(freqs), np.arange(n_freq))) + 0.5 for f in tick_f]
        return np.arange(n_freq), 0.0, float(n_freq), (tick_f, tick_pos)
    if y_axis == "hz":
        return np.nonzero(freqs <= top + 1e-9)[0], 0.0, top, None
    fwd, inv = (_mel, _hz) if y_axis == "mel" else (np.log, np.exp)
    bottom = 0.0 if y_axis == "mel" else max(30.0, freqs[1] if n_freq > 1 else 30.0)
    lo, hi = float(fwd(bottom)), float(fwd(top))
    grid = inv(np.linspace(lo, hi, 2 * n_freq if n_freq < 256 else 512))
    # each display row shows the bin nearest to its frequency
    index = np.clip(np.searchsorted(freqs, grid), 0, n_freq - 1)
    # on the mel scale 20-100 Hz are a few pixels apart: label from 200 Hz up, and 0
    tick_f = ([0] + [f for f in _ROUND_FREQS if 200 <= f <= top] if y_axis == "mel"
              else [f for f in _ROUND_FREQS if bottom < f <= top])
    return index, lo, hi, (tick_f, [float(fwd(f)) for f in tick_f])


def display_rows(n_freq: int, sr: int, y_axis: str = "mel", fmax: float | None = None) -> np.ndarray:
    """The STFT bin that each image row of :func:`spectrogram_axes` shows (for ``n_freq`` bins
    from 0 Hz to ``sr / 2``): ``S[display_rows(...)]`` is the image it draws, so that a widget
    can swap in new data with ``set_data`` instead of drawing a new figure.

    Parameters
    ----------
    n_freq : int
        Number of STFT bins (``n_fft // 2 + 1``).
    sr : int
        Sample rate in Hz.
    y_axis : {"mel", "log", "hz"}
        Frequency axis scale.
    fmax : float or None
        Highest frequency shown in Hz (default: ``sr / 2``).

    Returns
    -------
    numpy.ndarray of int
        One bin index per image row, bottom to top.

    Examples
    --------
    >>> rows = display_rows(2049, 44100)
    >>> len(rows), int(rows[0]), int(rows[-1])
    (512, 0, 2048)
    """
    if y_axis not in ("mel", "log", "hz"):
        raise ParameterError(f"y_axis must be 'mel', 'log' or 'hz', got {y_axis!r}.")
    freqs = np.arange(n_freq) * (sr / 2) / max(n_freq - 1, 1)
    return _frequency_rows(freqs, y_axis, fmax)[0]


def _frequency_ticks(ax, ticks) -> None:
    """Label the frequency axis at round values (``ticks`` from :func:`_frequency_rows`)."""
    if ticks is not None:
        ax.set_yticks(ticks[1])
        ax.set_yticklabels([_hz_label(f) for f in ticks[0]])
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _hz_label(v)))


def spectrogram_axes(ax, S, sr: int, hop_length: int, y_axis: str = "mel", db: bool = True,
                     title: str | None = None, vmin=None, vmax=None, cmap="magma",
                     colorbar: bool = True, freqs=None, fmax: float | None = None, ref=np.max):
    r"""Draw a magnitude (or mask) ``(freq, frames)`` or ``(channels, freq, frames)`` image on
    ``ax``. ``S`` complex or real; channels are averaged. ``db=True`` shows decibels (80 dB
    range); masks should pass ``db=False`` (0..1).

    The frequency axis is, by default, **mel-spaced** (:math:`m = 2595 \log_{10}(1 + f/700)`):
    nearly linear below 1 kHz and logarithmic above, so the bass, the voice's harmonics and
    the cymbals each get room; the ticks sit at round frequencies (100, 200, 500 Hz, 1k, 2k,
    5k, ...). ``"log"`` is logarithmic from 30 Hz, ``"hz"`` linear (ticks at round values,
    up to ``fmax``), ``"cqt"`` one row per CQT bin (pass ``freqs``).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    S : numpy.ndarray
        The spectrogram or mask (STFT bins from 0 Hz to ``sr / 2``, or CQT bins).
    sr : int
        Sample rate in Hz.
    hop_length : int
        STFT hop in samples.
    y_axis : {"mel", "log", "hz", "cqt"}
        Frequency axis scale.
    db : bool
        Show decibels (80 dB range) or raw values.
    title : str or None
        Figure or panel title.
    vmin, vmax : float or None
        Colour scale limits (default: from the data).
    cmap : str
        Matplotlib colour map.
    colorbar : bool
        Add a colour bar.
    freqs : numpy.ndarray or None
        Bin frequencies in Hz (needed for ``y_axis="cqt"``; for an STFT cut below ``sr / 2``).
    fmax : float or None
        Highest frequency shown in Hz (default: the highest bin).
    ref : float or callable
        The magnitude shown as 0 dB when ``db=True``: by default each image's own maximum;
        pass one number to give several panels one colour scale.

    Returns
    -------
    matplotlib.image.AxesImage
        The image drawn (e.g. for a shared colour bar).
    """
    if y_axis not in ("mel", "log", "hz", "cqt"):
        raise ParameterError(f"y_axis must be 'mel', 'log', 'hz' or 'cqt', got {y_axis!r}.")
    S = np.abs(np.asarray(S))
    if S.ndim == 3:
        S = S.mean(axis=0)
    img = amplitude_to_db(S, ref=ref) if db else S
    n_freq, n_fr = img.shape
    t_end = n_fr * hop_length / sr
    if freqs is None:
        if y_axis == "cqt":
            raise ParameterError("y_axis='cqt' needs freqs, the CQT bins' frequencies in Hz.")
        freqs = np.arange(n_freq) * (sr / 2) / max(n_freq - 1, 1)
    index, lo, hi, ticks = _frequency_rows(np.asarray(freqs, dtype=np.float64), y_axis, fmax)
    rows = img[index]
    im = ax.imshow(rows, origin="lower", aspect="auto", cmap=cmap, extent=[0, t_end, lo, hi],
                   vmin=vmin if vmin is not None else (None if db else 0.0),
                   vmax=vmax if vmax is not None else (None if db else 1.0),
                   interpolation="nearest")
    _frequency_ticks(ax, ticks)
    ax.set_ylim(lo, hi)
    ax.set_ylabel("frequency (Hz)" + {"mel": ", mel scale", "log": ", log scale"}.get(y_axis, ""))
    ax.set_xlabel("time (s)")
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, label="dB" if db else "mask value", pad=0.01)
    return im


def masked_bins_axes(ax, values, quiet, sr: int, n_fft: int, hop_length: int, cmap: str,
                     vmin: float, vmax: float, title: str | None = None, y_axis: str = "mel",
                     fmax: float | None = None):
    """Draw a per-bin quantity ``(freq, frames)`` (a phase, an ILD, ...) from 0 Hz up, with the
    ``quiet`` bins (where the quantity means nothing) greyed out, on the same frequency axis as
    :func:`spectrogram_axes` (mel-spaced by default, ticks at round frequencies).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    values : numpy.ndarray
        The quantity per bin, ``(freq, frames)``: the STFT's first ``freq`` bins.
    quiet : numpy.ndarray of bool
        Bins to grey out, same shape.
    sr : int
        Sample rate in Hz.
    n_fft : int
        STFT frame length in samples.
    hop_length : int
        STFT hop in samples.
    cmap : str
        Matplotlib colour map.
    vmin, vmax : float
        Colour scale limits.
    title : str or None
        Figure or panel title.
    y_axis : {"mel", "log", "hz"}
        Frequency axis scale.
    fmax : float or None
        Highest frequency shown in Hz (default: the highest bin given).

    Returns
    -------
    matplotlib.image.AxesImage
        The image drawn (e.g. for a shared colour bar).
    """
    if y_axis not in ("mel", "log", "hz"):
        raise ParameterError(f"y_axis must be 'mel', 'log' or 'hz', got {y_axis!r}.")
    values, quiet = np.asarray(values), np.asarray(quiet, dtype=bool)
    if values.ndim != 2 or quiet.shape != values.shape:
        raise ParameterError(f"values must be (freq, frames) and quiet the same shape; got "
                             f"{values.shape} and {quiet.shape}.")
    index, lo, hi, ticks = _frequency_rows(np.arange(values.shape[0]) * sr / n_fft, y_axis, fmax)
    shown = np.ma.masked_where(quiet[index], values[index])
    ax.set_facecolor("0.85")
    im = ax.imshow(shown, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax,
                   extent=[0, values.shape[-1] * hop_length / sr, lo, hi], interpolation="nearest")
    _frequency_ticks(ax, ticks)
    ax.set_ylim(lo, hi)
    if title:
        ax.set_title(title)
    ax.set_xlabel("time (s)")
    return im


def panel_row(n: int, panel_size=(3.6, 3.0), figsize=None, **kwargs):
    """A figure with one row of ``n`` panels side by side (constrained layout), the set-up of
    every chapter's "one spectrogram per signal" figure.

    Parameters
    ----------
    n : int
        Number of panels.
    panel_size : tuple of float
        Width and height of one panel in inches (used when ``figsize`` is None).
    figsize : tuple of float, optional
        Size of the whole figure in inches.
    **kwargs
        Passed to :func:`matplotlib.pyplot.subplots` (e.g. ``sharey=True``).

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : numpy.ndarray of matplotlib.axes.Axes
        Shape ``(n,)``.

    Examples
    --------
    >>> from mssedu.plot import panel_row
    >>> fig, axes = panel_row(3)
    >>> axes.shape, fig.get_size_inches().round(1).tolist()
    ((3,), [10.8, 3.0])
    """
    fig, axes = plt.subplots(1, n, figsize=figsize or (panel_size[0] * n, panel_size[1]),
                             squeeze=False, constrained_layout=True, **kwargs)
    return fig, axes[0]


def finish_row(fig, axes, image=None, label: str | None = None, ylabel: str | None = None):
    """Finish a row of panels from :func:`panel_row`: one colour bar for all of them (beside
    the last), the frequency label on the first panel only; the figure is closed so that a
    notebook shows it once, as the cell's value.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    axes : sequence of matplotlib.axes.Axes
        Its panels, left to right.
    image : matplotlib.cm.ScalarMappable, optional
        What the colour bar describes (e.g. the last panel's image); none without it.
    label : str, optional
        The colour bar's label (with units).
    ylabel : str, optional
        The first panel's y label; the other panels' y labels are removed.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig``.
    """
    if ylabel is not None:
        axes[0].set_ylabel(ylabel)
    for ax in axes[1:]:
        ax.set_ylabel("")
    if image is not None:
        fig.colorbar(image, ax=axes[-1], label=label, pad=0.01)
    plt.close(fig)
    return fig


def spectrogram_figure(S, sr: int, hop_length: int = 1024, title=None, db: bool = True,
                       figsize=(9, 3.2), **kwargs):
    """One spectrogram (or a list of them, side by side with shared colour scale), returned
    as a matplotlib Figure. ``S``: ``(freq, frames)``, ``(channels, freq, frames)`` or a
    list/dict of such; complex spectrograms are shown as magnitudes in dB.

    Parameters
    ----------
    S : numpy.ndarray, list or dict
        Spectrogram(s) as above; a dict's keys become panel titles.
    sr : int
        Sample rate in Hz.
    hop_length : int
        STFT hop in samples.
    title : str, list of str or None
        Title(s) of the panel(s).
    db : bool
        Show decibels (False for masks, 0..1).
    figsize : tuple of float
        Figure size in inches.
    **kwargs
        Passed to :func:`spectrogram_axes` (``y_axis``, ``vmin``, ``cmap``, ...).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    if isinstance(S, dict):
        titles, items = list(S.keys()), list(S.values())
    elif isinstance(S, (list, tuple)):
        items = list(S)
        titles = list(title) if isinstance(title, (list, tuple)) else [title] * len(items)
    else:
        items, titles = [S], [title]
    fig, axes = plt.subplots(1, len(items), figsize=(figsize[0] if len(items) == 1 else 4.2 * len(items), figsize[1]),
                             squeeze=False, constrained_layout=True)
    for ax, item, t in zip(axes[0], items, titles):
        spectrogram_axes(ax, item, sr, hop_length, db=db, title=t, **kwargs)
    plt.close(fig)
    return fig


def waveform_figure(signals, sr: int, title=None, figsize=(9, 2.6)):
    """Waveforms of one signal or of a dict name -> signal ``(channels, samples)``, stacked
    with a shared time axis (channels averaged for display).

    Parameters
    ----------
    signals : numpy.ndarray or dict
        One signal ``([channels,] samples)`` or name -> signal.
    sr : int
        Sample rate in Hz.
    title : str or None
        Figure or panel title.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    if not isinstance(signals, dict):
        signals = {title or "signal": signals}
    n = len(signals)
    fig, axes = plt.subplots(n, 1, figsize=(figsize[0], max(figsize[1], 1.3 * n)), sharex=True,
                             squeeze=False, constrained_layout=True)
    peak = max(float(np.max(np.abs(_mono(s)))) for s in signals.values()) or 1.0
    for ax, (name, sig) in zip(axes[:, 0], signals.items()):
        y = _mono(sig)
        t = np.arange(len(y)) / sr
        step = max(1, len(y) // 20000)
        ax.plot(t[::step], y[::step], lw=0.6)
        ax.set_ylim(-peak * 1.05, peak * 1.05)
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
        ax.set_yticks([])
    axes[-1, 0].set_xlabel("time (s)")
    plt.close(fig)
    return fig


def stems_figure(track, n_fft: int = 4096, hop_length: int = 1024, figsize=None):
    """Spectrograms of a Track's mixture and each stem in a grid, same colour scale.

    Parameters
    ----------
    track : Track
        The multitrack (:class:`mssedu.data.Track`).
    n_fft : int
        STFT frame length in samples.
    hop_length : int
        STFT hop in samples.
    figsize : tuple of float or None
        Figure size in inches (default: from the number of stems).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    names = ["mixture"] + list(track.stems)
    sigs = [track.mixture] + list(track.stems.values())
    mags = [np.abs(stft(s, n_fft, hop_length)).mean(axis=0) for s in sigs]
    ref = max(float(m.max()) for m in mags) or 1.0
    cols = min(3, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=figsize or (4.2 * cols, 2.8 * rows),
                             squeeze=False, constrained_layout=True)
    for ax, name, m in zip(axes.flat, names, mags):
        spectrogram_axes(ax, m, track.sr, hop_length, title=name, ref=ref, vmin=-80, vmax=0,
                         colorbar=False)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    plt.close(fig)
    return fig


class LiveFigure:
    """A figure that a widget redraws in place: everything but the ``changing`` artists is
    drawn once; :meth:`jpeg` draws only those again over it (blitting) and returns the frame.

    A new figure per widget move costs 0.2-0.5 s to build and render on 2 cores; a frame of
    a live figure a few hundredths of a second. Change the artists with their own setters
    (``set_data``, ``set_ydata``, ``set_text``) between frames; the layout is fixed at the
    first draw.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, complete (drawn off screen, whatever the backend).
    changing : sequence of matplotlib.artist.Artist
        The artists that change between frames (images, lines, titles).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> line, = ax.plot([0, 1], [0, 1])
    >>> live = LiveFigure(fig, [line])
    >>> line.set_ydata([1, 0])
    >>> live.jpeg()[:2]      # a JPEG file
    b'\\xff\\xd8'
    """

    def __init__(self, fig, changing):
        self.fig, self.changing = fig, list(changing)
        plt.close(fig)                         # pyplot lets go of it (and of its canvas) ...
        FigureCanvasAgg(fig)                   # ... and it is drawn off screen, whatever the backend
        for artist in self.changing:
            artist.set_animated(True)          # left out of the background drawn once
        fig.canvas.draw()                      # lays the figure out once ...
        fig.set_layout_engine("none")          # ... and keeps it so
        for ax in fig.axes:                    # the ticks drawn once stay true: new data
            ax.set_autoscale_on(False)         # (a new extent) must not move the limits
        self._background = fig.canvas.copy_from_bbox(fig.bbox)

    def jpeg(self, quality: int = 90) -> bytes:
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
        canvas = self.fig.canvas
        canvas.restore_region(self._background)
        for artist in self.changing:
            self.fig.draw_artist(artist)
        buffer = io.BytesIO()
        # JPEG: a spectrogram's noise compresses badly as PNG (4x the bytes, 10x the time)
        imsave(buffer, np.asarray(canvas.buffer_rgba())[..., :3], format="jpeg",
               pil_kwargs={"quality": quality})
        return buffer.getvalue()
