"""Widgets for chapter 0: a stem mixer and a training-excerpt (augmentation) explorer."""
from __future__ import annotations

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display

from ..audio import play
from ..data import Augment, ExcerptDataset
from ..plot.core import LiveFigure, display_rows, spectrogram_axes
from ..spectral import amplitude_to_db, stft
from .core import STEM_LABEL, audio_slot, figure_output, players_row, set_audio, set_players, show_figure

__all__ = ["stem_mixer", "augmentation_explorer", "mix_stems"]

#: The stem mixer's spectrogram scale, dB against the peak of the song's own mix: down to
#: -80 dB, up to +12 dB (every fader at its top).
MIXER_RANGE_DB = (-80.0, 12.0)


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
    """A mixing desk: one gain slider (dB) and mute box per stem, the resulting mix's
    waveform and spectrogram, its level, and a *listen* button that plays it. Moving a fader
    re-mixes :math:`x = \\sum_j 10^{g_j/20} s_j`: silence the vocals for a karaoke version, or
    keep only them for an ideal "separation".

    The spectrogram is in dB against the peak of the song's own mix (all faders at 0 dB),
    from -80 to +12 dB (the faders' range), so that a stem turned up or down visibly
    brightens or darkens; the figure is redrawn in place and the sound rendered on *listen*.

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
        without a browser); ``box.controls`` names its parts.

    Examples
    --------
    >>> from mssedu.data import example_track
    >>> box = stem_mixer(example_track(), max_seconds=1.0)
    >>> box.controls["vocals"].value = -30.0
    >>> box.controls["listen"].click()
    >>> "<audio" in box.controls["player"].value
    True
    """
    if max_seconds is not None and track.duration > max_seconds:
        track = track.excerpt(0, max_seconds)
    ctl = {}
    rows = []
    for name in track.stems:
        ctl[name] = w.FloatSlider(value=0.0, min=-30.0, max=12.0, step=1.0, description=name,
                                  continuous_update=False, readout_format=".0f",
                                  layout=w.Layout(width="385px"), style=STEM_LABEL)
        ctl[f"mute {name}"] = w.Checkbox(value=False, description="mute", indent=False,
                                         layout=w.Layout(width="80px"))
        rows.append(w.HBox([ctl[name], ctl[f"mute {name}"], w.HTML("dB")]))
    ctl.update(reset=w.Button(description="reset (all 0 dB)", layout=w.Layout(width="auto")),
               karaoke=w.Button(description="karaoke (mute vocals)" if "vocals" in track.stems
                                else "mute first stem", layout=w.Layout(width="auto")),
               listen=w.Button(description="listen", icon="play", tooltip="render the mix and play it"),
               player=audio_slot(), info=w.HTML(), figure=figure_output())
    draw = _mixer_figure(track)
    state = {}

    def update(*_):
        gains = {k: ctl[k].value for k in track.stems}
        muted = [k for k in track.stems if ctl[f"mute {k}"].value]
        state["mix"] = mix = mix_stems(track, gains, muted)
        rms = 10 * np.log10(max(float(np.mean(mix.astype(np.float64) ** 2)), 1e-20))
        peak = float(np.max(np.abs(mix))) if mix.size else 0.0
        ctl["info"].value = (f"mix level <b>{rms:.1f} dB</b> RMS, peak {peak:.2f}"
                             + (" &mdash; <span style='color:#b3261e'>clips! (the player scales it down)</span>"
                                if peak > 1 else ""))
        show_figure(ctl["figure"], Image(data=draw(gains, muted, mix), format="jpeg"))
        ctl["player"].value = "<small>press <i>listen</i> to hear this mix</small>"

    def on_reset(_):
        for k in track.stems:
            ctl[k].value, ctl[f"mute {k}"].value = 0.0, False

    def on_karaoke(_):
        ctl[f"mute {'vocals' if 'vocals' in track.stems else next(iter(track.stems))}"].value = True

    def listen(_=None):
        set_audio(ctl["player"], state["mix"], track.sr)
        ctl["player"].value = ctl["player"].value.replace('preload="none"', 'autoplay preload="auto"')

    for k in track.stems:
        ctl[k].observe(update, names="value")
        ctl[f"mute {k}"].observe(update, names="value")
    ctl["reset"].on_click(on_reset)
    ctl["karaoke"].on_click(on_karaoke)
    ctl["listen"].on_click(listen)
    update()
    box = w.VBox([w.HTML(f"<b>Mixing desk: {track.name}</b>"), *rows,
                  w.HBox([ctl["reset"], ctl["karaoke"], ctl["listen"]]), ctl["player"], ctl["info"],
                  ctl["figure"]])
    box.controls, box.figure = ctl, draw.figure
    return box


def _mixer_figure(track, n_fft: int = 2048, hop_length: int = 512, fmax: float = 8000.0):
    """The stem mixer's figure, drawn once: returns ``draw(gains, muted, mix) -> JPEG bytes``
    that swaps the new mix's waveform and spectrogram in (the STFT is linear: the mix's STFT
    is the gain-weighted sum of the stems' STFTs, computed once)."""
    rows = display_rows(n_fft // 2 + 1, track.sr, fmax=fmax)
    # only the rows drawn, one complex STFT per stem: a move is a weighted sum, no STFT
    S = {k: stft(v, n_fft, hop_length)[..., rows, :] for k, v in track.stems.items()}
    ref = float(np.abs(stft(track.mixture, n_fft, hop_length)).mean(axis=0).max()) or 1.0
    fig, axes = plt.subplots(1, 2, figsize=(11, 2.8), constrained_layout=True,
                             gridspec_kw={"width_ratios": [1, 1.3]})
    step = max(1, track.mixture.shape[-1] // 8000)
    t = np.arange(track.mixture.shape[-1])[::step] / track.sr
    line, = axes[0].plot(t, track.mixture.mean(axis=0)[::step], lw=0.5, color="#444")
    axes[0].set(ylim=(-1, 1), xlabel="time (s)", title="mix waveform")
    image = spectrogram_axes(axes[1], np.zeros((n_fft // 2 + 1, next(iter(S.values())).shape[-1])),
                             track.sr, hop_length, vmin=MIXER_RANGE_DB[0], vmax=MIXER_RANGE_DB[1],
                             fmax=fmax, ref=1.0, colorbar=True,
                             title="mix spectrogram (dB re the song's own mix)")
    live = LiveFigure(fig, [line, image])

    def draw(gains, muted, mix):
        Z = sum(np.float32(10 ** (gains.get(k, 0.0) / 20)) * S[k] for k in S if k not in muted)
        mag = np.abs(Z).mean(axis=0) if not np.isscalar(Z) else np.zeros(image.get_array().shape)
        image.set_data(np.maximum(amplitude_to_db(mag, ref=ref, top_db=None), MIXER_RANGE_DB[0]))
        line.set_ydata(mix.mean(axis=0)[::step])
        return live.jpeg()

    draw.figure = fig
    return draw


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
