r"""Instruments without a sampler: MIDI parts rendered by additive synthesis in numpy.

The synthetic songs (:mod:`mssedu.data.synth`) are best rendered by FluidSynth with a
General-MIDI SoundFont (recorded instruments). Where the ``fluidsynth`` program or a SoundFont
is missing (a Windows or macOS laptop, a bare JupyterHub), this module renders the same MIDI
with nothing but numpy and scipy: simpler timbres, the same notes, and the same guarantee that
each stem is rendered on its own, so the mixture is exactly the sum of the stems.

**A note** of fundamental frequency :math:`f_0 = 440 \cdot 2^{(p - 69)/12}` Hz (MIDI pitch
:math:`p`) is a sum of harmonics (additive synthesis; Risset & Mathews, 1969),

.. math::  s(t) = v^{1.6}\, e(t) \sum_{h=1}^{K} \big[(1 - b(t))\, d_h + b(t)\, a_h\big]
           \sin\big(2\pi h \phi(t)\big), \qquad \phi(t) = \int_0^t f_0\, 2^{c(\tau)/1200}\, d\tau ,

with :math:`v` the velocity (0-1), :math:`e(t)` an attack-decay-sustain-release envelope,
:math:`c(t)` the channel's pitch bend in cents (vibrato, scoops), and two spectra: a bright
one :math:`a_h` at the attack and a dark one :math:`d_h` it fades to, :math:`b(t) = e^{-t/\tau_b}`
(a struck or plucked string loses its upper harmonics first — the effect a subtractive synth
gets from a closing low-pass filter). Only harmonics below :math:`0.45 f_s` are kept
(:math:`K \le 0.45 f_s / f_0`), so nothing aliases. Each spectrum is computed once per
timbre and harmonic count as one period of a wavetable (an inverse FFT), and a note reads it
at the phase :math:`\phi(t)` with linear interpolation: a few numpy operations per sample.

**Timbres** (:data:`TIMBRES`, chosen from the General-MIDI program by :func:`timbre_of`):
``piano``, ``pluck`` (guitars, harp), ``mallet`` (vibraphone), ``organ`` (drawbar
harmonics 1, 2, 3, 4, 6, 8), ``bass``, ``synth_bass``, ``strings``, ``brass``, ``reed``,
``clarinet`` (odd harmonics), ``flute``, ``square``, ``saw``, ``pad`` and ``voice`` (a
glottal spectrum :math:`h^{-2}` through the formants of an "ah": 730, 1090, 2440 Hz).

**Drums** (MIDI channel 10) are played by :func:`mssedu.data.drums.render_drums` on
:func:`mssedu.data.drums.synthetic_kit`. **Space**: each channel is panned with an
equal-power law from its pan controller (CC 10), scaled by its volume (CC 7) and expression
(CC 11), and sends (CC 91) to the stem's own room: a stereo impulse response of exponentially
decaying, low-passed noise (Moorer, 1979), so the reverb of a stem belongs to that stem.
"""
from __future__ import annotations

import functools

import mido
import numpy as np
from scipy import fft as sfft
from scipy.signal import butter, sosfilt

from ..checks import check_rate
from ..errors import ParameterError
from .drums import render_drums, synthetic_kit

__all__ = ["TIMBRES", "DEFAULT_REVERB", "timbre_of", "harmonic_amplitudes", "midi_parts", "render_note",
           "room_impulse", "render_midi"]

