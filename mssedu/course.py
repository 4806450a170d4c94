"""The course as a folder of notebooks a student owns, and JupyterLab to open it.

The student notebooks travel inside the installed package, as package data under
``mssedu/course_files/`` (``setup.py`` copies them there when the wheel is built; the
repository keeps them in ``notebooks/``). In a checkout, the repository's folder is used
directly. The instructors' material (solutions, notes, hidden tests) is never in the
package: instructors get it from the repository or an instructor archive
(:mod:`mssedu.instructors`).

:func:`copy_course` puts the notebooks into a working folder and never replaces a notebook
the student has edited: a second run adds only the missing ones; ``update=True`` refreshes
the changed ones and keeps the student's version as ``NAME.backup-<time>.ipynb``.
:func:`lab_command` is the JupyterLab command line (``--allow-root`` when run as root, as
in containers, Colab and Binder), so ``mssedu course``, ``mssedu lab`` and ``./course lab``
start the lab the same way on Linux, macOS and Windows.

>>> from mssedu.course import course_folder
>>> sorted(p.name for p in course_folder("notebooks").glob("0[01]_*.ipynb"))
['00_sound.ipynb', '01_stft.ipynb']
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from .atomic import writable_folder
from .errors import DataError, ParameterError

__all__ = ["COURSE_PARTS", "DEFAULT_FOLDER", "course_folder", "copy_course", "is_root",
           "lab_command"]

#: What the package carries beside the code: name -> what it is.
COURSE_PARTS = {"notebooks": "the student notebooks"}   # instructors: see mssedu.instructors
#: Where ``mssedu course`` puts the notebooks when no folder is given.
DEFAULT_FOLDER = "mssedu-course"
#: Never copied: editor and Python caches.
IGNORED = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")


def course_folder(part: str = "notebooks") -> Path:
    """The folder of one part of the course as installed (or in this checkout).

    Parameters
    ----------
    part : {"notebooks"}
        Which part (see :data:`COURSE_PARTS`).

    Returns
    -------
    pathlib.Path
        ``mssedu/course_files/<part>`` in an installed wheel, else ``<checkout>/<part>``.

    Raises
    ------
    ParameterError
        ``part`` is not one of :data:`COURSE_PARTS`.
    DataError
        Neither exists (a broken installation).
    """
    if part not in COURSE_PARTS:
        raise ParameterError(f"part must be one of {sorted(COURSE_PARTS)}, got {part!r}.")
    here = Path(__file__).resolve().parent
    for cand in (here / "course_files" / part, here.parent / part):
        if cand.is_dir() and any(cand.iterdir()):
            return cand
    raise DataError(f"The course's {part} folder is missing from this installation ({here}). "
                    "Reinstall mssedu from a wheel or the repository: "
                    "`python -m pip install --force-reinstall mssedu`.")


def _backup_name(path: Path, stamp: str) -> Path:
    cand = path.with_name(f"{path.stem}.backup-{stamp}{path.suffix}")
    k = 1
    while cand.exists():
        cand = path.with_name(f"{path.stem}.backup-{stamp}-{k}{path.suffix}")
        k += 1
    return cand


def copy_course(dest=DEFAULT_FOLDER, update: bool = False, part: str = "notebooks") -> dict:
    """Copy the course notebooks into ``dest`` without ever losing a student's work.

    A file missing in ``dest`` is copied. A file already there and identical is left alone.
    A file already there and different (the student's edits) is kept as it is, unless
    ``update`` is true: then it is first renamed to ``NAME.backup-YYYYmmdd-HHMMSS.ipynb``
    (never replacing an earlier backup) and the shipped version is copied.

    Parameters
    ----------
    dest : str or pathlib.Path
        The working folder (created if needed).
    update : bool
        Refresh changed files from the shipped ones, keeping a backup of each.
    part : {"notebooks"}
        What to copy (see :data:`COURSE_PARTS`).

    Returns
    -------
    dict
        ``folder`` (the resolved ``dest``) and lists of relative paths: ``copied`` (new),
        ``same`` (identical already), ``kept`` (edited, left alone), ``updated`` (edited,
        refreshed) and ``backups`` (where the edited versions went).

    Raises
    ------
    DataError
        ``dest`` cannot be created or written (the message names the folder).
    """
    source = course_folder(part)
    dest = writable_folder(Path(dest).expanduser().resolve(), "Give another folder you own, e.g. "
                           "`mssedu course ~/mssedu-course`.", what="course folder")
    report = {"folder": dest, "copied": [], "same": [], "kept": [], "updated": [], "backups": []}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for root, dirs, files in os.walk(source):
        ignored = set(IGNORED(root, dirs + files))
        dirs[:] = sorted(d for d in dirs if d not in ignored)
        for name in sorted(f for f in files if f not in ignored):
            src = Path(root) / name
            rel = src.relative_to(source)
            target = dest / rel
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target)
                report["copied"].append(rel.as_posix())
            elif target.read_bytes() == src.read_bytes():
                report["same"].append(rel.as_posix())
            elif not update:
                report["kept"].append(rel.as_posix())
            else:
                backup = _backup_name(target, stamp)
                target.rename(backup)
                shutil.copyfile(src, target)
                report["updated"].append(rel.as_posix())
                report["backups"].append(backup.relative_to(dest).as_posix())
    return report


def is_root() -> bool:
    """Does this process run as the superuser (POSIX uid 0)? Always false on Windows.

    Returns
    -------
    bool
        True for uid 0 (containers, Colab, Binder-like machines).
    """
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab_command(folder, extra=(), no_browser: bool = False, python=None) -> list:
    """The command line that opens JupyterLab on ``folder``.

    ``--allow-root`` is added when running as root (JupyterLab refuses to start as root
    without it); ``extra`` arguments go to JupyterLab unchanged and last, so they win
    (e.g. ``["--port=9999", "--ip=0.0.0.0"]``).

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder JupyterLab shows (its root directory).
    extra : sequence of str
        More JupyterLab arguments.
    no_browser : bool
        Do not open a web browser.
    python : str or None
        The interpreter (default: the one running now, i.e. this environment).

    Returns
    -------
    list of str
        The command, for :func:`subprocess.call`.
    """
    cmd = [python or sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={Path(folder)}"]
    if no_browser:
        cmd.append("--no-browser")
    if is_root() and "--allow-root" not in extra:
        cmd.append("--allow-root")
    return cmd + [str(a) for a in extra]
