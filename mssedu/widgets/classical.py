"""Widgets for chapter 5 (before deep learning): the karaoke trick, HPSS and REPET.

Each factory returns an ``ipywidgets`` box, drawn once already (so it works headless).
The maths comes from :mod:`mssedu.classical`, scores from :mod:`mssedu.metrics`, figures
from :mod:`mssedu.plot.classical`.
"""
from __future__ import annotations

import ipywidgets as w
import numpy as np
from IPython.display import Image
from librosa.util import softmask
from scipy.ndimage import median_filter

from ..classical import centre_channel_cancellation, repet
from ..metrics import si_sdr
from ..plot.classical import (beat_spectrum_figure, cancellation_figure, hpss_figure, update_beat_spectrum_figure,
                              update_hpss_figure)
from ..plot.core import LiveFigure
from ..spectral import istft, stft
from .core import WIDE_LABEL, audio_slot, figure_output, labelled, set_audio, show_figure

__all__ = ["karaoke_explorer", "hpss_explorer", "repet_explorer"]


def _mean_si_sdr(reference, estimate) -> float:
    return float(np.mean(si_sdr(reference, estimate)))


def karaoke_explorer(track):
    """A slider from the original mix (0) to full centre-channel cancellation (1).

    The bars show, for every stem, its level in the output relative to the original
    (computed stem by stem: the operation is linear), so you can watch bass and kick drum
    drop out together with the voice; the player lets you hear it.

    Parameters
    ----------
    track : Track
        The multitrack (:class:`mssedu.data.Track`).

    Returns
    -------
    ipywidgets.VBox
        The explorer, ready to display (its first state is computed at once, so it also works
        without a browser).
    """
    slider = w.FloatSlider(value=1.0, min=0.0, max=1.0, step=0.05, description="L-R amount",
                           continuous_update=False)
    readout = w.HTML()
    readout.add_class("mssedu-karaoke-readout")
    plot_out = figure_output()
    audio, original = audio_slot(), audio_slot()
    set_audio(original, track.mixture, track.sr)
    energy = {k: float(np.sum(v.astype(np.float64) ** 2))
              for k, v in [("mixture", track.mixture)] + list(track.stems.items())}

    live = {}

    def update(_=None):
        a = float(slider.value)
        levels = {}
        for k, v in [("mixture", track.mixture)] + list(track.stems.items()):
            y = centre_channel_cancellation(v, a).astype(np.float64)
            levels[k] = 10 * np.log10(max(float(np.sum(y ** 2)), 1e-30) / energy[k])
        title = f"level left with amount {a:.2f}"
        if not live:   # the figure is drawn once; a move resizes its bars (a new one: 0.2-0.4 s)
            fig = cancellation_figure(levels, title=title)
            ax = fig.axes[0]
            live.update(bars=list(ax.patches), title=ax.title,
                        frame=LiveFigure(fig, list(ax.patches) + [ax.title]))
        for bar, k in zip(live["bars"], levels):
            bar.set_width(max(levels[k], -60.0))   # as cancellation_figure draws it
        live["title"].set_text(title)
        show_figure(plot_out, Image(data=live["frame"].jpeg(), format="jpeg"))
        set_audio(audio, centre_channel_cancellation(track.mixture, a), track.sr)
        stems = {k: v for k, v in levels.items() if k != "mixture"}
        lowest = min(stems, key=stems.get)
        readout.value = (f"amount <b>{a:.2f}</b>: the {lowest} drop most "
                         f"(<b>{stems[lowest]:.1f} dB</b>); vocals {stems.get('vocals', float('nan')):.1f} dB"
                         "<br><small>level of the two-channel output against the original. "
                         "<code>cancellation_report</code>'s <code>kept_db</code> counts L - R once "
                         "(one channel), so at amount 1 it reads 3.0 dB lower.</small>")

    slider.observe(update, names="value")
    update()
    return w.VBox([slider, readout, plot_out,
                   w.HBox([labelled("karaoke output", audio), labelled("original mix", original)])])