#: Timbres: spectra ``bright``/``dark`` as ``a_h = h^-slope`` (or ``partials`` {h: a_h}),
#: ``odd`` (odd harmonics only), ``formants`` [(Hz, bandwidth Hz, gain)], the envelope
#: (``attack``, ``decay`` and ``release`` in seconds, ``sustain`` level 0-1) and ``bright_tau``
#: (seconds from the bright to the dark spectrum; None: always bright).
TIMBRES = {
    "piano": {"bright": 0.9, "dark": 2.6, "attack": 0.002, "decay": 1.1, "sustain": 0.0, "release": 0.12, "bright_tau": 0.3},
    "pluck": {"bright": 0.8, "dark": 3.0, "attack": 0.002, "decay": 0.7, "sustain": 0.0, "release": 0.08, "bright_tau": 0.07},
    "mallet": {"partials": {1: 1.0, 4: 0.2, 10: 0.04}, "attack": 0.002, "decay": 1.4, "sustain": 0.0, "release": 0.2},
    "organ": {"partials": {1: 1.0, 2: 0.8, 3: 0.55, 4: 0.45, 6: 0.3, 8: 0.25}, "attack": 0.008, "decay": 1.0,
              "sustain": 1.0, "release": 0.06},
    "bass": {"bright": 1.3, "dark": 3.2, "attack": 0.004, "decay": 0.9, "sustain": 0.35, "release": 0.05, "bright_tau": 0.1},
    "synth_bass": {"bright": 1.0, "dark": 2.6, "attack": 0.003, "decay": 0.35, "sustain": 0.6, "release": 0.04,
                   "bright_tau": 0.12},
    "strings": {"bright": 1.1, "attack": 0.12, "decay": 1.0, "sustain": 1.0, "release": 0.3},
    "brass": {"bright": 1.0, "dark": 1.8, "attack": 0.04, "decay": 0.6, "sustain": 0.8, "release": 0.1, "bright_tau": 0.4},
    "reed": {"bright": 1.2, "attack": 0.03, "decay": 1.0, "sustain": 1.0, "release": 0.08},
    "clarinet": {"bright": 1.1, "odd": True, "attack": 0.03, "decay": 1.0, "sustain": 1.0, "release": 0.08},
    "flute": {"partials": {1: 1.0, 2: 0.25, 3: 0.08, 4: 0.03}, "attack": 0.06, "decay": 1.0, "sustain": 1.0, "release": 0.1},
    "square": {"bright": 1.0, "odd": True, "attack": 0.005, "decay": 0.5, "sustain": 0.85, "release": 0.06},
    "saw": {"bright": 1.0, "attack": 0.005, "decay": 0.5, "sustain": 0.85, "release": 0.06},
    "pad": {"bright": 2.0, "attack": 0.35, "decay": 1.0, "sustain": 1.0, "release": 0.6},
    "voice": {"bright": 2.0, "formants": [(730.0, 90.0, 1.0), (1090.0, 110.0, 0.5), (2440.0, 160.0, 0.3)],
              "attack": 0.06, "decay": 1.0, "sustain": 1.0, "release": 0.12},
}
#: The room used where no reverb settings are given (FluidSynth's defaults).
DEFAULT_REVERB = {"room_size": 0.2, "level": 0.9, "damp": 0.0, "width": 0.5}
_TABLE = 2048            # wavetable length (a power of two)
_MAX_HARMONICS = 40
_GAIN = 0.2              # overall level, like FluidSynth's -g 0.5


