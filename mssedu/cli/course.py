"""``mssedu lab``, ``course`` and ``app``: the notebooks and the workshop page, opened."""
from __future__ import annotations

from pathlib import Path

from ..course import DEFAULT_FOLDER
from .common import run_program, say

__all__ = ["notebooks_folder", "add_lab_args", "cmd_lab", "add_course_args", "cmd_course", "add_app_args", "cmd_app"]


def notebooks_folder():
    """The course's ``notebooks/`` folder.

    Returns
    -------
    Path or None
        Beside the package in a checkout, or in the current folder; ``None`` if neither
        (an installed wheel: use ``mssedu course``, which copies its notebooks).
    """
    here = Path(__file__).resolve().parent.parent / "notebooks"
    for cand in (here, Path.cwd() / "notebooks"):
        if cand.is_dir():
            return cand
    return None


def add_lab_args(p) -> None:
    """Arguments of ``mssedu lab``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The sub-command's parser, filled in place.
    """
    p.description = ("Start JupyterLab on the course's notebooks/ folder (in a checkout of the "
                     "repository; with mssedu installed from pip use `mssedu course`). Other "
                     "arguments (e.g. --port=9999, or anything after --) go to JupyterLab; "
                     "--allow-root is added when you are root.")
    p.add_argument("--dir", default=None, help="notebooks folder (default: found beside the package)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--dry-run", action="store_true", help="print the command instead of running it")


def _run_lab(folder: Path, args) -> int:
    """JupyterLab on ``folder`` with the user's arguments; where JupyterLab (the optional extra
    ``mssedu[lab]``) is missing, say where the notebooks are and how to add it (exit status 1)."""
    from ..course import lab_command
    from ..extras import installed, missing

    if not installed("lab"):
        say("error: " + missing("lab", instead=f"The notebooks are in {folder}: open that folder in the "
                                               "Jupyter you have (VS Code, a JupyterHub, Colab), or add "
                                               "JupyterLab."), err=True)
        return 1
    return run_program(lab_command(folder, args.extra, no_browser=args.no_browser), args.dry_run)


def cmd_lab(args) -> int:
    """``mssedu lab``: JupyterLab on a checkout's notebooks.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit status (0: everything worked).
    """
    folder = Path(args.dir).expanduser() if args.dir else notebooks_folder()
    if folder is None or not folder.is_dir():
        say("error: the course notebooks were not found (looked for notebooks/ beside the mssedu "
             f"package and in {Path.cwd()}). Run `mssedu course` (it copies the notebooks into "
             f"./{DEFAULT_FOLDER} and opens them), or pass the folder: "
             "`mssedu lab --dir PATH/TO/notebooks`.", err=True)
        return 1
    say(f"opening JupyterLab on {folder}")
    return _run_lab(folder, args)


def add_course_args(p) -> None:
    """Arguments of ``mssedu course``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The sub-command's parser, filled in place.
    """
    p.description = (f"Copy the notebooks that ship with mssedu into DIR (default ./{DEFAULT_FOLDER}) "
                     "and open JupyterLab there. A new release of mssedu updates the notebooks you "
                     "have not edited (only run is fine); an edited one is kept, unless --update: "
                     "then yours is kept as NAME.backup-<time>.ipynb. Other arguments (e.g. "
                     "--port=9999, or anything after --) go to JupyterLab; --allow-root is added "
                     "when you are root. Instructors: the worked solutions and hidden tests are not "
                     "in this package; they are the repository's instructors/ folder or an archive "
                     "from `mssedu assign archive` (see `mssedu assign --help`).")
    p.add_argument("dir", nargs="?", default=DEFAULT_FOLDER, metavar="DIR",
                   help=f"working folder (default ./{DEFAULT_FOLDER})")
    p.add_argument("--update", action="store_true",
                   help="also replace notebooks you edited by the shipped ones (a backup of each is kept)")
    p.add_argument("--no-lab", action="store_true", help="only copy; do not start JupyterLab")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--dry-run", action="store_true", help="copy, then print the lab command instead of running it")


def _course_report(report: dict, again: str) -> None:
    """Say what :func:`mssedu.course.copy_course` did; ``again`` is the command to repeat."""
    if report["copied"]:
        say(f"  copied {len(report['copied'])} notebook(s): {', '.join(report['copied'])}")
    if report["refreshed"]:
        say(f"  updated to this release (you had not edited them): {', '.join(report['refreshed'])}")
    if report["kept"]:
        say(f"  kept your edited {', '.join(report['kept'])}: this release changed them. "
             f"`{again} --update` replaces them and keeps your version as a backup")
    for new, old in zip(report["updated"], report["backups"]):
        say(f"  updated {new}; your version is now {old}")


def cmd_course(args) -> int:
    """``mssedu course``: copy (or update) the notebooks into a folder and open JupyterLab.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit status (0: everything worked).
    """
    from ..course import copy_course

    report = copy_course(args.dir, update=args.update)
    folder = report["folder"]
    say(f"course folder: {folder}")
    again = "mssedu course" + ("" if args.dir == DEFAULT_FOLDER else f" {args.dir}")
    _course_report(report, again)
    if args.no_lab:
        return 0
    return _run_lab(folder, args)


def add_app_args(p) -> None:
    """Arguments of ``mssedu app``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The sub-command's parser, filled in place.
    """
    p.description = ("Serve the workshop page (mask explorer; separate your song) with Voila on "
                     "http://127.0.0.1:PORT/: widgets only, no code. Other arguments go to Voila "
                     "(e.g. --Voila.ip=0.0.0.0 to let the room connect).")
    p.add_argument("--port", type=int, default=None, help="local port (default 8866)")
    p.add_argument("--dir", default="mssedu-app", metavar="DIR",
                   help="working folder: the app notebook and the separated stems (default ./mssedu-app)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--dry-run", action="store_true", help="print the command instead of running it")


def cmd_app(args) -> int:
    """``mssedu app``: the workshop page with Voila (the user's --ip/--port win, one value each).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit status (0: everything worked).
    """
    from ..app import app_command

    cmd, message = app_command(args.dir, port=args.port, no_browser=args.no_browser, extra=args.extra)
    say(message)
    return run_program(cmd, args.dry_run)
