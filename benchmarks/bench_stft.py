"""STFT / iSTFT: mssedu (numpy teaching path, torch path) vs librosa.

3 minutes of stereo 44.1 kHz noise, n_fft 4096, hop 1024, Hann. Goal: the torch path at
least as fast as librosa on CPU (ratio >= 1) with the same results (max |difference|
relative to max |X| below 1e-6)."""
from __future__ import annotations

import librosa
import numpy as np
import torch

from mssedu.spectral import istft, stft

from . import best_of, row


def run(quick: bool = False) -> list:
    sr, seconds = 44100, (20 if quick else 180)
    x = np.random.default_rng(0).standard_normal((2, sr * seconds)).astype(np.float32) * 0.1
    xt = torch.from_numpy(x)
    n_fft, hop = 4096, 1024
    ref = librosa.stft(x, n_fft=n_fft, hop_length=hop)
    scale = float(np.abs(ref).max())
    t_lib = best_of(lambda: librosa.stft(x, n_fft=n_fft, hop_length=hop))
    t_np = best_of(lambda: stft(x, n_fft, hop))
    t_torch = best_of(lambda: stft(xt, n_fft, hop))
    err_np = float(np.abs(stft(x, n_fft, hop) - ref).max())
    err_t = float(np.abs(stft(xt, n_fft, hop).numpy() - ref).max()) / scale
    rows = [row(f"stft numpy, {seconds}s stereo", "librosa.stft", t_lib, t_np,
                f"max abs diff {err_np:.1e}"),
            row(f"stft torch, {seconds}s stereo", "librosa.stft", t_lib, t_torch,
                f"max rel diff {err_t:.1e}; goal ratio >= 1")]
    X, Xt = ref, torch.from_numpy(ref)
    y_ref = librosa.istft(X, hop_length=hop, length=x.shape[-1])
    t_lib = best_of(lambda: librosa.istft(X, hop_length=hop, length=x.shape[-1]))
    t_np = best_of(lambda: istft(X, hop, length=x.shape[-1]))
    t_torch = best_of(lambda: istft(Xt, hop, length=x.shape[-1]))
    err_np = float(np.abs(istft(X, hop, length=x.shape[-1]) - y_ref).max())
    err_t = float(np.abs(istft(Xt, hop, length=x.shape[-1]).numpy() - y_ref).max())
    rows += [row(f"istft numpy, {seconds}s stereo", "librosa.istft", t_lib, t_np,
                 f"max abs diff {err_np:.1e}"),
             row(f"istft torch, {seconds}s stereo", "librosa.istft", t_lib, t_torch,
                 f"max abs diff {err_t:.1e}; goal ratio >= 1")]
    return rows
