r"""A per-stem mixing chain, as in a studio: EQ, compression, delay and reverb sends, panning,
and a loudness per stem.

Raw rendered stems sound dry and "MIDI-like"; a produced song runs every track through a
chain of effects. Here each stem gets its own chain, and the wet (reverb, delay) signals
**belong to the stem** they were sent from, so the mixture is still exactly the sum of the
processed stems, :math:`x = \sum_j \mathcal{C}_j(s_j)`.

The effects are not this course's lesson, so they come from the field's effects library,
Spotify's `pedalboard <https://spotify.github.io/pedalboard/>`_ (JUCE's DSP in C++); only what
it lacks is written here (the synthetic room, the stereo placement).

1. **EQ** (pedalboard): a first-order high-pass (rumble, 6 dB/octave), then the biquads of
   Robert Bristow-Johnson's *Audio EQ Cookbook*: a low shelf, two peaking bands, a high shelf.
   With :math:`A = 10^{G/40}`, :math:`\omega_0 = 2\pi f_0/f_s`, :math:`\alpha = \sin\omega_0/(2Q)`,
   the peaking filter is

   .. math:: H(z) = \frac{(1 + \alpha A) - 2\cos\omega_0 z^{-1} + (1 - \alpha A) z^{-2}}
                         {(1 + \alpha / A) - 2\cos\omega_0 z^{-1} + (1 - \alpha / A) z^{-2}} ,

   so :math:`|H| = A^2` (:math:`G` dB) at :math:`f_0` and 1 far from it.
2. **Compression** (pedalboard): a feed-forward compressor. Above the threshold :math:`T`
   (dB) a level :math:`L` comes out at :math:`T + (L - T)/R` (ratio :math:`R`): a level step
   of :math:`\Delta` dB becomes :math:`\Delta / R`; attack and release smooth the detector.
3. **Sends**: a feedback **delay** (pedalboard; :math:`y[n] = x[n - D] + \beta y[n - D]`,
   echoes every :math:`D` samples, each :math:`\beta` quieter) and a **reverb**: convolution
   with a synthetic room response (:func:`room_response`: decorrelated noise in each channel
   under an exponential decay :math:`e^{-6.91 t / T_{60}}`, :math:`-60` dB after :math:`T_{60}`
   seconds, darker as it decays, after a pre-delay).
4. **Stereo placement** (:func:`place`): mid/side width, then a constant-power pan,
   :math:`(g_L, g_R) = \sqrt2(\cos\theta, \sin\theta)`, :math:`\theta = (p + 1)\pi/4`.
5. **Loudness**: each stem is set to a loudness relative to the mixture, drawn from a
   per-stem range (:data:`DEFAULT_LOUDNESS`, or ranges measured on real multitracks with
   :func:`mssedu.data.musdb.loudness_ranges`). Loudness is ITU-R BS.1770's integrated
   loudness (:func:`integrated_loudness`, through ``pyloudnorm``): the K-weighted mean square
   over 400-ms blocks, gated at -70 LUFS and at 10 LU below the ungated mean,
   :math:`L = -0.691 + 10 \log_{10} \sum_c \overline{z_c}` (LUFS).

:func:`draw_chain` draws a chain for a stem (ranges typical of pop productions; none of them
is measured on the course's test song), :func:`apply_chain` runs it.
"""
from __future__ import annotations

import warnings

import numpy as np
import pedalboard
import pyloudnorm
from scipy import fft as sfft
from scipy.signal import lfilter

from ..errors import ParameterError

__all__ = ["EQ_KINDS", "DEFAULT_LOUDNESS", "equalizer", "compressor", "feedback_delay", "room_response",
           "place", "integrated_loudness", "loudness_gain", "draw_chain", "apply_chain"]

#: EQ band kinds of a chain and the pedalboard plug-in of each.
EQ_KINDS = {"highpass": pedalboard.HighpassFilter, "lowshelf": pedalboard.LowShelfFilter,
            "peak": pedalboard.PeakFilter, "highshelf": pedalboard.HighShelfFilter}

#: Per-stem loudness ranges (LU relative to the mixture's integrated loudness; 10th and 90th
#: percentile) that :func:`draw_chain` draws from by default. **Not measured on real music**:
#: they are the balance of the first release's hand-chosen stem gains, as
#: :func:`mssedu.data.musdb.loudness_ranges` measures it on the 24 made-here ``studio`` songs
#: of data seed 0 as rendered before the chain set loudness (rounded outwards to 0.5 LU). Measure MUSDB18's own with
#: ``loudness_ranges(musdb_root)`` and pass them as ``draw_chain(..., loudness=...)``.
DEFAULT_LOUDNESS = {"vocals": (-4.5, -1.0), "drums": (-8.0, -4.5), "bass": (-11.0, -6.5),
                    "other": (-8.5, -4.5)}


