"""Mini U-Net: training throughput, separation speed, and the vocals SDR a 5-minute CPU
run reaches on the real excerpt (scored only, never used to choose weights).

Rows
----
- ``train step``: one AdamW step of the ``tiny`` preset on a batch of 16 patches of 1.5 s
  (STFT included), CPU, and CUDA when there is one. Note: examples/s.
- ``separate``: the tiny U-Net separating 30 s of stereo audio vs the oracle IRM
  (:func:`mssedu.masks.oracle_separate`, which needs the stems: the cost of the STFTs and
  the mask alone) as a reference for "how much of the time is the network".
- quality (full mode only): render (once, cached) 24 synthetic 30-s songs (style ``"studio"``) with
  :func:`mssedu.data.make_dataset`, train ``tiny`` for ``max_seconds=300`` on the CPU
  (validated on the default held-out synthetic songs), and score the vocals on
  :func:`mssedu.data.example_track` (never trained on, never validated on) with
  :func:`mssedu.metrics.bss_eval` (BSS-eval v4, median over 1-s windows). Baselines: mixture as estimate (about -6.2 dB),
  the best constant gain ``g * mixture`` (the image SDR is not scale-invariant, so a
  constant gain alone already gains ~7 dB), and the oracle IRM. Goal: U-Net >= baseline + 6 dB.
  Quick mode runs 3 training steps and scores the shipped checkpoint if there is one.
- 4 stems (quick mode, when ``unet_tiny_4stems`` ships): the SDR of every stem of the 4-stem
  checkpoint on the real excerpt (museval v4, all four evaluated jointly, median of 1-s
  frames), beside the oracle IRM with the same 2048/512 STFT (each stem against the rest) and
  the best constant gain per stem. Scored only; nothing is chosen by it.
"""
from __future__ import annotations

import time

import numpy as np

from . import best_of, row


STEMS = ("vocals", "drums", "bass", "other")


def _stem_sdrs(references: dict, estimates: dict, sr: int = 44100) -> dict:
    """BSS Eval v4 SDR of every stem (evaluated jointly), median over 1-s frames."""
    from mssedu.metrics import bss_eval

    df = bss_eval({k: references[k] for k in STEMS}, {k: estimates[k] for k in STEMS}, sr=sr, window=1.0)
    return {k: float(df.loc[k, "SDR"]) for k in STEMS}


def _four_stem_rows(track) -> list:
    from mssedu.errors import ParameterError
    from mssedu.masks import oracle_separate
    from mssedu.models import UNetSeparator, load_checkpoint, read_checkpoint, shipped_checkpoint

    try:
        ckpt = shipped_checkpoint("unet_tiny_4stems")
    except ParameterError:
        return []
    model, config = load_checkpoint(ckpt)
    est = UNetSeparator(model, device="cpu").separate(track.mixture, progress=False)
    irm = oracle_separate(track, "irm", n_fft=config.n_fft, hop_length=config.hop_length)
    gains = {k: float(np.sum(track.stems[k] * track.mixture) / np.sum(track.mixture ** 2)) for k in STEMS}
    unet, oracle = _stem_sdrs(track.stems, est), _stem_sdrs(track.stems, irm)
    const = _stem_sdrs(track.stems, {k: g * track.mixture for k, g in gains.items()})
    steps = read_checkpoint(ckpt).get("step")
    rows = [row(f"{k} SDR, shipped 4-stem tiny checkpoint", "-", float("nan"), float("nan"),
                f"{unet[k]:+.2f} dB; oracle IRM (same {config.n_fft}/{config.hop_length} STFT) {oracle[k]:+.2f} dB; "
                f"best constant gain ({gains[k]:.2f}) {const[k]:+.2f} dB") for k in STEMS]
    rows.append(row("mean SDR of 4 stems, shipped 4-stem tiny checkpoint", "-", float("nan"), float("nan"),
                    f"{np.mean(list(unet.values())):+.2f} dB; oracle IRM {np.mean(list(oracle.values())):+.2f} dB; "
                    f"constant gains {np.mean(list(const.values())):+.2f} dB (checkpoint: {steps} steps)"))
    return rows


def _vocals_sdr(reference, estimate, sr: int = 44100) -> float:
    """BSS Eval v4 SDR of one ``(channels, samples)`` estimate, median over 1-s frames."""
    from mssedu.metrics import bss_eval

    df = bss_eval({"vocals": reference}, {"vocals": estimate}, sr=sr, window=1.0)
    return float(df.loc["vocals", "SDR"])


