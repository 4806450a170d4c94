"""Data-parallel training under torchrun: 2 CPU processes (gloo) on a loopback rendezvous.

References: (1) the ranks must hold the *same* weights after training (DDP averages the
gradients, so any difference is a bug); (2) the result must match a single process that
sees the same global batch, split into the same two halves (``accumulate=2``: per-half
BatchNorm statistics, as in each rank; no dropout, whose masks are drawn per process), up
to float rounding of the gradient average: the distance between the two results must be
below 1e-3 of the distance training moved the weights (AdamW's first steps are nearly
``lr * sign(gradient)``, so a rounding-level gradient that changes sign moves one weight by
``2 lr``; on one thread per process the results are in fact bit-identical).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

import ddp_worker  # noqa: E402

from mssedu.models import MiniUNet, UNetConfig, seed_everything, train  # noqa: E402

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(args, tmp_path, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(ROOT), GLOO_SOCKET_IFNAME="lo", OMP_NUM_THREADS="1",
               MSSEDU_CACHE=str(tmp_path / "cache"))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
           "--master_addr=127.0.0.1", f"--master_port={_free_port()}", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_two_cpu_ranks_match_each_other_and_a_single_process(tmp_path):
    out = _torchrun([str(ROOT / "tests" / "ddp_worker.py"), str(tmp_path)], tmp_path)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    w0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    w1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    for k in w0:
        if k.endswith("num_batches_tracked") or "running_" in k:
            continue   # BatchNorm buffers: DDP keeps rank 0's at each forward
        assert torch.equal(w0[k], w1[k]), k

    threads = torch.get_num_threads()
    torch.set_num_threads(1)       # as each rank
    try:
        single = train(ddp_worker.toy_tracks(), valid=None, progress=False, accumulate=2,
                       **ddp_worker.SETTINGS).model.state_dict()
    finally:
        torch.set_num_threads(threads)
    seed_everything(0)
    init = MiniUNet(UNetConfig(**ddp_worker.MODEL, targets=("vocals",))).state_dict()
    keys = [k for k, v in single.items() if v.is_floating_point() and "running_" not in k]
    flat = lambda sd: torch.cat([sd[k].flatten() for k in keys])   # noqa: E731
    moved = float((flat(single) - flat(init)).norm())
    apart = float((flat(w0) - flat(single)).norm())
    assert moved > 1e-2                  # training did change the weights ...
    assert apart < 1e-3 * moved, (apart, moved)   # ... and two ranks changed them as one process


def test_mssedu_train_runs_unchanged_under_torchrun(tmp_path):
    from mssedu.data import save_multitrack

    data = tmp_path / "songs"
    for t in ddp_worker.toy_tracks():
        save_multitrack(t, data / t.name)
    ckpt = tmp_path / "ddp.pt"
    out = _torchrun(["-m", "mssedu", "train", "--data", str(data), "--valid", "none", "--steps", "2",
                     "--seconds", "0", "--batch-size", "4", "--checkpoint", str(ckpt), "--quiet"], tmp_path)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    assert ckpt.is_file() and out.stdout.count("trained 2 steps") == 1   # rank 0 alone reports
