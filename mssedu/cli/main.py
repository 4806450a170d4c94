"""The ``mssedu`` command line: separate songs, fetch weights, run the demo, open the course.

::

    mssedu separate song.mp3 other.wav --out stems/ [--two-stems vocals] [--format flac]
    mssedu download htdemucs [--to DIR]
    mssedu demo [--out ./mssedu-demo]
    mssedu course [DIR] [--update] [JUPYTERLAB ARGS...]
    mssedu train --checkpoint my_unet.pt [--data synthetic|musdb|FOLDER] [--seconds 300]
    mssedu evaluate MODEL [MODEL ...] --data musdb|ROOT [--subset test] [--out DIR]
    mssedu lab [--dir DIR] [JUPYTERLAB ARGS...]
    mssedu app [--port 8866] [--dir ./mssedu-app] [VOILA ARGS...]
    mssedu assign build [NN ...] [--check] | verify [NN ...] | archive [--out FILE] [--source DIR]
    mssedu grade SUBMISSIONS_DIR [--assignment NN] [--out grades] [--timeout 300] [--jobs 1] [--no-sandbox]

``course``, ``lab`` and ``app`` pass arguments they do not know (``--port=9999``, or anything
after ``--``) on to JupyterLab or Voila, and add ``--allow-root`` when run as root.

``mssedu <command> --help`` describes each command. ``python -m mssedu`` is the same.
Exit status: 0 when everything worked, 1 when some file (or the command) failed, 2 for a
usage error.

Each command is two functions side by side: ``add_<command>_args(parser)`` and
``cmd_<command>(args)``. **Heavy imports (torch, models, nbformat, the grader, the app) sit in
one place: the first lines of each** ``cmd_<command>``, so ``--help`` answers at once
(``benchmarks/bench_cli.py``; ``tests/test_architecture.py`` allows exactly those). Values
listed by heavy modules (models, formats, presets, styles) are checked when the command runs.
"""
from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..errors import MsseduError
from .common import say
from .course import (add_app_args, add_course_args, add_lab_args, cmd_app, cmd_course, cmd_lab)
from .labs import add_assign_args, add_grade_args, cmd_assign, cmd_grade
from .songs import (add_demo_args, add_download_args, add_separate_args, cmd_demo, cmd_download,
                    cmd_separate)
from .training import add_evaluate_args, add_train_args, cmd_evaluate, cmd_train

__all__ = ["main", "build_parser", "COMMANDS", "PASSTHROUGH"]


#: Commands whose unknown arguments go on to the program they start.
PASSTHROUGH = {"lab": "JupyterLab", "course": "JupyterLab", "app": "Voila"}


#: Every command: name -> (one line for ``mssedu --help``, its arguments, what runs it).
COMMANDS = {
    "separate": ("split songs into stems (HT-Demucs or your mini U-Net)", add_separate_args, cmd_separate),
    "download": ("fetch and verify model weights for offline use", add_download_args, cmd_download),
    "demo": ("run the whole course pipeline headless on the real excerpt", add_demo_args, cmd_demo),
    "lab": ("open the course notebooks in JupyterLab (a checkout)", add_lab_args, cmd_lab),
    "train": ("train a mini U-Net (synthetic songs, MUSDB18, or your multitracks)", add_train_args, cmd_train),
    "course": ("copy the course notebooks into a folder and open them", add_course_args, cmd_course),
    "app": ("the no-code workshop app (Voila) on a local port", add_app_args, cmd_app),
    "assign": ("build the student notebooks from the instructor sources", add_assign_args, cmd_assign),
    "grade": ("grade a folder of submitted notebooks (Otter-Grader)", add_grade_args, cmd_grade),
    "evaluate": ("score models over many songs (MUSDB18 test previews, or a root)", add_evaluate_args,
                 cmd_evaluate),
}


def build_parser() -> argparse.ArgumentParser:
    """The ``mssedu`` command's argument parser (no heavy import: see the module's docstring).

    Returns
    -------
    argparse.ArgumentParser
        One sub-parser per entry of :data:`COMMANDS`.
    """
    p = argparse.ArgumentParser(prog="mssedu", description="mssedu: music source separation course "
                                "toolkit. Run `mssedu COMMAND --help` for each command.")
    p.add_argument("--version", action="version", version=f"mssedu {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, (summary, add_args, run) in COMMANDS.items():
        command = sub.add_parser(name, help=summary)
        add_args(command)
        command.set_defaults(func=run)
    return p


def main(argv=None) -> int:
    """Run the ``mssedu`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 all worked, 1 something failed, 2 usage error.
    """
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = []
    if "--" in argv:   # everything after -- goes to JupyterLab / Voila as is
        argv, extra = argv[: argv.index("--")], argv[argv.index("--") + 1:]
    args, unknown = parser.parse_known_args(argv)
    if getattr(args, "command", None) in PASSTHROUGH:
        args.extra = unknown + extra
    elif unknown or extra:
        parser.error(f"unrecognized arguments: {' '.join(unknown + extra)}")
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        say("interrupted", err=True)
        return 130
    except MsseduError as err:
        say(f"error: {err}", err=True)
        return 1
