"""Widgets for chapter 2 (masks): the mask explorer and the W-disjoint orthogonality explorer.

Every control updates on release (``continuous_update=False``); the heavy parts (STFTs of
the stems, their magnitudes, the figure's fixed panels) are computed once when the widget is
built, each state a move reaches is kept, the figure is redrawn in place (only the images that
change) and the sound is rendered when asked for, not on every move.
"""
from __future__ import annotations

import html

import ipywidgets as w
import numpy as np
from IPython.display import Image

from ..masks import (
    apply_mask,
    compute_mask,
    ideal_binary_mask,
    w_disjoint_orthogonality,
)
from ..metrics import bss_eval, bss_eval_quick
from ..plot.masks import MaskedSpectrogramView, wdo_figure
from ..spectral import istft, stft
from ..tables import format_db
from .core import audio_html, audio_slot, figure_image, show_figure

__all__ = ["mask_explorer", "wdo_explorer"]

#: How many explored states (mask, estimate, readout) the mask explorer keeps: moving back
#: to one of them is a look-up (each holds the estimate, a few MiB).
KEEP_STATES = 48

#: Mask types offered by the explorer: label -> mssedu.masks method.
EXPLORER_MASKS = {"binary (IBM)": "ibm", "ratio (IRM)": "irm", "phase-sensitive (PSM)": "psm",
                  "complex (cIRM)": "cirm"}


def _metrics_html(df, target: str, extra: str = "") -> str:
    row = df.loc[target]
    cells = "".join(f"<td style='padding:0 10px'><b>{m}</b><br>{format_db(row[m])} dB</td>"
                    for m in ("SDR", "SIR", "SAR"))
    return (f"<table><tr>{cells}</tr></table>"
            f"<small>{extra}</small>")


def _quick_readout(track, k: str, est, estimated_by=None, refs=None) -> str:
    """The readout: quick BSS Eval of the estimate ``est`` of stem ``k`` (against ``refs``,
    the target and the rest, if given); when the stems are ``estimated_by`` a separator, a
    note instead (an SDR against a guess means nothing)."""
    if estimated_by is not None:
        return _estimate_note(k, estimated_by)
    refs = refs or {k: track.stems[k], "rest": _rest(track, k)}
    df = bss_eval_quick(refs, {k: est, "rest": track.mixture - est})
    return _metrics_html(df, k, "quick BSS Eval (1-tap filters, whole excerpt); "
                                "press the button for museval v4")


def _estimate_note(target: str, separator: str) -> str:
    """What the readout says instead of an SDR when the stems are a separator's estimates."""
    return (f"<div class='mssedu-estimate-note'><b>The \"target\" here is {html.escape(target)} as "
            f"estimated by {html.escape(separator)}, not the true {html.escape(target)}</b>: "
            "this song has no true stems, so no SDR is shown (it would only measure agreement "
            "with the model's guess). A .stem.mp4 multitrack brings true stems.</div>")


def _rest(track, target):
    """The true interference: the sum of the other stems (as in notebook 02's table), not the
    stored mixture minus the target, which would also hold the codec's residual."""
    return sum(v for name, v in track.stems.items() if name != target)


