"""Shared pytest set-up for the mssedu test suite.

- Matplotlib draws off-screen (``Agg``) so tests and executed notebooks never need a display.
- ``artifacts/`` (git-ignored) collects what a run produces for people to look at: the
  notebook timing table (``notebook_times.txt``) and the browser screenshot.
- :data:`NOTEBOOK_TIMES` is filled by ``tests/test_notebooks.py``; at the end of the session
  :func:`pytest_terminal_summary` prints it as a table and writes it to
  ``artifacts/notebook_times.txt``.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"

#: notebook file name -> (status, seconds); written by test_notebooks.py
NOTEBOOK_TIMES: dict = {}


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``<repo>/artifacts``, created on first use."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def rng():
    """A seeded random generator, so every test sees the same 'random' audio."""
    import numpy as np

    return np.random.default_rng(1234)


def notebook_times_table() -> str:
    """The per-notebook timing table as plain text (one line per executed notebook)."""
    if not NOTEBOOK_TIMES:
        return ""
    width = max(len(n) for n in NOTEBOOK_TIMES)
    lines = [f"{'notebook'.ljust(width)}  status   seconds", "-" * (width + 19)]
    total = 0.0
    for name in sorted(NOTEBOOK_TIMES):
        status, seconds = NOTEBOOK_TIMES[name]
        total += seconds
        lines.append(f"{name.ljust(width)}  {status:<7}  {seconds:7.1f}")
    lines.append("-" * (width + 19))
    lines.append(f"{'total'.ljust(width)}           {total:7.1f}")
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    table = notebook_times_table()
    if not table:
        return
    terminalreporter.write_sep("=", "notebook execution times (MSSEDU_FAST=1)")
    terminalreporter.write_line(table)
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "notebook_times.txt").write_text(table + "\n")
        terminalreporter.write_line(f"(written to {ARTIFACTS / 'notebook_times.txt'})")
    except OSError as err:  # a read-only checkout must not fail the run
        terminalreporter.write_line(f"(could not write notebook_times.txt: {err})")
