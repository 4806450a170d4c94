r"""Synthetic multitracks: MIDI rendered stem by stem with a General-MIDI SoundFont.

Real multitracks are scarce (MUSDB18 has 150 songs) and cannot ship with a course. Slakh2100
(Manilow et al., 2019) showed another way: render MIDI files with sampled instruments, one
instrument at a time, so that every stem is *exact* and the mixture is exactly their sum,

.. math::  x[n] = \sum_{j=1}^{J} s_j[n] .

This module does that at course scale, offline:

* **scores**: the four-part Bach chorales bundled with ``music21`` (soprano, alto, tenor,
  bass; :mod:`mssedu.data.chorales`), plus generated parts: drum patterns on the General-MIDI percussion channel (10)
  and bass lines that follow the chorale's bass;
* **stems named like MUSDB18** (``layout="musdb"``): ``vocals`` (the melody on a voice
  patch, Choir Aahs / Voice Oohs / Synth Voice, with vibrato, scoops and breaths, sometimes
  an octave lower, sometimes with a backing harmony), ``bass``, ``drums`` and ``other``
  (chords, arpeggios and countermelodies on pianos, guitars, organs, strings, pads...);
  or **one stem per instrument** like Bach10 (Duan & Pardo, 2010; ``layout="bach10"``:
  violin, clarinet, saxophone, bassoon);
* **seeded randomness**: chorale and start bar, tempo, transposition, instruments, playing
  patterns, per-stem gain, stereo pan, reverb send and room: song ``i`` of a dataset made
  with ``seed`` depends only on ``(seed, i)``;
* **renderer** (``renderer=`` of :func:`make_dataset`, :func:`render_song`,
  :func:`render_midi_stems`): ``"fluidsynth"``, the ``fluidsynth`` command line with a
  General-MIDI SoundFont (:mod:`mssedu.data.soundfont`: where to find both on Linux, macOS and
  Windows). Each stem is rendered by its own FluidSynth process (reverb included, so the wet
  signal belongs to the stem), in parallel. ``"numpy"``: :mod:`mssedu.data.numpy_synth`,
  additive-synthesis instruments and synthesised drums that need no program at all (simpler
  timbres, same notes, same exact stems). ``"auto"`` (the default) takes FluidSynth when it
  and a SoundFont are installed, else numpy with one :class:`FallbackRendererWarning` that
  says what is missing and how to install it.

**Styles** (:data:`STYLES`, ``style=`` of :func:`song_spec` / :func:`make_dataset`): the songs
above are the ``"classic"`` style. The ``"studio"`` style keeps the same scores and parts but
makes them sound produced: the vocals are *sung with words* (:mod:`mssedu.data.voice`:
espeak-ng speech re-sung on the melody by the WORLD vocoder), the drums are *recorded* kits
with velocity layers (:mod:`mssedu.data.drums`), bass and other instruments come from two
sample sets (FluidR3_GM and MuseScore_General), and every stem goes through its own *mixing
chain* (:mod:`mssedu.data.mixing`); ``"sung"`` and ``"sampled"`` are the steps in between.
FluidSynth renders its stems in its own processes while Python sings and drums. Every effect
is applied per stem, so the mixture is still exactly the sum of the stems.

:func:`make_dataset` writes a MUSDB18-HQ-layout folder (``<out>/<subset>/<song>/mixture.wav,
vocals.wav, ...`` plus the song's ``song.mid``) and a ``manifest.json`` describing every song.
:func:`render_midi_stems` renders any MIDI file into stems grouped by instrument family.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import mido
import numpy as np
import soundfile as sf
from tqdm.auto import tqdm

from ..audio import save
from ..errors import check_rate, DataError, MsseduError, ParameterError
from . import Track, drums, mixing, numpy_synth, voice
from .chorales import chorale_ids, load_chorale
from .soundfont import INSTALL_HINT, find_soundfont, fluidsynth_path, instrument_soundfonts, start_renders, wait_renders

__all__ = ["make_dataset", "render_song", "render_midi_stems", "song_spec", "chorale_ids",
           "load_chorale", "find_soundfont", "fluidsynth_path", "VOICE_PROGRAMS", "BACH10_PROGRAMS",
           "STYLES", "style_settings", "instrument_soundfonts", "RENDERERS", "FallbackRendererWarning",
           "choose_renderer", "RENDER_VERSION"]

#: Version of what a rendered song sounds like. :func:`make_dataset` reuses a song folder only
#: when the manifest says it was made with the same spec, sample rate and this version, so
#: raise it whenever a change to the rendering (instruments, voices, the mixing chain) changes
#: the audio: caches made by older code are then rendered again instead of silently reused.
#: (2: the mixing chain on pedalboard, stem loudness relative to the mixture.)
RENDER_VERSION = 2

#: Data styles, for the ablation of :mod:`benchmarks.bench_training_data`: each adds one
#: ingredient to the one before. ``"classic"`` is the first release's data (choir patches,
#: SoundFont drums, FluidSynth's reverb); ``"studio"`` has everything.
STYLES = {
    "classic": {"vocals": "choir", "drums": "gm", "instruments": "fluidr3", "mixing": "fluidsynth"},
    "sung": {"vocals": "sung", "drums": "gm", "instruments": "fluidr3", "mixing": "fluidsynth"},
    "sampled": {"vocals": "sung", "drums": "samples", "instruments": "mixed", "mixing": "fluidsynth"},
    "studio": {"vocals": "sung", "drums": "samples", "instruments": "mixed", "mixing": "chain"},
}
#: ``renderer=`` choices: see the module docstring.
RENDERERS = ("auto", "fluidsynth", "numpy")


class FallbackRendererWarning(UserWarning):
    """A synthetic song is rendered without a tool that is missing (fluidsynth, a SoundFont,
    recorded drum kits, espeak-ng): the song is made, with simpler sounds."""


#: Fallback messages already shown by this process: each is shown once, not once per call or
#: per notebook cell (Python's "default" and "once" actions forget what they showed whenever
#: the warning filters change, which Jupyter does).
_WARNED = set()


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, FallbackRendererWarning, stacklevel=3)


def choose_renderer(renderer: str = "auto", soundfont=None) -> tuple:
    """The renderer that will play the MIDI parts, and its SoundFont.

    Parameters
    ----------
    renderer : {"auto", "fluidsynth", "numpy"}
        ``"fluidsynth"`` needs the program and a SoundFont (else :class:`DataError`);
        ``"numpy"`` needs nothing; ``"auto"`` takes FluidSynth where it can, else numpy with
        one :class:`FallbackRendererWarning` naming what is missing and how to install it.
    soundfont : str, Path or None
        See :func:`find_soundfont`. A file given here that does not exist is an error in
        every mode (it was asked for).

    Returns
    -------
    tuple
        ``("fluidsynth", soundfont_path)`` or ``("numpy", None)``.

    Raises
    ------
    ParameterError
        Unknown ``renderer``.
    DataError
        ``renderer="fluidsynth"`` and fluidsynth or the SoundFont is missing, or ``soundfont``
        does not exist.
    """
    if renderer not in RENDERERS:
        raise ParameterError(f"renderer must be one of {RENDERERS}, got {renderer!r}.")
    if soundfont is not None:
        find_soundfont(soundfont)
    if renderer == "numpy":
        return "numpy", None
    if renderer == "fluidsynth":
        fluidsynth_path()
        return "fluidsynth", find_soundfont(soundfont)
    missing = []
    try:
        fluidsynth_path()
    except DataError:
        missing.append("the fluidsynth program (not on PATH)")
    try:
        font = find_soundfont(soundfont)
    except DataError:
        missing.append("a General-MIDI SoundFont (set MSSEDU_SOUNDFONT to a .sf2 file)")
    if not missing:
        return "fluidsynth", font
    _warn_once("Synthetic songs: " + " and ".join(missing) + " not found, so the instruments are "
               "rendered by mssedu's own numpy synthesizer (mssedu.data.numpy_synth: simpler "
               "sounds, same notes, stems still exact). For the recorded SoundFont instruments: "
               + INSTALL_HINT + " Pass renderer='numpy' to choose the numpy synthesizer without "
               "this warning.")
    return "numpy", None


def _font_name(soundfont) -> str | None:
    """The SoundFont's file name for the spec, or None where none is installed."""
    try:
        return os.path.basename(find_soundfont(soundfont))
    except DataError:
        if soundfont is not None:
            raise
        return None


