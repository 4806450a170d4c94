r"""Source separation before deep learning: four classic tricks, each in a few lines.

- **Centre-channel cancellation** (the karaoke trick): whatever is mixed identically into
  both channels (usually the lead vocal, but also the bass and the kick drum) vanishes from
  :math:`L - R`.
- **Mid/side**: :math:`M = (L + R)/2`, :math:`S = (L - R)/2`, the same idea as a change of basis.
- **Harmonic/percussive separation** (HPSS, Fitzgerald 2010): harmonic sounds are
  horizontal lines in a spectrogram, percussive ones vertical lines; median filters along
  time and along frequency tell them apart.
- **REPET** (Rafii & Pardo, 2013): the accompaniment repeats, the voice does not; a median
  over repetitions of the spectrogram models the repeating background.
- **NMF** (Lee & Seung, 2001; Smaragdis & Brown, 2003): the magnitude spectrogram as a sum
  of a few spectral templates switched on and off over time, :math:`V \approx WH`.

One algorithm per module (:mod:`.centre`, :mod:`.hpss`, :mod:`.repet`, :mod:`.nmf`).
Signals are ``(channels, samples)`` float32; spectrograms come from
:func:`mssedu.spectral.stft`.
"""
from __future__ import annotations

from .centre import cancellation_report, centre_channel_cancellation, mid_side, stereo_from_mid_side
from .hpss import hpss, hpss_masks
from .nmf import NMFResult, nmf, nmf_separate, supervised_nmf_separate
from .repet import RepetResult, beat_spectrum, repeating_period, repet, repet_mask

__all__ = ["mid_side", "stereo_from_mid_side", "centre_channel_cancellation",
           "cancellation_report", "hpss_masks", "hpss", "beat_spectrum", "repeating_period",
           "repet_mask", "repet", "RepetResult", "nmf", "NMFResult", "nmf_separate",
           "supervised_nmf_separate"]
