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
import numpy as np
import psutil
import pytest

from mssedu import assignments
from mssedu.errors import DataError
from mssedu.cli import main
from mssedu.grading import grade, grade_submission

pytest.importorskip("otter")

ROOT = Path(__file__).resolve().parents[1]
SOURCE = assignments.source_path(4)
# public check 1 point + hidden test 2 points, for each of the three exercises
POSSIBLE = {"evaluation.sdr": 3.0, "evaluation.si_sdr": 3.0, "evaluation.my_si_sdr": 3.0,
            "evaluation.rank_correlation": 3.0}


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
    """The value the visible check accepts for evaluation.sdr (what a student could copy)."""
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
        if 'check("evaluation.sdr"' in cell.source:      # the visible answer, hard-coded
            cell.source = f"my_sdr = {_visible_sdr()!r}\ncheck(\"evaluation.sdr\", my_sdr, reference=vocals, estimate=est_vocals)"
        if 'check("evaluation.my_si_sdr"' in cell.source:  # this exercise's cell raises
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
    # of the SI-SDR function raises, so that exercise scores 0; rank correlation right (3)
    assert rows["carol"]["scores"] == {"evaluation.sdr": 1.0, "evaluation.si_sdr": 3.0, "evaluation.my_si_sdr": 0.0,
                                       "evaluation.rank_correlation": 3.0}
    assert "ZeroDivisionError" in rows["carol"]["note"]
    assert total["dave"] == 0.0 and "not a notebook" in rows["dave"]["note"]
    print(f"graded 4 submissions of notebook 04 in {seconds:.0f} s")


def test_grade_sheet(graded):
    rows, out, _ = graded
    with open(out / "grades.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["student"] for r in table] == ["(possible)", "alice", "bob", "carol", "dave"]
    assert list(table[0])[1:5] == list(POSSIBLE)
    assert [float(r["total"]) for r in table] == [12.0, 12.0, 0.0, 7.0, 0.0]
    sheet = (out / "grades.html").read_text()
    assert "carol" in sheet and "feedback/carol.html" in sheet
    feedback = (out / "feedback" / "carol.html").read_text()
    assert "hidden test" in feedback and "7 / 12" in feedback
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


def test_worked_solutions_are_rendered_from_the_sources():
    """instructors/solutions/NN.md of a notebook with a source is generated from it (its notes
    cells and solution regions): one copy of each solution, and the prose is kept."""
    for src in assignments.sources():
        md = assignments.solutions_path(src)
        text = assignments.solutions_markdown(src)
        assert md.read_text() == text, f"{md.name} differs from {src.name}: run `mssedu assign build`"
        assert text.startswith("<!-- Generated by `mssedu assign build`")
        student = json.dumps(assignments.build_student(src)) + json.dumps(
            assignments.build_student(src, solutions=True))
        assert assignments.NOTES_MARK not in student and assignments.SOLUTION_MARK not in text
        nb = json.loads(src.read_text())
        for cell in nb["cells"]:
            code = "".join(cell["source"])
            if cell["cell_type"] == "code" and "# BEGIN SOLUTION" in code:
                solution = code.split("# BEGIN SOLUTION NO PROMPT\n", 1)[1].split("\n# END SOLUTION")[0]
                assert f"```python\n{solution}\n```" in text, f"{src.name}: solution not in {md.name}"
        for q in assignments.questions(src):   # each exercise has its notes, not just its code
            assert f"## `{q['name']}`\n" not in text, f"{src.name}: {q['name']} has no notes cell"


def test_solutions_markdown_places_each_solution_after_its_notes():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(f"{assignments.NOTES_MARK}\n# Solutions · 99"),
        nbformat.v4.new_raw_cell("# BEGIN QUESTION\nname: demo.a"),
        nbformat.v4.new_code_cell('""" # BEGIN PROMPT\na = ...\n""" # END PROMPT\n'
                                  "# BEGIN SOLUTION NO PROMPT\na = 1 + 1\n# END SOLUTION\ncheck('demo.a', a)"),
        nbformat.v4.new_raw_cell("# BEGIN TESTS\n@test_case(points=1)\ndef t(a):\n    assert a == 2"),
        nbformat.v4.new_markdown_cell(f"{assignments.NOTES_MARK}\n## A\n\nbefore\n"
                                      f"{assignments.SOLUTION_MARK}\nafter"),
        nbformat.v4.new_raw_cell("# BEGIN QUESTION\nname: demo.b"),
        nbformat.v4.new_code_cell("# BEGIN SOLUTION NO PROMPT\nb = 3\n# END SOLUTION"),
        nbformat.v4.new_raw_cell("# BEGIN TESTS\n@test_case(points=1)\ndef t(b):\n    assert b"),
        nbformat.v4.new_markdown_cell(f"{assignments.NOTES_MARK}\n## Questions\n\n* why?"),
    ])
    text = assignments.solutions_markdown(json.loads(nbformat.writes(nb)))
    assert text.split("\n", 1)[1] == ("# Solutions · 99\n\n## A\n\nbefore\n```python\na = 1 + 1\n```\n"
                                      "after\n\n## Questions\n\n* why?\n\n## `demo.b`\n\n"
                                      "```python\nb = 3\n```\n")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(nb.cells[4].source))
    with pytest.raises(DataError, match="before any question"):
        assignments.solutions_markdown(json.loads(nbformat.writes(nb)))


