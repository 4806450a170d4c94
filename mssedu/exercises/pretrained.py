"""Exercises of chapter 7 (notebook ``07_pretrained``): how many segments
HT-Demucs computes, the karaoke track, and the cost of the shift trick. Reference answers
come from :mod:`mssedu.separation` and ``demucs.apply.apply_model``'s segmenting.

>>> from mssedu.exercises import check
>>> check("pretrained.n_segments", 31).ok
True
"""
from __future__ import annotations

import numpy as np

from .checking import as_number, close, exercise

__all__ = ["n_segments", "SONG_SECONDS", "SR", "SEGMENT", "OVERLAP"]

#: settings of the notebook's questions: a 3-minute song at 44.1 kHz, HT-Demucs' 7.8 s
#: segments, 25 % overlap
SONG_SECONDS, SR, SEGMENT, OVERLAP = 180.0, 44100, 7.8, 0.25


def n_segments(seconds: float = SONG_SECONDS, sr: int = SR, segment: float = SEGMENT,
               overlap: float = OVERLAP) -> int:
    """Segments ``apply_model`` runs for one model, no shifts: offsets 0, stride, 2 stride...
    below the length, with stride ``int((1 - overlap) * int(sr * segment))``.

    Parameters
    ----------
    seconds : float
        Length of the song in seconds.
    sr : int
        Sample rate in Hz.
    segment : float
        Segment length in seconds.
    overlap : float
        Fraction of a segment shared with the next one, in ``[0, 1)``.

    Returns
    -------
    int
        The number of segments.
    """
    length = int(seconds * sr)
    stride = int((1 - overlap) * int(sr * segment))
    return len(range(0, length, stride))


@exercise("pretrained.n_segments")
def _n_segments(answer, **_):
    value = as_number(answer, "the number of segments")
    expected = n_segments()
    if value == expected:
        return True, (f"Right: {expected} segments, so each second of audio is computed "
                      f"{SEGMENT / ((1 - OVERLAP) * SEGMENT):.2f} times on average.")
    stride = (1 - OVERLAP) * SEGMENT
    return False, (f"Not {value:g}. The hop between segment starts is (1 - overlap) x segment = "
                   f"{stride:.2f} s; segments start at 0, hop, 2 hop, ... while the start is "
                   "still inside the song (the last one is padded). Count them: ceil(length / hop).")


@exercise("pretrained.karaoke")
def _karaoke(answer, estimates=None, **_):
    """``answer``: the accompaniment built from ``estimates`` (everything but vocals)."""
    if estimates is None:
        return False, "The check needs the estimates: check('pretrained.karaoke', answer, estimates=stems)."
    expected = np.sum([v for k, v in estimates.items() if k != "vocals"], axis=0)
    return close(answer, expected, "your accompaniment", rtol=1e-4, atol=1e-5,
                 hint="Add up every stem except 'vocals' (drums + bass + other), sample by sample.")


@exercise("pretrained.shift_cost")
def _shift_cost(answer, **_):
    """How many segment evaluations for the 3-minute song with ``shifts=2`` (and the bag of
    4 fine-tuned models of ``htdemucs_ft``)?"""
    value = as_number(answer, "the number of model calls")
    # each shift pads the song by up to 0.5 s; the worst case adds at most one segment
    low = 4 * 2 * n_segments()
    high = 4 * 2 * n_segments(SONG_SECONDS + 0.5)
    if low <= value <= high:
        if high == low:
            padding = "a shift pads the song by up to 0.5 s, which adds no segment here"
        else:
            padding = f"or {high} when a shift's padding of up to 0.5 s adds a segment"
        return True, (f"Right: 4 models x 2 shifts x {n_segments()} segments = {low} model "
                      f"calls ({padding}): 8 times the cost of htdemucs with shifts=0.")
    return False, ("Not yet. Every model of the bag runs on its own, and each shift runs the "
                   "whole song again: calls = models x shifts x segments.")
