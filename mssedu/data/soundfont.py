r"""Rendering MIDI with a General-MIDI SoundFont through the ``fluidsynth`` program.

A SoundFont (``.sf2``/``.sf3``) holds recorded samples of the 128 General-MIDI instruments
and a drum kit; FluidSynth plays a MIDI file with them. This module finds the two things
that come from outside pip, on Linux, macOS and Windows:

* the ``fluidsynth`` executable on ``PATH`` (:func:`fluidsynth_path`);
* a General-MIDI SoundFont (:func:`find_soundfont`): the ``MSSEDU_SOUNDFONT`` environment
  variable if set, else the first known font (FluidR3_GM, GeneralUser GS, TimGM6mb, the
  system default) in the usual folders of apt, Homebrew (Intel and Apple silicon),
  MacPorts, conda (``<env>/share/soundfonts``, on Windows ``<env>\Library\share\soundfonts``),
  FluidSynth's own install folder, ``%ProgramData%\soundfonts`` and ``~/soundfonts``;

and runs one FluidSynth process per (MIDI file, wav file) pair, in parallel
(:func:`start_renders`, :func:`wait_renders`), while Python does other work. Where either is
missing, :mod:`mssedu.data.synth` renders with :mod:`mssedu.data.numpy_synth` instead.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import DataError

__all__ = ["SOUNDFONT_NAMES", "INSTALL_HINT", "soundfont_folders", "find_soundfont", "fluidsynth_path",
           "instrument_soundfonts", "start_renders", "wait_renders"]

#: Font file names tried first, best first (any other ``.sf2``/``.sf3`` in a folder comes after).
SOUNDFONT_NAMES = ("FluidR3_GM.sf2", "FluidR3_GM.sf3", "GeneralUser GS v1.471.sf2", "GeneralUser_GS.sf2",
                   "TimGM6mb.sf2", "default-GM.sf2", "default-GM.sf3", "default.sf2")
#: MuseScore's General-MIDI fonts (the second sample set of the ``"mixed"`` instruments style).
MUSESCORE_NAMES = ("MuseScore_General.sf3", "MuseScore_General_Lite.sf3", "MuseScore_General.sf2")
#: How to get fluidsynth and a SoundFont, per system (``sys.platform``).
_INSTALL_BY_OS = {
    "linux": "`sudo apt-get install fluidsynth fluid-soundfont-gm` (Debian/Ubuntu; or your "
             "system's package manager, or `conda install -c conda-forge fluidsynth`)",
    "darwin": "`brew install fluid-synth` (or `conda install -c conda-forge fluidsynth`)",
    "win32": "`conda install -c conda-forge fluidsynth`, or FluidSynth's release zip from "
             "github.com/FluidSynth/fluidsynth/releases with its bin folder on PATH",
}
#: How to get fluidsynth and a SoundFont, on this system.
INSTALL_HINT = ("Install fluidsynth and a General-MIDI SoundFont: "
                + _INSTALL_BY_OS.get(sys.platform, _INSTALL_BY_OS["linux"]) + ". "
                "Where no SoundFont comes with it, download a General-MIDI .sf2 (FluidR3_GM or "
                "GeneralUser GS) and set the environment variable MSSEDU_SOUNDFONT to its path "
                "(or put it in ~/soundfonts).")


def soundfont_folders() -> list:
    """The folders searched for a SoundFont, in order, on this system.

    Returns
    -------
    list of pathlib.Path
        Existing and missing folders alike (the search skips the missing ones): the user's
        ``~/soundfonts``, conda's and FluidSynth's own ``share/soundfonts``, then the system's.
    """
    home = Path.home()
    out = [home / "soundfonts", home / ".local" / "share" / "soundfonts"]
    prefixes = [Path(sys.prefix)]
    if os.environ.get("CONDA_PREFIX"):
        prefixes.append(Path(os.environ["CONDA_PREFIX"]))
    exe = shutil.which("fluidsynth")
    if exe:   # <prefix>/bin/fluidsynth -> <prefix>/share/soundfonts (also Windows installs)
        prefixes.append(Path(exe).resolve().parent.parent)
    for p in prefixes:
        out += [p / "share" / "soundfonts", p / "share" / "sounds" / "sf2", p / "Library" / "share" / "soundfonts"]
    if sys.platform == "win32":
        for var in ("ProgramData", "ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA"):
            if os.environ.get(var):
                base = Path(os.environ[var])
                out += [base / "soundfonts", base / "FluidSynth" / "share" / "soundfonts", base / "FluidSynth" / "sf2"]
    elif sys.platform == "darwin":
        out += [Path("/opt/homebrew/share/soundfonts"), Path("/usr/local/share/soundfonts"),
                Path("/opt/local/share/sounds/sf2"), Path("/opt/local/share/soundfonts"),
                home / "Library" / "Audio" / "Sounds" / "Banks"]
    else:
        out += [Path("/usr/share/sounds/sf2"), Path("/usr/share/sounds/sf3"), Path("/usr/share/soundfonts"),
                Path("/usr/local/share/soundfonts"), Path("/usr/local/share/sounds/sf2"),
                Path("/home/linuxbrew/.linuxbrew/share/soundfonts")]
    seen, unique = set(), []
    for f in out:
        if str(f) not in seen:
            seen.add(str(f))
            unique.append(f)
    return unique


def _first_font(names) -> str | None:
    folders = [f for f in soundfont_folders() if f.is_dir()]
    for name in names:
        for folder in folders:
            if (folder / name).is_file():
                return str(folder / name)
    return None


def find_soundfont(soundfont=None) -> str:
    """A General-MIDI SoundFont: ``soundfont`` if given, else ``$MSSEDU_SOUNDFONT``, else the
    first of :data:`SOUNDFONT_NAMES` found in :func:`soundfont_folders`, else any ``.sf2``
    or ``.sf3`` file there.

    Parameters
    ----------
    soundfont : str, Path or None
        A ``.sf2``/``.sf3`` file to use; ``None`` searches as above.

    Returns
    -------
    str
        Path of the SoundFont.

    Raises
    ------
    DataError
        ``soundfont`` (or ``$MSSEDU_SOUNDFONT``) does not exist, or none is installed; the
        message says how to get one.
    """
    if soundfont is not None:
        p = Path(soundfont).expanduser()
        if not p.is_file():
            raise DataError(f"SoundFont {p} does not exist. " + INSTALL_HINT)
        return str(p)
    env = os.environ.get("MSSEDU_SOUNDFONT")
    if env:
        p = Path(env).expanduser()
        if not p.is_file():
            raise DataError(f"SoundFont {p} (from the environment variable MSSEDU_SOUNDFONT) does not "
                            "exist; point MSSEDU_SOUNDFONT at a .sf2 file, or unset it to search the usual "
                            "folders.")
        return str(p)
    found = _first_font(SOUNDFONT_NAMES)
    if found is None:
        for folder in soundfont_folders():
            if folder.is_dir():
                any_font = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".sf2", ".sf3")
                                  and p.name not in MUSESCORE_NAMES)
                if any_font:
                    found = str(any_font[0])
                    break
    if found is None:
        looked = ", ".join(str(f) for f in soundfont_folders()[:6])
        raise DataError(f"No General-MIDI SoundFont (.sf2) was found (looked in {looked}, ...). "
                        + INSTALL_HINT + " Or pass soundfont='/path/to/font.sf2'.")
    return found


def instrument_soundfonts() -> list:
    """The installed SoundFonts the ``"mixed"`` instruments style draws from.

    Returns
    -------
    list of str
        FluidR3_GM (or the default font) and MuseScore_General when installed
        (Debian/Ubuntu ``apt-get install musescore-general-soundfont-small``); empty when no
        SoundFont is installed.
    """
    try:
        fonts = [find_soundfont()]
    except DataError:
        return []
    extra = _first_font(MUSESCORE_NAMES)
    if extra is not None and extra not in fonts:
        fonts.append(extra)
    return fonts


def fluidsynth_path() -> str:
    """Path of the ``fluidsynth`` executable.

    Returns
    -------
    str
        Path of the executable.

    Raises
    ------
    DataError
        fluidsynth is not installed; the message says how to install it.
    """
    exe = shutil.which("fluidsynth")
    if exe is None:
        raise DataError("The fluidsynth program was not found on PATH; it renders the synthetic "
                        "multitracks with a SoundFont. " + INSTALL_HINT)
    return exe


def start_renders(jobs, sr: int, settings=None) -> list:
    """Start one FluidSynth process per job; they run while Python works.

    Parameters
    ----------
    jobs : list of (midi_path, wav_path, soundfont)
        What to render, where to write it, with which font.
    sr : int
        Sample rate of the wav files.
    settings : dict or None
        FluidSynth settings (``-o key=value``), e.g. ``{"synth.reverb.active": 0}``.

    Returns
    -------
    list of (subprocess.Popen, wav_path)
        Hand it to :func:`wait_renders`.
    """
    exe = fluidsynth_path()
    opts = ["-o", "synth.dynamic-sample-loading=1"]   # load only the samples the song plays
    for k, v in (settings or {}).items():
        opts += ["-o", f"{k}={v}"]
    procs = []
    for mid_path, wav_path, font in jobs:
        cmd = [exe, "-ni", "-q", "-g", "0.5", "-r", str(sr), "-O", "float", "-T", "wav", *opts,
               "-F", str(wav_path), str(font), str(mid_path)]
        procs.append((subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE), wav_path))
    return procs


def wait_renders(procs) -> None:
    """Wait for the processes of :func:`start_renders`.

    Parameters
    ----------
    procs : list of (subprocess.Popen, wav_path)
        From :func:`start_renders`.

    Returns
    -------
    None

    Raises
    ------
    DataError
        A process failed or wrote no file; the message carries the end of its error output.
    """
    for p, wav in procs:
        _, err = p.communicate()
        if p.returncode != 0 or not Path(wav).is_file():
            raise DataError(f"fluidsynth failed (exit {p.returncode}): {err.decode(errors='replace')[-300:]}")
