r"""Objective separation metrics: BSS Eval (SDR, SIR, SAR, ISR), SDR and SI-SDR.

**BSS Eval** (Vincent, Gribonval & Févotte, 2006) splits an estimate :math:`\hat s_j` of the
image :math:`s_j` of source :math:`j` into

.. math::  \hat s_j = s_j + e^{\mathrm{spat}}_j + e^{\mathrm{interf}}_j + e^{\mathrm{artif}}_j

by least-squares projections onto delayed copies of the references (distortion filters of
512 taps): :math:`s_j + e^{\mathrm{spat}}_j` is the projection onto source :math:`j`'s
delayed copies, the projection onto all sources adds :math:`e^{\mathrm{interf}}_j`, and the
rest is :math:`e^{\mathrm{artif}}_j`. Then

.. math::

    \mathrm{SDR} = 10 \log_{10} \frac{\|s_j\|^2}
        {\|e^{\mathrm{spat}}_j + e^{\mathrm{interf}}_j + e^{\mathrm{artif}}_j\|^2}, \quad
    \mathrm{ISR} = 10 \log_{10} \frac{\|s_j\|^2}{\|e^{\mathrm{spat}}_j\|^2},

    \mathrm{SIR} = 10 \log_{10} \frac{\|s_j + e^{\mathrm{spat}}_j\|^2}{\|e^{\mathrm{interf}}_j\|^2},
    \quad
    \mathrm{SAR} = 10 \log_{10} \frac{\|s_j + e^{\mathrm{spat}}_j + e^{\mathrm{interf}}_j\|^2}
        {\|e^{\mathrm{artif}}_j\|^2}.

**BSS Eval v4** (museval; Stöter, Liutkus & Ito, 2018), the SiSEC 2018 / MUSDB18 standard,
computes the distortion filters once on the whole track and the ratios on 1-second frames;
a track's score is the median over frames. :func:`bss_eval` wraps museval and returns a
pandas DataFrame.

**Plain SDR** (the Music Demixing Challenge's "new SDR"): no projection, just
:math:`10\log_{10} \|s\|^2 / \|s - \hat s\|^2`. A gain error counts as distortion.

**SI-SDR** (Le Roux, Wisdom, Erdogan & Hershey, 2019) rescales the reference optimally
first, :math:`\alpha = \langle \hat s, s\rangle / \|s\|^2`, so a gain change of the estimate
does not move it:

.. math:: \mathrm{SI\text{-}SDR} = 10 \log_{10} \frac{\|\alpha s\|^2}{\|\alpha s - \hat s\|^2}.

:func:`gain_sensitivity` shows the difference.

Shapes: a signal is ``(channels, samples)`` (or 1-D mono); a set of sources is a dict
``name -> (channels, samples)`` or an array ``(sources, channels, samples)``.

**Undefined scores: NaN with a warning, one rule for every metric and loss.** BSS Eval and
its relatives measure an estimate *against a reference*; they are undefined when

* the reference is silent (all zeros): there is nothing to measure against (an ``eps`` would
  turn this into about -142 dB, a number that looks like a result and is not one), or
* the reference or the estimate holds NaN or inf (a broken file or model).

Then the value for that source (or channel, with ``per_channel=True``; or frame, in
:func:`framewise_sdr`) is NaN, and an :class:`~mssedu.errors.UndefinedScoreWarning` says
which argument and what to do; the other values are computed as usual (so
``np.nanmean`` over a set of songs skips them, as museval's medians do). The losses of
:mod:`mssedu.losses` follow the same rule: a non-finite input gives a NaN loss and the
warning; a silent reference stays defined there only through ``eps > 0``, which is therefore
required. Wrong types and shapes (``None``, strings, ragged lists, complex arrays, mismatched
shapes) are not degenerate scores but bad arguments: ``ParameterError``.
"""
from .bss import METRICS, bss_eval, bss_eval_quick
from .ratios import framewise_sdr, gain_sensitivity, sdr, si_sar, si_sdr

__all__ = ["bss_eval", "bss_eval_quick", "sdr", "si_sdr", "gain_sensitivity", "framewise_sdr",
           "METRICS", "si_sar"]
