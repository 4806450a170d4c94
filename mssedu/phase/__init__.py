r"""Phase reconstruction: from a magnitude spectrogram back to a waveform.

A separator usually estimates only the *magnitude* :math:`A = |S|` of each source. To hear
it, a phase is needed. The simplest choice, the mixture's phase, carries traces of the
other sources ("bleed"). This package finds better phases by alternating between two sets
of spectrograms (Griffin & Lim, 1984): those with the wanted magnitude,
:math:`\mathcal{A} = \{Y : |Y| = A\}`, and the *consistent* ones,
:math:`\mathcal{C} = \{\mathrm{STFT}(x)\}`, with the projections

.. math::

    P_{\mathcal{A}}(Y) = A\, e^{i\angle Y}, \qquad
    P_{\mathcal{C}}(Y) = \mathrm{STFT}\big(\mathrm{iSTFT}(Y)\big).

One concept per module:

- :mod:`~mssedu.phase.textbook` -- Griffin-Lim, fast Griffin-Lim and MISI written to be
  read: numpy, one line per step (:func:`griffin_lim_textbook`, :func:`misi_textbook`);
- :mod:`~mssedu.phase.fast` -- the same algorithms written to be used: torch, batched, on
  the GPU if you like, with progress bars (:func:`griffin_lim`, :func:`misi`);
- :mod:`~mssedu.phase.projection` -- :math:`P_{\mathcal{C}}` rearranged so that an
  iteration costs little more than its two FFTs (what :mod:`~mssedu.phase.fast` iterates);
- :mod:`~mssedu.phase.measures` -- spectral convergence and (in)consistency;
- :mod:`~mssedu.phase.inputs` -- the initial phase both implementations share
  (:func:`initial_phase`) and the argument checks;
- :mod:`~mssedu.phase.unfolded` -- MISI unfolded into trainable layers (Wang et al., 2018):
  :class:`UnfoldedMISI`, :func:`train_unfolded`;
- :mod:`~mssedu.phase.results` -- the ``(signal, history)`` named tuples they return.

Examples
--------
>>> import numpy as np
>>> from mssedu.spectral import stft
>>> from mssedu import phase
>>> x = np.random.default_rng(0).standard_normal(4000).astype(np.float32)
>>> A = np.abs(stft(x, 256, 64))
>>> fast, h_fast = phase.griffin_lim(A, 4, momentum=0.0, length=4000)
>>> slow, h_slow = phase.griffin_lim_textbook(A, 4, momentum=0.0, length=4000)
>>> bool(np.allclose(h_fast, h_slow, rtol=1e-4))
True
"""
from __future__ import annotations

from .fast import griffin_lim, misi
from .inputs import initial_phase
from .measures import consistency, spectral_convergence
from .results import GriffinLimResult, MisiResult
from .textbook import griffin_lim_textbook, misi_textbook
from .unfolded import UnfoldedMISI, train_unfolded

__all__ = ["griffin_lim", "misi", "spectral_convergence", "consistency",
           "GriffinLimResult", "MisiResult",
           "griffin_lim_textbook", "misi_textbook", "initial_phase", "UnfoldedMISI", "train_unfolded"]
