r"""A per-stem mixing chain, as in a studio: EQ, compression, delay and reverb sends, panning.

Raw rendered stems sound dry and "MIDI-like"; a produced song runs every track through a
chain of effects. Here each stem gets its own chain, and the wet (reverb, delay) signals
**belong to the stem** they were sent from, so the mixture is still exactly the sum of the
processed stems, :math:`x = \sum_j \mathcal{C}_j(s_j)`.

1. **EQ**: second-order (biquad) filters from Robert Bristow-Johnson's *Audio EQ Cookbook*:
   a high-pass (rumble), a low shelf, a peaking band and a high shelf. With
   :math:`A = 10^{G/40}`, :math:`\omega_0 = 2\pi f_0/f_s`, :math:`\alpha = \sin\omega_0/(2Q)`,
   the peaking filter is

   .. math:: H(z) = \frac{(1 + \alpha A) - 2\cos\omega_0 z^{-1} + (1 - \alpha A) z^{-2}}
                         {(1 + \alpha / A) - 2\cos\omega_0 z^{-1} + (1 - \alpha / A) z^{-2}} .

2. **Compression**: a feed-forward compressor. The level :math:`L[n]` (dB) follows the
   signal's absolute value with a one-pole smoother; above the threshold :math:`T` the gain is
   :math:`g = (1/R - 1)(L - T)` dB (ratio :math:`R`), smoothed with the attack time, then made
   up so the stem keeps its level.
3. **Sends**: a feedback **delay** (:math:`y[n] = x[n - D] + \beta y[n - D]`, echoes every
   :math:`D` samples, each :math:`\beta` quieter) and a **reverb**: convolution with a
   synthetic room response, decorrelated noise in each channel under an exponential decay
   :math:`e^{-6.91 t / T_{60}}` (:math:`-60` dB after :math:`T_{60}` seconds), darker as it decays,
   after a pre-delay.
4. **Stereo placement**: mid/side width, then a constant-power pan,
   :math:`(g_L, g_R) = \sqrt2(\cos\theta, \sin\theta)`, :math:`\theta = (p + 1)\pi/4`.

:func:`draw_chain` draws a chain for a stem (ranges typical of pop productions; none of them
is measured on the course's test song), :func:`apply_chain` runs it.
"""
from __future__ import annotations

import numpy as np
from scipy import fft as sfft
from scipy.signal import lfilter, sosfilt

from ..errors import ParameterError

__all__ = ["biquad", "equalize", "compress", "feedback_delay", "room_response", "place",
           "draw_chain", "apply_chain"]


def biquad(kind: str, f0: float, sr: int, gain_db: float = 0.0, q: float = 0.707) -> tuple:
    """Coefficients of an Audio-EQ-Cookbook biquad.

    Parameters
    ----------
    kind : {"peak", "lowshelf", "highshelf", "highpass"}
        Filter type.
    f0 : float
        Centre / corner frequency in Hz (below ``sr / 2``).
    sr : int
        Sample rate.
    gain_db : float
        Gain of the band or shelf (ignored by ``"highpass"``).
    q : float
        Quality factor (shelves use it as their slope parameter).

    Returns
    -------
    b, a : numpy.ndarray
        Numerator and denominator, normalised so ``a[0] == 1`` (for :func:`scipy.signal.lfilter`).
    """
    if not 0 < f0 < sr / 2:
        raise ParameterError(f"f0 must lie between 0 and sr/2 = {sr / 2:g} Hz, got {f0!r}.")
    A = 10 ** (gain_db / 40)
    w = 2 * np.pi * f0 / sr
    cw, alpha = np.cos(w), np.sin(w) / (2 * q)
    if kind == "peak":
        b = [1 + alpha * A, -2 * cw, 1 - alpha * A]
        a = [1 + alpha / A, -2 * cw, 1 - alpha / A]
    elif kind in ("lowshelf", "highshelf"):
        s = 1 if kind == "lowshelf" else -1
        sq = 2 * np.sqrt(A) * alpha
        b = [A * ((A + 1) - s * (A - 1) * cw + sq), s * 2 * A * ((A - 1) - s * (A + 1) * cw),
             A * ((A + 1) - s * (A - 1) * cw - sq)]
        a = [(A + 1) + s * (A - 1) * cw + sq, -s * 2 * ((A - 1) + s * (A + 1) * cw),
             (A + 1) + s * (A - 1) * cw - sq]
    elif kind == "highpass":
        b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    else:
        raise ParameterError(f"kind must be 'peak', 'lowshelf', 'highshelf' or 'highpass', got {kind!r}.")
    b, a = np.asarray(b, float), np.asarray(a, float)
    return b / a[0], a / a[0]


def equalize(x: np.ndarray, sr: int, bands) -> np.ndarray:
    """Run ``x`` through a cascade of biquads.

    Parameters
    ----------
    x : numpy.ndarray
        ``(channels, samples)``.
    sr : int
        Sample rate.
    bands : list of dict
        Keyword arguments of :func:`biquad` (``kind, f0, gain_db, q``).

    Returns
    -------
    numpy.ndarray
        The filtered signal, same shape.
    """
    if not bands:
        return x
    sos = np.array([np.r_[b, a] for b, a in (biquad(sr=sr, **band) for band in bands)])
    return sosfilt(sos, x, axis=-1)


