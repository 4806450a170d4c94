#!/usr/bin/env python3
"""Strip Jupyter notebooks for committing: no outputs, no execution counts, no widget state.

The course notebooks are committed clean so that diffs show only what an author wrote and
students always start from an unexecuted notebook. ``tests/test_notebooks.py`` fails when a
notebook under ``notebooks/`` is not clean, and says to run this script.

Usage::

    python scripts/strip_notebooks.py                 # strip every notebooks/*.ipynb in place
    python scripts/strip_notebooks.py a.ipynb b.ipynb # strip these
    python scripts/strip_notebooks.py --check         # only report; exit 1 if any is dirty

Only the standard library is used, so it runs before any environment exists (e.g. from a
git pre-commit hook: ``python scripts/strip_notebooks.py --check``).

What is removed: code-cell ``outputs`` and ``execution_count``; the notebook-level
``metadata.widgets`` (saved ipywidgets state) ; per-cell ``metadata.execution`` timings
(added by nbclient/JupyterLab), ``metadata.collapsed``/``scrolled`` view state.
Everything else (sources, attachments, tags) is kept byte for byte in meaning; the kernelspec is set
to the standard ``python3`` kernel so JupyterLab opens every notebook without asking.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CELL_VIEW_KEYS = ("execution", "collapsed", "scrolled", "ExecuteTime")
#: Every course notebook opens on the standard Python kernel, so JupyterLab does not ask.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def strip(nb: dict) -> dict:
    """Return ``nb`` (a notebook as parsed JSON) without outputs, counts or widget state."""
    nb.setdefault("metadata", {}).pop("widgets", None)
    nb["metadata"]["kernelspec"] = dict(KERNELSPEC)
    nb["metadata"].setdefault("language_info", {"name": "python"})
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        for key in CELL_VIEW_KEYS:
            meta.pop(key, None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return nb


def problems(nb: dict) -> list:
    """What would :func:`strip` change, in words (empty list: the notebook is clean)."""
    found = []
    if "widgets" in nb.get("metadata", {}):
        found.append("saved widget state in metadata.widgets")
    if nb.get("metadata", {}).get("kernelspec") != KERNELSPEC:
        found.append("metadata.kernelspec is not the standard python3 kernel")
    for i, cell in enumerate(nb.get("cells", [])):
        meta = cell.get("metadata", {})
        stale = [k for k in CELL_VIEW_KEYS if k in meta]
        if stale:
            found.append(f"cell {i}: metadata {', '.join(stale)}")
        if cell.get("cell_type") == "code":
            if cell.get("outputs"):
                found.append(f"cell {i}: {len(cell['outputs'])} output(s)")
            if cell.get("execution_count") is not None:
                found.append(f"cell {i}: execution_count {cell['execution_count']}")
    return found


def dumps(nb: dict) -> str:
    """Serialise the way Jupyter/nbformat does (1-space indent, sorted keys, UTF-8)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path,
                        help="notebooks to strip (default: notebooks/*.ipynb)")
    parser.add_argument("--check", action="store_true",
                        help="do not write; list dirty notebooks and exit 1 if there are any")
    args = parser.parse_args(argv)
    paths = args.paths or sorted((ROOT / "notebooks").glob("*.ipynb"))
    dirty = 0
    for path in paths:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            print(f"{path}: cannot read it as a notebook ({err})", file=sys.stderr)
            return 2
        found = problems(nb)
        if not found:
            continue
        dirty += 1
        if args.check:
            print(f"{path}: not stripped ({'; '.join(found[:5])}{' ...' if len(found) > 5 else ''})")
        else:
            path.write_text(dumps(strip(nb)), encoding="utf-8")
            print(f"stripped {path}")
    if args.check and dirty:
        print(f"{dirty} notebook(s) need stripping: run  python scripts/strip_notebooks.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
