"""Helpers for the tests that install mssedu the way a student does: build the sdist and the
wheel from the committed files, and make *clean* virtual environments to install them into.

"Clean" here means: a new ``python -m venv`` (no system site-packages), no repository
checkout on ``sys.path``, no ``PYTHONPATH``, and no mssedu at all until the test installs
the wheel. To stay offline and fast, the environment sees the *dependencies* of the venv
running the tests (``sys.executable``'s site-packages: CI's ``~/.cache/mssedu/venv-KEY``)
through one ``.pth`` line pointing at a folder of symlinks to that site-packages' entries,
minus everything of mssedu (its editable finder, its ``.pth`` and its dist-info) and minus
``.pth`` files, plus a link to its ``share/jupyter`` (JupyterLab's and Voila's data files). pip then resolves the wheel's declared dependencies against those packages
with ``--no-index``: a dependency the wheel declares but the course venv lacks fails the
install, and one the course needs but the wheel does not declare is still found (that half
is ``tests/test_packaging.py``'s job).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Entries of the test venv's site-packages the clean venv must not see: mssedu itself, and the
#: optional extras' own packages (mssedu.extras.EXTRAS; their dependencies stay visible): the
#: student install has none of them -- mssedu[voices] (pyworld, which pip compiles on
#: Linux/macOS: a student without a compiler has none), mssedu[app] (voila) and
#: mssedu[pretrained] (demucs).
HIDDEN_PREFIXES = ("mssedu", "__editable__", "__editable___mssedu", "pyworld", "voila", "demucs")
#: Programs a student's machine may lack; the installed course must work without any of them.
SYSTEM_PROGRAMS = ("ffmpeg", "ffprobe", "fluidsynth", "espeak-ng", "espeak", "cc", "gcc", "g++",
                   "c++", "clang", "clang++")


def source_tree(dest: Path) -> Path:
    """The repository's committed and new (not ignored) files, copied to ``dest``."""
    try:
        listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard", "-z"],
                                capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        listed = None
    if listed is None:  # not a git checkout: copy, leaving out what git would ignore
        shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "artifacts", "*.egg-info", "__pycache__", ".ipynb_checkpoints"))
        return dest
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def build_dists(work: Path):
    """Build the sdist from a copy of the repository, then the wheel *from the sdist* (so
    the sdist is proven to carry everything). Returns ``(sdist, wheel)``."""
    src = source_tree(work / "src")
    dist = work / "dist"
    dist.mkdir()
    hook = "import sys, setuptools.build_meta as b; print(getattr(b, sys.argv[1])(sys.argv[2]))"
    out = subprocess.run([sys.executable, "-c", hook, "build_sdist", str(dist)], cwd=src,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    sdist = dist / out.stdout.strip().splitlines()[-1]
    with tarfile.open(sdist) as tar:
        tar.extractall(work / "unpacked", filter="data")
    unpacked = next((work / "unpacked").iterdir())
    out = subprocess.run([sys.executable, "-c", hook, "build_wheel", str(dist)], cwd=unpacked,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return sdist, dist / out.stdout.strip().splitlines()[-1]


def clean_env() -> dict:
    """The environment for processes of the clean venv: no PYTHONPATH, offline pip."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update({"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONNOUSERSITE": "1"})
    return env


def make_venv(folder: Path) -> Path:
    """A new venv in ``folder`` that sees the test venv's dependencies but not mssedu;
    returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True, env=clean_env()).stdout.strip())
    view = folder / "deps"
    view.mkdir()
    seen = set()
    for key in ("purelib", "platlib"):
        for entry in sorted(Path(sysconfig.get_paths()[key]).iterdir()):
            name = entry.name
            if (name in seen or name.endswith(".pth") or name.startswith(HIDDEN_PREFIXES)
                    or name == "__pycache__"):
                continue
            seen.add(name)
            (view / name).symlink_to(entry)
    (site / "mssedu-test-deps.pth").write_text(str(view) + "\n")
    # data files of the dependencies (JupyterLab's static assets, Voila's and nbconvert's
    # templates, kernelspecs) live in <prefix>/share/jupyter, not in site-packages
    shared = Path(sys.prefix) / "share" / "jupyter"
    if shared.is_dir():
        (folder / "share").mkdir(exist_ok=True)
        (folder / "share" / "jupyter").symlink_to(shared)
    return python


def path_without(programs, tmp: Path) -> list:
    """PATH's folders, each one holding any of ``programs`` replaced by a folder of links to
    everything else in it (so ``shutil.which`` finds none of them, and all the rest)."""
    dirs = []
    for i, d in enumerate(os.environ.get("PATH", "").split(os.pathsep)):
        if not d or not Path(d).is_dir():
            continue
        if not any((Path(d) / p).exists() for p in programs):
            dirs.append(Path(d))
            continue
        shadow = tmp / f"path{i}"
        shadow.mkdir(parents=True)
        for entry in Path(d).iterdir():
            if entry.name not in programs:
                (shadow / entry.name).symlink_to(entry)
        dirs.append(shadow)
    return dirs


def install(python: Path, wheel: Path) -> subprocess.CompletedProcess:
    """``pip install --only-binary=:all: WHEEL`` into the clean venv, offline (dependencies
    must be present: see the module's docstring)."""
    return subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-index",
                           "--only-binary=:all:", str(wheel)],
                          capture_output=True, text=True, env=clean_env())
