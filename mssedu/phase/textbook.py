r"""Griffin-Lim, fast Griffin-Lim and MISI as they are written on the blackboard.

These are the versions to *read*: numpy in, numpy out, built only on
:func:`mssedu.spectral.stft` and :func:`mssedu.spectral.istft`, one line per step of the
algorithm. :mod:`mssedu.phase.fast` computes the same thing several times faster (torch,
batched, and a fused consistent projection); the tests check that, from the same initial
phase (:func:`~mssedu.phase.initial_phase`), both give the same signals and the same
convergence histories.

**Griffin-Lim** (Griffin & Lim, 1984). Given a target magnitude :math:`A`, look for a signal
:math:`x` whose STFT magnitude is as close to :math:`A` as possible. Write
:math:`P_{\mathcal{A}}(Y) = A\, e^{i\angle Y}` (keep the phase, impose the magnitude) and
:math:`P_{\mathcal{C}}(Y) = \mathrm{STFT}(\mathrm{iSTFT}(Y))` (the closest spectrogram that
is the STFT of a signal). From :math:`c_0 = P_{\mathcal{C}}(A\, e^{i\phi_0})`, iterate

.. math:: c_n = P_{\mathcal{C}}\big(P_{\mathcal{A}}(c_{n-1})\big).

Each step can only lower the distance :math:`\| |c_n| - A \|_F` (Griffin & Lim's theorem), so
the spectral convergence :math:`\mathrm{SC}_n = \| |c_n| - A \|_F / \|A\|_F` never increases.

**Fast Griffin-Lim** (Perraudin, Balazs & Søndergaard, 2013) extrapolates along the last
step before projecting again,

.. math::

    c_n = P_{\mathcal{C}}\big(P_{\mathcal{A}}(t_{n-1})\big), \qquad
    t_n = c_n + \alpha\,(c_n - c_{n-1}),

with :math:`t_0 = c_0`; :math:`\alpha = 0` is the classic algorithm, :math:`\alpha = 0.99`
converges much faster (no longer monotonically).

**MISI** (Gunawan & Sen, 2010). With magnitudes :math:`A_j` of :math:`J` sources and the
mixture :math:`x = \sum_j s_j`, run Griffin-Lim on every source and, after each iSTFT, share
the mixing error equally:

.. math::

    \hat s_j = \mathrm{iSTFT}\big(A_j\, e^{i\phi_j}\big), \qquad
    \tilde s_j = \hat s_j + \frac{1}{J}\Big(x - \sum_k \hat s_k\Big), \qquad
    \phi_j \leftarrow \angle\, \mathrm{STFT}(\tilde s_j),

usually from the mixture's phase :math:`\phi_j = \angle\, \mathrm{STFT}(x)`. The
:math:`\tilde s_j` add up to :math:`x` exactly, at every iteration.
"""
from __future__ import annotations

import numpy as np

from ..audio import as_signal
from ..errors import ParameterError
from ..spectral import istft, stft
from .inputs import (check_iterations, check_length, check_magnitude, check_momentum,
                     check_stft_grid, initial_phase)
from .measures import spectral_convergence
from .results import GriffinLimResult, MisiResult

__all__ = ["griffin_lim_textbook", "misi_textbook"]


def griffin_lim_textbook(magnitude, n_iter: int = 32, n_fft: int | None = None,
                         hop_length: int | None = None, window="hann", center: bool = True,
                         momentum: float = 0.0, init="random", seed: int = 0,
                         length: int | None = None) -> GriffinLimResult:
    r"""Griffin-Lim (``momentum=0``) or fast Griffin-Lim, one numpy line per step.

    From :math:`c_0 = \mathrm{STFT}(\mathrm{iSTFT}(A\, e^{i\phi_0}))`, iterate

    .. math::

        t_n = c_n + \alpha\,(c_n - c_{n-1}), \qquad
        x_{n+1} = \mathrm{iSTFT}\big(A\, e^{i\angle t_n}\big), \qquad
        c_{n+1} = \mathrm{STFT}(x_{n+1}),

    and record :math:`\| |c_n| - A \|_F / \|A\|_F` after every iteration. The same algorithm
    as :func:`~mssedu.phase.griffin_lim` (which defaults to ``momentum=0.99``), written to be
    read rather than to be fast.

    Parameters
    ----------
    magnitude : np.ndarray, real, ``(..., freq, frames)``
        The target magnitude :math:`A`.
    n_iter : int
        Number of iterations (each is one iSTFT and one STFT).
    n_fft : int, optional
        Frame length; default ``2 * (freq - 1)``.
    hop_length : int, optional
        Hop of the STFT; default ``n_fft // 4``.
    window : str or array
        Window of the STFT.
    center : bool
        Whether the STFT centred its frames.
    momentum : float in ``[0, 1]``
        :math:`\alpha`: 0 for classic Griffin-Lim, 0.99 for fast Griffin-Lim.
    init : ``"random"`` | ``"zeros"`` | array
        Initial phase :math:`\phi_0` (see :func:`~mssedu.phase.initial_phase`).
    seed : int
        Seed of the random initial phase.
    length : int, optional
        Length of the output in samples (e.g. the original signal's).

    Returns
    -------
    GriffinLimResult
        ``(signal, history)``: float32 numpy ``(..., samples)``, and the spectral
        convergence after each of the ``n_iter + 1`` STFTs (``history[0]``: from
        :math:`\phi_0`).

    Raises
    ------
    ParameterError
        As :func:`~mssedu.phase.griffin_lim`: a bad magnitude, STFT grid, ``n_iter``,
        ``momentum``, ``init`` or ``length``.

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.spectral import stft
    >>> from mssedu.phase import griffin_lim_textbook
    >>> x = np.random.default_rng(0).standard_normal(4000).astype(np.float32)
    >>> y, history = griffin_lim_textbook(np.abs(stft(x, 256, 64)), n_iter=8, length=4000)
    >>> y.shape, len(history), bool(history[-1] < history[0])
    ((4000,), 9, True)
    """
    check_magnitude(magnitude)
    A = np.asarray(magnitude, dtype=np.float32)
    n_iter, momentum = check_iterations(n_iter), check_momentum(momentum)
    n_fft, hop = check_stft_grid(A.shape[-2], n_fft, hop_length, window)
    length = check_length(length, A.shape[-1], n_fft, hop, center)

    # x_0 = iSTFT(A e^{i phi_0}): the target magnitude with the initial phase
    x = istft(A * initial_phase(init, A.shape, seed), hop, window, center, length, n_fft)
    history, c_previous = [], None
    for n in range(n_iter + 1):
        c = stft(x, n_fft, hop, window, center)                 # c_n = P_C(...), consistent
        history.append(spectral_convergence(A, c))              # how far |c_n| is from A
        if n == n_iter:
            break
        # inertia (fast Griffin-Lim): t_n = c_n + alpha (c_n - c_{n-1}); t_0 = c_0
        t = c if c_previous is None else c + momentum * (c - c_previous)
        c_previous = c
        # P_A: keep t's phase, impose the magnitude A; then back to a signal (iSTFT)
        x = istft(A * np.exp(1j * np.angle(t)), hop, window, center, length, n_fft)
    return GriffinLimResult(x, np.array(history))


