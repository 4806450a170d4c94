r"""Multichannel Wiener filtering: a spatial post-filter for any separator.

A separator that masks each channel on its own (the mini U-Net) or a waveform model
(HT-Demucs) knows where a source sits between the loudspeakers only implicitly. The
*local Gaussian model* (Duong, Vincent & Gribonval 2010; Nugraha, Liutkus & Vincent 2016)
makes the stereo image explicit: in every bin the stereo STFT vector of source :math:`j` is
zero-mean complex Gaussian with covariance

.. math:: \mathbf{C}_j(f, t) = v_j(f, t)\, \mathbf{R}_j(f),

a power spectrogram :math:`v_j` times a :math:`2 \times 2` *spatial covariance matrix*
:math:`\mathbf{R}_j(f)`, fixed over time, that holds the source's level and phase relation
between the channels. Given the mixture :math:`\mathbf{x} = \sum_j \mathbf{y}_j`, the
minimum mean-square estimate is the multichannel Wiener filter

.. math:: \hat{\mathbf{y}}_j = v_j \mathbf{R}_j
          \Big(\sum_k v_k \mathbf{R}_k\Big)^{-1} \mathbf{x},

whose gains add up to the identity: the estimates sum to the mixture. :math:`v_j` and
:math:`\mathbf{R}_j` are re-estimated from the current estimates by expectation-maximisation
(each iteration: fit the model, filter again). The field's library for it is sigsep's
``norbert`` (Open-Unmix's post-processing); :func:`multichannel_wiener` feeds it the stems of
any separator, and :class:`WienerPostFilter` wraps a separator so that
:func:`mssedu.separation.separate` returns post-filtered stems.

Examples
--------
>>> import numpy as np
>>> from mssedu.spatial import pan
>>> rng = np.random.default_rng(0)
>>> a = pan(rng.standard_normal(22050), -0.6)
>>> b = pan(rng.standard_normal(22050), 0.6)
>>> out = multichannel_wiener(a + b, {"a": a + 0.1 * b, "b": b})
>>> sorted(out), out["a"].shape
(['a', 'b'], (2, 22050))
>>> bool(np.allclose(out["a"] + out["b"], a + b, atol=1e-4))
True
"""
from __future__ import annotations

import norbert
import numpy as np

from ..audio import as_signal
from ..errors import ParameterError
from ..spectral import check_stft_params, istft, stft

__all__ = ["multichannel_wiener", "WienerPostFilter", "WIENER_N_FFT", "WIENER_HOP"]

#: STFT frame and hop of the post-filter: Open-Unmix's (4096 / 1024 at 44.1 kHz)
WIENER_N_FFT = 4096
WIENER_HOP = 1024


def _check_stems(mixture, estimates: dict) -> tuple:
    """Validated float64 mixture ``(channels, samples)`` and stem names/arrays."""
    x = as_signal(mixture, "mixture").astype(np.float64)
    if x.ndim != 2:
        raise ParameterError(f"mixture must be shaped (channels, samples), got {x.shape}.")
    if not isinstance(estimates, dict) or not estimates:
        raise ParameterError("estimates must be a non-empty dict {source: (channels, samples)}, "
                             f"got {type(estimates).__name__}.")
    names, stems = list(estimates), []
    for name in names:
        s = as_signal(estimates[name], f"estimates[{name!r}]").astype(np.float64)
        if s.shape != x.shape:
            raise ParameterError(f"estimates[{name!r}] has shape {s.shape}, the mixture {x.shape}; "
                                 "give every stem the mixture's (channels, samples).")
        stems.append(s)
    return x, names, stems


