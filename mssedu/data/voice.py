r"""Sung vocals made here: speech from ``espeak-ng``, re-sung on a melody with the WORLD vocoder.

A choir "aah" patch has no consonants, no words and no singer; a separation network trained
on it learns to find a sustained vowel, not a voice. Real vocals are speech sounds stretched
onto notes. This module makes such a stem in three steps:

1. **Speak.** ``espeak-ng`` (formant speech synthesis) reads a line of made-up lyrics with one
   of its voices: consonants, breaths and word rhythm come from the speech.
2. **Analyse.** WORLD (Morise, Yokomori & Ozawa, 2016) splits the speech into a fundamental
   frequency :math:`F_0(t)` (DIO + StoneMask), a smooth spectral envelope :math:`H(t, f)`
   (CheapTrick: the timbre and the vowel formants) and an aperiodicity :math:`A(t, f)`
   (D4C: how noisy each band is; consonants are almost all noise).
3. **Sing.** A new time axis stretches each voiced stretch (a vowel) to last until the next
   note, while consonants keep their spoken length; a new :math:`F_0` follows the notes,

   .. math::  f_0(t) = 440 \cdot 2^{(p(t) - 69)/12 + c(t)/1200},

   where :math:`p(t)` is the note's MIDI pitch and :math:`c(t)` (in cents) adds a *scoop*
   into the note (:math:`-c_s e^{-t/\tau}`), *portamento* between legato notes, a *vibrato*
   of 4.5-7 Hz and 15-60 cents fading in after the onset, and a slow random drift. The
   envelope is warped in frequency, :math:`H'(f) = H(f/\alpha)`, which moves the formants
   by :math:`\alpha` (about 0.9 for a darker, "male" singer, 1.15 for a "child"); WORLD
   synthesises the result.

Doubles (the lead sung again, a few milliseconds late and a few cents off) and a harmony line
on the same lyrics make the backing vocals; phrase-level dynamics and a breath before each
phrase finish the stem. Everything is seeded: the same generator gives the same singer.

Requirements (both optional): the ``espeak-ng`` program and the ``pyworld`` package (the extra
``mssedu[voices]``; it has wheels for Windows only, elsewhere pip compiles it, which needs a C++
compiler). :func:`check_singing` says what is missing and how to get it on this system; without
them the synthetic songs play the melody on a General-MIDI voice patch instead.
"""
from __future__ import annotations

import io
import shutil
import subprocess
import sys
import warnings

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from ..errors import DataError, ParameterError
from ..extras import install_line

# pyworld's __init__ imports the deprecated pkg_resources; that one warning says nothing to a user
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
try:
    import pyworld
except ImportError:   # the optional extra mssedu[voices] is not installed
    pyworld = None

__all__ = ["SINGERS", "WORLD_SR", "espeak_path", "check_singing", "speak", "lyrics_line",
           "sing_phrase", "sing"]

#: The rate WORLD works at (espeak-ng speaks at 22.05 kHz); the stem is resampled after.
WORLD_SR = 22050
#: Singer types: espeak-ng voice variants, formant warp range and a comfortable MIDI range.
SINGERS = {
    "male": {"voices": ("en-us+m1", "en-us+m3", "en-gb+m2", "en-us+m7", "de+m3", "it+m1"),
             "formant": (0.86, 0.98), "range": (45, 67)},
    "female": {"voices": ("en-us+f1", "en-us+f3", "en-gb+f2", "en-us+f4", "es+f2", "fr+f3"),
               "formant": (1.02, 1.14), "range": (57, 79)},
    "child": {"voices": ("en-us+f5", "en-gb+f4", "en-us+klatt"),
              "formant": (1.12, 1.25), "range": (60, 79)},
}
_FRAME_MS = 5.0
# Made-up lyrics from common English words (no copied text): random lines of them.
_WORDS = ("love night light heart fire dream rain day way home road sky eyes time away "
          "stay hold run fall call know go now gone down town blue true you me we all "
          "sun moon star river ocean morning evening summer winter wind heaven shadow "
          "hello baby darling tonight forever never again alone together golden silver "
          "dancing falling burning shining waiting leaving coming singing holding").split()
