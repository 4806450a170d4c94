"""Run-time settings shared by every module: fast mode and the compute device."""
from __future__ import annotations

import os

from ._errors import MsseduError


def fast_mode() -> bool:
    """True when ``MSSEDU_FAST`` is set to 1/true/yes: notebooks, the demo and benchmarks
    then use shorter audio and fewer iterations/steps (CI runs everything this way)."""
    return os.environ.get("MSSEDU_FAST", "").strip().lower() in ("1", "true", "yes", "on")


def torch_device(device="auto"):
    """Pick a torch device: ``"auto"`` gives CUDA if available, else Apple MPS, else CPU.
    An explicit ``"cuda"`` on a machine without one is a clear error, not a crash."""
    import torch

    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise MsseduError("device='cuda' was asked for but no CUDA GPU is available; "
                          "use device='auto' or 'cpu'.")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise MsseduError("device='mps' was asked for but Apple MPS is not available; use 'auto' or 'cpu'.")
    return dev


def cache_dir(*parts) -> str:
    """Folder for downloads and generated data: ``$MSSEDU_CACHE`` or ``~/.cache/mssedu``."""
    root = os.environ.get("MSSEDU_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mssedu")
    path = os.path.join(root, *parts)
    os.makedirs(path, exist_ok=True)
    return path
