"""Data: synthetic-multitrack rendering speed and training-loader throughput.

1. **Rendering** (:func:`mssedu.data.synth.render_song`): seconds of 4-stem audio rendered
   per second of wall time, against real time (ratio = real-time factor; goal >> 1) and
   against rendering the four stems one after the other (ratio > 1: the parallel
   FluidSynth processes help).
2. **Loader** (:class:`mssedu.data.ExcerptDataset` + :func:`make_loader`, remix + gain + swap +
   polarity, 6 s stereo excerpts at 44.1 kHz): excerpts per second, against the naive
   pipeline that decodes each random excerpt from the ``.stem.mp4`` with ``stempeg``
   (what ``musdb``'s on-the-fly loading does). Goal: above what the mini U-Net consumes.
3. **Mini U-Net consumption** (``tiny`` preset, CPU): training excerpts per second (STFT,
   forward, backward, step), so row 2 can be read against it.
"""
from __future__ import annotations

import os
import tempfile
import time

import numpy as np

from . import best_of, row


def _render_rows(quick):
    from mssedu.data import synth

    seconds = 8.0 if quick else 30.0
    spec = synth.song_spec(seed=0, index=0, seconds=seconds)
    synth.render_song(spec)  # warm the score cache and the OS file cache of the SoundFont
    t_par = best_of(lambda: synth.render_song(spec), repeat=1 if quick else 2, warmup=0)

    def sequential():
        mid, ch = synth.song_midi(spec)
        for stem in set(ch.values()):
            synth.render_midi_stems(mid, sr=44100, seconds=seconds,
                                    stems={c: s for c, s in ch.items() if s == stem}, reverb=spec["reverb"])

    t_seq = best_of(sequential, repeat=1, warmup=0)
    font = spec["soundfont"]
    rows = [row(f"render 4-stem song, {seconds:g} s", "real time", seconds, t_par,
                f"{seconds / t_par:.1f} s of 4-stem audio per wall second ({font})"),
            row(f"render 4-stem song, {seconds:g} s", "stems one after another", t_seq, t_par,
                "parallel fluidsynth processes")]
    # the realistic style, a small dataset, two songs at a time (goal: >= 10 s of audio per second on 2 cores)
    n_songs = 2 if quick else 4
    for style in ("classic", "studio"):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            synth.make_dataset(tmp, n_songs=n_songs, seconds=seconds, seed=1, style=style, workers=2,
                               progress=False)
            t = time.perf_counter() - t0
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        rows.append(row(f"make_dataset {n_songs} x {seconds:g} s, style {style}, workers=2", "real time",
                        n_songs * seconds, t, f"{n_songs * seconds / t:.1f} s of 4-stem audio per wall second "
                        f"(goal >= 10 on 2 free cores; load average here {load:.1f})"))
    return rows


def _loader_rows(quick):
    import stempeg

    from mssedu.data import Augment, ExcerptDataset, example_path, example_track, make_loader

    ex = example_track()
    # four 'songs' from the example (stereo 44.1 kHz, lossy MUSDB excerpt, ~6 s each)
    tracks = [ex] * 4
    seconds = 3.0  # excerpts shorter than the 5.95 s example
    n = 64 if quick else 256
    ds = ExcerptDataset(tracks, seconds=seconds, augment=Augment(), length=n, seed=0,
                        targets=("vocals",))
    ref_items = 8
    rng = np.random.default_rng(0)

    def naive():
        for _ in range(ref_items):
            start = float(rng.uniform(0, ex.duration - seconds))
            stempeg.read_stems(example_path(), start=start, duration=seconds, dtype=np.float32)

    t_ref = best_of(naive, repeat=1, warmup=0) * n / ref_items  # same number of excerpts
    rows = []
    for workers in (0, 2):
        loader = make_loader(ds, batch_size=16, workers=workers, seed=0)

        def run_loader():
            for _ in loader:
                pass

        t = best_of(run_loader, repeat=2, warmup=1)
        rows.append(row(f"loader, {seconds:g} s excerpts, augmented, workers={workers}",
                        "stempeg decode per excerpt", t_ref, t,
                        f"{n / t:.0f} excerpts/s (naive {n / t_ref:.1f}/s)"))
    return rows


def _unet_rows(quick):
    try:
        import torch

        from mssedu.spectral import stft
        from mssedu.models import MiniUNet
    except Exception as err:  # the U-Net is another module; report, do not fail
        return [row("mini U-Net consumption", "-", float("nan"), float("nan"), f"unavailable: {err}")]
    torch.manual_seed(0)
    model = MiniUNet.from_preset("tiny")
    cfg = model.config
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    batch = 16
    x = torch.randn(batch, 2, cfg.patch_samples) * 0.1
    y = torch.randn(batch, 1, 2, cfg.patch_samples) * 0.05

    def step():
        X = stft(x, cfg.n_fft, cfg.hop_length)
        S = stft(y, cfg.n_fft, cfg.hop_length).abs()
        est = model(X.abs())
        loss = (est - S).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    t = best_of(step, repeat=2 if quick else 5, warmup=1)
    secs = cfg.patch_samples / cfg.sr
    return [row(f"mini U-Net tiny train step, batch {batch}", "-", float("nan"), t,
                f"consumes {batch / t:.0f} excerpts/s of {secs:.2f} s on CPU "
                f"({torch.get_num_threads()} threads)")]


def run(quick: bool = False) -> list:
    rows = []
    rows += _render_rows(quick)
    rows += _loader_rows(quick)
    rows += _unet_rows(quick)
    return rows
