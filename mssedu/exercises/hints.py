"""Hints that lead before they give: the first wrong try gets a nudge (the concept, the first
step), the next ones a more explicit hint, never the code.

>>> from mssedu.exercises.hints import ladder, forget
>>> forget("demo.x")
>>> ladder("demo.x", "Think of the stride.", "floor((n + 2p - k) / s) + 1")
'Think of the stride.'
>>> ladder("demo.x", "Think of the stride.", "floor((n + 2p - k) / s) + 1")
'Second hint: floor((n + 2p - k) / s) + 1'
"""
from __future__ import annotations

__all__ = ["ladder", "forget"]

# wrong tries so far, per exercise, in this kernel
_TRIES: dict = {}


def ladder(name: str, *hints: str) -> str:
    """The hint for this wrong try of exercise ``name``: the first hint on the first wrong
    try, the next on the next one, the last from then on.

    Parameters
    ----------
    name : str
        The exercise (``"<chapter>.<exercise>"``).
    *hints : str
        From the gentlest to the most explicit.

    Returns
    -------
    str
        The hint to show (later ones prefixed "Second hint: ", "Third hint: ").
    """
    k = min(_TRIES.get(name, 0), len(hints) - 1)
    _TRIES[name] = _TRIES.get(name, 0) + 1
    prefix = ("", "Second hint: ", "Third hint: ")[min(k, 2)]
    return prefix + hints[k]


def forget(name: str) -> None:
    """Start exercise ``name``'s hints again from the first.

    Parameters
    ----------
    name : str
        The exercise.
    """
    _TRIES.pop(name, None)
