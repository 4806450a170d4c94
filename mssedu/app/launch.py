"""``python -m mssedu.app.launch NOTEBOOK [VOILA OPTIONS]``: Voila, with the app's page template.

Voila looks for page templates in Jupyter's data folders (``<folder>/voila/templates/<name>``).
The app's template (:data:`mssedu.app.server.TEMPLATE`) ships inside the package, in
``mssedu/app/share``: this module puts that folder first on ``JUPYTER_PATH`` and runs Voila,
so that the template is found from a checkout and from a wheel alike, without installing
anything into the environment's ``share/``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from voila.app import main as voila_main

__all__ = ["SHARE", "main"]

#: The folder that holds ``voila/templates/mssedu`` (package data).
SHARE = Path(__file__).resolve().parent / "share"


def main(argv=None) -> int:
    """Run Voila with ``argv`` (default: this process's arguments) and the app's template.

    Parameters
    ----------
    argv : list of str or None
        Voila's arguments (the notebook and options).

    Returns
    -------
    int
        Voila's exit status.
    """
    paths = [str(SHARE)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(paths)   # read by jupyter_core when Voila starts
    sys.argv = ["voila", *(sys.argv[1:] if argv is None else argv)]
    return voila_main() or 0


if __name__ == "__main__":
    sys.exit(main())
