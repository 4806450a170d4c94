"""Worker for tests/test_train_distributed.py, started by ``torchrun`` (one per rank).

Trains a small U-Net on toy songs with :func:`mssedu.models.train` (the same call a single
process makes) and saves this rank's final weights to ``OUT/rank<R>.pt``.
Usage: ``python -m torch.distributed.run --nproc_per_node=2 tests/ddp_worker.py OUT``.
"""
import os
import sys

import numpy as np
import torch

from mssedu.data import Track
from mssedu.models import train

SR = 8000
# no dropout: each rank draws its own dropout masks, a single process draws others
MODEL = dict(sr=SR, n_fft=256, hop_length=64, n_bins=64, channels=(4, 8, 16), patch_frames=16, dropout=0.0)
#: global batch 4, three steps, no augmentation randomness beyond the seeded excerpt draws
SETTINGS = dict(model=MODEL, batch_size=4, steps=3, val_every=100, songs_per_epoch=16,
                max_seconds=None, seed=0, schedule="constant")


def toy_tracks():
    """Three 'songs': a harmonic 'voice' over noise (stereo, 8 kHz), the same in every rank."""
    out = []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        t = np.arange(2 * SR) / SR
        f0 = rng.uniform(150, 400)
        voice = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6)) * 0.1
        voice = np.stack([voice, 0.8 * voice]).astype(np.float32)
        acc = (0.05 * rng.standard_normal((2, t.size))).astype(np.float32)
        out.append(Track(f"toy{seed}", SR, voice + acc, {"vocals": voice, "accompaniment": acc}))
    return out


def main(out_dir: str) -> None:
    torch.set_num_threads(1)
    result = train(toy_tracks(), valid=None, progress=False, **SETTINGS)
    rank = int(os.environ.get("RANK", "0"))
    torch.save({k: v.detach().cpu() for k, v in result.model.state_dict().items()},
               os.path.join(out_dir, f"rank{rank}.pt"))


if __name__ == "__main__":
    main(sys.argv[1])
