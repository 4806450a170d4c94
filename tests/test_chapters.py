"""mssedu.plot and mssedu.widgets gather every chapter module's names into one namespace:
no chapter may shadow another's name."""
from __future__ import annotations

import collections
import importlib

import pytest

from mssedu._chapters import CHAPTERS


@pytest.mark.parametrize("package", ["mssedu.plot", "mssedu.widgets"])
def test_chapter_names_are_unique_and_exported(package):
    pkg = importlib.import_module(package)
    counts = collections.Counter(pkg.__all__)
    assert not [n for n, c in counts.items() if c > 1], f"{package}: clashing names"
    gathered = 0
    for chapter in CHAPTERS:
        try:
            mod = importlib.import_module(f"{package}.{chapter}")
        except ModuleNotFoundError:
            continue
        for name in mod.__all__:
            assert getattr(pkg, name) is getattr(mod, name), f"{package}.{name}"
            gathered += 1
    assert gathered == len(pkg.__all__) and gathered > 10
