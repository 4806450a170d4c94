"""Widgets for chapter 3 (phase): Griffin-Lim iteration by iteration, and which phase to
give an oracle magnitude.

Each factory returns an ``ipywidgets`` box, drawn once already (so it works headless).
Computation comes from :mod:`mssedu.phase`, scores from :mod:`mssedu.metrics`, figures from
:mod:`mssedu.plot.phase`.
"""
from __future__ import annotations

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np

from ..config import fast_mode
from ..errors import ParameterError
from ..metrics import si_sdr
from ..phase import griffin_lim, misi
from ..plot.phase import convergence_figure
from ..spectral import istft, stft
from .core import audio_html, audio_slot, figure_image, figure_output, labelled, set_audio, show_figure

__all__ = ["griffin_lim_explorer", "phase_choice_explorer"]


def griffin_lim_explorer(track, stem: str = "vocals", max_iter: int | None = None,
                         n_fft: int = 2048, hop_length: int = 512, seed: int = 0):
    """An iteration slider over Griffin-Lim, classic (momentum 0) or fast (momentum 0.99),
    started from a random phase on the true magnitude of one stem.

    The plot shows both convergence curves (computed once) with the slider's iteration
    marked; the players let you hear the reconstruction after that many iterations next to
    the true stem, and the readout gives its spectral convergence and SI-SDR.

    Parameters
    ----------
    track : mssedu.data.Track
        A track with its stems.
    stem : str
        The stem whose magnitude is reconstructed.
    max_iter : int, optional
        Largest iteration on the slider (fast mode: fewer).
    n_fft, hop_length : int
        The STFT.
    seed : int
        Seeds the random initial phase.

    Returns
    -------
    ipywidgets.VBox
    """


    if stem not in track.stems:
        raise ParameterError(f"No stem {stem!r}; this track has {track.stem_names}.")
    max_iter = max_iter or (32 if fast_mode() else 100)
    x = track.stems[stem]
    A = np.abs(stft(x, n_fft, hop_length))
    common = dict(n_fft=n_fft, hop_length=hop_length, length=x.shape[-1], seed=seed)
    options = [k for k in (0, 1, 2, 4, 8, 16, 32, 64, 100, 200) if k <= max_iter]
    # one run per algorithm gives the curve and every signal the slider shows: a move only looks up
    signals, curves = {}, {}
    for label, momentum in (("classic GL (momentum 0)", 0.0), ("fast GL (momentum 0.99)", 0.99)):
        signals[momentum] = dict.fromkeys(options)
        curves[label] = griffin_lim(A, max_iter, momentum=momentum, snapshots=signals[momentum],
                                    **common).history
    slider = w.SelectionSlider(options=options, value=options[min(4, len(options) - 1)],
                               description="iterations", continuous_update=False)
    algo = w.ToggleButtons(options=[("classic", 0.0), ("fast", 0.99)], value=0.99,
                           description="algorithm")
    readout = w.HTML()
    readout.add_class("mssedu-gl-readout")
    plot_out = figure_output()
    est_audio, true_audio = audio_slot(), audio_slot()
    set_audio(true_audio, x, track.sr)
    scores = {(m, k): float(np.mean(si_sdr(x, y))) for m, ys in signals.items() for k, y in ys.items()}

    # every figure and player is rendered here, once: a move only swaps them (no 0.1-1 s render)
    figures = {k: figure_image(convergence_figure(curves, marker=k, title=f"{stem}: Griffin-Lim from a random phase"))
               for k in options}
    players = {(m, k): audio_html(y, track.sr) for m, ys in signals.items() for k, y in ys.items()}

    def update(_=None):
        k, momentum = int(slider.value), float(algo.value)
        curve = curves["fast GL (momentum 0.99)" if momentum else "classic GL (momentum 0)"]
        show_figure(plot_out, figures[k])
        est_audio.value = players[momentum, k]
        readout.value = (f"after <b>{k}</b> iterations ({'fast' if momentum else 'classic'}): "
                         f"spectral convergence <b>{curve[k]:.3f}</b> &nbsp;·&nbsp; "
                         f"SI-SDR against the true {stem} <b>{scores[momentum, k]:.1f} dB</b>")

    slider.observe(update, names="value")
    algo.observe(update, names="value")
    update()
    return w.VBox([w.HBox([slider, algo]), readout, plot_out,
                   w.HBox([labelled(f"Griffin-Lim estimate", est_audio),
                           labelled(f"true {stem}", true_audio)])])


