r"""Figures for chapter 1: windows, the time-frequency trade-off, overlap-add, and the CQT.

Each function returns a closed matplotlib Figure (so notebooks show it once, and widgets
can redraw it). The maths comes from :mod:`mssedu.spectral`; only :func:`window_sum`, the
picture of overlap-add, is computed here:

.. math:: s[n] = \sum_m w[n - mH],

which plain overlap-add multiplies the signal by (COLA means :math:`s[n]` is constant).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ..spectral import (amplitude_to_db, check_cola, check_stft_params, constant_q_kernel, cqt,
                        cqt_frequencies, get_window, stft)
from .core import finish_row, panel_row

__all__ = ["window_sum", "window_figure", "resolution_figure", "update_resolution_figure", "cola_figure",
           "cqt_vs_stft_figure", "cqt_vs_stft_images", "log_span", "cqt_vs_stft_live_figure", "update_cqt_vs_stft_figure",
           "tiling_figure"]


def window_sum(window="hann", n_fft: int = 1024, hop_length: int = 256, n_samples: int | None = None,
               squared: bool = False) -> np.ndarray:
    r"""The sum of shifted windows :math:`s[n] = \sum_m w[n - mH]` (or of :math:`w^2` with
    ``squared=True``, the denominator of :func:`mssedu.spectral.istft`) over ``n_samples``
    samples (default: eight hops more than a window), frames starting at ``m * hop_length``.

    Plain overlap-add of windowed frames returns :math:`x[n]\,s[n]`: the signal is
    reproduced up to a constant exactly when :math:`s` is constant (COLA).

    Parameters
    ----------
    window : str or array_like
        Window name (see :func:`mssedu.spectral.get_window`) or samples.
    n_fft : int
        STFT frame length in samples.
    hop_length : int
        STFT hop in samples.
    n_samples : int or None
        Length of the sum (default: ``n_fft + 8 * hop_length``).
    squared : bool
        Sum :math:`w^2` instead of :math:`w`.

    Returns
    -------
    numpy.ndarray
        :math:`s[n]`, float64, ``n_samples`` long.
    """
    hop = check_stft_params(n_fft, hop_length)
    w = get_window(window, n_fft).astype(np.float64)
    if squared:
        w = w ** 2
    n = n_fft + 8 * hop if n_samples is None else int(n_samples)
    s = np.zeros(n + n_fft)
    for start in range(0, n, hop):
        s[start:start + n_fft] += w
    return s[:n]


def _mono(x):
    x = np.asarray(x)
    return x.mean(axis=0) if x.ndim == 2 else x


#: Most image cells drawn per axis: a figure panel is a few hundred pixels wide, and drawing
#: a 4097 x 4000 image takes matplotlib seconds for what 800 x 800 shows the same.
_MAX_CELLS = 800


def _pooled(img):
    """``img`` (rows, columns) reduced to at most :data:`_MAX_CELLS` per axis by taking the
    maximum of each block (a short loud bin stays visible, as in the full picture)."""
    for axis in (0, 1):
        n = img.shape[axis]
        k = -(-n // _MAX_CELLS)                  # block size, rounded up
        if k > 1:
            pad = (-n) % k                       # repeat the edge to fill the last block
            img = np.concatenate([img, np.take(img, [n - 1] * pad, axis=axis)], axis=axis)
            shape = img.shape[:axis] + (img.shape[axis] // k, k) + img.shape[axis + 1:]
            img = img.reshape(shape).max(axis=axis + 1)
    return img


def _db_cells(mag, fmax_shown, fmax_data):
    """The dB image (0 dB = its maximum) of ``mag`` (freq, frames) up to ``fmax_shown``,
    pooled for drawing, and the frequency its top row reaches."""
    n_freq = mag.shape[0]
    keep = max(2, int(np.ceil(n_freq * min(1.0, fmax_shown / fmax_data))))
    img = _pooled(amplitude_to_db(mag, ref=float(mag.max()) or 1.0, top_db=None)[:keep])
    return img, fmax_data * keep / n_freq


def _db_image(ax, mag, times_end, fmax_shown, fmax_data, title=None, vmin=-80, cmap="magma"):
    """Draw a (freq, frames) magnitude in dB (0 dB = its maximum), y axis in Hz."""
    img, top = _db_cells(mag, fmax_shown, fmax_data)
    im = ax.imshow(img, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=0,
                   extent=[0, times_end, 0, top], interpolation="nearest")
    ax.set_ylim(0, min(fmax_shown, top))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    if title:
        ax.set_title(title, fontsize=10)
    return im


def window_figure(windows=("boxcar", "hann", "hamming", "blackman"), n_fft: int = 1024,
                  sr: int = 44100, figsize=(10, 3.2)):
    """Each window's shape (left) and its spectrum in dB around 0 Hz (right): a wider main
    lobe blurs neighbouring frequencies, lower side lobes leak less.

    Parameters
    ----------
    windows : sequence of str
        Window names.
    n_fft : int
        Window length in samples.
    sr : int
        Sample rate in Hz.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    fig, (a, b) = plt.subplots(1, 2, figsize=figsize, constrained_layout=True)
    zoom = 16
    for name in windows:
        w = get_window(name, n_fft).astype(np.float64)
        a.plot(np.arange(n_fft) / sr * 1000, w, label=name, lw=1.2)
        W = np.abs(np.fft.rfft(w, zoom * n_fft))
        W_db = 20 * np.log10(np.maximum(W / W.max(), 1e-6))
        f = np.arange(len(W)) * sr / (zoom * n_fft)
        show = f <= 8 * sr / n_fft
        b.plot(f[show], W_db[show], label=name, lw=1.0)
    a.set_xlabel("time (ms)")
    a.set_title(f"windows, n_fft = {n_fft}", fontsize=10)
    a.legend(fontsize=8)
    b.set_ylim(-100, 3)
    b.set_xlabel("frequency offset (Hz)")
    b.set_ylabel("dB")
    b.set_title(f"their spectra (bin spacing sr/n_fft = {sr / n_fft:.1f} Hz)", fontsize=10)
    for k in range(1, 9):
        b.axvline(k * sr / n_fft, color="0.85", lw=0.6, zorder=0)
    plt.close(fig)
    return fig


