r"""Phase reconstruction: from a magnitude spectrogram back to a waveform.

A separator usually estimates only the *magnitude* :math:`A = |S|` of each source. To hear
it, a phase is needed. The simplest choice, the mixture's phase, carries traces of the
other sources ("bleed"). This module finds better phases by iterating between two sets of
spectrograms (Griffin & Lim, 1984):

- the **magnitude set** :math:`\mathcal{A} = \{Y : |Y| = A\}`, whose projection keeps the
  phase and imposes the magnitude, :math:`P_{\mathcal{A}}(Y) = A\, e^{i\angle Y}`;
- the **consistent set** :math:`\mathcal{C} = \{\mathrm{STFT}(x)\}` of spectrograms that are
  the STFT of some signal, whose projection is
  :math:`P_{\mathcal{C}}(Y) = \mathrm{STFT}(\mathrm{iSTFT}(Y))` (the weighted overlap-add
  iSTFT is the least-squares signal for :math:`Y`).

:func:`griffin_lim` alternates the two projections, optionally with the momentum of the
*fast* Griffin-Lim algorithm (Perraudin, Balazs & Søndergaard, 2013);
:func:`misi` reconstructs several sources at once and forces their waveforms to add up to
the mixture (Gunawan & Sen, 2010). Both report the **spectral convergence**

.. math:: \mathrm{SC}(x) = \frac{\big\| |\mathrm{STFT}(x)| - A \big\|_F}{\|A\|_F}

after every iteration, so the course can plot how they converge.

Everything runs in torch (float32, batched over any leading axes, on the input's device or
the one you name). The consistent projection is :func:`mssedu.spectral.istft` followed by
:func:`mssedu.spectral.stft`, rearranged so that each iteration costs little more than its
two FFTs (:class:`_ConsistentProjection`).
numpy goes in, numpy comes out; torch tensors are accepted and returned as tensors.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .errors import check_finite, ParameterError
from .progress import progress_bar
from .spectral import check_stft_params, stft
from .spectral import n_frames as _n_frames

__all__ = ["griffin_lim", "misi", "spectral_convergence", "consistency",
           "GriffinLimResult", "MisiResult"]

#: Added to magnitudes before dividing by them (phase of a zero bin is taken as 0).
_EPS = 1e-16


class GriffinLimResult(NamedTuple):
    """What :func:`griffin_lim` returns (unpacks as ``signal, history``).

    signal : np.ndarray or torch.Tensor, float32, ``(..., samples)``
    history : np.ndarray, float64, ``(n_iter + 1,)`` -- ``history[k]`` is the spectral
        convergence of the signal obtained after ``k`` iterations (``history[0]``: from the
        initial phase; ``history[-1]``: of ``signal``).
    """

    signal: object
    history: np.ndarray


class MisiResult(NamedTuple):
    """What :func:`misi` returns (unpacks as ``estimates, history``).

    estimates : dict name -> waveform, or array/tensor ``(n_sources, ..., samples)``
        (same container type as the magnitudes given); they sum to the mixture.
    history : np.ndarray ``(n_iter + 1,)`` -- spectral convergence of all sources together
        after ``k`` iterations (``history[0]``: from the initial phases).
    """

    estimates: object
    history: np.ndarray


# --- small helpers ----------------------------------------------------------------------

def _torch():
    import torch

    return torch


def _is_torch(x) -> bool:
    return isinstance(x, _torch().Tensor)


def _resolve_device(device, like=None):
    from .config import torch_device

    if device is None:
        return like.device if _is_torch(like) else _torch().device("cpu")
    return torch_device(device)


def _as_magnitude(magnitude, name="magnitude", device=None):
    """Validate a magnitude spectrogram and return a float32 tensor on ``device``."""
    torch = _torch()
    if _is_torch(magnitude):
        if magnitude.is_complex():
            raise ParameterError(f"{name} is complex; pass the magnitude (X.abs()), not the STFT.")
        t = magnitude.detach()
    else:
        arr = np.asarray(magnitude)
        if np.iscomplexobj(arr):
            raise ParameterError(f"{name} is complex; pass the magnitude (np.abs(X)), not the STFT.")
        if not np.issubdtype(arr.dtype, np.number):
            raise ParameterError(f"{name} must be a numeric array, got dtype {arr.dtype}.")
        t = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))
    if t.ndim < 2 or t.shape[-2] < 2 or t.shape[-1] < 1:
        raise ParameterError(f"{name} must be shaped (..., freq, frames) with freq >= 2, "
                          f"got shape {tuple(t.shape)}.")
    check_finite(t, name)
    if bool((t < 0).any()):
        raise ParameterError(f"{name} has negative values; a magnitude spectrogram is |X| >= 0. "
                          "Did you pass decibels? Convert back with 10 ** (dB / 20).")
    return t.to(device=device, dtype=torch.float32)


def _check_iterations(n_iter):
    if isinstance(n_iter, bool) or int(n_iter) != n_iter or n_iter < 0:
        raise ParameterError(f"n_iter must be a whole number >= 0, got {n_iter!r}.")
    return int(n_iter)


def _stft_params(n_freq, n_fft, hop_length):
    n_fft = 2 * (n_freq - 1) if n_fft is None else n_fft
    if int(n_fft) != n_fft or int(n_fft) // 2 + 1 != n_freq:
        raise ParameterError(f"n_fft={n_fft!r} does not match the spectrogram's {n_freq} frequency "
                          f"bins (n_fft // 2 + 1 must equal {n_freq}); leave n_fft out to infer it.")
    n_fft = int(n_fft)
    return n_fft, check_stft_params(n_fft, hop_length)


def _abs(X):
    """|X| of a complex tensor: sqrt(re^2 + im^2), one product and two in-place passes, is
    several times faster on the CPU than torch's complex ``X.abs()``."""
    return (X.real * X.real).addcmul_(X.imag, X.imag).sqrt_()


