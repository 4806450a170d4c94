"""Beyond the U-Net: the band-split student vs the mini U-Net, and unfolded MISI vs MISI.

Rows
----
- students (full mode): the ``tiny`` U-Net and the ``tiny`` band-split model, each trained
  by :func:`mssedu.models.train` for the same wall-clock budget (``MSSEDU_BENCH_TRAIN_SECONDS``,
  default 240 s, one after the other on the same CPU, on ``MSSEDU_BENCH_THREADS`` torch
  threads, default 1: a shared machine's other jobs then slow both alike, and the note gives
  the 1-minute load average before and after each run) on the same synthetic songs
  (:func:`mssedu.models.default_training_tracks`), validated on the held-out synthetic songs
  (best weights kept by *that* score), then scored once on the real excerpt
  (:func:`mssedu.data.example_track`): vocals SDR (BSS-eval v4, median of 1-s windows) with
  the mixture phase and after 32 MISI iterations; parameters, training steps and ms per step,
  separation time of the excerpt. Both validate on the same held-out songs every 50 steps
  (about 1 s each on a CPU, under 2 % of the budget). The oracle IRM is the ceiling.
  Goal: band-split >= U-Net + 1 dB.
- unfolded MISI (full mode): :class:`mssedu.phase.UnfoldedMISI` with K = 5 layers trained for
  ``MSSEDU_BENCH_UNFOLD_SECONDS`` (default 180 s) on 2-s excerpts of the synthetic songs, on
  top of the shipped tiny U-Net (frozen: vocals ``M|X|``, accompaniment ``(1 - M)|X|``),
  SI-SDR loss. Scored on the real excerpt only: SI-SDR of the reconstructed vocals for the
  mixture phase (MISI 0), plain MISI 5 and 32, and unfolded MISI 5. Goal: unfolded 5 > MISI 5.
- quick mode: one training step of each student and the shapes (no quality numbers).

``MSSEDU_BENCH_MODELS=students`` runs only the student rows (``unfolded`` only the others).
"""
from __future__ import annotations

import os
import time

import numpy as np

from . import row


def _vocals_sdr(reference, estimate, sr: int = 44100) -> float:
    from mssedu.metrics import bss_eval

    df = bss_eval({"vocals": reference}, {"vocals": estimate}, sr=sr, window=1.0)
    return float(df.loc["vocals", "SDR"])


def _student_rows(quick: bool) -> list:
    import torch

    from mssedu.models import BandSplitSeparator
    from mssedu.data import example_track
    from mssedu.masks import oracle_separate
    from mssedu.phase import misi
    from mssedu.models import default_training_tracks, train

    if quick:
        rows = []
        for kind in ("unet", "bandsplit"):
            res = train(None, valid=None, model_kind=kind, steps=1, batch_size=2, progress=False)
            rows.append(row(f"1 training step, tiny {kind}", "-", float("nan"), res.seconds,
                            f"{res.model.num_parameters():,} parameters"))
        return rows
    seconds = float(os.environ.get("MSSEDU_BENCH_TRAIN_SECONDS", 240))
    threads = int(os.environ.get("MSSEDU_BENCH_THREADS", 1))
    track = example_track()
    vocals = track.stems["vocals"]
    tracks = default_training_tracks(progress=False)
    irm = _vocals_sdr(vocals, oracle_separate(track, "irm", n_fft=2048, hop_length=512)["vocals"])
    rows = [row("oracle IRM (alpha 1, mixture phase), vocals SDR on example", "-", float("nan"),
                float("nan"), f"{irm:+.2f} dB: the ceiling of a mask with the mixture's phase")]
    before_threads = torch.get_num_threads()
    for kind in ("unet", "bandsplit"):
        torch.manual_seed(0)
        torch.set_num_threads(threads)
        load = [os.getloadavg()[0]]
        try:
            res = train(tracks, model_kind=kind, preset="tiny", max_seconds=seconds, seed=0, progress=False)
        finally:
            torch.set_num_threads(before_threads)
        load.append(os.getloadavg()[0])
        sep = res.separator
        t0 = time.perf_counter()
        est = sep.separate(track.mixture, progress=False)["vocals"]
        sep_s = time.perf_counter() - t0
        plain = _vocals_sdr(vocals, est)
        mags = sep.source_magnitudes(track.mixture).cpu()
        with_misi = _vocals_sdr(vocals, misi(mags.numpy(), track.mixture, n_iter=32, n_fft=2048,
                                            hop_length=512).estimates[0])
        assert isinstance(sep, BandSplitSeparator) == (kind == "bandsplit")
        rows.append(row(f"tiny {kind}, {seconds:.0f} s CPU training, vocals SDR on example",
                        "oracle IRM", float("nan"), res.seconds,
                        f"{plain:+.2f} dB (MISI 32: {with_misi:+.2f} dB); oracle IRM {irm:+.2f} dB; "
                        f"{res.model.num_parameters():,} parameters, {res.steps} steps "
                        f"({1000 * res.seconds / max(res.steps, 1):.0f} ms/step, {threads} thread(s), "
                        f"load {load[0]:.1f} -> {load[1]:.1f}), best synthetic val {res.best_sdr:+.2f} dB; "
                        f"separates the {track.mixture.shape[-1] / 44100:.1f}-s excerpt in {sep_s:.1f} s"))
    return rows + _htdemucs_rows(track)


