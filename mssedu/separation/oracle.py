"""Oracle masks as a separator: the upper bound every table compares against.

An oracle mask is computed from the true stems (:mod:`mssedu.masks`), so it can only
separate the mixture of its own track.

Examples
--------
>>> from mssedu.data import example_track
>>> from mssedu.separation import OracleSeparator
>>> sep = OracleSeparator(example_track(), "irm")
>>> sep.name, sep.sources
('oracle IRM', ['drums', 'bass', 'other', 'vocals'])
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..masks import MASK_METHODS, oracle_separate

__all__ = ["OracleSeparator"]


class OracleSeparator:
    """The oracle masks of :mod:`mssedu.masks` as a separator (they need the true stems).

    Parameters
    ----------
    track : mssedu.data.Track
        A track with its stems.
    method : str
        One of :data:`mssedu.masks.MASK_METHODS` (``"irm"``, ``"ibm"``, ``"wiener"``...).
    **params
        Passed to :func:`mssedu.masks.oracle_separate` (``alpha``, ``n_fft``...).
    """

    def __init__(self, track, method: str = "irm", **params):
        if method not in MASK_METHODS:
            raise ParameterError(f"Unknown oracle mask {method!r}; choose one of {MASK_METHODS}.")
        if not track.stems:
            raise ParameterError("An oracle separator needs a track with its true stems.")
        self.track, self.method, self.params = track, method, params
        self.name = f"oracle {method.upper()}"
        self.sr = int(track.sr)
        self.sources = list(track.stems)
        self.channels = int(track.mixture.shape[0])

    def separate(self, signal, progress: bool = True) -> dict:
        """Separate the track's own mixture with its oracle masks.

        Parameters
        ----------
        signal : numpy.ndarray
            Must be the track's mixture ``(channels, samples)``.
        progress : bool
            Unused (it is quick).

        Returns
        -------
        dict
            ``{source: (channels, samples)}``.
        """
        x = np.asarray(signal)
        if x.shape != self.track.mixture.shape or not np.allclose(x, self.track.mixture, atol=1e-4):
            raise ParameterError(f"{self.name} can only separate the mixture of its own track "
                                 f"({self.track.name!r}, shape {self.track.mixture.shape}); "
                                 f"got a signal of shape {x.shape}. Build OracleSeparator(track) "
                                 "for the track you want to separate.")
        return oracle_separate(self.track, self.method, **self.params)

    def __repr__(self) -> str:
        return f"OracleSeparator({self.track.name!r}, method={self.method!r})"