def _check_nola(window, n_fft, hop):
    from .spectral import check_cola

    if not check_cola(window, n_fft, hop)["nola"]:
        raise ParameterError(f"window={window!r} with n_fft={n_fft} and hop_length={hop} cannot be "
                          "inverted (the shifted squared windows vanish somewhere: no NOLA). "
                          "Use a smaller hop, e.g. n_fft // 4.")


def _unit(X):
    """Unit-modulus phasor of a complex tensor (1 where the bin is zero)."""
    return X * (1.0 / (_abs(X) + _EPS))   # complex x real is much cheaper than complex / real


def _impose_magnitude_(X, A, X_abs):
    r"""In place, :math:`X \leftarrow P_{\mathcal{A}}(X) = A\, e^{i\angle X}`.

    ``X_abs`` must hold :math:`|X|` and is overwritten (with :math:`A / |X|`): one real
    ratio and one product per bin, and no new memory."""
    torch = _torch()
    ratio = torch.div(A, X_abs.add_(_EPS), out=X_abs)
    return X.mul_(ratio)


def _squared_distance(X, Y) -> float:
    r""":math:`\sum |X - Y|^2` as a Python float (blocks are summed in float64)."""
    return float(_torch().linalg.vector_norm(X - Y)) ** 2


def _convergence(squared_error, norm_A):
    r"""Spectral convergence from the summed squared magnitude error and :math:`\|A\|_F`."""
    num = float(np.sqrt(squared_error))
    return num / norm_A if norm_A > 0 else (0.0 if num == 0 else float("inf"))


def _frames_major(T):
    """``(..., freq, frames)`` -> contiguous ``(rows, frames, freq)``, the layout that
    :class:`_ConsistentProjection` iterates in (one copy, made once)."""
    return T.reshape((-1,) + tuple(T.shape[-2:])).transpose(-1, -2).contiguous()


