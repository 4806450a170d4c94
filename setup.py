"""Build hook: carry the course's student notebooks into the wheel.

They stay where they are in the repository (``notebooks/``); when the package is built,
``build_py`` copies them into ``mssedu/course_files/`` so that an installed mssedu has them
as package data (``mssedu.course.course_folder``). The sdist carries the folder itself
(``MANIFEST.in``). The instructors' material (``instructors/``: solutions, notes, hidden
tests) is never packaged: students install this package (see ``mssedu.instructors``).
Everything else is in ``pyproject.toml``.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
COURSE_PARTS = ("notebooks",)   # never "instructors": students install the wheel
IGNORED = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")


class BuildWithCourse(build_py):
    """``build_py`` that also copies the course folders into ``mssedu/course_files/``."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):   # a checkout uses the folders in place
            return
        target = Path(self.build_lib) / "mssedu" / "course_files"
        for part in COURSE_PARTS:
            source = ROOT / part
            if not source.is_dir():
                raise SystemExit(f"{source} is missing: the wheel must carry the course's {part}.")
            shutil.rmtree(target / part, ignore_errors=True)
            shutil.copytree(source, target / part, ignore=IGNORED)


setup(cmdclass={"build_py": BuildWithCourse})
