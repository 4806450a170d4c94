r"""Source separation before deep learning: four classic tricks, each in a few lines.

- **Centre-channel cancellation** (the karaoke trick): whatever is mixed identically into
  both channels (usually the lead vocal, but also the bass and the kick drum) vanishes from
  :math:`L - R`.
- **Mid/side**: :math:`M = (L + R)/2`, :math:`S = (L - R)/2`, the same idea as a change of basis.
- **Harmonic/percussive separation** (HPSS, Fitzgerald 2010): harmonic sounds are
  horizontal lines in a spectrogram, percussive ones vertical lines; median filters along
  time and along frequency tell them apart.
- **REPET** (Rafii & Pardo, 2013): the accompaniment repeats, the voice does not; a median
  over repetitions of the spectrogram models the repeating background.
- **NMF** (Lee & Seung, 2001; Smaragdis & Brown, 2003): the magnitude spectrogram as a sum
  of a few spectral templates switched on and off over time, :math:`V \approx WH`.

Signals are ``(channels, samples)`` float32; spectrograms come from
:func:`mssedu.spectral.stft`.
"""
from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np
import pandas as pd

from .audio import as_signal
from .checks import check_finite, check_int, check_rate, is_number, is_whole
from .errors import ParameterError
from .progress import progress_bar
from .spatial import inter_channel_correlation
from .spectral import istft, stft

__all__ = ["mid_side", "stereo_from_mid_side", "centre_channel_cancellation",
           "cancellation_report", "hpss_masks", "hpss", "beat_spectrum", "repeating_period",
           "repet_mask", "repet", "RepetResult", "nmf", "NMFResult", "nmf_separate",
           "supervised_nmf_separate"]


def _stereo(x, name="signal") -> np.ndarray:
    x = as_signal(x, name)
    if x.ndim != 2 or x.shape[0] != 2:
        raise ParameterError(f"{name} must be stereo, shaped (2, samples); got {x.shape}. "
                          "Centre-channel tricks need a left and a right channel.")
    return x


# --- centre-channel cancellation and mid/side ---------------------------------------------

def mid_side(x):
    r"""Mid and side signals of a stereo ``x`` ``(2, samples)``:

    .. math:: M = \frac{L + R}{2}, \qquad S = \frac{L - R}{2},

    each returned as ``(1, samples)``. A source panned to the centre (:math:`L = R`) lives
    only in :math:`M`; :math:`S` holds what differs between the channels.

    Parameters
    ----------
    x : array_like, shape ``(2, samples)``
        A stereo signal.

    Returns
    -------
    mid : np.ndarray
        Shape ``(1, samples)``.
    side : np.ndarray
        Shape ``(1, samples)``.

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.classical import mid_side
    >>> m, s = mid_side(np.array([[1.0, 2.0], [1.0, 0.0]], np.float32))
    >>> m.tolist(), s.tolist()
    ([[1.0, 1.0]], [[0.0, 1.0]])
    """
    x = _stereo(x)
    return (x[0:1] + x[1:2]) / 2, (x[0:1] - x[1:2]) / 2


def stereo_from_mid_side(mid, side) -> np.ndarray:
    """Inverse of :func:`mid_side`: ``L = M + S``, ``R = M - S``.

    Parameters
    ----------
    mid : array_like, shape ``(1, samples)`` or ``(samples,)``
        The mid signal.
    side : array_like, same length
        The side signal.

    Returns
    -------
    np.ndarray
        float32 stereo ``(2, samples)``.
    """
    m = as_signal(mid, "mid").reshape(-1)
    s = as_signal(side, "side").reshape(-1)
    if m.shape != s.shape:
        raise ParameterError(f"mid has {m.shape[0]} samples and side {s.shape[0]}; they must match.")
    return np.stack([m + s, m - s]).astype(np.float32)


def centre_channel_cancellation(x, amount: float = 1.0) -> np.ndarray:
    r"""The karaoke trick: subtract one channel from the other.

    .. math:: y = (1 - a)\, x + a\, (L - R) \quad \text{(on both channels)}

    With ``amount`` :math:`a = 1` the output is the mono difference :math:`L - R` in both
    channels: every source mixed identically into left and right (lead vocal, but also bass
    and kick drum, which engineers keep in the centre) cancels exactly; sources panned to
    one side or recorded in wide stereo survive at about their original level. ``a = 0``
    returns ``x`` unchanged; values in between cross-fade.

    Parameters
    ----------
    x : ``(2, samples)`` stereo signal
    amount : float in ``[0, 1]``

    Returns
    -------
    ``(2, samples)`` float32, the "vocal-removed" signal

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.classical import centre_channel_cancellation
    >>> centred = np.tile(np.sin(np.arange(8.0)), (2, 1)).astype(np.float32)
    >>> float(np.abs(centre_channel_cancellation(centred)).max())
    0.0
    """
    x = _stereo(x)
    if not is_number(amount) or not 0 <= amount <= 1:
        raise ParameterError(f"amount must be between 0 (original) and 1 (full L - R), got {amount!r}.")
    diff = x[0] - x[1]
    return ((1 - amount) * x + amount * diff[None, :]).astype(np.float32)


