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
"""
from __future__ import annotations

import functools
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from ..errors import DataError, ParameterError

__all__ = ["KIT_FOLDERS", "find_kits", "load_kit", "render_drums", "GM_DRUM_ROLES"]

#: Where Hydrogen kits are installed.
KIT_FOLDERS = ("/usr/share/hydrogen/data/drumkits", "~/.hydrogen/data/drums")
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
    for base in KIT_FOLDERS:
        base = Path(os.path.expanduser(base))
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
