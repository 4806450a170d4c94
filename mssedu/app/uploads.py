"""A song uploaded to the mask explorer, as a :class:`~mssedu.data.Track`.

A multitrack (``.stem.mp4``, as in MUSDB18) brings its true stems. Any other song has none:
a separator estimates them, and the explorer must then say that its "target" is a guess
(:func:`has_true_stems` tells the two apart).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from .. import audio
from ..checks import check_upload
from ..data import Track, load_multitrack
from ..errors import ParameterError
from ..separation import separate
from ..widgets.pretrained import AUDIO_SUFFIXES

__all__ = ["MULTITRACK", "has_true_stems", "track_from_upload"]

#: The file type that carries true stems.
MULTITRACK = ".stem.mp4"


def has_true_stems(name: str) -> bool:
    """Whether an uploaded file brings its own true stems (a ``.stem.mp4`` multitrack).

    Parameters
    ----------
    name : str
        The file's name.

    Returns
    -------
    bool
        True for a ``.stem.mp4``.

    Examples
    --------
    >>> has_true_stems("Song.STEM.mp4"), has_true_stems("song.mp3")
    (True, False)
    """
    return name.lower().endswith(MULTITRACK)


def track_from_upload(name: str, data: bytes, seconds: float | None = None, separator=None) -> Track:
    """A :class:`~mssedu.data.Track` for the mask explorer from an uploaded file.

    A multitrack (``.stem.mp4``, as in MUSDB18) brings its true stems. Any other song is
    split by ``separator`` first, and its *estimated* stems stand in for the true ones (the
    track's name says so): the masks are then relative to those estimates, and no SDR
    against them means anything.

    Parameters
    ----------
    name : str
        The uploaded file's name (its suffix decides how it is read).
    data : bytes
        Its content.
    seconds : float or None
        Keep only the first ``seconds``.
    separator : Separator or None
        Splits a plain song (needed unless the file is a ``.stem.mp4``).

    Returns
    -------
    Track
        Mixture and stems, ``(channels, samples)`` each.

    Raises
    ------
    ParameterError
        Not an audio file, or a plain song with no separator.
    DataError, AudioError
        The file cannot be decoded.

    Examples
    --------
    >>> track_from_upload("notes.txt", b"hello")
    Traceback (most recent call last):
    ...
    mssedu.errors.ParameterError: 'notes.txt' is not an audio file the app reads; ...
    """
    data, name = check_upload(data, name)     # bytes and a plain name, or a message
    lower = name.lower()
    if not (has_true_stems(name) or Path(lower).suffix in AUDIO_SUFFIXES):
        raise ParameterError(f"{name!r} is not an audio file the app reads; upload a .stem.mp4 "
                             f"multitrack or one of {', '.join(AUDIO_SUFFIXES)}.")
    suffix = MULTITRACK if has_true_stems(name) else Path(lower).suffix
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(bytes(data))
        if suffix == MULTITRACK:
            track = load_multitrack(path, name=Path(name).name[: -len(MULTITRACK)])
            return track.excerpt(0, min(seconds, track.duration)) if seconds else track
        if separator is None:
            raise ParameterError(f"{name!r} has no stems of its own: give a separator to estimate them.")
        mixture, sr = audio.load(path, duration=seconds)
    if mixture.shape[0] == 1:
        mixture = audio.to_stereo(mixture)
    stems = separate(separator, mixture, sr, progress=False)
    return Track(name=f"{Path(name).stem} (stems estimated by {separator.name})", sr=sr,
                 mixture=mixture, stems=stems)