def cancellation_report(track):
    r"""How much of each stem survives centre-channel cancellation.

    For every stem (and the mixture) the table gives ``kept_db``, its level in the
    karaoke signal :math:`L - R` relative to its level in the original,

    .. math:: \text{kept} = 10 \log_{10} \frac{\| L - R \|^2}{\|L\|^2 + \|R\|^2}
              \ \text{dB},

    :math:`-\infty` for a perfectly centred stem (:math:`L = R`), 0 dB for one panned hard
    to a side or recorded in uncorrelated stereo, up to +3 dB for anti-phase channels; and
    ``correlation``, the inter-channel correlation (+1: centred mono, see
    :func:`mssedu.spatial.inter_channel_correlation`).

    Parameters
    ----------
    track : mssedu.data.Track
        A stereo multitrack (``mixture`` and ``stems``, each ``(2, samples)``).

    Returns
    -------
    pandas.DataFrame
        Indexed by stem name (mixture first); columns ``kept_db`` and ``correlation``.
    """
    rows = {}
    for name, sig in [("mixture", track.mixture)] + list(track.stems.items()):
        s = _stereo(sig, name).astype(np.float64)
        e_in = float(np.sum(s ** 2))
        e_out = float(np.sum((s[0] - s[1]) ** 2))
        kept = 10 * np.log10(max(e_out, 1e-30) / e_in) if e_in > 0 else float("nan")
        rows[name] = {"kept_db": kept, "correlation": inter_channel_correlation(sig)}
    return pd.DataFrame.from_dict(rows, orient="index")


# --- harmonic / percussive ------------------------------------------------------------

def hpss_masks(S, kernel_size=31, power: float = 2.0, margin=1.0):
    r"""Harmonic and percussive soft masks by median filtering (Fitzgerald, 2010).

    With :math:`|S|` the magnitude spectrogram,
    :math:`H = \mathrm{median}_{\text{time}}(|S|)` (a horizontal median filter of
    ``kernel_size[0]`` frames) and :math:`P = \mathrm{median}_{\text{freq}}(|S|)` (a
    vertical one of ``kernel_size[1]`` bins), the harmonic mask is the Wiener-like ratio

    .. math:: M_H = \frac{H^p}{H^p + (\beta P)^p}, \qquad
              M_P = \frac{P^p}{P^p + (\beta H)^p}

    with ``power`` :math:`p` and ``margin`` :math:`\beta \ge 1` (Driedger et al., 2014: a
    margin above 1 leaves a residual that is neither). Computed by
    :func:`librosa.decompose.hpss` on our spectrogram.

    Parameters
    ----------
    S : ``(..., freq, frames)`` complex or magnitude spectrogram
    kernel_size : int or (int, int) -- (harmonic in frames, percussive in bins)
    power : float > 0 (``np.inf`` gives binary masks)
    margin : float or (float, float), >= 1

    Returns
    -------
    (mask_harmonic, mask_percussive), each shaped like ``S``, values in ``[0, 1]``
    """
    S = np.asarray(S)
    if S.ndim < 2:
        raise ParameterError(f"S must be a spectrogram (..., freq, frames), got shape {S.shape}.")
    check_finite(S, "S")
    ks = (kernel_size, kernel_size) if np.isscalar(kernel_size) else tuple(kernel_size)
    if len(ks) != 2 or any(not is_whole(k) or k < 1 for k in ks):
        raise ParameterError(f"kernel_size must be a positive whole number or a pair of them, got {kernel_size!r}.")
    margins = (margin, margin) if np.isscalar(margin) else tuple(margin)
    if len(margins) != 2 or any(not is_number(m) or m < 1 for m in margins):
        raise ParameterError(f"margin must be >= 1 (1 = no residual), got {margin!r}.")
    if not is_number(power) or not power > 0:
        raise ParameterError(f"power must be > 0, got {power!r}.")
    return librosa.decompose.hpss(np.abs(S), kernel_size=tuple(int(k) for k in ks),
                                  power=power, mask=True, margin=margins)


