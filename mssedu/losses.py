r"""Training losses for separation networks, in torch (differentiable), written out.

Spectrogram losses compare an estimated magnitude :math:`\hat S` with the true one
:math:`S` (same shape, any leading dims); waveform losses compare signals
``(..., samples)``. Every loss returns a scalar tensor (the mean over everything), and
accepts numpy arrays too (they are converted; handy for checking a value by hand).

==========================  ====================================================================
``l1_magnitude``            :math:`\frac{1}{N}\sum |\hat S - S|` (Jansson et al. 2017; Spleeter)
``l2_magnitude``            :math:`\frac{1}{N}\sum (\hat S - S)^2` (Open-Unmix)
``huber``                   quadratic for errors below ``delta``, linear above (Huber 1964)
``spectral_convergence``    :math:`\| S - \hat S \|_F / \| S \|_F`
``log_magnitude``           :math:`\frac{1}{N}\| \log S - \log \hat S \|_1`
``multi_resolution_stft``   mean over STFT sizes of the two above (Yamamoto et al. 2020)
``si_sdr``                  scale-invariant SDR in dB (Le Roux et al. 2019)
``si_sdr_loss``             :math:`-\mathrm{SI\text{-}SDR}` (to minimise)
==========================  ====================================================================
"""
from __future__ import annotations

import numpy as np

from .errors import ParameterError

__all__ = ["l1_magnitude", "l2_magnitude", "huber", "spectral_convergence", "log_magnitude",
           "stft_loss", "multi_resolution_stft", "si_sdr", "si_sdr_loss", "LOSSES", "get_loss"]


def _pair(estimate, reference, name):
    import torch

    est = torch.as_tensor(np.asarray(estimate)) if not isinstance(estimate, torch.Tensor) else estimate
    ref = torch.as_tensor(np.asarray(reference)) if not isinstance(reference, torch.Tensor) else reference
    if est.shape != ref.shape:
        raise ParameterError(f"{name}: estimate has shape {tuple(est.shape)} but reference "
                          f"{tuple(ref.shape)}; they must match.")
    if est.is_complex() or ref.is_complex():
        raise ParameterError(f"{name} compares real magnitudes or waveforms; take .abs() of a complex STFT first.")
    if not est.is_floating_point():
        est = est.float()
    if not ref.is_floating_point():
        ref = ref.float()
    return est, ref.to(est.dtype)


def l1_magnitude(estimate, reference):
    r"""Mean absolute error :math:`\frac{1}{N}\sum_{i} |\hat S_i - S_i|`.

    >>> float(l1_magnitude([1.0, 2.0], [0.0, 4.0]))
    1.5
    """
    est, ref = _pair(estimate, reference, "l1_magnitude")
    return (est - ref).abs().mean()


def l2_magnitude(estimate, reference):
    r"""Mean squared error :math:`\frac{1}{N}\sum_{i} (\hat S_i - S_i)^2`.

    >>> float(l2_magnitude([1.0, 2.0], [0.0, 4.0]))
    2.5
    """
    est, ref = _pair(estimate, reference, "l2_magnitude")
    return ((est - ref) ** 2).mean()


def huber(estimate, reference, delta: float = 1.0):
    r"""Huber loss, the mean of

    .. math:: \ell(d) = \begin{cases} \tfrac12 d^2 & |d| \le \delta \\
                                      \delta\,(|d| - \tfrac12 \delta) & |d| > \delta \end{cases},
              \qquad d = \hat S - S .

    L2 near zero (smooth), L1 for large errors (robust to loud outliers).

    >>> float(huber([0.5, 3.0], [0.0, 0.0]))     # (0.125 + 2.5) / 2
    1.3125
    """
    if delta <= 0:
        raise ParameterError(f"huber: delta must be > 0, got {delta}.")
    est, ref = _pair(estimate, reference, "huber")
    d = (est - ref).abs()
    quad = 0.5 * d ** 2
    lin = delta * (d - 0.5 * delta)
    return (d <= delta).to(est.dtype).mul(quad).add((d > delta).to(est.dtype).mul(lin)).mean()


def spectral_convergence(estimate, reference, eps: float = 1e-8):
    r"""Spectral convergence :math:`\| S - \hat S \|_F / \| S \|_F` over the last two axes
    (frequency, frames), averaged over leading axes. Emphasises the loud bins."""
    est, ref = _pair(estimate, reference, "spectral_convergence")
    num = _frobenius(ref - est)
    den = _frobenius(ref)
    return (num / (den + eps)).mean()


