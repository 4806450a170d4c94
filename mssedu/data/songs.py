"""The specification of a synthetic song: every random choice (chorale, tempo, instruments,
playing styles, pan, reverb, gains) drawn from ``(seed, index)``, and the data styles.
The draws are tables (programs, ``name: (low, high, decimals)`` ranges) read in a fixed
order, so the same seed always gives the same song."""
from __future__ import annotations

import os

import numpy as np

from ..errors import DataError, MsseduError, ParameterError
from . import drums, mixing
from .chorales import chorale_ids, load_chorale
from .renderers import warn_fallback
from .soundfont import find_soundfont, instrument_soundfonts

__all__ = ["STYLES", "style_settings", "song_spec", "VOICE_PROGRAMS", "BASS_PROGRAMS",
           "PAD_PROGRAMS", "COMP_PROGRAMS", "LEAD_PROGRAMS", "BACH10_PROGRAMS", "DRUM_STYLES",
           "BASS_STYLES"]

#: Data styles, for the ablation of :mod:`benchmarks.bench_training_data`: each adds one
#: ingredient to the one before. ``"classic"`` is the first release's data (choir patches,
#: SoundFont drums, FluidSynth's reverb); ``"studio"`` has everything.
STYLES = {
    "classic": {"vocals": "choir", "drums": "gm", "instruments": "fluidr3", "mixing": "fluidsynth"},
    "sung": {"vocals": "sung", "drums": "gm", "instruments": "fluidr3", "mixing": "fluidsynth"},
    "sampled": {"vocals": "sung", "drums": "samples", "instruments": "mixed", "mixing": "fluidsynth"},
    "studio": {"vocals": "sung", "drums": "samples", "instruments": "mixed", "mixing": "chain"},
}


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


#: Uniform draws of a song, ``name: (low, high, decimals)``, drawn in this order.
_REVERB_DRAWS = {"room_size": (0.2, 0.75, 2), "level": (0.4, 0.9, 2), "damp": (0.1, 0.6, 2),
                 "width": (0.5, 1.0, 2)}
#: The lead voice's expressive pitch: vibrato, scoop into each note, legato.
_EXPRESSION_DRAWS = {"vibrato_hz": (4.8, 6.5, 2), "vibrato_cents": (15, 50, 1),
                     "vibrato_delay_s": (0.1, 0.35, 2), "scoop_cents": (0, 80, 1),
                     "legato": (0.8, 0.97, 2)}
#: Stem gains in dB (MUSDB layout); Bach10 stems get -3..3 dB each.
_GAIN_DRAWS = {"vocals": (-2, 3, 2), "bass": (-5, 1, 2), "drums": (-4, 1, 2), "other": (-5, 1, 2)}
#: Styles of the "comp" role of the other stem.
_COMP_STYLES = ["block", "eighths", "arpeggio", "offbeat"]


def _pick(rng, table: dict) -> int:
    keys = sorted(table)
    return int(keys[rng.integers(len(keys))])


def _uniform(rng, draws: dict) -> dict:
    """One rounded uniform draw per entry of a ``name: (low, high, decimals)`` table."""
    return {k: float(np.round(rng.uniform(lo, hi), d)) for k, (lo, hi, d) in draws.items()}