#: How to get espeak-ng, and what pyworld (the extra ``mssedu[voices]``) needs before pip, per
#: system (sys.platform); the pip line itself is :func:`mssedu.extras.install_line`'s.
_INSTALL = {
    "win32": ("`winget install eSpeak-NG.eSpeak-NG`", ""),   # pyworld has Windows wheels: no compiler
    "darwin": ("`brew install espeak-ng`",
               "`xcode-select --install` (the C++ compiler pyworld is built with), then "),
    "linux": ("`sudo apt-get install espeak-ng` (Debian/Ubuntu; or your system's package manager)",
              "`sudo apt-get install g++` (the C++ compiler pyworld is built with), then "),
}


def _install_line(which: int) -> str:
    """This system's install line for espeak-ng (0) or pyworld (1)."""
    line = _INSTALL.get(sys.platform, _INSTALL["linux"])[which]
    return line if which == 0 else f"{line}`{install_line('voices')}`"


def espeak_path() -> str:
    """Path of the ``espeak-ng`` executable.

    Returns
    -------
    str
        Path of the program.

    Raises
    ------
    DataError
        espeak-ng is not installed; the message says how to install it.
    """
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise DataError("the espeak-ng program was not found on PATH (it speaks the lyrics of the "
                        f"synthetic vocals). Install it with {_install_line(0)}, then restart the kernel.")
    return exe


def check_singing() -> None:
    """Refuse, with what to install, when sung vocals cannot be made here.

    Sung vocals need the ``pyworld`` package (the optional extra ``mssedu[voices]``) and the
    ``espeak-ng`` program; :mod:`mssedu.data.synth` calls this and otherwise plays the melody
    on a voice patch.

    Returns
    -------
    None
        Both are here.

    Raises
    ------
    DataError
        pyworld or espeak-ng is missing; the message gives this system's install line.
    """
    if pyworld is None:
        raise DataError("the pyworld package (the optional extra mssedu[voices], the WORLD vocoder "
                        f"that sings the vocals) is not installed. Install it with {_install_line(1)}, "
                        "then restart the kernel.")
    espeak_path()


def lyrics_line(rng, n_syllables: int) -> str:
    """A line of made-up lyrics with roughly ``n_syllables`` syllables.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n_syllables : int
        About how many syllables (one per note).

    Returns
    -------
    str
        Words separated by spaces.
    """
    words, count = [], 0
    while count < max(1, int(n_syllables)):
        w = _WORDS[rng.integers(len(_WORDS))]
        words.append(w)
        count += max(1, sum(1 for a, b in zip(" " + w, w) if b in "aeiouy" and a not in "aeiouy"))
    return " ".join(words)


def speak(text: str, voice: str = "en-us", words_per_minute: int = 160) -> np.ndarray:
    """Speech for ``text`` from ``espeak-ng``, mono float64 at :data:`WORLD_SR`.

    Parameters
    ----------
    text : str
        What to say.
    voice : str
        An espeak-ng voice, optionally with a variant (``"en-us+f3"``).
    words_per_minute : int
        Speaking rate.

    Returns
    -------
    numpy.ndarray
        The speech, ``(samples,)``.

    Raises
    ------
    DataError
        espeak-ng is missing or failed.
    """
    if not text.strip():
        raise ParameterError("speak() needs some text, got an empty string.")
    proc = subprocess.run([espeak_path(), "-v", voice, "-s", str(int(words_per_minute)), "--stdout", text],
                          capture_output=True)
    if proc.returncode != 0 or len(proc.stdout) < 100:
        raise DataError(f"espeak-ng failed for voice {voice!r} (exit {proc.returncode}): "
                        f"{proc.stderr.decode(errors='replace')[-200:]}")
    x, sr = sf.read(io.BytesIO(proc.stdout), dtype="float64")
    if sr != WORLD_SR:
        x = resample_poly(x, WORLD_SR, sr)
    return np.ascontiguousarray(x)


