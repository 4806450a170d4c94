r"""The short-time Fourier transform and its inverse, with the windows they use.

The short-time Fourier transform of a signal :math:`x[n]` with analysis window :math:`w`
of length :math:`N` (``n_fft``) and hop :math:`H` (``hop_length``) is

.. math::

    X[k, m] = \sum_{n=0}^{N-1} x[n + mH]\, w[n]\, e^{-2\pi i k n / N},
    \qquad k = 0, \dots, N/2 .

:func:`istft` inverts it by weighted overlap-add (Griffin & Lim, 1984):

.. math::

    \hat x[n] = \frac{\sum_m w[n - mH]\; \mathrm{IDFT}(X[\cdot, m])[n - mH]}
                     {\sum_m w[n - mH]^2},

which returns :math:`x` exactly whenever the denominator never vanishes (the NOLA
condition). Shapes follow librosa: ``(..., samples)`` in, ``(..., freq, frames)`` out, with
``freq = n_fft // 2 + 1``.

Two paths, one set of names: numpy arrays go through the readable numpy implementation
below; torch tensors go through :func:`torch.stft` on the tensor's device (fast, batched,
differentiable). Both give librosa's numbers (``center=True`` pads with zeros, as
``librosa.stft`` does by default since 0.10).
"""
from __future__ import annotations

import functools

import numpy as np
import scipy.fft
import scipy.signal
import torch

from ..audio import as_signal
from ..checks import (check_bool, check_finite, check_int, check_real, check_spectrogram,
                      is_number, is_whole)
from ..errors import ParameterError

__all__ = ["stft", "istft", "check_stft_params", "check_invertible", "magphase", "amplitude_to_db",
           "get_window", "check_cola", "n_frames"]


def _is_torch(x) -> bool:
    return isinstance(x, torch.Tensor)


