"""The one exception type of mssedu, and the small input checks every module shares."""
from __future__ import annotations

import numpy as np


class MsseduError(ValueError):
    """Something about the input is wrong; the message says what, and what to do about it.

    It subclasses :class:`ValueError`, so ``except ValueError`` also catches it.
    """


def check_finite(x, name: str = "signal") -> None:
    """Raise :class:`MsseduError` if ``x`` (numpy array or torch tensor) holds NaN or inf."""
    try:
        import torch

        if isinstance(x, torch.Tensor):
            bad = int((~torch.isfinite(x)).sum())
            total = x.numel()
        else:
            raise TypeError
    except (ImportError, TypeError):
        arr = np.asarray(x)
        if not np.issubdtype(arr.dtype, np.number):
            raise MsseduError(f"{name} must be numeric, got dtype {arr.dtype}.") from None
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        total = arr.size
    if bad:
        raise MsseduError(
            f"{name} contains {bad} NaN/inf value(s) out of {total}. "
            "Check the file or the processing step that produced it "
            "(np.nan_to_num can replace them if that is what you want)."
        )


def as_signal(x, name: str = "signal", min_samples: int = 1) -> np.ndarray:
    """Return ``x`` as a float32 numpy array shaped ``(..., samples)``, checked for NaN/inf
    and for having at least ``min_samples`` samples."""
    arr = np.asarray(x)
    if arr.ndim == 0:
        raise MsseduError(f"{name} must be an array shaped (..., samples), got a scalar.")
    check_finite(arr, name)
    arr = arr.astype(np.float32, copy=False)
    if arr.shape[-1] < min_samples:
        raise MsseduError(
            f"{name} has {arr.shape[-1]} samples, fewer than the {min_samples} needed "
            "(e.g. one analysis frame). Use a longer clip or a smaller n_fft."
        )
    return arr


def check_rate(sr, name: str = "sr") -> int:
    """Validate a sample rate and return it as int."""
    try:
        ok = sr is not None and np.isscalar(sr) and float(sr) > 0 and float(sr) == int(sr)
    except (TypeError, ValueError, OverflowError):  # "44.1k", inf, ...
        ok = False
    if not ok:
        raise MsseduError(f"{name} must be a positive whole number of Hz, got {sr!r}.")
    return int(sr)