def _analyse(x: np.ndarray):
    f0, t = pyworld.dio(x, WORLD_SR, frame_period=_FRAME_MS)
    f0 = pyworld.stonemask(x, f0, t, WORLD_SR)
    sp = pyworld.cheaptrick(x, f0, t, WORLD_SR)
    ap = pyworld.d4c(x, f0, t, WORLD_SR)
    return f0, sp, ap


def _runs(mask: np.ndarray) -> list:
    """``[(start, stop), ...]`` of the runs of True in ``mask``."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return list(zip(edges[::2], edges[1::2]))


def _time_map(voiced: np.ndarray, onsets: np.ndarray, end: float) -> np.ndarray:
    """For each output frame, the speech frame it reads (fractional).

    Voiced run ``k`` of the speech starts at note onset ``k`` (frames) and is stretched to
    last until the next onset minus the following consonants' spoken length."""
    runs = [r for r in _runs(voiced) if r[1] - r[0] >= 3]
    n_in = len(voiced)
    if not runs or len(onsets) == 0:
        return np.linspace(0, n_in - 1, max(int(end), 1))
    k = min(len(runs), len(onsets))
    if len(runs) > k:   # more vowels than notes: merge the extra ones into the last note
        runs = runs[:k - 1] + [(runs[k - 1][0], runs[-1][1])]
    src, dst = [0.0], [max(0.0, onsets[0] - runs[0][0])]
    for i in range(k):
        a, b = runs[i]
        nxt_src = runs[i + 1][0] if i + 1 < k else n_in
        nxt_dst = onsets[i + 1] if i + 1 < k else end
        consonant = min(nxt_src - b, 0.5 * (nxt_dst - onsets[i]))
        src += [a, b, nxt_src]
        dst += [onsets[i], max(onsets[i] + 1, nxt_dst - consonant), nxt_dst]
    src, dst = np.asarray(src, float), np.maximum.accumulate(np.asarray(dst, float))
    out = np.arange(int(np.ceil(end)))
    return np.clip(np.interp(out, dst, src), 0, n_in - 1)


def _f0_contour(notes, n_frames: int, expr: dict, rng) -> np.ndarray:
    """Target F0 (Hz) per frame for ``notes`` = ``[(onset_s, dur_s, midi)]`` relative to the phrase."""
    fps = 1000.0 / _FRAME_MS
    t = np.arange(n_frames) / fps
    pitch = np.full(n_frames, float(notes[0][2]))
    cents = np.zeros(n_frames)
    glide = expr.get("portamento_s", 0.06)
    for i, (on, dur, p) in enumerate(notes):
        sel = t >= on
        pitch[sel] = p
        local = t[sel] - on
        prev = notes[i - 1][2] if i else p
        if i and prev != p and notes[i - 1][0] + notes[i - 1][1] >= on - 0.02 and rng.random() < 0.6:
            # portamento: glide from the previous pitch
            cents[sel] += np.where(local < glide, (prev - p) * 100 * (1 - local / glide), 0.0)
        else:
            cents[sel] -= expr["scoop_cents"] * rng.uniform(0.3, 1.0) * np.exp(-local / 0.06)
        ramp = np.clip((local - expr["vibrato_delay_s"]) / 0.3, 0, 1)
        rate = expr["vibrato_hz"] * (1 + rng.normal(0, 0.04))
        cents[sel] += ramp * expr["vibrato_cents"] * np.sin(2 * np.pi * rate * local + rng.uniform(0, 6.3))
    drift = np.cumsum(rng.normal(0, 1.0, n_frames))
    drift = np.convolve(drift - drift.mean(), np.ones(40) / 40, mode="same")
    cents += np.clip(drift, -15, 15) + expr.get("detune_cents", 0.0)
    return 440.0 * 2 ** ((pitch - 69) / 12 + cents / 1200)


def _warp_envelope(sp: np.ndarray, alpha: float) -> np.ndarray:
    """:math:`H'(f) = H(f / \\alpha)`: formants move up for ``alpha > 1``."""
    bins = np.arange(sp.shape[1], dtype=float)
    src = np.clip(bins / alpha, 0, sp.shape[1] - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, sp.shape[1] - 1)
    w = src - lo
    return np.ascontiguousarray(sp[:, lo] * (1 - w) + sp[:, hi] * w)


