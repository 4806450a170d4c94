r"""Training losses for separation networks, in torch (differentiable), written out.

Every loss takes ``(reference, estimate)``, the same order as every metric in
:mod:`mssedu.metrics`, and is named ``*_loss``; every one is a quantity to *minimise*.
Spectrogram losses compare an estimated magnitude :math:`\hat S` with the true one
:math:`S` (same shape, any leading dims); waveform losses compare signals
``(..., samples)``. Every loss returns a scalar tensor (the mean over everything), and
accepts numpy arrays too (they are converted; handy for checking a value by hand).

================================  ================================================================
``l1_loss``                       :math:`\frac{1}{N}\sum |\hat S - S|` (Jansson et al. 2017; Spleeter)
``l2_loss``                       :math:`\frac{1}{N}\sum (\hat S - S)^2` (Open-Unmix)
``huber_loss``                    quadratic for errors below ``delta``, linear above (Huber 1964)
``spectral_convergence_loss``     :math:`\| S - \hat S \|_F / \| S \|_F`
``log_magnitude_loss``            :math:`\frac{1}{N}\| \log S - \log \hat S \|_1`
``stft_loss``                     the two above on STFT magnitudes of waveforms
``multi_resolution_stft_loss``    mean over STFT sizes of ``stft_loss`` (Yamamoto et al. 2020)
``sdr_loss``                      :math:`-\mathrm{SDR}` in dB, the torch twin of
                                  :func:`mssedu.metrics.sdr`
``si_sdr_loss``                   :math:`-\mathrm{SI\text{-}SDR}` in dB (Le Roux et al. 2019), the
                                  torch twin of :func:`mssedu.metrics.si_sdr`
================================  ================================================================

The SDR losses compute exactly what the numpy metrics compute (same shapes convention: a
``(channels, samples)`` signal gives one value over all its channels, a
``(batch, channels, samples)`` batch one value per item), negated and averaged:
``si_sdr_loss(ref, est) == -mean(metrics.si_sdr(ref, est))``.

:data:`LOSSES` maps the names that ``train(loss=...)`` accepts (``"l1"``, ``"l2"``,
``"huber"``, ``"mrstft"``, ``"sdr"``, ``"si_sdr"``) to these functions; :func:`get_loss`
looks one up.

Undefined values follow :mod:`mssedu.metrics`' rule: a reference or estimate holding NaN/inf
gives a NaN loss and an :class:`~mssedu.errors.UndefinedScoreWarning` (the training loop
then stops on it); a silent reference stays defined only through ``eps``, which must be > 0.
"""
from __future__ import annotations

import warnings

import torch

from .checks import check_array, check_bool, check_number
from .errors import ParameterError, UndefinedScoreWarning
from .spectral import stft

__all__ = ["l1_loss", "l2_loss", "huber_loss", "spectral_convergence_loss",
           "log_magnitude_loss", "stft_loss", "multi_resolution_stft_loss", "sdr_loss",
           "si_sdr_loss", "LOSSES", "WAVEFORM_LOSSES", "get_loss"]


def _pair(reference, estimate, name):
    """Both arguments as real floating tensors of one shape and dtype."""
    ref = reference if isinstance(reference, torch.Tensor) else torch.as_tensor(
        check_array(reference, "reference"))
    est = estimate if isinstance(estimate, torch.Tensor) else torch.as_tensor(
        check_array(estimate, "estimate"))
    if est.shape != ref.shape:
        raise ParameterError(f"{name}: reference has shape {tuple(ref.shape)} but estimate "
                             f"{tuple(est.shape)}; they must match.")
    if est.is_complex() or ref.is_complex():
        raise ParameterError(f"{name} compares real magnitudes or waveforms; take .abs() of a "
                             "complex STFT first.")
    if not est.is_floating_point():
        est = est.float()
    if not ref.is_floating_point():
        ref = ref.float()
    if not bool(torch.isfinite(ref).all() & torch.isfinite(est).all()):   # one pass each
        warnings.warn(f"{name}: the reference or estimate holds NaN/inf, so the loss is "
                      "undefined and NaN. Check the batch and the model's output "
                      "(torch.isfinite shows where); lower the learning rate if it diverged.",
                      UndefinedScoreWarning, stacklevel=3)
        est = est * float("nan")   # NaN, still attached to the graph
    return ref.to(est.dtype), est


