"""Widgets for chapter 4 (evaluation): gain sensitivity, and what different errors do to
the metrics (and to the ears)."""
from __future__ import annotations

import ipywidgets as w
import numpy as np
import scipy.signal

from ..errors import ParameterError
from ..metrics import bss_eval_quick, gain_sensitivity, sdr, si_sdr
from ..plot.evaluation import gain_sensitivity_figure
from ..tables import format_db
from .core import audio_html, show_figure

__all__ = ["gain_explorer", "distortion_explorer", "DISTORTIONS"]

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
    audio = w.HTML().add_class("mssedu-audio")
    est = np.asarray(estimate, dtype=np.float32)

    def update(*_):
        g = 10 ** (gain.value / 20)
        scaled = (g * est).astype(np.float32)
        show_figure(fig_out, gain_sensitivity_figure(table, gain.value))
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
    audio = w.HTML().add_class("mssedu-audio")
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