def sing_phrase(notes, singer: dict, rng, analysis=None) -> tuple:
    """One sung phrase at :data:`WORLD_SR`.

    Parameters
    ----------
    notes : list of (onset_s, duration_s, midi_pitch)
        The melody, onsets relative to the phrase start.
    singer : dict
        ``voice`` (espeak-ng voice), ``formant`` (warp factor), ``expression`` (``vibrato_hz``,
        ``vibrato_cents``, ``vibrato_delay_s``, ``scoop_cents``, optional ``detune_cents``,
        ``portamento_s``), ``wpm`` (speaking rate).
    rng : numpy.random.Generator
        Lyrics and expression draws.
    analysis : tuple or None
        ``(f0, sp, ap)`` of speech to reuse (a double sings the same words); ``None`` speaks
        a new line.

    Returns
    -------
    audio : numpy.ndarray
        Mono, float64, as long as the phrase plus a short release.
    analysis : tuple
        The WORLD analysis used (pass it back for doubles and harmonies).
    """
    if not notes:
        raise ParameterError("sing_phrase() needs at least one note.")
    if analysis is None:
        x = speak(lyrics_line(rng, len(notes)), singer["voice"], singer.get("wpm", 170))
        analysis = _analyse(x)
    f0_sp, sp, ap = analysis
    fps = 1000.0 / _FRAME_MS
    end = (notes[-1][0] + notes[-1][1]) * fps
    onsets = np.array([on for on, _, _ in notes]) * fps
    pos = _time_map(f0_sp > 0, onsets, end)
    idx = np.rint(pos).astype(int)
    voiced = f0_sp[idx] > 0
    f0 = np.where(voiced, _f0_contour(notes, len(idx), singer["expression"], rng), 0.0)
    sp_w = _warp_envelope(sp[idx], singer["formant"])
    y = pyworld.synthesize(np.ascontiguousarray(f0), sp_w, np.ascontiguousarray(ap[idx]),
                           WORLD_SR, _FRAME_MS)
    return y, analysis


def _breath(rng, seconds: float) -> np.ndarray:
    """A breath: band-passed noise with a soft rise and fall."""
    n = int(seconds * WORLD_SR)
    noise = rng.normal(0, 1, n + 64)
    noise = np.convolve(noise, np.hanning(9), mode="same")[:n] - np.convolve(noise, np.ones(64) / 64, mode="same")[:n]
    return 0.02 * noise * np.hanning(n) ** 1.5


