"""Multitracks: a mixture and the stems it is made of.

:class:`Track` is the one object every part of the course passes around. The real
example (:func:`example_track`) is the MUSDB18 excerpt that the ``stempeg`` package ships,
so it is always there, offline (it is found and decoded without importing stempeg, which
refuses to import where no ``ffmpeg`` program is installed; PyAV decodes it).

More data, same object:

* :func:`load_multitrack` reads any ``.stem.mp4`` or folder of stems (MUSDB18-HQ layout);
* :func:`musdb_tracks` lists MUSDB18 (full or its 7-second previews) through ``musdb``;
* :func:`make_dataset` (module :mod:`mssedu.data.synth`) renders synthetic multitracks
  from MIDI with a General-MIDI SoundFont (:mod:`mssedu.data.soundfont`), or where FluidSynth
  is missing with numpy instruments (:mod:`mssedu.data.numpy_synth`), so every stem is exact;
* :class:`ExcerptDataset` / :func:`make_loader` (module :mod:`mssedu.data.dataset`) turn
  tracks into augmented training excerpts for torch.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from .. import decode
from ..errors import DataError, ParameterError

__all__ = ["Track", "example_track", "example_path", "MUSDB_STEMS", "load_multitrack",
           "save_multitrack", "MixtureResidualWarning", "musdb_tracks", "make_dataset", "render_song",
           "ExcerptDataset", "Augment", "make_loader", "active_frames", "EXAMPLE_KEPT", "EXAMPLE_FILE"]

#: Stem names and order of MUSDB18 (after the mixture stream in a ``.stem.mp4``).
MUSDB_STEMS = ("drums", "bass", "other", "vocals")


@dataclass
class Track:
    """A multitrack song.

    Attributes
    ----------
    name : str
    sr : int
        Sample rate in Hz.
    mixture : np.ndarray, float32, shape ``(channels, samples)``
        The mix as stored (for lossy MUSDB files it is not exactly the sum of the stems).
    stems : dict[str, np.ndarray]
        Each ``(channels, samples)``, same shape as ``mixture``.
    path : str or None
        Where it was read from.
    mixture_residual_db : float or None
        Set by the loaders: how far below the mixture ``mixture - sum(stems)`` lies, in dB
        (``-inf`` for an exact sum; see :meth:`residual`).
    """

    name: str
    sr: int
    mixture: np.ndarray
    stems: dict = field(default_factory=dict)
    path: str | None = None
    mixture_residual_db: float | None = None

    def __post_init__(self):
        shapes = {k: v.shape for k, v in self.stems.items()}
        for k, shp in shapes.items():
            if shp != self.mixture.shape:
                raise ParameterError(f"Stem {k!r} has shape {shp}, the mixture {self.mixture.shape}; "
                                     "all stems must have the mixture's channels and length.")

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.mixture.shape[-1] / self.sr

    @property
    def stem_names(self) -> list:
        return list(self.stems)

    def residual(self) -> float:
        """Relative size of ``mixture - sum(stems)`` in dB (below the mixture): very
        negative for an exact sum; the lossy-coded MUSDB example measures about -22 dB
        (-15 dB with the codec edges that :func:`example_track` cuts off).

        Returns
        -------
        float
            ``10 log10(sum r**2 / sum mixture**2)`` with ``r = mixture - sum(stems)``.
        """
        res = self.mixture - sum(self.stems.values())
        num = float(np.sum(res.astype(np.float64) ** 2))
        den = float(np.sum(self.mixture.astype(np.float64) ** 2)) or 1e-20
        return 10 * np.log10(max(num, 1e-20) / den)

    def accompaniment(self, target: str = "vocals") -> np.ndarray:
        """Sum of every stem except ``target``.

        Parameters
        ----------
        target : str
            The stem to leave out.

        Returns
        -------
        numpy.ndarray
            ``(channels, samples)``, float32.
        """
        if target not in self.stems:
            raise ParameterError(f"No stem {target!r}; this track has {self.stem_names}.")
        return sum(v for k, v in self.stems.items() if k != target)

    def excerpt(self, start: float = 0.0, duration: float | None = None) -> "Track":
        """A new Track cut to ``duration`` seconds from ``start``.

        Parameters
        ----------
        start : float
            Start in seconds.
        duration : float or None
            Length in seconds; ``None``: to the end.

        Returns
        -------
        Track
            Copies of the samples (the original is not changed).
        """
        a = int(round(start * self.sr))
        b = self.mixture.shape[-1] if duration is None else a + int(round(duration * self.sr))
        if a < 0 or a >= self.mixture.shape[-1] or b <= a:
            raise ParameterError(f"Excerpt [{start}, {start} + {duration}] s lies outside the "
                                 f"track ({self.duration:.2f} s).")
        return Track(self.name, self.sr, self.mixture[:, a:b].copy(),
                     {k: v[:, a:b].copy() for k, v in self.stems.items()}, self.path,
                     self.mixture_residual_db)

    def __repr__(self) -> str:
        return (f"Track({self.name!r}, {self.duration:.2f} s, {self.sr} Hz, "
                f"{self.mixture.shape[0]} ch, stems={self.stem_names})")


#: The example file inside the installed ``stempeg`` distribution.
EXAMPLE_FILE = "stempeg/data/The Easton Ellises - Falcon 69.stem.mp4"


def example_path() -> str:
    """Path of the MUSDB18 excerpt that the ``stempeg`` package ships.

    The file is located through the installed distribution's metadata, without importing
    stempeg (whose import fails where no ``ffmpeg`` program is installed).

    Returns
    -------
    str
        Path of the ``.stem.mp4`` file.

    Raises
    ------
    DataError
        stempeg (the package that carries the file) is not installed, or lacks the file.

    Examples
    --------
    >>> from mssedu.data import example_path
    >>> example_path().endswith("Falcon 69.stem.mp4")
    True
    """
    try:
        path = Path(metadata.distribution("stempeg").locate_file(EXAMPLE_FILE))
    except metadata.PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise DataError("The course's real example song comes with the stempeg package, which is "
                        "missing or incomplete here. Install it: `python -m pip install stempeg`.")
    return str(path)


@functools.lru_cache(maxsize=1)
def _decode_example():
    path = example_path()
    streams = [decode.decode(path, stream=i)[0] for i in range(1 + len(MUSDB_STEMS))]
    return np.stack(streams), decode.probe(path)["sr"]


#: The AAC encoder delay ("priming") of the example file, in samples: the decoded streams
#: start with this many samples that are not part of the song.
_PRIMING = 2112
#: Length of the song's content in the file: exactly 6.000 s at 44.1 kHz.
_CONTENT = 264_600
#: One AAC frame (hop of the codec's MDCT), in samples.
_CODEC_FRAME = 1024
#: The slice of the decoded file that :func:`example_track` keeps: samples 3136 to 265687.
EXAMPLE_KEPT = slice(_PRIMING + _CODEC_FRAME,
                     _PRIMING + _CONTENT - _CODEC_FRAME)


def example_track(trim: bool = True) -> Track:
    """The real MUSDB18 excerpt shipped by stempeg: "The Easton Ellises - Falcon 69",
    5.95 s of 44.1 kHz stereo; streams mixture, drums, bass, other, vocals.

    No network is needed. The decode is cached; each call returns fresh copies.

    **What is cut, and why.** The file holds each of its five streams as AAC. Decoded, every
    stream is 268 288 samples: 2112 samples of encoder delay ("priming", which an AAC decoder
    that ignores the edit list returns as leading silence and pre-echo, samples 0-2111), then
    exactly 6.000 s of song (samples 2112-266711), then padding up to a whole number of
    1024-sample codec frames (samples 266712-268287). The excerpt was cut out of the song
    abruptly at both ends, and each stream was coded on its own, so the codec turns each cut
    into a loud click (a transient smeared over the transform frames that cover it) which is
    nearly the same in every stream: the four stems then sum to a peak of 3.70 where the
    stored mixture peaks at 1.02, and 80 % of the energy of ``mixture - sum(stems)`` lies in
    these edges. ``example_track()`` therefore keeps samples 3136-265687 of the file
    (:data:`EXAMPLE_KEPT`): it drops the priming and the first codec frame (1024 samples)
    of the song, and the last codec frame of the song with the padding after it. What is
    left is 262 552 samples (5.954 s) in which the stems sum to the mixture up to the
    codec's own noise: ``mixture - sum(stems)`` lies 22.3 dB below the mixture (15.4 dB
    with the edges), and the stems' sum peaks at 0.845 where the mixture peaks at 0.844.

    Parameters
    ----------
    trim : bool
        ``True`` (the default, used by the whole course): cut the codec's edges as
        described above. ``False``: every decoded sample, edges included (to see the
        artefact).

    Returns
    -------
    Track
        Mixture and the four MUSDB stems, ``(2, samples)`` float32 each, at 44.1 kHz.

    Examples
    --------
    >>> from mssedu.data import example_track
    >>> t = example_track()
    >>> t.sr, t.mixture.shape, sorted(t.stems)
    (44100, (2, 262552), ['bass', 'drums', 'other', 'vocals'])
    >>> round(t.residual(), 1), round(example_track(trim=False).residual(), 1)
    (-22.3, -15.4)
    """
    streams, rate = _decode_example()
    if trim:
        if streams.shape[-1] < EXAMPLE_KEPT.stop:
            raise DataError(f"The example file decoded to {streams.shape[-1]} samples, fewer than "
                            f"the {EXAMPLE_KEPT.stop} this course expects; reinstall the package that "
                            "carries it: `python -m pip install --force-reinstall stempeg`.")
        streams = streams[..., EXAMPLE_KEPT]
    streams = streams.copy()
    track = Track("The Easton Ellises - Falcon 69", rate, streams[0],
                  {name: streams[i + 1] for i, name in enumerate(MUSDB_STEMS)}, example_path())
    track.mixture_residual_db = track.residual()
    return track


from .multitrack import MixtureResidualWarning, load_multitrack, save_multitrack  # noqa: E402
from .dataset import Augment, ExcerptDataset, active_frames, make_loader  # noqa: E402
from .musdb import musdb_tracks  # noqa: E402
from .synth import make_dataset, render_song  # noqa: E402