def _initial_phase(init, A, generator):
    torch = _torch()
    if isinstance(init, str):
        if init == "random":
            angles = torch.rand(A.shape, generator=generator, dtype=torch.float32) * (2 * np.pi)
            return torch.polar(torch.ones_like(angles), angles).to(A.device)
        if init == "zeros":
            return torch.ones(A.shape, dtype=torch.complex64, device=A.device)
        raise ParameterError(f"init must be 'random', 'zeros' or an array of phases, got {init!r}.")
    phase = init if _is_torch(init) else torch.from_numpy(np.asarray(init))
    if tuple(phase.shape) != tuple(A.shape):
        raise ParameterError(f"init phase has shape {tuple(phase.shape)}, the magnitude "
                          f"{tuple(A.shape)}; they must match.")
    check_finite(phase, "init")
    phase = phase.to(A.device)
    if phase.is_complex():
        return _unit(phase.to(torch.complex64))
    return torch.polar(torch.ones_like(phase, dtype=torch.float32), phase.to(torch.float32))


# --- the projection onto consistent spectrograms ------------------------------------------

#: On the CPU, spectrograms are processed this many complex bins at a time (2 MiB): a block
#: and its FFTs stay in the cache, and the allocator recycles block-sized temporaries
#: instead of page-faulting fresh memory in (which, for a whole song, costs about as much
#: as the FFTs themselves).
_CPU_BLOCK_BINS = 2 ** 18


