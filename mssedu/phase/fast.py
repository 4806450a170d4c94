r"""Griffin-Lim, fast Griffin-Lim and MISI, fast: torch, batched, blocked.

Phase reconstruction looks for a complex spectrogram that is both **consistent** (the STFT
of some signal, the set :math:`\mathcal{C}`) and has the wanted **magnitude** :math:`A`
(the set :math:`\mathcal{A} = \{Y : |Y| = A\}`), by projecting onto each set in turn:

.. math::

    P_{\mathcal{A}}(Y) = A\, \frac{Y}{|Y|}, \qquad
    P_{\mathcal{C}}(Y) = \mathrm{STFT}\big(\mathrm{iSTFT}(Y)\big).

- **Griffin-Lim** (Griffin & Lim, 1984) iterates
  :math:`c_n = P_{\mathcal{C}}(P_{\mathcal{A}}(c_{n-1}))`; the spectral convergence
  :math:`\| |c_n| - A \|_F / \|A\|_F` never increases (their Theorem 2 is about the
  squared distance between the two sets, which is this error).
- **Fast Griffin-Lim** (Perraudin, Balazs & Søndergaard, 2013) adds inertia, as Nesterov
  or FISTA do for gradient descent: :math:`c_n = P_{\mathcal{C}}(P_{\mathcal{A}}(t_{n-1}))`,
  :math:`t_n = c_n + \alpha (c_n - c_{n-1})` with :math:`\alpha \approx 0.99`. The error is
  no longer monotone, but it falls much faster and lower.
- **MISI**, multiple-input spectrogram inversion (Gunawan & Sen, 2010), runs Griffin-Lim on
  :math:`J` sources at once and, in the time domain, spreads the mixing error
  :math:`\delta = x - \sum_j \hat s_j` equally over them, so that the estimates always add
  up to the mixture :math:`x`.

This module is the implementation to *use*: float32 torch, batched over any leading axes,
on the input's device or the one you name, with the consistent projection of
:class:`mssedu.phase.projection.ConsistentProjection` (each iteration costs little more
than its two FFTs). Numpy goes in, numpy comes out; torch tensors are returned as tensors.
The same algorithms, one line per step and easy to read, are in :mod:`mssedu.phase.textbook`;
the tests check that both give the same signals.
"""
from __future__ import annotations

import numpy as np
import torch

from ..config import torch_device
from ..checks import check_finite
from ..errors import ParameterError
from ..progress import progress_bar
from ..spectral import stft
from .inputs import (check_iterations, check_length, check_magnitude, check_momentum,
                     check_stft_grid, initial_phase)
from .projection import ConsistentProjection, frames_major
from .results import GriffinLimResult, MisiResult

__all__ = ["griffin_lim", "misi"]

#: Added to magnitudes before dividing by them (phase of a zero bin is taken as 0).
_EPS = 1e-16


def _resolve_device(device, like=None):
    if device is None:
        return like.device if isinstance(like, torch.Tensor) else torch.device("cpu")
    return torch_device(device)


def _as_magnitude(magnitude, name, device):
    """Check a magnitude spectrogram and return it as a float32 tensor on ``device``."""
    check_magnitude(magnitude, name)
    t = magnitude.detach() if isinstance(magnitude, torch.Tensor) else torch.from_numpy(
        np.ascontiguousarray(np.asarray(magnitude), dtype=np.float32))
    return t.to(device=device, dtype=torch.float32)


def _phasors(init, A, seed):
    """:func:`initial_phase` as a complex64 tensor on ``A``'s device."""
    return torch.from_numpy(initial_phase(init, tuple(A.shape), seed)).to(A.device)


def _abs(X):
    """|X| of a complex tensor, as a new real tensor. On the CPU numpy's complex ``abs`` is
    the fastest (about 1.7x sqrt(re^2 + im^2) over strided views, 4x torch's ``X.abs()``);
    on a GPU, the two-pass formula."""
    if X.device.type == "cpu":
        return torch.from_numpy(np.abs(X.numpy()))
    return (X.real * X.real).addcmul_(X.imag, X.imag).sqrt_()


