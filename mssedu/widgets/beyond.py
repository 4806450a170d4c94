"""Widgets for chapter 8 (beyond): panning and stereo-image preservation.

Each factory returns an ``ipywidgets`` box, drawn once already (so it works headless).
The maths comes from :mod:`mssedu.spatial`, figures from :mod:`mssedu.plot.beyond`.
"""
from __future__ import annotations

import ipywidgets as w
import numpy as np
from IPython.display import Image

from ..errors import ParameterError
from ..masks import oracle_separate
from ..plot.beyond import ild_figure, ild_histogram_figure, ild_image, update_ild_figure
from ..plot.core import LiveFigure
from ..spatial import (ild_ipd, mono_collapse, pan, pan_law_ild, stereo_image_preservation,
                       stereo_width)
from .core import audio_slot, figure_output, labelled, set_audio, show_figure

__all__ = ["panning_explorer", "stereo_image_explorer"]


def panning_explorer(track, stem: str = "vocals"):
    """Pan a mono version of one stem with a constant-power pan pot and watch its ILD.

    The histogram shows where the energy sits (energy-weighted ILD of every bin), the dashed
    line the pan law's prediction :math:`20\\log_{10}\\cot\\theta`; the readout compares the
    two and gives the stereo-image score of the panned stem against the centred one.

    Parameters
    ----------
    track : Track
        The multitrack (:class:`mssedu.data.Track`).
    stem : str
        The stem that is made mono and panned.

    Returns
    -------
    ipywidgets.VBox
        The explorer, ready to display (its first state is computed at once, so it also works
        without a browser).
    """
    if stem not in track.stems:
        raise ParameterError(f"No stem {stem!r}; this track has {track.stem_names}.")
    mono = track.stems[stem].mean(axis=0)
    slider = w.FloatSlider(value=-0.5, min=-1.0, max=1.0, step=0.05, description="pan",
                           continuous_update=False)
    readout = w.HTML()
    readout.add_class("mssedu-pan-readout")
    plot_out = figure_output()
    audio = audio_slot()

    def update(_=None):
        p = float(slider.value)
        y = pan(mono, p)
        expected = pan_law_ild(p)
        label = f"{stem} panned to {p:+.2f}"
        show_figure(plot_out, ild_histogram_figure({label: y, f"original {stem}": track.stems[stem]},
                                                   expected={label: expected}))
        ild, _ = ild_ipd(y, max_db=60)
        set_audio(audio, y, track.sr)
        readout.value = (f"pan {p:+.2f}: pan law predicts ILD <b>{expected:.2f} dB</b>, "
                         f"measured median <b>{float(np.median(ild)):.2f} dB</b> "
                         "(use headphones: the voice moves, its level does not)")

    slider.observe(update, names="value")
    update()
    return w.VBox([slider, readout, plot_out, labelled("panned (mono source)", audio)])


def stereo_image_explorer(track, estimates: dict | None = None):
    """Compare the stereo image of a stem with that of an estimate of it.

    Estimates: the oracle ratio-mask estimate (``mssedu.masks.oracle_separate``, or the
    ``estimates`` dict you pass), the stem collapsed to mono, or the stem with its side
    signal scaled by the *width* slider (0 = mono, 1 = unchanged, 2 = twice as wide).
    ILD maps side by side, the preservation score and the mean cue errors as a readout, and a
    "listen" button for the stem and the estimate. Each setting is computed once (a move back
    is a look-up) and drawn into the figure drawn first.

    Parameters
    ----------
    track : Track
        The multitrack (:class:`mssedu.data.Track`).
    estimates : dict or None
        Stem -> your estimate ``(2, samples)``; default: oracle ratio-mask estimates.

    Returns
    -------
    ipywidgets.VBox
        The explorer, ready to display (its first state is computed at once, so it also works
        without a browser).
    """
    if estimates is None:
        estimates = oracle_separate(track, "irm", n_fft=2048, hop_length=512)
    stem_menu = w.Dropdown(options=list(track.stems), value="vocals" if "vocals" in track.stems
                           else list(track.stems)[0], description="stem")
    kind = w.ToggleButtons(options=["oracle estimate", "mono collapse", "width"], value="mono collapse",
                           description="estimate")
    width = w.FloatSlider(value=0.5, min=0.0, max=2.0, step=0.1, description="width",
                          continuous_update=False)
    listen = w.Button(description="listen", tooltip="play the stem and this estimate")
    readout = w.HTML()
    readout.add_class("mssedu-stereo-readout")
    plot_out = figure_output()
    ref_audio, est_audio = audio_slot(), audio_slot()
    seen, live = {}, {}      # (stem, estimate[, width]) -> (estimate, its ILD map, readout): moves back are look-ups

    def estimate():
        ref, key = track.stems[stem_menu.value], (stem_menu.value, kind.value)
        key += (float(width.value),) if kind.value == "width" else ()
        if key not in seen:
            est = (estimates[stem_menu.value] if kind.value == "oracle estimate" else
                   mono_collapse(ref) if kind.value == "mono collapse" else stereo_width(ref, float(width.value)))
            s = stereo_image_preservation(ref, est)
            seen[key] = est, ild_image(est, track.sr), (
                f"<b>{stem_menu.value}</b> vs <b>{kind.value}</b>: score "
                f"<b>{s['score']:.3f}</b> &nbsp;·&nbsp; ILD error {s['ild_error_db']:.2f} dB"
                f" &nbsp;·&nbsp; IPD error {s['ipd_error_rad']:.2f} rad")
        if stem_menu.value not in seen:
            seen[stem_menu.value] = ild_image(ref, track.sr)
        return ref, seen[key], seen[stem_menu.value]

    def update(_=None):
        ref, (est, est_map, text), ref_map = estimate()
        images = {f"{stem_menu.value} (reference)": ref_map, f"{kind.value}": est_map}
        if not live:   # drawn once; a move swaps the ILD maps and titles in (a new figure: 0.4 s)
            fig = ild_figure({f"{stem_menu.value} (reference)": ref, f"{kind.value}": est}, track.sr)
            live["frame"] = LiveFigure(fig, update_ild_figure(fig, images))
        update_ild_figure(live["frame"].fig, images)
        show_figure(plot_out, Image(data=live["frame"].jpeg(), format="jpeg"))
        ref_audio.value = est_audio.value = ""     # the players of the last setting no longer apply
        readout.value = text

    def play(_=None):
        ref, (est, _, _), _ = estimate()
        set_audio(ref_audio, ref, track.sr)
        set_audio(est_audio, est, track.sr)

    for c in (stem_menu, kind, width):
        c.observe(update, names="value")
    listen.on_click(play)
    update()
    return w.VBox([w.HBox([stem_menu, width]), kind, readout, plot_out,
                   w.HBox([listen, labelled("reference stem", ref_audio), labelled("estimate", est_audio)])])