def style_settings(style) -> dict:
    """The ingredients of a data style.

    Parameters
    ----------
    style : str or dict
        A key of :data:`STYLES`, or a dict with keys ``vocals`` (``"choir"``: General-MIDI voice
        patches; ``"sung"``: :mod:`mssedu.data.voice`), ``drums`` (``"gm"``: the SoundFont's kit;
        ``"samples"``: :mod:`mssedu.data.drums`), ``instruments`` (``"fluidr3"``: one SoundFont;
        ``"mixed"``: each stem's font drawn from FluidR3_GM and MuseScore_General) and
        ``mixing`` (``"fluidsynth"``: FluidSynth's reverb; ``"chain"``: :mod:`mssedu.data.mixing`).

    Returns
    -------
    dict
        The four settings.
    """
    if isinstance(style, str):
        if style not in STYLES:
            raise ParameterError(f"Unknown data style {style!r}; choose one of {sorted(STYLES)}.")
        return dict(STYLES[style])
    allowed = {"vocals": ("choir", "sung"), "drums": ("gm", "samples"), "instruments": ("fluidr3", "mixed"),
               "mixing": ("fluidsynth", "chain")}
    if not isinstance(style, dict) or set(style) != set(allowed):
        raise ParameterError(f"style must be one of {sorted(STYLES)} or a dict with keys {sorted(allowed)}; "
                             f"got {style!r}.")
    for k, v in style.items():
        if v not in allowed[k]:
            raise ParameterError(f"style[{k!r}] must be one of {allowed[k]}, got {v!r}.")
    return dict(style)


# ----------------------------------------------------------------------------------------
# General-MIDI programs (0-based) the generator draws from
# ----------------------------------------------------------------------------------------
#: Voice-like patches for the vocals stem.
VOICE_PROGRAMS = {52: "Choir Aahs", 53: "Voice Oohs", 54: "Synth Voice"}
BASS_PROGRAMS = {32: "Acoustic Bass", 33: "Electric Bass (finger)", 34: "Electric Bass (pick)",
                 35: "Fretless Bass", 38: "Synth Bass 1", 39: "Synth Bass 2", 43: "Contrabass"}
#: "other" instruments by role: sustained chords, rhythmic comping, countermelody.
PAD_PROGRAMS = {16: "Drawbar Organ", 19: "Church Organ", 48: "String Ensemble 1",
                49: "String Ensemble 2", 50: "Synth Strings 1", 61: "Brass Section",
                88: "Pad 1 (new age)", 89: "Pad 2 (warm)", 91: "Pad 4 (choir)" , 94: "Pad 7 (halo)"}
COMP_PROGRAMS = {0: "Acoustic Grand Piano", 1: "Bright Acoustic Piano", 4: "Electric Piano 1",
                 5: "Electric Piano 2", 11: "Vibraphone", 24: "Acoustic Guitar (nylon)",
                 25: "Acoustic Guitar (steel)", 26: "Electric Guitar (jazz)",
                 27: "Electric Guitar (clean)", 29: "Overdriven Guitar", 30: "Distortion Guitar",
                 21: "Accordion", 46: "Orchestral Harp"}
LEAD_PROGRAMS = {73: "Flute", 65: "Alto Sax", 66: "Tenor Sax", 56: "Trumpet", 68: "Oboe",
                 40: "Violin", 80: "Lead 1 (square)", 81: "Lead 2 (sawtooth)", 22: "Harmonica"}
#: Bach10's four instruments, one per chorale voice.
BACH10_PROGRAMS = {"violin": 40, "clarinet": 71, "saxophone": 66, "bassoon": 70}
_BACH10_VOICES = {"violin": "soprano", "clarinet": "alto", "saxophone": "tenor", "bassoon": "bass"}

DRUM_STYLES = ("rock", "halftime", "four_on_floor", "ballad", "pop16")
BASS_STYLES = ("score", "quarters", "eighths", "octaves", "syncopated")
_DRUM = {"kick": 36, "snare": 38, "side": 37, "clap": 39, "hat": 42, "pedal_hat": 44,
         "open_hat": 46, "crash": 49, "ride": 51, "tom_lo": 45, "tom_mid": 47, "tom_hi": 50}

# ----------------------------------------------------------------------------------------
# The song specification: every random choice, from (seed, index)
# ----------------------------------------------------------------------------------------
def _pick(rng, table: dict) -> int:
    keys = sorted(table)
    return int(keys[rng.integers(len(keys))])


