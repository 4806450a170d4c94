"""mssedu benchmarks: speed and memory against reference libraries, measured in one run.

Run ``python -m benchmarks`` (all) or ``python -m benchmarks stft phase`` (some). Each
``bench_<name>.py`` module defines ``run(quick: bool) -> list[dict]``; a row has
``benchmark``, ``reference``, ``ref_s``, ``mssedu_s``, ``ratio`` (reference time / mssedu
time: > 1 means mssedu is faster) and ``note`` (targets, errors, memory...). Targets are
stated in the notes and checked by eye, never asserted in tests.
"""
from __future__ import annotations

import time


def best_of(fn, repeat: int = 3, warmup: int = 1) -> float:
    """Best wall time of ``fn()`` over ``repeat`` runs after ``warmup`` untimed runs."""
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def row(benchmark, reference, ref_s, mssedu_s, note="") -> dict:
    ratio = (ref_s / mssedu_s) if (ref_s and mssedu_s) else float("nan")
    return {"benchmark": benchmark, "reference": reference, "ref_s": ref_s,
            "mssedu_s": mssedu_s, "ratio": ratio, "note": note}


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux/macOS)."""
    import resource
    import sys

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 / (1024 if sys.platform == "darwin" else 1)
