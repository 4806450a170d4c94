"""What every separator in the course looks like, so one table can compare them.

An oracle mask, the students' mini U-Net and HT-Demucs all answer the same calls:

- ``separator.name``: a label for tables;
- ``separator.sr``: the sample rate it works at;
- ``separator.sources``: the stem names it returns, e.g. ``["drums", "bass", "other", "vocals"]``;
- ``separator.separate(signal, progress=True) -> dict[str, np.ndarray]``: ``signal`` is
  float32 ``(channels, samples)`` already at ``separator.sr`` with the channel count the
  model wants; the result has one ``(channels, samples)`` array per source.

:func:`mssedu.pretrained.separate` wraps any such object with what users need around it
(resampling, mono/stereo, ``two_stems="vocals"`` karaoke output, input checks).
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Separator(Protocol):
    name: str
    sr: int
    sources: list

    def separate(self, signal: np.ndarray, progress: bool = True) -> dict:
        ...
