r"""One optimisation step of a mask model, the heart of training (steps 1-4 below).

For a batch of random excerpts (mixture :math:`x`, targets :math:`s`):

1. STFT both, keep magnitudes: :math:`|X|, |S|` of shape ``(batch, channels, freq, frames)``
   (:func:`spectrogram_batch`);
2. the network predicts a mask and an estimate :math:`\hat S = M_\theta(|X|) \odot |X|`;
3. the loss compares :math:`|S|` with :math:`\hat S` (L1 by default, as in Jansson et al.
   2017), or, for the waveform losses, the waveforms rebuilt with the mixture phase;
4. back-propagate, clip the gradient norm (a guard against rare huge steps), AdamW update.

Examples
--------
>>> import torch
>>> from mssedu.models import MiniUNet
>>> model = MiniUNet.from_preset("tiny")
>>> batch = {"mixture": torch.rand(2, 2, 65024), "vocals": torch.rand(2, 2, 65024) / 2}
>>> opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
>>> loss = training_step(model, batch, "l1", opt)
>>> loss > 0
True
"""
from __future__ import annotations

import contextlib

import torch
from torch.nn.parallel import DistributedDataParallel

from ..errors import ParameterError
from ..losses import WAVEFORM_LOSSES, get_loss
from ..spectral import istft, stft

__all__ = ["spectrogram_batch", "query_batch", "training_step"]


def spectrogram_batch(batch: dict, targets, n_fft: int, hop_length: int, device):
    """STFTs of a training batch.

    Parameters
    ----------
    batch : dict
        From :class:`mssedu.data.ExcerptDataset`: ``"mixture"`` and one entry per source,
        each ``(batch, channels, samples)``.
    targets : sequence of str
        The sources the model learns.
    n_fft, hop_length : int
        The model's STFT.
    device : torch.device

    Returns
    -------
    X : torch.Tensor
        Complex mixture STFT ``(batch, channels, freq, frames)``.
    S : torch.Tensor
        Target magnitudes ``(batch, targets, channels, freq, frames)``.
    """
    missing = [t for t in targets if t not in batch]
    if missing:
        raise ParameterError(f"The batch has no {missing}; it has {sorted(batch)}. "
                             "Build the dataset with the same targets as the model.")
    mix = batch["mixture"].to(device, non_blocking=True)
    tgt = torch.stack([batch[t].to(device, non_blocking=True) for t in targets], dim=1)
    return stft(mix, n_fft, hop_length), stft(tgt, n_fft, hop_length).abs()


def query_batch(batch: dict, targets) -> tuple:
    """Separation by query: draw one of ``targets`` per example (torch's random stream).

    Parameters
    ----------
    batch : dict
        ``"mixture"`` and every target, each ``(batch, channels, samples)``.
    targets : sequence of str
        The stems a query may name.

    Returns
    -------
    batch : dict
        ``"mixture"`` and ``"query"``: each example's drawn stem ``(batch, channels, samples)``.
    query : torch.Tensor
        ``(batch,)`` int64, the drawn stems' positions in ``targets``.

    Examples
    --------
    >>> b = {"mixture": torch.zeros(3, 2, 8), "bass": torch.ones(3, 2, 8), "drums": -torch.ones(3, 2, 8)}
    >>> qb, q = query_batch(b, ("bass", "drums"))
    >>> bool((qb["query"][:, 0, 0] == 1 - 2 * q).all())
    True
    """
    missing = [t for t in targets if t not in batch]
    if missing:
        raise ParameterError(f"The batch has no {missing}; a query model needs every stem it knows.")
    n = batch["mixture"].shape[0]
    query = torch.randint(len(targets), (n,))
    stems = torch.stack([batch[t] for t in targets], dim=1)     # (batch, targets, channels, samples)
    return {"mixture": batch["mixture"], "query": stems[torch.arange(n), query]}, query


def _batch_loss(model, net, batch: dict, loss_name: str, use_amp: bool, device):
    cfg = net.config
    targets, inputs = cfg.targets, {}
    if getattr(net, "takes_query", False):   # separation by query: one drawn stem per example
        batch, query = query_batch(batch, cfg.targets)
        targets, inputs = ("query",), {"query": query.to(device)}
    X, S = spectrogram_batch(batch, targets, cfg.n_fft, cfg.hop_length, device)
    mag = X.abs()
    with torch.autocast(device.type, enabled=use_amp):
        estimate = model(mag, **inputs)
    estimate = estimate.float()
    loss_fn = get_loss(loss_name)
    if loss_name in WAVEFORM_LOSSES:   # back to waveforms with the mixture phase
        phase = X / mag.clamp_min(1e-8)
        n = batch["mixture"].shape[-1]
        est_wave = istft(estimate * phase.unsqueeze(1), cfg.hop_length, length=n, n_fft=cfg.n_fft)
        ref_wave = torch.stack([batch[t].to(device) for t in targets], dim=1)
        return loss_fn(ref_wave, est_wave)
    return loss_fn(S, estimate)


def training_step(model, batch: dict, loss_name: str, optimizer, scaler=None,
                  clip_grad: float = 0.0, lr: float | None = None, accumulate: int = 1) -> float:
    r"""One optimisation step on one batch (steps 1-4 of the module docstring).

    With ``accumulate = K`` the batch is cut into ``K`` equal micro-batches and the step
    uses the mean of their gradients, :math:`g = \tfrac1K \sum_k \nabla L_k`. Under
    :class:`~torch.nn.parallel.DistributedDataParallel` the gradients are also averaged
    over the processes (during the last micro-batch's backward pass).

    Parameters
    ----------
    model : MiniUNet or DistributedDataParallel
        In training mode.
    batch : dict
        From :class:`mssedu.data.ExcerptDataset` (with the model's targets).
    loss_name : str
        A key of :data:`mssedu.losses.LOSSES`.
    optimizer : torch.optim.Optimizer
    scaler : torch.amp.GradScaler, optional
        For mixed precision on CUDA.
    clip_grad : float
        Largest gradient norm (0: no clipping).
    lr : float, optional
        Set the learning rate for this step.
    accumulate : int
        Micro-batches per step (the batch size must be a multiple of it).

    Returns
    -------
    float
        The loss before the update (mean over the micro-batches, this process's share).
    """
    net = model.module if isinstance(model, DistributedDataParallel) else model
    device = next(net.parameters()).device
    n = batch["mixture"].shape[0]
    if int(accumulate) < 1 or n % int(accumulate):
        raise ParameterError(f"The batch ({n} excerpts) must split into accumulate={accumulate!r} "
                             "equal micro-batches.")
    if scaler is None:
        scaler = torch.amp.GradScaler(device.type, enabled=False)
    use_amp = scaler.is_enabled()
    optimizer.zero_grad(set_to_none=True)
    if lr is not None:
        for group in optimizer.param_groups:
            group["lr"] = lr
    m = n // int(accumulate)
    total = 0.0
    for k in range(int(accumulate)):
        micro = {key: v[k * m:(k + 1) * m] for key, v in batch.items()}
        last = k == int(accumulate) - 1
        sync = model.no_sync() if isinstance(model, DistributedDataParallel) and not last else contextlib.nullcontext()
        with sync:
            loss = _batch_loss(model, net, micro, loss_name, use_amp, device) / int(accumulate)
            scaler.scale(loss).backward()
        total += float(loss.item())
    if clip_grad:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(net.parameters(), clip_grad)
    scaler.step(optimizer)
    scaler.update()
    return total