def phase_choice_explorer(track, n_fft: int = 2048, hop_length: int = 512, n_iter: int | None = None):
    """The true magnitude of a stem, combined with different phases: its own (perfect),
    the mixture's (the usual choice: hear the bleed), a random one, Griffin-Lim's (from the
    mixture phase) and MISI's (all stems together, forced to sum to the mixture).

    Choose the stem and the phase; the bar chart gives the SI-SDR of every choice, the
    player the chosen one.

    Parameters
    ----------
    track : mssedu.data.Track
        A track with its stems.
    n_fft, hop_length : int
        The STFT.
    n_iter : int, optional
        Griffin-Lim and MISI iterations (fast mode: fewer).

    Returns
    -------
    ipywidgets.VBox
    """


    n_iter = n_iter or (16 if fast_mode() else 32)
    mix, names = track.mixture, list(track.stems)
    Y = stft(mix, n_fft, hop_length)
    S = np.stack([stft(track.stems[k], n_fft, hop_length) for k in names])   # (stems, ch, freq, frames)
    A, length = np.abs(S), mix.shape[-1]
    # every estimate is computed here, all stems at once, so that a menu change only looks up
    rand = np.exp(2j * np.pi * np.random.default_rng(0).random(A.shape[1:])).astype(np.complex64)
    gl = griffin_lim(A, n_iter, init=np.broadcast_to(np.angle(Y), A.shape), hop_length=hop_length,
                     length=length).signal
    misi_est = misi(dict(zip(names, A)), mix, n_iter, n_fft=n_fft, hop_length=hop_length).estimates
    table = {}
    for j, stem in enumerate(names):
        est = {"true phase": track.stems[stem],
               "mixture phase": istft(A[j] * np.exp(1j * np.angle(Y)), hop_length, length=length),
               "random phase": istft(A[j] * rand, hop_length, length=length),
               f"Griffin-Lim ({n_iter} it.)": gl[j], f"MISI ({n_iter} it.)": misi_est[stem]}
        table[stem] = (est, {k: float(np.mean(si_sdr(track.stems[stem], v))) for k, v in est.items()})

    stem_menu = w.Dropdown(options=names, value="vocals" if "vocals" in names else names[0],
                           description="stem")
    phase_menu = w.ToggleButtons(options=list(table[stem_menu.value][0]), value="mixture phase",
                                 description="phase", style={"button_width": "auto"})
    readout = w.HTML()
    readout.add_class("mssedu-phase-readout")
    plot_out = figure_output()
    audio = audio_slot()
    # every figure and player is rendered here, once: a change only swaps them
    figures = {(stem, c): figure_image(_scores_figure(scores, c, stem))
               for stem, (_, scores) in table.items() for c in scores}
    players = {(stem, c): audio_html(y, track.sr) for stem, (est, _) in table.items() for c, y in est.items()}

    def update(_=None):
        stem, choice = stem_menu.value, phase_menu.value
        scores = table[stem][1]
        show_figure(plot_out, figures[stem, choice])
        audio.value = players[stem, choice]
        readout.value = (f"<b>{stem}</b>, true magnitude + <b>{choice}</b>: "
                         f"SI-SDR <b>{scores[choice]:.1f} dB</b>")

    stem_menu.observe(update, names="value")
    phase_menu.observe(update, names="value")
    update()
    return w.VBox([w.HBox([stem_menu]), phase_menu, readout, plot_out, audio])


def _scores_figure(scores: dict, chosen: str, stem: str):
    """Bars of the SI-SDR of every phase choice but the true one, the chosen one in red."""
    fig, ax = plt.subplots(figsize=(6.5, 2.4), constrained_layout=True)
    names = [k for k in scores if k != "true phase"]
    ax.barh(names, [scores[k] for k in names], color=["C3" if k == chosen else "C0" for k in names])
    ax.set_xlabel(f"SI-SDR of the {stem} estimate (dB); true phase: {scores['true phase']:.0f} dB")
    ax.invert_yaxis()
    plt.close(fig)
    return fig
