'''Graded labs: the instructors' source of a notebook, and the student release built from it.

Each course notebook ``notebooks/NN_<topic>.ipynb`` that has an *instructor source*
``instructors/assignments/NN_<topic>.ipynb`` is generated from it: the source holds the whole
student notebook plus, next to each exercise, its solution and its graded tests, in the markup
of `Otter-Grader <https://otter-grader.readthedocs.io>`_:

* a raw cell ``# BEGIN QUESTION`` (``name:`` the exercise, as in ``check("<name>", ...)``)
  opens an exercise; its next code cell is the *solution cell*;
* in the solution cell, what the student sees sits between ``""" # BEGIN PROMPT`` and
  ``""" # END PROMPT`` (a string, so the source still runs), and the solution between
  ``# BEGIN SOLUTION NO PROMPT`` and ``# END SOLUTION``;
* a raw cell ``# BEGIN TESTS`` holds the exercise's tests in Otter's exception-based format
  (``@test_case(points=..., hidden=...)`` functions whose arguments are notebook variables;
  ``env`` is the whole namespace). Hidden tests call the student's code on other inputs.
* a markdown cell opening with ``<!-- BEGIN NOTES -->`` holds the instructors' worked-solution
  prose (reasoning, usual mistakes, questions for class); in it, a line ``<!-- SOLUTION -->``
  stands for the solution code of the question before it.

:func:`build_student` removes the solutions, the notes and the question/test cells and strips
outputs (the student notebook is the committed one, byte for byte); :func:`solutions_markdown`
renders the notes and solutions as ``instructors/solutions/NN_<topic>.md`` (also committed, also
generated: the source is the one copy); :func:`write_tests` writes the tests as Otter test files
for :mod:`mssedu.grading`. The instructors' material is not in the package that students install: it
is the repository's ``instructors/`` folder, or the archive :func:`mssedu.instructors.archive`
builds (see :func:`mssedu.instructors.instructors_folder` for how it is found).

Otter's own ``otter assign`` is not used to build the release: it rejects these sources (the
``# BEGIN NOTES`` markdown cells sit inside its questions: "Found a non-code cell in tests
block"), and it adds its own set-up, ``grader.check`` and export cells to the student
notebook, while the course keeps its notebooks as they are and its own ``check`` feedback.
The tests themselves are Otter's test cases, run by :mod:`mssedu.checker`.
'''
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import nbformat

from .errors import DataError, ParameterError
from .instructors import instructors_folder

__all__ = ["source_path", "student_path", "solutions_path", "sources",
           "build_student", "solutions_markdown", "dumps", "questions", "write_tests",
           "release", "PLACEHOLDER", "TEST_HEADER", "NOTES_MARK", "SOLUTION_MARK"]

#: A student placeholder: ``x = ...`` or ``return ...``.
PLACEHOLDER = re.compile(r"(^|[=(,\[]\s*|\breturn\s+)\.\.\.(\s*($|#|[,)\]]))", re.M)
#: What every generated Otter test file starts with.
TEST_HEADER = ("from otter.test_files import test_case\n"
               "import numpy as np\n"
               "from mssedu.exercises import check\n"
               "from mssedu.grading import rerun\n\n"
               "OK_FORMAT = False\n\n")
#: First line of a markdown cell of instructors' notes (in the solutions, not in the notebook).
NOTES_MARK = "<!-- BEGIN NOTES -->"
#: A line of a notes cell that stands for the solution code of the question before it.
SOLUTION_MARK = "<!-- SOLUTION -->"
_KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_VIEW_KEYS = ("execution", "collapsed", "scrolled", "ExecuteTime")


