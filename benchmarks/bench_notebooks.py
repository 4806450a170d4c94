"""The course as a student runs it: each notebook's time in **full mode**, and its slowest cell.

Each ``notebooks/NN_*.ipynb`` is executed top to bottom, headless (nbclient, a kernel on this
Python, no network), without ``MSSEDU_FAST`` (``--quick``: with it, a smoke run of the
harness). Rows: two per notebook, the whole notebook's time, and its slowest cell's against
the 3-minute budget of a cell (``ref_s`` 180, so ``ratio`` >= 1 means no cell ran longer);
the note names the slowest cell (its index among all cells, as JupyterLab
numbers them from 0, and its first line) and every cell over 60 s. Cells that train say beforehand how
long they take (the course's rule for cells over 3 minutes). A full run takes about an hour
on 2 cores, so it runs only when asked: ``MSSEDU_BENCH_NOTEBOOKS=all python -m benchmarks
notebooks`` (or ``=03,06`` for some) and state the machine's load (``uptime``) with the numbers. The second run of a
notebook is the one to quote: the first renders and caches synthetic songs.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from . import row

ROOT = Path(__file__).resolve().parents[1]
CELL_BUDGET_S = 180.0     # the course's rule: no cell over 3 minutes unless it says so first
KERNEL = "mssedu-bench-python3"


def _kernel_dir() -> str:
    """A kernelspec running this very interpreter (the course's environment)."""
    folder = Path(tempfile.mkdtemp(prefix="mssedu-bench-kernels-"))
    spec = folder / KERNEL
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "mssedu bench", "language": "python"}))
    return str(folder)


def _env(quick: bool) -> dict:
    env = dict(os.environ)
    env.pop("MSSEDU_FAST", None)
    if quick:
        env["MSSEDU_FAST"] = "1"
    env.pop("MPLBACKEND", None)            # the kernel's inline backend, as in JupyterLab
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env[key] = "http://127.0.0.1:9"    # offline: every request fails at once
    env["no_proxy"] = env["NO_PROXY"] = "localhost,127.0.0.1,::1"
    return env


def _cell_seconds(cell) -> float:
    """Execution time of an executed cell from nbclient's timing metadata."""
    meta = cell.get("metadata", {}).get("execution", {})
    try:
        start = datetime.fromisoformat(meta["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(meta["shell.execute_reply"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return float("nan")
    return (end - start).total_seconds()


def time_notebook(path: Path, quick: bool, kernel_dir: str) -> tuple:
    """Run one notebook; return (total seconds, [(cell index, seconds, first line)])."""
    import nbclient
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    nb = nbformat.read(str(path), as_version=4)
    km = AsyncKernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[kernel_dir]))
    client = nbclient.NotebookClient(nb, km=km, kernel_name=KERNEL, timeout=3600, record_timing=True,
                                     allow_errors=True, resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    try:
        client.execute(env=_env(quick))
    finally:
        if km.has_kernel:
            nbclient.util.run_sync(km.shutdown_kernel)(now=True)
    total = time.perf_counter() - t0
    cells = [(i, _cell_seconds(c), "".join(c["source"]).strip().splitlines()[0][:50] if c["source"] else "")
             for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    return total, cells


def run(quick: bool = False) -> list:
    chosen = os.environ.get("MSSEDU_BENCH_NOTEBOOKS", "")
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if chosen and chosen != "all":
        paths = [p for p in paths if p.name[:2] in chosen.split(",")]
    elif quick:
        paths = paths[:1]                  # a smoke run of the harness
    elif not chosen:                       # an hour: only when asked for, not in every `./course bench`
        return [row("notebooks (full mode)", "", float("nan"), float("nan"),
                    "not run: set MSSEDU_BENCH_NOTEBOOKS=all (about an hour on 2 cores) or =03,06")]
    kernel_dir, rows = _kernel_dir(), []
    for path in paths:
        total, cells = time_notebook(path, quick, kernel_dir)
        i, slowest, first = max(cells, key=lambda c: c[1] if c[1] == c[1] else -1)
        long = ", ".join(f"cell {j} {s:.0f} s" for j, s, _ in cells if s > 60)
        note = (f"{'fast' if quick else 'full'} mode; slowest: cell {i} of {len(cells)} code cells, "
                f"{slowest:.0f} s ({first!r}); over 60 s: {long or 'none'}")
        rows.append(row(f"notebook {path.stem}: whole notebook", "", float("nan"), total,
                        f"{'fast' if quick else 'full'} mode, {len(cells)} code cells"))
        rows.append(row(f"notebook {path.stem}: slowest cell", "3-minute budget", CELL_BUDGET_S, slowest, note))
    return rows
