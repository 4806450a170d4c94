"""Widgets for chapter 4 (evaluation): gain sensitivity, and what different errors do to
the metrics (and to the ears)."""
from __future__ import annotations

import base64
import html
import io
import json
import wave

import av
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
from ..audio import play
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


#: The browser side of :func:`listening_test`, run once per trial view (from the region
#: strip's ``onerror``: ipywidgets' HTML runs no ``<script>``). Without a kernel round trip it
#: (1) loops every player inside the region picked on the strip, (2) makes the players one
#: switch: playing one pauses the others and starts it where the last one was, and (3) writes
#: each slider's MUSHRA word beside it as the slider moves.
_TRIAL_JS = """(img => { const t0 = Date.now(); const init = () => {
 const box = img.closest('.mssedu-listening');
 if (!box) { if (Date.now() - t0 < 600000) setTimeout(init, 50); return; }
 if (box.dataset.mssedu) return; box.dataset.mssedu = 'on';
 const strip = img.parentNode, dur = +strip.dataset.duration, words = JSON.parse(strip.dataset.scale);
 const [lo, hi] = strip.querySelectorAll('input[type=range]');
 const shade = strip.querySelector('.mssedu-loop-shade'), text = strip.querySelector('.mssedu-loop-readout');
 const players = () => [...box.querySelectorAll('audio')];
 const region = () => { const a = +lo.value, b = +hi.value; return a < b ? [a, b] : [b, a]; };
 let last = null;
 const draw = () => { const [a, b] = region();
  shade.setAttribute('x', a / dur * 600); shade.setAttribute('width', Math.max((b - a) / dur * 600, 1));
  text.textContent = 'loop ' + a.toFixed(2) + ' - ' + b.toFixed(2) + ' s';
  box.dataset.loopStart = a; box.dataset.loopEnd = b; };
 const inside = p => { const [a, b] = region(); if (p.currentTime < a || p.currentTime >= b) p.currentTime = a; };
 const tick = () => { const on = players().filter(p => !p.paused); on.forEach(inside); if (on.length) requestAnimationFrame(tick); };
 lo.addEventListener('input', () => { draw(); players().forEach(inside); });
 hi.addEventListener('input', () => { draw(); players().forEach(inside); });
 box.addEventListener('play', ev => { const p = ev.target; if (!(p instanceof HTMLMediaElement)) return;
  const [a, b] = region(); let t = last && last !== p ? last.currentTime : p.currentTime;
  if (t < a || t >= b) t = a;
  players().forEach(q => { if (q !== p && !q.paused) q.pause(); });
  if (Math.abs(p.currentTime - t) > 0.005) p.currentTime = t;
  last = p; requestAnimationFrame(tick); }, true);
 strip.querySelector('button').addEventListener('click', () => { players().forEach(q => q.pause());
  players().forEach(q => { q.currentTime = region()[0]; }); });
 const word = v => words.filter(w => v >= w[0]).pop()[1];
 const relabel = () => box.querySelectorAll('.mssedu-rating-row').forEach(row => {
  const r = row.querySelector('.widget-readout'), l = (row.querySelector('.mssedu-rating-label .widget-html-content') ||
   row.querySelector('.mssedu-rating-label'));
  if (!r || !l || r.textContent === '') return;
  const wd = word(parseFloat(r.textContent)); if (l.textContent !== wd) l.textContent = wd; });
 new MutationObserver(relabel).observe(box, {subtree: true, childList: true, characterData: true});
 draw(); relabel(); }; init(); })(this)"""