def test_hidden_tests_wait_only_for_notebooks_without_a_source():
    """instructors/assignments/hidden/NN.py is read once, by `mssedu assign bootstrap NN`: it
    must name every exercise of today's notebook NN (so the bootstrap can run at any time),
    and is deleted once the source exists (the source then holds the tests)."""
    waiting = sorted(assignments.SOURCE_DIR.glob("hidden/[0-9][0-9]_*.py"))
    have = {p.stem for p in assignments.sources()}
    for path in waiting:
        assert path.stem not in have, f"{path} is left over: the source holds its tests, delete it"
        made = assignments.bootstrap(path.stem[:2], write=False)
        assert made["questions"] and not made["without_hidden"], made
        text = path.read_text()
        assert text.count("hidden=True") >= len(made["questions"])
        compile(text, str(path), "exec")


_DEMO_MD = """# Solutions · 99 Demo

Intro for instructors.

## Exercise 1 — the pan law's ILD (`beyond.pan_law_ild`)

$$\\mathrm{ILD} = 20\\log_{10}\\cot\\theta$$

```python
my_ild_db = 20 * np.log10(1 / np.tan(np.pi / 8))
```

Usual mistake: 10 log10.

## Questions for discussion

* Why?

## Exercise 2 — a band-split layer

```python
def my_band_split(S, edges, weights):
    return np.stack([W @ S[edges[k]:edges[k + 1]] for k, W in enumerate(weights)])
```

The upper edge is excluded.
"""
_DEMO_HIDDEN = """# EXERCISE beyond.pan_law_ild
@test_case(points=1, hidden=True)
def hidden_computed(my_ild_db):
    assert abs(my_ild_db - 7.6555) < 1e-3

# EXERCISE beyond.my_band_split
@test_case(points=2, hidden=True)
def hidden_other(my_band_split):
    assert my_band_split(np.ones((4, 2)), [0, 1, 4], [np.ones((1, 1)), np.ones((1, 3))]).shape == (2, 1, 2)
"""


def _write_student(nb, path):
    """Write ``nb`` as a committed student notebook is (the release's format)."""
    path.write_text(assignments.dumps(assignments.build_student(json.loads(nbformat.writes(nb)))))


def _bootstrap_tree(tmp_path, monkeypatch):
    """A course of one notebook, 99_demo (two exercises), with its solutions and hidden tests."""
    code, md = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell
    nb = nbformat.v4.new_notebook(cells=[
        md("# 99 · Demo\n\nSome prose."), code("import numpy as np\nfrom mssedu.exercises import check"),
        md("**Exercise 1.** The ILD at p = -0.5?"),
        code('my_ild_db = ...   # your answer: one number\ncheck("beyond.pan_law_ild", my_ild_db)'),
        code("x = np.arange(3)\nprint(x)"), md("**Exercise 2.** A band-split layer."),
        code("def my_band_split(S, edges, weights):\n    return ...   # your code\n\n"
             'check("beyond.my_band_split", my_band_split)')])
    for folder in ("notebooks", "instructors/solutions", "instructors/assignments/hidden"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "instructors/solutions/99_demo.md").write_text(_DEMO_MD)
    (tmp_path / "instructors/assignments/hidden/99_demo.py").write_text(_DEMO_HIDDEN)
    monkeypatch.setattr(assignments, "ROOT", tmp_path)
    monkeypatch.setattr(assignments, "SOURCE_DIR", tmp_path / "instructors" / "assignments")
    return nb, tmp_path / "notebooks" / "99_demo.ipynb"


