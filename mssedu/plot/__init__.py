"""Plotting helpers for the course (matplotlib). Each chapter's figures live in a module of
this package (``core``, ``stft``, ``masks``, ...); everything is importable from
``mssedu.plot`` directly."""
from .._chapters import gather as _gather

__all__ = _gather(__name__, globals())
