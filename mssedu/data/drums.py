r"""Drums from recorded samples: Hydrogen drum kits played from General-MIDI drum notes.

A SoundFont's drum kit is one recording per drum, the same at every hit. Recorded kits for
the Hydrogen drum machine (Debian/Ubuntu ``apt-get install hydrogen-drumkits``, run by
``./course``) have several **velocity layers** per drum: a soft hit is a different recording
from a hard one (darker, shorter), not just a quieter copy. This module

* reads a kit's ``drumkit.xml`` (instruments, their layers with velocity ranges
  :math:`[v_{min}, v_{max}]` and gains) and maps its instruments onto the General-MIDI drum
  notes the song generator writes (kick 36, snare 38, closed hi-hat 42, ...) by name;
* plays a list of hits: for velocity :math:`v \in (0, 1]` it picks the layer whose range
  holds :math:`v` and scales it by :math:`v^{1.5}` (a hit's loudness grows faster than
  linearly with the force), moves each hit by a few milliseconds (humanised timing, with a
  per-drum "push" or "lay back") and chokes an open hi-hat at the next closed one;
* places each drum in the stereo image as a drummer's kit is heard from the front.

Where no recorded kit is installed (Windows, macOS, Colab without ``hydrogen-drumkits``),
:func:`synthetic_kit` builds one in numpy, in the same form as :func:`load_kit`, from the
textbook recipes of analogue drum machines: a **kick** is a sine whose pitch falls
exponentially, :math:`f(t) = f_1 + (f_0 - f_1) e^{-t/\tau_f}`, under an exponential decay;
a **snare** is a short tone plus band-passed noise (the wires); **hi-hats** and **cymbals**
are high-passed noise with a short or long decay; **toms** are falling sines like the kick,
higher. Its three velocity layers differ in brightness (soft hits are low-passed).
"""
from __future__ import annotations

import functools
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import butter, resample_poly, sosfilt

from ..errors import DataError, ParameterError

__all__ = ["KIT_FOLDERS", "find_kits", "load_kit", "synthetic_kit", "render_drums", "GM_DRUM_ROLES"]

#: Where Hydrogen kits are installed (Linux packages, the user's own, macOS and Windows
#: installs of Hydrogen); ``$MSSEDU_DRUMKITS`` (folders separated by the path separator) first.
KIT_FOLDERS = ("/usr/share/hydrogen/data/drumkits", "/usr/local/share/hydrogen/data/drumkits",
               "~/.hydrogen/data/drums", "~/Library/Application Support/Hydrogen/data/drumkits",
               "/Applications/Hydrogen.app/Contents/Resources/data/drumkits",
               "%ProgramFiles%/Hydrogen/data/drumkits", "%APPDATA%/hydrogen/data/drums")
#: General-MIDI drum note -> role in a kit.
GM_DRUM_ROLES = {35: "kick", 36: "kick", 37: "side", 38: "snare", 39: "clap", 40: "snare",
                 42: "hat", 44: "pedal_hat", 46: "open_hat", 49: "crash", 57: "crash",
                 51: "ride", 59: "ride", 41: "tom_lo", 43: "tom_lo", 45: "tom_lo",
                 47: "tom_mid", 48: "tom_mid", 50: "tom_hi"}
# kits that hold a drum set (kick, snare, hi-hat); the others are hand percussion
_KITS = ("Audiophob", "BJA_Pacific", "ColomboAcousticDrumkit", "ForzeeStereo", "Millo-Drums_v.1",
         "Millo_MultiLayered2", "Millo_MultiLayered3", "The Black Pearl 1.0", "VariBreaks",
         "rumpf_kit_z01_h2", "ElectricEmpireKit", "HardElectro1")
# role -> (words that must all appear, words that must not) in an instrument's name
_MATCH = {
    "kick": [(("kick",), ()), (("bass", "drum"), ()), (("bassdrum",), ())],
    "snare": [(("snare",), ("roll", "rim"))],
    "side": [(("stick",), ()), (("rim",), ())],
    "clap": [(("clap",), ())],
    "hat": [(("closed",), ()), (("hat", "cl"), ("op", "pedal", "pd"))],
    "pedal_hat": [(("pedal",), ()), (("hat", "pd"), ())],
    "open_hat": [(("open",), ()), (("hat", "op"), ()), (("ohh",), ())],
    "crash": [(("crash",), ())],
    "ride": [(("ride",), ("bell", "cup"))],
    "tom_lo": [(("floor",), ()), (("tom", "low"), ()), (("low", "tom"), ())],
    "tom_mid": [(("tom", "mid"), ()), (("middle", "tom"), ()), (("tom", "2"), ())],
    "tom_hi": [(("tom", "hi"), ()), (("high", "tom"), ()), (("tom", "1"), ())],
}
_FALLBACK = {"side": "snare", "clap": "snare", "pedal_hat": "hat", "open_hat": "hat",
             "ride": "hat", "crash": "open_hat", "tom_lo": "tom_mid", "tom_mid": "tom_hi",
             "tom_hi": "snare"}