class _ConsistentProjection:
    r""":math:`P_{\mathcal{C}}(Y) = \mathrm{STFT}(\mathrm{iSTFT}(Y))`, written for iterating.

    The same operator as :func:`mssedu.spectral.istft` followed by
    :func:`mssedu.spectral.stft` (the tests hold the two together to float32 rounding),
    rearranged so that an iteration costs little more than its two FFTs:

    - spectrograms are kept **frames-major**, ``(rows, frames, freq)``: the layout the FFTs
      read and write, so nothing is transposed inside the loop;
    - the signal lives in the STFT's *padded* coordinates (``n_fft // 2`` zeros either side
      when ``center``), so the iSTFT's trimming and the STFT's padding become one multiply
      by :attr:`envelope`: :math:`1 / \sum_m w^2[n - mH]` on the samples the signal has, 0 on
      the padding;
    - the overlap-add is ``ceil(n_fft / hop)`` additions of hop-long pieces, not one per frame;
    - on the CPU, frames are handled a block at a time (:data:`_CPU_BLOCK_BINS`); on a GPU,
      all at once.

    An iteration reads one signal and writes the next, block by block, so that a block is
    still in the cache when it is changed and synthesised again::

        for frames, X in project.analyse(y):      # X = STFT(y)[:, frames]
            project.overlap_add(frames, f(X))     # iSTFT, into the next signal
        y = project.next_signal()

    :meth:`synthesise` is the iSTFT of a whole spectrogram, :meth:`signal` the samples of a
    padded signal that the iSTFT returns.
    """

    def __init__(self, n_fft, hop, window, center, n_frames, length, rows, device):
        torch = _torch()
        from .spectral import get_window

        self.n_fft, self.hop, self.n_frames, self.length = n_fft, hop, n_frames, length
        self.start = n_fft // 2 if center else 0
        self.window = torch.from_numpy(get_window(window, n_fft)).to(device)
        self.overlap = -(-n_fft // hop)            # hop-long pieces per frame
        # enough hop-long pieces for every frame and every sample of the signal
        n_pieces = max(n_frames + self.overlap - 1, -(-(self.start + length) // hop))
        wss = torch.zeros(1, n_pieces * hop, device=device)
        self._add(wss, self.window.square().expand(1, n_frames, n_fft), 0)
        wss = wss[0]
        envelope = torch.where(wss > 1e-11, 1.0 / wss.clamp_min(1e-11), torch.ones_like(wss))
        envelope[: self.start] = 0.0
        envelope[self.start + length:] = 0.0
        self.envelope = envelope
        # two signals: the one being analysed and the next one being overlap-added
        self._next = torch.zeros(rows, n_pieces * hop, device=device)
        self._current = torch.zeros_like(self._next)
        per_frame = rows * (n_fft // 2 + 1)
        on_cpu = self._next.device.type == "cpu"
        step = max(1, _CPU_BLOCK_BINS // per_frame) if on_cpu else n_frames
        self.blocks = [slice(a, min(a + step, n_frames)) for a in range(0, n_frames, step)]

    def _add(self, y, frames, first):
        """Overlap-add ``frames`` ``(rows, m, n_fft)`` into ``y`` ``(rows, samples)``, frame
        ``first + i`` at sample ``(first + i) * hop``."""
        hop, m = self.hop, frames.shape[-2]
        pieces = y.view(y.shape[0], -1, hop)
        for j in range(self.overlap):   # the j-th hop-long piece of every frame at once
            piece = frames[..., j * hop:(j + 1) * hop]
            pieces[:, first + j:first + j + m, :piece.shape[-1]] += piece

    def overlap_add(self, frames, Y):
        """Add the iSTFT frames of ``Y`` ``(rows, len(frames), freq)`` (frames ``frames``, a
        slice) to the next signal."""
        self._add(self._next, _torch().fft.irfft(Y, n=self.n_fft).mul_(self.window), frames.start)

    def next_signal(self):
        """Finish the next signal (divide by the window envelope) and return it, ``(rows,
        samples)`` in padded coordinates; it is kept until the next call (no copy is made)."""
        y = self._next.mul_(self.envelope)
        self._next, self._current = self._current.zero_(), y
        return y

    def synthesise(self, Y):
        """iSTFT of a whole spectrogram ``(rows, frames, freq)``, in padded coordinates."""
        for frames in self.blocks:
            self.overlap_add(frames, Y[:, frames])
        return self.next_signal()

    def analyse(self, y):
        """STFT of a padded-coordinates signal ``(rows, samples)``, yielded block by block
        as ``(frames, X)``: ``X`` ``(rows, len(frames), freq)`` is ``STFT(y)[:, frames]``."""
        torch = _torch()
        all_frames = y.unfold(-1, self.n_fft, self.hop)          # a view, no copy
        for frames in self.blocks:
            yield frames, torch.fft.rfft(all_frames[:, frames] * self.window)

    def signal(self, y):
        """The samples of a padded-coordinates signal that the iSTFT returns, as a new
        ``(rows, length)`` tensor."""
        return y[:, self.start:self.start + self.length].clone()

    def pad(self, x):
        """``(rows, length)`` signal -> padded coordinates (zeros where the STFT pads)."""
        y = _torch().zeros_like(self._next[: x.shape[0]])
        y[:, self.start:self.start + self.length] = x
        return y


# --- measures ----------------------------------------------------------------------------

def spectral_convergence(reference, estimate) -> float:
    r"""Spectral convergence of ``estimate`` against ``reference``,

    .. math:: \mathrm{SC} = \frac{\big\| |\hat X| - |X| \big\|_F}{\| X \|_F},

    the relative error of the magnitudes (0 = same magnitudes). Used by Griffin-Lim
    papers as the convergence measure and, as a loss, by the multi-resolution STFT loss.

    Parameters
    ----------
    reference, estimate : array or tensor, same shape ``(..., freq, frames)``
        Magnitudes or complex spectrograms (their absolute values are compared).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.phase import spectral_convergence
    >>> A = np.ones((3, 4))
    >>> round(spectral_convergence(A, 1.1 * A), 6)
    0.1
    """
    ref = reference.detach().cpu().numpy() if _is_torch(reference) else np.asarray(reference)
    est = estimate.detach().cpu().numpy() if _is_torch(estimate) else np.asarray(estimate)
    if ref.shape != est.shape:
        raise ParameterError(f"reference has shape {ref.shape} and estimate {est.shape}; "
                          "compare spectrograms of the same shape (same n_fft, hop and length).")
    check_finite(ref, "reference")
    check_finite(est, "estimate")
    ref = np.abs(ref).astype(np.float64)
    diff = np.abs(est).astype(np.float64) - ref
    den = np.sqrt(np.sum(ref ** 2))
    if den == 0:
        raise ParameterError("reference is all zeros: spectral convergence is undefined for silence.")
    return float(np.sqrt(np.sum(diff ** 2)) / den)


def consistency(X, hop_length: int | None = None, window="hann", center: bool = True,
                n_fft: int | None = None) -> float:
    r"""How far a complex spectrogram is from being the STFT of any signal.

    .. math:: \mathcal{I}(X) = \frac{\| X - \mathrm{STFT}(\mathrm{iSTFT}(X)) \|_F}{\|X\|_F}

    0 means *consistent*: ``X`` is exactly the STFT of a signal. A mask applied to a mixture,
    or an estimated magnitude glued to a borrowed phase, is generally not consistent;
    Griffin-Lim drives this number down (Le Roux, Ono & Sagayama, 2008, use the numerator
    as the objective that phase reconstruction minimises).

    Parameters
    ----------
    X : complex array or tensor ``(..., freq, frames)``
    hop_length, window, center, n_fft : the STFT parameters that ``X`` was made with.

    Returns
    -------
    float in ``[0, 1]`` (approximately; 0 for a consistent spectrogram)

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.spectral import stft
    >>> from mssedu.phase import consistency
    >>> X = stft(np.random.default_rng(0).standard_normal(8000).astype(np.float32), 512, 128)
    >>> consistency(X, 128) < 1e-5
    True
    """
    torch = _torch()
    Xt = X if _is_torch(X) else torch.from_numpy(np.asarray(X))
    if not Xt.is_complex():
        raise ParameterError("consistency needs a complex spectrogram (magnitude and phase); "
                          "a magnitude alone has no phase to be consistent with.")
    if Xt.ndim < 2:
        raise ParameterError(f"X must be (..., freq, frames), got shape {tuple(Xt.shape)}.")
    check_finite(Xt, "X")
    Xt = Xt.to(torch.complex64)
    n_fft, hop = _stft_params(Xt.shape[-2], n_fft, hop_length)
    _check_nola(window, n_fft, hop)
    # the longest signal that gives exactly these frames (centre=True: up to hop - 1 samples
    # after the last frame's centre), so that nothing X says is cut off
    length = hop * (Xt.shape[-1] - 1) + (min(hop, n_fft // 2) if center else n_fft)
    Xt = _frames_major(Xt)
    den = float(torch.linalg.vector_norm(Xt, dtype=torch.complex128))
    if den == 0:
        return 0.0
    project = _ConsistentProjection(n_fft, hop, window, center, Xt.shape[-2], length,
                                    Xt.shape[0], Xt.device)
    y = project.synthesise(Xt)
    squared = sum(_squared_distance(Y, Xt[:, frames]) for frames, Y in project.analyse(y))
    return float(np.sqrt(squared)) / den


# --- Griffin-Lim ---------------------------------------------------------------------------

def griffin_lim(magnitude, n_iter: int = 32, momentum: float = 0.99, init="random",
                n_fft: int | None = None, hop_length: int | None = None, window="hann",
                center: bool = True, length: int | None = None, seed: int = 0,
                device=None, progress=None) -> GriffinLimResult:
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
        in radians, or complex numbers whose angle is used), shaped like ``magnitude``.
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

    Returns
    -------
    GriffinLimResult
        ``(signal, history)``: float32 ``(..., samples)`` (numpy for numpy input) and the
        spectral convergence after each iteration, ``history[0]`` being the initial phase's
        (see :class:`GriffinLimResult`).

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
    torch = _torch()
    n_iter = _check_iterations(n_iter)
    if momentum is None or not np.isfinite(momentum) or not 0 <= momentum <= 1:
        raise ParameterError(f"momentum must be between 0 (classic Griffin-Lim) and 1 "
                          f"(0.99 = fast Griffin-Lim), got {momentum!r}.")
    dev = _resolve_device(device, magnitude)
    A = _as_magnitude(magnitude, "magnitude", dev)
    n_fft, hop = _stft_params(A.shape[-2], n_fft, hop_length)
    _check_nola(window, n_fft, hop)
    if length is not None and (int(length) != length or length < 1):
        raise ParameterError(f"length must be a positive whole number of samples, got {length!r}.")
    n_frames = A.shape[-1]
    if length is None:
        length = hop * (n_frames - 1) if center else n_fft + hop * (n_frames - 1)
    length = int(length)
    if _n_frames(length, n_fft, hop, center) != n_frames:
        raise ParameterError(f"length={length} samples gives {_n_frames(length, n_fft, hop, center)} "
                          f"STFT frames but the magnitude has {n_frames}; pass the length of "
                          "the signal the magnitude was computed from (or leave it out).")
    gen = torch.Generator().manual_seed(int(seed))
    step, close = progress_bar(progress, n_iter, "Griffin-Lim")
    target_abs = _frames_major(A)                      # A, (rows, frames, freq)
    project = _ConsistentProjection(n_fft, hop, window, center, n_frames, length,
                                    target_abs.shape[0], dev)
    norm_A = float(torch.linalg.vector_norm(A, dtype=torch.float64))
    # c_{k-1}, kept for the momentum
    rebuilt = torch.empty_like(target_abs, dtype=torch.complex64) if momentum else None
    history = np.empty(n_iter + 1)
    try:
        with torch.no_grad():
            y = project.synthesise(target_abs * _frames_major(_initial_phase(init, A, gen)))
            for k in range(n_iter + 1):
                squared_error = 0.0
                for frames, c in project.analyse(y):   # c = c_k (a block of frames)
                    c_abs = _abs(c)
                    squared_error += _squared_distance(c_abs, target_abs[:, frames])
                    if k == n_iter:
                        continue                       # y is the answer: no next iterate
                    t, t_abs = c, c_abs                # t_k = c_k + alpha (c_k - c_{k-1})
                    if momentum:
                        if k > 0:
                            t = torch.view_as_complex(torch.lerp(
                                torch.view_as_real(rebuilt[:, frames]), torch.view_as_real(c),
                                1.0 + momentum))
                            t_abs = _abs(t)
                        rebuilt[:, frames] = c
                    # iSTFT(P_A(t_k)), whose STFT is c_{k+1}
                    next_target = _impose_magnitude_(t, target_abs[:, frames], t_abs)
                    project.overlap_add(frames, next_target)
                history[k] = _convergence(squared_error, norm_A)
                if k:
                    step(k, n_iter, history[k])
                if k < n_iter:
                    y = project.next_signal()
    finally:
        close()
    y = project.signal(y).reshape(A.shape[:-2] + (length,))
    if not _is_torch(magnitude):
        y = y.cpu().numpy().astype(np.float32, copy=False)
    return GriffinLimResult(y, history)


# --- MISI --------------------------------------------------------------------------------

def misi(magnitudes, mixture, n_iter: int = 32, init="mixture", n_fft: int | None = None,
         hop_length: int | None = None, window="hann", center: bool = True, device=None,
         progress=None) -> MisiResult:
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
    init : ``"mixture"`` | ``"random"`` | array ``(J, ..., freq, frames)``
        Initial phases: the mixture's (the usual choice), random, or given.
    n_fft, hop_length, window, center, device, progress : as in :func:`griffin_lim`.

    Returns
    -------
    MisiResult
        ``(estimates, history)``: same container as ``magnitudes`` (dict or array, numpy
        unless torch came in), each ``(..., samples)`` like the mixture, and the spectral
        convergence history of all sources together (``n_iter + 1`` values).

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
    torch = _torch()
    n_iter = _check_iterations(n_iter)
    names = None
    if isinstance(magnitudes, dict):
        if not magnitudes:
            raise ParameterError("magnitudes is an empty dict; give at least one source.")
        names = list(magnitudes)
        shapes = {k: tuple(np.shape(v)) for k, v in magnitudes.items()}
        if len(set(shapes.values())) != 1:
            raise ParameterError(f"all magnitudes must have the same shape, got {shapes}.")
        stacked = (torch.stack([magnitudes[k] for k in names]) if _is_torch(magnitudes[names[0]])
                   else np.stack([np.asarray(magnitudes[k]) for k in names]))
        like = magnitudes[names[0]]
    else:
        stacked, like = magnitudes, magnitudes
    dev = _resolve_device(device, like if _is_torch(like) else mixture)
    A = _as_magnitude(stacked, "magnitudes", dev)
    if A.ndim < 3:
        raise ParameterError(f"magnitudes must be (n_sources, ..., freq, frames) or a dict of "
                          f"(..., freq, frames); got shape {tuple(A.shape)}.")
    n_src = A.shape[0]
    n_fft, hop = _stft_params(A.shape[-2], n_fft, hop_length)
    _check_nola(window, n_fft, hop)
    if (mixture.is_complex() if _is_torch(mixture) else np.iscomplexobj(mixture)):
        raise ParameterError("mixture must be the waveform (..., samples), not its STFT.")
    x = mixture.detach() if _is_torch(mixture) else torch.from_numpy(
        np.ascontiguousarray(np.asarray(mixture), dtype=np.float32))
    check_finite(x, "mixture")
    x = x.to(device=dev, dtype=torch.float32)
    X = stft(x, n_fft, hop, window, center)
    if tuple(X.shape) != tuple(A.shape[1:]):
        raise ParameterError(f"the mixture's STFT has shape {tuple(X.shape)} but each magnitude "
                          f"has {tuple(A.shape[1:])}; use the same channels, n_fft "
                          f"({n_fft}), hop ({hop}) and length.")
    length = x.shape[-1]
    if isinstance(init, str) and init == "mixture":
        phase = _unit(X).expand(A.shape).clone()
    else:
        gen = torch.Generator().manual_seed(0)
        phase = _initial_phase(init, A, gen)
    target_abs = _frames_major(A)                      # (sources * batch, frames, freq)
    project = _ConsistentProjection(n_fft, hop, window, center, A.shape[-1], length,
                                    target_abs.shape[0], dev)
    mix = project.pad(x.reshape(-1, length))           # (batch, padded samples)
    norm_A = float(torch.linalg.vector_norm(A, dtype=torch.float64))
    step, close = progress_bar(progress, n_iter, "MISI")
    history = np.empty(n_iter + 1)
    try:
        with torch.no_grad():
            s = project.synthesise(target_abs * _frames_major(phase))
            for k in range(n_iter + 1):
                per_source = s.view((n_src,) + mix.shape)
                per_source += (mix - per_source.sum(dim=0)) / n_src    # spread the mixing error
                squared_error = 0.0
                for frames, S in project.analyse(s):
                    S_abs = _abs(S)
                    squared_error += _squared_distance(S_abs, target_abs[:, frames])
                    if k < n_iter:   # iSTFT(A_j e^{i angle S_j}): the next estimates
                        next_target = _impose_magnitude_(S, target_abs[:, frames], S_abs)
                        project.overlap_add(frames, next_target)
                history[k] = _convergence(squared_error, norm_A)
                if k:
                    step(k, n_iter, history[k])
                if k < n_iter:
                    s = project.next_signal()
    finally:
        close()
    s = project.signal(s).reshape(A.shape[:-2] + (length,))
    numpy_out = not _is_torch(like)
    if numpy_out:
        s = s.cpu().numpy().astype(np.float32, copy=False)
    if names is not None:
        s = {name: s[i] for i, name in enumerate(names)}
    return MisiResult(s, history)
