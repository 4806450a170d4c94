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
from .core import audio_slot, figure_output, labelled, set_audio, show_figure

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
    curves = {"classic GL (momentum 0)": griffin_lim(A, max_iter, momentum=0.0, **common).history,
              "fast GL (momentum 0.99)": griffin_lim(A, max_iter, momentum=0.99, **common).history}
    options = [k for k in (0, 1, 2, 4, 8, 16, 32, 64, 100, 200) if k <= max_iter]
    slider = w.SelectionSlider(options=options, value=options[min(4, len(options) - 1)],
                               description="iterations", continuous_update=False)
    algo = w.ToggleButtons(options=[("classic", 0.0), ("fast", 0.99)], value=0.99,
                           description="algorithm")
    readout = w.HTML()
    readout.add_class("mssedu-gl-readout")
    plot_out = figure_output()
    est_audio, true_audio = audio_slot(), audio_slot()
    set_audio(true_audio, x, track.sr)

    def update(_=None):
        k = int(slider.value)
        y, hist = griffin_lim(A, k, momentum=float(algo.value), **common)
        show_figure(plot_out, convergence_figure(curves, marker=k,
                                                 title=f"{stem}: Griffin-Lim from a random phase"))
        set_audio(est_audio, y, track.sr)
        readout.value = (f"after <b>{k}</b> iterations ({'fast' if algo.value else 'classic'}): "
                         f"spectral convergence <b>{hist[-1]:.3f}</b> &nbsp;·&nbsp; "
                         f"SI-SDR against the true {stem} <b>{float(np.mean(si_sdr(x, y))):.1f} dB</b>")

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
    mix = track.mixture
    Y = stft(mix, n_fft, hop_length)
    S = {k: stft(v, n_fft, hop_length) for k, v in track.stems.items()}
    length = mix.shape[-1]
    misi_est = misi({k: np.abs(v) for k, v in S.items()}, mix, n_iter, n_fft=n_fft,
                    hop_length=hop_length).estimates
    cache = {}

    def estimates(stem):
        if stem not in cache:

            A = np.abs(S[stem])
            rng = np.random.default_rng(0)
            rand = np.exp(2j * np.pi * rng.random(A.shape)).astype(np.complex64)
            est = {"true phase": track.stems[stem],
                   "mixture phase": istft(A * np.exp(1j * np.angle(Y)), hop_length, length=length),
                   "random phase": istft(A * rand, hop_length, length=length),
                   f"Griffin-Lim ({n_iter} it.)": griffin_lim(A, n_iter, init=np.angle(Y),
                                                              hop_length=hop_length,
                                                              length=length).signal,
                   f"MISI ({n_iter} it.)": misi_est[stem]}
            scores = {k: float(np.mean(si_sdr(track.stems[stem], v))) for k, v in est.items()}
            cache[stem] = (est, scores)
        return cache[stem]

    stem_menu = w.Dropdown(options=list(track.stems), value="vocals" if "vocals" in track.stems
                           else list(track.stems)[0], description="stem")
    phase_menu = w.ToggleButtons(options=list(estimates(stem_menu.value)[0]), value="mixture phase",
                                 description="phase")
    readout = w.HTML()
    readout.add_class("mssedu-phase-readout")
    plot_out = figure_output()
    audio = audio_slot()

    def update(_=None):
        est, scores = estimates(stem_menu.value)
        fig, ax = plt.subplots(figsize=(6.5, 2.4), constrained_layout=True)
        names = [k for k in scores if k != "true phase"]
        vals = [scores[k] for k in names]
        colours = ["C3" if k == phase_menu.value else "C0" for k in names]
        ax.barh(names, vals, color=colours)
        ax.set_xlabel(f"SI-SDR of the {stem_menu.value} estimate (dB); true phase: "
                      f"{scores['true phase']:.0f} dB")
        ax.invert_yaxis()
        plt.close(fig)
        show_figure(plot_out, fig)
        set_audio(audio, est[phase_menu.value], track.sr)
        readout.value = (f"<b>{stem_menu.value}</b>, true magnitude + <b>{phase_menu.value}</b>: "
                         f"SI-SDR <b>{scores[phase_menu.value]:.1f} dB</b>")

    stem_menu.observe(update, names="value")
    phase_menu.observe(update, names="value")
    update()
    return w.VBox([w.HBox([stem_menu]), phase_menu, readout, plot_out, audio])