def _undefined(est) -> bool:
    # _pair makes every element NaN when the loss is undefined, so one element tells (O(1))
    return est.numel() > 0 and bool(est.reshape(-1)[0].isnan())


def _eps(eps) -> float:
    # eps > 0 keeps a silent reference's loss finite; 0 makes it inf or NaN
    return check_number(eps, "eps", 0, hint="Use a small positive number such as 1e-8.")


def l1_loss(reference, estimate):
    r"""Mean absolute error :math:`\frac{1}{N}\sum_{i} |\hat S_i - S_i|`.

    Parameters
    ----------
    reference : torch.Tensor or array_like, shape ``(..., freq, frames)`` or any
        The true magnitudes :math:`S`.
    estimate : torch.Tensor or array_like, same shape
        The estimated magnitudes :math:`\hat S`.

    Returns
    -------
    torch.Tensor
        Scalar, the mean over every element.

    Examples
    --------
    >>> float(l1_loss([0.0, 4.0], [1.0, 2.0]))
    1.5
    """
    ref, est = _pair(reference, estimate, "l1_loss")
    return (est - ref).abs().mean()


def l2_loss(reference, estimate):
    r"""Mean squared error :math:`\frac{1}{N}\sum_{i} (\hat S_i - S_i)^2`.

    Parameters
    ----------
    reference : torch.Tensor or array_like, shape ``(..., freq, frames)`` or any
        The true magnitudes :math:`S`.
    estimate : torch.Tensor or array_like, same shape
        The estimated magnitudes :math:`\hat S`.

    Returns
    -------
    torch.Tensor
        Scalar, the mean over every element.

    Examples
    --------
    >>> float(l2_loss([0.0, 4.0], [1.0, 2.0]))
    2.5
    """
    ref, est = _pair(reference, estimate, "l2_loss")
    return ((est - ref) ** 2).mean()


def huber_loss(reference, estimate, delta: float = 1.0):
    r"""Huber loss, the mean of

    .. math:: \ell(d) = \begin{cases} \tfrac12 d^2 & |d| \le \delta \\
                                      \delta\,(|d| - \tfrac12 \delta) & |d| > \delta \end{cases},
              \qquad d = \hat S - S .

    L2 near zero (smooth), L1 for large errors (robust to loud outliers).

    Parameters
    ----------
    reference : torch.Tensor or array_like, any shape
        The true magnitudes :math:`S`.
    estimate : torch.Tensor or array_like, same shape
        The estimated magnitudes :math:`\hat S`.
    delta : float
        Where the loss turns from quadratic to linear (> 0).

    Returns
    -------
    torch.Tensor
        Scalar, the mean over every element.

    Examples
    --------
    >>> float(huber_loss([0.0, 0.0], [0.5, 3.0]))     # (0.125 + 2.5) / 2
    1.3125
    """
    if delta <= 0:
        raise ParameterError(f"huber_loss: delta must be > 0, got {delta}.")
    ref, est = _pair(reference, estimate, "huber_loss")
    d = (est - ref).abs()
    quad = 0.5 * d ** 2
    lin = delta * (d - 0.5 * delta)
    return (d <= delta).to(est.dtype).mul(quad).add((d > delta).to(est.dtype).mul(lin)).mean()


def _frobenius(x):
    """Frobenius norm over the last two axes."""
    return x.pow(2).sum(dim=(-2, -1)).sqrt()


def spectral_convergence_loss(reference, estimate, eps: float = 1e-8):
    r"""Spectral convergence :math:`\| S - \hat S \|_F / \| S \|_F` over the last two axes
    (frequency, frames), averaged over leading axes. Emphasises the loud bins.

    For one ``(freq, frames)`` spectrogram it equals
    :func:`mssedu.phase.spectral_convergence`.

    Parameters
    ----------
    reference : torch.Tensor or array_like, shape ``(..., freq, frames)``
        The true magnitudes :math:`S`.
    estimate : torch.Tensor or array_like, same shape
        The estimated magnitudes :math:`\hat S`.
    eps : float
        Added to the denominator (keeps a silent reference finite).

    Returns
    -------
    torch.Tensor
        Scalar, the mean over the leading axes.
    """
    ref, est = _pair(reference, estimate, "spectral_convergence_loss")
    return (_frobenius(ref - est) / (_frobenius(ref) + _eps(eps))).mean()