def _impose_magnitude_(X, A, X_abs):
    r"""In place, :math:`X \leftarrow P_{\mathcal{A}}(X) = A\, e^{i\angle X}`.

    ``X_abs`` must hold :math:`|X|` and is overwritten (with :math:`A / |X|`): one real
    ratio and one product per bin, and no new memory."""
    ratio = torch.div(A, X_abs.add_(_EPS), out=X_abs)
    return X.mul_(ratio)


def _convergence(squared_error, norm_A):
    r"""Spectral convergence from the summed squared magnitude error and :math:`\|A\|_F`."""
    num = float(np.sqrt(squared_error))
    return num / norm_A if norm_A > 0 else (0.0 if num == 0 else float("inf"))


def _iterate(project, y, target_abs, n_iter, momentum, norm_A, step, constrain=None, keep=None):
    r"""The loop Griffin-Lim and MISI share: ``n_iter`` times :math:`y \leftarrow
    \mathrm{iSTFT}(P_{\mathcal{A}}(t))` with :math:`c = \mathrm{STFT}(y)` and
    :math:`t = c + \alpha (c - c_{prev})`, block by block (see :class:`ConsistentProjection`).

    ``y`` is the first signal (padded coordinates); ``constrain(y)``, if given, changes each
    signal in place before it is analysed (MISI spreads its mixing error there); ``keep(k, y)``,
    if given, sees each signal with its iteration. Returns the
    last signal and the spectral convergence of every signal, ``(n_iter + 1,)``."""
    # the target, one contiguous block per block of frames (ops on strided slices are slower)
    targets = [target_abs[:, frames].contiguous() for frames in project.blocks]
    previous = [None] * len(targets)                    # c_{k-1}, block by block
    history = np.empty(n_iter + 1)
    for k in range(n_iter + 1):
        if constrain is not None:
            constrain(y)
        squared_error = 0.0
        for i, (frames, c) in enumerate(project.analyse(y)):    # c = c_k (a block of frames)
            c_abs = _abs(c)
            squared_error += float(torch.dist(c_abs, targets[i])) ** 2
            if k == n_iter:
                continue                               # y is the answer: no next iterate
            t, t_abs = c, c_abs                        # t_k = c_k + alpha (c_k - c_{k-1})
            if momentum:
                if k > 0:                              # written over c_{k-1}, no longer needed
                    t = torch.view_as_complex(torch.lerp(
                        torch.view_as_real(previous[i]), torch.view_as_real(c), 1.0 + momentum,
                        out=torch.view_as_real(previous[i])))
                    t_abs = _abs(t)
                else:
                    t = c.clone()                      # c_0 is kept; t_0 is changed in place
                previous[i] = c
            # iSTFT(P_A(t_k)), whose STFT is c_{k+1}
            project.overlap_add(frames, _impose_magnitude_(t, targets[i], t_abs))
        history[k] = _convergence(squared_error, norm_A)
        if keep is not None:
            keep(k, y)                                 # y is y_k, whose STFT is c_k
        if k:
            step(k, n_iter, history[k])
        if k < n_iter:
            y = project.next_signal()
    return y, history