def check_stft_params(n_fft: int, hop_length: int | None) -> int:
    """Check an STFT's frame length and hop, and return the hop to use.

    Parameters
    ----------
    n_fft : int
        Frame (and FFT) length in samples, at least 2.
    hop_length : int or None
        Step between frames, at most ``n_fft``; ``None`` means ``n_fft // 4``.

    Returns
    -------
    int
        The hop length.

    Raises
    ------
    ParameterError
        ``n_fft`` or ``hop_length`` is not a positive integer, or the hop exceeds ``n_fft``.
    """
    n_fft = check_int(n_fft, "n_fft", 2)    # named limit: LIMITS["n_fft"]
    hop = check_int(n_fft // 4 if hop_length is None else hop_length, "hop_length", 1)
    if hop > n_fft:
        raise ParameterError(
            f"hop_length={hop} is larger than n_fft={n_fft}: samples between frames would "
            "never be analysed. Use hop_length <= n_fft (n_fft // 4 is the usual choice).")
    return int(hop)


def get_window(window="hann", n_fft: int = 2048, dtype=np.float32) -> np.ndarray:
    """A periodic analysis window of length ``n_fft`` (scipy's names:
    ``"hann"``, ``"hamming"``, ``"blackman"``, ``"boxcar"``/``"rectangular"``, ...), or a
    given array checked for length.

    Parameters
    ----------
    window : str, tuple or array_like
        A scipy window name (or ``(name, param)`` tuple), or the window itself.
    n_fft : int
        Window length in samples.
    dtype : numpy dtype
        dtype of the result.

    Returns
    -------
    np.ndarray
        Shape ``(n_fft,)``.
    """
    if isinstance(window, str) and window in ("rect", "rectangular", "ones"):
        window = "boxcar"
    if isinstance(window, (str, tuple)):
        try:
            return scipy.signal.get_window(window, n_fft, fftbins=True).astype(dtype)
        except (ValueError, TypeError) as err:
            raise ParameterError(
                f"Unknown window {window!r}. Use a scipy window name such as 'hann', "
                "'hamming', 'blackman' or 'boxcar', or pass the window as an array.") from err
    win = np.asarray(window, dtype=dtype)
    if win.shape != (n_fft,):
        raise ParameterError(f"window has shape {win.shape}, expected ({n_fft},).")
    return win


def n_frames(n_samples: int, n_fft: int, hop_length: int, center: bool = True) -> int:
    """How many STFT frames a signal of ``n_samples`` gives.

    Parameters
    ----------
    n_samples : int
        Signal length in samples.
    n_fft : int
        Frame length.
    hop_length : int
        Step between frames.
    center : bool
        Whether the signal is padded by ``n_fft // 2`` on both sides (as :func:`stft`).

    Returns
    -------
    int
        ``1 + (n_samples + 2 * (n_fft // 2) - n_fft) // hop_length`` (without the padding
        when ``center`` is False).
    """
    if center:
        n_samples = n_samples + 2 * (n_fft // 2)
    return 1 + (n_samples - n_fft) // hop_length


def stft(x, n_fft: int = 2048, hop_length: int | None = None, window="hann",
         center: bool = True):
    """Short-time Fourier transform.

    Parameters
    ----------
    x : np.ndarray or torch.Tensor, shape ``(..., samples)``
    n_fft : int
        Frame (and FFT) length in samples.
    hop_length : int
        Step between frames; default ``n_fft // 4``.
    window : str or array
        Analysis window (see :func:`get_window`).
    center : bool
        Pad ``n_fft // 2`` zeros on both sides so frame ``m`` is centred on sample ``m * hop``.

    Returns
    -------
    X : complex64 array or tensor, shape ``(..., n_fft // 2 + 1, frames)``

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.spectral import stft
    >>> stft(np.zeros((2, 44100), np.float32), n_fft=4096, hop_length=1024).shape
    (2, 2049, 44)
    """
    hop = check_stft_params(n_fft, hop_length)
    center = check_bool(center, "center")
    if _is_torch(x):
        return _stft_torch(x, n_fft, hop, window, center)
    x = as_signal(x, "x")
    needed = n_fft if not center else 1
    if x.shape[-1] < needed or (center and x.shape[-1] + 2 * (n_fft // 2) < n_fft):
        raise ParameterError(f"The signal has {x.shape[-1]} samples, shorter than one frame "
                          f"(n_fft={n_fft}). Use a longer clip or a smaller n_fft.")
    win64 = get_window(window, n_fft, dtype=np.float64)   # librosa's float64 window: equal bits
    if center:
        pad = [(0, 0)] * (x.ndim - 1) + [(n_fft // 2, n_fft // 2)]
        x = np.pad(x, pad, mode="constant")
    # 1. cut the signal into overlapping frames, one per row: (..., frames, n_fft), a view
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft, axis=-1)[..., ::hop, :]
    # 2. window each frame and take its real FFT along the row (contiguous, so the FFT reads
    #    and writes without strides), in float64 as librosa does, a block of frames at a time
    #    into one reused buffer; stored as complex64 (..., freq, frames)
    out = np.empty(frames.shape[:-2] + (n_fft // 2 + 1, frames.shape[-2]), dtype=np.complex64)
    block = _block_frames(n_fft, frames.shape[:-2], _STFT_BLOCK_BYTES)
    buffer = np.empty(frames.shape[:-2] + (min(block, frames.shape[-2]), n_fft))
    for a in range(0, frames.shape[-2], block):
        chunk = frames[..., a:a + block, :]
        windowed = np.multiply(chunk, win64, out=buffer[..., :chunk.shape[-2], :])
        spectra = scipy.fft.rfft(windowed, axis=-1, overwrite_x=True, workers=_WORKERS)
        out[..., a:a + block] = np.swapaxes(spectra, -1, -2)
    return out


def istft(X, hop_length: int | None = None, window="hann", center: bool = True,
          length: int | None = None, n_fft: int | None = None):
    """Inverse STFT by weighted overlap-add.

    ``X`` is ``(..., freq, frames)`` (numpy or torch); ``n_fft`` defaults to
    ``2 * (freq - 1)``. ``length`` trims or zero-pads the output to exactly that many
    samples (pass the original length to get ``istft(stft(x)) == x``).

    Parameters
    ----------
    X : complex np.ndarray or torch.Tensor, shape ``(..., freq, frames)``
        The STFT, e.g. ``(channels, freq, frames)``.
    hop_length : int
        Step between frames; default ``n_fft // 4``.
    window : str or array
        Synthesis window, the analysis window of :func:`stft`.
    center : bool
        The STFT was centred (remove the ``n_fft // 2`` padding).
    length : int, optional
        Exact output length in samples.
    n_fft : int, optional
        Frame length; default ``2 * (freq - 1)``.

    Returns
    -------
    np.ndarray or torch.Tensor
        float32 ``(..., samples)``, e.g. ``(channels, samples)`` (a tensor for a tensor input).
    """
    X = check_spectrogram(X, "X", finite=False)   # complex, (..., freq, frames)
    center = check_bool(center, "center")
    if n_fft is not None and not is_whole(n_fft):
        raise ParameterError(f"n_fft must be a whole number of samples, got {n_fft!r}; leave it "
                             "out to infer it from the frequency bins.")
    n_fft = 2 * (X.shape[-2] - 1) if n_fft is None else int(n_fft)
    if n_fft // 2 + 1 != X.shape[-2]:
        raise ParameterError(f"n_fft={n_fft} does not match {X.shape[-2]} frequency bins "
                          f"(expected n_fft // 2 + 1).")
    hop = check_stft_params(n_fft, hop_length)
    if length is not None and (isinstance(length, (bool, str)) or not np.isscalar(length)
                               or int(length) != length or length < 1):
        raise ParameterError(f"length must be a positive whole number of samples, got {length!r}; "
                             "pass the original signal's length (x.shape[-1]) or None.")
    check_invertible(window, n_fft, hop)
    if _is_torch(X):
        return _istft_torch(X, n_fft, hop, window, center, None if length is None else int(length))
    check_finite(X, "X")
    win = get_window(window, n_fft)
    n_fr = X.shape[-1]
    y = np.zeros(X.shape[:-2] + (_n_pieces(n_fft, hop, n_fr) * hop,), dtype=np.float32)
    block = _block_frames(n_fft, X.shape[:-2])
    for a in range(0, n_fr, block):
        # 1. back to time-domain frames (float32 FFT of complex64, as librosa), windowed
        frames = scipy.fft.irfft(np.swapaxes(X[..., a:a + block], -1, -2), n=n_fft, axis=-1,
                                 workers=_WORKERS)
        # 2. overlap-add them, ceil(n_fft / hop) hop-long pieces at a time
        _overlap_add(y, np.multiply(frames, win, out=frames), a, hop)
    # 3. undo the centring pad, fix the length and divide by the window-sum-square
    start = n_fft // 2 if center else 0
    total = n_fft + hop * (n_fr - 1)
    n_out = (total - 2 * start) if length is None else int(length)
    y = y[..., start:start + n_out]
    y = y * _inverse_envelope(window, n_fft, hop, n_fr)[start:start + y.shape[-1]]
    if y.shape[-1] < n_out:
        y = np.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, n_out - y.shape[-1])])
    return y


#: Threads of the numpy path's FFTs (scipy.fft's ``workers``): one. On a 256 KiB block,
#: starting threads costs more than it saves (180 s stereo on 2 quiet cores: 0.36 s with one
#: worker, 0.66 s with all; librosa 0.40 s).
_WORKERS = None
#: Bytes of float64 frames per iSTFT block: small enough to stay in the cache (a block and its
#: FFT are reused, not page-faulted in afresh), large enough to amortise Python's loop.
_BLOCK_BYTES = 2 ** 18
#: Bytes of float64 frames per STFT block. Larger than the iSTFT's: the STFT's FFT runs along
#: contiguous rows, and fewer, longer FFT calls won (180 s stereo, n_fft 4096, 2 quiet cores:
#: 0.50 s at 512 KiB, 0.37 s at 2 MiB, 0.35 s at 4 MiB; librosa 0.41 s).
_STFT_BLOCK_BYTES = 2 ** 22


def _block_frames(n_fft: int, lead_shape, block_bytes: int = _BLOCK_BYTES,
                  itemsize: int = 8) -> int:
    """Frames per block of the numpy STFT/iSTFT for signals with leading axes ``lead_shape``."""
    return max(1, block_bytes // (itemsize * n_fft * max(1, int(np.prod(lead_shape)))))


def _n_pieces(n_fft: int, hop: int, n_fr: int) -> int:
    """Hop-long pieces that hold the overlap-add of ``n_fr`` frames."""
    return n_fr - 1 + -(-n_fft // hop)


def _overlap_add(y, frames, first: int, hop: int) -> None:
    """In place, add ``frames`` ``(..., m, n_fft)`` into ``y`` ``(..., pieces * hop)``, frame
    ``first + i`` at sample ``(first + i) * hop``: one addition per hop-long piece of a frame
    (``ceil(n_fft / hop)``), not one per frame. Works for numpy arrays and torch tensors."""
    m, n_fft = frames.shape[-2:]
    pieces = y.reshape(y.shape[:-1] + (-1, hop))     # a view of y
    for j in range(-(-n_fft // hop)):               # the j-th piece of every frame at once
        piece = frames[..., j * hop:(j + 1) * hop]
        target = pieces[..., first + j:first + j + m, :piece.shape[-1]]
        target += piece       # on a name, not `pieces[...] += piece`, which copies back again


@functools.lru_cache(maxsize=16)
def _envelope_cached(window, n_fft: int, hop: int, n_fr: int) -> np.ndarray:
    return _inverse_envelope_of(get_window(window, n_fft), hop, n_fr)


def _inverse_envelope_of(win, hop: int, n_fr: int) -> np.ndarray:
    r""":math:`1 / \sum_m w^2[n - mH]` where the sum is non-zero, 1 where it vanishes."""
    wss = np.zeros(_n_pieces(len(win), hop, n_fr) * hop, dtype=np.float32)
    _overlap_add(wss, np.broadcast_to(win ** 2, (n_fr, len(win))), 0, hop)
    ok = wss > np.finfo(np.float32).tiny
    return np.divide(1.0, wss, out=np.ones_like(wss), where=ok)


def _inverse_envelope(window, n_fft: int, hop: int, n_fr: int) -> np.ndarray:
    """The inverse window-sum-square of an iSTFT of ``n_fr`` frames (cached for named windows)."""
    if isinstance(window, (str, tuple)):
        return _envelope_cached(window, n_fft, hop, n_fr)
    return _inverse_envelope_of(get_window(window, n_fft), hop, n_fr)


@functools.lru_cache(maxsize=64)
def _nola_cached(window, n_fft: int, hop: int) -> bool:
    return check_cola(window, n_fft, hop)["nola"]


def check_invertible(window="hann", n_fft: int = 2048, hop_length: int | None = None) -> None:
    """Raise unless :func:`istft` can invert an STFT made with this window and hop (NOLA).

    Parameters
    ----------
    window : str, tuple or array_like
        The window (see :func:`get_window`).
    n_fft : int
        Frame length.
    hop_length : int, optional
        Step between frames; default ``n_fft // 4``.

    Raises
    ------
    ParameterError
        The shifted squared windows vanish somewhere (e.g. ``"hann"`` with
        ``hop_length == n_fft``): those samples cannot be recovered. The message names a hop
        that works.
    """
    hop = check_stft_params(n_fft, hop_length)
    key = window if isinstance(window, (str, tuple)) else None
    ok = (_nola_cached(key, int(n_fft), hop) if key is not None
          else check_cola(window, n_fft, hop)["nola"])
    if ok:
        return
    good = next((h for h in (n_fft // 2, n_fft // 4, n_fft // 8, 1)
                 if 1 <= h < hop and check_cola(window, n_fft, h)["nola"]), None)
    what = window if key is not None else "this window"
    fix = (f"Use hop_length={good} (or smaller)" if good is not None
           else "Use a window that is non-zero at its edges")
    raise ParameterError(
        f"window={what!r} with n_fft={n_fft} and hop_length={hop} cannot be inverted: the "
        "overlapping squared windows sum to zero at some samples (the NOLA condition fails), "
        f"so istft would return wrong values there. {fix}.")


def _torch_window(window, n_fft, device):
    return torch.from_numpy(get_window(window, n_fft)).to(device)


def _stft_torch(x, n_fft, hop, window, center):
    check_real(x, "x")
    check_finite(x, "x")
    if x.shape[-1] < (1 if center else n_fft) or (not center and x.shape[-1] < n_fft):
        raise ParameterError(f"The signal has {x.shape[-1]} samples, shorter than one frame "
                          f"(n_fft={n_fft}).")
    if center and x.shape[-1] <= n_fft // 2:
        # torch's zero padding works; only reflect padding needs more samples. Nothing to do.
        pass
    batch = x.shape[:-1]
    flat = x.reshape(-1, x.shape[-1])
    if not flat.is_floating_point():
        if flat.dtype == torch.bool:
            raise ParameterError("x is a boolean tensor, not audio; pass float samples in [-1, 1].")
        # integer PCM by its full scale, as audio.as_signal does for arrays
        flat = torch.from_numpy(as_signal(flat.cpu().numpy(), "x")).to(x.device)
    elif flat.dtype in (torch.float16, torch.bfloat16):
        flat = flat.float()     # torch.stft has no half-precision kernel on CPU; float32 is exact
    X = torch.stft(flat, n_fft, hop_length=hop, window=_torch_window(window, n_fft, x.device).to(flat.dtype),
                   center=center, pad_mode="constant", return_complex=True)
    return X.reshape(batch + X.shape[-2:])


def _istft_torch(X, n_fft, hop, window, center, length):
    """:func:`istft` of a tensor: the numpy path's steps in torch, on ``X``'s device, whole."""
    batch, n_fr = X.shape[:-2], X.shape[-1]
    flat = X.reshape((-1,) + X.shape[-2:])
    frames = torch.fft.irfft(flat.transpose(-1, -2), n=n_fft)       # (rows, frames, n_fft)
    frames = frames * _torch_window(window, n_fft, X.device)          # not in place: autograd
    y = frames.new_zeros(flat.shape[0], _n_pieces(n_fft, hop, n_fr) * hop)
    _overlap_add(y, frames, 0, hop)
    start = n_fft // 2 if center else 0
    n_out = (n_fft + hop * (n_fr - 1) - 2 * start) if length is None else length
    y = y[:, start:start + n_out]
    envelope = _inverse_envelope(window, n_fft, hop, n_fr)[start:start + y.shape[-1]]
    y = y * torch.from_numpy(envelope).to(y.device)
    if y.shape[-1] < n_out:
        y = torch.nn.functional.pad(y, (0, n_out - y.shape[-1]))
    return y.reshape(batch + y.shape[-1:])


def magphase(X):
    """Split a complex spectrogram into magnitude ``|X|`` and unit-modulus phase ``X/|X|``
    (phase 1 where ``|X| = 0``), so that ``X == magnitude * phase``.

    Parameters
    ----------
    X : complex np.ndarray or torch.Tensor, shape ``(..., freq, frames)``
        A spectrogram.

    Returns
    -------
    magnitude : np.ndarray or torch.Tensor
        Real, same shape.
    phase : np.ndarray or torch.Tensor
        Complex, unit modulus, same shape.
    """
    if _is_torch(X):
        mag = X.abs()
        phase = torch.where(mag > 0, X / mag.clamp_min(1e-30), torch.ones_like(X))
        return mag, phase
    X = np.asarray(X)
    mag = np.abs(X)
    phase = np.ones_like(X)
    nz = mag > 0
    phase[nz] = X[nz] / mag[nz]
    return mag, phase


def amplitude_to_db(S, ref=1.0, amin: float = 1e-5, top_db: float | None = 80.0) -> np.ndarray:
    r"""Convert magnitudes to decibels, :math:`20\log_{10}(\max(|S|, a_{min}) / ref)`,
    clipped to ``top_db`` below the peak (librosa's convention). ``ref`` may be a number
    or a function such as ``np.max``.

    Parameters
    ----------
    S : array_like, shape ``(..., freq, frames)``
        Magnitudes (or a complex spectrogram: its absolute value is used).
    ref : float or callable
        The level that maps to 0 dB, or a function of ``|S|`` giving it (``np.max``).
    amin : float
        Smallest magnitude considered (avoids the logarithm of zero).
    top_db : float or None
        Floor, in dB below the peak; ``None`` for no floor.

    Returns
    -------
    np.ndarray
        float32 decibels, same shape.
    """
    S = np.abs(np.asarray(S))
    if not is_number(amin) or amin <= 0:
        raise ParameterError(f"amin must be > 0, got {amin!r}.")
    ref_value = ref(S) if callable(ref) else ref
    db = 20.0 * np.log10(np.maximum(amin, S)) - 20.0 * np.log10(np.maximum(amin, abs(ref_value)))
    if top_db is not None:
        if not is_number(top_db) or top_db < 0:
            raise ParameterError(f"top_db must be >= 0 dB (or None for no floor), got {top_db!r}.")
        db = np.maximum(db, db.max() - top_db)
    return db.astype(np.float32)


def check_cola(window="hann", n_fft: int = 2048, hop_length: int | None = None,
               tol: float = 1e-6) -> dict:
    r"""Does this window/hop pair allow perfect reconstruction?

    Returns a dict with ``cola`` (the shifted windows sum to a constant,
    :math:`\sum_m w[n - mH] = C`: plain overlap-add works), ``nola`` (the shifted *squared*
    windows never vanish: :func:`istft`'s weighted overlap-add works) and ``ripple`` (the
    relative peak-to-peak variation of :math:`\sum_m w[n-mH]`; 0 for COLA).

    Parameters
    ----------
    window : str or array
        The window (see :func:`get_window`).
    n_fft : int
        Frame length.
    hop_length : int, optional
        Step between frames; default ``n_fft // 4``.
    tol : float
        Tolerance of the COLA check.

    Returns
    -------
    dict
        ``cola`` (bool), ``nola`` (bool) and ``ripple`` (float).
    """
    hop = check_stft_params(n_fft, hop_length)
    win = get_window(window, n_fft).astype(np.float64)
    cola = bool(scipy.signal.check_COLA(win, n_fft, n_fft - hop, tol=tol))
    nola = bool(scipy.signal.check_NOLA(win, n_fft, n_fft - hop, tol=1e-10))
    acc = np.zeros(hop)
    for start in range(0, n_fft, hop):
        seg = win[start:start + hop]
        acc[: len(seg)] += seg
    ripple = float((acc.max() - acc.min()) / max(acc.mean(), 1e-12))
    return {"cola": cola, "nola": nola, "ripple": ripple}
