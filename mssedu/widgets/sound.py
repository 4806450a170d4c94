"""Widgets for chapter 0: a stem mixer and a training-excerpt (augmentation) explorer."""
from __future__ import annotations

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from ..audio import play
from ..data import Augment, ExcerptDataset
from ..plot.core import spectrogram_axes
from ..spectral import amplitude_to_db, stft
from .core import STEM_LABEL, figure_output, players_row, set_players, show_figure

__all__ = ["stem_mixer", "augmentation_explorer", "mix_stems"]


def mix_stems(track, gains_db: dict, muted=()) -> np.ndarray:
    r"""The mix :math:`x = \sum_j 10^{g_j/20} s_j` of ``track``'s stems with per-stem gains
    ``gains_db`` (missing names: 0 dB), leaving out the stems in ``muted``.

    Parameters
    ----------
    track : Track
        The multitrack (:class:`mssedu.data.Track`).
    gains_db : dict
        Stem name -> gain in dB.
    muted : sequence of str
        Stems left out.

    Returns
    -------
    numpy.ndarray
        The mix ``(channels, samples)``, float32.
    """
    out = np.zeros_like(track.mixture)
    for name, s in track.stems.items():
        if name in muted:
            continue
        out += np.float32(10 ** (gains_db.get(name, 0.0) / 20)) * s
    return out


