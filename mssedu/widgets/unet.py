"""Widgets for chapter 6 (the mini U-Net): a live loss curve while training, a feature-map
browser, a mask-sharpness explorer and a "hear it learn" slider over training snapshots.

Each factory returns an ``ipywidgets`` box drawn once already (so it works in a notebook
executed headless). Figures come from :mod:`mssedu.plot.unet`, the model from
:mod:`mssedu.models` (training too: :func:`mssedu.models.train`).
"""
from __future__ import annotations

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Image, display

from ..errors import ParameterError
from ..metrics import sdr as plain_sdr
from ..plot.core import LiveFigure
from ..plot.unet import (draw_loss_curve, feature_maps_figure, mask_comparison_figure, update_feature_maps_figure,
                         update_mask_comparison_figure)
from ..spectral import istft, stft
from ..models import UNetSeparator
from .core import WIDE_LABEL, figure_output, players_row, set_players, show_figure

__all__ = ["LiveLossPlot", "live_loss_plot", "feature_map_browser", "mask_sharpness_explorer",
           "training_snapshots_player"]


class LiveLossPlot:
    """A training callback that redraws the loss curve (and validation SDR) in an
    ``ipywidgets.Output`` each time :func:`mssedu.models.train` calls it.

    >>> live = LiveLossPlot()                      # doctest: +SKIP
    >>> display(live.widget)                       # doctest: +SKIP
    >>> train(..., callbacks=[live])               # doctest: +SKIP
    """

    def __init__(self, title: str = "training", figsize=(7, 3)):

        self.title = title
        self.figsize = figsize
        self.widget = w.Output()
        self.calls = 0

    def __call__(self, history: dict) -> None:


        fig, ax = plt.subplots(figsize=self.figsize, constrained_layout=True)
        draw_loss_curve(ax, history)
        last = f"step {history['step'][-1]}" if history.get("step") else ""
        if history.get("val_sdr"):
            last += f", validation SDR {history['val_sdr'][-1]:+.2f} dB"
        ax.set_title(f"{self.title}: {last}", fontsize=10)
        plt.close(fig)
        show_figure(self.widget, fig)
        self.calls += 1

    def _ipython_display_(self):

        display(self.widget)


def live_loss_plot(title: str = "training") -> LiveLossPlot:
    """A :class:`LiveLossPlot`: display it, then pass it in ``train(callbacks=[...])``.

    Parameters
    ----------
    title : str
        Title shown above the curve (followed by the last step and validation SDR).

    Returns
    -------
    LiveLossPlot
        The callback; ``live.widget`` is its output area.
    """
    return LiveLossPlot(title)


def feature_map_browser(model, track, seconds: float = 3.0, start: float = 0.0):
    """Pick a layer and a group of channels; see what the network computes there for the
    mixture of ``track`` (its first ``seconds``). Early encoder maps look like edge-detected
    spectrograms (onsets, harmonics); deep ones are coarse; decoder maps grow back to full
    resolution; the last is the mask.

    Parameters
    ----------
    model : MiniUNet
        The network (:class:`mssedu.models.MiniUNet`).
    track : Track
        The multitrack (:class:`mssedu.data.Track`) whose mixture is fed in.
    seconds : float
        Length of the excerpt in seconds.
    start : float
        Start of the excerpt in seconds.

    Returns
    -------
    ipywidgets.VBox
        The layer and channel controls, a readout and the figure of
        :func:`mssedu.plot.unet.feature_maps_figure`.
    """


    cfg = model.config
    clip = track.excerpt(start, min(seconds, track.duration - start))
    X = stft(torch.from_numpy(clip.mixture), cfg.n_fft, cfg.hop_length)
    maps = model.feature_maps(X.abs()[None, :, :cfg.n_bins])
    layers = list(maps)
    layer = w.Dropdown(options=layers, value=layers[0], description="layer")
    first = w.IntSlider(value=0, min=0, max=max(0, maps[layers[0]].shape[0] - 1), step=4,
                        description="channels from", continuous_update=False,
                        style=WIDE_LABEL)
    info = w.HTML()
    out = figure_output()
    # drawn once with all its panels (the layer with the most channels); a move swaps maps in
    widest = max(layers, key=lambda name: maps[name].shape[0])
    fig = feature_maps_figure(maps, widest, n=8)
    live = LiveFigure(fig, update_feature_maps_figure(fig, maps, layer.value))

    def update(*_):
        fm = maps[layer.value]
        first.max = max(0, fm.shape[0] - 1)
        info.value = (f"<code>{layer.value}</code>: {fm.shape[0]} channels, {fm.shape[1]} frequency "
                      f"rows x {fm.shape[2]} frames (input: {cfg.n_bins} x {X.shape[-1]}).")
        update_feature_maps_figure(fig, maps, layer.value, start=min(first.value, fm.shape[0] - 1))
        show_figure(out, Image(data=live.jpeg(), format="jpeg"))

    layer.observe(update, "value")
    first.observe(update, "value")
    update()
    return w.VBox([w.HBox([layer, first]), info, out])


