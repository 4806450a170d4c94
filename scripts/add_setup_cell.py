"""Put the Colab setup cell (``mssedu.colab_setup.SETUP_CELL``) first in every notebook.

Idempotent: a notebook whose first cell already is the current setup cell is not touched;
an older version of the cell (recognised by its first line, ``CELL_MARKER``) is updated in
place, or moved to the front if it is elsewhere. The cell is written without outputs, in
the format of ``scripts/strip_notebooks.py`` (1-space indent, sorted keys).

    python scripts/add_setup_cell.py                  # every notebooks/*.ipynb
    python scripts/add_setup_cell.py --check          # exit 1 if any notebook needs it
    python scripts/add_setup_cell.py path/to/nb.ipynb # only these
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mssedu.colab_setup import CELL_ID, CELL_MARKER, SETUP_CELL  # noqa: E402


def source_lines(text: str) -> list:
    """Jupyter's list-of-lines form of a cell's source."""
    lines = text.splitlines(keepends=True)
    if lines and lines[-1].endswith("\n"):
        lines[-1] = lines[-1][:-1]
    return lines


def setup_cell() -> dict:
    """The setup cell as notebook JSON (no outputs)."""
    return {"cell_type": "code", "execution_count": None, "id": CELL_ID,
            "metadata": {"tags": ["mssedu-setup"]}, "outputs": [],
            "source": source_lines(SETUP_CELL.rstrip("\n"))}


def is_setup(cell: dict) -> bool:
    src = cell.get("source", "")
    text = "".join(src) if isinstance(src, list) else src
    return cell.get("cell_type") == "code" and text.startswith(CELL_MARKER)


def with_setup_cell(nb: dict) -> dict:
    """``nb`` with exactly one setup cell, first and current."""
    cells = [c for c in nb["cells"] if not is_setup(c)]
    used = {c.get("id") for c in cells}
    cell = setup_cell()
    if CELL_ID in used:  # an unrelated cell took the id: keep ids unique
        cell["id"] = CELL_ID + "-cell"
    nb = dict(nb)
    nb["cells"] = [cell] + cells
    if nb.get("nbformat", 4) == 4 and nb.get("nbformat_minor", 0) < 5:
        nb["nbformat_minor"] = 5   # cell ids need nbformat 4.5
    return nb


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("notebooks", nargs="*", type=Path)
    p.add_argument("--check", action="store_true", help="only report; exit 1 if any needs the cell")
    args = p.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    changed = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        new = dumps(with_setup_cell(json.loads(text)))
        if new != text and dumps(json.loads(text)) != new:
            changed.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    verb = "need" if args.check else "updated"
    print(f"{len(changed)} of {len(paths)} notebook(s) {verb} the setup cell"
          + (": " + ", ".join(p.name for p in changed) if changed else ""))
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
