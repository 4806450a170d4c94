"""Exercises of chapter 7 (notebook ``07_pretrained``): how many segments
HT-Demucs computes, the karaoke track, the cost of the shift trick, and what BS-RoFormer's
axial attention saves. Reference answers
come from :mod:`mssedu.separation` and ``demucs.apply.apply_model``'s segmenting.

>>> from mssedu.exercises import check
>>> check("pretrained.n_segments", 31).ok
True
"""
from __future__ import annotations

import numpy as np

from .checking import as_number, close, exercise

__all__ = ["n_segments", "axial_saving", "SONG_SECONDS", "SR", "SEGMENT", "OVERLAP", "ROFORMER_FRAMES",
           "ROFORMER_BANDS"]

#: settings of the notebook's questions: a 3-minute song at 44.1 kHz, HT-Demucs' 7.8 s
#: segments, 25 % overlap
SONG_SECONDS, SR, SEGMENT, OVERLAP = 180.0, 44100, 7.8, 0.25
#: BS-RoFormer on the 6-second excerpt: 1 + 264600 // 441 STFT frames (hop 441, centred), 62 bands
ROFORMER_FRAMES, ROFORMER_BANDS = 601, 62


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
def _karaoke(answer, estimates=None, mixture=None, **_):
    """``answer``: the accompaniment built from ``estimates`` (everything but vocals); with
    ``mixture``, ``mixture - vocals`` gets its own explanation (a near miss, not a mistake)."""
    if estimates is None:
        return False, "The check needs the estimates: check('pretrained.karaoke', answer, estimates=stems)."
    expected = np.sum([v for k, v in estimates.items() if k != "vocals"], axis=0)
    ok, message = close(answer, expected, "your accompaniment", rtol=1e-4, atol=1e-5,
                        hint="The accompaniment is everything the separator gave that is not the vocals.")
    if ok or mixture is None:
        return ok, message
    rest = np.asarray(mixture) - np.asarray(estimates["vocals"])
    if np.shape(answer) == rest.shape and np.allclose(answer, rest, rtol=1e-4, atol=1e-5):
        gap = float(np.max(np.abs(np.asarray(mixture) - np.sum(list(estimates.values()), axis=0))))
        return False, ("Nearly, and the idea is right: for a separator whose stems add up to the mixture, "
                       "mixture - vocals *is* the accompaniment. These stems do not add up to it (the "
                       f"largest gap between the mixture and their sum is {gap:.3g}): mixture - vocals puts "
                       "that gap, the separator's errors, into your karaoke track. Build it from the "
                       "separator's own stems instead.")
    return ok, message


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


def axial_saving(frames: int = ROFORMER_FRAMES, bands: int = ROFORMER_BANDS) -> float:
    r"""How many times fewer attention scores one BS-RoFormer block computes than a single
    Transformer over all its ``frames x bands`` tokens would.

    One block attends along time within each band (:math:`K T^2` query-key pairs) and along
    frequency within each frame (:math:`T K^2`); full attention over the :math:`TK` tokens
    would compute :math:`(TK)^2`. The ratio is :math:`TK / (T + K)`.

    Parameters
    ----------
    frames : int
        STFT frames :math:`T`.
    bands : int
        Bands :math:`K`.

    Returns
    -------
    float
        :math:`(TK)^2 / (K T^2 + T K^2)`.

    Examples
    --------
    >>> round(axial_saving(), 1)
    56.2
    """
    t, k = float(frames), float(bands)
    return (t * k) ** 2 / (k * t ** 2 + t * k ** 2)


@exercise("pretrained.axial_saving")
def _axial_saving(answer, **_):
    value = as_number(answer, "the ratio")
    expected = axial_saving()
    if abs(value - expected) <= 0.01 * expected:
        return True, (f"Right: {expected:.1f} times fewer scores. Attention along one axis at a time "
                      "lets every token reach every other one in two steps, at a cost that grows "
                      "like T K (T + K) instead of (T K)^2.")
    if abs(value - ROFORMER_FRAMES * ROFORMER_BANDS) <= 1:
        return False, "That is the number of tokens, T K. Count query-key pairs: a sequence of n tokens has n^2."
    return False, (f"Not {value:g}. Full attention over all T K tokens computes (T K)^2 scores; one block "
                   "computes K sequences of T tokens (time) and T sequences of K tokens (frequency). "
                   "Divide the first count by the second.")