def equalizer(bands, sr: int | None = None) -> pedalboard.Pedalboard:
    """A pedalboard EQ from band settings.

    Parameters
    ----------
    bands : list of dict
        ``kind`` (a key of :data:`EQ_KINDS`), ``f0`` (Hz), and for shelves and peaks
        ``gain_db`` and ``q`` (a high-pass has neither).
    sr : int, optional
        Sample rate; bands at or above ``sr / 2`` are left out.

    Returns
    -------
    pedalboard.Pedalboard
        The filters in order; call it as ``board(x, sr)`` on ``(channels, samples)`` float32.

    Examples
    --------
    >>> import numpy as np
    >>> eq = equalizer([{"kind": "peak", "f0": 1000.0, "gain_db": 6.0, "q": 1.0}])
    >>> tone = np.sin(2 * np.pi * 1000 * np.arange(44100) / 44100).astype(np.float32)[None]
    >>> round(float(20 * np.log10(np.abs(eq(tone, 44100)[0, 22050:]).max())), 1)
    6.0
    """
    plugins = []
    for band in bands:
        kind = band.get("kind")
        if kind not in EQ_KINDS:
            raise ParameterError(f"EQ band kind must be one of {sorted(EQ_KINDS)}, got {kind!r}.")
        if not band["f0"] > 0:
            raise ParameterError(f"An EQ band's f0 must be > 0 Hz, got {band['f0']!r}.")
        if sr is not None and band["f0"] >= sr / 2:
            continue
        if kind == "highpass":
            plugins.append(pedalboard.HighpassFilter(cutoff_frequency_hz=float(band["f0"])))
        else:
            plugins.append(EQ_KINDS[kind](cutoff_frequency_hz=float(band["f0"]),
                                          gain_db=float(band.get("gain_db", 0.0)), q=float(band.get("q", 0.707))))
    return pedalboard.Pedalboard(plugins)


def compressor(threshold_db: float = -20.0, ratio: float = 4.0, attack_ms: float = 10.0,
               release_ms: float = 120.0) -> pedalboard.Compressor:
    """A feed-forward compressor (pedalboard's).

    Parameters
    ----------
    threshold_db : float
        Level (dBFS) above which the gain is reduced.
    ratio : float
        Compression ratio :math:`R \\ge 1`.
    attack_ms, release_ms : float
        Time constants of the level detector.

    Returns
    -------
    pedalboard.Compressor
        Call it as ``comp(x, sr)``.
    """
    if ratio < 1:
        raise ParameterError(f"ratio must be >= 1, got {ratio!r}.")
    return pedalboard.Compressor(threshold_db=float(threshold_db), ratio=float(ratio),
                                 attack_ms=float(attack_ms), release_ms=float(release_ms))


def feedback_delay(x: np.ndarray, sr: int, seconds: float, feedback: float) -> np.ndarray:
    """Echoes: :math:`y[n] = x[n - D] + \\beta\\, y[n - D]` with :math:`D` = ``seconds * sr``
    (pedalboard's delay, wet signal only).

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
        The wet (echo) signal only, same shape, float32.
    """
    if not 0 <= feedback < 1:
        raise ParameterError(f"feedback must lie in [0, 1), got {feedback!r}.")
    delay = pedalboard.Delay(delay_seconds=float(seconds), feedback=float(feedback), mix=1.0)
    return delay(np.ascontiguousarray(x, dtype=np.float32), sr)


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


