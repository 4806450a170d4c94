"""Deprecated: the separator interface is now :class:`mssedu.separation.Separator`."""
import warnings

from .separation import Separator  # noqa: F401

warnings.warn("mssedu.separator is now mssedu.separation.Separator; the old name goes away in "
              "the next release.", FutureWarning, stacklevel=2)
__all__ = ["Separator"]