def compress(x: np.ndarray, sr: int, threshold_db: float = -20.0, ratio: float = 4.0,
             attack_ms: float = 10.0, release_ms: float = 120.0) -> np.ndarray:
    """Feed-forward compression, stereo-linked, with make-up gain to the input RMS.

    Parameters
    ----------
    x : numpy.ndarray
        ``(channels, samples)``.
    sr : int
        Sample rate.
    threshold_db : float
        Level (dBFS) above which the gain is reduced.
    ratio : float
        Compression ratio :math:`R \\ge 1`.
    attack_ms, release_ms : float
        Time constants of the gain smoother and of the level detector.

    Returns
    -------
    numpy.ndarray
        The compressed signal, same shape.
    """
    if ratio < 1:
        raise ParameterError(f"ratio must be >= 1, got {ratio!r}.")
    level = np.max(np.abs(x), axis=0)
    r = np.exp(-1.0 / (release_ms * 1e-3 * sr))
    env = lfilter([1 - r], [1, -r], level)
    level_db = 20 * np.log10(np.maximum(env, 1e-6))
    gain_db = np.minimum(0.0, (1 / ratio - 1) * (level_db - threshold_db))
    a = np.exp(-1.0 / (attack_ms * 1e-3 * sr))
    gain_db = lfilter([1 - a], [1, -a], gain_db)
    y = x * 10 ** (gain_db / 20)
    rms_in, rms_out = np.sqrt(np.mean(x ** 2)), np.sqrt(np.mean(y ** 2))
    return y * (rms_in / rms_out if rms_out > 1e-9 else 1.0)


def feedback_delay(x: np.ndarray, sr: int, seconds: float, feedback: float) -> np.ndarray:
    """Echoes: :math:`y[n] = x[n - D] + \\beta\\, y[n - D]` with :math:`D` = ``seconds * sr``.

    Parameters
    ----------
    x : numpy.ndarray
        ``(channels, samples)``.
    sr : int
        Sample rate.
    seconds : float
        Delay time.
    feedback : float
        :math:`\\beta` in ``[0, 1)``.

    Returns
    -------
    numpy.ndarray
        The wet (echo) signal only, same shape.
    """
    if not 0 <= feedback < 1:
        raise ParameterError(f"feedback must lie in [0, 1), got {feedback!r}.")
    d = max(1, int(round(seconds * sr)))
    # unrolled: y = sum_k beta^k x[n - (k+1) D], until the echoes fall below -60 dB
    y = np.zeros_like(x)
    k, g = 1, 1.0
    while k * d < x.shape[-1] and g > 1e-3:
        y[..., k * d:] += g * x[..., :x.shape[-1] - k * d]
        k, g = k + 1, g * feedback
    return y


def room_response(sr: int, rt60: float, predelay: float, rng, brightness: float = 0.5) -> np.ndarray:
    """A synthetic stereo room impulse response (exponentially decaying, darkening noise).

    Parameters
    ----------
    sr : int
        Sample rate.
    rt60 : float
        Seconds to decay by 60 dB.
    predelay : float
        Seconds of silence before the reverberation.
    rng : numpy.random.Generator
        The noise.
    brightness : float
        0 (dark) .. 1 (bright): how much high frequency the tail keeps.

    Returns
    -------
    numpy.ndarray
        ``(2, samples)``, unit energy.
    """
    n = int(rt60 * sr)
    t = np.arange(n) / sr
    noise = rng.normal(0, 1, (2, n))
    low = lfilter([0.15], [1, -0.85], noise, axis=-1)   # a dark copy of the noise
    mix = np.clip(np.exp(-t / (rt60 * (0.15 + 0.35 * brightness))), 0, 1)
    ir = (mix * noise + (1 - mix) * low) * np.exp(-6.91 * t / rt60)
    ir = np.pad(ir, ((0, 0), (int(predelay * sr), 0)))
    return ir / np.sqrt(np.sum(ir ** 2) / 2)


def place(x: np.ndarray, pan: float, width: float) -> np.ndarray:
    """Stereo width (mid/side) then constant-power pan.

    Parameters
    ----------
    x : numpy.ndarray
        ``(2, samples)``.
    pan : float
        -1 (left) .. 1 (right).
    width : float
        0 (mono) .. 1 (unchanged) .. >1 (wider).

    Returns
    -------
    numpy.ndarray
        ``(2, samples)``.
    """
    mid, side = (x[0] + x[1]) / 2, (x[0] - x[1]) / 2 * width
    theta = (np.clip(pan, -1, 1) + 1) * np.pi / 4
    return np.stack([(mid + side) * np.cos(theta), (mid - side) * np.sin(theta)]) * np.sqrt(2)


