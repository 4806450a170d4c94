"""BSS Eval and oracle masks.

* ``bss_eval`` (museval v4 underneath, plus input checks and a DataFrame) vs calling
  ``museval.evaluate`` directly, on a 3-minute stereo 44.1 kHz track with two sources
  (1 s frames). Goal: ratio ~1 (the wrapper adds nothing measurable), same numbers.
* ``bss_eval_quick`` (1-tap BSS Eval, used by the widgets) on the same track, against museval.
* ``oracle_separate`` (4 stems, Wiener) on the same length, against the same maths written
  with librosa's STFT/iSTFT and softmask.
"""
from __future__ import annotations

import librosa
import museval
import numpy as np

from mssedu.data import Track
from mssedu.masks import oracle_separate
from mssedu.metrics import bss_eval, bss_eval_quick

from . import best_of, row


def run(quick: bool = False) -> list:
    sr, seconds = 44100, (20 if quick else 180)
    n = sr * seconds
    rng = np.random.default_rng(0)
    refs = rng.standard_normal((2, 2, n)).astype(np.float32) * 0.1
    ests = (refs + 0.05 * rng.standard_normal(refs.shape) + 0.1 * refs[::-1]).astype(np.float32)
    r_t, e_t = np.transpose(refs, (0, 2, 1)), np.transpose(ests, (0, 2, 1))

    out = {}

    def ours():
        out["df"] = bss_eval(refs, ests, sr)

    def theirs():
        out["ref"] = museval.evaluate(r_t, e_t, win=sr, hop=sr)

    t_ref = best_of(theirs, repeat=1, warmup=0)
    t_ours = best_of(ours, repeat=1, warmup=0)
    diff = float(np.max(np.abs(out["df"]["SDR"].to_numpy() - np.nanmedian(out["ref"][0], axis=1))))
    rows = [row(f"bss_eval v4, {seconds}s stereo, 2 sources", "museval.evaluate", t_ref, t_ours,
                f"max |median SDR diff| {diff:.1e} dB; goal ratio ~1")]
    t_quick = best_of(lambda: bss_eval_quick(refs, ests), repeat=3, warmup=1)
    rows.append(row(f"bss_eval_quick (1-tap), {seconds}s stereo, 2 sources", "museval.evaluate",
                    t_ref, t_quick, "what the widgets use for live SIR/SAR"))

    stems = {k: (rng.standard_normal((2, n)) * 0.1).astype(np.float32)
             for k in ("drums", "bass", "other", "vocals")}
    track = Track("noise", sr, sum(stems.values()), stems)

    def with_librosa():
        S = {k: librosa.stft(v, n_fft=4096, hop_length=1024) for k, v in stems.items()}
        Y = librosa.stft(track.mixture, n_fft=4096, hop_length=1024)
        total = sum(S.values())
        return {k: librosa.istft(Y * librosa.util.softmask(np.abs(s), np.abs(total - s), power=2),
                                 hop_length=1024, length=n) for k, s in S.items()}

    t_lib = best_of(with_librosa, repeat=1, warmup=0)
    t_or = best_of(lambda: oracle_separate(track, "wiener"), repeat=1, warmup=0)
    a, b = with_librosa()["vocals"], oracle_separate(track, "wiener")["vocals"]
    rows.append(row(f"oracle_separate wiener, 4 stems, {seconds}s stereo", "librosa stft+softmask",
                    t_lib, t_or, f"max abs diff {float(np.max(np.abs(a - b))):.1e}"))
    return rows