def hpss(x, kernel_size=31, power: float = 2.0, margin=1.0, n_fft: int = 2048,
         hop_length: int = 512, window="hann") -> dict:
    """Split a signal ``(channels, samples)`` into harmonic and percussive parts.

    Masks from :func:`hpss_masks` are applied to the STFT of ``x``; the result is a dict with
    ``"harmonic"``, ``"percussive"`` and, when ``margin > 1``, ``"residual"`` (what neither
    mask claims, so that the parts always add up to ``x``). Each is ``(channels, samples)``.

    Parameters
    ----------
    x : array_like, shape ``(channels, samples)``
        The signal.
    kernel_size, power, margin
        As in :func:`hpss_masks`.
    n_fft : int
        STFT frame length.
    hop_length : int
        STFT hop.
    window : str or array
        STFT window.

    Returns
    -------
    dict
        ``"harmonic"``, ``"percussive"`` (and ``"residual"``), each float32
        ``(channels, samples)``.

    Examples
    --------
    >>> from mssedu.data import example_track
    >>> from mssedu.classical import hpss
    >>> parts = hpss(example_track().excerpt(0, 1).mixture)
    >>> sorted(parts)
    ['harmonic', 'percussive']
    """
    x = as_signal(x, "x")
    X = stft(x, n_fft, hop_length, window)
    mh, mp = hpss_masks(X, kernel_size, power, margin)
    out = {"harmonic": istft(X * mh, hop_length, window, length=x.shape[-1]),
           "percussive": istft(X * mp, hop_length, window, length=x.shape[-1])}
    if not np.isscalar(margin) or margin != 1:
        out["residual"] = (x - out["harmonic"] - out["percussive"]).astype(np.float32)
    return out


# --- REPET ---------------------------------------------------------------------------

def beat_spectrum(power_spectrogram) -> np.ndarray:
    r"""The beat spectrum (Foote & Uchihashi, 2001) used by REPET.

    Autocorrelate every frequency row :math:`V^2(f, \cdot)` of the power spectrogram over
    time and average over frequency:

    .. math:: b(\ell) = \frac{1}{F} \sum_{f} \frac{1}{T - \ell}
              \sum_{t=0}^{T - 1 - \ell} V^2(f, t)\, V^2(f, t + \ell),

    then normalise so that :math:`b(0) = 1`. Peaks at lag :math:`\ell` mean the
    spectrogram resembles itself :math:`\ell` frames later: the song's repeating period.

    Parameters
    ----------
    power_spectrogram : ``(freq, frames)`` or ``(channels, freq, frames)`` (channels averaged)

    Returns
    -------
    ``(frames,)`` float64, lag 0 first
    """
    if np.iscomplexobj(power_spectrogram):
        raise ParameterError("beat_spectrum takes a power spectrogram |X|**2, not a complex STFT.")
    P = np.asarray(power_spectrogram, dtype=np.float64)
    if P.ndim == 3:
        P = P.mean(axis=0)
    if P.ndim != 2:
        raise ParameterError(f"power_spectrogram must be (freq, frames), got shape {P.shape}.")
    check_finite(P, "power_spectrogram")
    T = P.shape[1]
    # Wiener-Khinchin: zero-pad to 2T so the circular autocorrelation becomes a linear one
    n = 1 << int(np.ceil(np.log2(2 * T)))
    F = np.fft.rfft(P, n=n, axis=1)
    acf = np.fft.irfft(np.abs(F) ** 2, n=n, axis=1)[:, :T] / np.arange(T, 0, -1)
    b = acf.mean(axis=0)
    return b / b[0] if b[0] > 0 else b


def repeating_period(beat, min_period: int, max_period: int) -> int:
    """The repeating period in frames: the lag of the highest beat-spectrum value in
    ``[min_period, max_period]`` (inclusive; the simple rule nussl's Repet uses).

    Parameters
    ----------
    beat : array_like, shape ``(frames,)``
        A beat spectrum (:func:`beat_spectrum`), lag 0 first.
    min_period, max_period : int
        The shortest and longest lag searched, in frames.

    Returns
    -------
    int
        The period in frames.
    """
    beat = np.asarray(beat)
    min_period, max_period = int(min_period), int(min(max_period, len(beat) - 1))
    if min_period < 1 or max_period < min_period:
        raise ParameterError(f"No lag to search: min_period={min_period}, max_period={max_period} "
                          f"frames for a beat spectrum of {len(beat)} lags. Use a longer excerpt "
                          "or a shorter min_period.")
    return int(min_period + np.argmax(beat[min_period:max_period + 1]))


