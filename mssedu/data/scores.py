"""From a song's specification to MIDI: the chorale's window, generated drum, bass and
comping parts, and the vocals' expression (:func:`song_midi`)."""
from __future__ import annotations

import mido
import numpy as np

from .chorales import load_chorale

__all__ = ["song_midi"]

#: General-MIDI percussion keys (channel 10) the drum patterns use.
_DRUM = {"kick": 36, "snare": 38, "side": 37, "clap": 39, "hat": 42, "pedal_hat": 44,
         "open_hat": 46, "crash": 49, "ride": 51, "tom_lo": 45, "tom_mid": 47, "tom_hi": 50}


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
    """The song described by ``spec`` as MIDI: one track and one channel per part, drums on
    channel 10, with the draws of its own random stream (humanised timing, velocities, fills).

    Parameters
    ----------
    spec : dict
        A song's specification (:func:`mssedu.data.songs.song_spec`).

    Returns
    -------
    mid : mido.MidiFile
        The song, type 1.
    channel_stems : dict
        MIDI channel (0-based) -> the stem it belongs to.
    """
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
    for part in spec["parts"]:      # in order: each part's random draws follow the last one's
        ch = 9 if part["role"] == "drums" else free.pop(0)
        channel_stems[ch] = part["stem"]
        notes = _part_notes(part, voices, tr, n_bars, bar_q, length_q, q_per_s, rng)
        mid.tracks.append(_part_track(part, ch, notes, length_q, q_per_s, tpq, rng))
    return mid, channel_stems


def _part_notes(part, voices, tr, n_bars, bar_q, length_q, q_per_s, rng) -> list:
    """A part's notes ``(onset_q, duration_q, pitch, velocity)``: generated by its role,
    with its rests, legato and a human's small timing and velocity errors."""
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
    scale = part.get("velocity_scale", 1.0)
    return [(on + rng.normal(0, 0.004) * q_per_s if part["role"] != "score" else on, d, p,
             int(np.clip(v * scale + rng.normal(0, 6), 15, 127))) for on, d, p, v in notes]


def _part_track(part, ch, notes, length_q, q_per_s, tpq, rng):
    """One part as a :class:`mido.MidiTrack` on channel ``ch``: its mixer settings, program,
    notes and (for a voice) pitch expression."""
    expr = part.get("expression")
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
    msgs.sort(key=lambda m: (m[0], m[1]))     # by time; at equal times: cc, program, off, on
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=f"{part['stem']}: {part['instrument']}", time=0))
    last = 0
    for tq, _, msg in msgs:
        tick = int(round(tq * tpq))
        msg.time = max(0, tick - last)
        last = max(last, tick)
        track.append(msg)
    return track


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
