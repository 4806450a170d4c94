"""The multichannel Wiener post-filter (norbert, spatial covariance model) on the real excerpt.

* ``multichannel_wiener`` (STFT, ``norbert.wiener``, iSTFT) against the same STFT work done
  with librosa around a direct ``norbert.wiener`` call, on the shipped U-Net's stems of the
  real excerpt (``example_track()``, scored only: nothing is chosen by it). Goal: ratio ~1.
* The post-filter's effect, per stem: ILD error (``mssedu.spatial.stereo_image_preservation``,
  dB, lower is better) and SDR (BSS Eval v4 median, dB) before -> after, 1 EM iteration
  (Open-Unmix's setting). Goal: ILD error reduced, SDR not lowered.
"""
from __future__ import annotations

import librosa
import norbert
import numpy as np

from mssedu.data import example_track
from mssedu.metrics import bss_eval
from mssedu.models import shipped_checkpoint
from mssedu.separation import load_separator, separate
from mssedu.separation.postfilter import WIENER_HOP, WIENER_N_FFT, multichannel_wiener
from mssedu.spatial import stereo_image_preservation

from . import best_of, row


def _norbert_direct(mixture, stems: dict) -> dict:
    """The reference: librosa STFTs (complex64, as mssedu's) around one norbert.wiener call."""
    X = librosa.stft(mixture, n_fft=WIENER_N_FFT, hop_length=WIENER_HOP).astype(np.complex128)
    V = np.abs(np.stack([librosa.stft(s, n_fft=WIENER_N_FFT, hop_length=WIENER_HOP)
                         for s in stems.values()], axis=-1)).astype(np.float64)  # (C, F, N, J)
    Y = norbert.wiener(V.transpose(2, 1, 0, 3), X.transpose(2, 1, 0).copy(), 1)
    return {k: librosa.istft(Y[..., j].transpose(2, 1, 0), hop_length=WIENER_HOP,
                             length=mixture.shape[-1]) for j, k in enumerate(stems)}


def effect(track, stems: dict, filtered: dict) -> dict:
    """``{stem: (ild_before, ild_after, sdr_before, sdr_after)}`` against the true stems."""
    refs = {"vocals": track.stems["vocals"], "accompaniment": track.mixture - track.stems["vocals"]}
    out = {}
    for k, ref in refs.items():
        ild = [stereo_image_preservation(ref, est[k])["ild_error_db"] for est in (stems, filtered)]
        sdr = [float(bss_eval(ref[None], est[k][None], track.sr)["SDR"].iloc[0]) for est in (stems, filtered)]
        out[k] = (*ild, *sdr)
    return out


def run(quick: bool = False) -> list:
    track = example_track()
    sep = load_separator(shipped_checkpoint(), device="cpu")
    stems = separate(sep, track.mixture, track.sr, progress=False)
    res = {}
    t_ref = best_of(lambda: res.update(ref=_norbert_direct(track.mixture, stems)), repeat=1, warmup=1)
    t_ours = best_of(lambda: res.update(ours=multichannel_wiener(track.mixture, stems)), repeat=1, warmup=1)
    diff = max(float(np.max(np.abs(res["ours"][k] - res["ref"][k]))) for k in stems)
    rows = [row("multichannel_wiener, shipped U-Net stems, real excerpt", "librosa + norbert.wiener",
                t_ref, t_ours, f"max |diff| {diff:.1e} (float32 STFT rounding, amplified in near-singular bins); goal ratio ~1")]
    for k, (i0, i1, s0, s1) in effect(track, stems, res["ours"]).items():
        rows.append(row(f"  {k}: ILD error {i0:.2f} -> {i1:.2f} dB, SDR {s0:+.2f} -> {s1:+.2f} dB",
                        "-", float("nan"), float("nan"),
                        "goal: ILD error down, SDR not lower (1 EM iteration)"))
    return rows
