"""Non-negative matrix factorisation (Lee & Seung, 2001; Smaragdis & Brown, 2003).

The magnitude spectrogram as a sum of a few spectral templates switched on and off over
time, :math:`V \approx WH`; unsupervised (:func:`nmf_separate`) or with templates learnt
from examples of each source (:func:`supervised_nmf_separate`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..audio import as_signal
from ..checks import check_finite, check_int
from ..errors import ParameterError
from ..progress import progress_bar
from ..spectral import istft, stft

__all__ = ["nmf", "NMFResult", "nmf_separate", "supervised_nmf_separate"]


@dataclass
class NMFResult:
    """:func:`nmf` output: templates ``W`` ``(freq, K)``, activations ``H`` ``(K, frames)``
    and the objective after every iteration, ``errors`` ``(n_iter + 1,)``."""

    W: np.ndarray
    H: np.ndarray
    errors: np.ndarray


def _beta_divergence(V, WH, beta):
    eps = 1e-12
    if beta == 2:
        return 0.5 * float(np.sum((V - WH) ** 2))
    return float(np.sum(V * np.log((V + eps) / (WH + eps)) - V + WH))


def nmf(V, n_components: int, n_iter: int = 200, beta: float = 2, W=None, H=None,
        update_W: bool = True, seed: int = 0, progress=None) -> NMFResult:
    r"""Non-negative matrix factorisation :math:`V \approx WH` by multiplicative updates.

    Lee & Seung (2001) showed that these updates never increase the objective. For the
    squared Euclidean distance (``beta=2``,
    :math:`\tfrac12\|V - WH\|_F^2`):

    .. math:: H \leftarrow H \odot \frac{W^\top V}{W^\top W H}, \qquad
              W \leftarrow W \odot \frac{V H^\top}{W H H^\top};

    for the generalised Kullback-Leibler divergence (``beta=1``,
    :math:`\sum V \log\frac{V}{WH} - V + WH`, often better for audio):

    .. math:: H \leftarrow H \odot \frac{W^\top (V / WH)}{W^\top \mathbf 1}, \qquad
              W \leftarrow W \odot \frac{(V / WH) H^\top}{\mathbf 1 H^\top} .

    Parameters
    ----------
    V : ``(freq, frames)`` non-negative (a magnitude spectrogram)
    n_components : int, the number :math:`K` of templates
    n_iter : int
    beta : 2 or 1
    W, H : optional initial values (random, seeded, otherwise)
    update_W : bool -- ``False`` keeps the given ``W`` fixed (supervised NMF: only the
        activations are learnt)
    seed : int
        Seed of the random initialisation.
    progress : None, True (tqdm bar) or callable ``progress(iteration, n_iter, error)``

    Returns
    -------
    NMFResult ``(W, H, errors)``
    """
    if np.iscomplexobj(V):
        raise ParameterError("V is complex; NMF factorises a magnitude spectrogram: pass np.abs(X).")
    V = np.asarray(V, dtype=np.float64)
    if V.ndim != 2:
        raise ParameterError(f"V must be a real (freq, frames) magnitude spectrogram, got shape {V.shape}.")
    check_finite(V, "V")
    if (V < 0).any():
        raise ParameterError("V has negative values; NMF factorises non-negative data (use np.abs(X)).")
    check_int(n_components, "n_components", 1)    # named limit: LIMITS["n_components"]
    if beta not in (1, 2):
        raise ParameterError(f"beta must be 2 (Euclidean) or 1 (Kullback-Leibler), got {beta!r}.")
    check_int(n_iter, "n_iter", 0)
    rng = np.random.default_rng(seed)
    F, T = V.shape
    K = int(n_components)
    scale = np.sqrt(V.mean() / K) if V.mean() > 0 else 1.0
    W = rng.random((F, K)) * scale + 1e-3 * scale if W is None else np.array(W, dtype=np.float64)
    H = rng.random((K, T)) * scale + 1e-3 * scale if H is None else np.array(H, dtype=np.float64)
    if W.shape != (F, K) or H.shape != (K, T):
        raise ParameterError(f"W must be ({F}, {K}) and H ({K}, {T}); got {W.shape} and {H.shape}.")
    if (W < 0).any() or (H < 0).any():
        raise ParameterError("initial W and H must be non-negative.")

    step, close = progress_bar(progress, int(n_iter), "NMF", "error")
    eps = 1e-12
    errors = np.empty(int(n_iter) + 1)
    errors[0] = _beta_divergence(V, W @ H, beta)
    try:
        for k in range(1, int(n_iter) + 1):
            if beta == 2:
                H *= (W.T @ V) / (W.T @ W @ H + eps)
                if update_W:
                    W *= (V @ H.T) / (W @ (H @ H.T) + eps)
            else:
                H *= (W.T @ (V / (W @ H + eps))) / (W.sum(axis=0)[:, None] + eps)
                if update_W:
                    W *= ((V / (W @ H + eps)) @ H.T) / (H.sum(axis=1)[None, :] + eps)
            errors[k] = _beta_divergence(V, W @ H, beta)
            step(k, int(n_iter), errors[k])
    finally:
        close()
    return NMFResult(W, H, errors)


def _component_masks(W_parts, H_parts):
    """Wiener-like masks W_j H_j / sum_j W_j H_j for groups of components."""
    models = [Wj @ Hj for Wj, Hj in zip(W_parts, H_parts)]
    total = sum(models) + 1e-12
    return [m / total for m in models]


def nmf_separate(x, n_components: int = 8, n_iter: int = 100, beta: float = 1,
                 n_fft: int = 2048, hop_length: int = 512, window="hann", seed: int = 0,
                 progress=None) -> dict:
    r"""Unsupervised NMF separation: one waveform per NMF component.

    The channel-averaged magnitude is factorised, :math:`V \approx \sum_k w_k h_k^\top`, and
    component :math:`k` is extracted with the soft mask :math:`w_k h_k^\top / WH` applied to
    every channel's STFT (so the components add up to the input). Which component is which
    instrument is for the listener to decide: NMF alone does not know.

    Parameters
    ----------
    x : array_like, shape ``(channels, samples)`` or ``(samples,)``
        The mixture.
    n_components : int
        Number of components :math:`K`.
    n_iter : int
        NMF iterations.
    beta : 2 or 1
        Euclidean or Kullback-Leibler objective (see :func:`nmf`).
    n_fft : int
        STFT frame length.
    hop_length : int
        STFT hop.
    window : str or array
        STFT window.
    seed : int
        Seed of the random initialisation.
    progress : None, True or callable
        As in :func:`nmf`.

    Returns
    -------
    dict
        ``"components"`` (float32 ``(K, channels, samples)``), ``"W"`` ``(freq, K)``,
        ``"H"`` ``(K, frames)`` and ``"errors"``.
    """
    x = as_signal(x, "x")
    if x.ndim == 1:
        x = x[None]
    X = stft(x, n_fft, hop_length, window)
    res = nmf(np.abs(X).mean(axis=0), n_components, n_iter, beta, seed=seed, progress=progress)
    masks = _component_masks([res.W[:, k:k + 1] for k in range(res.W.shape[1])],
                             [res.H[k:k + 1] for k in range(res.H.shape[0])])
    comps = np.stack([istft(X * m, hop_length, window, length=x.shape[-1]) for m in masks])
    return {"components": comps, "W": res.W, "H": res.H, "errors": res.errors}


def supervised_nmf_separate(mixture, training: dict, n_components: int = 16,
                            n_iter: int = 100, beta: float = 1, n_fft: int = 2048,
                            hop_length: int = 512, window="hann", seed: int = 0,
                            progress=None) -> dict:
    r"""Supervised NMF (Smaragdis, Raj & Shashanka, 2007): learn templates per source, then
    explain the mixture with all of them.

    1. For each source :math:`j`, factorise its training magnitude
       :math:`V_j \approx W_j H_j` (``n_components`` templates each).
    2. Fix :math:`W = [W_1, \dots, W_J]` and learn only the activations :math:`H` on the
       mixture.
    3. Source :math:`j` gets the soft mask :math:`W_j H_j / WH` on the mixture's STFT.

    Parameters
    ----------
    mixture : ``(channels, samples)``
    training : dict name -> ``(channels, samples)`` example audio of each source (in the
        course: the stems of the same song, an optimistic, "oracle-trained" setting)
    n_components : int
        Templates per source.
    n_iter : int
        NMF iterations (for each training source and for the mixture).
    beta : 2 or 1
        Euclidean or Kullback-Leibler objective (see :func:`nmf`).
    n_fft : int
        STFT frame length.
    hop_length : int
        STFT hop.
    window : str or array
        STFT window.
    seed : int
        Seed of the random initialisations.
    progress : None, True or callable
        Progress of the mixture's factorisation, as in :func:`nmf`.

    Returns
    -------
    dict name -> ``(channels, samples)`` estimates (they add up to the mixture)
    """
    x = as_signal(mixture, "mixture")
    if x.ndim == 1:
        x = x[None]
    if not isinstance(training, dict) or not training:
        raise ParameterError("training must be a non-empty dict name -> example signal of that source.")
    X = stft(x, n_fft, hop_length, window)
    W_parts = []
    for i, (name, sig) in enumerate(training.items()):
        s = as_signal(sig, f"training[{name!r}]")
        V = np.abs(stft(s if s.ndim > 1 else s[None], n_fft, hop_length, window)).mean(axis=0)
        W_parts.append(nmf(V, n_components, n_iter, beta, seed=seed + i).W)
    W = np.concatenate(W_parts, axis=1)
    res = nmf(np.abs(X).mean(axis=0), W.shape[1], n_iter, beta, W=W, update_W=False,
              seed=seed, progress=progress)
    H_parts = np.split(res.H, len(W_parts), axis=0)
    masks = _component_masks(W_parts, H_parts)
    return {name: istft(X * m, hop_length, window, length=x.shape[-1])
            for name, m in zip(training, masks)}