def _pick_score(rng) -> tuple:
    """A random four-part chorale that loads: ``(score id, score)``."""
    ids = chorale_ids()
    for _ in range(50):
        score_id = ids[rng.integers(len(ids))]
        try:
            return score_id, load_chorale(score_id)
        except MsseduError:
            continue
    # pragma: no cover - the corpus has hundreds of SATB chorales
    raise DataError("No four-part chorale found in 50 tries; is music21's corpus complete?")


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

    Examples
    --------
    >>> from mssedu.data.songs import song_spec
    >>> spec = song_spec(seed=3, index=5, seconds=10.0)
    >>> spec["name"], sorted({p["stem"] for p in spec["parts"]})
    ('synth_0003_00005', ['bass', 'drums', 'other', 'vocals'])
    >>> spec == song_spec(seed=3, index=5, seconds=10.0)      # a function of (seed, index)
    True
    """
    if layout not in ("musdb", "bach10"):
        raise ParameterError(f"layout must be 'musdb' or 'bach10', got {layout!r}.")
    rng = np.random.default_rng([int(seed), int(index), 7])   # every draw below, in order
    score_id, score = _pick_score(rng)
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
        "reverb": _uniform(rng, _REVERB_DRAWS),
        "parts": [],
    }

    def part(stem, role, program, name, voice=None, pan=None, reverb=None, **extra):
        # pan and reverb are drawn after the arguments (order matters: same seed, same song)
        spec["parts"].append({"stem": stem, "role": role, "program": int(program), "instrument": name,
                              "voice": voice,
                              "pan": int(pan if pan is not None else rng.integers(20, 108)),
                              "reverb": int(reverb if reverb is not None else rng.integers(15, 70)),
                              **extra})

    if layout == "bach10":
        pans = rng.permutation([30, 54, 74, 98])
        for (stem, prog), pan in zip(BACH10_PROGRAMS.items(), pans):
            part(stem, "score", prog, stem.capitalize(), voice=_BACH10_VOICES[stem], pan=int(pan))
        spec["gains_db"] = _uniform(rng, {s: (-3, 3, 2) for s in BACH10_PROGRAMS})
        return spec
    _vocal_parts(rng, part, int(seconds * spec["tempo_bpm"] / 60 // bar))
    _band_parts(rng, part)
    _draw_style(spec, style_settings(style))
    spec["gains_db"] = _uniform(rng, _GAIN_DRAWS)
    return spec


def _vocal_parts(rng, part, total_bars: int) -> None:
    """The vocals: the melody on a voice patch with expressive pitch and breaths, maybe
    doubled by a second timbre and joined by a backing harmony."""
    v_prog = _pick(rng, VOICE_PROGRAMS)
    octave = -12 if rng.random() < 0.4 else 0                 # sung an octave lower
    expr = dict(_uniform(rng, _EXPRESSION_DRAWS), octave=octave)
    rests = []
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


def _band_parts(rng, part) -> None:
    """Bass, drums, and the other stem: one chord instrument always (comping or a pad), then
    maybe a second pad and a countermelody."""
    b_prog = _pick(rng, BASS_PROGRAMS)
    part("bass", "bass", b_prog, BASS_PROGRAMS[b_prog], voice="bass", pan=int(rng.integers(58, 70)),
         reverb=int(rng.integers(0, 25)), style=str(rng.choice(BASS_STYLES)))
    part("drums", "drums", 0, "Standard Kit", pan=64, reverb=int(rng.integers(10, 50)),
         style=str(rng.choice(DRUM_STYLES)), fill_prob=float(np.round(rng.uniform(0.2, 0.7), 2)),
         intro_bars=int(rng.random() < 0.25))
    if rng.random() < 0.65:
        c = _pick(rng, COMP_PROGRAMS)
        part("other", "comp", c, COMP_PROGRAMS[c], style=str(rng.choice(_COMP_STYLES)))
    else:
        c = _pick(rng, PAD_PROGRAMS)
        part("other", "pad", c, PAD_PROGRAMS[c])
    if rng.random() < 0.5:
        c = _pick(rng, PAD_PROGRAMS)
        part("other", "pad", c, PAD_PROGRAMS[c], velocity_scale=0.7)
    if rng.random() < 0.3:
        c = _pick(rng, LEAD_PROGRAMS)
        part("other", "counter", c, LEAD_PROGRAMS[c], voice="tenor", transpose=12 * int(rng.integers(0, 2)))


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
            warn_fallback("Synthetic songs: no recorded (Hydrogen) drum kit was found, so the drums are "
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
