"""Run-time settings shared by every module and by the notebooks.

* :func:`fast_mode` -- ``MSSEDU_FAST=1``: shorter audio, fewer iterations (CI, quick looks);
* :func:`torch_device` -- the compute device (a GPU when there is one);
* :func:`cache_dir` -- where downloads and rendered data are kept.

Examples
--------
>>> from mssedu.config import fast_mode, torch_device
>>> isinstance(fast_mode(), bool), torch_device("cpu").type
(True, 'cpu')
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from .errors import DataError, ParameterError

__all__ = ["fast_mode", "torch_device", "cache_dir"]

_TRUE = ("1", "true", "yes", "on")


def fast_mode() -> bool:
    """Whether the course runs in its fast mode.

    Returns
    -------
    bool
        True when the environment variable ``MSSEDU_FAST`` is 1/true/yes/on: notebooks,
        the demo and benchmarks then use shorter audio and fewer iterations.
    """
    return os.environ.get("MSSEDU_FAST", "").strip().lower() in _TRUE


def torch_device(device="auto") -> torch.device:
    """Pick a torch device.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"`` (or None): CUDA if available, else Apple MPS, else CPU. An explicit
        ``"cuda"`` or ``"mps"`` that is not there is an error, not a crash later.

    Returns
    -------
    torch.device

    Raises
    ------
    ParameterError
        An unknown device name, or one this machine does not have.
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ParameterError(f"device={device!r} is not a torch device; use 'auto', 'cpu', "
                             "'cuda' or 'mps'.") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError("device='cuda' was asked for but no CUDA GPU is available; "
                             "use device='auto' or 'cpu'.")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ParameterError("device='mps' was asked for but Apple MPS is not available; "
                             "use 'auto' or 'cpu'.")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ParameterError(f"device={device!r} is not supported; use 'auto', 'cpu', 'cuda' or 'mps'.")
    return dev


def cache_dir(*parts) -> str:
    """Folder for downloads and generated data, created if needed.

    Parameters
    ----------
    *parts : str
        Sub-folders below the root (``$MSSEDU_CACHE`` or ``~/.cache/mssedu``).

    Returns
    -------
    str
        The folder's path.
    """
    root = os.environ.get("MSSEDU_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mssedu")
    path = os.path.join(root, *parts)
    try:
        os.makedirs(path, exist_ok=True)
    except (FileExistsError, NotADirectoryError):   # MSSEDU_CACHE (or a part) is a file
        blocker = next(p for p in [path, *Path(path).parents] if os.path.isfile(p))
        raise DataError(f"The cache folder {path} cannot be made: {blocker} is a file, not a "
                        "folder. Point MSSEDU_CACHE at a folder (or unset it).") from None
    except OSError as err:
        raise DataError(f"The cache folder {path} cannot be made: {err.strerror or err}. Point "
                        "MSSEDU_CACHE at a folder you can write.") from None
    return path