def integrated_loudness(x: np.ndarray, sr: int) -> float:
    """Integrated loudness (ITU-R BS.1770-4) of a signal, in LUFS, through ``pyloudnorm``.

    Parameters
    ----------
    x : numpy.ndarray
        ``(channels, samples)`` or ``(samples,)``, at least 0.4 s (one gating block).
    sr : int
        Sample rate.

    Returns
    -------
    float
        LUFS; ``-inf`` for a signal that is silent (every block under the -70 LUFS gate).

    Examples
    --------
    >>> import numpy as np
    >>> tone = 0.1 * np.sin(2 * np.pi * 997 * np.arange(44100) / 44100)
    >>> round(integrated_loudness(tone, 44100), 1)   # BS.1770: a full-scale 997-Hz sine reads -3.01
    -23.1
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (1, 2) or x.shape[-1] < int(0.4 * sr) + 1:
        raise ParameterError(f"integrated_loudness() needs (channels, samples) or (samples,) audio of "
                             f"more than 0.4 s (one gating block), got shape {x.shape} at {sr} Hz.")
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        value = pyloudnorm.Meter(sr).integrated_loudness(x.T)
    return float(value) if np.isfinite(value) else float("-inf")


def loudness_gain(x: np.ndarray, sr: int, relative_db: float, mixture_lufs: float = -14.0) -> float:
    r"""The gain that brings a stem to ``relative_db`` LU relative to a mixture at ``mixture_lufs``.

    Parameters
    ----------
    x : numpy.ndarray
        ``(channels, samples)`` stem.
    sr : int
        Sample rate.
    relative_db : float
        Wanted loudness of the stem minus the mixture's (LU; e.g. from :func:`draw_chain`).
    mixture_lufs : float
        The mixture loudness this is relative to.

    Returns
    -------
    float
        Linear gain :math:`10^{(L_{mix} + \Delta - L_x)/20}`; 1 for a silent stem.
    """
    level = integrated_loudness(x, sr)
    return 1.0 if not np.isfinite(level) else float(10 ** ((mixture_lufs + relative_db - level) / 20))


# (stem) -> ranges: high-pass Hz, pan range, width range, reverb send dB, delay probability,
#            compression ratio range, presence band Hz
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


def draw_chain(stem: str, rng, tempo_bpm: float = 100.0, loudness: dict | None = None) -> dict:
    """Random settings of one stem's chain (JSON-able; kept in the song's manifest).

    Parameters
    ----------
    stem : str
        ``"vocals"``, ``"drums"``, ``"bass"`` or ``"other"`` (other names use ``"other"``'s ranges).
    rng : numpy.random.Generator
        The draws.
    tempo_bpm : float
        Delays are timed to the beat (an eighth or a dotted eighth).
    loudness : dict, optional
        Stem -> ``(low, high)`` loudness relative to the mixture (LU), e.g. from
        :func:`mssedu.data.musdb.loudness_ranges`; the stem's is drawn uniformly in its range.
        Default :data:`DEFAULT_LOUDNESS` (a stem it lacks uses ``"other"``'s range).

    Returns
    -------
    dict
        ``eq`` (list of :func:`equalizer` bands), ``compressor``, ``reverb``, ``delay`` (or
        ``None``), ``pan``, ``width``, ``loudness_db`` (relative to the mixture; the fader at
        the end of :func:`apply_chain`).
    """
    r = _STEM_RANGES.get(stem, _STEM_RANGES["other"])
    ranges = DEFAULT_LOUDNESS if loudness is None else loudness
    if stem not in ranges and "other" not in ranges:
        raise ParameterError(f"loudness has no range for {stem!r} nor 'other'; it has {sorted(ranges)}.")
    lo, hi = (float(v) for v in ranges.get(stem, ranges.get("other")))
    if not lo <= hi:
        raise ParameterError(f"loudness range of {stem!r} must be (low, high) with low <= high, got {(lo, hi)}.")
    u = lambda lo_hi: float(np.round(rng.uniform(*lo_hi), 3))   # noqa: E731
    eq = [{"kind": "highpass", "f0": u(r["hp"])},
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
            "delay": delay, "pan": u(r["pan"]), "width": u(r["width"]), "loudness_db": u((lo, hi))}


def apply_chain(x: np.ndarray, sr: int, chain: dict) -> np.ndarray:
    """Run one stem through its chain: EQ, compressor, placement, (+ delay and reverb sends).

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
        ``(2, samples)`` float32, same length (tails past the end are cut), at the loudness
        ``chain["loudness_db"]`` relative to a -14 LUFS mixture (:func:`loudness_gain`; a
        chain without ``loudness_db`` leaves the level as the effects made it).
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] != 2:
        raise ParameterError(f"apply_chain() expects a (2, samples) stereo stem, got shape {x.shape}.")
    n = x.shape[-1]
    board = equalizer(chain["eq"], sr)
    board.append(compressor(**chain["compressor"]))
    y = place(board(x, sr).astype(np.float64), chain["pan"], chain["width"])
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
    y = y + wet
    if chain.get("loudness_db") is not None and n > 0.4 * sr:   # the fader
        y *= loudness_gain(y, sr, chain["loudness_db"])
    return np.ascontiguousarray(y.astype(np.float32))
