"""The course as a folder of notebooks a student owns, and JupyterLab to open it.

The student notebooks travel inside the installed package, as package data under
``mssedu/course_files/`` (``setup.py`` copies them there when the wheel is built; the
repository keeps them in ``notebooks/``). In a checkout, the repository's folder is used
directly. The instructors' material (solutions, notes, hidden tests) is never in the
package: instructors get it from the repository or an instructor archive
(:mod:`mssedu.instructors`).

:func:`copy_course` puts the notebooks into a working folder and delivers new releases
without ever replacing a notebook the student has edited. It records what it copied in
``DIR/.mssedu-course.json`` (:data:`MANIFEST`): for each file a hash of its *sources*
(:func:`sources_hash`: a notebook's cell types and code/text, not its outputs, execution
counts or metadata). On the next run, a notebook whose sources still match the record (never
opened, or only run) is updated to the shipped release; one whose sources differ (the
student's edits) is kept, unless ``update=True``: then it is renamed to
``NAME.backup-<time>.ipynb`` and the shipped version copied.
:func:`lab_command` is the JupyterLab command line (``--allow-root`` when run as root, as
in containers, Colab and Binder), so ``mssedu course``, ``mssedu lab`` and ``./course lab``
start the lab the same way on Linux, macOS and Windows.

>>> from mssedu.course import course_folder
>>> sorted(p.name for p in course_folder("notebooks").glob("0[01]_*.ipynb"))
['00_sound.ipynb', '01_stft.ipynb']
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

from . import __version__
from .atomic import writable_folder
from .errors import DataError, ParameterError

__all__ = ["COURSE_PARTS", "DEFAULT_FOLDER", "MANIFEST", "course_folder", "copy_course",
           "sources_hash", "is_root", "lab_command"]

#: What the package carries beside the code: name -> what it is.
COURSE_PARTS = {"notebooks": "the student notebooks"}   # instructors: see mssedu.instructors
#: Where ``mssedu course`` puts the notebooks when no folder is given.
DEFAULT_FOLDER = "mssedu-course"
#: The record of what was copied, in the course folder (one per part's folder).
MANIFEST = ".mssedu-course.json"
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
    from_ = "the wheel or repository you installed it from"
    raise DataError(f"The course's {part} folder is missing from this installation ({here}). "
                    f"Reinstall mssedu from {from_}: `{sys.executable} -m pip install "
                    "--force-reinstall --no-deps PATH_OR_URL_OF_IT`.")


def _backup_name(path: Path, stamp: str) -> Path:
    cand = path.with_name(f"{path.stem}.backup-{stamp}{path.suffix}")
    k = 1
    while cand.exists():
        cand = path.with_name(f"{path.stem}.backup-{stamp}-{k}{path.suffix}")
        k += 1
    return cand


def sources_hash(path) -> str:
    """SHA-256 of what a student writes in a file: for a notebook its cells' types and sources.

    Outputs, execution counts, cell ids and metadata are left out, so running a notebook does
    not change its hash and editing a cell does. Any other file (or a notebook that is not
    valid JSON) is hashed byte for byte.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    str
        Hex digest.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> nb = {"cells": [{"cell_type": "code", "source": ["x = 1"], "outputs": []}], "metadata": {}}
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.ipynb"
    >>> _ = p.write_text(json.dumps(nb))
    >>> before = sources_hash(p)
    >>> nb["cells"][0]["outputs"] = [{"output_type": "stream", "text": "ran"}]
    >>> _ = p.write_text(json.dumps(nb))
    >>> sources_hash(p) == before
    True
    """
    data = Path(path).read_bytes()
    if Path(path).suffix == ".ipynb":
        try:
            cells = json.loads(data)["cells"]
            data = json.dumps([[c.get("cell_type"), "".join(c.get("source", ""))] for c in cells]).encode()
        except (ValueError, KeyError, TypeError, AttributeError):   # not a notebook: its bytes
            pass
    return hashlib.sha256(data).hexdigest()


def _read_manifest(dest: Path) -> dict:
    try:
        return json.loads((dest / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):   # none yet, or damaged: nothing recorded
        return {}


def _write_manifest(dest: Path, files: dict) -> None:
    tmp = dest / (MANIFEST + ".part")
    tmp.write_text(json.dumps({"mssedu": __version__, "files": files}, indent=1, sort_keys=True),
                   encoding="utf-8")
    os.replace(tmp, dest / MANIFEST)   # whole or not at all


def _shipped_files(source: Path):
    """(relative path, path) of every file of a course part, caches left out, in order."""
    for root, dirs, files in os.walk(source):
        ignored = set(IGNORED(root, dirs + files))
        dirs[:] = sorted(d for d in dirs if d not in ignored)
        for name in sorted(f for f in files if f not in ignored):
            yield (Path(root) / name).relative_to(source), Path(root) / name


def copy_course(dest=DEFAULT_FOLDER, update: bool = False, part: str = "notebooks") -> dict:
    """Copy the course into ``dest``: new releases arrive, a student's edits are never lost.

    A file missing in ``dest`` is copied. One whose sources (:func:`sources_hash`) equal
    the shipped file's is left alone (it may have been run). One that differs is *updated*
    when its sources are still those recorded in ``dest/.mssedu-course.json`` at the last
    copy (the student has not edited it, only maybe run it), and *kept* otherwise (edited),
    unless ``update`` is true: then it is first renamed to ``NAME.backup-YYYYmmdd-HHMMSS.ipynb``
    (never replacing an earlier backup) and the shipped version is copied.

    Parameters
    ----------
    dest : str or pathlib.Path
        The working folder (created if needed).
    update : bool
        Replace edited files by the shipped ones too, keeping a backup of each.
    part : {"notebooks"}
        What to copy (see :data:`COURSE_PARTS`).

    Returns
    -------
    dict
        ``folder`` (the resolved ``dest``) and lists of relative paths: ``copied`` (new),
        ``same`` (sources as shipped already), ``refreshed`` (not edited, updated to the new
        release), ``kept`` (edited, left alone), ``updated`` (edited, replaced because of
        ``update``) and ``backups`` (where those edited versions went).

    Raises
    ------
    DataError
        ``dest`` cannot be created or written (the message names the folder).
    """
    source = course_folder(part)
    dest = writable_folder(Path(dest).expanduser().resolve(), "Give another folder you own, e.g. "
                           "`mssedu course ~/mssedu-course`.", what="course folder")
    report = {"folder": dest, "copied": [], "same": [], "refreshed": [], "kept": [], "updated": [],
              "backups": []}
    recorded, stamp = _read_manifest(dest), time.strftime("%Y%m%d-%H%M%S")
    files = dict(recorded)
    for rel, src in _shipped_files(source):
        key, target, shipped = rel.as_posix(), dest / rel, sources_hash(src)
        if not target.exists():
            outcome = "copied"
        elif sources_hash(target) == shipped:
            outcome = "same"
        elif recorded.get(key) == sources_hash(target):   # as we left it (perhaps run)
            outcome = "refreshed"
        elif update:
            backup = _backup_name(target, stamp)
            target.rename(backup)
            report["backups"].append(backup.relative_to(dest).as_posix())
            outcome = "updated"
        else:
            report["kept"].append(key)
            continue   # edited: the record keeps what we copied, so it stays "edited"
        if outcome != "same":
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
        report[outcome].append(key)
        files[key] = shipped
    _write_manifest(dest, files)
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
