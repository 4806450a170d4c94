"""The benchmark harness itself works (no timing is asserted here: speed targets live in
``benchmarks/`` and are read off its table)."""
from __future__ import annotations

import importlib
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.__main__ import available, format_table  # noqa: E402


def test_every_benchmark_module_has_run():
    names = available()
    assert {"stft", "phase", "metrics", "data", "unet", "pretrained"} <= set(names)
    for name in names:
        mod = importlib.import_module(f"benchmarks.bench_{name}")
        assert callable(mod.run), name


def test_table_has_reference_mssedu_and_ratio():
    from benchmarks import row

    r = row("stft", "librosa.stft", 2.0, 1.0, "note")
    assert r["ratio"] == pytest.approx(2.0)
    assert math.isnan(row("x", "y", 0.0, 1.0)["ratio"])
    table = format_table([r])
    assert [c.strip() for c in table.splitlines()[0].split(" | ")[:5]] == ["benchmark", "reference", "ref_s", "mssedu_s", "ratio"]
    assert "2.000" in table


def test_quick_stft_benchmark_prints_its_rows():
    out = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "stft"], cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith(("stft", "istft"))]
    assert len(rows) == 4, out.stdout
    # the numpy path is librosa's computation: identical numbers
    assert "max abs diff 0.0e+00" in rows[0], rows[0]


def test_unknown_benchmark_is_refused():
    out = subprocess.run([sys.executable, "-m", "benchmarks", "nonesuch"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "unknown benchmark" in out.stderr
