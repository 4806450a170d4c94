"""The multitrack object every part of the course passes around: :class:`Track`
(a mixture and the stems it is made of), and the MUSDB18 stem names."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..checks import check_rate
from ..errors import ParameterError

__all__ = ["Track", "MUSDB_STEMS"]

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
        self.sr = check_rate(self.sr, "sr")
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
        return float(10 * np.log10(max(num, 1e-20) / den))

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