def stem_mixer(track, max_seconds: float | None = None):
    """A mixing desk: one gain slider (dB) and mute box per stem, the resulting mix's player,
    waveform and spectrogram, and its level. Moving a fader re-mixes
    :math:`x = \\sum_j 10^{g_j/20} s_j`: silence the vocals for a karaoke version, or keep only
    them for an ideal "separation".

    Parameters
    ----------
    track : Track
        The multitrack (:class:`mssedu.data.Track`).
    max_seconds : float or None
        Use only the first ``max_seconds`` of the track.

    Returns
    -------
    ipywidgets.VBox
        The explorer, ready to display (its first state is computed at once, so it also works
        without a browser).
    """
    if max_seconds is not None and track.duration > max_seconds:
        track = track.excerpt(0, max_seconds)
    sliders, mutes = {}, {}
    rows = []
    for name in track.stems:
        sliders[name] = w.FloatSlider(value=0.0, min=-30.0, max=12.0, step=1.0, description=name,
                                      continuous_update=False, readout_format=".0f",
                                      layout=w.Layout(width="385px"), style=STEM_LABEL)
        mutes[name] = w.Checkbox(value=False, description="mute", indent=False, layout=w.Layout(width="80px"))
        rows.append(w.HBox([sliders[name], mutes[name], w.HTML("dB")]))
    reset = w.Button(description="reset (all 0 dB)")
    karaoke = w.Button(description="karaoke (mute vocals)" if "vocals" in track.stems else "mute first stem")
    player = w.Output()
    info = w.HTML()
    fig_out = figure_output()

    def update(*_):
        gains = {k: s.value for k, s in sliders.items()}
        muted = [k for k, m in mutes.items() if m.value]
        mix = mix_stems(track, gains, muted)


        player.clear_output(wait=True)
        with player:
            display(play(mix, track.sr))
        rms = 10 * np.log10(max(float(np.mean(mix.astype(np.float64) ** 2)), 1e-20))
        peak = float(np.max(np.abs(mix))) if mix.size else 0.0
        info.value = (f"mix level <b>{rms:.1f} dB</b> RMS, peak {peak:.2f}"
                      + (" &mdash; <span style='color:#b3261e'>clips! (the player scales it down)</span>"
                         if peak > 1 else ""))
        fig, axes = plt.subplots(1, 2, figsize=(11, 2.8), constrained_layout=True,
                                 gridspec_kw={"width_ratios": [1, 1.3]})
        y = mix.mean(axis=0)
        t = np.arange(len(y)) / track.sr
        step = max(1, len(y) // 8000)
        axes[0].plot(t[::step], y[::step], lw=0.5, color="#444")
        axes[0].set_ylim(-1, 1)
        axes[0].set_xlabel("time (s)")
        axes[0].set_title("mix waveform")
        mag = np.abs(stft(mix, 2048, 512)).mean(axis=0)
        # dB re full scale, fixed range -90..+20 dB (shifted to 0..110 to draw as raw values), so
        # that turning a fader down darkens the picture; the course's mel axis up to 8 kHz
        level = np.maximum(amplitude_to_db(mag, ref=1.0, top_db=None), -90) + 90
        spectrogram_axes(axes[1], level, track.sr, 512, db=False, vmin=0, vmax=110, fmax=8000,
                         colorbar=False, title="mix spectrogram (dB, fixed scale)")
        plt.close(fig)
        show_figure(fig_out, fig)

    def on_reset(_):
        for s in sliders.values():
            s.value = 0.0
        for m in mutes.values():
            m.value = False
        update()

    def on_karaoke(_):
        target = "vocals" if "vocals" in mutes else next(iter(mutes))
        mutes[target].value = True

    for s in sliders.values():
        s.observe(update, names="value")
    for m in mutes.values():
        m.observe(update, names="value")
    reset.on_click(on_reset)
    karaoke.on_click(on_karaoke)
    update()
    return w.VBox([w.HTML(f"<b>Mixing desk: {track.name}</b>"), *rows, w.HBox([reset, karaoke]),
                   player, info, fig_out])


def augmentation_explorer(tracks, seconds: float = 3.0, target: str = "vocals"):
    """Browse training excerpts of :class:`mssedu.data.ExcerptDataset`: toggle each
    augmentation (remix across songs, random gain, channel swap, polarity) and the activity
    check, pick an excerpt index, and hear and see the mixture the network would be given
    and the target it must find. A line says which song and second each stem came from.

    Parameters
    ----------
    tracks : list of Track
        The songs excerpts are drawn from.
    seconds : float
        Excerpt length.
    target : str
        The stem the network must find.

    Returns
    -------
    ipywidgets.VBox
        The explorer, ready to display (its first state is computed at once, so it also works
        without a browser).
    """
    if not isinstance(tracks, (list, tuple)):
        tracks = [tracks]
    remix = w.Checkbox(value=True, description="remix across songs")
    gain = w.FloatSlider(value=6.0, min=0.0, max=12.0, step=1.0, description="gain ± dB", continuous_update=False)
    swap = w.Checkbox(value=True, description="channel swap (p=0.5)")
    polarity = w.Checkbox(value=True, description="polarity flip (p=0.5)")
    activity = w.Checkbox(value=True, description=f"require {target} activity")
    index = w.IntSlider(value=0, min=0, max=49, description="excerpt #", continuous_update=False)
    seed = w.IntText(value=0, description="seed", layout=w.Layout(width="160px"))
    sources = w.HTML()
    players = players_row({}, 1)
    fig_out = figure_output()

    def update(*_):
        aug = Augment(remix=1.0 if remix.value else 0.0,
                      gain_db=(-gain.value, gain.value) if gain.value > 0 else None,
                      channel_swap=0.5 if swap.value else 0.0, polarity=0.5 if polarity.value else 0.0)
        try:
            ds = ExcerptDataset(tracks, seconds=seconds, targets=(target,), augment=aug, length=50,
                                seed=int(seed.value), activity_target=target if activity.value else None)
        except Exception as err:  # e.g. no excerpt passes the activity check
            sources.value = f"<span style='color:#b3261e'>{err}</span>"
            return
        item = ds.excerpt(int(index.value))
        rows = "".join(f"<tr><td>{k}</td><td>{src}</td><td>{start:.2f} s</td></tr>"
                       for k, (src, start) in item["sources"].items())
        sources.value = ("<table><tr><th>stem</th><th>taken from</th><th>at</th></tr>" + rows + "</table>")
        set_players(players, {"mixture (input)": item["mixture"], f"{target} (target)": item[target],
                                 "the rest": item["mixture"] - item[target]}, ds.sr)
        fig, axes = plt.subplots(2, 1, figsize=(10, 3.2), sharex=True, constrained_layout=True)
        t = np.arange(item["mixture"].shape[-1]) / ds.sr
        step = max(1, len(t) // 6000)
        for ax, (name, sig) in zip(axes, [("mixture", item["mixture"]), (target, item[target])]):
            ax.plot(t[::step], sig[0, ::step], lw=0.5, label="left")
            ax.plot(t[::step], sig[1, ::step], lw=0.5, label="right", alpha=0.7)
            ax.set_ylabel(name)
        axes[0].legend(loc="upper right", fontsize=8)
        axes[-1].set_xlabel("time in the excerpt (s)")
        plt.close(fig)
        show_figure(fig_out, fig)

    for c in (remix, gain, swap, polarity, activity, index, seed):
        c.observe(update, names="value")
    update()
    return w.VBox([w.HTML("<b>Training excerpts: what the network sees</b>"),
                   w.HBox([remix, swap, polarity]), w.HBox([gain, activity]), w.HBox([index, seed]),
                   sources, players, fig_out])