def log_magnitude_loss(reference, estimate, eps: float = 1e-7):
    r"""Log-magnitude distance :math:`\frac{1}{N}\sum |\log(S + \epsilon) - \log(\hat S + \epsilon)|`.
    Emphasises the quiet bins (every decibel counts the same).

    Parameters
    ----------
    reference : torch.Tensor or array_like, any shape
        The true magnitudes :math:`S` (negative values are clamped to 0).
    estimate : torch.Tensor or array_like, same shape
        The estimated magnitudes :math:`\hat S`.
    eps : float
        Added before the logarithm.

    Returns
    -------
    torch.Tensor
        Scalar, the mean over every element.
    """
    ref, est = _pair(reference, estimate, "log_magnitude_loss")
    eps = _eps(eps)
    return (ref.clamp_min(0).add(eps).log() - est.clamp_min(0).add(eps).log()).abs().mean()


def stft_loss(reference, estimate, n_fft: int = 1024, hop_length: int | None = None):
    r"""Single-resolution STFT loss of two waveforms:
    ``spectral_convergence_loss + log_magnitude_loss`` of their STFT magnitudes
    (Hann, ``center=True``).

    Parameters
    ----------
    reference : torch.Tensor or array_like, shape ``(..., samples)``
        The true signal.
    estimate : torch.Tensor or array_like, same shape
        The estimated signal.
    n_fft : int
        STFT frame length.
    hop_length : int, optional
        STFT hop; default ``n_fft // 4``.

    Returns
    -------
    torch.Tensor
        Scalar.
    """
    ref, est = _pair(reference, estimate, "stft_loss")
    if _undefined(est):
        return est.mean()
    hop = n_fft // 4 if hop_length is None else hop_length
    R = stft(ref, n_fft, hop).abs()
    E = stft(est, n_fft, hop).abs()
    return spectral_convergence_loss(R, E) + log_magnitude_loss(R, E)


