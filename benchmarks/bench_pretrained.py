"""HT-Demucs front end (mssedu.separation) vs calling demucs.apply.apply_model directly.

The real htdemucs architecture with random weights (no download needed: same cost as the
trained model), 30 s of stereo 44.1 kHz (quick: 8 s), CPU, ``shifts=0``, overlap 0.25.
Rows:

* front-end overhead: ``mssedu.separation.separate`` (input checks, tensor conversion,
  progress callback, dict of numpy stems) vs ``apply_model`` alone; goal ratio >= 0.95
  (<= 5 % overhead) and identical output;
* real-time factor (seconds of compute per second of audio) and peak memory (resident set
  of a fresh process separating the input, so earlier rows do not count), CPU; GPU when
  one is present.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np

from mssedu.separation.demucs import probe_signal

from . import row

ROOT = Path(__file__).resolve().parents[1]

_PEAK_SCRIPT = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[3])
from mssedu.separation.demucs import probe_signal
from mssedu import separation
seconds = float(sys.argv[1])
sep = separation.load_separator(separation.RANDOM_MODEL, device=sys.argv[2])
x = probe_signal(44100, seconds)
t0 = time.perf_counter()
separation.separate(sep, x, 44100, progress=False)
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
gpu = 0.0
try:
    import torch
    if torch.cuda.is_available():
        gpu = torch.cuda.max_memory_allocated() / 2**20
except Exception:
    pass
print(json.dumps({"seconds": dt, "peak_mib": peak, "gpu_mib": gpu}))
"""


def _fresh_process(seconds: float, device: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, str(seconds), device, str(ROOT)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-500:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _time(fn, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def run(quick: bool = False) -> list:
    import demucs.apply
    import torch
    from demucs.apply import apply_model

    from mssedu import separation

    seconds = 8.0 if quick else 30.0
    repeat = 1 if quick else 2
    sep = separation.load_separator(separation.RANDOM_MODEL, device="cpu")
    x = probe_signal(44100, seconds)
    mix = torch.from_numpy(x)[None]

    def direct():
        with torch.no_grad():
            return apply_model(sep.model, mix, shifts=0, split=True, overlap=0.25, device="cpu")

    def front_end():
        return separation.separate(sep, x, 44100, progress=False)

    direct()  # warm-up (allocator, thread pool)
    # interleave the two so that load from other processes hits both alike
    t_ref, ref = _time(direct, repeat)
    t_ours, ours = _time(front_end, repeat)
    t_ref2, _ = _time(direct, repeat)
    t_ref = min(t_ref, t_ref2)
    diff = max(float(np.abs(ours[k] - ref[0, i].numpy()).max()) for i, k in enumerate(sep.sources))
    overhead = 100 * (t_ours / t_ref - 1)
    # The same overhead measured inside one call, immune to load from other processes: time
    # spent in the front end outside apply_model, relative to the time inside it.
    # demucs.apply.apply_model is wrapped in a timer for one call (the separator looks it up
    # on the module at every call). apply_model calls itself through the same module name
    # (once per segment), so only the outermost calls are timed.
    inner, depth = [], [0]

    def timed_apply(*args, **kwargs):
        depth[0] += 1
        t0 = time.perf_counter()
        try:
            return apply_model(*args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                inner.append(time.perf_counter() - t0)

    with mock.patch.object(demucs.apply, "apply_model", timed_apply):
        t0 = time.perf_counter()
        front_end()
        total = time.perf_counter() - t0
    if not inner:
        raise RuntimeError("the separator did not call demucs.apply.apply_model")
    own = 100 * (total - sum(inner)) / sum(inner)
    rows = [row(f"HT-Demucs separate, {seconds:g}s stereo, CPU", "demucs apply_model", t_ref, t_ours,
                f"wall overhead {overhead:+.1f}% (shared CPU); front end's own time "
                f"{own:+.2f}% of apply_model's (goal <= 5%); max abs diff {diff:.1e} (goal 0)")]
    cpu = _fresh_process(seconds, "cpu")
    rows.append(row(f"HT-Demucs real-time factor, {seconds:g}s, CPU", "(audio duration)", seconds,
                    cpu["seconds"], f"RTF {cpu['seconds'] / seconds:.2f} (compute s per audio s); "
                                    f"peak RSS {cpu['peak_mib'] / 1024:.2f} GiB; random weights, "
                                    f"{torch.get_num_threads()} threads"))
    if torch.cuda.is_available():
        gpu = _fresh_process(seconds, "cuda")
        rows.append(row(f"HT-Demucs real-time factor, {seconds:g}s, GPU", "(audio duration)", seconds,
                        gpu["seconds"], f"RTF {gpu['seconds'] / seconds:.3f}; peak GPU "
                                        f"{gpu['gpu_mib'] / 1024:.2f} GiB; {torch.cuda.get_device_name()}"))
    return rows
