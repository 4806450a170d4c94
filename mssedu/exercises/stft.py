"""Exercises of chapter 1 (notebook ``01_stft``): resolution, frame counts, your own
STFT, and the largest COLA hop. Reference answers come from :mod:`mssedu.spectral`.

>>> from mssedu.exercises import check
>>> check("stft.freq_resolution", 44100 / 4096).ok
True
"""
from __future__ import annotations

import numpy as np

from ..spectral import check_cola, get_window, n_frames, stft
from .checking import as_number, check_function, close, exercise

__all__ = ["short_signal", "SR", "N_FFT", "HOP", "FRAMES_SR", "FRAMES_SECONDS", "FRAMES_N_FFT",
           "FRAMES_HOP", "MY_STFT_N_FFT", "MY_STFT_HOP"]

#: the settings the notebook's questions use
SR, N_FFT, HOP = 44100, 4096, 1024
FRAMES_SR, FRAMES_SECONDS, FRAMES_N_FFT, FRAMES_HOP = 22050, 3.0, 2048, 512
MY_STFT_N_FFT, MY_STFT_HOP = 256, 64


def short_signal() -> np.ndarray:
    """The signal of the 'write your own STFT' exercise: 2048 samples (at 8 kHz) of a
    440 Hz tone that jumps to 1000 Hz half-way, float32, 1-D.

    Returns
    -------
    numpy.ndarray
        2048 samples, float32.
    """
    sr = 8000
    n = np.arange(2048)
    f = np.where(n < 1024, 440.0, 1000.0)
    phase = 2 * np.pi * np.cumsum(f) / sr
    return (0.5 * np.sin(phase)).astype(np.float32)


@exercise("stft.freq_resolution")
def _freq_resolution(answer):
    """Bin spacing in Hz of an STFT with n_fft = 4096 at 44.1 kHz."""
    value = as_number(answer, "delta_f")
    expected = SR / N_FFT
    if abs(value - expected) <= 1e-3 * expected:
        return True, (f"{expected:.2f} Hz: two partials closer than about two bins "
                      f"(~{2 * expected:.0f} Hz with a Hann window) blur into one.")
    if abs(value - N_FFT / SR) < 1e-6 or abs(value - 1000 * N_FFT / SR) < 1e-3:
        return False, "That is the frame length in time. The bin spacing is sr divided by n_fft, in Hz."
    if abs(value - SR / 2 / N_FFT) <= 1e-3 * expected:
        return False, "Close: the n_fft//2+1 bins span 0..sr/2, so the spacing is (sr/2)/(n_fft/2)."
    return False, "Not quite. Bin k sits at k * sr / n_fft Hz; what is the distance between two bins?"


@exercise("stft.n_frames")
def _n_frames(answer):
    """Frames of a 3 s clip at 22050 Hz, n_fft 2048, hop 512, center=True."""
    value = as_number(answer, "frames")
    n = int(FRAMES_SECONDS * FRAMES_SR)
    expected = n_frames(n, FRAMES_N_FFT, FRAMES_HOP, center=True)
    if value == expected:
        return True, f"{expected} frames: with center=True there is one frame every hop, plus one."
    if value == n_frames(n, FRAMES_N_FFT, FRAMES_HOP, center=False):
        return False, ("That is the count without padding (center=False). With center=True the signal "
                       "is padded by n_fft // 2 on both sides first.")
    if value == n / FRAMES_HOP:
        return False, "Almost: count the frame at sample 0 too, and round down: 1 + floor(samples / hop)."
    return False, ("Not yet. With center=True the padded signal has samples + 2 * (n_fft // 2) samples; "
                   "frames start every hop: 1 + (padded - n_fft) // hop.")


@exercise("stft.my_stft")
def _my_stft(answer, x=None):
    """Your own framing + Hann window + rFFT of ``short_signal()``, center=False."""
    x = short_signal() if x is None else np.asarray(x, dtype=np.float32)
    expected = stft(x, MY_STFT_N_FFT, MY_STFT_HOP, "hann", center=False)
    a = np.asarray(answer)
    if a.ndim == 2 and a.shape == expected.shape[::-1]:
        return False, ("The shape is (frames, freq); the convention is frequency first: "
                       "transpose it (X.T).")
    if a.shape != expected.shape:
        return False, (f"Shape {a.shape}; expected {expected.shape} = (n_fft // 2 + 1 bins, frames). "
                       f"Frames start at 0, {MY_STFT_HOP}, {2 * MY_STFT_HOP}, ... and must fit whole "
                       "(no padding); np.fft.rfft gives n_fft // 2 + 1 bins.")
    if not np.iscomplexobj(a):
        if np.allclose(a, np.abs(expected), rtol=1e-3, atol=1e-3):
            return False, "These are magnitudes; keep the complex rFFT values (no np.abs)."
        return False, "Keep the complex values that np.fft.rfft returns."
    ok, msg = close(a, expected, "X", rtol=1e-3, atol=1e-3)
    if ok:
        return True, "Your STFT matches mssedu.spectral.stft(x, 256, 64, center=False)."
    frames = np.lib.stride_tricks.sliding_window_view(x, MY_STFT_N_FFT)[::MY_STFT_HOP]
    unwindowed = np.fft.rfft(frames, axis=-1).T
    if np.allclose(a, unwindowed, rtol=1e-3, atol=1e-3):
        return False, "Multiply every frame by the Hann window (mssedu.spectral.get_window('hann', 256)) before the FFT."
    sym = np.fft.rfft(frames * np.hanning(MY_STFT_N_FFT), axis=-1).T
    if np.allclose(a, sym, rtol=1e-3, atol=1e-3):
        return False, ("np.hanning is the symmetric window; STFTs use the periodic one: "
                       "mssedu.spectral.get_window('hann', 256) (or scipy.signal.get_window).")
    return False, msg + " Check the hop between frames and that frame m starts at m * hop."