def timbre_of(program: int) -> str:
    """The timbre (a key of :data:`TIMBRES`) that plays a General-MIDI program.

    Parameters
    ----------
    program : int
        0-based General-MIDI program number (0 Acoustic Grand Piano ... 127).

    Returns
    -------
    str
        A key of :data:`TIMBRES`.

    Examples
    --------
    >>> timbre_of(0), timbre_of(33), timbre_of(52), timbre_of(19)
    ('piano', 'bass', 'voice', 'organ')
    """
    p = int(program)
    if not 0 <= p <= 127:
        raise ParameterError(f"program must be a General-MIDI program 0-127, got {program!r}.")
    special = {52: "voice", 53: "voice", 54: "voice", 85: "voice", 38: "synth_bass", 39: "synth_bass",
               45: "pluck", 46: "pluck", 47: "mallet", 71: "clarinet", 80: "square", 81: "saw",
               22: "reed", 55: "brass"}
    if p in special:
        return special[p]
    return ("piano", "mallet", "organ", "pluck", "bass", "strings", "strings", "brass", "reed", "flute",
            "saw", "pad", "pad", "pluck", "mallet", "mallet")[p // 8]


def harmonic_amplitudes(timbre: str, f0: float, sr: int, spectrum: str = "bright") -> np.ndarray:
    """The harmonic amplitudes :math:`a_h` of a timbre's note at ``f0``, band-limited to
    :math:`0.45 f_s` and scaled to unit RMS (so that timbres sound about equally loud).

    Parameters
    ----------
    timbre : str
        A key of :data:`TIMBRES`.
    f0 : float
        Fundamental frequency in Hz.
    sr : int
        Sample rate in Hz.
    spectrum : {"bright", "dark"}
        The attack's spectrum or the one it decays to (the same for timbres with no ``dark``).

    Returns
    -------
    numpy.ndarray
        ``(K,)`` float64, amplitude of harmonic ``h = 1..K`` (at least one harmonic).
    """
    if timbre not in TIMBRES:
        raise ParameterError(f"Unknown timbre {timbre!r}; choose one of {sorted(TIMBRES)}.")
    if spectrum not in ("bright", "dark"):
        raise ParameterError(f"spectrum must be 'bright' or 'dark', got {spectrum!r}.")
    spec = TIMBRES[timbre]
    k = int(max(1, min(_MAX_HARMONICS, 0.45 * sr // max(float(f0), 1e-3))))
    h = np.arange(1, k + 1, dtype=np.float64)
    if "partials" in spec:
        a = np.array([spec["partials"].get(int(i), 0.0) for i in h])
    else:
        slope = spec.get(spectrum, spec["bright"]) if spectrum == "dark" else spec["bright"]
        a = h ** -slope
        if spec.get("odd"):
            a[1::2] *= 0.05
    if "formants" in spec:   # the vocal tract: resonances at the formants, over a floor
        f = h * f0
        a = a * (0.35 + sum(g / (1 + ((f - fc) / bw) ** 2) for fc, bw, g in spec["formants"]))
    rms = np.sqrt(np.sum(a ** 2) / 2)
    return a / (rms if rms > 0 else 1.0)


@functools.lru_cache(maxsize=1024)
def _wavetable(timbre: str, f0_key: float, sr: int, spectrum: str) -> np.ndarray:
    """One period of the note's waveform, ``_TABLE + 1`` samples (the last repeats the first)."""
    a = harmonic_amplitudes(timbre, f0_key, sr, spectrum)
    half = np.zeros(_TABLE // 2 + 1, dtype=np.complex128)
    half[1:len(a) + 1] = -1j * a * (_TABLE / 2)     # sum_h a_h sin(2 pi h phase)
    table = np.fft.irfft(half, n=_TABLE)
    return np.append(table, table[0])


def render_note(timbre: str, pitch: float, duration: float, velocity: int, sr: int,
                bend=None, onset: float = 0.0) -> np.ndarray:
    """One note of a timbre, mono (see the module's formula).

    Parameters
    ----------
    timbre : str
        A key of :data:`TIMBRES`.
    pitch : float
        MIDI pitch (69 = A4 = 440 Hz).
    duration : float
        Seconds from note-on to note-off; the release follows.
    velocity : int
        MIDI velocity 1-127.
    sr : int
        Sample rate in Hz.
    bend : (times, cents) or None
        The channel's pitch bend: event times in seconds (song time) and cents.
    onset : float
        The note's start in song time (to read ``bend`` at the right place).

    Returns
    -------
    numpy.ndarray
        float64, ``round((duration + release) * sr)`` samples.
    """
    spec = TIMBRES[timbre]
    f0 = 440.0 * 2.0 ** ((float(pitch) - 69) / 12)
    n = max(1, int(round((max(duration, 0.0) + spec["release"]) * sr)))
    t = np.arange(n) / sr
    if bend is not None:
        inc = f0 * np.exp2(np.interp(onset + t, bend[0], bend[1]) / 1200) / sr
        phase = np.cumsum(inc) - inc[0]
    else:
        phase = t * f0
    pos = (phase - np.floor(phase)) * _TABLE
    i = pos.astype(np.int64)
    frac = pos - i
    bright = _wavetable(timbre, round(f0, 3), sr, "bright")
    x = bright[i] + frac * (bright[i + 1] - bright[i])
    if spec.get("bright_tau"):
        dark = _wavetable(timbre, round(f0, 3), sr, "dark")
        y = dark[i] + frac * (dark[i + 1] - dark[i])
        x = y + np.exp(-t / spec["bright_tau"]) * (x - y)
    decay = spec["decay"] * (261.6 / f0) ** 0.3 if spec["sustain"] == 0 else spec["decay"]
    env = spec["sustain"] + (1 - spec["sustain"]) * np.exp(-t / decay)
    env *= np.minimum(t / spec["attack"], 1.0)
    held = int(round(max(duration, 0.0) * sr))
    if held < n:     # the release: a linear fade to zero after note-off
        env[held:] *= np.linspace(1.0, 0.0, n - held)
    return x * env * (np.clip(velocity, 1, 127) / 127.0) ** 1.6


def _timed_messages(mid) -> list:
    """``[(seconds, message)]`` of the channel messages of every track in playing order (by
    time, ties in track order, as ``mido``'s own merge), read through the tempo map without
    copying every message."""
    tempos = []
    timed = []
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append((tick, msg.tempo))
            elif not msg.is_meta:
                timed.append((tick, msg))
    tempos.sort(key=lambda x: x[0])
    if not tempos or tempos[0][0] > 0:
        tempos.insert(0, (0, 500_000))                 # MIDI's default: 120 bpm
    ticks = np.array([tk for tk, _ in tempos])
    per_tick = np.array([tempo for _, tempo in tempos]) / 1e6 / mid.ticks_per_beat
    starts = np.concatenate([[0.0], np.cumsum(np.diff(ticks) * per_tick[:-1])])
    timed.sort(key=lambda x: x[0])                     # stable: ties keep track order
    at = np.array([tk for tk, _ in timed], dtype=np.float64)
    k = np.searchsorted(ticks, at, side="right") - 1
    seconds = starts[k] + (at - ticks[k]) * per_tick[k]
    return [(float(sec), msg) for sec, (_, msg) in zip(seconds, timed)]


def midi_parts(mid) -> dict:
    """What each MIDI channel plays: notes with their program, and its controllers.

    Parameters
    ----------
    mid : mido.MidiFile
        The song.

    Returns
    -------
    dict
        ``channel -> {"notes": [(onset_s, duration_s, pitch, velocity, program)], "volume",
        "pan", "reverb" (CC 7, 10, 91 at the first note, 0-127), "bend": (times, cents) or
        None, "expression": (times, 0-1) or None}``, for the channels that have notes.
        Pitch bends are read with the General-MIDI range of +-2 semitones.
    """
    if not isinstance(mid, mido.MidiFile):
        raise ParameterError(f"midi_parts needs a mido.MidiFile, got {type(mid).__name__}.")
    state = {}
    t = 0.0
    for t, msg in _timed_messages(mid):
        if not hasattr(msg, "channel"):
            continue
        ch = state.setdefault(msg.channel, {"notes": [], "open": {}, "program": 0, "cc": {7: 100, 10: 64, 91: 40},
                                            "first": None, "bend": [], "expression": []})
        if msg.type == "program_change":
            ch["program"] = msg.program
        elif msg.type == "control_change":
            if msg.control == 11:
                ch["expression"].append((t, msg.value / 127.0))
            elif ch["first"] is None:
                ch["cc"][msg.control] = msg.value
        elif msg.type == "pitchwheel":
            ch["bend"].append((t, msg.pitch / 8192.0 * 200.0))
        elif msg.type == "note_on" and msg.velocity > 0:
            ch["open"].setdefault(msg.note, []).append((t, msg.velocity, ch["program"]))
            if ch["first"] is None:
                ch["first"] = dict(ch["cc"])
        elif msg.type in ("note_on", "note_off") and ch["open"].get(msg.note):
            on, vel, prog = ch["open"][msg.note].pop(0)
            ch["notes"].append((on, t - on, msg.note, vel, prog))
    out = {}
    for c, ch in sorted(state.items()):
        for note, opened in ch["open"].items():     # notes never switched off end with the song
            ch["notes"] += [(on, max(t - on, 0.05), note, vel, prog) for on, vel, prog in opened]
        if not ch["notes"]:
            continue
        cc = ch["first"] or ch["cc"]
        curve = lambda ev: (np.array([e[0] for e in ev]), np.array([e[1] for e in ev])) if ev else None  # noqa: E731
        out[c] = {"notes": sorted(ch["notes"]), "volume": cc.get(7, 100), "pan": cc.get(10, 64),
                  "reverb": cc.get(91, 40), "bend": curve(ch["bend"]), "expression": curve(ch["expression"])}
    return out


@functools.lru_cache(maxsize=32)
def room_impulse(sr: int, room_size: float, damp: float, width: float) -> np.ndarray:
    r"""A stereo room: exponentially decaying noise, low-passed, with a 12-ms pre-delay, cut
    where it has decayed by 42 dB (at :math:`0.7\,T_{60}`).

    The decay time grows with the room, :math:`T_{60} = 0.3 + 2.2\,r` seconds
    (:math:`r` = ``room_size`` in 0-1), the envelope is :math:`e^{-6.91\,t/T_{60}}` (-60 dB at
    :math:`T_{60}`), ``damp`` lowers the cutoff (12.5 kHz at 0, 2 kHz at 1), and ``width``
    mixes independent noise into the right channel (0: mono, 1: fully decorrelated). The noise
    is seeded: the same settings give the same room.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    room_size, damp, width : float
        In [0, 1], as FluidSynth's reverb settings.

    Returns
    -------
    numpy.ndarray
        ``(2, samples)`` float64, each channel of unit energy.
    """
    t60 = 0.3 + 2.2 * float(np.clip(room_size, 0, 1))
    n = int(0.7 * t60 * sr)
    rng = np.random.default_rng(1979)
    noise = rng.standard_normal((2, n))
    w = float(np.clip(width, 0, 1))
    noise[1] = w * noise[1] + (1 - w) * noise[0]
    cutoff = min(12500.0 - 10500.0 * float(np.clip(damp, 0, 1)), 0.45 * sr)
    noise = sosfilt(butter(1, cutoff, "lowpass", fs=sr, output="sos"), noise, axis=-1)
    ir = noise * np.exp(-6.91 * np.arange(n) / sr / t60)
    ir = np.concatenate([np.zeros((2, int(0.012 * sr))), ir], axis=1)
    return ir / np.sqrt(np.sum(ir ** 2, axis=1, keepdims=True))


@functools.lru_cache(maxsize=8)
def _room_spectrum(sr: int, room: tuple, nfft: int) -> np.ndarray:
    """The rfft of :func:`room_impulse` on ``nfft`` points, ``(2, nfft // 2 + 1)`` complex64."""
    return sfft.rfft(room_impulse(sr, *room).astype(np.float32), nfft, axis=-1)


def _channel(part, sr: int, n: int, drum_rng) -> np.ndarray:
    """One channel's dry stereo signal ``(2, n)``."""
    if part.get("drums"):
        hits = [(on, pitch, vel) for on, _, pitch, vel, _ in part["notes"]]
        out = render_drums(hits, n / sr, sr, synthetic_kit(sr), drum_rng).astype(np.float64)
    else:
        mono = np.zeros(n + 1)
        for on, dur, pitch, vel, prog in part["notes"]:
            start = int(round(on * sr))
            if start >= n:
                continue
            x = render_note(timbre_of(prog), pitch, dur, vel, sr, part["bend"], on)[: n - start]
            mono[start:start + len(x)] += x
        mono = mono[:n]
        if part["expression"] is not None:
            mono *= np.interp(np.arange(n) / sr, *part["expression"])
        theta = part["pan"] / 127.0 * np.pi / 2
        out = np.sqrt(2) * np.array([np.cos(theta), np.sin(theta)])[:, None] * mono
    return out * (part["volume"] / 127.0) ** 2


def render_midi(mid, groups: dict, sr: int = 44100, seconds: float | None = None, reverb: dict | None = None,
                seed: int = 0) -> dict:
    """Render MIDI channels into stems with the numpy instruments of this module.

    Parameters
    ----------
    mid : mido.MidiFile
        The song.
    groups : dict
        Stem name -> iterable of 0-based MIDI channels (9 is percussion).
    sr : int
        Sample rate in Hz.
    seconds : float or None
        Length of every stem; ``None``: the MIDI file's length plus 1.5 s for the decays.
    reverb : dict or None
        Room settings ``room_size, level, damp, width`` (as FluidSynth's); each channel sends
        ``CC91 / 127`` of its signal to its stem's room. ``None``: dry (no room).
    seed : int or sequence of int
        Seeds the drums' humanisation (timing, velocity, pan): same seed, same stems.

    Returns
    -------
    dict
        Stem -> float32 ``(2, samples)``; sum them for the mixture (exact by construction).

    Examples
    --------
    >>> import mido
    >>> mid = mido.MidiFile()
    >>> tr = mido.MidiTrack(); mid.tracks.append(tr)
    >>> tr.extend([mido.Message("program_change", program=33), mido.Message("note_on", note=45, velocity=100),
    ...            mido.Message("note_off", note=45, time=480)])
    >>> stems = render_midi(mid, {"bass": [0]}, sr=16000, seconds=1.0)
    >>> stems["bass"].shape, stems["bass"].dtype
    ((2, 16000), dtype('float32'))
    """
    sr = check_rate(sr)
    if seconds is not None and not float(seconds) > 0:
        raise ParameterError(f"seconds must be > 0, got {seconds!r}.")
    length = float(seconds) if seconds is not None else mid.length + 1.5
    n = int(round(length * sr))
    parts = midi_parts(mid)
    if 9 in parts:
        parts[9]["drums"] = True
    room = None
    if reverb:
        room = tuple(round(float(reverb[k]), 3) for k in ("room_size", "damp", "width"))
        nfft = sfft.next_fast_len(n + room_impulse(sr, *room).shape[-1] - 1, real=True)
    out = {}
    for stem, channels in groups.items():
        dry = np.zeros((2, n))
        send = np.zeros(n)
        for c in sorted(set(int(c) for c in channels)):
            if c not in parts:
                continue
            x = _channel(parts[c], sr, n, np.random.default_rng([*np.atleast_1d(seed).astype(int).tolist(), c]))
            dry += x
            send += x.mean(axis=0) * (parts[c]["reverb"] / 127.0)
        if room is not None and np.any(send):   # the room: one FFT of the send, one inverse per side
            spectrum = sfft.rfft(send.astype(np.float32), nfft) * _room_spectrum(sr, room, nfft)
            dry += 0.35 * float(reverb["level"]) * sfft.irfft(spectrum, nfft, axis=-1)[:, :n]
        out[stem] = np.ascontiguousarray(dry * _GAIN, dtype=np.float32)
    return out