def repet_mask(magnitude, period: int) -> np.ndarray:
    r"""REPET's soft mask of the repeating background (Rafii & Pardo, 2013).

    Cut the magnitude spectrogram :math:`V` into segments of ``period`` frames; the
    *repeating segment* is their element-wise median, :math:`\tilde S(f, \ell) =
    \mathrm{median}_k V(f, \ell + kp)`; the *repeating spectrogram* cannot exceed the
    mixture, :math:`W = \min(\tilde S, V)`; the mask is :math:`M = W / V \in [0, 1]`.

    Parameters
    ----------
    magnitude : ``(..., freq, frames)``
    period : int, frames

    Returns
    -------
    mask shaped like ``magnitude``
    """
    if np.iscomplexobj(magnitude) or np.ndim(magnitude) < 2:
        raise ParameterError("repet_mask takes a real magnitude spectrogram (..., freq, frames).")
    V = np.asarray(magnitude, dtype=np.float64)
    T = V.shape[-1]
    if not is_whole(period) or not 1 <= period <= T:
        raise ParameterError(f"period={period!r} frames must be a whole number between 1 and the {T} frames available.")
    period = int(period)
    reps = int(np.ceil(T / period))
    padded = np.concatenate([V, np.full(V.shape[:-1] + (reps * period - T,), np.nan)], axis=-1)
    segments = padded.reshape(V.shape[:-1] + (reps, period))
    model = np.nanmedian(segments, axis=-2)                     # (..., freq, period)
    W = np.minimum(np.tile(model, reps)[..., :T], V)
    eps = np.finfo(np.float64).tiny
    return ((W + eps) / (V + eps)).astype(np.float32)


@dataclass
class RepetResult:
    """What :func:`repet` returns: waveforms and the quantities worth plotting."""

    background: np.ndarray      #: repeating part (accompaniment), (channels, samples)
    foreground: np.ndarray      #: non-repeating part (voice), (channels, samples)
    mask: np.ndarray            #: background mask (channels, freq, frames)
    beat_spectrum: np.ndarray   #: (frames,)
    period: int                 #: frames
    period_s: float             #: seconds
    sr: int
    hop_length: int


def repet(x, sr: int, n_fft: int = 2048, hop_length: int = 512, window="hann",
          min_period: float = 0.8, max_period: float = 8.0, period: float | None = None,
          high_pass_cutoff: float = 100.0, mask_type: str = "soft") -> RepetResult:
    """REPET: separate the repeating background from the non-repeating foreground.

    1. :func:`beat_spectrum` of the channel-averaged power spectrogram;
    2. :func:`repeating_period` between ``min_period`` and ``max_period`` seconds (the
       upper bound is capped at a third of the signal, so the median sees >= 3 repetitions),
       unless ``period`` (seconds) is given;
    3. :func:`repet_mask` per channel; bins below ``high_pass_cutoff`` Hz are given to the
       background (Rafii & Pardo: the voice has no energy there);
    4. background = mask x STFT, foreground = mixture - background (so they add up).

    ``mask_type="binary"`` rounds the mask at 0.5. Defaults follow nussl's ``Repet``.

    Parameters
    ----------
    x : array_like, shape ``(channels, samples)`` or ``(samples,)``
        The mixture.
    sr : int
        Sample rate in Hz.
    n_fft : int
        STFT frame length.
    hop_length : int
        STFT hop.
    window : str or array
        STFT window.
    min_period, max_period : float
        The range of periods searched, in seconds.
    period : float, optional
        The repeating period in seconds (skips the search).
    high_pass_cutoff : float
        Bins below this frequency (Hz) go to the background; 0 to disable.
    mask_type : {"soft", "binary"}
        Keep the soft mask, or round it at 0.5.

    Returns
    -------
    RepetResult
        ``background`` and ``foreground`` (``(channels, samples)``), the ``mask``
        ``(channels, freq, frames)``, the ``beat_spectrum`` and the period.
    """
    x = as_signal(x, "x")
    sr = check_rate(sr)
    if x.ndim == 1:
        x = x[None]
    if mask_type not in ("soft", "binary"):
        raise ParameterError(f"mask_type must be 'soft' or 'binary', got {mask_type!r}.")
    X = stft(x, n_fft, hop_length, window)
    V = np.abs(X)
    beat = beat_spectrum(V ** 2)
    frames_per_s = sr / hop_length
    if period is None:
        if not 0 < min_period < max_period:
            raise ParameterError(f"Need 0 < min_period < max_period, got {min_period}, {max_period}.")
        top = min(max_period, x.shape[-1] / sr / 3)
        p = repeating_period(beat, int(np.ceil(min_period * frames_per_s)),
                             int(np.ceil(top * frames_per_s)))
    else:
        if not period > 0:
            raise ParameterError(f"period must be > 0 seconds, got {period!r}.")
        p = int(np.ceil(period * frames_per_s))
    mask = repet_mask(V, p)
    if mask_type == "binary":
        mask = (mask >= 0.5).astype(np.float32)
    if high_pass_cutoff:
        cutoff_bin = int(round(high_pass_cutoff * n_fft / sr))   # nearest bin, as nussl
        mask[..., :cutoff_bin, :] = 1.0
    background = istft(X * mask, hop_length, window, length=x.shape[-1])
    return RepetResult(background, (x - background).astype(np.float32), mask, beat, p,
                       p / frames_per_s, sr, hop_length)


# --- NMF -------------------------------------------------------------------------------

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
