"""Graded labs: student notebooks are built from their instructor sources, and `mssedu grade`
scores fake submissions of notebook 04 as expected (hidden tests catch a hard-coded answer; a
crash, a hang and a file that is not a notebook score 0 with a note and do not stop the run).

The submissions keep notebook 04's set-up cell and its exercise cells only (the BSS Eval and
widget cells are dropped, as a student may do) so that grading stays quick.
"""
from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from mssedu import assignments
from mssedu.cli import main
from mssedu.grading import grade, grade_submission

pytest.importorskip("otter")

ROOT = Path(__file__).resolve().parents[1]
SOURCE = assignments.source_path(4)
# public check 1 point + hidden test 2 points, for each of the three exercises
POSSIBLE = {"eval.sdr": 3.0, "eval.si_sdr": 3.0, "eval.my_si_sdr": 3.0}


def test_committed_student_notebooks_are_built_from_their_sources():
    assert assignments.sources(), "no instructor sources in instructors/assignments/"
    stale = [p.name for p, differed in assignments.release(check=True) if differed]
    assert not stale, f"{stale} differ from their instructor source: run `mssedu assign build`"
    assert main(["assign", "build", "--check"]) == 0


def test_every_source_has_hidden_tests_worth_more_than_the_check():
    for src in assignments.sources():
        for q in assignments.questions(src):
            assert "hidden=True" in q["tests"], f"{src.name}: {q['name']} has no hidden test"
            assert q["points"] >= 2, q


def test_student_build_hides_solutions_and_tests():
    student = json.dumps(assignments.build_student(SOURCE))
    solved = json.dumps(assignments.build_student(SOURCE, solutions=True))
    for marker in ("BEGIN SOLUTION", "BEGIN PROMPT", "BEGIN TESTS", "BEGIN QUESTION", "test_case"):
        assert marker not in student and marker not in solved
    assert "np.log10" in solved and "my_sdr = ...   # your code" in student


def _cells(nb, keep):
    """Notebook 04 cut to its set-up cells (the Colab cell, the chapter's imports) and exercise cells."""
    nb = nbformat.from_dict(nb)
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or "from mssedu" in c.source
                or "MSSEDU_SOURCE" in c.source or keep(c.source)]
    return nb


def _exercise(c):
    return "check(" in c


def _visible_sdr() -> float:
    """The value the visible check accepts for eval.sdr (what a student could copy)."""
    student = nbformat.from_dict(assignments.build_student(SOURCE))
    env = {}
    imports = next(c for c in student.cells if c.cell_type == "code"   # the chapter's imports,
                   and "from mssedu" in c.source and "MSSEDU_SOURCE" not in c.source)  # not setup
    exec(imports.source, env)
    return float(env["metrics"].sdr(env["vocals"], env["est_vocals"]))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    solved = _cells(assignments.build_student(SOURCE, solutions=True), _exercise)
    blank = _cells(assignments.build_student(SOURCE), _exercise)
    nbformat.write(solved, subs / "alice.ipynb")
    nbformat.write(blank, subs / "bob.ipynb")
    cheat = nbformat.reads(nbformat.writes(solved), as_version=4)
    for cell in cheat.cells:
        if 'check("eval.sdr"' in cell.source:      # the visible answer, hard-coded
            cell.source = f"my_sdr = {_visible_sdr()!r}\ncheck(\"eval.sdr\", my_sdr, reference=vocals, estimate=est_vocals)"
        if 'check("eval.my_si_sdr"' in cell.source:  # this exercise's cell raises
            cell.source = "1 / 0\n" + cell.source
    (subs / "carol").mkdir()
    nbformat.write(cheat, subs / "carol" / "04_evaluation.ipynb")
    (subs / "dave.ipynb").write_text("this is not a notebook\n")
    out = tmp_path_factory.mktemp("grades")
    start = time.monotonic()
    here = os.getcwd()
    os.chdir(out.parent)   # a relative output folder, as `mssedu grade subs --out grades` gives
    try:
        rows = dict(grade(subs, 4, out=out.name, timeout=240, jobs=2))
    finally:
        os.chdir(here)
    return rows, out, time.monotonic() - start


def test_grades_of_fake_submissions(graded):
    rows, out, seconds = graded
    total = {s: sum(r["scores"].values()) for s, r in rows.items()}
    assert rows["alice"]["scores"] == POSSIBLE, rows["alice"]
    assert rows["alice"]["note"] == ""
    assert total["bob"] == 0.0
    # carol: hard-coded SDR passes the public check only (1 of 3); SI-SDR right (3); the cell
    # of the SI-SDR function raises, so that exercise scores 0
    assert rows["carol"]["scores"] == {"eval.sdr": 1.0, "eval.si_sdr": 3.0, "eval.my_si_sdr": 0.0}
    assert "ZeroDivisionError" in rows["carol"]["note"]
    assert total["dave"] == 0.0 and "not a notebook" in rows["dave"]["note"]
    print(f"graded 4 submissions of notebook 04 in {seconds:.0f} s")


def test_grade_sheet(graded):
    rows, out, _ = graded
    with open(out / "grades.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["student"] for r in table] == ["(possible)", "alice", "bob", "carol", "dave"]
    assert list(table[0])[1:4] == list(POSSIBLE)
    assert [float(r["total"]) for r in table] == [9.0, 9.0, 0.0, 4.0, 0.0]
    sheet = (out / "grades.html").read_text()
    assert "carol" in sheet and "feedback/carol.html" in sheet
    feedback = (out / "feedback" / "carol.html").read_text()
    assert "hidden test" in feedback and "4 / 9" in feedback
    assert "rerun" not in feedback   # what a hidden test does is not shown


def test_a_hanging_submission_is_stopped(tmp_path):
    nb = _cells(assignments.build_student(SOURCE, solutions=True), _exercise)
    nb.cells.insert(2, nbformat.v4.new_code_cell("import time\nwhile True:\n    time.sleep(1)"))
    nbformat.write(nb, tmp_path / "hang.ipynb")
    tests = assignments.write_tests(SOURCE, tmp_path / "tests")
    start = time.time()
    res = grade_submission(tmp_path / "hang.ipynb", tests, timeout=8)
    assert time.time() - start < 30
    assert sum(res["scores"].values()) == 0.0 and "time limit" in res["note"]
    time.sleep(1)
    left = []
    for proc in psutil.process_iter(["create_time"]):
        try:   # the kernel runs in the grader's temporary folder; it must be gone
            if proc.info["create_time"] >= start - 1 and "mssedu-grade-" in proc.cwd():
                left.append(proc.pid)
        except (psutil.Error, OSError):
            continue
    assert not left, f"the grader left processes running: {left}"


def test_worked_solutions_show_the_sources_solution_code():
    """instructors/solutions/NN.md explains the code of the source's solution regions: the two
    must not drift apart (edit both, or the source and then the .md)."""
    for src in assignments.sources():
        md = ROOT / "instructors" / "solutions" / f"{src.stem}.md"
        if not md.is_file():
            continue
        text = md.read_text()
        nb = json.loads(src.read_text())
        for cell in nb["cells"]:
            code = "".join(cell["source"])
            if cell["cell_type"] == "code" and "# BEGIN SOLUTION" in code:
                solution = code.split("# BEGIN SOLUTION NO PROMPT\n", 1)[1].split("\n# END SOLUTION")[0]
                assert solution in text, f"{src.name}: solution not in {md.name}:\n{solution}"
