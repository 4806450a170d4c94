r"""HT-Demucs behind the course's separator interface, on CPU or GPU, in bounded memory.

HT-Demucs ("Hybrid Transformer Demucs", Rouard, Massa & Défossez, 2023) is the hybrid
Demucs of Défossez (2021) with a cross-domain Transformer at its bottleneck: one U-Net
encodes the waveform, a second one the spectrogram (real and imaginary parts of a 4096-point
STFT as channels), and 5 Transformer layers let the two views attend to themselves and to
each other before two decoders map back; the estimate of source :math:`j` is the sum of
the two branches' outputs,

.. math::  \hat s_j = \hat s_j^{\,\mathrm{wave}} + \mathrm{iSTFT}\big(\hat Z_j^{\,\mathrm{spec}}\big).

Trained on MUSDB18-HQ plus 800 extra songs it reaches about 9.0 dB SDR (9.2 dB fine-tuned,
``htdemucs_ft``) on the MUSDB18-HQ test set. It sees 7.8 s segments; demucs cuts a song into
overlapping segments cross-faded with triangular weights :math:`w`,

.. math::  \hat s_j(t) = \frac{\sum_k w(t - o_k)\, \hat s_j^{(k)}(t)}{\sum_k w(t - o_k)}

(``demucs.apply.apply_model``). For long songs :class:`DemucsSeparator` additionally cuts
the input into windows of ``window_seconds`` (:mod:`mssedu.chunking`, aligned on the
segment hop and with a one-segment margin, so the result equals a single pass) to bound
the memory.

References
----------
Rouard, S., Massa, F. & Défossez, A. (2023). Hybrid Transformers for Music Source Separation.
ICASSP.
Défossez, A. (2021). Hybrid Spectrogram and Waveform Source Separation. ISMIR MDX Workshop.
"""
from __future__ import annotations

import numpy as np
import torch
from tqdm.auto import tqdm

from ..chunking import overlap_add
from ..config import torch_device
from ..audio import as_signal
from ..checks import check_int
from ..errors import ParameterError
from .demucs_models import import_demucs

__all__ = ["DemucsSeparator", "probe_signal", "choose_precision", "half_precision_error_db", "HALF_TOLERANCE_DB"]

#: Half precision is used on a GPU only if it changes the output by less than this
#: (energy of the difference relative to the float32 output, in dB).
HALF_TOLERANCE_DB = -40.0


def probe_signal(sr: int, seconds: float, channels: int = 2, seed: int = 0) -> np.ndarray:
    """A deterministic music-like test signal: a few harmonic tones over 1/f noise.

    Parameters
    ----------
    sr : int
        Sample rate (Hz).
    seconds : float
        Duration.
    channels : int
        Channel count.
    seed : int
        Seeds the noise.

    Returns
    -------
    numpy.ndarray
        float32 ``(channels, samples)``, peak about 0.15.
    """
    rng = np.random.default_rng(seed)
    n = int(sr * seconds)
    t = np.arange(n) / sr
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for f0 in (110.0, 277.2, 440.0) for k in range(1, 6))
    spec = np.fft.rfft(rng.standard_normal((channels, n)))
    spec /= np.sqrt(np.maximum(np.arange(spec.shape[-1]), 1))
    noise = np.fft.irfft(spec, n)
    y = 0.1 * x / np.max(np.abs(x)) + 0.05 * noise / np.max(np.abs(noise))
    return y.astype(np.float32)


