"""Training data ablation: does realistic made-here data help on a real song? ("data matters")

Four data styles (:data:`mssedu.data.synth.STYLES`), each adding one ingredient:

a. ``classic``: the first release's songs (choir / voice patches as vocals, SoundFont drums,
   FluidSynth reverb);
b. ``sung``: + vocals sung with words (espeak-ng speech re-sung on the melody by WORLD);
c. ``sampled``: + recorded Hydrogen drum kits and a second SoundFont (MuseScore_General);
d. ``studio``: + a mixing chain per stem (EQ, compression, delay and reverb sends, panning).

For each style: render (once, cached) ``N_SONGS`` 30-s training songs with seed 0, train the
``tiny`` U-Net for the same budget of ``STEPS`` steps of 16 excerpts (seed 0, validation every
50 steps, every other setting the default of :class:`mssedu.models.TrainConfig`; a step budget,
not a wall-clock one, so that a busy machine does not give one style fewer steps than
another), keep the weights that score best on that style's
**held-out synthetic** validation songs (seed 10 000), and only then score the vocals on the
real excerpt (:func:`mssedu.data.example_track`, museval v4 SDR, median of 1-s frames). The
real song chooses nothing: not the weights, not the settings, not the style that becomes the
default (``"studio"`` was the default before this table was measured).

Quick mode only renders one 8-s song per style (rendering speed, seconds of 4-stem audio per
wall second) and trains nothing.
"""
from __future__ import annotations

import time

import numpy as np

from . import row

STYLES = (("a", "classic"), ("b", "sung"), ("c", "sampled"), ("d", "studio"))
N_SONGS = 16
STEPS = 150


def _vocals_sdr(reference, estimate, sr: int = 44100) -> float:
    from mssedu.metrics import bss_eval

    df = bss_eval({"vocals": reference}, {"vocals": estimate}, sr=sr, window=1.0)
    return float(df.loc["vocals", "SDR"])


def _render_rows() -> list:
    from mssedu.data import synth

    rows = []
    for letter, style in STYLES:
        spec = synth.song_spec(seed=0, index=0, seconds=8.0, style=style)
        synth.render_song(spec)    # warm caches (scores, kits, fonts)
        t0 = time.perf_counter()
        synth.render_song(spec)
        t = time.perf_counter() - t0
        rows.append(row(f"render 8-s song, style {letter}) {style}", "real time", 8.0, t,
                        f"{8.0 / t:.1f} s of 4-stem audio per wall second (one song, stems in parallel)"))
    return rows


def ablation(n_songs: int = N_SONGS, steps: int = STEPS, progress: bool = False) -> list:
    """Train once per data style and score each on the real excerpt.

    Parameters
    ----------
    n_songs : int
        Training songs per style.
    steps : int
        Training steps per style.
    progress : bool
        Show bars.

    Returns
    -------
    list of dict
        One per style: ``style``, ``steps``, ``val_sdr`` (best synthetic validation SDR, plain),
        ``vocals_sdr`` (real excerpt, museval v4 median), ``render_s``, ``train_s``.
    """
    from mssedu.data import example_track
    from mssedu.models import UNetSeparator, default_training_tracks, train

    track = example_track()
    out = []
    for letter, style in STYLES:
        t0 = time.perf_counter()
        tracks = default_training_tracks(n_songs=n_songs, seconds=30.0, seed=0, progress=progress, style=style)
        render_s = time.perf_counter() - t0
        res = train(tracks, valid="synthetic", data_style=style, steps=steps, max_seconds=None, seed=0,
                    val_every=50, progress=progress)
        est = UNetSeparator(res.model, device="cpu").separate(track.mixture, progress=False)["vocals"]
        out.append({"row": letter, "style": style, "steps": res.steps, "val_sdr": res.best_sdr,
                    "vocals_sdr": _vocals_sdr(track.stems["vocals"], est), "render_s": render_s,
                    "train_s": res.seconds, "stopped": res.stopped})
    return out


def run(quick: bool = False) -> list:
    rows = _render_rows()
    if quick:
        return rows
    from mssedu.data import example_track

    track = example_track()
    v, mix = track.stems["vocals"], track.mixture
    g = float(np.sum(v * mix) / np.sum(mix ** 2))
    base = _vocals_sdr(v, g * mix)
    for r in ablation():
        rows.append(row(f"ablation {r['row']}) {r['style']}: vocals SDR on the real excerpt",
                        "best constant gain", float("nan"), r["train_s"],
                        f"{r['vocals_sdr']:+.2f} dB (constant gain {base:+.2f} dB); {r['steps']} steps in "
                        f"{r['train_s']:.0f} s, {N_SONGS} songs; best synthetic val SDR {r['val_sdr']:+.2f} dB "
                        f"({r['stopped']}); render {r['render_s']:.0f} s"))
    return rows
