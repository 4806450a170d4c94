"""museval's BSS Eval metrics, importable where no ``ffmpeg`` program is installed.

``import museval`` runs museval's ``__init__``, which imports ``musdb``, which imports
``stempeg``, which raises ``RuntimeError`` at import when ``ffmpeg`` is not on PATH (every
Windows laptop and many Macs). The metrics themselves (``museval/metrics.py``: numpy and scipy
only) need nothing of that. So: import the package where it imports; elsewhere load its
``metrics.py`` on its own from the installed file (located without running ``__init__``).
The result is the same module either way: :data:`museval` ``.metrics.bss_eval``.

>>> from mssedu.compat.museval import museval
>>> callable(museval.metrics.bss_eval)
True
"""
from __future__ import annotations

import importlib.util
import types
from pathlib import Path

__all__ = ["museval", "load_metrics_alone"]


def load_metrics_alone() -> types.ModuleType:
    """museval's ``metrics`` module, loaded from its file without importing the package.

    Returns
    -------
    module
        ``museval/metrics.py`` as a module named ``mssedu.compat.museval_metrics``.
    """
    folder = Path(importlib.util.find_spec("museval").origin).parent   # finds; runs nothing
    spec = importlib.util.spec_from_file_location("mssedu.compat.museval_metrics",
                                                  folder / "metrics.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


try:
    import museval.metrics as _metrics
except RuntimeError:   # stempeg (through musdb) found no ffmpeg program
    _metrics = load_metrics_alone()

#: A stand-in for the ``museval`` package with the one part mssedu uses: ``.metrics``.
museval = types.SimpleNamespace(metrics=_metrics)