def _htdemucs_rows(track) -> list:
    """HT-Demucs when its trained weights are on this machine (never downloaded here)."""
    from mssedu.separation import load_separator
    from mssedu.separation import find_weights

    if find_weights("htdemucs") is None:
        return [row("HT-Demucs, vocals SDR on example", "-", float("nan"), float("nan"),
                    "weights not present on this machine (`mssedu download htdemucs`): not scored")]
    sep = load_separator("htdemucs", device="cpu")
    t0 = time.perf_counter()
    est = sep.separate(track.mixture, progress=False)["vocals"]
    sep_s = time.perf_counter() - t0
    return [row("HT-Demucs, vocals SDR on example", "-", float("nan"), float("nan"),
                f"{_vocals_sdr(track.stems['vocals'], est):+.2f} dB; 41,984,456 parameters; "
                f"separates the excerpt in {sep_s:.1f} s")]


def _unfolded_rows(quick: bool) -> list:
    import torch

    from mssedu.data import ExcerptDataset, example_track, make_loader
    from mssedu.metrics import si_sdr
    from mssedu.phase import UnfoldedMISI, misi, train_unfolded
    from mssedu.models import UNetSeparator, default_training_tracks, shipped_checkpoint

    sep = UNetSeparator.from_checkpoint(shipped_checkpoint(), device="cpu")
    for p in sep.model.parameters():
        p.requires_grad_(False)
    seconds = 5.0 if quick else float(os.environ.get("MSSEDU_BENCH_UNFOLD_SECONDS", 180))
    tracks = default_training_tracks(n_songs=2 if quick else 8, progress=False)
    data = ExcerptDataset(tracks, seconds=2.0, targets=("vocals",), length=64, seed=0)
    loader = make_loader(data, batch_size=4, workers=0, seed=0)

    def batches():
        for b in loader:
            yield {**b, "accompaniment": b["mixture"] - b["vocals"]}

    class Cycle:
        def __iter__(self):
            return batches()

    torch.manual_seed(0)
    net = UnfoldedMISI(n_layers=5, n_sources=2, n_fft=2048, hop_length=512)
    hist = train_unfolded(net, Cycle(), sep.source_magnitudes, ("vocals", "accompaniment"),
                          steps=2 if quick else 10_000, lr=3e-3, max_seconds=seconds)
    track = example_track()
    vocals = track.stems["vocals"]
    A = sep.source_magnitudes(track.mixture)
    scores = {}
    for k in (0, 5, 32):
        scores[f"MISI {k}"] = float(si_sdr(vocals, misi(A.numpy(), track.mixture, n_iter=k, n_fft=2048,
                                                        hop_length=512).estimates[0]))
    with torch.no_grad():
        y = net(A, torch.from_numpy(track.mixture))[0].numpy()
    scores["unfolded 5"] = float(si_sdr(vocals, y))
    loss = hist["loss"]
    note = ("vocals SI-SDR on the example, shipped tiny U-Net masks: " +
            ", ".join(f"{k} {v:+.2f} dB" for k, v in scores.items()) +
            f"; {len(loss)} steps in {hist['seconds']:.0f} s, loss {np.mean(loss[:5]):.2f} -> "
            f"{np.mean(loss[-5:]):.2f} (SI-SDR loss, synthetic excerpts)")
    return [row("unfolded MISI K=5 vs plain MISI", "MISI 5", float("nan"), hist["seconds"], note)]


def run(quick: bool = False) -> list:
    which = os.environ.get("MSSEDU_BENCH_MODELS", "students,unfolded").split(",")
    return ((_student_rows(quick) if "students" in which else [])
            + (_unfolded_rows(quick) if "unfolded" in which else []))
