"""The real example: the MUSDB18 excerpt that the ``stempeg`` package ships, decoded once,
its codec edges cut (:func:`example_track`)."""
from __future__ import annotations

import functools

import numpy as np
import stempeg

from ..errors import DataError
from .track import MUSDB_STEMS, Track

__all__ = ["example_path", "example_track", "EXAMPLE_KEPT"]


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


_PRIMING = 2112            # AAC encoder delay: leading samples that are not the song
_CONTENT = 264_600         # the song itself: exactly 6.000 s at 44.1 kHz
_CODEC_FRAME = 1024        # one AAC frame (the codec's MDCT hop)
#: Samples 3136 to 265687 of the decoded file: the song less its first and last codec frame,
#: where each stream's own coding of the abrupt cut leaves a loud click (see example_track).
EXAMPLE_KEPT = slice(_PRIMING + _CODEC_FRAME,
                     _PRIMING + _CONTENT - _CODEC_FRAME)


def example_track(trim: bool = True) -> Track:
    """The real MUSDB18 excerpt shipped by stempeg: "The Easton Ellises - Falcon 69",
    5.95 s of 44.1 kHz stereo; streams mixture, drums, bass, other, vocals.

    No network is needed. The decode is cached; each call returns fresh copies.

    **What is cut.** Each of the five AAC streams decodes to 268 288 samples: 2112 of
    encoder delay, 6.000 s of song, then padding. The excerpt was cut abruptly at both ends
    and each stream was coded on its own, so each cut becomes a click present in every stem
    (the stems then sum to a peak of 3.70 where the mixture peaks at 1.02). Keeping
    :data:`EXAMPLE_KEPT` drops the delay, the first and last codec frame of the song and the
    padding: 262 552 samples (5.954 s) in which ``mixture - sum(stems)`` lies 22.3 dB below
    the mixture (15.4 dB with the edges).

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
                            f"the {EXAMPLE_KEPT.stop} this course expects; reinstall stempeg "
                            "(pip install --force-reinstall stempeg).")
        streams = streams[..., EXAMPLE_KEPT]
    streams = streams.copy()
    track = Track("The Easton Ellises - Falcon 69", rate, streams[0],
                  {name: streams[i + 1] for i, name in enumerate(MUSDB_STEMS)}, example_path())
    track.mixture_residual_db = track.residual()
    return track