def _text(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def source_path(number, folder=None) -> Path:
    """The instructor source of notebook ``number``.

    Parameters
    ----------
    number : int or str
        The chapter number (``4``, ``"04"``) or a path to a source notebook.
    folder : path-like, optional
        The instructors' folder (see :func:`mssedu.instructors.instructors_folder`).

    Returns
    -------
    Path
        ``<instructors>/assignments/NN_<topic>.ipynb``.

    Raises
    ------
    ParameterError
        No source for that number, or no instructors' folder (the message says where to get it).
    """
    path = Path(str(number))
    if path.suffix == ".ipynb":
        if not path.is_file():
            raise ParameterError(f"{path} does not exist: pass an instructor source notebook.")
        return path
    here = sources(folder)
    found = [p for p in here if str(number).isdigit() and p.name[:2] == f"{int(number):02d}"]
    if not found:
        have = ", ".join(p.stem for p in here) or "none"
        raise ParameterError(f"No instructor source for notebook {number!r} in "
                             f"{instructors_folder(folder) / 'assignments'} (have: {have}): pass a "
                             "chapter number of one of them.")
    return found[0]


def student_path(source) -> Path:
    """The student notebook built from ``source``.

    Parameters
    ----------
    source : path-like
        An instructor source, ``<root>/instructors/assignments/NN_<topic>.ipynb``.

    Returns
    -------
    Path
        ``<root>/notebooks/<same name>`` (the checkout's, or next to an unpacked archive's
        ``instructors/``).
    """
    return Path(source).resolve().parent.parent.parent / "notebooks" / Path(source).name


def solutions_path(source) -> Path:
    """The worked solutions rendered from ``source``.

    Parameters
    ----------
    source : path-like
        An instructor source.

    Returns
    -------
    Path
        ``<instructors>/solutions/<same stem>.md``.
    """
    return Path(source).resolve().parent.parent / "solutions" / f"{Path(source).stem}.md"


def sources(folder=None) -> list:
    """Every instructor source.

    Parameters
    ----------
    folder : path-like, optional
        The instructors' folder (see :func:`mssedu.instructors.instructors_folder`).

    Returns
    -------
    list of Path
        Sorted ``<instructors>/assignments/NN_*.ipynb``.

    Raises
    ------
    ParameterError
        No instructors' folder (the message says where to get it).
    """
    return sorted((instructors_folder(folder) / "assignments").glob("[0-9][0-9]_*.ipynb"))


def _solution_only(text: str) -> str:
    """The instructor's view of a solution cell: the solution without the prompt."""
    out, mode = [], None
    for line in text.split("\n"):
        tag = line.strip()
        if tag == '""" # BEGIN PROMPT':
            mode = "prompt"
        elif tag == '""" # END PROMPT':
            mode = None
        elif not (tag.startswith("# BEGIN SOLUTION") or tag == "# END SOLUTION") and mode != "prompt":
            out.append(line)
    return "\n".join(out)


def _solution_to_prompt(text: str) -> str:
    """The student's view of a solution cell: prompts kept, solutions dropped."""
    out, mode = [], None
    for line in text.split("\n"):
        tag = line.strip()
        if tag == '""" # BEGIN PROMPT':
            mode = "prompt"
        elif tag == '""" # END PROMPT':
            mode = None
        elif tag.startswith("# BEGIN SOLUTION"):
            mode = "solution"
            if "NO PROMPT" not in tag:   # a bare solution region becomes `...`
                out.append(line[: len(line) - len(line.lstrip())] + "...")
        elif tag == "# END SOLUTION":
            mode = None
        elif mode != "solution":
            out.append(line)
    return "\n".join(out)


def _is_marker(cell, word: str) -> bool:
    return cell["cell_type"] == "raw" and _text(cell).lstrip().startswith(f"# BEGIN {word}")


def _is_notes(cell) -> bool:
    return cell["cell_type"] == "markdown" and _text(cell).lstrip().startswith(NOTES_MARK)


def _solution_region(text: str) -> str:
    """The code between ``# BEGIN SOLUTION ...`` and ``# END SOLUTION`` of a solution cell."""
    out, inside = [], False
    for line in text.split("\n"):
        tag = line.strip()
        if tag.startswith("# BEGIN SOLUTION"):
            inside = True
        elif tag == "# END SOLUTION":
            inside = False
        elif inside:
            out.append(line)
    return "\n".join(out).strip("\n")


def build_student(source, solutions: bool = False) -> dict:
    """The student notebook of an instructor source: no solutions, no tests, no outputs.

    Parameters
    ----------
    source : path-like or dict
        The instructor source (a path or a notebook read as JSON).
    solutions : bool
        Keep the solutions instead of the prompts: the solved notebook (to hand out after
        the lab, or to check that the source earns full marks).

    Returns
    -------
    dict
        The student notebook as JSON (write it with :func:`dumps`).
    """
    nb = copy.deepcopy(source) if isinstance(source, dict) else json.loads(
        Path(source).read_text(encoding="utf-8"))
    cells, solution_next = [], False
    for cell in nb["cells"]:
        if _is_marker(cell, "QUESTION"):
            solution_next = True
            continue
        if _is_marker(cell, "TESTS") or _is_notes(cell):
            continue
        if solution_next and cell["cell_type"] == "code":
            cell["source"] = (_solution_only if solutions else _solution_to_prompt)(_text(cell))
            solution_next = False
        meta = cell.get("metadata", {})
        for key in _VIEW_KEYS:
            meta.pop(key, None)
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        if isinstance(cell["source"], list):
            cell["source"] = "".join(cell["source"])
        cells.append(cell)
    nb["cells"] = cells
    nb["metadata"].pop("widgets", None)
    nb["metadata"]["kernelspec"] = dict(_KERNELSPEC)
    nb["metadata"].setdefault("language_info", {"name": "python"})
    return nb


def solutions_markdown(source) -> str:
    """The worked solutions of an instructor source, as ``instructors/solutions/NN_*.md``.

    The notes cells in notebook order, each ``<!-- SOLUTION -->`` line replaced by the solution
    code of the question before it in a python block. A question without notes still gets a
    section: its name and its solution code.

    Parameters
    ----------
    source : path-like or dict
        An instructor source (a path or a notebook read as JSON).

    Returns
    -------
    str
        The markdown text.

    Raises
    ------
    DataError
        A ``<!-- SOLUTION -->`` line before any question.
    """
    nb = source if isinstance(source, dict) else json.loads(Path(source).read_text(encoding="utf-8"))
    where = "its instructor source" if isinstance(source, dict) else \
        f"instructors/assignments/{Path(source).name}"
    parts = [f"<!-- Generated by `mssedu assign build` from {where}: edit the notes cells there. -->"]
    name, code, told, solution_next = None, None, True, False

    def untold():
        if name is not None and not told:
            parts.append(f"## `{name}`\n\n```python\n{code}\n```")

    for cell in nb["cells"]:
        text = _text(cell)
        if _is_marker(cell, "QUESTION"):
            untold()
            name = dict(re.findall(r"^(\w+):\s*(.+?)\s*$", text, flags=re.M)).get("name", "?")
            code, told, solution_next = "", False, True
        elif solution_next and cell["cell_type"] == "code":
            code, solution_next = _solution_region(text), False
        elif _is_notes(cell):
            body = text.lstrip()[len(NOTES_MARK):].strip("\n")
            if re.search(rf"^{re.escape(SOLUTION_MARK)}[ \t]*$", body, flags=re.M):
                if name is None:
                    raise DataError(f"{where}: a {SOLUTION_MARK} line before any question; "
                                    "move the notes cell after its question's tests.")
                body = re.sub(rf"^{re.escape(SOLUTION_MARK)}[ \t]*$",
                              lambda _: f"```python\n{code}\n```", body, flags=re.M)
                told = True
            parts.append(body)
    untold()
    return parts[0] + "\n" + "\n\n".join(p.strip("\n") for p in parts[1:] if p.strip()) + "\n"


def dumps(nb: dict) -> str:
    """A notebook as Jupyter writes it (1-space indent, sorted keys, UTF-8, lines as lists).

    Parameters
    ----------
    nb : dict
        A notebook as JSON.

    Returns
    -------
    str
        The file's text.
    """
    return nbformat.writes(nbformat.from_dict(nb)) + "\n"


def questions(source) -> list:
    """The graded exercises of an instructor source.

    Parameters
    ----------
    source : path-like
        An instructor source.

    Returns
    -------
    list of dict
        ``{"name", "points", "tests"}`` in notebook order; ``tests`` is the Otter test code.

    Raises
    ------
    DataError
        A question has no name or no tests.
    """
    nb = json.loads(Path(source).read_text(encoding="utf-8"))
    found, current = [], None
    for cell in nb["cells"]:
        if _is_marker(cell, "QUESTION"):
            fields = dict(re.findall(r"^(\w+):\s*(.+?)\s*$", _text(cell), flags=re.M))
            if "name" not in fields:
                raise DataError(f"{source}: a `# BEGIN QUESTION` cell has no `name:` line.")
            current = {"name": fields["name"], "tests": ""}
            found.append(current)
        elif _is_marker(cell, "TESTS"):
            if current is None:
                raise DataError(f"{source}: `# BEGIN TESTS` before any `# BEGIN QUESTION`.")
            current["tests"] = _text(cell).split("\n", 1)[1] if "\n" in _text(cell) else ""
            current = None
    for q in found:
        if "@test_case" not in q["tests"]:
            raise DataError(f"{source}: exercise {q['name']} has no tests: add a raw "
                            "`# BEGIN TESTS` cell with @test_case functions after its solution.")
        q["points"] = sum(float(p) for p in re.findall(r"@test_case\([^)]*points\s*=\s*([\d.]+)",
                                                       q["tests"]))
    return found


def write_tests(source, folder) -> list:
    """Write the tests of an instructor source as Otter test files, one per exercise.

    Parameters
    ----------
    source : path-like
        An instructor source.
    folder : path-like
        Where to write ``<name>.py`` (created).

    Returns
    -------
    list of dict
        :func:`questions`, each with its ``"path"`` (absolute).
    """
    folder = Path(folder).resolve()   # absolute: the grader runs elsewhere
    folder.mkdir(parents=True, exist_ok=True)
    qs = questions(source)
    for q in qs:
        q["path"] = folder / f"{q['name']}.py"
        q["path"].write_text(f"{TEST_HEADER}name = {q['name']!r}\npoints = None\n\n{q['tests']}\n",
                             encoding="utf-8")
    return qs


def release(numbers=None, check: bool = False, folder=None) -> list:
    """Build the student notebooks and worked solutions from their instructor sources.

    The course's release step: ``notebooks/NN_*.ipynb`` (:func:`build_student`) and
    ``instructors/solutions/NN_*.md`` (:func:`solutions_markdown`) of each source.

    Parameters
    ----------
    numbers : sequence of int or str, optional
        Chapters to build (default: every source in ``<instructors>/assignments/``).
    check : bool
        Only compare: write nothing.
    folder : path-like, optional
        The instructors' folder (see :func:`mssedu.instructors.instructors_folder`).

    Returns
    -------
    list of tuple
        ``(path, differed)`` for each student notebook and solutions file: whether the file
        was (or, with ``check``, is) different from its build.

    Raises
    ------
    ParameterError
        No instructors' folder, or it holds no sources (the message says where to get them).
    """
    paths = sources(folder) if not numbers else [source_path(n, folder) for n in numbers]
    if not paths:
        raise ParameterError(f"No instructor sources (NN_<name>.ipynb) in "
                             f"{instructors_folder(folder) / 'assignments'}: nothing to build.")
    done = []
    for src in paths:
        for target, text in ((student_path(src), dumps(build_student(src))),
                             (solutions_path(src), solutions_markdown(src))):
            differed = not target.is_file() or target.read_text(encoding="utf-8") != text
            if differed and not check:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            done.append((target, differed))
    return done