def sing(melody, seconds: float, sr: int, rng, singer_type: str | None = None,
         harmony=None, doubles: int = 0) -> np.ndarray:
    """A stereo vocal stem: lead phrases on ``melody``, optional double(s) and harmony line.

    Parameters
    ----------
    melody : list of (onset_s, duration_s, midi_pitch)
        The lead line in seconds, sorted; gaps longer than 0.4 s split phrases.
    seconds : float
        Length of the stem.
    sr : int
        Output sample rate.
    rng : numpy.random.Generator
        All random choices (singer, lyrics, expression).
    singer_type : {"male", "female", "child"} or None
        ``None`` draws one.
    harmony : list of (onset_s, duration_s, midi_pitch) or None
        A backing line sung on the lead's words, quieter and panned away.
    doubles : int
        How many doubled takes of the lead (panned left/right, a few cents off).

    Returns
    -------
    numpy.ndarray
        ``(2, round(seconds * sr))`` float32, unnormalised (the caller sets the level).
    """
    if singer_type is None:
        singer_type = ("male", "female", "child")[rng.choice(3, p=[0.45, 0.45, 0.10])]
    if singer_type not in SINGERS:
        raise ParameterError(f"singer_type must be one of {sorted(SINGERS)}, got {singer_type!r}.")
    kind = SINGERS[singer_type]
    expr = {"vibrato_hz": rng.uniform(4.5, 7.0), "vibrato_cents": rng.uniform(15, 60),
            "vibrato_delay_s": rng.uniform(0.08, 0.35), "scoop_cents": rng.uniform(20, 150),
            "portamento_s": rng.uniform(0.03, 0.12)}
    singer = {"voice": kind["voices"][rng.integers(len(kind["voices"]))],
              "formant": rng.uniform(*kind["formant"]), "expression": expr,
              "wpm": int(rng.integers(140, 200))}
    n_out = int(round(seconds * WORLD_SR))
    lanes = {"lead": np.zeros(n_out + WORLD_SR), "left": np.zeros(n_out + WORLD_SR),
             "right": np.zeros(n_out + WORLD_SR)}

    def place(lane, audio, start_s, gain):
        a = int(round(start_s * WORLD_SR))
        if a >= n_out:
            return
        b = min(a + len(audio), len(lanes[lane]))
        lanes[lane][max(a, 0):b] += gain * audio[max(0, -a):b - a]

    for phrase in _phrases(_shift_into(melody, kind["range"])):
        t0 = phrase[0][0]
        rel = [(on - t0, d, p) for on, d, p in phrase]
        dyn = rng.uniform(0.5, 1.0)                      # phrase-level dynamics
        y, analysis = sing_phrase(rel, singer, rng)
        env = np.linspace(rng.uniform(0.7, 1.0), rng.uniform(0.7, 1.0), len(y))
        place("lead", y * env, t0, dyn)
        if t0 > 0.35 and rng.random() < 0.7:
            place("lead", _breath(rng, 0.3), t0 - 0.32, dyn)
        for k in range(int(doubles)):
            d_singer = dict(singer, expression=dict(expr, detune_cents=rng.normal(0, 8),
                                                     vibrato_cents=expr["vibrato_cents"] * 0.7))
            yd, _ = sing_phrase(rel, d_singer, rng, analysis)
            place("left" if k % 2 == 0 else "right", yd, t0 + rng.uniform(0.008, 0.03), 0.5 * dyn)
        if harmony:
            h = [(on - t0, d, p) for on, d, p in _shift_into(harmony, kind["range"], low=True)
                 if t0 - 1e-6 <= on < phrase[-1][0] + phrase[-1][1]]
            if h:
                yh, _ = sing_phrase(h, dict(singer, expression=dict(expr, vibrato_cents=expr["vibrato_cents"] * 0.5)),
                                    rng, analysis)
                place("right" if rng.random() < 0.5 else "left", yh, t0 + rng.uniform(0.0, 0.02), 0.45 * dyn)
    left = lanes["lead"] + lanes["left"] + 0.4 * lanes["right"]
    right = lanes["lead"] + lanes["right"] + 0.4 * lanes["left"]
    out = np.stack([left[:n_out], right[:n_out]])
    if sr != WORLD_SR:
        g = np.gcd(int(sr), WORLD_SR)
        out = resample_poly(out, int(sr) // g, WORLD_SR // g, axis=-1)
    n = int(round(seconds * sr))
    out = out[:, :n] if out.shape[-1] >= n else np.pad(out, ((0, 0), (0, n - out.shape[-1])))
    return np.ascontiguousarray(out, dtype=np.float32)


def _shift_into(notes, rng_range, low: bool = False):
    """Move a line by octaves so its median pitch sits in the singer's range."""
    if not notes:
        return []
    lo, hi = rng_range
    med = float(np.median([p for _, _, p in notes]))
    target = lo + (hi - lo) * (0.35 if low else 0.55)
    shift = 12 * int(np.round((target - med) / 12))
    return [(on, d, p + shift) for on, d, p in notes]


def _phrases(notes, gap: float = 0.4, longest: float = 8.0):
    """Split a sorted line into phrases at rests longer than ``gap`` seconds (and every
    ``longest`` seconds, where a singer would breathe anyway)."""
    out, cur = [], []
    for n in notes:
        if cur and (n[0] - (cur[-1][0] + cur[-1][1]) > gap or n[0] - cur[0][0] > longest):
            out.append(cur)
            cur = []
        cur.append(n)
    if cur:
        out.append(cur)
    return out