def test_bootstrap_keys_on_the_exercise_cells(tmp_path, monkeypatch):
    """Edited prose, a new plot cell and a moved exercise do not stop the bootstrap: it finds
    the exercises by their check(...) call and placeholder, and copies the rest as it is; the
    solutions file keeps all its prose (exercises' sections in notebook order) and is rendered
    from the source from then on."""
    nb, path = _bootstrap_tree(tmp_path, monkeypatch)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = cell.source.replace("The", "THE") + "\n\nA new sentence."
    nb.cells.insert(2, nbformat.v4.new_code_cell("plot_something()"))
    nb.cells.insert(2, nb.cells.pop(-1))   # exercise 2 moved before exercise 1
    _write_student(nb, path)
    made = assignments.bootstrap(99)
    assert made["questions"] == ["beyond.my_band_split", "beyond.pan_law_ild"]
    assert not made["without_hidden"]
    assert assignments.dumps(assignments.build_student(made["path"])) == path.read_text()
    assert [(q["name"], q["points"]) for q in assignments.questions(made["path"])] == [
        ("beyond.my_band_split", 3.0), ("beyond.pan_law_ild", 2.0)]
    new = made["solutions"].read_text()
    intro, ild, discussion, band = [part.strip("\n") for part in _DEMO_MD.split("\n## ")]
    assert new.split("\n", 1)[1] == f"{intro}\n\n## {band}\n\n## {ild}\n\n## {discussion}\n"
    assert not any(differed for _, differed in assignments.release(check=True))
    solved = assignments.build_student(made["path"], solutions=True)
    assert "20 * np.log10(1 / np.tan(np.pi / 8))" in json.dumps(solved)


def test_bootstrap_refuses_a_hidden_block_of_no_exercise(tmp_path, monkeypatch):
    nb, path = _bootstrap_tree(tmp_path, monkeypatch)
    _write_student(nb, path)
    hidden = tmp_path / "instructors" / "assignments" / "hidden" / "99_demo.py"
    hidden.write_text(_DEMO_HIDDEN + "\n# EXERCISE beyond.typo\n@test_case(points=1, hidden=True)\n"
                      "def t(env):\n    pass\n")
    with pytest.raises(DataError, match="beyond.typo"):
        assignments.bootstrap(99)


# -- hidden tests of 03, 06, 07, 08: a right answer passes, a hard-coded visible one does not ---
# Each exercise: the lines of its cell before the answer, the answer variable, an honest answer
# and a cheat that the visible check accepts (a copy of the visible value, a float for a count,
# a function that ignores some of its arguments), plus notebook variables the cell reads.
_GL = ("def my_gl_step(A, x, n_fft, hop):\n"
       "    X = spectral.stft(x, {n}, {h})\n"
       "    return spectral.istft(A * np.exp(1j * np.angle(X)), {h}, length=len(x), n_fft={n})")
_BAND = ("def my_band_split(S, edges, weights):\n"
         "    return np.stack([W @ S[{e}[k]:{e}[k + 1]] for k, W in enumerate(weights)])")
