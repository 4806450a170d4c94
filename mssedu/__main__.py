"""``python -m mssedu ...`` runs the ``mssedu`` command line (see :mod:`mssedu.cli`)."""
from .cli import main

raise SystemExit(main())