def half_precision_error_db(model, device="cpu", dtype=None, seconds: float | None = None) -> float:
    r"""How much reduced precision changes a model's output.

    :math:`10\log_{10}(\|y_{half} - y_{32}\|^2 / \|y_{32}\|^2)` on one segment of a
    deterministic music-like signal.

    Parameters
    ----------
    model : demucs model
        Anything ``demucs.apply.apply_model`` takes.
    device : str or torch.device
        Where to run.
    dtype : torch.dtype, optional
        float16 on CUDA, bfloat16 on CPU by default (autocast).
    seconds : float, optional
        Probe length (default: one model segment, at most 7.8 s).

    Returns
    -------
    float
        dB; very negative is good, :data:`HALF_TOLERANCE_DB` is the bar.
    """
    apply = import_demucs().apply
    device = torch.device(device)
    if dtype is None:
        dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
    seg = seconds or float(getattr(model, "segment", None) or model.max_allowed_segment)
    x = torch.from_numpy(probe_signal(model.samplerate, min(seg, 7.8), model.audio_channels))[None]
    with torch.no_grad():
        y32 = apply.apply_model(model, x, shifts=0, split=True, device=device)
        with torch.autocast(device_type=device.type, dtype=dtype):
            yh = apply.apply_model(model, x, shifts=0, split=True, device=device)
    y32, yh = y32.double(), yh.double()
    err = float(((yh - y32) ** 2).sum()) / max(float((y32 ** 2).sum()), 1e-30)
    return 10 * np.log10(max(err, 1e-30))


def choose_precision(device, half="auto", error_db=None, tolerance_db: float = HALF_TOLERANCE_DB) -> bool:
    """Decide whether to run in half precision (float16 autocast).

    CPUs and Apple MPS always run float32 (half is slower or unsupported there).

    Parameters
    ----------
    device : str or torch.device
        Where the model runs.
    half : {"auto", True, False}
        ``False``: never; ``True``: yes on CUDA (an error elsewhere); ``"auto"``: only on
        CUDA, and only if ``error_db()`` is at most ``tolerance_db``.
    error_db : callable, optional
        Measures the change of the output (e.g. a closure over
        :func:`half_precision_error_db`). If measuring fails, float32 it is.
    tolerance_db : float
        The bar for ``"auto"``.

    Returns
    -------
    bool
        Whether to use float16 autocast.

    Raises
    ------
    ParameterError
        ``half=True`` off CUDA, or an unknown ``half``.
    """
    device = torch.device(device)
    if half is False or half is None:
        return False
    if half is True:
        if device.type != "cuda":
            raise ParameterError(f"half=True needs a CUDA GPU; this model runs on {device}. "
                                 "Use half='auto' (float32 off GPU) or half=False.")
        return True
    if half != "auto":
        raise ParameterError(f"half must be True, False or 'auto', got {half!r}.")
    if device.type != "cuda" or error_db is None:
        return False
    try:
        return bool(error_db() <= tolerance_db)
    except Exception:
        return False


