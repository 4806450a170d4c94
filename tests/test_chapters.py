"""One chapter table (mssedu.chapters) for the whole course: every chapter has its notebook
and its exercise module; mssedu.plot and mssedu.widgets re-export every chapter module's
names explicitly, and no chapter shadows another's name."""
from __future__ import annotations

import collections
import importlib
import pkgutil
from pathlib import Path

import pytest

import mssedu.exercises
from mssedu.chapters import CHAPTERS, SHARED_MODULE, Chapter, chapter
from mssedu.errors import ParameterError

ROOT = Path(__file__).resolve().parents[1]


def test_the_table_is_consistent():
    assert [c.number for c in CHAPTERS] == list(range(len(CHAPTERS)))
    names = [c.name for c in CHAPTERS]
    assert len(set(names)) == len(names), "two chapters share a name"
    for c in CHAPTERS:
        assert c.notebook == f"{c.number:02d}_{c.name}"
        assert (ROOT / "notebooks" / f"{c.notebook}.ipynb").is_file(), c.notebook
        assert (ROOT / "instructors" / "assignments" / f"{c.notebook}.ipynb").is_file(), c.notebook
        importlib.import_module(f"mssedu.exercises.{c.name}")


def test_every_notebook_and_exercise_module_is_a_chapter():
    notebooks = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert notebooks == {c.notebook for c in CHAPTERS}
    modules = {m.name for m in pkgutil.iter_modules(mssedu.exercises.__path__)}
    shared = {"checking", "hints"}   # check() itself, and the graded hints every chapter uses
    assert modules - shared == {c.name for c in CHAPTERS}


def test_every_exercise_uses_its_chapters_prefix():
    names = mssedu.exercises.list_exercises()
    assert names and {n.split(".", 1)[0] for n in names} <= {c.name for c in CHAPTERS}


def test_lookup():
    assert chapter(3) is chapter("03_phase") is chapter("phase") is chapter("phase")
    assert isinstance(chapter("evaluation"), Chapter) and chapter("evaluation").number == 4
    assert chapter("beyond").number == 8
    for old in ("eval", "spatial", "ch08_beyond", "08_beyond_old"):   # one name per chapter
        with pytest.raises(ParameterError):
            chapter(old)
    with pytest.raises(ParameterError, match="No chapter 'nope'"):
        chapter("nope")
    with pytest.raises(ParameterError):
        chapter(True)


@pytest.mark.parametrize("package", ["mssedu.plot", "mssedu.widgets"])
def test_chapter_names_are_unique_and_exported(package):
    pkg = importlib.import_module(package)
    counts = collections.Counter(pkg.__all__)
    assert not [n for n, c in counts.items() if c > 1], f"{package}: clashing names"
    expected = [SHARED_MODULE] + [c.name for c in CHAPTERS]
    present = {m.name for m in pkgutil.iter_modules(pkg.__path__)}
    assert present <= set(expected), f"{package}: modules that are no chapter's: {present - set(expected)}"
    exported = []
    for name in expected:
        if name not in present:
            continue
        mod = importlib.import_module(f"{package}.{name}")
        for attr in mod.__all__:
            assert getattr(pkg, attr) is getattr(mod, attr), f"{package}.{attr}"
            exported.append(attr)
    # every chapter module's names, nothing else, in course order
    assert exported == list(pkg.__all__) and len(exported) > 10
