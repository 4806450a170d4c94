"""Phase reconstruction: mssedu.phase (torch) vs librosa.griffinlim (numpy).

Signal: the example track's stems tiled to 30 s of 44.1 kHz stereo (``--quick``: 2 s, a smoke run whose ratios mean little),
STFT n_fft 2048, hop 512, Hann. Rows:

1. ``griffin_lim`` vs ``librosa.griffinlim``, fast GL (momentum 0.99), both from the zero
   phase so that they run the same algorithm and reach the same final spectral convergence
   (printed); time per iteration. Goal: ratio >= 3 on CPU.
2. Iterations fast GL needs to reach the error of 100 iterations of *classic* GL
   (``librosa.griffinlim(momentum=0)``; random initial phase for both), and the time to get
   there vs librosa's 100 iterations. Goal: <= 32 iterations. The note also gives the
   iterations needed to match librosa's 100 iterations of fast GL.
3. ``misi`` (4 sources, all at once) per iteration vs four ``librosa.griffinlim`` runs (one
   per source) per iteration: MISI's extra work (the mixing constraint) is an iSTFT-sized
   sum, so the ratio shows what batching and torch buy.
4. ``griffin_lim`` vs ``griffin_lim_textbook`` (the readable numpy version of the same
   algorithm, one line per step) per iteration, from the same initial phase; the note gives
   their relative difference (the tests require < 1e-4).
"""
from __future__ import annotations

import librosa
import numpy as np
import torch

from mssedu.data import example_track
from mssedu.phase import griffin_lim, griffin_lim_textbook, misi, spectral_convergence
from mssedu.spectral import stft

from . import best_of, row

N_FFT, HOP = 2048, 512


def _signals(seconds):
    t = example_track()
    n = int(seconds * t.sr)
    reps = int(np.ceil(n / t.mixture.shape[-1]))
    stems = {k: np.tile(v, (1, reps))[:, :n] for k, v in t.stems.items()}
    return t.sr, stems


def run(quick: bool = False) -> list:
    seconds, n_iter, repeat = (2, 4, 1) if quick else (30, 32, 2)
    _, stems = _signals(seconds)
    x = stems["vocals"]
    n = x.shape[-1]
    A = np.abs(stft(x, N_FFT, HOP))
    threads = torch.get_num_threads()
    rows = []

    # 1. same algorithm, same start: time per iteration
    def ours():
        return griffin_lim(A, n_iter, momentum=0.99, init="zeros", length=n)

    def theirs():
        return librosa.griffinlim(A, n_iter=n_iter, hop_length=HOP, n_fft=N_FFT, momentum=0.99,
                                  init=None, length=n)

    t_ours = best_of(ours, repeat=repeat) / n_iter
    t_lib = best_of(theirs, repeat=repeat) / n_iter
    sc_ours = ours().history[-1]
    sc_lib = spectral_convergence(A, stft(theirs(), N_FFT, HOP))
    rows.append(row(f"griffin_lim per iteration, {seconds}s stereo, {N_FFT}/{HOP}",
                    "librosa.griffinlim", t_lib, t_ours,
                    f"{n_iter} it. from zero phase; final SC {sc_ours:.4f} vs {sc_lib:.4f}; "
                    f"torch threads {threads}; goal ratio >= 3"))

    # 2. iterations of fast GL to reach classic GL's 100-iteration error
    ref_iter = 10 if quick else 100
    classic = librosa.griffinlim(A, n_iter=ref_iter, hop_length=HOP, n_fft=N_FFT, momentum=0.0,
                                 random_state=0, length=n)
    target = spectral_convergence(A, stft(classic, N_FFT, HOP))
    fast_lib = librosa.griffinlim(A, n_iter=ref_iter, hop_length=HOP, n_fft=N_FFT, momentum=0.99,
                                  random_state=0, length=n)
    target_fast = spectral_convergence(A, stft(fast_lib, N_FFT, HOP))
    _, hist = griffin_lim(A, ref_iter, momentum=0.99, length=n, seed=0)
    reached = np.flatnonzero(hist <= target)
    k = int(reached[0]) if reached.size else None
    reached_fast = np.flatnonzero(hist <= target_fast)
    k_fast = int(reached_fast[0]) if reached_fast.size else None
    t_lib100 = best_of(lambda: librosa.griffinlim(A, n_iter=ref_iter, hop_length=HOP, n_fft=N_FFT,
                                                  momentum=0.0, random_state=0, length=n),
                       repeat=1, warmup=0)
    t_k = best_of(lambda: griffin_lim(A, max(k or ref_iter, 1), momentum=0.99, length=n, seed=0),
                  repeat=1, warmup=0)
    rows.append(row(f"fast GL to classic GL's {ref_iter}-it. error, {seconds}s stereo",
                    f"librosa.griffinlim momentum=0, {ref_iter} it.", t_lib100, t_k,
                    f"needs {k if k is not None else '>' + str(ref_iter)} it. (goal <= 32) to reach "
                    f"SC {target:.4f}; {k_fast if k_fast is not None else '>' + str(ref_iter)} it. "
                    f"to reach librosa fast GL's {ref_iter}-it. SC {target_fast:.4f}"))

    # 3. MISI per iteration, four sources at once
    mix = sum(stems.values())
    mags = {name: np.abs(stft(s, N_FFT, HOP)) for name, s in stems.items()}
    m_iter = 2 if quick else 10
    t_misi = best_of(lambda: misi(mags, mix, m_iter), repeat=repeat) / (m_iter + 1)

    def four_librosa():
        for M in mags.values():
            librosa.griffinlim(M, n_iter=m_iter, hop_length=HOP, n_fft=N_FFT, length=n)

    t_four = best_of(four_librosa, repeat=repeat) / m_iter
    est, _ = misi(mags, mix, 2)
    err = float(np.abs(sum(est.values()) - mix).max())
    rows.append(row(f"misi per iteration, 4 sources, {seconds}s stereo", "4 x librosa.griffinlim",
                    t_four, t_misi, f"sum-to-mixture error {err:.1e}"))

    # 4. what the fused, blocked torch projection buys over the textbook numpy loop
    t_iter = 2 if quick else 8
    fast, _ = griffin_lim(A, t_iter, momentum=0.99, seed=0, length=n)
    readable, _ = griffin_lim_textbook(A, t_iter, momentum=0.99, seed=0, length=n)
    diff = float(np.linalg.norm(fast - readable) / np.linalg.norm(readable))
    t_text = best_of(lambda: griffin_lim_textbook(A, t_iter, momentum=0.99, length=n),
                     repeat=1) / t_iter
    t_fast = best_of(lambda: griffin_lim(A, t_iter, momentum=0.99, length=n), repeat=repeat) / t_iter
    rows.append(row(f"griffin_lim per iteration vs the textbook version, {seconds}s stereo",
                    "griffin_lim_textbook (numpy)", t_text, t_fast,
                    f"same initial phase; relative difference {diff:.1e} after {t_iter} it."))
    return rows