def resolution_figure(signals: dict, sr: int, n_fft: int = 2048, hop_length: int = 512,
                      window="hann", fmax: float = 5000.0, figsize=None):
    r"""STFT magnitudes (dB) of several signals side by side with the same settings, titled
    with the two resolutions the settings imply:
    :math:`\Delta f = f_s / N` between bins and :math:`N / f_s` of signal per frame.

    Parameters
    ----------
    signals : dict
        Title -> signal ``([channels,] samples)``.
    sr : int
        Sample rate in Hz.
    n_fft : int
        STFT frame length in samples.
    hop_length : int
        STFT hop in samples.
    window : str
        Window name.
    fmax : float
        Highest frequency shown.
    figsize : tuple of float or None
        Figure size in inches (default: from the number of signals).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    n = len(signals)
    fig, axes = panel_row(n, (4.6, 3.4), figsize)
    for ax, (name, sig) in zip(axes, signals.items()):
        mag = np.abs(stft(_mono(sig), n_fft, hop_length, window))
        im = _db_image(ax, mag, mag.shape[-1] * hop_length / sr, fmax, sr / 2, title=name)
    fig.suptitle(_resolution_title(sr, n_fft, hop_length, window), fontsize=10)
    return finish_row(fig, axes, im, "dB")


def _resolution_title(sr, n_fft, hop_length, window) -> str:
    return (f"n_fft = {n_fft} ({1000 * n_fft / sr:.0f} ms per frame, bins {sr / n_fft:.1f} Hz apart), "
            f"hop = {hop_length} ({1000 * hop_length / sr:.1f} ms), window = {window}")


def update_resolution_figure(fig, signals: dict, sr: int, n_fft: int = 2048, hop_length: int = 512,
                             window="hann", fmax: float = 5000.0):
    """Redraw a :func:`resolution_figure` of the same ``signals`` for new STFT settings, in
    place: its images get the new spectrograms (``set_data``), its title the new settings;
    nothing else is built again (a widget move then costs a redraw, not a new figure).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from :func:`resolution_figure` with one panel per signal.
    signals : dict
        Title -> signal ``([channels,] samples)``, as given to :func:`resolution_figure`.
    sr : int
        Sample rate in Hz.
    n_fft : int
        STFT frame length in samples.
    hop_length : int
        STFT hop in samples.
    window : str
        Window name.
    fmax : float
        Highest frequency shown.

    Returns
    -------
    list of matplotlib.artist.Artist
        What changed (the images and the title), e.g. for :class:`mssedu.plot.LiveFigure`.

    Examples
    --------
    >>> import numpy as np
    >>> x = {"noise": np.random.default_rng(0).standard_normal(8000)}
    >>> fig = resolution_figure(x, 8000, 256, 64)
    >>> changed = update_resolution_figure(fig, x, 8000, 1024, 256)
    >>> fig.axes[0].images[0].get_array().shape, changed[-1].get_text()[:12]
    ((513, 32), 'n_fft = 1024')
    """
    images = [ax.images[0] for ax in fig.axes if ax.images][:len(signals)]
    for im, sig in zip(images, signals.values()):
        mag = np.abs(stft(_mono(sig), n_fft, hop_length, window))
        img, top = _db_cells(mag, fmax, sr / 2)
        im.set_data(img)
        im.set_extent([0, mag.shape[-1] * hop_length / sr, 0, top])
    title = fig.suptitle(_resolution_title(sr, n_fft, hop_length, window), fontsize=10)   # the same Text, new words
    return images + [title]


def cola_figure(window="hann", n_fft: int = 1024, hop_length: int = 512, n_frames: int = 8,
                figsize=(10, 3.4)):
    r"""The shifted windows :math:`w[n - mH]` (thin), their sum :math:`\sum_m w[n-mH]` (thick:
    flat = COLA) and the sum of squares that :func:`mssedu.spectral.istft` divides by
    (dashed: never zero = NOLA), with :func:`mssedu.spectral.check_cola`'s verdict.

    Parameters
    ----------
    window : str or array_like
        Window name or samples.
    n_fft : int
        STFT frame length in samples.
    hop_length : int
        STFT hop in samples.
    n_frames : int
        How many shifted windows to draw.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    verdict = check_cola(window, n_fft, hop_length)
    w = get_window(window, n_fft).astype(np.float64)
    total = n_fft + (n_frames - 1) * hop_length
    s = window_sum(window, n_fft, hop_length, total)
    s2 = window_sum(window, n_fft, hop_length, total, squared=True)
    # frames start before 0 too, so the middle is what a long signal sees
    fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    n = np.arange(total)
    for m in range(n_frames):
        ax.plot(n[m * hop_length: m * hop_length + n_fft], w, color="tab:blue", lw=0.8, alpha=0.6)
    ax.plot(n, s, color="black", lw=2, label=r"$\sum_m w[n-mH]$ (plain overlap-add)")
    ax.plot(n, s2, color="tab:orange", lw=1.5, ls="--", label=r"$\sum_m w^2[n-mH]$ (iSTFT divides by it)")
    lo, hi = n_fft, max(n_fft + 1, total - n_fft)
    ax.axvspan(lo, hi, color="0.93", zorder=0, label="steady state")
    verdict_txt = (f"COLA: {'yes' if verdict['cola'] else 'no'} (ripple {100 * verdict['ripple']:.1f} %)   "
                   f"NOLA: {'yes' if verdict['nola'] else 'no'}")
    ax.set_title(f"{window}, n_fft = {n_fft}, hop = {hop_length} (overlap {100 * (1 - hop_length / n_fft):.0f} %)"
                 f"  —  {verdict_txt}", fontsize=10)
    ax.set_xlabel("sample n")
    ax.set_ylim(0, max(1.05 * s.max(), 1.1))
    ax.legend(fontsize=8, loc="upper right", framealpha=0.9)
    plt.close(fig)
    return fig


