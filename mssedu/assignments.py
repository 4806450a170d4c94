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
for :mod:`mssedu.grading`. :func:`bootstrap` makes a source from today's student notebook, its
hand-written worked solutions ``instructors/solutions/NN_<topic>.md`` (code and prose) and a
file of hidden tests ``instructors/assignments/hidden/NN_<topic>.py`` (one block per exercise,
opened by ``# EXERCISE <name>``).

Otter's own ``otter assign`` is not used to build the release: it adds its own set-up,
``grader.check`` and export cells and metadata to the student notebook and rewrites the
prompts, while the course keeps its notebooks as they are and its own ``check`` feedback.
'''
from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path

import nbformat

from .course import course_folder
from .errors import DataError, ParameterError

__all__ = ["ROOT", "SOURCE_DIR", "source_path", "student_path", "solutions_path", "sources",
           "build_student", "solutions_markdown", "dumps", "questions", "write_tests", "bootstrap",
           "release", "PLACEHOLDER", "TEST_HEADER", "NOTES_MARK", "SOLUTION_MARK"]

#: The repository checkout this package sits in (the sources are not in the wheel).
ROOT = Path(__file__).resolve().parent.parent
#: Where the instructor sources live.
SOURCE_DIR = ROOT / "instructors" / "assignments"
#: A student placeholder: ``x = ...`` or ``return ...``.
PLACEHOLDER = re.compile(r"(^|[=(,\[]\s*|\breturn\s+)\.\.\.(\s*($|#|[,)\]]))", re.M)
_CHECK = re.compile(r"(?<![\w])check\(\s*[\"']([\w.]+)[\"']\s*,\s*([A-Za-z_]\w*)")
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


def source_path(number) -> Path:
    """The instructor source of notebook ``number``.

    Parameters
    ----------
    number : int or str
        The chapter number (``4``, ``"04"``) or a path to a source notebook.

    Returns
    -------
    Path
        ``instructors/assignments/NN_<topic>.ipynb`` of this checkout, or of the course
        files of an installed wheel.

    Raises
    ------
    ParameterError
        No source for that number.
    """
    path = Path(str(number))
    if path.suffix == ".ipynb":
        if not path.is_file():
            raise ParameterError(f"{path} does not exist: pass an instructor source notebook.")
        return path
    found = []
    if str(number).isdigit():
        folders = [SOURCE_DIR]
        try:   # an installed wheel carries the instructors' material as course files
            folders.append(course_folder("instructors") / "assignments")
        except DataError:
            pass
        found = [p for folder in folders for p in sorted(folder.glob(f"{int(number):02d}_*.ipynb"))]
    if not found:
        have = ", ".join(p.stem for p in sources()) or "none"
        raise ParameterError(f"No instructor source for notebook {number!r} in {SOURCE_DIR} "
                             f"(have: {have}). Make one with `mssedu assign bootstrap {number}`.")
    return found[0]


def student_path(source) -> Path:
    """The student notebook built from ``source``.

    Parameters
    ----------
    source : path-like
        An instructor source.

    Returns
    -------
    Path
        ``notebooks/<same name>``.
    """
    return ROOT / "notebooks" / Path(source).name


def solutions_path(source) -> Path:
    """The worked solutions rendered from ``source``.

    Parameters
    ----------
    source : path-like
        An instructor source (or a student notebook: the same name).

    Returns
    -------
    Path
        ``instructors/solutions/<same stem>.md``.
    """
    return ROOT / "instructors" / "solutions" / f"{Path(source).stem}.md"


def sources() -> list:
    """Every instructor source.

    Returns
    -------
    list of Path
        Sorted ``instructors/assignments/*.ipynb``.
    """
    return sorted(SOURCE_DIR.glob("[0-9][0-9]_*.ipynb"))


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


# -- bootstrap from today's student notebook -------------------------------------------------

def _md_solutions(md: str) -> list:
    """``(heading, code)`` of each ``## `` section's first python block."""
    out = []
    for section in re.split(r"^## ", md, flags=re.M)[1:]:
        heading = section.split("\n", 1)[0]
        blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
        if blocks:
            out.append((heading, blocks[0].rstrip("\n")))
    return out


def _section_of(name: str, answer: str, solutions: list):
    """Index in ``solutions`` of the worked solution of exercise ``name`` (or None)."""
    for i, (heading, _) in enumerate(solutions):
        if f"`{name}`" in heading:
            return i
    for i, (_, code) in enumerate(solutions):
        if re.search(rf"^(def\s+{answer}\s*\(|{answer}\s*=)", code, flags=re.M):
            return i
    return None


def _pick_solution(name: str, answer: str, solutions: list) -> str:
    i = _section_of(name, answer, solutions)
    if i is None:
        raise DataError(f"No worked solution for exercise {name} (answer `{answer}`): the solutions "
                        "file needs a `## ` section naming it, with a ```python block.")
    return solutions[i][1]


def _md_notes(md: str, solutions: list, exercises: list) -> tuple:
    """The hand-written solutions file as notes cells' text: ``(intro, {name: text}, rest)``.

    A section of an exercise keeps its prose, its first python block becoming the solution
    marker; the sections of no exercise (discussion, lab notes) go to ``rest``, in order.
    """
    intro, *sections = re.split(r"^## ", md, flags=re.M)
    intro = re.sub(r"\A<!-- Generated by .*?-->\n", "", intro)
    owner = {}
    for name, answer in exercises:
        i = _section_of(name, answer, solutions)
        if i is not None:
            owner.setdefault(i, name)
    coded = [i for i, section in enumerate(sections) if re.search(r"```python\n", section)]
    by_name, rest = {}, []
    for k, section in enumerate(sections):
        i = coded.index(k) if k in coded else None
        text = "## " + section.strip("\n")
        if i is not None and i in owner:
            by_name[owner[i]] = re.sub(r"```python\n.*?```", lambda _: SOLUTION_MARK, text,
                                       count=1, flags=re.S)
        else:
            rest.append(text)
    return intro.strip("\n"), by_name, rest


def _notes_cell(text: str):
    return nbformat.v4.new_markdown_cell(f"{NOTES_MARK}\n{text}")


def _prompt_span(lines: list) -> tuple:
    """First and last line (inclusive) of the statements holding the ``...`` placeholders."""
    hits = [i for i, line in enumerate(lines) if PLACEHOLDER.search(line)]
    start, end = hits[0], hits[-1]
    while start > 0 and lines[start][:1] in (" ", "\t"):
        start -= 1
    return start, end


def _hidden_blocks(path: Path) -> dict:
    if not path.is_file():
        return {}
    blocks, name = {}, None
    for line in path.read_text(encoding="utf-8").split("\n"):
        m = re.match(r"^# EXERCISE\s+([\w.]+)\s*$", line)
        if m:
            name = m.group(1)
            blocks[name] = []
        elif name:
            blocks[name].append(line)
    return {k: "\n".join(v).strip("\n") for k, v in blocks.items()}


def _check_call(text: str, name: str, answer: str) -> tuple:
    """The cell's ``check(...)`` call as source, and the notebook variables it reads."""
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check" \
                and node.args and getattr(node.args[0], "value", None) == name:
            names = [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id != "check"]
            return ast.unparse(node), list(dict.fromkeys([answer] + names))
    return f"check({name!r}, {answer})", [answer]


def _raw(text: str):
    return nbformat.v4.new_raw_cell(text)


def bootstrap(number, write: bool = True) -> dict:
    """Make the instructor source of notebook ``number`` from today's student notebook.

    Every code cell calling ``check("<name>", answer)`` with a ``...`` placeholder becomes a
    question (the rest of the notebook, prose and plots, is copied as it is): its placeholder
    statements become the prompt, the first python block of the worked solution
    (``instructors/solutions/NN_*.md``, the section naming the exercise, or else the one
    defining ``answer``) the solution. Its tests are the public check (1 point) and the
    exercise's block in ``instructors/assignments/hidden/NN_*.py``, if any. The prose of the
    solutions file becomes notes cells (its intro first, each exercise's section after the
    exercise's tests, the other sections at the end), from which
    :func:`solutions_markdown` renders the solutions file again.

    Parameters
    ----------
    number : int or str
        The chapter number.
    write : bool
        Write ``instructors/assignments/NN_*.ipynb`` (refuses to overwrite an existing one) and
        the solutions file rendered from it.

    Returns
    -------
    dict
        ``{"path", "questions", "without_hidden", "solutions", "tests"}``: the source written,
        the exercise names, those that have only the public check, the solutions file, and
        each exercise's Otter test code (``{name: code}``).

    Raises
    ------
    ParameterError
        No such notebook, or its source exists already.
    DataError
        A solution is missing, a hidden-test block names no exercise of the notebook, or the
        built student notebook would differ from today's.
    """
    found = sorted((ROOT / "notebooks").glob(f"{int(number):02d}_*.ipynb"))
    if not found:
        raise ParameterError(f"No notebook notebooks/{int(number):02d}_*.ipynb.")
    student = found[0]
    target = SOURCE_DIR / student.name
    if write and target.exists():
        raise ParameterError(f"{target} exists already: it is the source of {student.name} now "
                             "(edit it, then `mssedu assign build`). Delete it to bootstrap again.")
    md_path = solutions_path(student)
    md = md_path.read_text(encoding="utf-8") if md_path.is_file() else ""
    solutions = _md_solutions(md)
    hidden_path = SOURCE_DIR / "hidden" / f"{student.stem}.py"
    hidden = _hidden_blocks(hidden_path)
    original = json.loads(student.read_text(encoding="utf-8"))
    nb = nbformat.from_dict(copy.deepcopy(original))

    def exercise(cell):
        text = _text(cell)
        match = _CHECK.search(text)
        if cell.cell_type == "code" and match and PLACEHOLDER.search(text):
            return match.groups()
        return None

    exercises = [found for found in map(exercise, nb.cells) if found]
    stale = sorted(set(hidden) - {name for name, _ in exercises})
    if stale:
        raise DataError(f"{hidden_path.name}: no exercise {', '.join(stale)} in {student.name} "
                        f"(its exercises: {', '.join(n for n, _ in exercises)}); fix the "
                        "`# EXERCISE` lines.")
    intro, notes, rest = _md_notes(md, solutions, exercises)
    cells, names, without, all_tests = [_notes_cell(intro)] if intro else [], [], [], {}
    for cell in nb.cells:
        if not exercise(cell):
            cells.append(cell)
            continue
        text = _text(cell)
        name, answer = exercise(cell)
        lines = text.split("\n")
        start, end = _prompt_span(lines)
        solution = _pick_solution(name, answer, solutions)
        if '"""' in "\n".join(lines[start:end + 1]):
            raise DataError(f"{name}: the prompt holds a triple-quoted string; write this "
                            "question's source by hand.")
        cell.source = "\n".join(lines[:start] + ['""" # BEGIN PROMPT'] + lines[start:end + 1]
                                + ['""" # END PROMPT', "# BEGIN SOLUTION NO PROMPT", solution,
                                   "# END SOLUTION"] + lines[end + 1:])
        call, args = _check_call(text, name, answer)
        tests = (f"@test_case(points=1, hidden=False)\ndef public_check({', '.join(args)}):\n"
                 f"    result = {call}\n    assert result, result.message\n")
        if name in hidden:
            tests += "\n" + hidden[name] + "\n"
        else:
            without.append(name)
        cells += [_raw(f"# BEGIN QUESTION\nname: {name}"), cell, _raw("# BEGIN TESTS\n" + tests)]
        all_tests[name] = tests
        if name in notes:
            cells.append(_notes_cell(notes[name]))
        names.append(name)
    if rest:
        cells.append(_notes_cell("\n\n".join(rest)))
    nb.cells = cells
    source = json.loads(nbformat.writes(nb))
    if dumps(build_student(source)) != dumps(build_student(original)):
        raise DataError(f"Bootstrapping {student.name} would change the student notebook; "
                        "write its source by hand.")
    if write:
        SOURCE_DIR.mkdir(parents=True, exist_ok=True)
        target.write_text(dumps(source), encoding="utf-8")
        md_path.parent.mkdir(parents=True, exist_ok=True)
        md_path.write_text(solutions_markdown(target), encoding="utf-8")
    return {"path": target, "questions": names, "without_hidden": without, "solutions": md_path,
            "tests": all_tests}


def release(numbers=None, check: bool = False) -> list:
    """Build the student notebooks and worked solutions from their instructor sources.

    The course's release step: ``notebooks/NN_*.ipynb`` (:func:`build_student`) and
    ``instructors/solutions/NN_*.md`` (:func:`solutions_markdown`) of each source.

    Parameters
    ----------
    numbers : sequence of int or str, optional
        Chapters to build (default: every source in ``instructors/assignments/``).
    check : bool
        Only compare: write nothing.

    Returns
    -------
    list of tuple
        ``(path, differed)`` for each student notebook and solutions file: whether the committed
        file was (or, with ``check``, is) different from its build.
    """
    paths = sources() if not numbers else [source_path(n) for n in numbers]
    done = []
    for src in paths:
        for target, text in ((student_path(src), dumps(build_student(src))),
                             (solutions_path(src), solutions_markdown(src))):
            differed = not target.is_file() or target.read_text(encoding="utf-8") != text
            if differed and not check:
                target.write_text(text, encoding="utf-8")
            done.append((target, differed))
    return done
