"""Does every required dependency install from wheels (no compiler) on every platform we promise?

For each target (Linux x86-64 and aarch64, macOS arm64, Windows x64) and each CPython 3.10 to
3.13, pip resolves ``pyproject.toml``'s ``[project] dependencies`` -- with their own
dependencies, the whole tree -- as that machine would, accepting wheels only::

    pip install --dry-run --ignore-installed --only-binary=:all: --platform P --python-version V
                --target T --report R  DEP ...

``--dry-run`` resolves exactly as ``pip download --only-binary=:all:`` does but fetches only
the wheels' metadata (PyPI serves it apart, PEP 658), not gigabytes of torch wheels. A
dependency without a wheel for a target fails the resolution, and pip's message names it.
Results are cached in ``~/.cache/mssedu/wheel-check/`` (keyed by the dependency list, one day).

    python tests/wheel_check.py          # prints the table (for the release notes)
"""
from __future__ import annotations

import hashlib
import json
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
#: target name -> pip --platform tags (pip takes several; older manylinux/macOS tags included)
TARGETS = {
    "linux x86_64": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
                     "manylinux2010_x86_64", "manylinux1_x86_64"],
    "linux aarch64": ["manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"],
    "macos arm64": ["macosx_14_0_arm64", "macosx_11_0_arm64", "macosx_14_0_universal2",
                    "macosx_11_0_universal2", "macosx_10_9_universal2"],
    "windows amd64": ["win_amd64"],
}
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
#: Requirements known to lack wheels on a target, and why (the rest is still checked there, and
#: the test fails when one of these starts to resolve: then take it out of this list).
KNOWN_GAPS = {
    "linux aarch64": {"demucs": "its dependency sphn (used only by demucs.api, which mssedu does "
                                "not import) publishes no Linux aarch64 wheel (sphn 0.2.1)"},
}
CACHE = Path.home() / ".cache" / "mssedu" / "wheel-check"
MAX_AGE_S = 24 * 3600


def requirements() -> list:
    """``[project] dependencies`` of pyproject.toml."""
    return list(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])


def dist_name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].strip().lower().replace("_", "-")


def resolve(target: str, python: str, reqs: list) -> dict:
    """One resolution: ``{"ok": bool, "versions": {name: version}, "error": str}``."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
               "--only-binary=:all:", "--python-version", python, "--target", str(Path(tmp) / "t"),
               "--report", str(report), "--disable-pip-version-check"]
        for tag in TARGETS[target]:
            cmd += ["--platform", tag]
        out = subprocess.run(cmd + reqs, capture_output=True, text=True)
        if out.returncode != 0:
            lines = [l for l in out.stderr.splitlines() if "ERROR" in l] or out.stderr.splitlines()[-3:]
            return {"ok": False, "versions": {}, "error": " ".join(lines)[-400:]}
        installed = json.loads(report.read_text())["install"]
        versions = {dist_name(i["metadata"]["name"]): i["metadata"]["version"] for i in installed}
        return {"ok": True, "versions": versions, "error": ""}


def check(reqs=None, refresh: bool = False) -> dict:
    """``{(target, python): resolution}`` for every target and Python (without that target's
    :data:`KNOWN_GAPS`), plus ``{(target, python, "gaps"): resolution}`` of the gaps alone;
    cached for a day."""
    reqs = requirements() if reqs is None else reqs
    key = hashlib.sha256(json.dumps([reqs, TARGETS, PYTHONS, KNOWN_GAPS]).encode()).hexdigest()[:16]
    cache = CACHE / f"{key}.json"
    if not refresh and cache.exists() and time.time() - cache.stat().st_mtime < MAX_AGE_S:
        return {tuple(k.split("|")): v for k, v in json.loads(cache.read_text()).items()}
    jobs = {(t, p): [r for r in reqs if dist_name(r) not in KNOWN_GAPS.get(t, {})]
            for t in TARGETS for p in PYTHONS}
    jobs.update({(t, p, "gaps"): [r for r in reqs if dist_name(r) in gaps]
                 for t, gaps in KNOWN_GAPS.items() for p in PYTHONS})
    with ThreadPoolExecutor(max_workers=4) as pool:   # pip waits on the index, mostly
        done = pool.map(lambda k: resolve(k[0], k[1], jobs[k]), list(jobs))
    results = dict(zip(list(jobs), done))
    if all(r["ok"] or "No matching distribution" in r["error"] or "ResolutionImpossible" in r["error"]
           for r in results.values()):   # a network failure is not cached
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"|".join(k): v for k, v in results.items()}, indent=1))
    return results


def table(results: dict, reqs=None) -> str:
    """Markdown: one row per required dependency, one column per target/Python; the cell is
    the version pip picked (a wheel), ``NO WHEEL`` when that resolution failed, or
    ``no wheel (known)`` for a :data:`KNOWN_GAPS` entry (its reason is listed below)."""
    reqs = requirements() if reqs is None else reqs
    cols = [(t, p) for t in TARGETS for p in PYTHONS]
    lines = ["| dependency | " + " | ".join(f"{t} {p}" for t, p in cols) + " |",
             "|" + "---|" * (len(cols) + 1)]
    for req in reqs:
        cells = []
        for t, p in cols:
            if dist_name(req) in KNOWN_GAPS.get(t, {}):
                got = results[(t, p, "gaps")]
                cells.append("no wheel (known)" if not got["ok"] else "RESOLVES NOW")
            else:
                got = results[(t, p)]
                cells.append(got["versions"].get(dist_name(req), "?") if got["ok"] else "NO WHEEL")
        lines.append(f"| {req} | " + " | ".join(cells) + " |")
    notes = [f"known gap, {t}: {name}: {why}" for t, gaps in KNOWN_GAPS.items() for name, why in gaps.items()]
    failed = [f"{' '.join(k)}: {r['error']}" for k, r in results.items() if len(k) == 2 and not r["ok"]]
    return "\n".join(lines + [""] + notes + failed)


if __name__ == "__main__":
    print(table(check(refresh="--refresh" in sys.argv)))
