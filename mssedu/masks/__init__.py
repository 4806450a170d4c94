r"""Time-frequency masks: separating sources by weighting the mixture's spectrogram.

Write the mixture's STFT as the sum of the sources' STFTs, :math:`Y = S + N`, with :math:`S`
the target and :math:`N` the interference (everything else). A *mask* is an array
:math:`M[c, f, t]` of the spectrogram's shape; the estimate of the target is

.. math::  \hat S = M \odot Y, \qquad \hat s = \mathrm{iSTFT}(\hat S),

a gain per channel, frequency bin and frame. When the sources are known (an *oracle*), the
best masks of each family can be computed, which tells how far a separation system that
predicts masks could possibly go. The families, each a function of the sources:

========================  =============================================================
:func:`ideal_binary_mask`  :math:`M = [\,20\log_{10}|S|/|N| > \mathrm{LC}\,]` (Wang, 2005)
:func:`ideal_ratio_mask`   :math:`M = |S|^\alpha / (|S|^\alpha + |N|^\alpha)`;
                           :math:`\alpha = 1` magnitude ratio, :math:`\alpha = 2` Wiener
:func:`phase_sensitive_mask` :math:`M = \mathrm{Re}(S / Y) = |S|/|Y| \cos(\theta_S - \theta_Y)`,
                           truncated to :math:`[0, 1]` (Erdogan et al., 2015)
:func:`complex_ratio_mask` :math:`M = S / Y` (real and imaginary parts; Williamson et al., 2016)
========================  =============================================================

Shapes: spectrograms are ``(channels, freq, frames)`` (``(freq, frames)`` works too);
magnitude masks are float32 of that shape, :func:`complex_ratio_mask` is complex64.
Every function accepts magnitudes (real, non-negative) or complex STFTs where only the
magnitude matters; :func:`phase_sensitive_mask` and :func:`complex_ratio_mask` need complex
STFTs.

:func:`oracle_separate` runs a whole multitrack through one oracle mask, and
:func:`w_disjoint_orthogonality` measures how much real stems overlap in the
time-frequency plane (Yilmaz & Rickard, 2004), which is why binary masks work at all.

References
----------
Wang, D. (2005). On ideal binary mask as the computational goal of auditory scene analysis.
Yilmaz, Ö. & Rickard, S. (2004). Blind separation of speech mixtures via time-frequency
masking. IEEE Trans. Signal Processing 52(7).
Erdogan, H., Hershey, J. R., Watanabe, S. & Le Roux, J. (2015). Phase-sensitive and
recognition-boosted speech separation using deep recurrent neural networks. ICASSP.
Williamson, D. S., Wang, Y. & Wang, D. (2016). Complex ratio masking for monaural speech
separation. IEEE/ACM TASLP 24(3).
Liutkus, A. & Badeau, R. (2015). Generalized Wiener filtering with fractional power spectrograms.
ICASSP.
"""
from .families import (MASK_METHODS, MASK_PARAMS, apply_mask, complex_ratio_mask, compute_mask,
                       decompress_complex_mask, ideal_binary_mask, ideal_ratio_mask,
                       phase_sensitive_mask)
from .oracle import oracle_masks, oracle_separate, w_disjoint_orthogonality

__all__ = ["ideal_binary_mask", "ideal_ratio_mask", "phase_sensitive_mask",
           "complex_ratio_mask", "decompress_complex_mask", "apply_mask", "compute_mask",
           "oracle_masks", "oracle_separate", "w_disjoint_orthogonality", "MASK_METHODS",
           "MASK_PARAMS"]
