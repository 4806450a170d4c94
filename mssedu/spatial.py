r"""Stereo cues, and whether a separator keeps them.

For a stereo STFT :math:`X_L(f, t), X_R(f, t)`, two numbers per time-frequency bin describe
where a sound sits between the loudspeakers:

.. math::

    \mathrm{ILD}(f, t) = 20 \log_{10} \frac{|X_L(f, t)|}{|X_R(f, t)|} \ \text{dB},
    \qquad
    \mathrm{IPD}(f, t) = \angle\big( X_L(f, t)\, \overline{X_R(f, t)} \big) \in (-\pi, \pi] .

The *inter-channel level difference* comes from panning (a pan pot is a level difference);
the *inter-channel phase difference* comes from time differences (spaced microphones,
stereo delays, reverb): a delay of :math:`d` samples gives
:math:`\mathrm{IPD} = 2\pi f d / f_s` (wrapped). In headphones and binaural audio the same
quantities are the interaural ILD and IPD/ITD.

A separated stem should sit where it sat in the mix. :func:`stereo_image_preservation`
compares the cues of an estimate with those of the reference stem, bin by bin.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .audio import as_signal
from .checks import check_finite
from .errors import ParameterError
from .spectral import stft

__all__ = ["pan", "ild_ipd", "stereo_stft", "inter_channel_correlation", "stereo_image_preservation",
           "stereo_image_table", "mono_collapse", "stereo_width", "pan_law_ild"]


def pan(mono, position: float) -> np.ndarray:
    r"""Constant-power panning of a mono signal to stereo.

    ``position`` :math:`p \in [-1, 1]` (-1 hard left, 0 centre, +1 hard right) sets the angle
    :math:`\theta = (p + 1)\,\pi / 4`, and

    .. math:: L = \cos\theta \; s, \qquad R = \sin\theta \; s,

    so :math:`L^2 + R^2 = s^2` wherever the source is placed, and the ILD is
    :func:`pan_law_ild` ``(position)`` in every bin.

    Parameters
    ----------
    mono : array_like, shape ``(samples,)`` or ``(1, samples)``
        The mono source :math:`s`.
    position : float
        :math:`p`, from -1 (hard left) to +1 (hard right).

    Returns
    -------
    np.ndarray
        float32 stereo ``(2, samples)``.
    """
    s = as_signal(mono, "mono")
    if s.ndim == 2 and s.shape[0] == 1:
        s = s[0]
    if s.ndim != 1:
        raise ParameterError(f"pan takes a mono signal (samples,) or (1, samples), got shape {np.shape(mono)}.")
    if position is None or not np.isfinite(position) or not -1 <= position <= 1:
        raise ParameterError(f"position must be between -1 (left) and +1 (right), got {position!r}.")
    theta = (position + 1) * np.pi / 4
    return np.stack([np.cos(theta) * s, np.sin(theta) * s]).astype(np.float32)


def pan_law_ild(position: float) -> float:
    r"""The ILD in dB that :func:`pan` produces: :math:`20\log_{10}(\cot\theta)`,
    :math:`\theta = (p+1)\pi/4` (``+inf`` hard left, 0 at the centre).

    Parameters
    ----------
    position : float
        Pan position :math:`p` in ``[-1, 1]``.

    Returns
    -------
    float
        The ILD (left over right) in dB.
    """
    theta = (position + 1) * np.pi / 4
    with np.errstate(divide="ignore"):
        return float(20 * np.log10(np.cos(theta) / np.sin(theta))) if np.sin(theta) > 0 else float("inf")


def stereo_stft(x, n_fft, hop_length, window):
    """Stereo waveform (2, samples) or stereo STFT (2, freq, frames) -> complex (2, F, T).

    Parameters
    ----------
    x : array_like, shape ``(2, samples)`` or ``(2, freq, frames)``
        A stereo waveform, or its complex STFT (returned as it is).
    n_fft : int
        STFT frame length.
    hop_length : int
        STFT hop.
    window : str or array
        STFT window.

    Returns
    -------
    np.ndarray
        Complex ``(2, freq, frames)``.
    """
    arr = np.asarray(x)
    if np.iscomplexobj(arr):
        if arr.ndim != 3 or arr.shape[0] != 2:
            raise ParameterError(f"A stereo STFT must be shaped (2, freq, frames), got {arr.shape}.")
        check_finite(arr, "X")
        return arr
    arr = as_signal(arr, "signal")
    if arr.ndim != 2 or arr.shape[0] != 2:
        raise ParameterError(f"Stereo cues need two channels, shaped (2, samples); got {arr.shape}. "
                          "A mono signal has no ILD/IPD (every bin would be 0 dB, 0 rad).")
    return stft(arr, n_fft, hop_length, window)


def ild_ipd(x, n_fft: int = 2048, hop_length: int = 512, window="hann",
            max_db: float = 60.0, eps: float = 1e-8):
    r"""Inter-channel level and phase differences of every time-frequency bin.

    Parameters
    ----------
    x : ``(2, samples)`` stereo waveform, or its complex STFT ``(2, freq, frames)``
    n_fft, hop_length, window : STFT parameters (ignored when ``x`` is already an STFT)
    max_db : float
        ILDs are clipped to ``[-max_db, max_db]`` (a silent channel would give infinity).
    eps : float
        Added to the magnitudes before the ratio.

    Returns
    -------
    ild : ``(freq, frames)`` float32, dB (positive: louder on the left)
    ipd : ``(freq, frames)`` float32, radians in ``(-pi, pi]`` (positive: left leads)

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.spatial import ild_ipd, pan
    >>> s = np.random.default_rng(0).standard_normal(8000).astype(np.float32)
    >>> ild, ipd = ild_ipd(pan(s, -0.5))
    >>> round(float(np.median(ild)), 2)
    7.66
    """
    X = stereo_stft(x, n_fft, hop_length, window)
    L, R = X[0], X[1]
    ild = 20 * np.log10((np.abs(L) + eps) / (np.abs(R) + eps))
    ipd = np.angle(L * np.conj(R))
    return np.clip(ild, -max_db, max_db).astype(np.float32), ipd.astype(np.float32)


def inter_channel_correlation(x) -> float:
    r"""Zero-lag normalised correlation of the two channels,
    :math:`\rho = \frac{\sum_n L[n] R[n]}{\sqrt{\sum_n L^2 \sum_n R^2}}`:
    +1 for a centred mono source, about 0 for unrelated channels, -1 for anti-phase.
    (NaN when a channel is silent.)

    Parameters
    ----------
    x : array_like, shape ``(2, samples)``
        A stereo signal.

    Returns
    -------
    float
        :math:`\rho` in ``[-1, 1]``, or NaN.
    """
    x = as_signal(x, "signal")
    if x.ndim != 2 or x.shape[0] != 2:
        raise ParameterError(f"inter_channel_correlation needs (2, samples), got {x.shape}.")
    L, R = x.astype(np.float64)
    den = np.sqrt(np.sum(L ** 2) * np.sum(R ** 2))
    return float(np.sum(L * R) / den) if den > 0 else float("nan")


def mono_collapse(x) -> np.ndarray:
    """Both channels replaced by their mean: what a mono separator (or a mono mix-down)
    does to the stereo image. ``(2, samples)`` in and out.

    Parameters
    ----------
    x : array_like, shape ``(2, samples)``
        A stereo signal.

    Returns
    -------
    np.ndarray
        float32 ``(2, samples)``, both channels equal.
    """
    x = as_signal(x, "signal")
    if x.ndim != 2 or x.shape[0] != 2:
        raise ParameterError(f"mono_collapse needs (2, samples), got {x.shape}.")
    return np.repeat(x.mean(axis=0, keepdims=True), 2, axis=0)


def stereo_width(x, width: float) -> np.ndarray:
    r"""Scale the side signal: :math:`M = (L+R)/2`, :math:`S = (L-R)/2`,
    :math:`L' = M + wS`, :math:`R' = M - wS`. ``width`` 1 keeps ``x``, 0 collapses it to mono,
    above 1 widens it.

    Parameters
    ----------
    x : array_like, shape ``(2, samples)``
        A stereo signal.
    width : float
        :math:`w \ge 0`.

    Returns
    -------
    np.ndarray
        float32 ``(2, samples)``.
    """
    x = as_signal(x, "signal")
    if x.ndim != 2 or x.shape[0] != 2:
        raise ParameterError(f"stereo_width needs (2, samples), got {x.shape}.")
    if width is None or not np.isfinite(width) or width < 0:
        raise ParameterError(f"width must be >= 0 (0 = mono, 1 = unchanged), got {width!r}.")
    mid, side = (x[0] + x[1]) / 2, (x[0] - x[1]) / 2
    return np.stack([mid + width * side, mid - width * side]).astype(np.float32)


def stereo_image_preservation(reference, estimate, n_fft: int = 2048, hop_length: int = 512,
                              window="hann", floor_db: float = -60.0, max_db: float = 30.0) -> dict:
    r"""How well an estimate keeps the stereo image of its reference stem.

    In every bin where the reference has energy (above ``floor_db`` relative to its
    loudest bin), compare the estimate's cues with the reference's, weighting each bin by
    the reference energy :math:`w = |X_L|^2 + |X_R|^2`:

    - ``ild_error_db``: weighted mean of :math:`|\mathrm{ILD}_{est} - \mathrm{ILD}_{ref}|`
      (ILDs clipped to :math:`\pm` ``max_db``);
    - ``ipd_error_rad``: weighted mean of the wrapped :math:`|\mathrm{IPD}_{est} - \mathrm{IPD}_{ref}|`;
    - ``score``: the weighted mean, over bins, of the squared cosine between the stereo
      vectors :math:`u = (X_L, X_R)` of reference and estimate,

      .. math:: \frac{|u_{ref}^{H} u_{est}|^2}{\|u_{ref}\|^2 \|u_{est}\|^2} \in [0, 1],

      which is 1 when the estimate has the same level *and* phase relation between its
      channels as the reference in every bin (whatever its overall gain), and e.g. 0.5 for
      a hard-panned source collapsed to mono.

    Parameters
    ----------
    reference, estimate : ``(2, samples)`` stereo waveforms (or ``(2, freq, frames)`` STFTs)
        of the same length.
    n_fft, hop_length : int
        STFT frame length and hop (for waveforms).
    window : str or array
        STFT window.
    floor_db : float
        Bins quieter than this, relative to the reference's loudest, are ignored.
    max_db : float
        ILDs are clipped to :math:`\pm` ``max_db``.

    Returns
    -------
    dict with ``ild_error_db``, ``ipd_error_rad``, ``score`` (floats)

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.spatial import pan, mono_collapse, stereo_image_preservation
    >>> s = pan(np.random.default_rng(0).standard_normal(16000).astype(np.float32), -1.0)
    >>> round(stereo_image_preservation(s, mono_collapse(s))["score"], 3)
    0.5
    """
    Xr = stereo_stft(reference, n_fft, hop_length, window)
    Xe = stereo_stft(estimate, n_fft, hop_length, window)
    if Xr.shape != Xe.shape:
        raise ParameterError(f"reference and estimate give spectrograms {Xr.shape} and {Xe.shape}; "
                          "use signals of the same length (and the same STFT parameters).")
    w = (np.abs(Xr[0]) ** 2 + np.abs(Xr[1]) ** 2).astype(np.float64)
    if w.max() <= 0:
        raise ParameterError("The reference is silent: its stereo image is undefined.")
    keep = w > w.max() * 10 ** (floor_db / 10)
    est_energy = (np.abs(Xe[0]) ** 2 + np.abs(Xe[1]) ** 2).astype(np.float64)
    ild_r, ipd_r = ild_ipd(Xr, max_db=max_db)
    ild_e, ipd_e = ild_ipd(Xe, max_db=max_db)
    wk = w[keep] / w[keep].sum()
    d_ild = np.abs(ild_e - ild_r)[keep]
    d_ipd = np.abs(np.angle(np.exp(1j * (ipd_e.astype(np.float64) - ipd_r))))[keep]
    inner = np.abs(np.conj(Xr[0]) * Xe[0] + np.conj(Xr[1]) * Xe[1]).astype(np.float64) ** 2
    cos2 = np.where(est_energy > 0, inner / np.maximum(w * est_energy, 1e-300), 0.0)[keep]
    return {"ild_error_db": float(np.sum(wk * d_ild)),
            "ipd_error_rad": float(np.sum(wk * d_ipd)),
            "score": float(np.clip(np.sum(wk * cos2), 0.0, 1.0))}


def stereo_image_table(references: dict, estimates: dict, **kwargs):
    """:func:`stereo_image_preservation` for every stem present in both dicts, as a
    pandas DataFrame indexed by stem name.

    Parameters
    ----------
    references : dict
        Stem name -> reference ``(2, samples)``.
    estimates : dict
        Stem name -> estimate ``(2, samples)``.
    **kwargs
        Passed to :func:`stereo_image_preservation` (``n_fft``, ``hop_length``, ...).

    Returns
    -------
    pandas.DataFrame
        Index stem name; columns ``ild_error_db``, ``ipd_error_rad``, ``score``.
    """
    common = [k for k in references if k in estimates]
    if not common:
        raise ParameterError(f"No stem is in both dicts: references {list(references)}, "
                          f"estimates {list(estimates)}.")
    return pd.DataFrame.from_dict({k: stereo_image_preservation(references[k], estimates[k], **kwargs)
                                   for k in common}, orient="index")