def song_spec(seed: int = 0, index: int = 0, seconds: float = 30.0, layout: str = "musdb",
              soundfont=None, style="classic") -> dict:
    """Draw every random choice of synthetic song ``index`` of a dataset seeded ``seed``.

    The result is a JSON-able dict (it goes into ``manifest.json``): score id and start bar,
    tempo, transposition, instruments with their pan/reverb, playing styles, stem gains.

    Parameters
    ----------
    seed : int
        The dataset's seed.
    index : int
        The song's number in the dataset.
    seconds : float
        Length of the song.
    layout : {"musdb", "bach10"}
        ``"musdb"``: drums, bass, other, vocals; ``"bach10"``: one stem per voice.
    soundfont : str, Path or None
        Recorded in the spec (see :func:`find_soundfont`).
    style : str or dict
        The data style (:func:`style_settings`). Its draws come from their own random
        stream, so a song's chorale, tempo and parts are the same in every style; a
        ``"classic"`` spec is the first release's spec, unchanged.

    Returns
    -------
    dict
        The song's specification, JSON-able.
    """
    if layout not in ("musdb", "bach10"):
        raise ParameterError(f"layout must be 'musdb' or 'bach10', got {layout!r}.")
    rng = np.random.default_rng([int(seed), int(index), 7])
    ids = chorale_ids()
    for _ in range(50):
        score_id = ids[rng.integers(len(ids))]
        try:
            score = load_chorale(score_id)
            break
        except MsseduError:
            continue
    else:  # pragma: no cover - the corpus has hundreds of SATB chorales
        raise DataError("No four-part chorale found in 50 tries; is music21's corpus complete?")
    bar = score["bar"]
    n_bars = max(1, int((score["end"] - score["start"]) // bar))
    spec = {
        "name": f"synth_{int(seed):04d}_{int(index):05d}",
        "seed": int(seed), "index": int(index), "seconds": float(seconds), "layout": layout,
        "score": score_id, "bar_quarters": bar,
        "start_bar": int(rng.integers(max(1, n_bars - 2))),
        "tempo_bpm": float(np.round(rng.uniform(66, 126) if layout == "musdb" else rng.uniform(60, 96), 1)),
        "transpose": int(rng.integers(-4, 5)),
        "soundfont": _font_name(soundfont),
        "reverb": {"room_size": float(np.round(rng.uniform(0.2, 0.75), 2)),
                   "level": float(np.round(rng.uniform(0.4, 0.9), 2)),
                   "damp": float(np.round(rng.uniform(0.1, 0.6), 2)),
                   "width": float(np.round(rng.uniform(0.5, 1.0), 2))},
        "parts": [],
    }

    def part(stem, role, program, name, voice=None, pan=None, reverb=None, **extra):
        spec["parts"].append({"stem": stem, "role": role, "program": int(program), "instrument": name,
                              "voice": voice,
                              "pan": int(pan if pan is not None else rng.integers(20, 108)),
                              "reverb": int(reverb if reverb is not None else rng.integers(15, 70)),
                              **extra})

    if layout == "bach10":
        pans = rng.permutation([30, 54, 74, 98])
        for (stem, prog), pan in zip(BACH10_PROGRAMS.items(), pans):
            part(stem, "score", prog, stem.capitalize(), voice=_BACH10_VOICES[stem], pan=int(pan))
        spec["gains_db"] = {s: float(np.round(rng.uniform(-3, 3), 2)) for s in BACH10_PROGRAMS}
        return spec

    # vocals: the melody on a voice patch, with expressive pitch
    v_prog = _pick(rng, VOICE_PROGRAMS)
    octave = -12 if rng.random() < 0.4 else 0
    expr = {"vibrato_hz": float(np.round(rng.uniform(4.8, 6.5), 2)),
            "vibrato_cents": float(np.round(rng.uniform(15, 50), 1)),
            "vibrato_delay_s": float(np.round(rng.uniform(0.1, 0.35), 2)),
            "scoop_cents": float(np.round(rng.uniform(0, 80), 1)),
            "legato": float(np.round(rng.uniform(0.8, 0.97), 2)),
            "octave": octave}
    rests = []
    total_bars = int(seconds * spec["tempo_bpm"] / 60 // bar)
    if total_bars >= 4 and rng.random() < 0.6:  # singers breathe: a bar or two of rest
        for _ in range(int(rng.integers(1, 1 + total_bars // 4))):
            b = int(rng.integers(1, total_bars - 1))
            rests.append([b, b + int(rng.integers(1, 3))])
    part("vocals", "lead_voice", v_prog, VOICE_PROGRAMS[v_prog], voice="soprano",
         pan=int(rng.integers(56, 72)), reverb=int(rng.integers(35, 90)), transpose=octave,
         expression=expr, rest_bars=rests)
    if rng.random() < 0.35:  # layered second timbre on the melody
        p2 = _pick(rng, {k: v for k, v in VOICE_PROGRAMS.items() if k != v_prog})
        part("vocals", "lead_voice", p2, VOICE_PROGRAMS[p2], voice="soprano", pan=64,
             reverb=int(rng.integers(35, 90)), transpose=octave, expression=expr, rest_bars=rests,
             velocity_scale=0.6)
    if rng.random() < 0.3:  # backing harmony
        p3 = _pick(rng, VOICE_PROGRAMS)
        part("vocals", "backing_voice", p3, VOICE_PROGRAMS[p3], voice="alto",
             transpose=octave, velocity_scale=0.55,
             expression=dict(expr, vibrato_cents=expr["vibrato_cents"] * 0.6), rest_bars=rests)
    # bass
    b_prog = _pick(rng, BASS_PROGRAMS)
    part("bass", "bass", b_prog, BASS_PROGRAMS[b_prog], voice="bass", pan=int(rng.integers(58, 70)),
         reverb=int(rng.integers(0, 25)), style=str(rng.choice(BASS_STYLES)))
    # drums
    part("drums", "drums", 0, "Standard Kit", pan=64, reverb=int(rng.integers(10, 50)),
         style=str(rng.choice(DRUM_STYLES)), fill_prob=float(np.round(rng.uniform(0.2, 0.7), 2)),
         intro_bars=int(rng.random() < 0.25))
    # other: one chord instrument always, then maybe a pad and a countermelody
    if rng.random() < 0.65:
        c = _pick(rng, COMP_PROGRAMS)
        part("other", "comp", c, COMP_PROGRAMS[c], style=str(rng.choice(["block", "eighths", "arpeggio", "offbeat"])))
    else:
        c = _pick(rng, PAD_PROGRAMS)
        part("other", "pad", c, PAD_PROGRAMS[c])
    if rng.random() < 0.5:
        c = _pick(rng, PAD_PROGRAMS)
        part("other", "pad", c, PAD_PROGRAMS[c], velocity_scale=0.7)
    if rng.random() < 0.3:
        c = _pick(rng, LEAD_PROGRAMS)
        part("other", "counter", c, LEAD_PROGRAMS[c], voice="tenor", transpose=12 * int(rng.integers(0, 2)))
    _draw_style(spec, style_settings(style))
    spec["gains_db"] = {"vocals": float(np.round(rng.uniform(-2, 3), 2)),
                        "bass": float(np.round(rng.uniform(-5, 1), 2)),
                        "drums": float(np.round(rng.uniform(-4, 1), 2)),
                        "other": float(np.round(rng.uniform(-5, 1), 2))}
    return spec


def _draw_style(spec: dict, style: dict) -> None:
    """Add the style's own draws to ``spec`` (nothing for the classic style)."""
    if style == STYLES["classic"]:
        return
    rng = np.random.default_rng([spec["seed"], spec["index"], 13])
    spec["style"] = dict(style)
    if style["vocals"] == "sung":
        spec["singer"] = {"type": str(rng.choice(["male", "female", "child"], p=[0.45, 0.45, 0.10])),
                          "doubles": int(rng.choice([0, 0, 1, 2])), "seed": int(rng.integers(2 ** 31))}
    if style["drums"] == "samples":
        kits = drums.find_kits()
        if not kits:
            _warn_once("Synthetic songs: no recorded (Hydrogen) drum kit was found, so the drums are "
                       "synthesised (mssedu.data.drums.synthetic_kit). For recorded kits: Debian/Ubuntu "
                       "`sudo apt-get install hydrogen-drumkits`; elsewhere install the Hydrogen drum "
                       "machine (hydrogen-music.org) or set MSSEDU_DRUMKITS to a folder of Hydrogen kits.")
        kits = [str(k) for k in kits] or ["synthetic"]
        spec["drum_kit"] = kits[rng.integers(len(kits))]
    if style["instruments"] == "mixed":
        fonts = instrument_soundfonts() or [None]   # None: no SoundFont here (numpy instruments)
        spec["soundfonts"] = {st: fonts[rng.integers(len(fonts))] for st in ("bass", "drums", "other", "vocals")}
    if style["mixing"] == "chain":
        spec["mix"] = {st: mixing.draw_chain(st, rng, spec["tempo_bpm"]) for st in ("vocals", "bass", "drums", "other")}


# ----------------------------------------------------------------------------------------
# From the spec to MIDI events
# ----------------------------------------------------------------------------------------
def _window(score: dict, start_q: float, length_q: float) -> dict:
    """Voices cut to ``[start_q, start_q + length_q)`` (looping the chorale if needed), with
    onsets relative to the window start."""
    period = score["end"] - score["start"]
    period = max(score["bar"], np.ceil(period / score["bar"]) * score["bar"])
    out = {}
    for voice, notes in score["voices"].items():
        res = []
        loop = 0
        while True:
            shift = loop * period
            added = False
            for on, dur, pitch in notes:
                if on < score["start"]:
                    continue  # skip the pickup: windows start on a bar line
                t = on + shift - start_q
                if t + dur <= 0:
                    continue
                if t >= length_q:
                    continue
                added = True
                a, b = max(t, 0.0), min(t + dur, length_q)
                if b > a:
                    res.append((a, b - a, pitch))
            if (score["start"] + (loop + 1) * period) - start_q >= length_q or (loop > 0 and not added):
                break
            loop += 1
        out[voice] = sorted(res)
    return out


def _sounding(notes, t):
    """Pitch sounding at time ``t`` (the last one started at or before ``t``)."""
    best = None
    for on, dur, pitch in notes:
        if on <= t + 1e-6:
            best = pitch
        else:
            break
    return best if best is not None else (notes[0][2] if notes else None)


def _drum_events(style, bars, bar_q, rng, fill_prob, intro_bars):
    """(onset_q, dur_q, note, velocity) for a drum part of ``bars`` bars."""
    beats = int(round(bar_q))
    ev = []

    def hit(t, name, vel):
        ev.append((t, 0.25, _DRUM[name], int(np.clip(vel + rng.normal(0, 7), 20, 127))))

    for b in range(intro_bars, bars):
        t0 = b * bar_q
        fill = (b % 4 == 3) and rng.random() < fill_prob
        if b % 4 == 0 or b == intro_bars:
            hit(t0, "crash", 105)
        for beat in range(beats):
            tb = t0 + beat
            if fill and beat >= beats - 1:
                for k, tom in enumerate(["tom_hi", "tom_mid", "tom_lo", "snare"]):
                    hit(tb + k * 0.25, tom, 95)
                continue
            if style == "rock":
                if beat % 2 == 0:
                    hit(tb, "kick", 105)
                else:
                    hit(tb, "snare", 100)
                if rng.random() < 0.3:
                    hit(tb + 0.5, "kick", 85)
                hit(tb, "hat", 80)
                hit(tb + 0.5, "hat", 65)
            elif style == "halftime":
                if beat == 0:
                    hit(tb, "kick", 108)
                if beat == 2 % beats:
                    hit(tb, "snare", 105)
                if beat == beats - 1 and rng.random() < 0.5:
                    hit(tb + 0.5, "kick", 85)
                for k in range(4):
                    hit(tb + 0.25 * k, "hat", 72 if k == 0 else 55)
            elif style == "four_on_floor":
                hit(tb, "kick", 110)
                if beat % 2 == 1:
                    hit(tb, "clap", 100)
                hit(tb + 0.5, "open_hat", 75)
            elif style == "ballad":
                if beat == 0 or (beat == 2 and beats == 4):
                    hit(tb, "kick", 95)
                if beat % 2 == 1:
                    hit(tb, "side", 85)
                hit(tb, "ride", 70)
            else:  # pop16
                if beat % 2 == 0:
                    hit(tb, "kick", 105)
                    if rng.random() < 0.4:
                        hit(tb + 0.75, "kick", 80)
                else:
                    hit(tb, "snare", 102)
                for k in range(4):
                    hit(tb + 0.25 * k, "hat", 78 if k % 2 == 0 else 52)
    return ev


def _bass_events(style, bass, length_q, rng):
    if style == "score" or not bass:
        return [(on, dur * 0.95, p, 95) for on, dur, p in bass]
    ev = []
    t = 0.0
    while t < length_q - 1e-6:
        p = _sounding(bass, t)
        if style == "quarters":
            ev.append((t, 0.9, p, 100))
            t += 1.0
        elif style == "eighths":
            ev.append((t, 0.45, p, 100 if (t % 1) == 0 else 80))
            t += 0.5
        elif style == "octaves":
            ev.append((t, 0.45, p + (12 if (t % 1) else 0), 100 if (t % 1) == 0 else 85))
            t += 0.5
        else:  # syncopated: dotted quarter + eighth over two beats
            ev.append((t, 1.4, p, 105))
            q = _sounding(bass, t + 1.5)
            ev.append((t + 1.5, 0.45, q, 85))
            t += 2.0
    return [e for e in ev if e[0] < length_q]


def _comp_events(style, voices, length_q, rng):
    """Chords from the alto, tenor and soprano (an octave down) in a rhythm pattern."""
    def chord(t):
        ps = [_sounding(voices[v], t) for v in ("tenor", "alto", "soprano")]
        ps = [p for p in ps if p is not None]
        if ps:
            ps[-1] -= 12  # soprano an octave down, beneath the vocal line
        return sorted(set(ps))

    ev = []
    if style == "block":
        t = 0.0
        while t < length_q - 1e-6:
            for p in chord(t):
                ev.append((t, 0.95, p, 80))
            t += 1.0
    elif style == "eighths":
        t = 0.0
        while t < length_q - 1e-6:
            for p in chord(t):
                ev.append((t, 0.4, p, 78 if (t % 1) == 0 else 62))
            t += 0.5
    elif style == "offbeat":
        t = 0.5
        while t < length_q - 1e-6:
            for p in chord(t):
                ev.append((t, 0.35, p, 80))
            t += 1.0
    else:  # arpeggio in sixteenths
        t, k = 0.0, 0
        while t < length_q - 1e-6:
            c = chord(t)
            if c:
                seq = c + [c[0] + 12]
                ev.append((t, 0.3, seq[k % len(seq)], 72 if k % 4 == 0 else 58))
            t += 0.25
            k += 1
    return ev


def song_midi(spec: dict):
    """The song described by ``spec`` as a :class:`mido.MidiFile` (one track and one channel
    per part, drums on channel 10) and the channel -> stem map."""
    rng = np.random.default_rng([spec["seed"], spec["index"], 11])
    score = load_chorale(spec["score"])
    bpm = spec["tempo_bpm"]
    bar_q = spec["bar_quarters"]
    length_q = spec["seconds"] * bpm / 60.0
    start_q = score["start"] + spec["start_bar"] * bar_q
    voices = _window(score, start_q, length_q)
    tr = spec["transpose"]
    tpq = 480
    q_per_s = bpm / 60.0

    mid = mido.MidiFile(type=1, ticks_per_beat=tpq)
    meta = mido.MidiTrack()
    meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0))
    meta.append(mido.MetaMessage("time_signature", numerator=int(round(bar_q)), denominator=4, time=0))
    meta.append(mido.MetaMessage("end_of_track", time=int((length_q + 2 * q_per_s) * tpq)))
    mid.tracks.append(meta)
    channel_stems = {}
    free = [c for c in range(16) if c != 9]
    n_bars = int(np.ceil(length_q / bar_q))
    for part in spec["parts"]:
        ch = 9 if part["role"] == "drums" else free.pop(0)
        channel_stems[ch] = part["stem"]
        scale = part.get("velocity_scale", 1.0)
        events = []  # (time_q, kind, a, b) kind: note (pitch, vel, dur) / bend / cc
        if part["role"] == "drums":
            notes = _drum_events(part["style"], n_bars, bar_q, rng, part["fill_prob"], part["intro_bars"])
        elif part["role"] == "bass":
            bass = [(on, d, _fit(p + tr - 12, 28, 55)) for on, d, p in voices["bass"]]
            notes = _bass_events(part["style"], bass, length_q, rng)
        elif part["role"] == "comp":
            v = {k: [(on, d, p + tr) for on, d, p in vals] for k, vals in voices.items()}
            notes = _comp_events(part["style"], v, length_q, rng)
        elif part["role"] == "pad":
            notes = [(on, d, p + tr, 70) for voice in ("alto", "tenor") for on, d, p in voices[voice]]
        else:  # score, counter, voices
            shift = tr + part.get("transpose", 0)
            notes = [(on, d, p + shift, 90) for on, d, p in voices[part["voice"]]]
        if part.get("rest_bars"):
            notes = [n for n in notes if not any(a * bar_q <= n[0] < b * bar_q for a, b in part["rest_bars"])]
        expr = part.get("expression")
        if expr:
            notes = [(on, d * expr["legato"] if d > 0.5 else d * 0.92, p, v) for on, d, p, v in notes]
        notes = [(on + rng.normal(0, 0.004) * q_per_s if part["role"] != "score" else on, d, p,
                  int(np.clip(v * scale + rng.normal(0, 6), 15, 127))) for on, d, p, v in notes]
        msgs = [(0.0, 0, mido.Message("control_change", channel=ch, control=c, value=val))
                for c, val in ((7, 100), (10, part["pan"]), (91, part["reverb"]), (93, 0 if part["role"] != "pad" else 40),
                               (101, 0), (100, 0), (6, 2), (38, 0))]  # RPN 0: bend range +-2 semitones
        if ch != 9:
            msgs.append((0.0, 1, mido.Message("program_change", channel=ch, program=part["program"])))
        for on, d, p, v in notes:
            on = max(0.0, on)
            if p is None or not 0 <= p <= 127 or on >= length_q:
                continue
            if expr:
                msgs.extend(_expression(ch, on, d, expr, q_per_s, rng))
            msgs.append((on, 3, mido.Message("note_on", channel=ch, note=int(p), velocity=int(v))))
            msgs.append((min(on + max(d, 0.05), length_q), 2, mido.Message("note_off", channel=ch, note=int(p), velocity=0)))
        msgs.sort(key=lambda m: (m[0], m[1]))
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=f"{part['stem']}: {part['instrument']}", time=0))
        last = 0
        for tq, _, msg in msgs:
            tick = int(round(tq * tpq))
            msg.time = max(0, tick - last)
            last = max(last, tick)
            track.append(msg)
        mid.tracks.append(track)
    return mid, channel_stems


def _fit(p, lo, hi):
    while p < lo:
        p += 12
    while p > hi:
        p -= 12
    return p


def _expression(ch, on_q, dur_q, expr, q_per_s, rng):
    """Pitch-bend (scoop + delayed vibrato) and expression (swell) messages for one sung note.
    Bend range is +-2 semitones: 8192 units = 200 cents."""
    msgs = []
    dur_s = dur_q / q_per_s
    step = 0.015
    rate = expr["vibrato_hz"] * (1 + rng.normal(0, 0.05))
    depth = expr["vibrato_cents"] * (1 + rng.normal(0, 0.15))
    scoop = expr["scoop_cents"] * rng.uniform(0.3, 1.0)
    phase = rng.uniform(0, 2 * np.pi)
    for t in np.arange(0.0, dur_s, step):
        ramp = np.clip((t - expr["vibrato_delay_s"]) / 0.25, 0, 1)
        cents = -scoop * np.exp(-t / 0.05) + ramp * depth * np.sin(2 * np.pi * rate * t + phase)
        bend = int(np.clip(cents / 200 * 8192, -8192, 8191))
        tq = on_q + t * q_per_s
        msgs.append((tq, 1, mido.Message("pitchwheel", channel=ch, pitch=bend)))
        swell = 88 + 30 * np.sin(np.pi * min(t / max(dur_s, 1e-3), 1.0))
        if int(t / step) % 4 == 0:
            msgs.append((tq, 1, mido.Message("control_change", channel=ch, control=11, value=int(np.clip(swell, 0, 127)))))
    return msgs


# ----------------------------------------------------------------------------------------
# Rendering
# ----------------------------------------------------------------------------------------
#: General-MIDI program families -> MUSDB stem, for :func:`render_midi_stems`.
def _musdb_stem_of(program: int, channel: int) -> str:
    if channel == 9:
        return "drums"
    if 32 <= program <= 39:
        return "bass"
    if program in VOICE_PROGRAMS or program == 85:  # 85: Lead 6 (voice)
        return "vocals"
    return "other"


def _read_midi(path):
    path = Path(path)
    if not path.is_file():
        raise DataError(f"No such MIDI file: {path}.")
    try:
        return mido.MidiFile(str(path))
    except Exception as err:
        raise DataError(f"{path} is not a readable MIDI file ({type(err).__name__}: {err}). "
                        "Check that it is a Standard MIDI File (.mid) and not truncated.") from err


def _split_midi(mid, channels):
    """A copy of ``mid`` keeping meta messages and only the channel messages of ``channels``."""
    out = mido.MidiFile(type=mid.type, ticks_per_beat=mid.ticks_per_beat)
    for track in mid.tracks:
        new = mido.MidiTrack()
        carry = 0
        for msg in track:
            if hasattr(msg, "channel") and msg.channel not in channels:
                carry += msg.time
                continue
            new.append(msg.copy(time=msg.time + carry))
            carry = 0
        out.tracks.append(new)
    return out


def _fit_length(out: dict, n) -> dict:
    if n is None:
        n = max(v.shape[-1] for v in out.values())
    for name, v in out.items():
        if v.shape[-1] >= n:
            out[name] = np.ascontiguousarray(v[:, :n])
        else:
            out[name] = np.pad(v, ((0, 0), (0, n - v.shape[-1])))
    return out


def _channel_notes(mid, channels) -> list:
    """``[(onset_s, duration_s, pitch, velocity)]`` of the notes on ``channels``, sorted."""
    t, open_notes, notes = 0.0, {}, []
    for msg in mid:
        t += msg.time
        if msg.type not in ("note_on", "note_off") or msg.channel not in channels:
            continue
        key = (msg.channel, msg.note)
        if msg.type == "note_on" and msg.velocity > 0:
            open_notes[key] = (t, msg.velocity)
        elif key in open_notes:
            on, vel = open_notes.pop(key)
            notes.append((on, t - on, msg.note, vel))
    return sorted(notes)


def _render_parts(mid, groups: dict, sr: int, n, renderer: str, fonts, settings: dict, reverb, seed: int) -> dict:
    """Stems of the channel ``groups`` (stem -> channels) with either renderer. FluidSynth:
    one process per stem, font ``fonts[stem]`` (or ``fonts[None]``), ``settings``; numpy:
    the room ``reverb`` (None: dry)."""
    if renderer == "numpy":
        return numpy_synth.render_midi(mid, groups, sr, None if n is None else n / sr, reverb, seed)
    out = {}
    with tempfile.TemporaryDirectory(prefix="mssedu_render_") as tmp:
        jobs = []
        for name, chans in groups.items():
            mpath = Path(tmp) / f"{name}.mid"
            _split_midi(mid, chans).save(str(mpath))
            font = fonts.get(name) or fonts[None]
            jobs.append((mpath, Path(tmp) / f"{name}.wav", font if os.path.isfile(font) else fonts[None]))
        wait_renders(start_renders(jobs, sr, settings))
        for name, (_, wav, _) in zip(groups, jobs):
            data, _ = sf.read(str(wav), dtype="float32", always_2d=True)
            out[name] = np.ascontiguousarray(data.T)
    return out


def _reverb_settings(reverb) -> dict:
    """FluidSynth's settings for a spec's reverb (None: its defaults), chorus on."""
    settings = {"synth.chorus.active": 1, "synth.reverb.active": 1}
    if reverb:
        settings.update({"synth.reverb.room-size": reverb["room_size"], "synth.reverb.level": reverb["level"],
                         "synth.reverb.damp": reverb["damp"], "synth.reverb.width": reverb["width"]})
    return settings


def render_midi_stems(midi, soundfont=None, sr: int = 44100, seconds: float | None = None,
                      stems=None, reverb: dict | None = None, renderer: str = "auto"):
    """Render a MIDI file (or :class:`mido.MidiFile`) into stems, one FluidSynth run (or one
    numpy rendering) per stem.

    Parameters
    ----------
    midi : path or mido.MidiFile
    soundfont : path or None
        See :func:`find_soundfont`.
    sr : int
    seconds : float or None
        Cut/zero-pad every stem to this length (default: the MIDI file's length).
    stems : dict channel -> stem name, or None
        Which stem each MIDI channel (0-based; 9 is percussion) goes to. ``None`` groups by
        General-MIDI family like MUSDB: channel 10 -> drums, programs 33-40 -> bass, voice
        patches -> vocals, everything else -> other.
    reverb : dict or None
        Reverb settings (``room_size, level, damp, width``); None: FluidSynth's defaults.
    renderer : {"auto", "fluidsynth", "numpy"}
        See :func:`choose_renderer`.

    Returns
    -------
    dict stem -> float32 ``(2, samples)``
        Sum them for the mixture (exact by construction).

    Raises
    ------
    DataError
        Unreadable MIDI, no notes, or ``renderer="fluidsynth"`` and fluidsynth or the
        SoundFont missing.
    """
    sr = check_rate(sr)
    mid = midi if isinstance(midi, mido.MidiFile) else _read_midi(midi)
    renderer, font = choose_renderer(renderer, soundfont)
    if stems is None:
        programs, stems = {}, {}
        for track in mid.tracks:
            for msg in track:
                if msg.type == "program_change":
                    programs.setdefault(msg.channel, msg.program)
                if msg.type == "note_on":
                    stems.setdefault(msg.channel, None)
        stems = {ch: _musdb_stem_of(programs.get(ch, 0), ch) for ch in stems}
    if not stems:
        raise DataError("The MIDI file has no notes to render.")
    groups = {}
    for ch, name in stems.items():
        groups.setdefault(name, set()).add(int(ch))
    n = None if seconds is None else int(round(seconds * sr))
    out = _render_parts(mid, groups, sr, n, renderer, {None: font}, _reverb_settings(reverb),
                        reverb or numpy_synth.DEFAULT_REVERB, 0)
    return _fit_length(out, n)


def render_song(spec: dict, sr: int = 44100, soundfont=None, renderer: str = "auto"):
    """Render the song ``spec`` (see :func:`song_spec`) into a :class:`~mssedu.data.Track`.

    Stems are rendered separately, then each is scaled to a loudness (RMS) of about
    -20 dBFS plus the spec's per-stem gain (a mixing chain levels its stem itself, see
    :func:`mixing.apply_chain`), faded out over the last 50 ms, and the whole song is scaled so the mixture peaks below 0.9. All of these are linear, per stem, so
    the mixture stays exactly the sum of the stems.

    Parameters
    ----------
    spec : dict
        From :func:`song_spec`.
    sr : int
        Sample rate in Hz.
    soundfont : str, Path or None
        See :func:`find_soundfont`.
    renderer : {"auto", "fluidsynth", "numpy"}
        See :func:`choose_renderer`.

    Returns
    -------
    Track
        Mixture and stems ``(2, samples)``, float32; the mixture is exactly their sum.
        ``track.renderer`` says which renderer played the MIDI parts.

    Examples
    --------
    >>> spec = song_spec(seed=0, index=0, seconds=2.0)   # doctest: +SKIP
    >>> track = render_song(spec)                         # doctest: +SKIP
    """
    sr = check_rate(sr)
    renderer, font = choose_renderer(renderer, soundfont)
    mid, channel_stems = song_midi(spec)
    if "style" in spec:
        stems = _render_styled(spec, mid, channel_stems, sr, font, renderer)
    else:
        groups = {}
        for ch, name in channel_stems.items():
            groups.setdefault(name, set()).add(int(ch))
        n = int(round(spec["seconds"] * sr))
        stems = _fit_length(_render_parts(mid, groups, sr, n, renderer, {None: font}, _reverb_settings(spec["reverb"]),
                                          spec["reverb"], _song_seed(spec)), n)
    order = list(BACH10_PROGRAMS) if spec["layout"] == "bach10" else ["vocals", "bass", "drums", "other"]
    stems = {k: stems[k] for k in order if k in stems}
    n = stems[order[0]].shape[-1]
    fade = np.ones(n, dtype=np.float32)
    m = min(n, int(0.05 * sr))
    fade[n - m:] = np.linspace(1, 0, m, dtype=np.float32)
    for k, v in stems.items():
        rms = float(np.sqrt(np.mean(v.astype(np.float64) ** 2)))
        g = 10 ** ((-20 + spec["gains_db"].get(k, 0.0)) / 20) / rms if rms > 1e-7 else 1.0
        if "loudness_db" in spec.get("mix", {}).get(k, {}):   # levelled by its mixing chain already
            g = 1.0
        stems[k] = (v * np.float32(g) * fade).astype(np.float32)
    mixture = np.sum(list(stems.values()), axis=0, dtype=np.float32)
    peak = float(np.max(np.abs(mixture)))
    if peak > 0.9:
        stems = {k: (v * np.float32(0.9 / peak)).astype(np.float32) for k, v in stems.items()}
    mixture = np.sum(list(stems.values()), axis=0, dtype=np.float32)
    track = Track(spec["name"], sr, mixture, stems)
    track.spec = spec
    track.midi = mid
    track.renderer = renderer
    return track


def _song_seed(spec: dict) -> list:
    """The seed of a song's own random draws at render time (drum humanisation)."""
    return [spec["seed"], spec["index"], 17]


def _part_channels(spec: dict) -> dict:
    """Role -> MIDI channels, assigned as :func:`song_midi` does."""
    free = [c for c in range(16) if c != 9]
    out = {}
    for part in spec["parts"]:
        ch = 9 if part["role"] == "drums" else free.pop(0)
        out.setdefault(part["role"], []).append(ch)
    return out


def _can_sing() -> bool:
    """Whether pyworld and espeak-ng are here for the sung vocals (else one warning, and voice patches)."""
    try:
        voice.check_singing()
    except DataError as err:
        _warn_once(f"Synthetic songs: the vocals are played by a voice patch instead of sung with "
                   f"words, because {err}")
        return False
    return True


def _render_styled(spec: dict, mid, channel_stems: dict, sr: int, font, renderer: str) -> dict:
    """Stems of a song with a non-classic style: the MIDI stems (FluidSynth started first, in
    its own processes; or numpy), sung vocals and sampled drums in Python meanwhile, then each
    stem's mixing chain."""
    style = spec["style"]
    n = int(round(spec["seconds"] * sr))
    fluid = dict(channel_stems)
    roles = _part_channels(spec)
    sung = style["vocals"] == "sung" and _can_sing()
    if sung:
        fluid = {c: st for c, st in fluid.items() if st != "vocals"}
    if style["drums"] == "samples":
        fluid = {c: st for c, st in fluid.items() if st != "drums"}
    settings, reverb = _reverb_settings(spec["reverb"]), spec["reverb"]
    if style["mixing"] == "chain":   # the chain adds the room; the instruments are rendered dry
        settings, reverb = {"synth.chorus.active": 0, "synth.reverb.active": 0}, None
    groups = {}
    for ch, name in fluid.items():
        groups.setdefault(name, set()).add(int(ch))
    out = {}
    with ThreadPoolExecutor(max_workers=1) as pool:   # FluidSynth waits in a thread, numpy renders in one
        parts = pool.submit(_render_parts, mid, groups, sr, n, renderer, {None: font, **spec.get("soundfonts", {})},
                            settings, reverb, _song_seed(spec))
        if sung:
            lead = _channel_notes(mid, set(roles.get("lead_voice", [])[:1]))
            backing = _channel_notes(mid, set(roles.get("backing_voice", [])))
            singer = spec["singer"]
            out["vocals"] = voice.sing([(on, d, p) for on, d, p, _ in lead], spec["seconds"], sr,
                                       np.random.default_rng(singer["seed"]), singer["type"],
                                       harmony=[(on, d, p) for on, d, p, _ in backing] or None,
                                       doubles=singer["doubles"])
        if style["drums"] == "samples":
            hits = [(on, p, v) for on, _, p, v in _channel_notes(mid, {9})]
            kit = (drums.synthetic_kit(sr) if spec["drum_kit"] == "synthetic"
                   else drums.load_kit(spec["drum_kit"], sr))
            out["drums"] = drums.render_drums(hits, spec["seconds"], sr, kit, np.random.default_rng(_song_seed(spec)))
        out.update(parts.result())
    out = _fit_length(out, n)
    if style["mixing"] == "chain":
        with ThreadPoolExecutor(max_workers=2) as pool:   # scipy's filters and FFTs release the GIL
            done = {k: pool.submit(mixing.apply_chain, v, sr, spec["mix"][k]) for k, v in out.items()}
            out = {k: f.result() for k, f in done.items()}
    return out


def _fork():
    """Process start method for parallel rendering: fork where available (cheap), else spawn."""
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


def _render_to_folder(spec: dict, folder: Path, sr: int, font, renderer: str) -> None:
    """Render one song and write its stems, mixture and MIDI into ``folder`` (whole files,
    the mixture last, so a half-written song is rendered again next time)."""
    track = render_song(spec, sr=sr, soundfont=font, renderer=renderer)
    folder.mkdir(parents=True, exist_ok=True)
    track.midi.save(str(folder / "song.mid"))
    for k, v in {**track.stems, "mixture": track.mixture}.items():
        save(folder / f"{k}.wav", v, sr, overwrite=True)


def _song_complete(folder: Path, stems) -> bool:
    return all((folder / f"{s}.wav").is_file() for s in ["mixture", *stems])


def make_dataset(out_dir, n_songs: int = 10, seconds: float = 30.0, seed: int = 0, layout: str = "musdb",
                 subset: str = "train", sr: int = 44100, soundfont=None, progress: bool = True,
                 style="classic", workers: int = 1, renderer: str = "auto") -> list:
    """Render ``n_songs`` synthetic multitracks into a MUSDB18-HQ-layout folder.

    Writes ``out_dir/<subset>/<name>/{mixture,vocals,bass,drums,other}.wav`` (float32 wav;
    for ``layout="bach10"``: violin, clarinet, saxophone, bassoon), each song's ``song.mid``,
    and ``out_dir/manifest.json`` with every song's spec (seed, score id, instruments, tempo,
    transposition, gains...). Songs already there, made with the same spec, sample rate and
    :data:`RENDER_VERSION`, are skipped, so a bigger dataset with the same seed extends a
    smaller one; a song made by other settings or older code is rendered again. The folder reads back with :func:`mssedu.data.load_multitrack`
    per song, or with :func:`mssedu.data.musdb_tracks` (``root=out_dir, is_wav=True``).

    Parameters
    ----------
    out_dir : path
    n_songs : int
    seconds : float
        Length of each song.
    seed : int
        Song ``i`` depends only on ``(seed, i)``.
    layout : "musdb" or "bach10"
    subset : str
        Sub-folder (MUSDB18 uses ``train`` and ``test``; use another seed for ``test``).
    sr : int
    soundfont : path or None
        See :func:`find_soundfont`.
    progress : bool
        Show a tqdm progress bar.
    style : str or dict
        The data style (:data:`STYLES`, :func:`style_settings`): ``"classic"`` (choir patches,
        SoundFont drums) up to ``"studio"`` (sung vocals, recorded drums, two SoundFonts, a
        mixing chain per stem). Use one output folder per style.
    workers : int
        Songs rendered at the same time, each in its own process (the result does not
        depend on it).
    renderer : {"auto", "fluidsynth", "numpy"}
        Who plays the MIDI parts (:func:`choose_renderer`): FluidSynth with a SoundFont, or
        the numpy synthesizer that needs no program. ``"auto"`` takes FluidSynth where it is
        installed, else numpy with one warning. The manifest records it per song.

    Returns
    -------
    list of Path
        The song folders, in order.

    Examples
    --------
    >>> folders = make_dataset("/tmp/synth", n_songs=2, seconds=4.0)   # doctest: +SKIP
    >>> from mssedu.data import load_multitrack
    >>> tracks = [load_multitrack(f) for f in folders]                  # doctest: +SKIP
    """
    if int(n_songs) < 1:
        raise ParameterError(f"n_songs must be >= 1, got {n_songs!r}.")
    if seconds is None or float(seconds) <= 0:
        raise ParameterError(f"seconds must be > 0, got {seconds!r}.")
    renderer, font = choose_renderer(renderer, soundfont)
    sr = check_rate(sr)
    out = Path(out_dir).expanduser()
    (out / subset).mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    manifest = {"generator": "mssedu.data.synth", "songs": {}}
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text())
        except ValueError:
            pass
    manifest.setdefault("songs", {})
    stems = list(BACH10_PROGRAMS) if layout == "bach10" else ["vocals", "bass", "drums", "other"]
    if int(workers) < 1:
        raise ParameterError(f"workers must be >= 1, got {workers!r}.")
    folders, todo = [], []
    for i in range(int(n_songs)):
        spec = song_spec(seed, i, seconds, layout, font, style=style)
        folder = out / subset / spec["name"]
        folders.append(folder)
        old = manifest["songs"].get(spec["name"], {})
        entry = json.loads(json.dumps(dict(spec, subset=subset, sr=sr, render_version=RENDER_VERSION)))
        unchanged = {k: v for k, v in old.items() if k != "renderer"} == entry
        if not (unchanged and _song_complete(folder, stems)):
            todo.append((spec, folder))     # new, incomplete, or made by other settings or code
            entry["renderer"] = renderer
        elif "renderer" in old:
            entry["renderer"] = old["renderer"]
        manifest["songs"][spec["name"]] = entry
    pool = ProcessPoolExecutor(int(workers), mp_context=_fork()) if int(workers) > 1 and len(todo) > 1 else None
    try:
        jobs = ([pool.submit(_render_to_folder, spec, folder, sr, font, renderer) for spec, folder in todo] if pool
                else ((_render_to_folder(spec, folder, sr, font, renderer)) for spec, folder in todo))
        for job in tqdm(jobs, total=len(todo), desc="rendering songs", disable=not progress):
            if pool:
                job.result()
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    text = json.dumps(manifest, indent=1)
    if not manifest_path.is_file() or manifest_path.read_text() != text:
        tmp = manifest_path.with_suffix(f".json.{os.getpid()}.tmp")   # one per process: ranks may race
        tmp.write_text(text)
        os.replace(tmp, manifest_path)
    return folders
