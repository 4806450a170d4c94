"""What every separator in the course looks like, so one table can compare them.

An oracle mask, the students' mini U-Net and HT-Demucs all answer the same calls:

- ``separator.name``: a label for tables;
- ``separator.sr``: the sample rate it works at;
- ``separator.channels``: the channel count it takes (2 for stereo models);
- ``separator.sources``: the stem names it returns, e.g. ``["drums", "bass", "other", "vocals"]``;
- ``separator.separate(signal, progress=True) -> dict[str, np.ndarray]``: ``signal`` is
  float32 ``(channels, samples)`` already at ``separator.sr`` with ``separator.channels``
  channels; the result has one ``(channels, samples)`` array per source.

:func:`mssedu.separation.separate` wraps any such object with what users need around it
(resampling, mono/stereo, ``two_stems="vocals"`` karaoke output, input checks).

Examples
--------
>>> from mssedu.separation import Separator
>>> from mssedu.models import MiniUNet, UNetSeparator
>>> isinstance(UNetSeparator(MiniUNet(), device="cpu"), Separator)
True
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Separator"]


@runtime_checkable
class Separator(Protocol):
    """The separator interface (see the module docstring)."""

    name: str
    sr: int
    channels: int
    sources: list

    def separate(self, signal: np.ndarray, progress: bool = True) -> dict:
        """Split ``signal`` into sources.

        Parameters
        ----------
        signal : numpy.ndarray
            float32 ``(channels, samples)`` at ``sr``.
        progress : bool
            Show a progress bar.

        Returns
        -------
        dict
            ``{source: (channels, samples) array}``.
        """