def hpss_explorer(track, n_fft: int = 2048, hop_length: int = 512):
    """Median-filter HPSS with sliders for the two kernel sizes, the margin and the mask power.

    Shows the harmonic and percussive masks, lets you hear the parts (and the residual when
    the margin is above 1) with the "listen" button, and scores the percussive part against the drums stem and the
    harmonic part against everything else (SI-SDR). The median filters are kept per kernel
    size: a margin or power move, or a kernel size seen before, answers in a few hundredths
    of a second; a new kernel size costs one filter (0.01-0.3 s on 2 cores, longer kernels
    slower).

    Parameters
    ----------
    track : Track
        The multitrack (:class:`mssedu.data.Track`).
    n_fft : int
        STFT frame length in samples.
    hop_length : int
        STFT hop in samples.

    Returns
    -------
    ipywidgets.VBox
        The explorer, ready to display (its first state is computed at once, so it also works
        without a browser).
    """
    X = stft(track.mixture, n_fft, hop_length)
    masks = _HpssMasks(np.abs(X).mean(axis=0))   # one set of masks for both channels (2x faster)
    length = track.mixture.shape[-1]
    drums = track.stems.get("drums")
    rest = track.mixture - drums if drums is not None else None
    kh = w.IntSlider(value=31, min=3, max=63, step=2, description="harm. kernel",
                     continuous_update=False, style=WIDE_LABEL)
    kp = w.IntSlider(value=31, min=3, max=63, step=2, description="perc. kernel",
                     continuous_update=False, style=WIDE_LABEL)
    margin = w.FloatSlider(value=1.0, min=1.0, max=4.0, step=0.5, description="margin",
                           continuous_update=False)
    power = w.Dropdown(options=[("1", 1.0), ("2 (Wiener)", 2.0), ("binary", np.inf)], value=2.0,
                       description="power")
    listen = w.Button(description="listen", tooltip="render the three parts of this setting")
    readout = w.HTML()
    readout.add_class("mssedu-hpss-readout")
    plot_out = figure_output()
    harm, perc, resid = audio_slot(), audio_slot(), audio_slot()
    live = {}

    def update(_=None):
        mh, mp = masks(int(kh.value), int(kp.value), float(power.value), float(margin.value))
        live["parts"] = yh, yp = (istft(X * mh, hop_length, length=length), istft(X * mp, hop_length, length=length))
        if not live.get("frame"):   # drawn once; a move swaps the masks in (a new figure: 0.6 s)
            fig = hpss_figure(X, mh, mp, track.sr, hop_length)
            live["frame"] = LiveFigure(fig, update_hpss_figure(fig, mh, mp, track.sr))
        update_hpss_figure(live["frame"].fig, mh, mp, track.sr)
        show_figure(plot_out, Image(data=live["frame"].jpeg(), format="jpeg"))
        for slot in (harm, perc, resid):   # the sound of the last setting no longer applies
            slot.value = ""
        text = (f"kernels {kh.value} frames x {kp.value} bins, margin {margin.value:g}: "
                f"mask mean harmonic {mh.mean():.2f}, percussive {mp.mean():.2f}")
        if drums is not None:
            text += (f"<br>SI-SDR percussive vs drums <b>{_mean_si_sdr(drums, yp):.1f} dB</b> &nbsp;·&nbsp; "
                     f"harmonic vs the rest <b>{_mean_si_sdr(rest, yh):.1f} dB</b>")
        readout.value = text

    def play(_=None):
        yh, yp = live["parts"]
        set_audio(harm, yh, track.sr)
        set_audio(perc, yp, track.sr)
        set_audio(resid, track.mixture - yh - yp, track.sr)

    for c in (kh, kp, margin, power):
        c.observe(update, names="value")
    listen.on_click(play)
    update()
    return w.VBox([w.HBox([kh, kp]), w.HBox([margin, power]), readout, plot_out,
                   w.HBox([listen, labelled("harmonic", harm), labelled("percussive", perc),
                           labelled("residual (margin > 1)", resid)])])


