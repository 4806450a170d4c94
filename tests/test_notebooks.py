"""The course notebooks: committed clean, built to the course's template, and executable top
to bottom, headless, offline, in fast mode.

Every ``notebooks/*.ipynb`` that exists is picked up (sorted), so a new chapter is tested
as soon as it is added. Execution uses a kernel running *this* Python (``sys.executable``,
i.e. the course's virtual environment), ``MSSEDU_FAST=1``, a proxy that refuses every
connection (no network), and the course's limit of 180 s per notebook (override with
``MSSEDU_NOTEBOOK_TIMEOUT``). Per-notebook times are printed at the end of the session and
written to ``artifacts/notebook_times.txt`` (see ``conftest.py``).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import NOTEBOOK_TIMES

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]
LIMIT_S = float(os.environ.get("MSSEDU_NOTEBOOK_TIMEOUT", "180"))
KERNEL_NAME = "mssedu-test-python3"

# a factory call on mssedu.widgets (lower-case name: ipywidgets classes are CamelCase)
WIDGET_CALL = re.compile(r"(?<![\w.])(?:mssedu\.)?widgets\.([a-z_]\w*)\s*\(")
CHECK_CALL = re.compile(r"(?<![\w])check\(\s*[\"']([\w.]+)[\"']")
PLACEHOLDER = re.compile(r"(^|[=(,\[]\s*)\.\.\.(\s*($|#|[,)\]]))", re.M)


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def cells(nb, kind):
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c["cell_type"] == kind]


def markdown_headings(nb) -> list:
    return [line.lstrip("#").strip().lower() for text in cells(nb, "markdown")
            for line in text.splitlines() if line.startswith("#")]


# --- structure (fast, no kernel) ---------------------------------------------------------

def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"
    for path in NOTEBOOKS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), (
            f"{path.name}: notebooks are named NN_<topic>.ipynb")


def test_committed_without_outputs():
    """The same rule as ``scripts/strip_notebooks.py --check`` (which fixes it)."""
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "strip_notebooks.py"), "--check",
                          *map(str, NOTEBOOKS)], capture_output=True, text=True)
    assert out.returncode == 0, (out.stdout + out.stderr
                                 + "\nRun: python scripts/strip_notebooks.py")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_structure(path):
    nb = load(path)
    code, md = cells(nb, "code"), cells(nb, "markdown")
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] == "code":
            assert c.get("outputs") == [] and c.get("execution_count") is None, (
                f"cell {i} has outputs: run python scripts/strip_notebooks.py")
    # learning goals at the top: within the first three markdown cells
    assert any("learning goals" in text.lower() for text in md[:3]), (
        "the notebook must open with a 'Learning goals' section")
    widget_cells = [c for c in code if WIDGET_CALL.search(c)]
    assert len(widget_cells) >= 2, (
        f"needs >= 2 cells that display an mssedu.widgets factory, found {len(widget_cells)}")
    checks = [m.group(1) for c in code for m in CHECK_CALL.finditer(c)]
    assert len(checks) >= 2, f"needs >= 2 exercises checked with check('<chapter>.<name>', ...), found {checks}"
    headings = markdown_headings(nb)
    assert any("summary" in h for h in headings), "needs a 'Summary' section"
    assert any("reference" in h for h in headings), "needs a 'References' section"
    assert headings.index(next(h for h in headings if "reference" in h)) >= len(headings) - 3, (
        "References belong at the end")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_solutions_in_student_notebook(path):
    """Exercises are left for the student (a ``...`` placeholder), answers live in
    ``instructors/solutions/<notebook>.md``, and no cell is headed 'Solution'."""
    nb = load(path)
    code = cells(nb, "code")
    placeholders = [c for c in code if PLACEHOLDER.search(c)]
    n_checks = sum(len(CHECK_CALL.findall(c)) for c in code)
    assert len(placeholders) >= min(2, n_checks), (
        "each exercise needs a `...` placeholder for the student to replace")
    for text in cells(nb, "markdown"):
        assert not re.search(r"^#+\s*(worked\s+)?solutions?\b", text, re.I | re.M), (
            "solutions go to instructors/solutions/, not into the student notebook")
    for text in code:
        assert not re.search(r"^\s*#\s*solution\b", text, re.I | re.M)
    solution = ROOT / "instructors" / "solutions" / f"{path.stem}.md"
    assert solution.exists(), f"worked solutions missing: {solution.relative_to(ROOT)}"


# --- execution ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def kernel_dir(tmp_path_factory):
    """A kernelspec that runs this very interpreter (the course venv), whatever other
    'python3' kernels a user has installed in ~/.local."""
    folder = tmp_path_factory.mktemp("kernels")
    spec = folder / KERNEL_NAME
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "mssedu test (this venv)", "language": "python"}))
    return folder


def kernel_env() -> dict:
    env = dict(os.environ)
    env["MSSEDU_FAST"] = "1"
    env.pop("MPLBACKEND", None)  # let the kernel use its inline backend, as in JupyterLab
    # no network: every HTTP(S) request goes to a closed local port and fails at once
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        env[key] = "http://127.0.0.1:9"
    env["no_proxy"] = env["NO_PROXY"] = "localhost,127.0.0.1,::1"
    env["HF_HUB_OFFLINE"] = "1"
    env["PYTHONWARNINGS"] = env.get("PYTHONWARNINGS", "")
    return env


def error_outputs(nb) -> list:
    found = []
    for i, c in enumerate(nb["cells"]):
        for out in c.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}")
    return found


def output_text(nb) -> str:
    parts = []
    for c in nb["cells"]:
        for out in c.get("outputs", []):
            parts.append(out.get("text", "") if isinstance(out.get("text", ""), str) else "".join(out["text"]))
            for value in out.get("data", {}).values():
                parts.append(value if isinstance(value, str) else "".join(value) if isinstance(value, list) else "")
    return "\n".join(parts)


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.timeout(int(LIMIT_S) + 120)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_executes(path, kernel_dir):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    nb = nbformat.read(str(path), as_version=4)
    km = AsyncKernelManager(kernel_name=KERNEL_NAME,
                            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dir)]))
    start = time.perf_counter()
    deadline = start + LIMIT_S
    client = nbclient.NotebookClient(
        nb, km=km, kernel_name=KERNEL_NAME, startup_timeout=120, allow_errors=False,
        # the whole notebook gets LIMIT_S: each cell may use what is left of it
        timeout_func=lambda cell: max(1, int(deadline - time.perf_counter())),
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    status = "failed"
    try:
        client.execute(env=kernel_env())
        status = "ok"
    except nbclient.exceptions.CellTimeoutError:
        status = "timeout"
        raise AssertionError(f"{path.name} did not finish within {LIMIT_S:.0f} s in fast mode "
                             "(the course's limit on 2 CPU cores)") from None
    finally:
        NOTEBOOK_TIMES[path.name] = (status, time.perf_counter() - start)
        # we own the kernel manager, so nbclient leaves the kernel running: stop it here
        if km.has_kernel:
            nbclient.util.run_sync(km.shutdown_kernel)(now=True)
    assert not error_outputs(nb)
    text = output_text(nb)
    # the student notebook leaves exercises unanswered: no check may print a correct verdict
    assert "✔ Correct" not in text, "an exercise is answered in the student notebook"
    assert "Traceback (most recent call last)" not in text
    if path.name.startswith("07_"):   # the model chooser lists every model and what runs offline
        from mssedu.separation import DEMUCS_MODELS, find_weights

        for name in DEMUCS_MODELS:
            assert name in text and f"{name}-random" in text, name
            if find_weights(name) is None:      # not here: the table says how to get them
                assert f"no: `mssedu download {name}` with internet" in text, name
        assert "unet_tiny_vocals.pt" in text and "your student model from notebook 06" in text
        if "(trained weights)" not in text:   # offline: a real model separates, labelled as such
            assert "the separation, by the best model available offline: mini U-Net" in text


# --- numbers quoted in the prose -----------------------------------------------------------

def _markdown(name: str) -> str:
    return "\n".join(cells(load(NOTEBOOK_DIR / name), "markdown")).replace("−", "-")


def _quoted(text: str, pattern: str) -> float:
    found = re.search(pattern, text, re.S)
    assert found, f"the prose no longer quotes {pattern!r}: update this test with it"
    return float(found.group(1))


@pytest.mark.slow
def test_prose_numbers_are_the_ones_the_notebooks_compute():
    """Every dB figure the prose of 06, 07 and 08 quotes for a fixed computation (fixed models,
    the whole real excerpt, no training) is what the notebook's cells compute, to the digits quoted."""
    import numpy as np

    from mssedu.data import example_track
    from mssedu.masks import oracle_separate
    from mssedu.metrics import bss_eval
    from mssedu.models import UNetSeparator, shipped_checkpoint

    track = example_track()
    vocals = track.stems["vocals"]

    def sdr(estimate):
        return float(bss_eval({"vocals": vocals}, {"vocals": estimate}, sr=track.sr).loc["vocals", "SDR"])

    shipped = UNetSeparator.from_checkpoint(shipped_checkpoint())
    g = float(np.sum(vocals * track.mixture) / np.sum(track.mixture ** 2))
    irm = {n: sdr(oracle_separate(track, "irm", n_fft=n, hop_length=n // 4)["vocals"]) for n in (2048, 4096)}
    nb06 = _markdown("06_unet.ipynb")
    quoted = {
        "constant gain": (_quoted(nb06, r"already scores about ([+-]\d+\.\d) dB"), sdr(g * track.mixture)),
        "mixture": (_quoted(nb06, r"the mixture itself\s*\(([+-]\d+\.\d) dB\)"), sdr(track.mixture)),
        "shipped": (_quoted(nb06, r"by about 0\.\d dB \(([+-]\d+\.\d) dB\)"),
                    sdr(shipped.separate(track.mixture, progress=False)["vocals"])),
        "shipped + Wiener": (_quoted(nb06, r"does not help it here \(([+-]\d+\.\d) dB\)"),
                             sdr(UNetSeparator(shipped.model, wiener=True).separate(track.mixture,
                                                                                    progress=False)["vocals"])),
        "oracle IRM (06)": (_quoted(nb06, r"The oracle IRM \(([+-]\d+\.\d) dB\)"), irm[2048]),
    }
    for label, (text, value) in quoted.items():
        assert abs(text - value) <= 0.051, f"06 quotes {text:+.1f} dB for {label}; the notebook computes {value:+.2f}"
    row = _quoted(_markdown("08_beyond.ipynb"), r"oracle IRM \(\$\\alpha = 1\$, n_fft 2048\) \| - \| - \| ([+-]\d+\.\d\d) dB")
    assert abs(row - irm[2048]) <= 0.0051, f"08's table quotes {row:+.2f} dB; computed {irm[2048]:+.2f}"
    more = _quoted(_markdown("07_pretrained.ipynb"), r"gives the oracle about (\d+\.\d) dB more")
    assert abs(more - (irm[4096] - irm[2048])) <= 0.1, (more, irm)
