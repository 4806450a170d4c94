"""Memory of ``mssedu separate`` on long songs: peak RSS of a child process.

Each row separates a made-up song of the given length (tones and noise, 44.1 kHz stereo,
FLAC) with the mssedu command in a fresh Python process and reads that process's peak
resident memory (``ru_maxrss`` of the child). The reference is the same separation done
the naive way -- the whole song decoded and separated in one call of
:func:`mssedu.separation.separate` -- where it fits in memory. Goals (issue 13): a 10-minute
song within 1.5 GiB for the mini U-Net and 3 GiB for HT-Demucs on CPU, and a 60-minute song
that works, in memory independent of its length.

Measured on 2 Dec 2026 (2 shared CPU cores under heavy load from other jobs, so the times
are rough; the memory is not affected):

* 10-minute song, mini U-Net (shipped): streamed 1072 MiB; whole song in one call 4981 MiB;
* 60-minute song, mini U-Net (shipped): streamed 1115 MiB (the whole song does not fit);
* 10-minute song, HT-Demucs (random weights): streamed 1800 MiB; whole song 2799 MiB.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from . import row

SR = 44100

_CHILD = r"""
import json, resource, sys, time
mode, model, song, out = sys.argv[1:5]
t0 = time.perf_counter()
if mode == "cli":
    from mssedu import cli
    code = cli.main(["separate", song, "-m", model, "--out", out, "-q", "--device", "cpu"])
else:  # the naive way: decode everything, separate in one call
    from mssedu import audio, separation
    sep = separation.load_separator(model, device="cpu")
    x, sr = audio.load(song)
    stems = separation.separate(sep, x, sr, progress=False)
    code = 0
print(json.dumps({"code": code, "seconds": time.perf_counter() - t0,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_song(path: Path, minutes: float, seed: int = 0) -> Path:
    """Write a ``minutes``-long stereo FLAC block by block (the writer never holds it all).

    Parameters
    ----------
    path : Path
        The file to write.
    minutes : float
        Its length.
    seed : int
        Seeds the noise.

    Returns
    -------
    Path
    """
    rng = np.random.default_rng(seed)
    block = 30 * SR
    total = int(minutes * 60 * SR)
    with sf.SoundFile(str(path), "w", SR, 2, format="FLAC", subtype="PCM_16") as f:
        for start in range(0, total, block):
            t = (start + np.arange(min(block, total - start))) / SR
            x = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 331 * t * (1 + 0.01 * np.sin(t)))
            x = np.stack([x, 0.8 * x]) + 0.01 * rng.standard_normal((2, t.size))
            f.write(x.T.astype(np.float32))
    return path


def child_peak(mode: str, model: str, song: Path, out: Path) -> dict:
    """Run one separation in a fresh process.

    Parameters
    ----------
    mode : {"cli", "whole"}
        ``mssedu separate`` (streamed) or one call of ``separate`` on the decoded song.
    model : str
        A model name or checkpoint path.
    song, out : Path
        Input file and output folder.

    Returns
    -------
    dict
        ``code``, ``seconds``, ``peak_mib`` (the child's peak RSS).
    """
    res = subprocess.run([sys.executable, "-c", _CHILD, mode, model, str(song), str(out)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        return {"code": res.returncode, "seconds": float("nan"), "peak_mib": float("nan"),
                "error": res.stderr[-300:]}
    return json.loads(res.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list:
    """Memory rows (see the module docstring); quick mode uses 1- and 3-minute songs.

    Parameters
    ----------
    quick : bool
        Short songs only.

    Returns
    -------
    list of dict
    """
    from mssedu.models import shipped_checkpoint

    unet = shipped_checkpoint()
    plans = ([("mini U-Net", unet, 1, True), ("mini U-Net", unet, 3, False)] if quick else
             [("mini U-Net", unet, 10, True), ("mini U-Net", unet, 60, False),
              ("HT-Demucs (random weights)", "htdemucs-random", 10, True)])
    goals = {"mini U-Net": 1536, "HT-Demucs (random weights)": 3072}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for label, model, minutes, naive in plans:
            song = make_song(tmp / f"song{minutes}.flac", minutes)
            streamed = child_peak("cli", model, song, tmp / f"out-{label[:4]}-{minutes}")
            whole = child_peak("whole", model, song, tmp / "x") if naive else None
            note = (f"peak RSS streamed {streamed['peak_mib']:.0f} MiB (goal <= {goals[label]} MiB)"
                    + (f", whole song at once {whole['peak_mib']:.0f} MiB" if whole else "")
                    + ("" if streamed["code"] == 0 else f"; FAILED {streamed.get('error', '')}"))
            rows.append(row(f"separate {minutes} min ({label})", "whole song in one call",
                            whole["seconds"] if whole else 0.0, streamed["seconds"], note))
            song.unlink()
    return rows


if __name__ == "__main__":  # pragma: no cover
    for r in run(quick="--quick" in sys.argv):
        print(r)