def multi_resolution_stft_loss(reference, estimate, n_ffts=(512, 1024, 2048), hop_lengths=None):
    r"""Multi-resolution STFT loss (Yamamoto, Song & Kim, 2020, eq. 4-6):

    .. math:: L = \frac{1}{M} \sum_{m=1}^{M} \Big( L_{sc}^{(m)} + L_{mag}^{(m)} \Big),

    one STFT per window size (512, 1024, 2048 samples; hop a quarter of it by default),
    so no single time-frequency trade-off is favoured.

    Parameters
    ----------
    reference : torch.Tensor or array_like, shape ``(..., samples)``
        The true signal.
    estimate : torch.Tensor or array_like, same shape
        The estimated signal.
    n_ffts : sequence of int
        The STFT frame lengths; the signals must be at least as long as the largest.
    hop_lengths : sequence of int, optional
        One hop per ``n_fft``; default a quarter of each.

    Returns
    -------
    torch.Tensor
        Scalar, the mean of :func:`stft_loss` over the resolutions.
    """
    if hop_lengths is None:
        hop_lengths = [n // 4 for n in n_ffts]
    if len(hop_lengths) != len(n_ffts):
        raise ParameterError("multi_resolution_stft_loss: give one hop length per n_fft.")
    ref, est = _pair(reference, estimate, "multi_resolution_stft_loss")
    if _undefined(est):
        return est.mean()
    if est.shape[-1] < max(n_ffts):
        raise ParameterError(f"multi_resolution_stft_loss: signals of {est.shape[-1]} samples are "
                             f"shorter than the largest window ({max(n_ffts)}); use longer excerpts.")
    terms = [stft_loss(ref, est, n, h) for n, h in zip(n_ffts, hop_lengths)]
    return sum(terms) / len(terms)


def _rows(x, per_channel: bool):
    """(..., samples) -> (rows, samples) as :func:`mssedu.metrics.sdr` groups them."""
    if x.ndim == 1 or per_channel:
        return x.reshape(-1, x.shape[-1])
    return x.reshape(-1, x.shape[-2] * x.shape[-1])


def _db_ratio(num, den, eps):
    return 10 * torch.log10((num + eps) / (den + eps))


def sdr_loss(reference, estimate, per_channel: bool = False, eps: float = 1e-12):
    r"""Negative plain SDR in dB, averaged: the torch twin of :func:`mssedu.metrics.sdr`,

    .. math:: L = -\frac{1}{B} \sum_b 10 \log_{10} \frac{\|s_b\|^2}{\|s_b - \hat s_b\|^2}.

    Parameters
    ----------
    reference : torch.Tensor or array_like, shape ``(..., channels, samples)`` or ``(samples,)``
        The true signals :math:`s`.
    estimate : torch.Tensor or array_like, same shape
        The estimates :math:`\hat s`.
    per_channel : bool
        ``False``: one SDR per ``(channels, samples)`` signal (all channels together), as
        :func:`mssedu.metrics.sdr`; ``True``: one per channel.
    eps : float
        Added to both energies (keeps silence finite), as in the metric.

    Returns
    -------
    torch.Tensor
        Scalar, ``-mean(metrics.sdr(reference, estimate, per_channel))``.
    """
    ref, est = _pair(reference, estimate, "sdr_loss")
    per_channel = check_bool(per_channel, "per_channel")
    r, e = _rows(ref, per_channel), _rows(est, per_channel)
    return -_db_ratio(r.pow(2).sum(-1), (r - e).pow(2).sum(-1), _eps(eps)).mean()


def si_sdr_loss(reference, estimate, zero_mean: bool = True, per_channel: bool = False,
                eps: float = 1e-12):
    r"""Negative scale-invariant SDR in dB, averaged: the torch twin of
    :func:`mssedu.metrics.si_sdr` (Le Roux et al., 2019),

    .. math:: \alpha = \frac{\langle \hat s, s\rangle}{\|s\|^2},\qquad
              L = -\frac{1}{B} \sum_b 10 \log_{10} \frac{\|\alpha s_b\|^2}{\|\alpha s_b - \hat s_b\|^2}.

    Minimising it maximises SI-SDR.

    Parameters
    ----------
    reference : torch.Tensor or array_like, shape ``(..., channels, samples)`` or ``(samples,)``
        The true signals :math:`s`.
    estimate : torch.Tensor or array_like, same shape
        The estimates :math:`\hat s`.
    zero_mean : bool
        Remove each channel's mean first (as the metric, Le Roux et al. and nussl do).
    per_channel : bool
        ``False``: one value per ``(channels, samples)`` signal, as the metric; ``True``: one
        per channel.
    eps : float
        Added to the energies, as in the metric.

    Returns
    -------
    torch.Tensor
        Scalar, ``-mean(metrics.si_sdr(reference, estimate, zero_mean, per_channel))``.

    Examples
    --------
    >>> import torch
    >>> ref = torch.tensor([1.0, -1.0, 1.0, -1.0])
    >>> noise = torch.tensor([1.0, 1.0, -1.0, -1.0])
    >>> round(float(si_sdr_loss(ref, 2 * ref + noise)), 4)     # -10 log10(16 / 4)
    -6.0206
    """
    ref, est = _pair(reference, estimate, "si_sdr_loss")
    eps, per_channel = _eps(eps), check_bool(per_channel, "per_channel")
    if check_bool(zero_mean, "zero_mean"):  # each channel's own mean
        ref = ref - ref.mean(dim=-1, keepdim=True)
        est = est - est.mean(dim=-1, keepdim=True)
    r, e = _rows(ref, per_channel), _rows(est, per_channel)
    alpha = (e * r).sum(-1, keepdim=True) / (r.pow(2).sum(-1, keepdim=True) + eps)
    target = alpha * r
    return -_db_ratio(target.pow(2).sum(-1), (target - e).pow(2).sum(-1), eps).mean()


#: Losses by name, as ``train(loss=...)`` accepts them; each is called
#: ``loss(reference, estimate)``. Spectrogram losses take magnitudes, waveform losses
#: (:data:`WAVEFORM_LOSSES`) take signals.
LOSSES = {"l1": l1_loss, "l2": l2_loss, "huber": huber_loss,
          "mrstft": multi_resolution_stft_loss, "sdr": sdr_loss, "si_sdr": si_sdr_loss}
#: The names in :data:`LOSSES` whose functions compare waveforms, not magnitudes.
WAVEFORM_LOSSES = {"mrstft", "sdr", "si_sdr"}


def get_loss(name: str):
    """The loss function called ``name`` (see :data:`LOSSES`).

    Parameters
    ----------
    name : str
        A key of :data:`LOSSES`: ``"l1"``, ``"l2"``, ``"huber"``, ``"mrstft"``, ``"sdr"``
        or ``"si_sdr"``.

    Returns
    -------
    callable
        ``loss(reference, estimate) -> scalar tensor``.
    """
    if name not in LOSSES:
        raise ParameterError(f"Unknown loss {name!r}; choose one of {sorted(LOSSES)}.")
    return LOSSES[name]
