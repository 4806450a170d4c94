r"""Deep-unfolded MISI: phase reconstruction iterations as trainable layers.

Wang, Le Roux, Wang & Hershey (2018) write :math:`K` iterations of MISI (:func:`mssedu.phase.misi`)
as :math:`K` layers of a network and train them end to end, through every STFT and iSTFT,
with a loss on the *waveforms* they output. Layer :math:`k` of :class:`UnfoldedMISI` is one
MISI iteration with two learnable parts:

.. math::

    \tilde s_j &= s_j + w_{k,j}\,\Big(x - \textstyle\sum_{l} s_l\Big), \qquad
        w_{k,\cdot} = \mathrm{softmax}(\beta_{k,\cdot}) \\
    S_j &= \mathrm{STFT}(\tilde s_j), \\
    \hat A_{k,j} &= A_j\, \exp\!\big(g_k(\log(1 + A_j), \log(1 + |S_j|))\big), \\
    s_j &\leftarrow \mathrm{iSTFT}\big(\hat A_{k,j}\; S_j / |S_j|\big).

* the **mixing-error weights** :math:`w_{k,j}` (MISI: :math:`1/J`) share the error
  :math:`x - \sum_l s_l` between the sources; a softmax keeps :math:`\sum_j w_{k,j} = 1`, so
  the estimates still add up to the mixture exactly;
* the **magnitude correction** :math:`g_k` is a small two-layer convolutional network per
  layer that sees the target magnitude and the magnitude the current phase gives, and
  returns a log-gain per bin: the layer may trust the mask less where the estimate is
  inconsistent (the paper refines the mask inside the unfolded iterations in the same spirit).

With :math:`\beta = 0` and the last layer of every :math:`g_k` zero (how the model starts,
``init="misi"``), layer :math:`k` *is* MISI's iteration :math:`k`: untrained, the network
computes exactly ``mssedu.phase.misi(A, x, n_iter=K)``; training can only move it from there.
Everything runs on :func:`mssedu.spectral.stft` / :func:`~mssedu.spectral.istft` on torch
tensors, which autograd differentiates.

References
----------
Wang, Z.-Q., Le Roux, J., Wang, D. & Hershey, J. R. (2018). End-to-End Speech Separation
with Unfolded Iterative Phase Reconstruction. Interspeech.
Gunawan, D. & Sen, D. (2010). Iterative Phase Estimation for the Synthesis of Separated
Sources From Single-Channel Mixtures. IEEE Signal Processing Letters 17(5).

Examples
--------
>>> import numpy as np, torch
>>> from mssedu.spectral import stft
>>> from mssedu.phase import UnfoldedMISI, misi
>>> rng = np.random.default_rng(0)
>>> s = rng.standard_normal((2, 8000)).astype(np.float32)
>>> A = np.abs(stft(s, 512, 128))                      # (sources, freq, frames)
>>> net = UnfoldedMISI(n_layers=3, n_sources=2, n_fft=512, hop_length=128)
>>> with torch.no_grad():
...     y = net(torch.from_numpy(A), torch.from_numpy(s.sum(0)))
>>> plain, _ = misi(A, s.sum(0), n_iter=3, n_fft=512, hop_length=128)
>>> bool(np.allclose(y.numpy(), plain, atol=1e-4))
True
"""
from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from ..checks import check_finite
from ..errors import ParameterError
from ..losses import get_loss
from ..spectral import check_stft_params, istft, stft
from .inputs import initial_phase

__all__ = ["UnfoldedMISI", "train_unfolded"]

_EPS = 1e-16


class _Correction(nn.Module):
    """:math:`g_k`: Conv(2 -> h, 3x3) -> tanh -> Conv(h -> 1, 3x3), the last one zero."""

    def __init__(self, hidden):
        super().__init__()
        self.conv1 = nn.Conv2d(2, hidden, 3, padding=1)
        self.conv2 = nn.Conv2d(hidden, 1, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, A, S_abs):
        shape = A.shape
        x = torch.stack([torch.log1p(A), torch.log1p(S_abs)], dim=-3).reshape((-1, 2) + shape[-2:])
        return self.conv2(torch.tanh(self.conv1(x))).reshape(shape)


