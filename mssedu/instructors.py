"""Where the instructors' material is, and the archive that carries it without a checkout.

Students install mssedu from a wheel or an sdist that holds the student notebooks only: no
instructor source, worked solution, note or hidden test (a test inspects both). The
instructors' material is an ``instructors/`` folder holding ``assignments/NN_<name>.ipynb``
(the sources: notebook, solutions, notes, tests) and ``solutions/NN_<name>.md``. An
instructor has it as

* the repository's ``instructors/`` (a git checkout), or
* an *instructor archive* that :func:`archive` builds from it (``mssedu assign archive``):
  ``mssedu-instructors-<version>.tar.gz``, to share privately with the course's staff, never
  with students. Unpack it anywhere and run ``mssedu assign ...`` or ``mssedu grade ...``
  there, or pass ``--source PATH/instructors``.

>>> folder = instructors_folder()          # this checkout's
>>> (folder / "assignments").is_dir()
True
"""
from __future__ import annotations

import os
import tarfile
from pathlib import Path

from . import __version__
from .errors import ParameterError

__all__ = ["instructors_folder", "archive", "WHERE_TO_GET", "CHECKOUT"]

#: The repository checkout this package sits in (when it is one).
CHECKOUT = Path(__file__).resolve().parent.parent
#: What to do without the instructors' material.
WHERE_TO_GET = ("The instructors' material (sources with solutions and hidden tests) is not part "
                "of the mssedu package that students install. Get it from the course repository "
                "(`git clone https://github.com/mssedu/mssedu`, folder instructors/) or from the "
                "instructor archive your course staff built with `mssedu assign archive`, unpack "
                "it, and run the command there or pass --source PATH/TO/instructors.")


def _is_instructors(folder: Path) -> bool:
    return (folder / "assignments").is_dir() and any((folder / "assignments").glob("[0-9][0-9]_*.ipynb"))


def instructors_folder(source=None) -> Path:
    """The instructors' folder to use.

    Parameters
    ----------
    source : path-like, optional
        Given by the user (``--source``): the ``instructors/`` folder, or a folder holding
        one (an unpacked archive, a checkout). Default: ``./instructors`` or ``.`` when the
        current folder is (or holds) one, else this package's checkout.

    Returns
    -------
    pathlib.Path
        A folder with ``assignments/NN_*.ipynb``.

    Raises
    ------
    ParameterError
        None found; the message says where to get the material.
    """
    if source is not None:
        given = Path(source).expanduser()
        for cand in (given, given / "instructors"):
            if _is_instructors(cand):
                return cand.resolve()
        raise ParameterError(f"{given} holds no instructor sources (assignments/NN_<name>.ipynb). "
                             + WHERE_TO_GET)
    here = Path.cwd()
    for cand in (here / "instructors", here, CHECKOUT / "instructors"):
        if _is_instructors(cand):
            return cand.resolve()
    raise ParameterError("No instructors' folder here, nor a checkout around mssedu. " + WHERE_TO_GET)


def _keep(info: tarfile.TarInfo):
    """Leave out caches and checkpoints; owner-neutral entries."""
    parts = Path(info.name).parts
    if any(p in ("__pycache__", ".ipynb_checkpoints") or p.startswith(".") for p in parts):
        return None
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def archive(out=None, source=None) -> Path:
    """Pack the instructors' folder as ``instructors/...`` in a ``.tar.gz``.

    Parameters
    ----------
    out : path-like, optional
        The archive to write (default ``./mssedu-instructors-<version>.tar.gz``); an existing
        file is refused.
    source : path-like, optional
        The instructors' folder (see :func:`instructors_folder`).

    Returns
    -------
    pathlib.Path
        The archive, written whole (a temporary name, then renamed).

    Raises
    ------
    ParameterError
        No instructors' folder, or ``out`` exists already.
    """
    folder = instructors_folder(source)
    out = Path(out or f"mssedu-instructors-{__version__}.tar.gz").expanduser().resolve()
    if out.exists():
        raise ParameterError(f"{out} exists already: pass another --out or remove it.")
    part = out.with_name(f".{out.name}.part")
    with tarfile.open(part, "w:gz") as tar:
        tar.add(folder, arcname="instructors", filter=_keep)
    os.replace(part, out)
    return out