@exercise("stft.cola_hop")
def _cola_hop(answer):
    """Largest hop for which a periodic Hann window of 1024 samples is COLA."""
    value = as_number(answer, "hop")
    if value != int(value) or not 1 <= value <= 1024:
        return False, "A hop is a whole number of samples between 1 and n_fft = 1024."
    verdict = check_cola("hann", 1024, int(value))
    if int(value) == 512:
        return True, "512 = n_fft / 2 (50 % overlap): the largest hop whose Hann windows add up to a constant."
    if verdict["cola"]:
        return False, f"{int(value)} is COLA, but not the largest such hop. Try the COLA explorer with bigger hops."
    return False, (f"hop {int(value)} is not COLA (the window sum ripples by {100 * verdict['ripple']:.0f} %). "
                   "Move the hop slider of the COLA explorer until the black line is flat.")


# --- build it yourself: an STFT frame loop ---------------------------------------------------

def _stft_cases():
    rng = np.random.default_rng(1)
    return [(rng.standard_normal(3000).astype(np.float32), 256, 64),
            (rng.standard_normal(1001).astype(np.float32), 128, 48)]


def _frames_stft(x, n_fft, hop, window=None, pad="constant", center=True, last=True):
    x = np.asarray(x, dtype=np.float64)
    if center:
        x = np.pad(x, n_fft // 2, mode=pad)
    w = get_window("hann", n_fft, dtype=np.float64) if window is None else window
    count = 1 + (len(x) - n_fft) // hop - (0 if last else 1)
    return np.stack([np.fft.rfft(w * x[m * hop:m * hop + n_fft]) for m in range(count)], axis=1)


def _reference_stft(x, n_fft, hop):
    return stft(np.asarray(x, dtype=np.float32)[None], n_fft, hop)[0]


@exercise("stft.my_centred_stft")
def my_centred_stft(answer):
    """A function ``my_stft(x, n_fft, hop)`` for a 1-D signal: centred (zero-padded) Hann-windowed
    frames, their real FFTs, shape ``(n_fft // 2 + 1, frames)``, like :func:`mssedu.spectral.stft`."""
    return check_function(
        answer, _stft_cases(), _reference_stft,
        mistakes=[
            (lambda x, n, h: _frames_stft(x, n, h, window=np.ones(n)),
             "No window: multiply every frame by the Hann window (spectral.get_window('hann', n_fft)) "
             "before the FFT; a rectangular frame leaks energy into every bin."),
            (lambda x, n, h: _frames_stft(x, n, h, window=np.hanning(n)),
             "np.hanning is the *symmetric* Hann window (its two ends are both 0). An STFT uses the "
             "periodic one, spectral.get_window('hann', n_fft), which overlap-adds to a constant."),
            (lambda x, n, h: _frames_stft(x, n, h, pad="reflect"),
             "You padded by reflection; spectral.stft pads n_fft // 2 *zeros* at each end (np.pad(x, n_fft // 2))."),
            (lambda x, n, h: _frames_stft(x, n, h, center=False),
             "No centre padding: pad n_fft // 2 zeros at both ends first, so that frame m is centred "
             "on sample m * hop (and the first and last samples get a frame of their own)."),
            (lambda x, n, h: _frames_stft(x, n, h, last=False),
             "One frame short (an off-by-one): after padding, the frames start at 0, hop, 2 hop, ... "
             "as long as start + n_fft <= len(padded): 1 + (len(padded) - n_fft) // hop frames."),
            (lambda x, n, h: _frames_stft(x, n, h).T,
             "Transposed: put frequency first, (n_fft // 2 + 1, frames), as in every spectrogram picture."),
            (lambda x, n, h: np.fft.fft(np.pad(np.asarray(x, np.float64), n // 2)[
                np.arange(n)[:, None] + h * np.arange(1 + (len(x) + 2 * (n // 2) - n) // h)[None]]
                * get_window("hann", n, dtype=np.float64)[:, None], axis=0),
             "You kept all n_fft FFT bins; a real signal's spectrum is symmetric, so keep the "
             "n_fft // 2 + 1 non-negative frequencies (np.fft.rfft)."),
        ],
        name="my_centred_stft", rtol=1e-3, atol=1e-4,
        hint="Pad n_fft // 2 zeros at both ends, then for m = 0, 1, ...: frame = padded[m*hop : m*hop + n_fft], "
             "times the Hann window, np.fft.rfft; stack the frames as columns.")