# stereo position (-1 left .. 1 right) of each drum, drummer's view mirrored for the audience
_PAN = {"kick": 0.0, "snare": -0.05, "side": -0.05, "clap": 0.0, "hat": -0.35, "pedal_hat": -0.35,
        "open_hat": -0.35, "crash": -0.5, "ride": 0.45, "tom_hi": -0.2, "tom_mid": 0.15, "tom_lo": 0.4}
# systematic timing of each drum (seconds): hats push, snare lays back a little
_FEEL = {"hat": -0.004, "open_hat": -0.004, "snare": 0.006, "side": 0.006}


def find_kits() -> list:
    """The installed Hydrogen drum kits this module can play.

    Returns
    -------
    list of Path
        Kit folders (each holds a ``drumkit.xml`` and a kick, snare and hi-hat), sorted by name.
    """
    out = []
    extra = [p for p in os.environ.get("MSSEDU_DRUMKITS", "").split(os.pathsep) if p]
    for base in [*extra, *KIT_FOLDERS]:
        base = Path(os.path.expandvars(os.path.expanduser(base)))
        for name in _KITS:
            if (base / name / "drumkit.xml").is_file() and _usable(str(base / name)):
                out.append(base / name)
    return sorted(out, key=lambda p: p.name)


@functools.lru_cache(maxsize=None)
def _usable(folder: str) -> bool:
    """Whether the kit has a kick, a snare and a hi-hat with their sample files."""
    try:
        load_kit(folder, 44100)
    except DataError:
        return False
    return True


def _role_of(name: str):
    low = name.lower().replace("-", " ")
    for role, rules in _MATCH.items():
        for need, avoid in rules:
            if all(w in low for w in need) and not any(w in low for w in avoid):
                return role
    return None