def _frobenius(x):
    """Frobenius norm over the last two axes."""
    return x.pow(2).sum(dim=(-2, -1)).sqrt()


def log_magnitude(estimate, reference, eps: float = 1e-7):
    r"""Log-magnitude distance :math:`\frac{1}{N}\sum |\log(S + \epsilon) - \log(\hat S + \epsilon)|`.
    Emphasises the quiet bins (every decibel counts the same)."""
    est, ref = _pair(estimate, reference, "log_magnitude")
    return (ref.clamp_min(0).add(eps).log() - est.clamp_min(0).add(eps).log()).abs().mean()


def stft_loss(estimate, reference, n_fft: int = 1024, hop_length: int | None = None):
    r"""Single-resolution STFT loss of two waveforms ``(..., samples)``:
    ``spectral_convergence + log_magnitude`` of their STFT magnitudes (Hann, ``center=True``)."""
    from .spectral import stft

    est, ref = _pair(estimate, reference, "stft_loss")
    hop = n_fft // 4 if hop_length is None else hop_length
    E = stft(est, n_fft, hop).abs()
    R = stft(ref, n_fft, hop).abs()
    return spectral_convergence(E, R) + log_magnitude(E, R)


def multi_resolution_stft(estimate, reference, n_ffts=(512, 1024, 2048), hop_lengths=None):
    r"""Multi-resolution STFT loss (Yamamoto, Song & Kim, 2020, eq. 4-6):

    .. math:: L = \frac{1}{M} \sum_{m=1}^{M} \Big( L_{sc}^{(m)} + L_{mag}^{(m)} \Big),

    one STFT per window size (512, 1024, 2048 samples; hop a quarter of it by default),
    so no single time-frequency trade-off is favoured.
    """
    if hop_lengths is None:
        hop_lengths = [n // 4 for n in n_ffts]
    if len(hop_lengths) != len(n_ffts):
        raise ParameterError("multi_resolution_stft: give one hop length per n_fft.")
    est, ref = _pair(estimate, reference, "multi_resolution_stft")
    if est.shape[-1] < max(n_ffts):
        raise ParameterError(f"multi_resolution_stft: signals of {est.shape[-1]} samples are shorter "
                          f"than the largest window ({max(n_ffts)}); use longer excerpts.")
    terms = [stft_loss(est, ref, n, h) for n, h in zip(n_ffts, hop_lengths)]
    return sum(terms) / len(terms)


def si_sdr(estimate, reference, zero_mean: bool = True, eps: float = 1e-8):
    r"""Scale-invariant SDR in dB (Le Roux et al., 2019), per signal over the last axis:

    .. math:: \alpha = \frac{\langle \hat s, s\rangle}{\|s\|^2},\qquad
              \mathrm{SI\text{-}SDR} = 10 \log_{10} \frac{\|\alpha s\|^2}{\|\alpha s - \hat s\|^2}.

    Returns a tensor of shape ``(...)`` (one value per signal)."""
    est, ref = _pair(estimate, reference, "si_sdr")
    if zero_mean:
        est = est - est.mean(dim=-1, keepdim=True)
        ref = ref - ref.mean(dim=-1, keepdim=True)
    alpha = (est * ref).sum(-1, keepdim=True) / (ref.pow(2).sum(-1, keepdim=True) + eps)
    target = alpha * ref
    noise = target - est
    return 10 * ((target.pow(2).sum(-1) + eps) / (noise.pow(2).sum(-1) + eps)).log10()


def si_sdr_loss(estimate, reference, zero_mean: bool = True):
    """Negative mean SI-SDR (dB): minimising it maximises SI-SDR."""
    return -si_sdr(estimate, reference, zero_mean).mean()


#: Losses by name, as ``train(loss=...)`` accepts them. Spectrogram losses take magnitudes,
#: waveform losses take signals.
LOSSES = {"l1": l1_magnitude, "l2": l2_magnitude, "huber": huber,
          "mrstft": multi_resolution_stft, "si_sdr": si_sdr_loss}
WAVEFORM_LOSSES = {"mrstft", "si_sdr"}


def get_loss(name: str):
    """The loss function called ``name`` (see :data:`LOSSES`)."""
    if name not in LOSSES:
        raise ParameterError(f"Unknown loss {name!r}; choose one of {sorted(LOSSES)}.")
    return LOSSES[name]
