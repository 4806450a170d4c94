r"""Chunking: separate a long signal piece by piece and cross-fade the pieces.

A network sees a bounded window; a song is longer. Every separator in mssedu (HT-Demucs
on waveform samples, the mini U-Net on STFT frames) cuts its input the same way:

1. :func:`plan_chunks` cuts ``length`` steps into windows ``[start, stop)`` that overlap.
   Each window's output is *kept* only on ``[keep_start, keep_stop)``: a ``margin`` at
   inner window edges is dropped (outputs near an edge saw less context), and neighbouring
   kept parts overlap by ``fade`` steps;
2. :func:`chunk_weights` gives each kept part a trapezoid weight: a linear ramp up over
   its first ``fade`` steps and down over its last ``fade`` (not at the signal's ends).
   Neighbouring ramps are complementary, :math:`r_i + (1 - r_i) = 1` with
   :math:`r_i = (i + \tfrac12)/\mathrm{fade}`, so the weights sum to one everywhere;
3. :func:`overlap_add` runs the model on every window and adds the weighted kept parts,

.. math::  \hat y(t) = \sum_k w_k(t)\, \hat y^{(k)}(t), \qquad \sum_k w_k(t) = 1 .

Memory then grows with the window, not with the song. With ``align`` (a model's own hop)
window starts fall on a common grid, so a model that itself works in overlapping segments
gives exactly its single-pass result.

Examples
--------
>>> from mssedu.chunking import plan_chunks
>>> [(c.start, c.stop, c.keep_start, c.keep_stop) for c in plan_chunks(10, 6, fade=2)]
[(0, 6, 0, 6), (4, 10, 4, 10)]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ParameterError

__all__ = ["Chunk", "plan_chunks", "chunk_weights", "overlap_add", "segment_weights"]


@dataclass(frozen=True)
class Chunk:
    """One window of a chunking plan (all positions in steps of the chunked axis).

    Attributes
    ----------
    start, stop : int
        The window the model sees, ``[start, stop)``.
    keep_start, keep_stop : int
        Where its output is used, ``[keep_start, keep_stop)``, inside the window.
    first, last : bool
        Whether it is the first / last chunk (no fade at the signal's ends).
    """

    start: int
    stop: int
    keep_start: int
    keep_stop: int
    first: bool
    last: bool


def plan_chunks(length: int, size: int, fade: int, margin: int = 0, align: int = 1) -> list:
    """Cut ``length`` steps into overlapping windows (see the module docstring).

    Parameters
    ----------
    length : int
        Steps to cover (samples or frames).
    size : int
        Window length; a signal no longer than this is one chunk.
    fade : int
        Overlap of neighbouring kept parts, cross-faded linearly.
    margin : int
        Steps dropped at each inner window edge.
    align : int
        Window starts are multiples of this (a model's own segment hop).

    Returns
    -------
    list of Chunk
        In order; the kept parts cover ``[0, length)``.

    Raises
    ------
    ParameterError
        Non-positive sizes, or a window too short for two margins, a fade and one step.
    """
    length, size, fade, margin, align = (int(v) for v in (length, size, fade, margin, align))
    if length < 1 or size < 1 or align < 1 or fade < 0 or margin < 0:
        raise ParameterError(f"Chunking needs length, size, align >= 1 and fade, margin >= 0; "
                             f"got length={length}, size={size}, fade={fade}, margin={margin}, "
                             f"align={align}.")
    if length <= size:
        return [Chunk(0, length, 0, length, True, True)]
    hop = (size - 2 * margin - fade) // align * align
    if hop < 1:
        raise ParameterError(f"The chunk size {size} is too short for two margins of {margin}, "
                             f"a fade of {fade} and one hop of {align}; use a longer window "
                             f"(more than {2 * margin + fade + align}).")
    starts = [0]
    while starts[-1] + size < length:
        starts.append(starts[-1] + hop)
    plan = []
    for i, start in enumerate(starts):
        first, last = i == 0, i == len(starts) - 1
        keep_start = 0 if first else start + margin
        keep_stop = length if last else starts[i + 1] + margin + fade
        plan.append(Chunk(start, min(start + size, length), keep_start, keep_stop, first, last))
    return plan


def chunk_weights(chunk: Chunk, fade: int) -> np.ndarray:
    """Cross-fade weights of one chunk's kept part.

    Parameters
    ----------
    chunk : Chunk
        From :func:`plan_chunks`.
    fade : int
        The plan's fade.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(keep_stop - keep_start,)``: ramps of ``fade`` steps at inner
        edges, ones elsewhere.
    """
    n = chunk.keep_stop - chunk.keep_start
    w = np.ones(n, np.float32)
    k = min(int(fade), n)
    if k:
        ramp = (np.arange(k, dtype=np.float32) + 0.5) / fade
        if not chunk.first:
            w[:k] = ramp
        if not chunk.last:
            w[n - k:] = np.minimum(w[n - k:], ramp[::-1])
    return w


def overlap_add(process, length: int, size: int, fade: int, margin: int = 0, align: int = 1,
                progress=None):
    """Run ``process`` window by window and cross-fade the results.

    Parameters
    ----------
    process : callable
        ``process(start, stop) -> array`` (numpy or torch) shaped ``(..., stop - start)``:
        the model's output for window ``[start, stop)`` of the input.
    length, size, fade, margin, align : int
        As :func:`plan_chunks`.
    progress : callable, optional
        Called as ``progress(k, n_chunks)`` after each chunk.

    Returns
    -------
    numpy.ndarray or torch.Tensor
        Same type, dtype and leading shape as ``process``'s outputs, last axis ``length``.
    """
    plan = plan_chunks(length, size, fade, margin, align)
    if len(plan) == 1:
        return process(0, length)
    out = None
    for k, c in enumerate(plan):
        y = process(c.start, c.stop)
        w = chunk_weights(c, fade)
        part = y[..., c.keep_start - c.start:c.keep_stop - c.start]
        if isinstance(y, np.ndarray):
            if out is None:
                out = np.zeros(y.shape[:-1] + (length,), y.dtype)
            out[..., c.keep_start:c.keep_stop] += part * w
        else:  # a torch tensor, kept on its device
            if out is None:
                out = y.new_zeros(tuple(y.shape[:-1]) + (length,))
            out[..., c.keep_start:c.keep_stop] += part * y.new_tensor(w)
        del y, part
        if progress is not None:
            progress(k + 1, len(plan))
    return out


def segment_weights(length: int, segment: int, overlap: float = 0.25, transition_power: float = 1.0):
    r"""The weights ``demucs.apply.apply_model`` gives each segment when it cuts a signal.

    Segment :math:`k` starts at :math:`o_k = k\,\lfloor (1 - \mathrm{overlap})\,L \rfloor`
    and is weighted by a triangle :math:`w` peaking in its middle (raised to
    ``transition_power``); the output is :math:`\sum_k w_k \hat s^{(k)} / \sum_k w_k`.

    Parameters
    ----------
    length : int
        Length of the signal in samples.
    segment : int
        Length :math:`L` of one segment in samples (at least 2).
    overlap : float
        Fraction of a segment shared with the next one, in ``[0, 1)``.
    transition_power : float
        Exponent applied to the triangular weight (larger: sharper cross-fades).

    Returns
    -------
    offsets : numpy.ndarray
        The segment starts in samples, shape ``(segments,)``.
    weights : numpy.ndarray
        Each segment's weight on the timeline, shape ``(segments, length)``.
    total : numpy.ndarray
        Their sum :math:`\sum_k w_k`, shape ``(length,)``.

    Examples
    --------
    >>> from mssedu.chunking import segment_weights
    >>> offsets, weights, total = segment_weights(10, 4, overlap=0.5)
    >>> offsets.tolist(), weights.shape
    ([0, 2, 4, 6, 8], (5, 10))
    """
    if segment < 2 or length < 1 or not 0 <= overlap < 1:
        raise ParameterError(f"Need segment >= 2 samples, length >= 1 and 0 <= overlap < 1; got "
                          f"{segment}, {length}, {overlap}.")
    stride = max(1, int((1 - overlap) * segment))
    half = segment // 2
    tri = np.concatenate([np.arange(1, half + 1), np.arange(segment - half, 0, -1)]).astype(float)
    tri = (tri / tri.max()) ** transition_power
    offsets = np.arange(0, length, stride)
    weights = np.zeros((len(offsets), length))
    for k, o in enumerate(offsets):
        n = min(segment, length - o)
        weights[k, o:o + n] = tri[:n]
    return offsets, weights, weights.sum(axis=0)