def multichannel_wiener(mixture, estimates: dict, iterations: int = 1, use_softmask: bool = False,
                        residual: bool = False, n_fft: int = WIENER_N_FFT,
                        hop_length: int = WIENER_HOP, eps: float | None = None) -> dict:
    r"""Post-filter a separator's stems with ``norbert.wiener`` (spatial covariance model).

    The magnitude spectrograms :math:`|Y_j|` of the given stems are the source model
    (``v`` in norbert: ``(frames, freq, channels, sources)``); the mixture's STFT is filtered
    in double precision and each result is inverted with :func:`mssedu.spectral.istft`.

    Parameters
    ----------
    mixture : array_like, shape ``(channels, samples)``
        The mixture the stems were separated from.
    estimates : dict
        ``{source: (channels, samples)}``: any separator's stems.
    iterations : int
        EM iterations (0: the initial estimate only, no spatial model). Open-Unmix uses 1.
    use_softmask : bool
        Initial estimate: ``False`` the stems' magnitudes with the mixture's phase
        (Open-Unmix's default), ``True`` the ratio mask :math:`|Y_j| / \sum_k |Y_k|`.
    residual : bool
        Add ``mixture - sum(estimates)`` as one more source (returned as ``"residual"``):
        needed when the stems do not cover the mixture, e.g. a single target.
    n_fft, hop_length : int
        STFT frame and hop of the filter.
    eps : float, optional
        norbert's regularisation (default: machine epsilon of float64).

    Returns
    -------
    dict
        ``{source: float32 (channels, samples)}``, same names (plus ``"residual"``); they
        sum to the mixture up to norbert's regularisation.

    Raises
    ------
    ParameterError
        Shapes that differ, a single stem without ``residual=True``, bad iterations.
    """
    x, names, stems = _check_stems(mixture, estimates)
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 0:
        raise ParameterError(f"iterations must be an integer >= 0, got {iterations!r}.")
    hop_length = check_stft_params(n_fft, hop_length)
    if residual:
        names, stems = names + ["residual"], stems + [x - np.sum(stems, axis=0)]
    if len(stems) < 2:
        raise ParameterError("A Wiener filter with one source gives it the whole mixture; pass "
                             "residual=True (the rest of the mixture becomes a second source) or "
                             "all the stems.")
    X = stft(x, n_fft, hop_length)                                   # (C, F, N) complex
    V = np.abs(stft(np.stack(stems), n_fft, hop_length))             # (J, C, F, N)
    x_nb = np.ascontiguousarray(X.transpose(2, 1, 0)).astype(np.complex128)   # (N, F, C)
    v_nb = V.transpose(3, 2, 1, 0).astype(np.float64)                # (N, F, C, J)
    # norbert divides its x argument in place: give it a copy it may spoil
    Y = norbert.wiener(v_nb, x_nb.copy(), iterations, use_softmask=use_softmask, eps=eps)
    Y = Y.transpose(3, 2, 1, 0)                                      # (J, C, F, N)
    y = istft(Y, hop_length, length=x.shape[-1], n_fft=n_fft)
    return {name: y[j].astype(np.float32) for j, name in enumerate(names)}


class WienerPostFilter:
    """Any separator followed by :func:`multichannel_wiener`: a separator again.

    Parameters
    ----------
    separator : Separator
        E.g. from :func:`mssedu.separation.load_separator`.
    iterations : int
        EM iterations (see :func:`multichannel_wiener`).
    **options
        :func:`multichannel_wiener`'s ``use_softmask``, ``n_fft``, ``hop_length``, ``eps``.

    Examples
    --------
    >>> from mssedu.separation import load_separator
    >>> from mssedu.models import shipped_checkpoint
    >>> sep = WienerPostFilter(load_separator(shipped_checkpoint(), device="cpu"))
    >>> sep.name, sep.sources
    ('mini U-Net (vocals) + multichannel Wiener', ['vocals', 'accompaniment'])
    """

    def __init__(self, separator, iterations: int = 1, **options):
        for attr in ("sr", "sources", "channels", "separate", "name"):
            if not hasattr(separator, attr):
                raise ParameterError(f"{type(separator).__name__} is not a separator (it has no "
                                     f"{attr!r}); use load_separator(...).")
        unknown = sorted(set(options) - {"use_softmask", "n_fft", "hop_length", "eps"})
        if unknown:
            raise ParameterError(f"WienerPostFilter does not take {', '.join(unknown)}; it takes "
                                 "iterations, use_softmask, n_fft, hop_length, eps.")
        self.separator, self.iterations, self.options = separator, iterations, options
        self.name = f"{separator.name} + multichannel Wiener"
        self.sr, self.channels = separator.sr, separator.channels
        self.sources = list(separator.sources)

    def separate(self, signal, progress: bool = True) -> dict:
        """Separate with the wrapped separator, then post-filter its stems.

        Parameters
        ----------
        signal : numpy.ndarray
            float32 ``(channels, samples)`` at ``self.sr``.
        progress : bool
            Passed to the wrapped separator.

        Returns
        -------
        dict
            ``{source: (channels, samples) float32}``, the wrapped separator's names.
        """
        stems = self.separator.separate(signal, progress=progress)
        # a model's stems need not add up to the mixture: the rest is one more source
        out = multichannel_wiener(signal, stems, self.iterations, residual=True, **self.options)
        return {name: out[name] for name in stems}

    def __repr__(self) -> str:
        return f"WienerPostFilter({self.separator!r}, iterations={self.iterations})"