def _flac_src(signal, sr: int) -> str:
    """``signal`` as a ``data:audio/flac`` URI holding exactly the 16-bit samples of
    :func:`mssedu.audio.play`'s WAV (FLAC is lossless: what is rated is unchanged), about
    half the bytes of the WAV."""
    with wave.open(io.BytesIO(play(signal, sr).data)) as wav:   # the player's own PCM, as it is
        channels, rate = wav.getnchannels(), wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    out = io.BytesIO()
    layout = "mono" if channels == 1 else "stereo"
    with av.open(out, "w", format="flac") as container:
        stream = container.add_stream("flac", rate=rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(pcm[None], format="s16", layout=layout)   # interleaved
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return "data:audio/flac;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _player(signal, sr: int, label: str = "") -> str:
    """A looping player loaded with the page (a listening test switches between sounds: none
    may wait to load then), its sound in FLAC."""
    caption = f"<div><b>{label}</b></div>" if label else ""
    return f'{caption}<audio controls loop preload="auto" src="{_flac_src(signal, sr)}"></audio>'


def _region_strip(reference, sr: int) -> str:
    """The loop region's strip: the reference's envelope (600 columns), the region shaded,
    two range inputs (from, to) and a stop button; :data:`_TRIAL_JS` makes it work."""
    x = np.abs(np.asarray(reference, dtype=np.float32).reshape(-1, np.shape(reference)[-1])).max(0)
    env = np.array([c.max() for c in np.array_split(x, 600)]) if x.size >= 600 else x
    env = 22 * env / max(float(env.max()), 1e-9)
    points = " ".join(f"{i * 600 / len(env):.0f},{24 - v:.1f} {i * 600 / len(env):.0f},{24 + v:.1f}"
                      for i, v in enumerate(env))
    dur = x.size / sr
    ranges = "".join(f"<label>{name} <input type='range' class='mssedu-loop-{cls}' min='0' max='{dur:.3f}' "
                     f"step='0.01' value='{v:.3f}' style='width:240px'></label> "
                     for name, cls, v in (("loop from", "start", 0.0), ("to", "end", dur)))
    scale = html.escape(json.dumps([[low, label] for low, label in RATING_SCALE]))
    return (f"<div class='mssedu-loop' data-duration='{dur:.3f}' data-scale='{scale}'>"
            f"<svg width='600' height='48' style='display:block;background:#f4f4f4'>"
            f"<rect class='mssedu-loop-shade' x='0' y='0' width='600' height='48' fill='#cde'/>"
            f"<polyline points='{points}' fill='none' stroke='#456' stroke-width='1'/></svg>"
            f"{ranges}<span class='mssedu-loop-readout'></span> <button type='button'>stop</button>"
            f"<img src='data:,' alt='' style='display:none' onerror=\"{html.escape(_TRIAL_JS)}\"></div>")


def _rating_row(letter: str, player: str):
    """One condition's row: its player (created once, its audio loaded with the page so that
    switching between sounds never waits for one), a 0-100 slider, its MUSHRA label (written
    by the browser as the slider moves: :data:`_TRIAL_JS`)."""
    slider = w.IntSlider(value=50, min=0, max=100, step=1, description=f"sound {letter}",
                         continuous_update=True, style=WIDE_LABEL, layout=w.Layout(width="360px"))
    label = w.HTML(rating_label(50)).add_class("mssedu-rating-label")
    row = w.HBox([w.HTML(player).add_class("mssedu-audio"), slider, label]).add_class("mssedu-rating-row")
    return row, slider


def listening_test(reference, conditions: dict, sr: int, path, listener: str = "", trial: str = "1",
                   seed=None, lock: bool = False, on_save=None):
    """A MUSHRA trial (ITU-R BS.1534): rate blind conditions against a reference, 0 to 100.

    The conditions, a hidden reference and a 3.5 kHz low-pass anchor
    (:func:`mssedu.listening.lowpass_anchor`) are shown in a random order as "sound A",
    "sound B"..., each with its own player, made once (switching never reloads audio), and a
    slider marked with the scale's labels (Bad, Poor, Fair, Good, Excellent). A strip over the
    reference's waveform picks a region (from, to) that every player loops; playing one sound
    pauses the others and goes on where the last one was. All of this, and the label beside each
    slider, runs in the browser (no kernel round trip). The sounds are sent as FLAC: the exact
    16-bit samples of a WAV player, about half the bytes. **Save** adds the
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
        row, sliders[letter] = _rating_row(letter, _player(sounds[name], sr))
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
    box = w.VBox([w.HTML(_player(reference, sr, "Reference")).add_class("mssedu-audio"),
                  w.HTML(_region_strip(reference, sr)),
                  w.HTML(f"<small>Rate each sound against the reference: {scale}. One of them is "
                         "the reference itself. Pick a region on the strip: every player loops it, and "
                         "playing another sound goes on where the last one was.</small>"),
                  *rows, w.HBox([who, save]), status]).add_class("mssedu-listening")
    box.controls = {"sliders": sliders, "save": save, "status": status, "listener": who}
    box.key = key
    return box
