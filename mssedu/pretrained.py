"""Deprecated: ``mssedu.pretrained`` is now :mod:`mssedu.separation` (kept for one release)."""
import warnings

from .chunking import plan_chunks
from .separation import *  # noqa: F401,F403
from .separation import __all__ as _names

warnings.warn("mssedu.pretrained is now mssedu.separation (load_separator, separate, evaluate, "
              "compare, download...); the old name goes away in the next release.",
              FutureWarning, stacklevel=2)
__all__ = list(_names) + ["plan_windows"]


def plan_windows(length, window, margin, fade, stride):
    """Deprecated: :func:`mssedu.chunking.plan_chunks` (returns ``Chunk`` objects)."""
    return [(c.start, c.stop, c.keep_start, c.keep_stop)
            for c in plan_chunks(length, window, fade, margin, stride)]