class UnfoldedMISI(nn.Module):
    r"""``n_layers`` MISI iterations with learnable weights (see the module docstring).

    Parameters
    ----------
    n_layers : int
        :math:`K`, the unfolded iterations (phase updates).
    n_sources : int
        :math:`J`.
    n_fft, hop_length : int
        The STFT of the magnitudes (``hop_length`` defaults to ``n_fft // 4``).
    window : str
        Analysis/synthesis window.
    center : bool
        As :func:`mssedu.spectral.stft`.
    hidden : int
        Channels of each correction network.

    Shapes
    ------
    ``forward(magnitudes, mixture)``: ``magnitudes`` ``(J, ..., freq, frames)`` and ``mixture``
    ``(..., samples)`` (as :func:`mssedu.phase.misi`) give the estimates ``(J, ..., samples)``.
    """

    def __init__(self, n_layers: int = 5, n_sources: int = 2, n_fft: int = 2048,
                 hop_length: int | None = None, window="hann", center: bool = True, hidden: int = 8):
        super().__init__()
        for name, value in (("n_layers", n_layers), ("n_sources", n_sources), ("hidden", hidden)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ParameterError(f"{name} must be a whole number >= 1, got {value!r}.")
        self.hop_length = check_stft_params(n_fft, hop_length)
        self.n_fft, self.window, self.center = int(n_fft), window, bool(center)
        self.n_layers, self.n_sources = int(n_layers), int(n_sources)
        # beta_{k, j}: softmax weights of the mixing error (zeros: MISI's 1/J), K + 1 spreads
        self.error_logits = nn.Parameter(torch.zeros(n_layers + 1, n_sources))
        self.corrections = nn.ModuleList(_Correction(hidden) for _ in range(n_layers))

    def _spread(self, s, x, k):
        w = torch.softmax(self.error_logits[k], dim=0).reshape((-1,) + (1,) * (s.ndim - 1))
        return s + w * (x - s.sum(dim=0))

    def forward(self, magnitudes, mixture):
        """Reconstruct the sources' waveforms.

        Parameters
        ----------
        magnitudes : torch.Tensor
            ``(J, ..., freq, frames)``, >= 0, on the mixture's STFT grid (gradients flow
            into them, e.g. to fine-tune a mask model).
        mixture : torch.Tensor
            ``(..., samples)``, real.

        Returns
        -------
        torch.Tensor
            ``(J, ..., samples)``; the sources add up to the mixture.
        """
        if not isinstance(magnitudes, torch.Tensor) or not isinstance(mixture, torch.Tensor):
            raise ParameterError("UnfoldedMISI takes torch tensors (torch.from_numpy(...)).")
        if magnitudes.is_complex() or mixture.is_complex():
            raise ParameterError("Pass the magnitudes |S_j| and the mixture waveform, both real.")
        if magnitudes.shape[0] != self.n_sources:
            raise ParameterError(f"Built for {self.n_sources} sources, got magnitudes of shape "
                                 f"{tuple(magnitudes.shape)} (sources first).")
        check_finite(mixture, "mixture")
        A = magnitudes.float()
        n = mixture.shape[-1]
        X = stft(mixture.float(), self.n_fft, self.hop_length, self.window, self.center)
        if tuple(X.shape) != tuple(A.shape[1:]):
            raise ParameterError(f"The mixture's STFT has shape {tuple(X.shape)} but each magnitude "
                                 f"{tuple(A.shape[1:])}; use the same n_fft, hop and length.")
        phase = torch.from_numpy(initial_phase(X.detach().cpu().numpy(), tuple(A.shape))).to(A.device)

        def synthesise(Y):
            return istft(Y, self.hop_length, self.window, self.center, length=n, n_fft=self.n_fft)

        s = synthesise(A * phase)
        x = mixture.float()
        for k, correct in enumerate(self.corrections):
            s = self._spread(s, x, k)
            S = stft(s, self.n_fft, self.hop_length, self.window, self.center)
            S_abs = S.abs()
            gain = torch.exp(correct(A, S_abs))
            s = synthesise(A * gain * S / (S_abs + _EPS))
        return self._spread(s, x, self.n_layers)


def train_unfolded(model: UnfoldedMISI, batches, magnitudes_fn, targets, steps: int = 100,
                   lr: float = 3e-3, loss: str = "si_sdr", max_seconds: float | None = None) -> dict:
    """Train an :class:`UnfoldedMISI` end to end on a waveform loss, the mask model frozen.

    Parameters
    ----------
    model : UnfoldedMISI
        With ``n_sources == len(targets)``.
    batches : iterable of dict
        E.g. a :func:`mssedu.data.make_loader` over an :class:`mssedu.data.ExcerptDataset`:
        ``"mixture"`` and each target, ``(batch, channels, samples)`` tensors. Cycled.
    magnitudes_fn : callable
        ``mixture (batch, channels, samples) -> magnitudes (J, batch, channels, freq,
        frames)``: the frozen mask model's estimates (called under ``torch.no_grad``).
    targets : sequence of str
        The sources, in the order of the magnitudes.
    steps : int
        Adam steps.
    lr : float
        Learning rate.
    loss : str
        A waveform loss of :data:`mssedu.losses.LOSSES` (``"si_sdr"``), as ``(reference, estimate)``.
    max_seconds : float, optional
        Stop after this many seconds.

    Returns
    -------
    dict
        ``{"loss": [...], "seconds": float}`` (the loss before each step).
    """
    loss_fn = get_loss(loss)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history, t0, step = [], time.perf_counter(), 0
    model.train()
    while step < steps:
        for batch in batches:
            with torch.no_grad():
                A = magnitudes_fn(batch["mixture"])
            y = model(A, batch["mixture"])
            ref = torch.stack([batch[t] for t in targets])
            value = loss_fn(ref, y)
            opt.zero_grad()
            value.backward()
            opt.step()
            history.append(float(value.detach()))
            step += 1
            if step >= steps or (max_seconds is not None and time.perf_counter() - t0 > max_seconds):
                steps = step
                break
    model.eval()
    return {"loss": history, "seconds": time.perf_counter() - t0}
