"""Checked exercises for the notebooks: the registry, :func:`check` and the checkers' helpers.

A notebook cell asks the student to compute something, then calls::

    from mssedu.exercises import check
    check("masks.ibm", my_mask)

which prints a clear right/wrong verdict and, when wrong, a hint. The reference answer is
computed by mssedu itself (the same function the course teaches), never printed. Worked
solutions for instructors live in ``instructors/solutions/``, not in the student notebooks.

Each chapter registers its exercises in its own module in this package, named after the
chapter (:data:`mssedu.chapters.CHAPTERS`), with :func:`exercise`; :func:`check` finds them
by name (``"<chapter>.<exercise>"``).
"""
from __future__ import annotations

import ast
import importlib
import inspect
import numbers
import textwrap
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..chapters import CHAPTERS

__all__ = ["exercise", "check", "Result", "list_exercises", "close", "as_number", "check_function",
           "show_source", "Source"]

_REGISTRY: dict = {}
#: The package whose modules register the chapters' exercises (this module's package).
_PACKAGE = __name__.rsplit(".", 1)[0]


@dataclass
class Result:
    """The verdict of :func:`check`: truthy when the answer is right; a notebook shows it as
    a coloured box.

    Attributes
    ----------
    name : str
        The exercise.
    ok : bool
        Whether the answer is right.
    message : str
        What is right, or a hint at what is wrong.
    """

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
    """Decorator: register ``fn(answer, **context) -> (ok, message)`` as exercise ``name``.

    Parameters
    ----------
    name : str
        ``"<chapter>.<exercise>"``, the chapter's name first (see :mod:`mssedu.chapters`).

    Returns
    -------
    callable
        The decorator; it registers the checker and returns it unchanged.
    """
    def deco(fn: Callable):
        _REGISTRY[name] = fn
        return fn
    return deco


def _load(name: str):
    """Import the module that registers exercise ``name`` (found by its chapter)."""
    prefix = name.split(".", 1)[0]
    for chapter in CHAPTERS:
        if chapter.name == prefix:
            importlib.import_module(f"{_PACKAGE}.{chapter.name}")


def check(name: str, answer, **context) -> Result:
    """Check ``answer`` for exercise ``name``.

    Never raises for a wrong answer: an unknown name, an unanswered ``...`` or an answer of
    the wrong type come back as a :class:`Result` that is not ok and says why.

    Parameters
    ----------
    name : str
        The exercise, ``"<chapter>.<exercise>"`` (see :func:`list_exercises`).
    answer : object
        The student's answer.
    **context
        Extra inputs the exercise's checker takes (e.g. the signals the notebook used).

    Returns
    -------
    Result
        Truthy when right; notebooks display it as a coloured verdict.
    """
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
    """Every registered exercise name, after importing each chapter's exercise module.

    Returns
    -------
    list of str
        Sorted names (a chapter whose module needs a missing optional package is left out).
    """
    for chapter in CHAPTERS:
        try:
            importlib.import_module(f"{_PACKAGE}.{chapter.name}")
        except ModuleNotFoundError:
            pass
    return sorted(_REGISTRY)


def close(answer, expected, name="answer", rtol=1e-3, atol=1e-5, hint=""):
    """Helper for exercise checkers: compare arrays or numbers, with a shape message and a hint.

    Parameters
    ----------
    answer : array_like
        The student's value.
    expected : array_like
        The reference value.
    name : str
        What the value is, for the messages.
    rtol, atol : float
        Tolerances of :func:`numpy.allclose`.
    hint : str
        Appended to the message when the answer is wrong.

    Returns
    -------
    ok : bool
        Whether the shapes agree and the values are close.
    message : str
        "Matches the reference." or what differs, plus ``hint``.
    """
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
    """``answer`` as a float if it is one real number (a size-1 array counts).

    Parameters
    ----------
    answer : object
        The student's value.
    name : str
        What the value is, for the message.

    Returns
    -------
    float
        The number.

    Raises
    ------
    TypeError
        ``answer`` is not one real number; :func:`check` shows the message to the student.
    """
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        raise TypeError(f"{name} should be a single number, got {type(answer).__name__}")
    return float(answer)