class _HpssMasks:
    """:func:`mssedu.classical.hpss_masks` of one magnitude spectrogram ``V`` (freq, frames)
    for many settings: its two median filters are kept per kernel size, so that a margin or
    power move costs a soft mask (~0.01 s) and a kernel move one filter, the first time only.
    The same steps as :func:`librosa.decompose.hpss`, which ``hpss_masks`` calls (a test
    checks that they agree)."""

    def __init__(self, V):
        self.V, self.harmonic, self.percussive = V, {}, {}

    def __call__(self, kernel_h: int, kernel_p: int, power: float, margin: float):
        if kernel_h not in self.harmonic:   # median along time: horizontal lines survive
            self.harmonic[kernel_h] = median_filter(self.V, size=(1, kernel_h), mode="reflect")
        if kernel_p not in self.percussive:   # median along frequency: vertical lines survive
            self.percussive[kernel_p] = median_filter(self.V, size=(kernel_p, 1), mode="reflect")
        H, P = self.harmonic[kernel_h], self.percussive[kernel_p]
        split = margin == 1      # librosa splits 0/0 bins evenly only without a residual
        return (softmask(H, P * margin, power=power, split_zeros=split),
                softmask(P, H * margin, power=power, split_zeros=split))


def repet_explorer(track, n_fft: int = 2048, hop_length: int = 512, min_period: float = 0.8,
                   max_period: float = 8.0):
    """REPET with the repeating period on a slider, starting at the automatic choice.

    The beat spectrum shows why a period is likely (peaks at the period and its
    multiples); move the slider off the peak and hear (the "listen" button) the foreground
    (voice) get worse. Each period is computed once (a move back is a look-up).

    Parameters
    ----------
    track : Track
        The multitrack (:class:`mssedu.data.Track`).
    n_fft : int
        STFT frame length in samples.
    hop_length : int
        STFT hop in samples.
    min_period, max_period : float
        The automatic search range in seconds (capped at a third of the track, so that the
        period repeats at least three times), as in :func:`mssedu.classical.repet`.

    Returns
    -------
    ipywidgets.VBox
        The explorer, ready to display (its first state is computed at once, so it also works
        without a browser).
    """
    top = min(max_period, track.duration / 3)
    auto = repet(track.mixture, track.sr, n_fft, hop_length, min_period=min_period, max_period=top)
    # the slider reaches past the search range (up to a third of the track), so the automatic
    # choice never sits at its end and the multiples of the period can be tried too
    slider = w.FloatSlider(value=round(auto.period_s, 2), min=0.2, max=round(track.duration / 3, 2), step=0.01,
                           description="period (s)", continuous_update=False)
    readout = w.HTML()
    readout.add_class("mssedu-repet-readout")
    plot_out = figure_output()
    fg, bg = audio_slot(), audio_slot()
    vocals = track.stems.get("vocals")

    listen = w.Button(description="listen", tooltip="render the foreground and background of this period")
    seen = {}     # period (s) -> (REPET result, readout): a move back is a look-up
    # drawn once with the shortest period (the most marks); a move moves the marks
    fig = beat_spectrum_figure(auto.beat_spectrum, track.sr, hop_length,
                               int(np.ceil(slider.min * track.sr / hop_length)), search=(min_period, top))
    live = LiveFigure(fig, update_beat_spectrum_figure(fig, auto.period, track.sr, hop_length))

    def result():
        if slider.value not in seen:
            r = repet(track.mixture, track.sr, n_fft, hop_length, period=float(slider.value))
            text = f"period {r.period_s:.2f} s ({r.period} frames; automatic: {auto.period_s:.2f} s)"
            if vocals is not None:
                text += (f"<br>SI-SDR foreground vs vocals <b>{_mean_si_sdr(vocals, r.foreground):.1f} dB</b>"
                         f" &nbsp;·&nbsp; background vs accompaniment "
                         f"<b>{_mean_si_sdr(track.mixture - vocals, r.background):.1f} dB</b>")
            seen[slider.value] = r, text
        return seen[slider.value]

    def update(_=None):
        r, readout.value = result()
        update_beat_spectrum_figure(fig, r.period, track.sr, hop_length)
        show_figure(plot_out, Image(data=live.jpeg(), format="jpeg"))
        fg.value = bg.value = ""     # the players of the last period no longer apply

    def play(_=None):
        r, _ = result()
        set_audio(fg, r.foreground, track.sr)
        set_audio(bg, r.background, track.sr)

    listen.on_click(play)
    slider.observe(update, names="value")
    update()
    return w.VBox([slider, readout, plot_out,
                   w.HBox([listen, labelled("foreground (non-repeating)", fg),
                           labelled("background (repeating)", bg)])])