def mask_explorer(track, n_fft: int = 4096, hop_length: int = 1024, target: str = "vocals",
                  duration: float | None = None, estimated_by: str | None = None):
    """Choose a target stem, a mask type and its parameter; see the mask and the masked
    spectrogram, hear the result, and read SDR/SIR/SAR.

    The readout is :func:`mssedu.metrics.bss_eval_quick` (BSS Eval with 1-tap filters on the
    whole excerpt: instant; its SDR is the plain SDR) of the target against the rest of the
    mix; the *museval v4* button computes the standard 512-tap, 1-s-frame numbers (a few
    seconds). The sound of the estimate is rendered when the *listen* button is pressed.

    Controls: ``target`` (Dropdown), ``mask`` (ToggleButtons), ``threshold (dB)`` (the IBM's
    local criterion), ``alpha`` (the IRM's exponent: 1 magnitude ratio, 2 Wiener).

    Parameters
    ----------
    track : Track
        The multitrack (:class:`mssedu.data.Track`).
    n_fft : int
        STFT frame length in samples.
    hop_length : int
        STFT hop in samples.
    target : str
        The stem selected first.
    duration : float or None
        Use only the first ``duration`` seconds.
    estimated_by : str or None
        The track's stems are not true stems but this separator's estimates (an uploaded
        song): the views say that the "target" is a model's estimate, and no SDR is shown
        (it would measure agreement with a guess).

    Returns
    -------
    ipywidgets.VBox
        The explorer, ready to display (its first state is computed at once, so it also works
        without a browser); ``box.controls`` names its parts.

    Examples
    --------
    >>> from mssedu.data import example_track
    >>> box = mask_explorer(example_track(), duration=1.0)
    >>> box.controls["alpha"].value = 2.0
    >>> "Wiener" in box.controls["audio"].value, "<audio" in box.controls["audio"].value
    (True, False)
    >>> box.controls["listen"].click()
    >>> "<audio" in box.controls["audio"].value
    True
    """
    if duration is not None:
        track = track.excerpt(0, min(duration, track.duration))
    names = list(track.stems)
    if target not in names:
        target = names[-1]
    ctl = _explorer_controls(names, target, estimated_by)
    compute = _explorer_states(track, n_fft, hop_length, estimated_by)
    titles = lambda k: None if estimated_by is None else (  # noqa: E731  a guess is no truth
        "mixture", "mask", "masked mixture", f"{k}: estimate, not the truth")
    view = MaskedSpectrogramView(compute.Y, track.sr, hop_length, titles=titles(target))
    state = {}

    def update(*_):
        ctl["working"].value = "<span class='mssedu-working'>updating ...</span>"
        k, method = ctl["target"].value, EXPLORER_MASKS[ctl["mask"].value]
        ctl["threshold"].disabled, ctl["alpha"].disabled = method != "ibm", method != "irm"
        value = {"ibm": ctl["threshold"].value, "irm": ctl["alpha"].value}.get(method)
        entry = compute(k, method, value)
        view.update(entry["mask"], compute.S[k] if state.get("target") != k else None,
                    (titles(k) or (None,) * 4)[3])
        state.update(entry, target=k)
        show_figure(ctl["figure"], Image(data=view.image(), format="jpeg"))
        ctl["audio"].value = (f"<div><b>{html.escape(k)}: {entry['label']}</b></div>"
                              "<small>press <i>listen</i> to hear it</small>")
        ctl["metrics"].value = entry["readout"]
        ctl["slow_out"].value = ctl["working"].value = ""

    def listen(_=None):
        ctl["audio"].value = audio_html(state["estimate"], track.sr,
                                        f"{state['target']}: {state['label']}").replace(
            'preload="none"', 'autoplay preload="auto"')

    def slow(_):
        k, est = state["target"], state["estimate"]
        ctl["slow_out"].value = "<span class='mssedu-working'>computing museval v4 ...</span>"
        refs = {k: track.stems[k], "rest": _rest(track, k)}
        df = bss_eval(refs, {k: est, "rest": track.mixture - est}, sr=track.sr)
        ctl["slow_out"].value = "<b>museval v4</b> (median over 1 s frames): " + ", ".join(
            f"{m} {format_db(df.loc[k, m])} dB" for m in ("SDR", "SIR", "SAR"))

    for name in ("target", "mask", "threshold", "alpha"):
        ctl[name].observe(update, names="value")
    ctl["listen"].on_click(listen)
    ctl["museval"].on_click(slow)
    update()
    box = w.VBox([w.HBox([ctl["target"], ctl["mask"]], layout=w.Layout(flex_flow="row wrap")),
                  w.HBox([ctl["threshold"], ctl["alpha"], ctl["working"]]), ctl["figure"],
                  w.HBox([w.VBox([ctl["listen"], ctl["audio"]]), ctl["metrics"]]),
                  w.HBox([ctl["museval"], ctl["slow_out"]])])
    box.controls = ctl
    return box


def _explorer_controls(names, target: str, estimated_by) -> dict:
    """The mask explorer's controls and outputs, by name."""
    ctl = {"target": w.Dropdown(options=names, value=target, description="target"),
           "mask": w.ToggleButtons(options=list(EXPLORER_MASKS), value="ratio (IRM)", description="mask",
                                   style={"button_width": "auto"}),   # "phase-sensitive (PSM)" whole
           "threshold": w.FloatSlider(value=0.0, min=-20, max=20, step=1, description="threshold (dB)",
                                      continuous_update=False, style={"description_width": "initial"}),
           "alpha": w.FloatSlider(value=1.0, min=0.25, max=4.0, step=0.25, description="alpha",
                                  continuous_update=False),
           "working": w.HTML(), "figure": w.Output(),
           "listen": w.Button(description="listen", icon="play",
                              tooltip="render the estimate's sound and play it"),
           "audio": audio_slot(),
           "metrics": w.HTML().add_class("mssedu-metrics"),
           "museval": w.Button(description="museval v4 (slow)", tooltip="512-tap BSS Eval v4 on 1 s frames",
                               layout=w.Layout(width="auto")),
           "slow_out": w.HTML()}
    ctl["museval"].layout.display = None if estimated_by is None else "none"
    return ctl


