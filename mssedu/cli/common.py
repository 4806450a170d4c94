"""What every command shares: printing, and running a program (JupyterLab, Voila)."""
from __future__ import annotations

import subprocess
import sys

__all__ = ["say", "run_program"]


def say(msg: str = "", err: bool = False) -> None:
    """Print one line to the user, flushed (to stderr when ``err``).

    Parameters
    ----------
    msg : str
        The line.
    err : bool
        Print to standard error.
    """
    print(msg, file=sys.stderr if err else sys.stdout, flush=True)


def run_program(cmd, dry_run: bool) -> int:
    """Show and run a program (JupyterLab, Voila) until it ends; Ctrl-C stops it quietly.

    Parameters
    ----------
    cmd : list of str
        The command line.
    dry_run : bool
        Only show it.

    Returns
    -------
    int
        The program's exit status (0 for a dry run or Ctrl-C).
    """
    say("  " + " ".join(cmd))
    if dry_run:
        return 0
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 0