def check_function(fn, cases, reference, mistakes=(), name="your function", rtol=1e-4, atol=1e-6,
                   hint=""):
    """Helper for "build it yourself" checkers: call the student's function on each case and
    compare with the reference; when it differs, say which known mistake it matches.

    Parameters
    ----------
    fn : callable
        The student's function.
    cases : list of tuple
        Positional arguments for each call.
    reference : callable
        The right implementation (same arguments).
    mistakes : sequence of (callable, str)
        Implementations of common mistakes, each with the hint to give when the student's
        output matches it on every case.
    name : str
        What the function is, for the messages.
    rtol, atol : float
        Tolerances of :func:`numpy.allclose`.
    hint : str
        The hint when the output is wrong and matches no known mistake.

    Returns
    -------
    ok : bool
        Whether every case matches the reference.
    message : str
        "Matches the reference ..." or what is wrong, with a hint.
    """
    if not callable(fn):
        return False, (f"Answer with the function itself (its name, without calling it), "
                       f"got {type(fn).__name__}.")
    outs = []
    for args in cases:
        try:
            outs.append(fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args]))
        except Exception as err:  # the student's code: report, never crash the notebook
            return False, f"{name} raised {type(err).__name__}: {err}. {hint}"
        if outs[-1] is None or outs[-1] is Ellipsis:
            return False, ("No answer yet: your function returns nothing (or `...`); replace the "
                           "`...` with your code and run the cell again.")

    def same(a, b):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
            return False
        if np.iscomplexobj(a) and not np.iscomplexobj(b):
            return False
        return bool(np.allclose(a.astype(np.complex128), b.astype(np.complex128), rtol=rtol,
                                atol=atol, equal_nan=True))

    expected = [reference(*args) for args in cases]
    if all(same(o, e) for o, e in zip(outs, expected)):
        return True, f"Matches the reference on all {len(cases)} test inputs."
    for wrong, why in mistakes:
        try:
            if all(same(o, wrong(*args)) for o, args in zip(outs, cases)):
                return False, why
        except Exception:  # a mistake that cannot run on these inputs is not this one
            continue
    for o, e in zip(outs, expected):
        if np.shape(o) != np.shape(e):
            return False, f"{name} returned shape {np.shape(o)}; expected {np.shape(e)}. {hint}"
    return False, f"{name} returns the right shapes but different values. {hint}"


class Source:
    """Source code of a function or class, shown highlighted in a notebook (plain text
    elsewhere). Made by :func:`show_source`.

    Attributes
    ----------
    name : str
        Qualified name of the object.
    text : str
        Its source code.
    """

    def __init__(self, name: str, text: str):
        self.name = name
        self.text = text

    def _repr_markdown_(self):
        return f"`{self.name}`\n\n```python\n{self.text}\n```"

    def __repr__(self):
        return f"# {self.name}\n{self.text}"


def _public_module(obj):
    """The shortest module path a student imports ``obj`` from: ``mssedu.metrics`` for
    ``si_sdr``, which is written in ``mssedu.metrics.ratios`` and re-exported by its package."""
    module = getattr(obj, "__module__", None)
    if not module:
        return module
    parts = module.split(".")
    for k in range(1, len(parts)):      # from the shortest: mssedu, mssedu.metrics, ...
        shorter = ".".join(parts[:k])
        if k > 1 and getattr(importlib.import_module(shorter), getattr(obj, "__name__", ""), None) is obj:
            return shorter
    return module


def show_source(obj, docstring: bool = True) -> Source:
    """The readable implementation of a course function, to read next to the maths.

    Parameters
    ----------
    obj : callable or module
        A function, class or module of mssedu (or any Python object whose source is known).
    docstring : bool
        Keep the docstring (``False``: only the signature and the code).

    Returns
    -------
    Source
        Displays as highlighted code in a notebook.

    Examples
    --------
    >>> from mssedu import spectral
    >>> from mssedu.exercises import show_source
    >>> "rfft" in show_source(spectral.stft).text
    True
    """
    text = textwrap.dedent(inspect.getsource(obj))
    name = ".".join(p for p in (_public_module(obj),
                                getattr(obj, "__qualname__", getattr(obj, "__name__", ""))) if p)
    if not docstring:
        tree = ast.parse(text)
        node = tree.body[0] if tree.body else None
        body = getattr(node, "body", None)
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            lines = text.splitlines()
            text = "\n".join(lines[:body[0].lineno - 1] + lines[body[0].end_lineno:])
    return Source(name, text.rstrip())
