"""Does every required dependency install from wheels (no compiler) on every platform we promise?

For each target (Linux x86-64 and aarch64, macOS arm64, Windows x64) and each CPython 3.10 to
3.13, pip resolves ``pyproject.toml``'s ``[project] dependencies`` -- with their own
dependencies, the whole tree -- as that machine would, accepting wheels only (and, apart,
each optional extra's requirements: :data:`EXTRA_GAPS` lists where one needs a compiler)::

    pip install --dry-run --ignore-installed --only-binary=:all: --platform P --python-version V
                --target T --report R  DEP ...

``--dry-run`` resolves exactly as ``pip download --only-binary=:all:`` does but fetches only
the wheels' metadata (PyPI serves it apart, PEP 658), not gigabytes of torch wheels. A
dependency without a wheel for a target fails the resolution, and pip's message names it.

Two things pip does not do for a foreign target, done here:

* ``--platform``/``--python-version`` choose the wheels' *tags*, but pip evaluates the
  environment *markers* of every requirement (``platform_system == "Linux"``, ...) for the
  machine it runs on (pypa/pip#10050, #6117). Run on Linux x86-64, pip asked torch's macOS,
  Windows and aarch64 wheels for their Linux-only CUDA packages (``cuda-bindings``,
  ``nvidia-*``), found no macOS/Windows wheel of those, and either failed (CPython 3.12/3.13)
  or backtracked to torch 2.1.0, the last release whose per-platform metadata left them out
  (3.10/3.11: a "pass" with the wrong torch). pip therefore runs through
  :data:`_PIP_FOR_TARGET`, which gives the markers the target's values (:data:`MARKERS`).
* This machine's pip configuration (a ``find-links`` folder, a ``constraint`` file, extra
  indexes) is not a student's: it is ignored (``PIP_CONFIG_FILE=os.devnull``); only the
  index, certificate and timeout settings of the environment are kept.
Results are cached in ``~/.cache/mssedu/wheel-check/`` (keyed by the dependency list, one day).

    python tests/wheel_check.py          # prints the table (for the release notes)
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
#: target name -> pip --platform tags, as pip on the oldest system we promise lists them: Linux
#: with glibc 2.35 (Ubuntu 22.04, Colab; torch >= 2.11's Linux wheels need a glibc newer than
#: 2.28), macOS 14 on Apple silicon, Windows 10/11 x64
TARGETS = {
    "linux x86_64": [f"manylinux_2_{minor}_x86_64" for minor in range(35, 16, -1)]
                    + ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"],
    "linux aarch64": [f"manylinux_2_{minor}_aarch64" for minor in range(35, 16, -1)] + ["manylinux2014_aarch64"],
    "macos arm64": [f"macosx_{major}_0_{arch}" for major in (14, 13, 12, 11) for arch in ("arm64", "universal2")]
                   + ["macosx_10_9_universal2"],
    "windows amd64": ["win_amd64"],
}
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
#: PEP 508 marker values of each target (``python_version`` and friends come from the Python).
MARKERS = {
    "linux x86_64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
                     "os_name": "posix"},
    "linux aarch64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64",
                      "os_name": "posix"},
    "macos arm64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64",
                    "os_name": "posix"},
    "windows amd64": {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64",
                      "os_name": "nt"},
}
#: pip with its marker environment replaced by the target's (argv[1], JSON): packaging's
#: ``Marker.evaluate`` looks ``default_environment`` up in its module at every call.
_PIP_FOR_TARGET = """
import json, sys
from pip._vendor.packaging import markers
target, host = json.loads(sys.argv[1]), markers.default_environment
markers.default_environment = lambda: {**host(), **target}
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""
#: environment settings of pip that a student may have too (the rest are this machine's)
_PIP_ENV_KEPT = ("PIP_INDEX_URL", "PIP_CERT", "PIP_CLIENT_CERT", "PIP_DEFAULT_TIMEOUT", "PIP_TRUSTED_HOST")
#: The optional extras checked too (``[project.optional-dependencies]``; not the test tools), and
#: the targets where an extra is known to need more than wheels, and why. The required set has
#: no such list: it must resolve everywhere. The test fails when a gap starts to resolve (then
#: take it out of this list) and when an extra fails anywhere else.
EXTRAS = ("lab", "app", "pretrained", "voices")
EXTRA_GAPS = {
    ("pretrained", "linux aarch64"): "demucs 4.1.0 requires sphn (used only by demucs.api, which mssedu "
                                     "does not import), which publishes no Linux aarch64 wheel",
    ("voices", "linux x86_64"): "pyworld publishes Windows wheels only: pip compiles it (a C++ compiler)",
    ("voices", "linux aarch64"): "pyworld publishes Windows wheels only: pip compiles it (a C++ compiler)",
    ("voices", "macos arm64"): "pyworld publishes Windows wheels only: pip compiles it (a C++ compiler)",
}
CACHE = Path.home() / ".cache" / "mssedu" / "wheel-check"
MAX_AGE_S = 24 * 3600