def misi_textbook(magnitudes, mixture, n_iter: int = 32, n_fft: int | None = None,
                  hop_length: int | None = None, window="hann", center: bool = True,
                  init="mixture", seed: int = 0) -> MisiResult:
    r"""Multiple-input spectrogram inversion (MISI), one numpy line per step.

    .. math::

        \hat s_j = \mathrm{iSTFT}\big(A_j\, e^{i\phi_j}\big), \qquad
        \tilde s_j = \hat s_j + \frac{1}{J}\Big(x - \sum_k \hat s_k\Big), \qquad
        \phi_j \leftarrow \angle\, \mathrm{STFT}(\tilde s_j).

    The same algorithm as :func:`~mssedu.phase.misi`, written to be read rather than to be
    fast.

    Parameters
    ----------
    magnitudes : np.ndarray ``(J, ..., freq, frames)``
        Magnitudes :math:`A_j` of the :math:`J` sources, on the mixture's STFT grid (stack
        a dict with ``np.stack(list(d.values()))``).
    mixture : np.ndarray ``(..., samples)``
        The mixture waveform :math:`x`.
    n_iter : int
        Number of phase updates (0: the initial phase, with the mixing error shared).
    n_fft : int, optional
        Frame length; default ``2 * (freq - 1)``.
    hop_length : int, optional
        Hop of the STFT; default ``n_fft // 4``.
    window : str or array
        Window of the STFT.
    center : bool
        Whether the STFT centred its frames.
    init : ``"mixture"`` | ``"random"`` | ``"zeros"`` | array
        Initial phases: the mixture's (the usual choice) or as in
        :func:`~mssedu.phase.initial_phase`.
    seed : int
        Seed of the random initial phase.

    Returns
    -------
    MisiResult
        ``(estimates, history)``: float32 ``(J, ..., samples)``, adding up to the mixture,
        and the spectral convergence of all sources together after each of the
        ``n_iter + 1`` STFTs.

    Raises
    ------
    ParameterError
        A dict of magnitudes, magnitudes that are not on the mixture's STFT grid, or any of
        :func:`griffin_lim_textbook`'s bad arguments.

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.spectral import stft
    >>> from mssedu.phase import misi_textbook
    >>> s = np.random.default_rng(0).standard_normal((2, 4000)).astype(np.float32)
    >>> est, history = misi_textbook(np.abs(stft(s, 256, 64)), s.sum(axis=0), n_iter=4)
    >>> est.shape, bool(np.abs(est.sum(axis=0) - s.sum(axis=0)).max() < 1e-4)
    ((2, 4000), True)
    """
    if isinstance(magnitudes, dict):
        raise ParameterError("misi_textbook takes an array (J, ..., freq, frames); stack a dict "
                             "with np.stack(list(magnitudes.values())), or use misi().")
    check_magnitude(magnitudes, "magnitudes")
    A, x = np.asarray(magnitudes, dtype=np.float32), as_signal(mixture, "mixture")
    n_iter = check_iterations(n_iter)
    n_fft, hop = check_stft_grid(A.shape[-2], n_fft, hop_length, window)
    X = stft(x, n_fft, hop, window, center)                      # the mixture's STFT
    if X.shape != A.shape[1:]:
        raise ParameterError(f"the mixture's STFT has shape {X.shape} but each magnitude has "
                             f"{A.shape[1:]}; use the same channels, n_fft, hop and length.")
    J, length = A.shape[0], x.shape[-1]

    mixture_phase = isinstance(init, str) and init == "mixture"
    s = istft(A * initial_phase(X if mixture_phase else init, A.shape, seed),
              hop, window, center, length, n_fft)                # s_j = iSTFT(A_j e^{i phi_j})
    history = []
    for n in range(n_iter + 1):
        s = s + (x - s.sum(axis=0)) / J                          # share the mixing error:
        S = stft(s, n_fft, hop, window, center)                  # now sum_j s_j = x exactly
        history.append(spectral_convergence(A, S))               # all sources together
        if n == n_iter:
            break
        s = istft(A * np.exp(1j * np.angle(S)), hop, window, center, length, n_fft)
    return MisiResult(s, np.array(history))