class DemucsSeparator:
    """A demucs model (HT-Demucs) behind the course's separator interface.

    Parameters
    ----------
    model : demucs model or ``BagOfModels``
        E.g. from :func:`mssedu.separation.load_demucs_model`.
    name : str
        Label for tables.
    device : str
        ``"auto"`` (CUDA > MPS > CPU), ``"cpu"``, ``"cuda"``...
    half : ``"auto"`` | bool
        float16 autocast on a CUDA GPU when it keeps the output within
        :data:`HALF_TOLERANCE_DB` of float32 (checked once, see :func:`choose_precision`).
    shifts : int
        demucs' "shift trick": average over this many random time shifts of up to 0.5 s
        (about +0.2 dB SDR per the paper, ``shifts`` times slower; ``0`` = deterministic).
    overlap : float
        Overlap of consecutive segments, in [0, 1) (0.25 as in demucs).
    segment : float or None
        Segment length in seconds (at most the model's 7.8 s; ``None``: the model's).
    window_seconds : float
        Inputs longer than this are separated window by window (see the module docstring).

    Attributes
    ----------
    name, sr, sources, channels, device, half
    """

    def __init__(self, model, name: str = "HT-Demucs", device="auto", half="auto", shifts: int = 0,
                 overlap: float = 0.25, segment: float | None = None, window_seconds: float = 600.0):
        if isinstance(overlap, bool) or not isinstance(overlap, (int, float)) or not 0 <= overlap < 1:
            raise ParameterError(f"overlap must be a number in [0, 1), got {overlap!r}.")
        # named limit LIMITS["shifts"]: checked before anything is loaded or run
        self.shifts, self.overlap = check_int(shifts, "shifts", 0), float(overlap)
        self._apply = import_demucs().apply
        self.model = model.eval()
        self.name = name
        self.sr = int(model.samplerate)
        self.sources = list(model.sources)
        self.channels = int(model.audio_channels)
        self.device = torch_device(device)
        longest = self._model_segment()
        if segment is not None and not 0 < float(segment) <= longest:
            raise ParameterError(f"segment must be in (0, {longest}] seconds for this model, got {segment!r}.")
        self.segment = None if segment is None else float(segment)
        if not isinstance(window_seconds, (int, float)) or window_seconds <= 0:
            raise ParameterError(f"window_seconds must be a number > 0, got {window_seconds!r}.")
        self.window_seconds = float(window_seconds)
        self.model.to(self.device)
        self.half = choose_precision(self.device, half, lambda: half_precision_error_db(
            self.model, self.device, torch.float16))

    def _model_segment(self) -> float:
        return min(float(m.segment) for m in getattr(self.model, "models", [self.model]))

    @property
    def segment_samples(self) -> int:
        """Samples per model segment."""
        return int(self.sr * (self.segment or self._model_segment()))

    @property
    def hop_samples(self) -> int:
        """Samples between two segment starts (windows on this grid match a single pass)."""
        return max(1, int((1 - self.overlap) * self.segment_samples))

    def _n_segments(self, length: int) -> int:
        stride = max(1, int((1 - self.overlap) * self.segment_samples))
        per_model = len(range(0, length + (int(0.5 * self.sr) if self.shifts else 0), stride))
        n_models = len(getattr(self.model, "models", [self.model]))
        return per_model * n_models * max(self.shifts, 1)

    def _run(self, mix, bar):
        """``apply_model`` on ``mix`` (tensor or TensorChunk ``(1, C, N)``) -> ``(1, S, C, N)``."""
        def callback(info):
            if bar is not None and info.get("state") == "end":
                bar.update(1)

        kwargs = dict(shifts=self.shifts, split=True, overlap=self.overlap, progress=False,
                      device=self.device, segment=self.segment, callback=callback)
        with torch.no_grad():
            if self.half:
                with torch.autocast(device_type=self.device.type, dtype=torch.float16):
                    return self._apply.apply_model(self.model, mix, **kwargs).float()
            return self._apply.apply_model(self.model, mix, **kwargs)

    def separate(self, signal, progress: bool = True) -> dict:
        """Separate ``signal`` into the model's sources.

        Parameters
        ----------
        signal : numpy.ndarray
            float32 ``(channels, samples)`` at ``self.sr`` (mono is accepted: it is
            duplicated in and averaged out).
        progress : bool
            Show a bar over the model's segments.

        Returns
        -------
        dict
            ``{source: (channels, samples) float32 array}``.
        """
        x = as_signal(signal, "signal")
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[0] not in (1, self.channels):
            raise ParameterError(f"{self.name} separates {self.channels}-channel (or mono) signals "
                                 f"shaped (channels, samples); got shape {x.shape}. Use "
                                 "mssedu.separation.separate, which converts channels and rates.")
        mono = x.shape[0] == 1 and self.channels != 1
        if mono:
            x = np.repeat(x, self.channels, axis=0)
        n = x.shape[-1]
        mix = torch.from_numpy(np.ascontiguousarray(x))[None]
        seg = self.segment_samples
        stride = max(1, int((1 - self.overlap) * seg))
        window = max(int(self.window_seconds * self.sr), 1)
        bar = tqdm(total=self._n_segments(n), desc=self.name, unit="segment") if progress else None
        tensor_chunk = import_demucs().apply.TensorChunk

        def process(a, b):
            part = mix if (a, b) == (0, n) else tensor_chunk(mix, a, b - a)
            return self._run(part, bar)[0].cpu().numpy()

        try:
            out = overlap_add(process, n, window, fade=stride, margin=seg, align=stride)
        finally:
            if bar is not None:
                if bar.n != bar.total:  # the shift trick makes the count an estimate
                    bar.n = bar.total
                    bar.refresh()
                bar.close()
        return {name: (out[i].mean(axis=0, keepdims=True) if mono else out[i])
                for i, name in enumerate(self.sources)}

    def __repr__(self) -> str:
        n = sum(p.numel() for p in self.model.parameters())
        return (f"DemucsSeparator({self.name!r}, sr={self.sr}, sources={self.sources}, "
                f"{n:,} parameters, device={self.device}, half={self.half})")