def requirements(extra: str | None = None) -> list:
    """``[project] dependencies`` of pyproject.toml, or the requirements of one ``extra``."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return list(project["dependencies"] if extra is None else project["optional-dependencies"][extra])


def dist_name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].strip().lower().replace("_", "-")


def marker_environment(target: str, python: str) -> dict:
    """The PEP 508 marker values of CPython ``python`` on ``target``."""
    full = f"{python}.0"
    return {**MARKERS[target], "python_version": python, "python_full_version": full,
            "implementation_name": "cpython", "implementation_version": full,
            "platform_python_implementation": "CPython"}


def _pip_environment() -> dict:
    """This process's environment without this machine's pip configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k in _PIP_ENV_KEPT}
    return {**env, "PIP_CONFIG_FILE": os.devnull}


def resolve(target: str, python: str, reqs: list) -> dict:
    """One resolution: ``{"ok": bool, "versions": {name: version}, "error": str}``."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        markers = json.dumps(marker_environment(target, python))
        cmd = [sys.executable, "-c", _PIP_FOR_TARGET, markers, "install", "--dry-run", "--ignore-installed", "--quiet",
               "--only-binary=:all:", "--python-version", python, "--target", str(Path(tmp) / "t"),
               "--report", str(report), "--disable-pip-version-check"]
        for tag in TARGETS[target]:
            cmd += ["--platform", tag]
        out = subprocess.run(cmd + reqs, capture_output=True, text=True, env=_pip_environment())
        if out.returncode != 0:
            lines = [l for l in out.stderr.splitlines() if "ERROR" in l] or out.stderr.splitlines()[-3:]
            return {"ok": False, "versions": {}, "error": " ".join(lines)[-400:]}
        installed = json.loads(report.read_text())["install"]
        versions = {dist_name(i["metadata"]["name"]): i["metadata"]["version"] for i in installed}
        return {"ok": True, "versions": versions, "error": ""}


def check(refresh: bool = False) -> dict:
    """``{(target, python): resolution}`` of the required set and ``{(target, python, extra):
    resolution}`` of each extra's own requirements, for every target and Python; cached for a day."""
    jobs = {(t, p): requirements() for t in TARGETS for p in PYTHONS}
    jobs.update({(t, p, e): requirements(e) for t in TARGETS for p in PYTHONS for e in EXTRAS})
    key = hashlib.sha256(json.dumps([sorted(map(list, jobs)), list(jobs.values()), TARGETS, MARKERS,
                                     _PIP_FOR_TARGET]).encode()).hexdigest()[:16]
    cache = CACHE / f"{key}.json"
    if not refresh and cache.exists() and time.time() - cache.stat().st_mtime < MAX_AGE_S:
        return {tuple(k.split("|")): v for k, v in json.loads(cache.read_text()).items()}
    with ThreadPoolExecutor(max_workers=4) as pool:   # pip waits on the index, mostly
        done = pool.map(lambda k: resolve(k[0], k[1], jobs[k]), list(jobs))
    results = dict(zip(list(jobs), done))
    if all(r["ok"] or "No matching distribution" in r["error"] or "ResolutionImpossible" in r["error"]
           for r in results.values()):   # a network failure is not cached
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"|".join(k): v for k, v in results.items()}, indent=1))
    return results


def table(results: dict) -> str:
    """Markdown: one row per required dependency, then one per extra, one column per
    target/Python; the cell is the version pip picked (a wheel), or ``NO WHEEL`` where that
    resolution failed (``no wheel (known)`` for an :data:`EXTRA_GAPS` entry, listed below)."""
    cols = [(t, p) for t in TARGETS for p in PYTHONS]
    lines = ["| dependency | " + " | ".join(f"{t} {p}" for t, p in cols) + " |",
             "|" + "---|" * (len(cols) + 1)]
    for req in requirements():
        cells = [results[c]["versions"].get(dist_name(req), "?") if results[c]["ok"] else "NO WHEEL" for c in cols]
        lines.append(f"| {req} | " + " | ".join(cells) + " |")
    for extra in EXTRAS:
        cells = []
        for t, p in cols:
            got = results[(t, p, extra)]
            known = (extra, t) in EXTRA_GAPS
            cells.append(("RESOLVES NOW" if known else "wheels") if got["ok"] else
                         ("no wheel (known)" if known else "NO WHEEL"))
        lines.append(f"| extra `{extra}`: {', '.join(requirements(extra))} | " + " | ".join(cells) + " |")
    notes = [f"known gap, mssedu[{e}] on {t}: {why}" for (e, t), why in EXTRA_GAPS.items()]
    failed = [f"{' '.join(k)}: {r['error']}" for k, r in results.items()
              if not r["ok"] and (len(k) == 2 or (k[2], k[0]) not in EXTRA_GAPS)]
    return "\n".join(lines + [""] + notes + failed)


if __name__ == "__main__":
    print(table(check(refresh="--refresh" in sys.argv)))
