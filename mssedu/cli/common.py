"""What every command shares: printing, and running a program (JupyterLab, Voila)."""
from __future__ import annotations

import subprocess
import sys

__all__ = ["say", "run_program"]


def say(msg: str = "", err: bool = False) -> None:
    print(msg, file=sys.stderr if err else sys.stdout, flush=True)


def run_program(cmd, dry_run: bool) -> int:
    say("  " + " ".join(cmd))
    if dry_run:
        return 0
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 0
