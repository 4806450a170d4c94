"""Which renderer plays a synthetic song's MIDI parts (FluidSynth with a SoundFont, or
numpy instruments), and the one warning given when a tool is missing."""
from __future__ import annotations

import warnings

from ..errors import DataError, ParameterError
from .soundfont import INSTALL_HINT, find_soundfont, fluidsynth_path

__all__ = ["RENDERERS", "FallbackRendererWarning", "warn_fallback", "choose_renderer"]

#: ``renderer=`` choices: see the module docstring.
RENDERERS = ("auto", "fluidsynth", "numpy")


class FallbackRendererWarning(UserWarning):
    """A synthetic song is rendered without a tool that is missing (fluidsynth, a SoundFont,
    recorded drum kits, espeak-ng): the song is made, with simpler sounds."""


#: Fallback messages already shown by this process: each is shown once, not once per call or
#: per notebook cell (Python's "default" and "once" actions forget what they showed whenever
#: the warning filters change, which Jupyter does).
_WARNED = set()


def warn_fallback(message: str) -> None:
    """Warn (:class:`FallbackRendererWarning`) that a song is made with simpler sounds, once
    per process and message.

    Parameters
    ----------
    message : str
        What is missing, and how to install it.
    """
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
    warn_fallback("Synthetic songs: " + " and ".join(missing) + " not found, so the instruments are "
               "rendered by mssedu's own numpy synthesizer (mssedu.data.numpy_synth: simpler "
               "sounds, same notes, stems still exact). For the recorded SoundFont instruments: "
               + INSTALL_HINT + " Pass renderer='numpy' to choose the numpy synthesizer without "
               "this warning.")
    return "numpy", None