def griffin_lim(magnitude, n_iter: int = 32, momentum: float = 0.99, init="random",
                n_fft: int | None = None, hop_length: int | None = None, window="hann",
                center: bool = True, length: int | None = None, seed: int = 0,
                device=None, progress=None, snapshots: dict | None = None) -> GriffinLimResult:
    r"""Find a signal whose STFT magnitude is ``magnitude`` (fast) Griffin-Lim.

    With :math:`A` the target magnitude and :math:`P_{\mathcal{A}}(Y) = A e^{i\angle Y}`,
    :math:`P_{\mathcal{C}}(Y) = \mathrm{STFT}(\mathrm{iSTFT}(Y))` the two projections, the
    fast Griffin-Lim algorithm (Perraudin et al., 2013) iterates

    .. math::

        c_n = P_{\mathcal{C}}\big(P_{\mathcal{A}}(t_{n-1})\big), \qquad
        t_n = c_n + \alpha\, (c_n - c_{n-1}),

    from :math:`t_0 = A e^{i\phi_0}`. With :math:`\alpha = 0` (``momentum=0``) this is the
    classic algorithm of Griffin & Lim (1984), for which the spectral convergence never
    increases; :math:`\alpha = 0.99` (the default, as in librosa) usually converges much faster.

    Parameters
    ----------
    magnitude : array or tensor, real, ``(..., freq, frames)``
        Target magnitudes, any leading (batch, channel) axes, all reconstructed at once.
    n_iter : int
        Number of iterations (each is one iSTFT and one STFT).
    momentum : float in ``[0, 1]``
        :math:`\alpha` above.
    init : ``"random"`` | ``"zeros"`` | array
        Initial phase: uniform random (seeded by ``seed``), all zero, or given phases (angles
        in radians, or complex numbers whose angle is used), shaped like ``magnitude``
        (see :func:`~mssedu.phase.initial_phase`, shared with
        :func:`~mssedu.phase.griffin_lim_textbook`).
    n_fft, hop_length, window, center : STFT parameters of ``magnitude``
        ``n_fft`` defaults to ``2 * (freq - 1)`` and ``hop_length`` to ``n_fft // 4``.
    length : int, optional
        Length of the output in samples (e.g. the original signal's).
    seed : int
        Seed of the random initial phase.
    device : None, "auto", "cpu", "cuda", ...
        Where to compute: ``None`` = the input tensor's device (CPU for numpy).
    progress : None, True or callable
        ``True`` shows a ``tqdm.auto`` bar; a callable is called as
        ``progress(iteration, n_iter, spectral_convergence)`` after every iteration.
    snapshots : dict, optional
        Keys: iterations ``k`` (``0 <= k <= n_iter``). Filled in place with the signal after
        ``k`` iterations (as the result's ``signal`` would be with ``n_iter=k``), so that one
        run gives every intermediate signal a slider shows.

    Returns
    -------
    GriffinLimResult
        ``(signal, history)``: float32 ``(..., samples)`` (numpy for numpy input) and the
        spectral convergence after each iteration, ``history[0]`` being the initial phase's
        (see :class:`~mssedu.phase.GriffinLimResult`).

    Raises
    ------
    ParameterError
        A complex, negative or non-finite magnitude, STFT parameters that do not fit it, a
        bad ``n_iter``, ``momentum``, ``init``, ``length``, ``device`` or ``progress``.

    See Also
    --------
    mssedu.phase.griffin_lim_textbook : the same algorithm, one numpy line per step.

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.spectral import stft
    >>> from mssedu.phase import griffin_lim
    >>> x = np.random.default_rng(0).standard_normal((2, 8000)).astype(np.float32)
    >>> y, history = griffin_lim(np.abs(stft(x, 512, 128)), n_iter=16, length=8000)
    >>> y.shape, len(history), bool(history[-1] < history[0])
    ((2, 8000), 17, True)
    """
    n_iter = check_iterations(n_iter)
    momentum = check_momentum(momentum)
    dev = _resolve_device(device, magnitude)
    A = _as_magnitude(magnitude, "magnitude", dev)
    n_fft, hop = check_stft_grid(A.shape[-2], n_fft, hop_length, window)
    n_frames = A.shape[-1]
    length = check_length(length, n_frames, n_fft, hop, center)
    phase = _phasors(init, A, seed)
    step, close = progress_bar(progress, n_iter, "Griffin-Lim")
    target_abs = frames_major(A)                       # A, (rows, frames, freq)
    project = ConsistentProjection(n_fft, hop, window, center, n_frames, length,
                                   target_abs.shape[0], dev)
    norm_A = float(torch.linalg.vector_norm(A, dtype=torch.float64))
    try:
        with torch.no_grad():
            y = project.synthesise(target_abs * frames_major(phase))
            keep = None if snapshots is None else (
                lambda k, y: snapshots.__setitem__(k, _as_output(project.signal(y), A, length, magnitude))
                if k in snapshots else None)
            y, history = _iterate(project, y, target_abs, n_iter, momentum, norm_A, step, keep=keep)
    finally:
        close()
    return GriffinLimResult(_as_output(project.signal(y), A, length, magnitude), history)


