"""Gathering a package's per-chapter modules into one namespace (``mssedu.plot``,
``mssedu.widgets``): each chapter module's ``__all__`` becomes the package's."""
from __future__ import annotations

import importlib

#: chapter modules, in course order; a package holds those that it needs
CHAPTERS = ("core", "stft", "data", "masks", "phase", "evaluation", "classical", "unet",
            "pretrained", "spatial")


def gather(package: str, namespace: dict) -> list:
    """Import ``<package>.<chapter>`` for every chapter module that exists and copy the names
    in its ``__all__`` into ``namespace``; returns the combined ``__all__``."""
    names = []
    for chapter in CHAPTERS:
        try:
            mod = importlib.import_module(f"{package}.{chapter}")
        except ModuleNotFoundError as err:
            if err.name != f"{package}.{chapter}":
                raise  # a real missing dependency inside an existing module
            continue
        for name in getattr(mod, "__all__", []):
            namespace[name] = getattr(mod, name)
            names.append(name)
    return names