def mask_sharpness_explorer(separator, track, seconds: float | None = None):
    """Soft or hard? Raise the U-Net's vocal mask to a power ``p`` (``p -> 0``: all ones,
    ``p = 1``: as trained, large ``p``: towards binary) or binarise it at a threshold, and
    hear (the "listen" button) and measure (plain SDR) what happens to the vocals. Each
    setting is computed once (a move back is a look-up) and drawn into the figure drawn first.

    Parameters
    ----------
    separator : UNetSeparator
        A trained :class:`mssedu.models.UNetSeparator`; its first target is used.
    track : Track
        The multitrack (:class:`mssedu.data.Track`) with the true target stem.
    seconds : float or None
        Use only the first ``seconds``; None: the whole track.

    Returns
    -------
    ipywidgets.VBox
        The controls, the SDR readout, the mask figure and the players.
    """


    clip = track if seconds is None or seconds >= track.duration else track.excerpt(0, seconds)
    cfg = separator.config
    target = cfg.targets[0]
    mask = separator.predict_mask(clip.mixture)[0]
    X = stft(clip.mixture, cfg.n_fft, cfg.hop_length)
    mode = w.ToggleButtons(options=["power", "threshold"], value="power", description="mask")
    power = w.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.1, description="power p",
                             continuous_update=False)
    thresh = w.FloatSlider(value=0.5, min=0.05, max=0.95, step=0.05, description="threshold",
                           continuous_update=False)
    listen = w.Button(description="listen", tooltip="play the mixture, this estimate and the true stem")
    readout = w.HTML()
    fig_out = figure_output()
    audio_out = players_row({}, 1)
    length, truth = clip.mixture.shape[-1], clip.stems[target]
    # what no control changes, once: the trained mask's SDR and the mixture's
    base = plain_sdr(truth, istft(mask * X, cfg.hop_length, length=length, n_fft=cfg.n_fft))
    floor = plain_sdr(truth, clip.mixture)
    seen, live = {}, {}      # (mode, value) -> (label, mask, estimate, SDR): a move back is a look-up

    def current():
        key = (mode.value, power.value if mode.value == "power" else thresh.value)
        if key not in seen:
            if mode.value == "power":
                m, label = mask ** power.value, f"M^{power.value:.2g}"
            else:
                m, label = (mask >= thresh.value).astype(np.float32), f"M >= {thresh.value:.2f}"
            est = istft(m * X, cfg.hop_length, length=length, n_fft=cfg.n_fft)
            seen[key] = label, m, est, plain_sdr(truth, est)
        return seen[key]

    def update(*_):
        label, m, est, sdr = current()
        readout.value = (f"<b>{label}</b>: {target} SDR {sdr:+.2f} dB "
                         f"(trained mask: {base:+.2f} dB; mixture as estimate: {floor:+.2f} dB)")
        masks = {"trained mask": mask, label: m}
        if not live:   # drawn once; a move swaps the second mask in (a new figure: 0.4 s)
            fig = mask_comparison_figure(masks, clip.sr, cfg.hop_length)
            live["frame"] = LiveFigure(fig, update_mask_comparison_figure(fig, masks, clip.sr))
        update_mask_comparison_figure(live["frame"].fig, masks, clip.sr)
        show_figure(fig_out, Image(data=live["frame"].jpeg(), format="jpeg"))
        audio_out.children = ()     # the players of the last setting no longer apply

    def play(_=None):
        label, _, est, _ = current()
        set_players(audio_out, {"mixture": clip.mixture, f"{target} ({label})": est, f"true {target}": truth},
                    clip.sr)

    for c in (mode, power, thresh):
        c.observe(update, "value")
    listen.on_click(play)
    update()
    return w.VBox([mode, w.HBox([power, thresh]), readout, fig_out, w.HBox([listen, audio_out])])


def training_snapshots_player(result, track, seconds: float | None = None):
    """Slide through the validation steps of a run trained with ``snapshots=True`` and hear
    the vocals the model separated at each one, with the SDR curve marking where you are.

    Parameters
    ----------
    result : TrainResult
        The result of :func:`mssedu.models.train` run with ``snapshots=True``.
    track : Track
        The multitrack (:class:`mssedu.data.Track`) to separate.
    seconds : float or None
        Use only the first ``seconds``; None: the whole track.

    Returns
    -------
    ipywidgets.VBox
        The step slider, the readout, the SDR curve and the players.
    """


    if not result.snapshots:
        raise ParameterError("This run kept no snapshots; train with snapshots=True.")
    clip = track if seconds is None or seconds >= track.duration else track.excerpt(0, seconds)
    target = result.config.targets[0]
    steps = [s for s, _ in result.snapshots]
    val = result.history.get("val_sdr") or [0.0]
    best_step = result.history["val_step"][int(np.argmax(val))] if result.history.get("val_step") else None
    whole = "the whole signal" if clip is track else f"the first {clip.duration:.1f} s"
    cache = {}

    def estimate(step):
        if step not in cache:
            sep = UNetSeparator(result.model_at(step), device="cpu")
            cache[step] = sep.separate(clip.mixture, progress=False)[target]
        return cache[step]

    slider = w.SelectionSlider(options=steps, value=steps[-1], description="step",
                               continuous_update=False)
    readout = w.HTML()
    fig_out = figure_output()
    audio_out = players_row({}, 1)

    def update(*_):


        est = estimate(slider.value)
        best = " (the best validation step: the weights the run returns)" if slider.value == best_step else ""
        readout.value = (f"step {slider.value}{best}: {target} SDR {plain_sdr(clip.stems[target], est):+.2f} dB, "
                         f"plain SDR of {whole} of {clip.name!r}; BSS Eval's tables (median over 1-s "
                         f"frames{'' if seconds is None else ', whole excerpt'}) give other values")
        fig, ax = plt.subplots(figsize=(7, 2.6), constrained_layout=True)
        ax2 = draw_loss_curve(ax, result.history)
        (ax2 or ax).axvline(slider.value, color="k", ls="--", lw=1)
        plt.close(fig)
        show_figure(fig_out, fig)
        set_players(audio_out, {"mixture": clip.mixture, f"{target} at step {slider.value}": est,
                                 f"true {target}": clip.stems[target]}, clip.sr)

    slider.observe(update, "value")
    update()
    return w.VBox([slider, readout, fig_out, audio_out])
