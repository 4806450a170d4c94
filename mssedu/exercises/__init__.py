"""Checked exercises for the notebooks.

A notebook cell asks the student to compute something, then calls::

    from mssedu.exercises import check
    check("masks.ibm", my_mask)

which prints a clear right/wrong verdict and, when wrong, a hint. The reference answer is
computed by mssedu itself (the same function the course teaches), never printed. Worked
solutions for instructors live in ``instructors/solutions/``, not in the student notebooks.

Each chapter registers its exercises in its own module in this package with
:func:`exercise`; :func:`check` finds them by name (``"<chapter>.<name>"``).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

__all__ = ["exercise", "check", "Result", "list_exercises", "close", "as_number"]

_REGISTRY: dict = {}
#: chapter prefix -> module in this package that registers it
_CHAPTERS = {"sound": "ch00_sound", "stft": "ch01_stft", "masks": "ch02_masks",
             "phase": "ch03_phase", "eval": "ch04_evaluation", "classical": "ch05_classical",
             "unet": "ch06_unet", "pretrained": "ch07_pretrained", "beyond": "ch08_beyond"}


@dataclass
class Result:
    name: str
    ok: bool
    message: str

    def _repr_html_(self):
        colour = "#1a7f37" if self.ok else "#b3261e"
        mark = "✔ Correct" if self.ok else "✘ Not yet"
        return (f"<div style='border-left:4px solid {colour};padding:4px 10px'>"
                f"<b style='color:{colour}'>{mark}</b> &mdash; <code>{self.name}</code><br>"
                f"{self.message}</div>")

    def __repr__(self):
        return f"{'✔ Correct' if self.ok else '✘ Not yet'} [{self.name}] {self.message}"

    def __bool__(self):
        return self.ok


def exercise(name: str):
    """Register ``fn(answer) -> (ok: bool, message: str)`` as exercise ``name``."""
    def deco(fn: Callable):
        _REGISTRY[name] = fn
        return fn
    return deco


def _load(name: str):
    chapter = name.split(".", 1)[0]
    mod = _CHAPTERS.get(chapter)
    if mod is not None:
        importlib.import_module(f"{__name__}.{mod}")


def check(name: str, answer, **context) -> Result:
    """Check ``answer`` for exercise ``name``; returns a :class:`Result` that notebooks
    display as a coloured verdict (and that is truthy when right)."""
    _load(name)
    if name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none loaded"
        return Result(name, False, f"Unknown exercise name. Known: {known}.")
    if answer is None or answer is Ellipsis:
        return Result(name, False, "No answer yet: replace the `...` with your code and run the cell again.")
    try:
        ok, message = _REGISTRY[name](answer, **context)
    except Exception as err:  # a student's wrong type/shape must not kill the notebook
        ok, message = False, f"Your answer could not be checked: {type(err).__name__}: {err}"
    return Result(name, bool(ok), message)


def list_exercises() -> list:
    for mod in set(_CHAPTERS.values()):
        try:
            importlib.import_module(f"{__name__}.{mod}")
        except ModuleNotFoundError:
            pass
    return sorted(_REGISTRY)


def close(answer, expected, name="answer", rtol=1e-3, atol=1e-5, hint=""):
    """Helper for exercise checkers: compare arrays/numbers, with a shape message and a hint."""
    import numpy as np

    a = np.asarray(answer)
    e = np.asarray(expected)
    if a.shape != e.shape:
        return False, f"{name} has shape {a.shape}; expected {e.shape}. {hint}"
    if not np.issubdtype(a.dtype, np.number) and a.dtype != bool:
        return False, f"{name} must be numeric, got dtype {a.dtype}."
    if np.allclose(a.astype(np.complex128), e.astype(np.complex128), rtol=rtol, atol=atol, equal_nan=False):
        return True, "Matches the reference."
    err = float(np.max(np.abs(a.astype(np.complex128) - e.astype(np.complex128))))
    return False, f"{name} differs from the reference (largest difference {err:.3g}). {hint}"


def as_number(answer, name="answer") -> float:
    """``answer`` as a float if it is one real number (a size-1 array counts); otherwise a
    TypeError whose message :func:`check` shows the student."""
    import numbers

    import numpy as np

    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise TypeError(f"{name} should be a single number, got {type(answer).__name__}")
    return float(answer)
