"""Widgets for chapter 4 (evaluation): gain sensitivity, and what different errors do to
the metrics (and to the ears)."""
from __future__ import annotations

import ipywidgets as w
import numpy as np
import scipy.signal
from IPython.display import Image

from ..errors import MsseduError, ParameterError
from ..listening import (ANCHOR, HIDDEN_REFERENCE, RATING_SCALE, lowpass_anchor, rating_label,
                         save_ratings, trial_order)
from ..metrics import bss_eval_quick, gain_sensitivity, sdr, si_sdr
from ..plot.core import LiveFigure
from ..plot.evaluation import gain_sensitivity_figure
from ..tables import format_db
from .core import WIDE_LABEL, audio_html, audio_slot, show_figure

__all__ = ["gain_explorer", "distortion_explorer", "DISTORTIONS", "listening_test"]

#: Distortions offered by :func:`distortion_explorer`.
DISTORTIONS = ("gain", "white noise", "leakage", "low-pass", "delay")


def _readout(values: dict, note: str = "") -> str:
    cells = "".join(f"<td style='padding:0 10px'><b>{k}</b><br>{format_db(v)} dB</td>" for k, v in values.items())
    return f"<table><tr>{cells}</tr></table><small>{note}</small>"


def gain_explorer(reference, estimate, sr: int, gains_db=None):
    """Scale an estimate by a gain and watch SDR move while SI-SDR stays put.

    Controls: ``gain (dB)`` slider (-12 ... +12). Shows the two curves with the current gain
    marked, the readout (an ``ipywidgets.HTML`` with class ``mssedu-metrics``) and the
    scaled estimate's audio.

    Parameters
    ----------
    reference : numpy.ndarray
        The true source ``([channels,] samples)``.
    estimate : numpy.ndarray
        Its estimate, same shape.
    sr : int
        Sample rate in Hz.
    gains_db : array_like or None
        Gains of the curves in dB (default: those of :func:`mssedu.metrics.gain_sensitivity`).

    Returns
    -------
    ipywidgets.VBox
        The explorer, ready to display (its first state is computed at once, so it also works
        without a browser).
    """
    table = gain_sensitivity(reference, estimate, gains_db)
    gain = w.FloatSlider(value=0.0, min=-12, max=12, step=1, description="gain (dB)",
                         continuous_update=False)
    fig_out = w.Output()
    readout = w.HTML().add_class("mssedu-metrics")
    audio = audio_slot()
    est = np.asarray(estimate, dtype=np.float32)
    # the curves are drawn once; a move only shifts the marker (a new figure: 0.3-0.5 s)
    fig = gain_sensitivity_figure(table, 0.0)
    marker = fig.axes[0].lines[-1]
    live = LiveFigure(fig, [marker])

    def update(*_):
        g = 10 ** (gain.value / 20)
        scaled = (g * est).astype(np.float32)
        marker.set_xdata([gain.value, gain.value])
        show_figure(fig_out, Image(data=live.jpeg(), format="jpeg"))
        readout.value = _readout({"SDR": sdr(reference, scaled), "SI-SDR": si_sdr(reference, scaled)},
                                 "same separation, only louder or quieter")
        audio.value = audio_html(scaled, sr, f"estimate x {g:.2f}")

    gain.observe(update, names="value")
    update()
    box = w.VBox([gain, fig_out, w.HBox([audio, readout])])
    box.controls = {"gain": gain, "metrics": readout, "audio": audio}
    return box


def _distort(kind: str, amount: float, target, interference, sr: int):
    """The target with one kind of error, ``amount`` from 0 (none) to 1 (a lot)."""
    x = np.asarray(target, dtype=np.float64)
    if kind == "gain":
        return x * 10 ** (-12 * amount / 20)
    if kind == "white noise":
        rng = np.random.default_rng(0)
        rms = np.sqrt(np.mean(x ** 2))
        return x + amount * rms * rng.standard_normal(x.shape)
    if kind == "leakage":
        return x + 0.5 * amount * np.asarray(interference, dtype=np.float64)
    if kind == "low-pass":
        cutoff = 16000 * (1 - amount) + 500 * amount
        sos = scipy.signal.butter(8, min(cutoff, 0.45 * sr), fs=sr, output="sos")
        return scipy.signal.sosfiltfilt(sos, x, axis=-1)
    if kind == "delay":
        d = int(round(amount * 0.010 * sr))  # up to 10 ms
        return np.pad(x, [(0, 0)] * (x.ndim - 1) + [(d, 0)])[..., : x.shape[-1]]
    raise ParameterError(f"Unknown distortion {kind!r}; choose one of {DISTORTIONS}.")


