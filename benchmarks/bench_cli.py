"""Start-up time of the ``mssedu`` command: ``--version``, ``--help`` and each command's ``--help``.

Each is a fresh interpreter (``python -m mssedu ...``), timed wall-clock, best of a few runs.
Reference in the same run: ``python -c "import numpy"`` (the floor: ``import mssedu`` loads
numpy through its error helpers) and ``python -c "import torch"`` (what every command cost
before the CLI deferred its imports). Goals: ``--help``/``--version`` under 0.5 s, every
``COMMAND --help`` under 1 s (see the notes; on a loaded machine compare the ratios).
"""
from __future__ import annotations

import subprocess
import sys
import time

from . import row

GOALS = {"--version": 0.5, "--help": 0.5}


def _start(args, repeat: int) -> float:
    """Best wall time of a fresh ``python ARGS`` over ``repeat`` runs (after one warm-up)."""
    best = float("inf")
    for i in range(repeat + 1):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, *args], capture_output=True, check=True)
        if i:   # the first run warms the file cache
            best = min(best, time.perf_counter() - t0)
    return best


def run(quick: bool = False) -> list:
    from mssedu.cli import COMMANDS

    repeat = 2 if quick else 5
    t_numpy = _start(["-c", "import numpy"], repeat)
    t_torch = _start(["-c", "import torch"], repeat)
    rows = [row("python -c 'import numpy' (floor)", "import torch", t_torch, t_numpy, "reference row")]
    runs = [["--version"], ["--help"]] + [[name, "--help"] for name in COMMANDS]
    for args in runs:
        t = _start(["-m", "mssedu", *args], repeat)
        goal = GOALS.get(args[0], 1.0)
        rows.append(row(f"mssedu {' '.join(args)}", "import torch", t_torch, t,
                        f"goal < {goal} s: {'met' if t < goal else 'MISSED'}"))
    return rows
