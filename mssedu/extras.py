"""The optional parts of mssedu (pip's *extras*) and the one message that says how to get one.

A student's ``pip install`` brings what every notebook needs to run top to bottom. What only
one command or one cell uses, what costs much disk or needs a compiler, and what the user's
own Jupyter already has, is an extra:

* ``lab`` -- JupyterLab, which ``mssedu course`` opens (45 packages). The README's student line
  installs it; Colab, a JupyterHub, Binder and VS Code bring their own front end.
* ``voices`` -- sung synthetic vocals: the WORLD vocoder (``pyworld``; wheels for Windows
  only, elsewhere pip compiles it) and the ``espeak-ng`` program. Without it the synthetic
  songs play the melody on a voice patch.
* ``app`` -- the workshop page, ``mssedu app``, served by Voila.
* ``pretrained`` -- demucs' model code for HT-Demucs (notebook 7, ``mssedu separate
  --model htdemucs``). Without it notebook 7 carries on with the mini U-Net.

:data:`EXTRAS` is the same list as ``[project.optional-dependencies]`` in ``pyproject.toml``
(a test compares them). The install line names the packages themselves, so it works however
mssedu itself was installed (a wheel, a git URL, a checkout).
"""
from __future__ import annotations

import importlib.util

from .errors import ParameterError

__all__ = ["EXTRAS", "installed", "install_line", "missing"]

#: extra -> the requirements pip installs for it, the modules that must import, what it gives
EXTRAS = {
    "lab": {"requires": ("jupyterlab>=4",), "modules": ("jupyterlab",),
            "gives": "JupyterLab, which `mssedu course` opens the notebooks in"},
    "voices": {"requires": ("pyworld>=0.3.4", "setuptools<81"), "modules": ("pyworld",),
               "gives": "sung synthetic vocals (the WORLD vocoder)"},
    "app": {"requires": ("voila>=0.5",), "modules": ("voila",),
            "gives": "the workshop app (`mssedu app`, served by Voila)"},
    "pretrained": {"requires": ("demucs==4.1.0",), "modules": ("demucs",),
                   "gives": "the pretrained HT-Demucs models (demucs' model code)"},
}


def _extra(name: str) -> dict:
    """The :data:`EXTRAS` entry of ``name``, or a refusal that lists the extras."""
    if name not in EXTRAS:
        raise ParameterError(f"extra must be one of {sorted(EXTRAS)}, got {name!r}.")
    return EXTRAS[name]


def installed(name: str) -> bool:
    """Whether the optional extra ``name`` is installed here (its modules can be found).

    Parameters
    ----------
    name : str
        An extra of :data:`EXTRAS`.

    Returns
    -------
    bool
        True when every module of the extra is importable (nothing is imported).

    Raises
    ------
    ParameterError
        ``name`` is not an extra of mssedu.

    Examples
    --------
    >>> installed("app") in (True, False)
    True
    """
    return all(importlib.util.find_spec(m) is not None for m in _extra(name)["modules"])


def install_line(name: str) -> str:
    """The pip command that installs the extra ``name`` into this Python.

    Parameters
    ----------
    name : str
        An extra of :data:`EXTRAS`.

    Returns
    -------
    str
        E.g. ``python -m pip install "voila>=0.5"``.

    Raises
    ------
    ParameterError
        ``name`` is not an extra of mssedu.

    Examples
    --------
    >>> install_line("app")
    'python -m pip install "voila>=0.5"'
    """
    return "python -m pip install " + " ".join(f'"{r}"' for r in _extra(name)["requires"])


def missing(name: str, instead: str = "") -> str:
    """The message for a missing extra: what it gives, what happens instead, how to get it.

    Parameters
    ----------
    name : str
        An extra of :data:`EXTRAS`.
    instead : str
        What the caller does without it (a sentence; empty: nothing is said).

    Returns
    -------
    str
        One paragraph for the user.

    Raises
    ------
    ParameterError
        ``name`` is not an extra of mssedu.

    Examples
    --------
    >>> print(missing("app", instead="Nothing is served."))  # doctest: +NORMALIZE_WHITESPACE
    The optional extra mssedu[app] is not installed: the workshop app (`mssedu app`, served by
    Voila). Nothing is served. To add it: `python -m pip install "voila>=0.5"`, then restart
    the kernel or the command.
    """
    extra = _extra(name)
    said = f"The optional extra mssedu[{name}] is not installed: {extra['gives']}."
    return " ".join(filter(None, [said, instead.strip(), f"To add it: `{install_line(name)}`, then restart "
                                                        "the kernel or the command."]))