def distortion_explorer(track, target: str = "vocals", duration: float = 3.0):
    """Apply one kind of error to the true target (a gain, white noise, leakage of the
    accompaniment, a low-pass filter, a delay) and compare SDR, SI-SDR, SIR and SAR with
    what you hear. Metrics: :func:`mssedu.metrics.sdr`, :func:`~mssedu.metrics.si_sdr`, and
    SIR/SAR of :func:`~mssedu.metrics.bss_eval_quick` (1-tap filters, instant).

    Parameters
    ----------
    track : Track
        The multitrack (:class:`mssedu.data.Track`).
    target : str
        The stem that is distorted.
    duration : float
        Seconds of the track used.

    Returns
    -------
    ipywidgets.VBox
        The explorer, ready to display (its first state is computed at once, so it also works
        without a browser).
    """
    t = track.excerpt(0, min(duration, track.duration))
    s = t.stems[target]
    rest = t.mixture - s
    kind = w.Dropdown(options=list(DISTORTIONS), value="white noise", description="error")
    amount = w.FloatSlider(value=0.3, min=0.0, max=1.0, step=0.05, description="amount",
                           continuous_update=False)
    readout = w.HTML().add_class("mssedu-metrics")
    audio = audio_slot()
    ref_audio = w.HTML(audio_html(s, t.sr, f"true {target}"))

    def update(*_):
        est = _distort(kind.value, amount.value, s, rest, t.sr).astype(np.float32)
        q = bss_eval_quick({target: s, "rest": rest}, {target: est, "rest": t.mixture - est})
        readout.value = _readout({"SDR": sdr(s, est), "SI-SDR": si_sdr(s, est),
                                  "SIR": q.loc[target, "SIR"], "SAR": q.loc[target, "SAR"]},
                                 "SIR/SAR: quick BSS Eval (1-tap filters). Listen: do the numbers "
                                 "rank the errors the way your ears do?")
        audio.value = audio_html(est, t.sr, f"{target} with {kind.value} ({amount.value:.2f})")

    kind.observe(update, names="value")
    amount.observe(update, names="value")
    update()
    box = w.VBox([w.HBox([kind, amount]), w.HBox([ref_audio, audio]), readout])
    box.controls = {"error": kind, "amount": amount, "metrics": readout, "audio": audio}
    return box


def _preloaded(player: str) -> str:
    """An ``audio_html`` player that loads its sound with the page (a listening test switches
    between sounds: none may wait to load then)."""
    return player.replace('preload="none"', 'preload="auto"')


def _rating_row(letter: str, player: str):
    """One condition's row: its player (created once, its audio loaded with the page so that
    switching between sounds never waits for one), a 0-100 slider, its MUSHRA label."""
    player = _preloaded(player)
    slider = w.IntSlider(value=50, min=0, max=100, step=1, description=f"sound {letter}",
                         continuous_update=True, style=WIDE_LABEL, layout=w.Layout(width="360px"))
    label = w.Label(rating_label(50))
    slider.observe(lambda ch: setattr(label, "value", rating_label(ch["new"])), names="value")
    return w.HBox([w.HTML(player).add_class("mssedu-audio"), slider, label]), slider


def listening_test(reference, conditions: dict, sr: int, path, listener: str = "", trial: str = "1",
                   seed=None, lock: bool = False, on_save=None):
    """A MUSHRA trial (ITU-R BS.1534): rate blind conditions against a reference, 0 to 100.

    The conditions, a hidden reference and a 3.5 kHz low-pass anchor
    (:func:`mssedu.listening.lowpass_anchor`) are shown in a random order as "sound A",
    "sound B"..., each with its own player, made once (switching never reloads audio), and a
    slider marked with the scale's labels (Bad, Poor, Fair, Good, Excellent). **Save** adds the
    ratings to the CSV at ``path`` (:func:`mssedu.listening.save_ratings`: appended, atomic).

    Parameters
    ----------
    reference : numpy.ndarray
        The true source ``([channels,] samples)``.
    conditions : dict
        Name -> estimate, same shape (e.g. ``{"IBM": ..., "IRM": ...}``).
    sr : int
        Sample rate in Hz.
    path : str or Path
        The ratings CSV (yours: kept, new ratings appended).
    listener : str
        Your name or a pseudonym, saved with the ratings.
    trial : str
        Name of this trial (e.g. the song and stem).
    seed : int or None
        Fix the order (tests); by default every call shuffles anew.
    lock : bool
        Save under a lock file (a CSV shared by several listeners' kernels, as in the
        workshop app; :func:`mssedu.listening.save_ratings`).
    on_save : callable or None
        Called with the file's path after each successful save.

    Returns
    -------
    ipywidgets.VBox
        The trial. ``box.controls``: ``sliders`` (letter -> slider), ``save``, ``status``,
        ``listener``; ``box.key`` maps letters to conditions (don't peek before rating).
    """
    if not conditions:
        raise ParameterError("Give at least one condition to rate, e.g. {'IBM': ibm_vocals}.")
    sounds = dict(conditions, **{HIDDEN_REFERENCE: reference, ANCHOR: lowpass_anchor(reference, sr)})
    order = trial_order(list(conditions), seed)
    key = {chr(ord("A") + i): name for i, name in enumerate(order)}
    rows, sliders = [], {}
    for letter, name in key.items():
        row, sliders[letter] = _rating_row(letter, audio_html(sounds[name], sr))
        rows.append(row)
    who = w.Text(value=listener, description="listener", placeholder="your name or a pseudonym")
    save, status = w.Button(description="Save ratings", button_style="primary"), w.HTML()

    def save_clicked(*_):
        table = [{"listener": who.value or "anonymous", "trial": trial, "condition": key[k],
                  "rating": s.value} for k, s in sliders.items()]
        try:
            saved = save_ratings(path, table, lock=lock)
        except MsseduError as err:                 # shown, never a traceback that loses the ratings
            status.value = f"<span style='color:#b00'>Not saved: {err}</span>"
            return
        status.value = f"Saved {len(table)} ratings to <code>{saved}</code>."
        if on_save is not None:
            on_save(saved)

    save.on_click(save_clicked)
    scale = " · ".join(f"{low}-{low + 20} {label}" for low, label in RATING_SCALE)
    box = w.VBox([w.HTML(_preloaded(audio_html(reference, sr, "Reference"))).add_class("mssedu-audio"),
                  w.HTML(f"<small>Rate each sound against the reference: {scale}. One of them is "
                         "the reference itself.</small>"), *rows, w.HBox([who, save]), status])
    box.controls = {"sliders": sliders, "save": save, "status": status, "listener": who}
    box.key = key
    return box
