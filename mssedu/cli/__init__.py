"""The ``mssedu`` command line (:mod:`mssedu.cli.main`), one module per group of commands:
:mod:`~mssedu.cli.songs` (separate, download, demo), :mod:`~mssedu.cli.course` (lab, course,
app), :mod:`~mssedu.cli.training` (train, evaluate), :mod:`~mssedu.cli.labs` (assign, grade).
Each command is two functions side by side, ``add_<command>_args(parser)`` and
``cmd_<command>(args)``; heavy imports sit in the first lines of each ``cmd_<command>``.
"""
from .course import notebooks_folder
from .main import COMMANDS, PASSTHROUGH, build_parser, main
from .training import cmd_evaluate, cmd_train

__all__ = ["main", "build_parser", "notebooks_folder", "COMMANDS", "PASSTHROUGH", "cmd_train",
           "cmd_evaluate"]