HONEST_AND_CHEAT = {
    "phase.spectral_convergence": (
        "from mssedu.exercises.phase import sc_problem\nA_ex, X_ex = sc_problem()", "my_sc",
        "np.linalg.norm(np.abs(X_ex) - A_ex) / np.linalg.norm(A_ex)", None),
    "phase.my_griffin_lim_step": (
        "", "my_gl_step", _GL.format(n="n_fft", h="hop"), _GL.format(n=512, h=128)),
    "phase.misi_step": (
        "from mssedu.exercises.phase import misi_problem\nest, mix = misi_problem()", "corrected",
        "est + (mix - est.sum(axis=0)) / len(est)", "est + (mix - est.sum(axis=0)) / 3"),
    "unet.strided_conv_size": ("", "n_out", "513", "513.0"),
    "unet.conv_params": ("", "n_params", "16 * 32 * 5 * 5 + 32", "12832.0"),
    "unet.bottleneck_shape": ("", "bottleneck", "(128, 8, 4)", "(128.0, 8.0, 4.0)"),
    "unet.apply_mask": (
        "from mssedu.exercises.unet import mask_exercise_data\nX_ex, M_ex = mask_exercise_data()",
        "vocals_stft", "M_ex * X_ex", None),
    "pretrained.n_segments": ("", "n_segments", "len(range(0, 180 * 44100, int(0.75 * int(44100 * 7.8))))", "31.0"),
    "pretrained.karaoke": (
        'stems = ht_stems if ht_stems is not None else entries["oracle IRM (true stems)"]', "accompaniment",
        'sum(v for k, v in stems.items() if k != "vocals")', None),
    "pretrained.shift_cost": ("", "n_calls", "4 * 2 * 31", "248.0"),
    "beyond.pan_law_ild": ("", "my_ild_db", "20 * np.log10(1 / np.tan(np.pi / 8))", "7.66"),
    "beyond.ild": (
        "from mssedu.exercises.beyond import ild_problem\nX = ild_problem()", "my_ild",
        "20 * np.log10((np.abs(X[0]) + 1e-12) / (np.abs(X[1]) + 1e-12))", None),
    "beyond.my_band_split": ("", "my_band_split", _BAND.format(e="edges"), _BAND.format(e="band_edges")),
}


def _notebook_vars():
    from mssedu import spectral
    from mssedu.exercises.beyond import band_split_problem
    rng = np.random.default_rng(0)
    stems = {k: rng.standard_normal((2, 500)).astype(np.float32) for k in ("drums", "bass", "other", "vocals")}
    return {"np": np, "spectral": spectral, "ht_stems": None,
            "entries": {"oracle IRM (true stems)": stems}, "band_edges": band_split_problem()[1]}


def _run_cell(name, lines, answer, code, visible=None):
    """A notebook namespace after the exercise cell ran (its source in ``In``, as in a kernel)."""
    env = _notebook_vars()
    if visible is not None:    # the visible answer, copied into the cell as a constant
        env["_visible"], code = visible, "_visible"
    assign = code if code.startswith("def ") else f"{answer} = {code}"
    cell = f"{lines}\n{assign}\ncheck({name!r}, {answer})".lstrip("\n")
    env["In"], env["check"] = ["", cell], (lambda *args, **kwargs: None)
    exec(compile(cell, f"<{name}>", "exec"), env)
    return env


def _tests_by_exercise(number):
    src = [p for p in assignments.sources() if p.name.startswith(number)]
    if src:
        return {q["name"]: q["tests"] for q in assignments.questions(src[0])}
    return assignments.bootstrap(number, write=False)["tests"]


@pytest.mark.parametrize("number", ["03", "06", "07", "08"])
def test_hidden_tests_pass_the_solution_and_fail_a_hard_coded_answer(number):
    tests = _tests_by_exercise(number)
    assert set(tests) <= set(HONEST_AND_CHEAT), "a new exercise: add it to HONEST_AND_CHEAT"
    for name, code in tests.items():
        lines, answer, honest, cheat = HONEST_AND_CHEAT[name]
        namespace = {}
        exec(assignments.TEST_HEADER + code, namespace)
        cases = [v for v in namespace.values() if type(v).__name__ == "test_case"]
        good = _run_cell(name, lines, answer, honest)
        bad = _run_cell(name, lines, answer, cheat or "None",
                        visible=good[answer] if cheat is None else None)
        assert any(c.hidden for c in cases), name
        for case in cases:
            case.call_func(good)                 # the solution passes everything
            if not case.hidden:
                case.call_func(bad)              # the cheat passes the visible check...
                continue
            with pytest.raises(Exception):       # ...and fails every hidden test
                case.call_func(bad)