def _explorer_states(track, n_fft: int, hop_length: int, estimated_by):
    """A function ``(target, method, value) -> {"mask", "estimate", "label", "readout"}`` that
    computes a state of the mask explorer once and keeps the last :data:`KEEP_STATES`; its
    ``S`` (stem STFTs) and ``Y`` (mixture STFT) are attributes."""
    n = track.mixture.shape[-1]
    S = {k: stft(v, n_fft, hop_length) for k, v in track.stems.items()}
    Y = stft(track.mixture, n_fft, hop_length)
    total = sum(S.values())
    # magnitudes once: the IBM and IRM need only them (compute_mask would take |.| each move)
    mags = {k: (np.abs(S[k]), np.abs(total - S[k])) for k in S}
    # the readout's references, once per target, already in the float64 BSS Eval works in
    refs = {k: {k: track.stems[k].astype(np.float64), "rest": _rest(track, k).astype(np.float64)}
            for k in S} if estimated_by is None else {}
    kept = {}

    def compute(k, method, value):
        key = (k, method, value)
        if key not in kept:
            target, rest = mags[k] if method in ("ibm", "irm") else (S[k], total - S[k])
            params = {"ibm": {"threshold_db": value}, "irm": {"alpha": value}}.get(method, {})
            mask = compute_mask(method, target, rest, Y, **params)
            est = istft(apply_mask(Y, mask), hop_length, length=n, n_fft=n_fft)
            if len(kept) >= KEEP_STATES:
                kept.pop(next(iter(kept)))      # the oldest state goes
            kept[key] = {"mask": mask, "estimate": est, "label": _mask_label(method, value),
                         "readout": _quick_readout(track, k, est, estimated_by, refs.get(k))}
        return kept[key]

    compute.S, compute.Y = S, Y
    return compute


def _mask_label(method: str, value) -> str:
    """How the explorer names a mask and its parameter."""
    if method == "ibm":
        return f"IBM, threshold {value:+.0f} dB"
    if method == "irm":
        return f"IRM, alpha = {value:g}" + (" (Wiener)" if value == 2 else "")
    return {"psm": "PSM, truncated to [0, 1]"}.get(method, "cIRM")


def wdo_explorer(track, n_fft: int = 4096, hop_length: int = 1024):
    """How disjoint are the stems? For the IBM with local criterion ``threshold (dB)``, the
    preserved-signal ratio, SIR and W-disjoint orthogonality of every stem against the rest
    (Yilmaz & Rickard, 2004), as bars and a table.

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
    S = {k: stft(v, n_fft, hop_length) for k, v in track.stems.items()}
    total = sum(S.values())
    # magnitudes once (each move would take |.| of every stem and its rest again)
    mags = {k: (np.abs(S[k]), np.abs(total - S[k])) for k in S if np.any(S[k])}
    kept = {}
    threshold = w.FloatSlider(value=0.0, min=-20, max=20, step=1, description="threshold (dB)",
                              continuous_update=False, style={"description_width": "initial"})
    fig_out = w.Output()
    table = w.HTML().add_class("mssedu-metrics")

    def update(*_):
        t = threshold.value
        if t not in kept:   # each threshold computed once, figure rendered once
            res = {k: w_disjoint_orthogonality(a, b, ideal_binary_mask(a, b, t)) for k, (a, b) in mags.items()}
            kept[t] = (res, figure_image(wdo_figure(res, f"IBM with threshold {t:+.0f} dB")))
        res, image = kept[t]
        show_figure(fig_out, image)
        rows = "".join(f"<tr><td>{k}</td><td>{r['psr']:.2f}</td><td>{r['sir_db']:.1f} dB</td>"
                       f"<td>{r['wdo']:.2f}</td></tr>" for k, r in res.items())
        table.value = ("<table><tr><th>stem</th><th>PSR</th><th>SIR</th><th>WDO</th></tr>"
                       f"{rows}</table>")

    threshold.observe(update, names="value")
    update()
    box = w.VBox([threshold, fig_out, table])
    box.controls = {"threshold": threshold, "table": table}
    return box