def _as_output(y, A, length, magnitude):
    """The signal ``(..., length)``, numpy float32 for numpy input."""
    y = y.reshape(A.shape[:-2] + (length,))
    if not isinstance(magnitude, torch.Tensor):
        y = y.cpu().numpy().astype(np.float32, copy=True)
    return y


def misi(magnitudes, mixture, n_iter: int = 32, init="mixture", n_fft: int | None = None,
         hop_length: int | None = None, window="hann", center: bool = True, seed: int = 0,
         device=None, progress=None) -> MisiResult:
    r"""Multiple-input spectrogram inversion (Gunawan & Sen, 2010).

    Given target magnitudes :math:`A_j` of :math:`J` sources and the mixture waveform
    :math:`x`, iterate, for every source at once:

    .. math::

        \hat s_j &= \mathrm{iSTFT}\big(A_j\, e^{i \phi_j}\big), \\
        \delta &= x - \textstyle\sum_{j} \hat s_j \qquad \text{(mixing error)}, \\
        \tilde s_j &= \hat s_j + \delta / J \qquad
              \text{(now } \textstyle\sum_j \tilde s_j = x \text{ exactly)}, \\
        \phi_j &\leftarrow \angle\, \mathrm{STFT}(\tilde s_j) .

    Unlike :func:`griffin_lim` on each source separately, the estimates always add up to
    the mixture, and the mixture's phase information is shared between the sources.
    The returned waveforms are the :math:`\tilde s_j` of the last iteration.

    Parameters
    ----------
    magnitudes : dict name -> ``(..., freq, frames)``, or array/tensor ``(J, ..., freq, frames)``
        Estimated (or oracle) magnitudes of the sources, on the mixture's STFT grid.
    mixture : array or tensor ``(..., samples)``
        The mixture waveform; its STFT must have the magnitudes' shape.
    n_iter : int
        Phase updates (``0`` = just the mixture phase with the error spread over sources).
    init : ``"mixture"`` | ``"random"`` | ``"zeros"`` | array ``(J, ..., freq, frames)``
        Initial phases: the mixture's (the usual choice), random (seeded by ``seed``), zero,
        or given (see :func:`~mssedu.phase.initial_phase`).
    n_fft, hop_length, window, center : STFT parameters of the magnitudes
        As in :func:`griffin_lim`.
    seed : int
        Seed of the random initial phase (``init="random"``).
    device : None, "auto", "cpu", "cuda", ...
        As in :func:`griffin_lim`.
    progress : None, True or callable
        As in :func:`griffin_lim`.

    Returns
    -------
    MisiResult
        ``(estimates, history)``: same container as ``magnitudes`` (dict or array, numpy
        unless torch came in), each ``(..., samples)`` like the mixture, and the spectral
        convergence history of all sources together (``n_iter + 1`` values).

    Raises
    ------
    ParameterError
        Magnitudes of different shapes or not on the mixture's STFT grid, a complex
        mixture, or any of :func:`griffin_lim`'s bad arguments.

    See Also
    --------
    mssedu.phase.misi_textbook : the same algorithm, one numpy line per step.

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.spectral import stft
    >>> from mssedu.phase import misi
    >>> rng = np.random.default_rng(0)
    >>> s1, s2 = rng.standard_normal((2, 8000)).astype(np.float32)
    >>> mags = {"a": np.abs(stft(s1, 512, 128)), "b": np.abs(stft(s2, 512, 128))}
    >>> est, history = misi(mags, s1 + s2, n_iter=8)
    >>> bool(np.abs(est["a"] + est["b"] - (s1 + s2)).max() < 1e-4)
    True
    """
    n_iter = check_iterations(n_iter)
    names = None
    if isinstance(magnitudes, dict):
        if not magnitudes:
            raise ParameterError("magnitudes is an empty dict; give at least one source.")
        names = list(magnitudes)
        shapes = {k: tuple(np.shape(v)) for k, v in magnitudes.items()}
        if len(set(shapes.values())) != 1:
            raise ParameterError(f"all magnitudes must have the same shape, got {shapes}.")
        stacked = (torch.stack([magnitudes[k] for k in names]) if isinstance(magnitudes[names[0]], torch.Tensor)
                   else np.stack([np.asarray(magnitudes[k]) for k in names]))
        like = magnitudes[names[0]]
    else:
        stacked, like = magnitudes, magnitudes
    dev = _resolve_device(device, like if isinstance(like, torch.Tensor) else mixture)
    A = _as_magnitude(stacked, "magnitudes", dev)
    if A.ndim < 3:
        raise ParameterError(f"magnitudes must be (n_sources, ..., freq, frames) or a dict of "
                          f"(..., freq, frames); got shape {tuple(A.shape)}.")
    n_src = A.shape[0]
    n_fft, hop = check_stft_grid(A.shape[-2], n_fft, hop_length, window)
    if (mixture.is_complex() if isinstance(mixture, torch.Tensor) else np.iscomplexobj(mixture)):
        raise ParameterError("mixture must be the waveform (..., samples), not its STFT.")
    x = mixture.detach() if isinstance(mixture, torch.Tensor) else torch.from_numpy(
        np.ascontiguousarray(np.asarray(mixture), dtype=np.float32))
    check_finite(x, "mixture")
    x = x.to(device=dev, dtype=torch.float32)
    X = stft(x, n_fft, hop, window, center)
    if tuple(X.shape) != tuple(A.shape[1:]):
        raise ParameterError(f"the mixture's STFT has shape {tuple(X.shape)} but each magnitude "
                          f"has {tuple(A.shape[1:])}; use the same channels, n_fft "
                          f"({n_fft}), hop ({hop}) and length.")
    length = x.shape[-1]
    phase = _phasors(X if isinstance(init, str) and init == "mixture" else init, A, seed)
    target_abs = frames_major(A)                       # (sources * batch, frames, freq)
    project = ConsistentProjection(n_fft, hop, window, center, A.shape[-1], length,
                                   target_abs.shape[0], dev)
    mix = project.pad(x.reshape(-1, length))           # (batch, padded samples)
    norm_A = float(torch.linalg.vector_norm(A, dtype=torch.float64))
    step, close = progress_bar(progress, n_iter, "MISI")

    def spread_mixing_error(s):
        per_source = s.view((n_src,) + mix.shape)
        per_source += (mix - per_source.sum(dim=0)) / n_src

    try:
        with torch.no_grad():
            s = project.synthesise(target_abs * frames_major(phase))
            s, history = _iterate(project, s, target_abs, n_iter, 0.0, norm_A, step,
                                  constrain=spread_mixing_error)
    finally:
        close()
    s = project.signal(s).reshape(A.shape[:-2] + (length,))
    numpy_out = not isinstance(like, torch.Tensor)
    if numpy_out:
        s = s.cpu().numpy().astype(np.float32, copy=False)
    if names is not None:
        s = {name: s[i] for i, name in enumerate(names)}
    return MisiResult(s, history)
