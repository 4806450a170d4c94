"""Separation by query vs one U-Net per stem, at equal parameters and equal training compute.

    python scripts/compare_query.py conditioned --steps 600 --out cond.json --checkpoint cond.pt
    python scripts/compare_query.py per-target --steps 600 --out per.json

``conditioned``: one :class:`mssedu.models.ConditionedUNet` (``tiny`` preset, 8..128 channels,
4 queries) trained ``steps`` steps, one drawn stem per example. ``per-target``: four
:class:`mssedu.models.MiniUNet` of half the channels (4..64: a quarter of the parameters and
of the convolution work each), one per stem, ``steps`` steps each, so the four together have
the parameters and (to the per-step overheads) the arithmetic of the conditioned one. Both
train on the default synthetic songs (seed 0), without validation (last weights), and are
scored afterwards with plain SDR on the held-out synthetic validation songs (seed 10 000);
the real excerpt plays no part. CPU time of each run is reported.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from mssedu.metrics import sdr
from mssedu.models import (QUERY_STEMS, default_validation_tracks, save_checkpoint, separate_by_query,
                           separator_for, train)


def _train(kind: str, targets, steps: int, model: dict, seed: int) -> tuple:
    start = time.process_time()
    res = train(None, valid=None, model_kind=kind, targets=targets, steps=steps, max_seconds=None,
                device="cpu", progress=False, seed=seed, model=model)
    return res, time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=("conditioned", "per-target"))
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--out", required=True)
    parser.add_argument("--checkpoint")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    songs = default_validation_tracks(progress=False)
    report = {"which": args.which, "steps": args.steps, "seed": args.seed, "sdr": {}, "cpu_s": 0.0, "params": 0}
    if args.which == "conditioned":
        res, cpu = _train("conditioned", QUERY_STEMS, args.steps, {}, args.seed)
        report["cpu_s"], report["params"] = cpu, res.model.num_parameters()
        for stem in QUERY_STEMS:
            report["sdr"][stem] = float(np.mean([sdr(t.stems[stem], separate_by_query(res.model, t.mixture, stem))
                                                 for t in songs]))
        if args.checkpoint:
            save_checkpoint(args.checkpoint, res.model, train_config=res.train_config, step=res.steps,
                            history=res.history, overwrite=True)
    else:
        for stem in QUERY_STEMS:
            res, cpu = _train("unet", (stem,), args.steps, {"channels": (4, 8, 16, 32, 64)}, args.seed)
            report["cpu_s"] += cpu
            report["params"] += res.model.num_parameters()
            sep = separator_for(res.model, device="cpu")
            report["sdr"][stem] = float(np.mean([sdr(t.stems[stem], sep.separate(t.mixture, progress=False)[stem])
                                                 for t in songs]))
    report["mean_sdr"] = float(np.mean(list(report["sdr"].values())))
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
