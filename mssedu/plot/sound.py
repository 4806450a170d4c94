"""Figures for chapter 0 (multitracks and where training data comes from)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import mido
import numpy as np
from matplotlib.patches import Patch

from ..spectral import amplitude_to_db, stft
from .core import spectrogram_axes

__all__ = ["stem_levels_figure", "residual_figure", "piano_roll_figure", "STEM_COLOURS"]

#: One colour per MUSDB stem (and a fallback cycle for other names), used across the course.
STEM_COLOURS = {"mixture": "#444444", "vocals": "#d62728", "drums": "#1f77b4", "bass": "#2ca02c",
                "other": "#ff7f0e", "accompaniment": "#9467bd"}
_CYCLE = ["#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]


def stem_colour(name: str, i: int = 0) -> str:
    return STEM_COLOURS.get(name, _CYCLE[i % len(_CYCLE)])


def _rms_db(x) -> float:
    x = np.asarray(x, dtype=np.float64)
    return 10 * np.log10(max(float(np.mean(x ** 2)), 1e-20))


def stem_levels_figure(track, figsize=(6.5, 2.6)):
    r"""Horizontal bars of each stem's level, :math:`10\log_{10}\overline{s^2}` dB full scale,
    beside the mixture's.

    Parameters
    ----------
    track : Track
        The multitrack (:class:`mssedu.data.Track`).
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    names = list(track.stems) + ["mixture"]
    levels = [_rms_db(track.stems[k]) for k in track.stems] + [_rms_db(track.mixture)]
    fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    colours = [stem_colour(n, i) for i, n in enumerate(names)]
    ax.barh(names, [lv + 80 for lv in levels], left=-80, color=colours)
    for i, lv in enumerate(levels):
        ax.text(lv + 0.5, i, f"{lv:.1f} dB", va="center", fontsize=9)
    ax.set_xlim(-80, 0)
    ax.set_xlabel("RMS level (dB full scale)")
    ax.set_title(f"{track.name}: how loud is each stem?")
    plt.close(fig)
    return fig


def residual_figure(track, n_fft: int = 2048, hop_length: int = 512, figsize=(11, 3)):
    """Spectrograms of the stored mixture, the sum of the stems and their difference (the
    residual), on one dB scale: for lossy MUSDB files the residual is coding noise.

    Parameters
    ----------
    track : Track
        The multitrack (:class:`mssedu.data.Track`).
    n_fft : int
        STFT frame length in samples.
    hop_length : int
        STFT hop in samples.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    total = sum(track.stems.values())
    sigs = {"stored mixture": track.mixture, "sum of stems": total, "residual (difference)": track.mixture - total}
    mags = {k: np.abs(stft(v, n_fft, hop_length)).mean(axis=0) for k, v in sigs.items()}
    ref = max(float(m.max()) for m in mags.values()) or 1.0
    fig, axes = plt.subplots(1, 3, figsize=figsize, constrained_layout=True, sharey=True)
    for ax, (k, m) in zip(axes, mags.items()):
        # one reference, the loudest panel's peak, for all three (not each its own peak:
        # the residual would look as loud as the mixture)
        spectrogram_axes(ax, m, track.sr, hop_length, title=k, vmin=-90, vmax=0, ref=ref,
                         colorbar=ax is axes[-1])
    fig.suptitle(f"residual {track.residual():.1f} dB below the mixture")
    plt.close(fig)
    return fig


def piano_roll_figure(midi, channel_stems: dict | None = None, seconds: float | None = None,
                      figsize=(10, 3.6)):
    """The notes of a MIDI file (``mido.MidiFile`` or path) as a piano roll, coloured by the
    stem each channel renders into (``channel_stems``: channel -> stem name). Drums
    (channel 10) are drawn as ticks at the bottom.

    Parameters
    ----------
    midi : mido.MidiFile, str or Path
        The MIDI file.
    channel_stems : dict or None
        MIDI channel (0-based) -> stem name; ``None`` colours by channel.
    seconds : float or None
        Show only the first ``seconds``.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not shown; a notebook displays it).
    """
    if not isinstance(midi, mido.MidiFile):
        midi = mido.MidiFile(str(midi))
    notes, t, active = [], 0.0, {}
    for msg in midi:  # merged tracks, times in seconds
        t += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            active[(msg.channel, msg.note)] = t
        elif msg.type in ("note_off", "note_on"):
            start = active.pop((getattr(msg, "channel", 0), getattr(msg, "note", 0)), None)
            if start is not None:
                notes.append((msg.channel, msg.note, start, t))
    channel_stems = channel_stems or {}
    stems = sorted({channel_stems.get(c, f"ch{c + 1}") for c, *_ in notes})
    fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    for c, note, a, b in notes:
        name = channel_stems.get(c, f"ch{c + 1}")
        colour = stem_colour(name, stems.index(name))
        if c == 9:
            ax.plot([a, a], [14, 20], color=colour, lw=0.8)
        else:
            ax.add_patch(plt.Rectangle((a, note - 0.4), b - a, 0.8, color=colour, alpha=0.8))
    ax.set_xlim(0, seconds or (max((n[3] for n in notes), default=1.0)))
    pitched = [n[1] for n in notes if n[0] != 9] or [60]
    ax.set_ylim(12, max(pitched) + 3)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("MIDI pitch (drums at the bottom)")
    ax.legend(handles=[Patch(color=stem_colour(s, i), label=s) for i, s in enumerate(stems)],
              loc="upper right", fontsize=8, ncol=len(stems))
    plt.close(fig)
    return fig
