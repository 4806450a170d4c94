"""Plotting helpers for the course (matplotlib). Each chapter's figures live in a module of
this package; everything is importable from ``mssedu.plot`` directly."""
from .core import *  # noqa: F401,F403
from .core import __all__ as _core_all

__all__ = list(_core_all)

import importlib as _importlib

_CHAPTER_MODULES = ["stft", "masks", "phase", "evaluation", "classical", "unet", "pretrained", "spatial", "data"]
for _m in _CHAPTER_MODULES:
    try:
        _mod = _importlib.import_module(f"{__name__}.{_m}")
    except ModuleNotFoundError as _err:
        if _err.name != f"{__name__}.{_m}":
            raise
        continue
    for _name in getattr(_mod, "__all__", []):
        globals()[_name] = getattr(_mod, _name)
        __all__.append(_name)
