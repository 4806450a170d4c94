"""Multitracks: a mixture and the stems it is made of.

:class:`Track` is the one object every part of the course passes around. The real
example (:func:`example_track`) is the MUSDB18 excerpt that the ``stempeg`` package ships,
so it is always there, offline.

More data, same object:

* :func:`load_multitrack` reads any ``.stem.mp4`` or folder of stems (MUSDB18-HQ layout);
* :func:`musdb_tracks` lists MUSDB18 (full or its 7-second previews) through ``musdb``;
* :func:`make_dataset` (module :mod:`mssedu.data.synth`) renders synthetic multitracks
  from MIDI with a General-MIDI SoundFont, so every stem is exact;
* :class:`ExcerptDataset` / :func:`make_loader` (module :mod:`mssedu.data.dataset`) turn
  tracks into augmented training excerpts for torch.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import stempeg

from ..errors import ParameterError

__all__ = ["Track", "example_track", "example_path", "MUSDB_STEMS", "load_multitrack",
           "save_multitrack", "MixtureResidualWarning", "musdb_tracks", "make_dataset", "render_song",
           "ExcerptDataset", "Augment", "make_loader", "active_frames"]

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
        negative for an exact sum; the lossy-coded MUSDB example measures about -15 dB.

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


def example_path() -> str:
    """Path of the MUSDB18 excerpt that the ``stempeg`` package ships.

    Returns
    -------
    str
        Path of the ``.stem.mp4`` file.
    """
    return stempeg.example_stem_path()


@functools.lru_cache(maxsize=1)
def _decode_example():
    stems, rate = stempeg.read_stems(example_path(), dtype=np.float32)
    # stempeg gives (streams, samples, channels); we use (channels, samples)
    return np.ascontiguousarray(np.transpose(stems, (0, 2, 1))), int(rate)


def example_track() -> Track:
    """The real MUSDB18 excerpt shipped by stempeg: "The Easton Ellises - Falcon 69",
    about 6.1 s of 44.1 kHz stereo; streams mixture, drums, bass, other, vocals.

    No network is needed. The decode is cached; each call returns fresh copies.

    Returns
    -------
    Track
        Mixture and the four MUSDB stems, ``(2, samples)`` float32 each, at 44.1 kHz.

    Examples
    --------
    >>> from mssedu.data import example_track
    >>> t = example_track()
    >>> t.sr, t.mixture.shape[0], sorted(t.stems)
    (44100, 2, ['bass', 'drums', 'other', 'vocals'])
    """
    streams, rate = _decode_example()
    streams = streams.copy()
    return Track("The Easton Ellises - Falcon 69", rate, streams[0],
                 {name: streams[i + 1] for i, name in enumerate(MUSDB_STEMS)}, example_path())


from .multitrack import MixtureResidualWarning, load_multitrack, save_multitrack  # noqa: E402
from .dataset import Augment, ExcerptDataset, active_frames, make_loader  # noqa: E402
from .musdb import musdb_tracks  # noqa: E402
from .synth import make_dataset, render_song  # noqa: E402