@functools.lru_cache(maxsize=16)
def load_kit(folder, sr: int = 44100) -> dict:
    """A kit's samples by role, resampled to ``sr``.

    Parameters
    ----------
    folder : str or Path
        A kit folder (from :func:`find_kits`).
    sr : int
        Sample rate of the returned samples.

    Returns
    -------
    dict
        ``{"name": str, "roles": {role: [(v_min, v_max, gain, samples (2, n) float32), ...]}}``
        with every role of :data:`GM_DRUM_ROLES` present (missing drums borrow a similar one).

    Raises
    ------
    DataError
        The kit is missing, unreadable, or has no kick, snare or hi-hat.
    """
    folder = Path(folder)
    try:
        root = ET.parse(folder / "drumkit.xml").getroot()
    except (OSError, ET.ParseError) as err:
        raise DataError(f"Cannot read the drum kit {folder} ({err}); reinstall hydrogen-drumkits.") from err
    ns = ""
    if root.tag.startswith("{"):
        ns = root.tag.split("}")[0] + "}"
    roles = {}
    for inst in root.iter(f"{ns}instrument"):
        name = inst.findtext(f"{ns}name") or ""
        role = _role_of(name)
        if role is None or role in roles:
            continue
        volume = float(inst.findtext(f"{ns}volume") or 1.0)
        layers = []
        for layer in inst.iter(f"{ns}layer"):
            fname = layer.findtext(f"{ns}filename")
            if not fname or not (folder / fname).is_file():
                continue
            data, fs = sf.read(str(folder / fname), dtype="float32", always_2d=True)
            data = data.T[:2]
            if data.shape[0] == 1:
                data = np.repeat(data, 2, axis=0)
            if fs != sr:
                g = np.gcd(int(fs), int(sr))
                data = resample_poly(data, int(sr) // g, int(fs) // g, axis=-1).astype(np.float32)
            layers.append((float(layer.findtext(f"{ns}min") or 0), float(layer.findtext(f"{ns}max") or 1),
                           volume * float(layer.findtext(f"{ns}gain") or 1), data))
        if layers:
            roles[role] = sorted(layers, key=lambda x: x[0])
    for need in ("kick", "snare", "hat"):
        if need not in roles:
            raise DataError(f"The drum kit {folder.name} has no {need}; choose another kit.")
    for role in GM_DRUM_ROLES.values():
        r = role
        while r not in roles:
            r = _FALLBACK[r]
        roles.setdefault(role, roles[r])
    return {"name": folder.name, "roles": roles}


def _noise_band(n, sr, rng, lo=None, hi=None):
    """White noise, band-limited to ``[lo, hi]`` Hz (either may be None)."""
    x = rng.standard_normal(n)
    if lo is not None:
        x = sosfilt(butter(2, min(lo, 0.45 * sr), "highpass", fs=sr, output="sos"), x)
    if hi is not None and hi < 0.45 * sr:
        x = sosfilt(butter(2, hi, "lowpass", fs=sr, output="sos"), x)
    return x


def _sweep(t, sr, f_start, f_end, tau):
    """A sine whose frequency falls from ``f_start`` to ``f_end`` with time constant ``tau``."""
    f = f_end + (f_start - f_end) * np.exp(-t / tau)
    return np.sin(2 * np.pi * np.cumsum(f) / sr)


def _synthetic_drum(role: str, sr: int, rng) -> np.ndarray:
    """One hit of ``role`` at full force, mono float64, peak 1."""
    dur = {"kick": 0.5, "snare": 0.35, "side": 0.12, "clap": 0.3, "hat": 0.12, "pedal_hat": 0.08,
           "open_hat": 0.7, "crash": 1.8, "ride": 1.4, "tom_lo": 0.55, "tom_mid": 0.45, "tom_hi": 0.4}[role]
    n = int(dur * sr)
    t = np.arange(n) / sr
    if role == "kick":
        x = _sweep(t, sr, 160.0, 48.0, 0.035) * np.exp(-t / 0.22) + 0.4 * _noise_band(n, sr, rng, 1500, 6000) * np.exp(-t / 0.004)
    elif role == "snare":
        x = 0.6 * _sweep(t, sr, 230.0, 180.0, 0.02) * np.exp(-t / 0.06) + _noise_band(n, sr, rng, 1200, 9000) * np.exp(-t / 0.11)
    elif role == "side":
        x = 0.7 * np.sin(2 * np.pi * 420 * t) * np.exp(-t / 0.015) + _noise_band(n, sr, rng, 1500, 6000) * np.exp(-t / 0.008)
    elif role == "clap":
        env = sum(np.exp(-np.maximum(t - d, 0) / 0.008) * (t >= d) for d in (0.0, 0.011, 0.022))
        x = _noise_band(n, sr, rng, 900, 3500) * (env + np.exp(-np.maximum(t - 0.03, 0) / 0.09) * (t >= 0.03))
    elif role in ("hat", "pedal_hat", "open_hat"):
        tau = {"hat": 0.035, "pedal_hat": 0.02, "open_hat": 0.3}[role]
        x = _noise_band(n, sr, rng, 7000, None) * np.exp(-t / tau)
    elif role == "crash":
        x = _noise_band(n, sr, rng, 3500, None) * np.exp(-t / 0.7)
    elif role == "ride":   # a bell of inharmonic partials over a wash of noise
        bell = sum(a * np.sin(2 * np.pi * f * t) for f, a in ((523.0, 0.5), (829.0, 0.4), (1211.0, 0.3), (3120.0, 0.3)))
        x = 0.4 * bell * np.exp(-t / 0.5) + _noise_band(n, sr, rng, 5000, None) * np.exp(-t / 0.6)
    else:   # toms: falling sines, pitched by size
        f0 = {"tom_lo": 95.0, "tom_mid": 135.0, "tom_hi": 185.0}[role]
        x = _sweep(t, sr, 1.6 * f0, f0, 0.05) * np.exp(-t / 0.3) + 0.2 * _noise_band(n, sr, rng, 800, 5000) * np.exp(-t / 0.01)
    m = min(n, int(0.003 * sr))   # 3-ms fade-out so that the hit ends without a click
    x[n - m:] *= np.linspace(1, 0, m)
    return x / (np.max(np.abs(x)) or 1.0)


#: Loudness of each synthesised drum at full force, relative to the kick.
_SYNTH_GAIN = {"kick": 1.0, "snare": 0.8, "side": 0.5, "clap": 0.7, "hat": 0.35, "pedal_hat": 0.3,
               "open_hat": 0.35, "crash": 0.4, "ride": 0.3, "tom_lo": 0.75, "tom_mid": 0.7, "tom_hi": 0.65}


@functools.lru_cache(maxsize=8)
def synthetic_kit(sr: int = 44100) -> dict:
    """A drum kit synthesised in numpy (no sample files), in the form of :func:`load_kit`.

    Every role of :data:`GM_DRUM_ROLES` is made by the recipes of this module's docstring,
    with three velocity layers: ``[0, 0.4]`` low-passed at 2.5 kHz, ``(0.4, 0.75]`` at 6 kHz,
    ``(0.75, 1]`` full band. The same ``sr`` always gives the same kit (its noise is seeded).

    Parameters
    ----------
    sr : int
        Sample rate of the samples.

    Returns
    -------
    dict
        ``{"name": "synthetic", "roles": {role: [(v_min, v_max, gain, samples (2, n) float32), ...]}}``.

    Examples
    --------
    >>> kit = synthetic_kit(22050)
    >>> sorted(kit["roles"]) == sorted(set(GM_DRUM_ROLES.values()))
    True
    """
    rng = np.random.default_rng(2010)
    roles = {}
    for role in sorted(set(GM_DRUM_ROLES.values())):
        hit = _synthetic_drum(role, int(sr), rng)
        layers = []
        for lo, hi, cut in ((0.0, 0.4, 2500.0), (0.4, 0.75, 6000.0), (0.75, 1.0, None)):
            x = hit if cut is None or cut >= 0.45 * sr else sosfilt(butter(2, cut, "lowpass", fs=sr, output="sos"), hit)
            x = np.repeat(x[None].astype(np.float32), 2, axis=0)
            layers.append((lo, hi, _SYNTH_GAIN[role], x))
        roles[role] = layers
    return {"name": "synthetic", "roles": roles}


def _layer(layers, v):
    for lo, hi, gain, data in layers:
        if lo <= v <= hi + 1e-9:
            return gain, data
    return layers[-1][2], layers[-1][3]


def render_drums(hits, seconds: float, sr: int, kit, rng, humanize_ms: float = 6.0) -> np.ndarray:
    """Play ``hits`` on a recorded kit.

    Parameters
    ----------
    hits : list of (onset_s, gm_note, velocity)
        Onsets in seconds, General-MIDI drum notes (see :data:`GM_DRUM_ROLES`; others are
        skipped), MIDI velocities 1-127.
    seconds : float
        Length of the stem.
    sr : int
        Sample rate.
    kit : str, Path or dict
        A kit folder or the result of :func:`load_kit`.
    rng : numpy.random.Generator
        Timing and velocity humanisation.
    humanize_ms : float
        Standard deviation of the random timing offsets.

    Returns
    -------
    numpy.ndarray
        ``(2, round(seconds * sr))`` float32.
    """
    if seconds <= 0:
        raise ParameterError(f"seconds must be > 0, got {seconds!r}.")
    kit = kit if isinstance(kit, dict) else load_kit(str(kit), int(sr))
    n = int(round(seconds * sr))
    out = np.zeros((2, n + sr), dtype=np.float32)
    hits = sorted(hits)
    hat_times = np.array([t for t, note, _ in hits if GM_DRUM_ROLES.get(note) in ("hat", "pedal_hat")])
    for t, note, vel in hits:
        role = GM_DRUM_ROLES.get(int(note))
        if role is None:
            continue
        v = float(np.clip(vel / 127 * (1 + rng.normal(0, 0.05)), 0.02, 1.0))
        gain, data = _layer(kit["roles"][role], v)
        data = data * np.float32(gain * v ** 1.5)
        if role == "open_hat":     # choked by the next closed/pedal hat
            later = hat_times[hat_times > t + 0.02]
            if len(later):
                m = min(data.shape[-1], int((later[0] - t) * sr))
                fade = min(m, int(0.03 * sr))
                data = data[:, :m].copy()
                data[:, m - fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
        pan = np.clip(_PAN[role] + rng.normal(0, 0.03), -1, 1)
        lr = np.array([np.cos((pan + 1) * np.pi / 4), np.sin((pan + 1) * np.pi / 4)], np.float32) * np.sqrt(2)
        start = int(round((t + _FEEL.get(role, 0.0) + rng.normal(0, humanize_ms / 1000)) * sr))
        start = max(start, 0)
        if start >= n:
            continue
        seg = data[:, : out.shape[-1] - start]
        out[:, start:start + seg.shape[-1]] += seg * lr[:, None]
    return np.ascontiguousarray(out[:, :n])