def cqt_vs_stft_figure(x, sr: int, n_fft: int = 2048, hop_length: int = 512, fmin: float = 32.70,
                       n_bins: int = 84, bins_per_octave: int = 12, C=None, title: str = "",
                       figsize=(11, 3.6)):
    """Left: STFT magnitude with a logarithmic frequency axis (its bins are spaced evenly in
    Hz, so low notes get few bins). Right: the CQT (``C`` if given, else
    :func:`mssedu.spectral.cqt`) whose bins are spaced evenly in pitch.

    Parameters
    ----------
    x : numpy.ndarray
        Signal ``([channels,] samples)`` (channels averaged).
    sr : int
        Sample rate in Hz.
    n_fft : int
        STFT frame length in samples.
    hop_length : int
        STFT hop in samples.
    fmin : float
        Frequency of the lowest CQT bin.
    n_bins : int
        Number of CQT bins.
    bins_per_octave : int
        CQT bins per octave.
    C : numpy.ndarray or None
        A CQT computed already (else computed here).
    title : str
        Figure title.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    y = _mono(x)
    mag = np.abs(stft(y, n_fft, hop_length))
    if C is None:
        C = cqt(y, sr, hop_length=hop_length, fmin=fmin, n_bins=n_bins, bins_per_octave=bins_per_octave)
    C = np.abs(C)
    freqs = cqt_frequencies(C.shape[0], fmin, bins_per_octave)
    fig, (a, b) = plt.subplots(1, 2, figsize=figsize, constrained_layout=True)
    t_end = mag.shape[-1] * hop_length / sr
    f_lin = np.arange(mag.shape[0]) * sr / n_fft
    a.pcolormesh(np.linspace(0, t_end, mag.shape[-1] + 1), np.r_[f_lin, f_lin[-1] + sr / n_fft][1:],
                 amplitude_to_db(mag[1:], ref=float(mag.max()) or 1.0)[:, :], cmap="magma", shading="flat")
    a.set_yscale("log")
    a.set_ylim(freqs[0], freqs[-1])
    a.set_title(f"STFT (n_fft = {n_fft}): bins {sr / n_fft:.1f} Hz apart", fontsize=10)
    a.set_ylabel("frequency (Hz, log scale)")
    a.set_xlabel("time (s)")
    t_end_c = C.shape[-1] * hop_length / sr
    edges = fmin * 2.0 ** ((np.arange(C.shape[0] + 1) - 0.5) / bins_per_octave)
    b.pcolormesh(np.linspace(0, t_end_c, C.shape[-1] + 1), edges,
                 amplitude_to_db(C, ref=float(C.max()) or 1.0), cmap="magma", shading="flat")
    b.set_yscale("log")
    b.set_ylim(edges[0], edges[-1])
    b.set_title(f"CQT: {bins_per_octave} bins per octave from {fmin:.1f} Hz", fontsize=10)
    b.set_xlabel("time (s)")
    if title:
        fig.suptitle(title, fontsize=11)
    plt.close(fig)
    return fig


#: Display rows of the live CQT/STFT figure's STFT panel (log-spaced; more than a panel's pixels).
_LOG_ROWS = 400
#: Round frequencies labelled on the live figure's log-frequency axes.
_LOG_TICKS = (50, 100, 200, 500, 1000, 2000, 4000)


def _cqt_edges(fmin: float, n_bins: int, bins_per_octave: int) -> np.ndarray:
    """Band edges (Hz) of the CQT bins: each bin spans half a bin either side of its centre."""
    return fmin * 2.0 ** ((np.arange(n_bins + 1) - 0.5) / bins_per_octave)


def cqt_vs_stft_images(mag, C, sr: int, n_fft: int, fmin: float, n_octaves: int):
    """The two images of :func:`cqt_vs_stft_live_figure`, in dB (0 dB = each one's peak,
    floor -80 dB). The STFT's is drawn on :data:`_LOG_ROWS` rows evenly spaced in
    log-frequency over the CQT's octaves (:func:`log_span`); each row shows the loudest STFT
    bin whose band starts within it (or, where rows are finer than bins at low notes, the
    bin it falls in: the blocks the STFT draws there are the lesson).

    Parameters
    ----------
    mag : numpy.ndarray or None
        STFT magnitude ``(n_fft // 2 + 1, frames)`` (``None``: no STFT image).
    C : numpy.ndarray or None
        CQT ``(n_bins, frames)``, complex or magnitude (``None``: no CQT image).
    sr : int
        Sample rate in Hz.
    n_fft : int
        The STFT's frame length.
    fmin : float
        Frequency of the lowest CQT bin.
    n_octaves : int
        Octaves of the CQT.

    Returns
    -------
    stft_img, cqt_img : numpy.ndarray or None
        ``(_LOG_ROWS, frames)`` and ``(n_bins, frames)``, bottom row first.

    Examples
    --------
    >>> a, b = cqt_vs_stft_images(np.ones((513, 4)), np.ones((24, 4)), 22050, 1024, 55.0, 2)
    >>> a.shape, b.shape, float(a.max())
    ((400, 4), (24, 4), 0.0)
    """
    stft_img = cqt_img = None
    if mag is not None:
        mag = np.abs(np.asarray(mag))
        grid = np.geomspace(*log_span(fmin, n_octaves), _LOG_ROWS + 1)          # row boundaries in Hz
        first = np.minimum((grid * n_fft / sr).astype(int), mag.shape[0] - 1)   # STFT bin at each boundary
        db = amplitude_to_db(mag[:first[-1] + 1], ref=float(mag.max()) or 1.0)
        # max over the bins starting in each row (reduceat: the one bin where rows share it)
        stft_img = np.maximum.reduceat(db, first[:-1], axis=0)
    if C is not None:
        C = np.abs(np.asarray(C))
        cqt_img = amplitude_to_db(C, ref=float(C.max()) or 1.0)
    return stft_img, cqt_img


def log_span(fmin: float, n_octaves: int) -> tuple:
    """The frequency range (Hz) the live CQT/STFT figure shows: the CQT's octaves from half
    a semitone below ``fmin`` (where the widest bins' bands start) to ``n_octaves`` above.

    Parameters
    ----------
    fmin : float
        Frequency of the lowest CQT bin.
    n_octaves : int
        Octaves of the CQT.

    Returns
    -------
    tuple of float
        ``(low, high)`` in Hz.

    Examples
    --------
    >>> [round(f, 1) for f in log_span(55.0, 2)]
    [53.4, 220.0]
    """
    return fmin * 2.0 ** (-0.5 / 12), fmin * 2.0 ** n_octaves


def cqt_vs_stft_live_figure(stft_img, cqt_img, sr: int, n_fft: int, hop_length: int, fmin: float,
                            bins_per_octave: int, n_octaves: int, title: str = "", figsize=(11, 3.6)):
    """The picture of :func:`cqt_vs_stft_figure` built for in-place redraws: images from
    :func:`cqt_vs_stft_images` on a log2-frequency axis labelled in Hz, so that
    :func:`update_cqt_vs_stft_figure` swaps in new ones (``set_data``), e.g. in a
    :class:`mssedu.plot.LiveFigure`.

    Parameters
    ----------
    stft_img, cqt_img : numpy.ndarray
        The two dB images (rows, frames) from :func:`cqt_vs_stft_images`.
    sr : int
        Sample rate in Hz.
    n_fft : int
        The STFT's frame length (for its title).
    hop_length : int
        Hop of both transforms.
    fmin : float
        Frequency of the lowest CQT bin.
    bins_per_octave : int
        CQT bins per octave.
    n_octaves : int
        Octaves of the CQT.
    title : str
        Figure title.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    lo, hi = np.log2(log_span(fmin, n_octaves))
    fig, axes = plt.subplots(1, 2, figsize=figsize, constrained_layout=True)
    ticks = [f for f in _LOG_TICKS if lo <= np.log2(f) <= hi]
    for ax in axes:
        ax.imshow(np.zeros((1, 1)), origin="lower", aspect="auto", cmap="magma", vmin=-80, vmax=0,
                  interpolation="nearest", extent=[0, 1, lo, hi])
        ax.set_yticks(np.log2(ticks), [f"{f / 1000:g}k" if f >= 1000 else f"{f}" for f in ticks])
        ax.set_xlabel("time (s)")
    axes[0].set_ylabel("frequency (Hz, log scale)")
    update_cqt_vs_stft_figure(fig, stft_img, cqt_img, sr, n_fft, hop_length, fmin, bins_per_octave, n_octaves,
                              title)
    for ax in axes:       # limits from the first data; a LiveFigure keeps them
        ax.set_xlim(0, ax.images[0].get_extent()[1])
        ax.set_ylim(lo, hi)
    plt.close(fig)
    return fig


def update_cqt_vs_stft_figure(fig, stft_img, cqt_img, sr: int, n_fft: int, hop_length: int, fmin: float,
                              bins_per_octave: int, n_octaves: int, title: str = ""):
    """Put new images (from :func:`cqt_vs_stft_images`) and titles into a
    :func:`cqt_vs_stft_live_figure`, in place.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from :func:`cqt_vs_stft_live_figure`.
    stft_img, cqt_img : numpy.ndarray
        The two dB images (rows, frames).
    sr, n_fft, hop_length, fmin, bins_per_octave, n_octaves, title
        As for :func:`cqt_vs_stft_live_figure`.

    Returns
    -------
    list of matplotlib.artist.Artist
        What changed (two images, three titles), e.g. for :class:`mssedu.plot.LiveFigure`.

    Examples
    --------
    >>> a, b = cqt_vs_stft_images(np.ones((513, 4)), np.ones((24, 4)), 22050, 1024, 55.0, 2)
    >>> fig = cqt_vs_stft_live_figure(a, b, 22050, 1024, 256, 55.0, 12, 2)
    >>> changed = update_cqt_vs_stft_figure(fig, a, b[:12], 22050, 2048, 256, 55.0, 6, 2, "x")
    >>> len(changed), fig.axes[1].images[0].get_array().shape
    (5, (12, 4))
    """
    a, b = fig.axes[:2]
    lo, hi = np.log2(log_span(fmin, n_octaves))
    edges = np.log2(fmin) + (np.array([0, cqt_img.shape[0]]) - 0.5) / bins_per_octave   # CQT band edges
    for ax, img, (bottom, top) in ((a, stft_img, (lo, hi)), (b, cqt_img, edges)):
        ax.images[0].set_data(img)
        ax.images[0].set_extent([0, img.shape[-1] * hop_length / sr, bottom, top])
    a.set_title(f"STFT (n_fft = {n_fft}): bins {sr / n_fft:.1f} Hz apart", fontsize=10)
    b.set_title(f"CQT: {bins_per_octave} bins per octave from {fmin:.1f} Hz", fontsize=10)
    sup = fig.suptitle(title, fontsize=11)     # the same Text, new words
    return [a.images[0], b.images[0], a.title, b.title, sup]


def tiling_figure(sr: int = 8000, n_fft: int = 64, fmin: float = 125.0, bins_per_octave: int = 3,
                  n_octaves: int = 5, duration: float = 0.064, figsize=(10, 3.6)):
    r"""How the two transforms tile the time-frequency plane (a schematic with coarse
    settings so that the cells can be seen): STFT cells are all :math:`N/f_s` long and
    :math:`f_s/N` tall; the CQT cell of bin :math:`k` is :math:`N_k/f_s = Q/f_k` long and
    spans :math:`f_k 2^{\pm 1/(2B)}`, about :math:`f_k/Q` tall: always the same number of
    periods of its frequency, so the shape changes with pitch.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    n_fft : int
        STFT frame length in samples.
    fmin : float
        Frequency of the lowest CQT bin.
    bins_per_octave : int
        CQT bins per octave.
    n_octaves : int
        Octaves drawn.
    duration : float
        Seconds of the time axis.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    n_bins = n_octaves * bins_per_octave
    _, lengths, freqs = constant_q_kernel(sr, fmin, n_bins, bins_per_octave)
    Q = 1.0 / (2.0 ** (1.0 / bins_per_octave) - 1.0)
    fig, (a, b) = plt.subplots(1, 2, figsize=figsize, constrained_layout=True, sharey=True)
    df, dt = sr / n_fft, n_fft / sr
    f_top = freqs[-1] * 2 ** (0.5 / bins_per_octave)
    for k in range(int(np.ceil(f_top / df)) + 1):
        for j in range(int(np.ceil(duration / dt))):
            a.add_patch(Rectangle((j * dt, k * df - df / 2), dt, df, fill=True, fc="#dbe9f6",
                                  lw=0.8, ec="tab:blue"))
    half = 2.0 ** (0.5 / bins_per_octave)
    for f, N in zip(freqs, lengths):
        L = N / sr
        for j in range(int(np.ceil(duration / L))):
            b.add_patch(Rectangle((j * L, f / half), L, f * half - f / half, fill=True, fc="#dcf0dc",
                                  lw=0.8, ec="tab:green"))
    for ax, title in [(a, f"STFT: every cell {1000 * dt:.0f} ms x {df:.0f} Hz"),
                      (b, f"CQT ({bins_per_octave} bins/octave, Q = {Q:.1f}): long low, short high")]:
        ax.set_xlim(0, duration)
        ax.set_ylim(0, f_top)
        ax.set_xlabel("time (s)")
        ax.set_title(title, fontsize=10)
    a.set_ylabel("frequency (Hz)")
    fig.suptitle(f"Time-frequency tiling (schematic at {sr} Hz)", fontsize=10)
    plt.close(fig)
    return fig