def _throughput_rows(device_name: str, quick: bool) -> list:
    import torch

    from mssedu.losses import l1_loss
    from mssedu.models import MiniUNet, spectrogram_batch

    device = torch.device(device_name)
    torch.manual_seed(0)
    model = MiniUNet.from_preset("tiny").to(device)
    cfg = model.config
    batch_size = 16
    batch = {"mixture": 0.1 * torch.randn(batch_size, 2, cfg.patch_samples),
             "vocals": 0.05 * torch.randn(batch_size, 2, cfg.patch_samples)}
    opt = torch.optim.AdamW(model.parameters(), 1e-3)

    def step():
        X, S = spectrogram_batch(batch, ("vocals",), cfg.n_fft, cfg.hop_length, device)
        loss = l1_loss(S, model(X.abs()))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    t = best_of(step, repeat=2 if quick else 5, warmup=1)
    return [row(f"train step tiny, batch {batch_size} x 1.5 s, {device.type}", "-", float("nan"), t,
                f"{batch_size / t:.1f} examples/s ({model.num_parameters():,} parameters)")]


def _separation_row(quick: bool) -> list:
    from mssedu.data import Track
    from mssedu.masks import oracle_separate
    from mssedu.models import MiniUNet, UNetSeparator

    seconds = 10 if quick else 30
    rng = np.random.default_rng(0)
    vox = (0.1 * rng.standard_normal((2, 44100 * seconds))).astype(np.float32)
    acc = (0.1 * rng.standard_normal((2, 44100 * seconds))).astype(np.float32)
    track = Track("noise", 44100, vox + acc, {"vocals": vox, "accompaniment": acc})
    sep = UNetSeparator(MiniUNet.from_preset("tiny"), device="cpu")
    t_unet = best_of(lambda: sep.separate(track.mixture, progress=False), repeat=2)
    t_irm = best_of(lambda: oracle_separate(track, "irm", n_fft=2048, hop_length=512), repeat=2)
    return [row(f"separate {seconds}s stereo, tiny U-Net", "oracle IRM (same STFT)", t_irm, t_unet,
                f"{seconds / t_unet:.0f}x real time on CPU")]


def _quality_rows(quick: bool) -> list:
    import torch

    from mssedu.data import example_track
    from mssedu.errors import ParameterError
    from mssedu.masks import oracle_separate
    from mssedu.models import (UNetSeparator, default_training_tracks, load_checkpoint,
                             shipped_checkpoint, train)

    track = example_track()
    vocals = track.stems["vocals"]
    mix_sdr = _vocals_sdr(vocals, track.mixture)
    g = float(np.sum(vocals * track.mixture) / np.sum(track.mixture ** 2))
    gain_sdr = _vocals_sdr(vocals, g * track.mixture)
    irm_sdr = _vocals_sdr(vocals, oracle_separate(track, "irm", n_fft=2048, hop_length=512)["vocals"])
    base = f"mixture {mix_sdr:+.2f} dB, best constant gain ({g:.2f}) {gain_sdr:+.2f} dB, oracle IRM {irm_sdr:+.2f} dB"
    rows = []
    if quick:
        try:
            ckpt = shipped_checkpoint()
        except ParameterError:
            ckpt = None
        if ckpt is not None:
            model, _ = load_checkpoint(ckpt)
            est = UNetSeparator(model, device="cpu").separate(track.mixture, progress=False)["vocals"]
            sdr = _vocals_sdr(vocals, est)
            rows.append(row("vocals SDR, shipped tiny checkpoint", "mixture as estimate", float("nan"), float("nan"),
                            f"{sdr:+.2f} dB = {sdr - mix_sdr:+.2f} dB over the mixture; {base}"))
        return rows + _four_stem_rows(track)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    t0 = time.perf_counter()
    tracks = default_training_tracks(n_songs=24, seconds=30.0, seed=0, progress=False)
    render_s = time.perf_counter() - t0
    res = train(tracks, max_seconds=300, seed=0, progress=False, snapshots=True)
    last_step, last_state = res.snapshots[-1]
    scores = {}
    for label, model in (("best", res.model), ("last", res.model_at(last_step))):
        for wiener in (False, True):
            est = UNetSeparator(model, wiener=wiener, device="cpu").separate(track.mixture, progress=False)
            scores[(label, wiener)] = _vocals_sdr(vocals, est["vocals"])
    curve = ", ".join(f"{s}:{v:+.1f}" for s, v in zip(res.history["val_step"], res.history["val_sdr"]))
    note = (f"{res.steps} steps in {res.seconds:.0f} s ({res.examples_per_second():.1f} ex/s incl. "
            f"validation; data render {render_s:.0f} s, cached after); vocals SDR last {scores[('last', False)]:+.2f} "
            f"(Wiener {scores[('last', True)]:+.2f}), best-on-synthetic-val {scores[('best', False)]:+.2f} "
            f"(Wiener {scores[('best', True)]:+.2f}); gain over mixture (last) "
            f"{scores[('last', False)] - mix_sdr:+.2f} dB, goal >= +6; {base}; synthetic val curve (plain SDR) {curve}")
    rows.append(row("tiny U-Net, 5 min CPU training, vocals SDR on example", "mixture as estimate",
                    float("nan"), res.seconds, note))
    return rows


def run(quick: bool = False) -> list:
    import torch

    rows = _throughput_rows("cpu", quick)
    if torch.cuda.is_available():
        rows += _throughput_rows("cuda", quick)
    rows += _separation_row(quick)
    rows += _quality_rows(quick)
    return rows