# (stem) -> ranges: high-pass Hz, pan range, width range, reverb send dB, delay probability,
#            compression ratio range
_STEM_RANGES = {
    "vocals": {"hp": (70, 140), "pan": (-0.05, 0.05), "width": (0.6, 1.0), "reverb": (-16, -6),
               "delay": 0.5, "ratio": (2.5, 6.0), "presence": (2500, 5000)},
    "drums": {"hp": (25, 45), "pan": (-0.05, 0.05), "width": (0.8, 1.2), "reverb": (-24, -12),
              "delay": 0.0, "ratio": (2.0, 5.0), "presence": (3000, 8000)},
    "bass": {"hp": (25, 40), "pan": (-0.03, 0.03), "width": (0.0, 0.3), "reverb": (-40, -26),
             "delay": 0.0, "ratio": (3.0, 8.0), "presence": (700, 1500)},
    "other": {"hp": (60, 200), "pan": (-0.6, 0.6), "width": (0.7, 1.3), "reverb": (-20, -8),
              "delay": 0.25, "ratio": (1.5, 3.5), "presence": (1500, 5000)},
}


def draw_chain(stem: str, rng, tempo_bpm: float = 100.0) -> dict:
    """Random settings of one stem's chain (JSON-able; kept in the song's manifest).

    Parameters
    ----------
    stem : str
        ``"vocals"``, ``"drums"``, ``"bass"`` or ``"other"`` (other names use ``"other"``'s ranges).
    rng : numpy.random.Generator
        The draws.
    tempo_bpm : float
        Delays are timed to the beat (an eighth or a dotted eighth).

    Returns
    -------
    dict
        ``eq`` (list of :func:`biquad` settings), ``compressor``, ``reverb``, ``delay`` (or
        ``None``), ``pan``, ``width``.
    """
    r = _STEM_RANGES.get(stem, _STEM_RANGES["other"])
    u = lambda lo_hi: float(np.round(rng.uniform(*lo_hi), 3))   # noqa: E731
    eq = [{"kind": "highpass", "f0": u(r["hp"]), "q": 0.707},
          {"kind": "lowshelf", "f0": u((100, 250)), "gain_db": u((-4, 3)), "q": 0.707},
          {"kind": "peak", "f0": u((250, 900)), "gain_db": u((-5, 2)), "q": u((0.7, 2.0))},
          {"kind": "peak", "f0": u(r["presence"]), "gain_db": u((-2, 5)), "q": u((0.7, 1.5))},
          {"kind": "highshelf", "f0": u((7000, 12000)), "gain_db": u((-4, 4)), "q": 0.707}]
    delay = None
    if rng.random() < r["delay"]:
        beat = 60.0 / tempo_bpm
        delay = {"seconds": float(np.round(beat * (0.5 if rng.random() < 0.5 else 0.75), 4)),
                 "feedback": u((0.15, 0.45)), "send_db": u((-22, -12))}
    return {"eq": eq,
            "compressor": {"threshold_db": u((-30, -14)), "ratio": u(r["ratio"]),
                           "attack_ms": u((2, 25)), "release_ms": u((60, 250))},
            "reverb": {"rt60": u((0.6, 2.4)), "predelay": u((0.0, 0.04)), "brightness": u((0.2, 0.9)),
                       "send_db": u(r["reverb"]), "seed": int(rng.integers(2 ** 31))},
            "delay": delay, "pan": u(r["pan"]), "width": u(r["width"])}


def apply_chain(x: np.ndarray, sr: int, chain: dict) -> np.ndarray:
    """Run one stem through its chain: EQ, compressor, (+ delay and reverb sends), placement.

    Parameters
    ----------
    x : numpy.ndarray
        ``(2, samples)`` dry stem.
    sr : int
        Sample rate.
    chain : dict
        From :func:`draw_chain`.

    Returns
    -------
    numpy.ndarray
        ``(2, samples)`` float32, same length (tails past the end are cut).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] != 2:
        raise ParameterError(f"apply_chain() expects a (2, samples) stereo stem, got shape {x.shape}.")
    n = x.shape[-1]
    y = equalize(x, sr, [b for b in chain["eq"] if b["f0"] < sr / 2])
    y = compress(y, sr, **chain["compressor"])
    y = place(y, chain["pan"], chain["width"])
    wet = np.zeros_like(y)
    if chain.get("delay"):
        d = chain["delay"]
        wet += 10 ** (d["send_db"] / 20) * feedback_delay(y, sr, d["seconds"], d["feedback"])
    rv = chain["reverb"]
    ir = room_response(sr, rv["rt60"], rv["predelay"], np.random.default_rng(rv["seed"]), rv["brightness"])
    send = (y + wet) * 10 ** (rv["send_db"] / 20)
    mono = send.mean(axis=0).astype(np.float32)   # one send, two decorrelated tails
    size = sfft.next_fast_len(n + ir.shape[-1], real=True)
    spec = sfft.rfft(mono, size) * sfft.rfft(ir.astype(np.float32), size, axis=-1)
    wet += sfft.irfft(spec, size, axis=-1)[:, :n]
    return np.ascontiguousarray((y + wet).astype(np.float32))
