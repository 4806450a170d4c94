"""Writing files whole or not at all: the temporary names every writer uses.

A writer puts its output under a hidden *part* name beside the target,
``.<target name>.<pid>.part`` (a file or a folder), and renames it into place only when it
is complete, so a crash, a full disk or ``kill -9`` never leaves half a result under the
real name. The process id in the name lets the next run tell a part that a dead process
left behind (removed by :func:`clean_stale_parts`) from one being written right now.

Examples
--------
>>> from pathlib import Path
>>> from mssedu.atomic import part_path
>>> part_path(Path("stems/song"), pid=42).name
'.song.42.part'
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .errors import DataError

__all__ = ["part_path", "clean_stale_parts", "usual_mode", "move_into_place", "new_part_folder", "writable_folder"]


def part_path(target, pid: int | None = None) -> Path:
    """The hidden temporary name under which ``target`` is written.

    Parameters
    ----------
    target : str or Path
        The final file or folder.
    pid : int, optional
        Process id (default: this process).

    Returns
    -------
    Path
        ``<folder>/.<name>.<pid>.part``.
    """
    target = Path(target)
    return target.with_name(f".{target.name}.{os.getpid() if pid is None else int(pid)}.part")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def clean_stale_parts(target) -> list:
    """Remove the parts of ``target`` that dead processes left behind.

    Parameters
    ----------
    target : str or Path
        The final file or folder.

    Returns
    -------
    list of Path
        What was removed.
    """
    target = Path(target)
    removed = []
    if not target.parent.is_dir():
        return removed
    prefix = f".{target.name}."
    for p in target.parent.glob(f"{prefix}*.part"):
        pid = p.name[len(prefix):-len(".part")].split(".")[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed.append(p)
    return removed


def usual_mode(folder: bool = False) -> int:
    """The permission bits a new file (or folder) gets from the user's umask.

    Parameters
    ----------
    folder : bool
        A folder (``0o777 & ~umask``) rather than a file (``0o666 & ~umask``).

    Returns
    -------
    int
    """
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if folder else 0o666) & ~mask


def new_part_folder(target) -> Path:
    """An empty part folder beside ``target`` to write a multi-file result into (then
    :func:`move_into_place`): the parent is created, parts that dead runs left are removed,
    and a part of this process from an earlier try is emptied.

    Parameters
    ----------
    target : str or Path
        The final folder.

    Returns
    -------
    Path
        The empty part folder (:func:`part_path` of ``target``).

    Raises
    ------
    OSError
        The parent cannot be created or written (callers say what to do instead).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_parts(target)
    part = part_path(target)
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir()
    return part


def move_into_place(part, target) -> None:
    """Rename a finished part folder to ``target``, replacing an existing ``target``.

    The old ``target`` is first renamed aside (so ``target`` is never half old, half new),
    then removed.

    Parameters
    ----------
    part : str or Path
        The finished folder (from :func:`part_path`).
    target : str or Path
        Its final name.
    """
    part, target = Path(part), Path(target)
    os.chmod(part, usual_mode(folder=True))
    if target.exists():
        old = part_path(target.with_name(target.name + ".old"))
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
        os.replace(part, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(part, target)


def writable_folder(folder, advice: str, what: str = "folder") -> Path:
    """Make sure results can be written into ``folder``: create it (with its parents) if
    needed, and check that it is a folder this process may write into.

    Parameters
    ----------
    folder : str or Path
        The folder (``~`` is expanded).
    advice : str
        What the user can do instead, ending every message (e.g. ``"Choose another with --out."``).
    what : str
        What the folder is, for the message (e.g. ``"output folder"``).

    Returns
    -------
    Path
        The folder, ``~`` expanded.

    Raises
    ------
    DataError
        ``folder`` is a file, cannot be created, or is not writable.
    """
    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise DataError(f"{folder} is a file, not a folder. {advice}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(f"Cannot create the {what} {folder}: {err.strerror or err}. {advice}") from err
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DataError(f"Cannot write into {folder}: the folder is not writable. {advice}")
    return folder
