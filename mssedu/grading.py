"""Grade a folder of submitted notebooks with Otter-Grader, offline, with a time limit each.

::

    mssedu grade SUBMISSIONS_DIR --assignment 04 [--out grades/] [--timeout 300]

Each submission (``SUBMISSIONS_DIR/<student>.ipynb``, or ``SUBMISSIONS_DIR/<student>/`` holding
one notebook) is executed top to bottom in a fresh kernel by Otter's grader
(:func:`otter.execute.grade_notebook`, errors in cells allowed), in a separate process that is
killed with its kernel after ``timeout`` seconds, with every HTTP(S) proxy pointing at a closed
port (no network). Then the exercise tests of the instructor source (:mod:`mssedu.assignments`)
run against the notebook's variables: the public check, plus hidden tests that call the
student's code on other inputs (:func:`rerun`), so a hard-coded visible answer does not pass.

The results: ``grades.csv`` and ``grades.html`` (one row per student, one column per exercise,
the total and a note), and ``feedback/<student>.html`` (each exercise's tests, passed or not;
what a hidden test checks is not shown). A submission that is not a notebook, crashes or hangs
gets zero for what it did not reach, and a note; the run always goes on.
"""
from __future__ import annotations

import csv
import html
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import psutil

from .assignments import build_student, dumps, source_path, write_tests
from .errors import DataError, ParameterError

__all__ = ["rerun", "grade", "verify", "grade_submission", "find_submissions", "DEFAULT_TIMEOUT_S",
           "offline_env"]

#: Seconds a submission may run (execution and tests together).
DEFAULT_TIMEOUT_S = 300.0


def rerun(env: dict, name: str, answer: str, **inputs):
    """Run the student's answer cell of exercise ``name`` again, with other inputs.

    For hidden tests: the cell that calls ``check("<name>", ...)`` is taken from the kernel's
    input history (``In``), executed in a copy of the notebook's namespace where ``inputs``
    replace the variables of the same name (``check`` does nothing there), and the new value of
    ``answer`` is returned. A hard-coded answer comes back unchanged.

    Parameters
    ----------
    env : dict
        The notebook's namespace (Otter passes it to a test function's ``env`` argument).
    name : str
        The exercise, e.g. ``"evaluation.sdr"``.
    answer : str
        The variable the cell assigns, e.g. ``"my_sdr"``.
    **inputs
        Variables to replace, e.g. ``estimate=...``.

    Returns
    -------
    object
        The answer computed from ``inputs``.

    Raises
    ------
    DataError
        The cell was never run.
    """
    call = re.compile(r"(?<![\w.)])check\(\s*[\"']" + re.escape(name) + r"[\"']")
    cells = [c for c in env.get("In", []) if call.search(c)]
    if not cells:
        raise DataError(f"The cell of exercise {name} was not run.")
    namespace = dict(env)
    namespace.update(inputs)
    namespace["check"] = lambda *args, **kwargs: None
    namespace.pop(answer, None)
    exec(compile(cells[-1], f"<{name}>", "exec"), namespace)  # the student's own cell, again
    return namespace.get(answer)


def offline_env(base=None) -> dict:
    """An environment with no network: every proxy points at a closed local port.

    Parameters
    ----------
    base : dict, optional
        The environment to start from (default: this process's).

    Returns
    -------
    dict
        ``base`` with the proxy variables set and ``HF_HUB_OFFLINE=1``.
    """
    env = dict(os.environ if base is None else base)
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        env[key] = "http://127.0.0.1:9"
    env["no_proxy"] = env["NO_PROXY"] = "localhost,127.0.0.1,::1"
    env["HF_HUB_OFFLINE"] = "1"
    return env


def find_submissions(folder) -> list:
    """The submissions in ``folder``: ``(student, path)``, one per file or sub-folder.

    Parameters
    ----------
    folder : path-like
        The collected submissions.

    Returns
    -------
    list of tuple
        ``(student, path)`` sorted by student; ``path`` is the notebook (or the file that is
        not one, or the sub-folder when it holds no notebook).

    Raises
    ------
    ParameterError
        ``folder`` is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ParameterError(f"{folder} is not a folder: pass the folder of collected submissions.")
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            notebooks = sorted(p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            found.append((entry.name, notebooks[0] if notebooks else entry))
        else:
            found.append((entry.stem, entry))
    return found


def _kill_tree(pid: int) -> None:
    try:
        parent = psutil.Process(pid)
        procs = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        return
    for proc in procs:   # the kernel runs in its own session: kill it by pid, not by group
        try:
            proc.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=5)


def grade_submission(path, tests, timeout: float = DEFAULT_TIMEOUT_S) -> dict:
    """Grade one submission in a child process, offline, killed after ``timeout`` seconds.

    Parameters
    ----------
    path : path-like
        The submitted notebook.
    tests : list of dict
        :func:`mssedu.assignments.write_tests` of the assignment.
    timeout : float
        Seconds allowed.

    Returns
    -------
    dict
        ``{"scores": {name: points}, "tests": {name: [(test, passed, hidden, message)]},
        "note": str, "seconds": float}``; exercises not reached score 0.
    """
    path = Path(path)
    scores = {q["name"]: 0.0 for q in tests}
    result = {"scores": scores, "tests": {q["name"]: [] for q in tests}, "note": "", "seconds": 0.0}
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as err:  # anything that does not read as a notebook scores 0, with a note
        result["note"] = f"not a notebook ({type(err).__name__}): 0 points"
        return result
    with tempfile.TemporaryDirectory(prefix="mssedu-grade-") as tmp:
        work = Path(tmp) / "submission.ipynb"
        shutil.copyfile(path, work)
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "mssedu.grading", str(work), str(out),
               *[str(q["path"]) for q in tests]]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=tmp, env=offline_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            log, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_tree(proc.pid)
            proc.communicate()
            result["note"] = f"stopped after the time limit of {timeout:g} s: 0 points"
            result["seconds"] = time.monotonic() - start
            return result
        result["seconds"] = time.monotonic() - start
        if not out.is_file():
            tail = log.decode(errors="replace").strip().splitlines()[-3:]
            result["note"] = "the grader failed: " + " | ".join(tail)
            return result
        got = json.loads(out.read_text())
    for name in scores:
        scores[name] = float(got["scores"].get(name, 0.0))
        result["tests"][name] = got["tests"].get(name, [])
    result["note"] = got["note"]
    return result


def _write_sheet(rows, names, possible, out: Path) -> None:
    header = ["student", *names, "total", "note"]
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerow(["(possible)", *[f"{possible[n]:g}" for n in names], f"{sum(possible.values()):g}", ""])
        for student, res in rows:
            total = sum(res["scores"].values())
            w.writerow([student, *[f"{res['scores'][n]:g}" for n in names], f"{total:g}", res["note"]])
    cell = "<td style='border:1px solid #ccc;padding:2px 6px'>{}</td>"
    lines = ["<!doctype html><meta charset='utf-8'><title>Grades</title>",
             "<table style='border-collapse:collapse'><tr>"
             + "".join(f"<th style='border:1px solid #ccc'>{html.escape(h)}</th>" for h in header) + "</tr>",
             "<tr>" + cell.format("<i>possible</i>")
             + "".join(cell.format(f"{possible[n]:g}") for n in names)
             + cell.format(f"{sum(possible.values()):g}") + cell.format("") + "</tr>"]
    for student, res in rows:
        link = f"<a href='feedback/{html.escape(student)}.html'>{html.escape(student)}</a>"
        lines.append("<tr>" + cell.format(link)
                     + "".join(cell.format(f"{res['scores'][n]:g}") for n in names)
                     + cell.format(f"<b>{sum(res['scores'].values()):g}</b>")
                     + cell.format(html.escape(res["note"])) + "</tr>")
    (out / "grades.html").write_text("\n".join(lines + ["</table>"]), encoding="utf-8")
    (out / "feedback").mkdir(exist_ok=True)
    for student, res in rows:
        body = [f"<!doctype html><meta charset='utf-8'><h2>{html.escape(student)}: "
                f"{sum(res['scores'].values()):g} / {sum(possible.values()):g}</h2>"]
        if res["note"]:
            body.append(f"<p><b>Note:</b> {html.escape(res['note'])}</p>")
        for n in names:
            body.append(f"<h3>{html.escape(n)}: {res['scores'][n]:g} / {possible[n]:g}</h3><ul>")
            for test, passed, hidden, message in res["tests"][n]:
                what = "hidden test" if hidden else html.escape(test)
                why = "" if passed or hidden else f": {html.escape(message)}"
                body.append(f"<li>{'✔' if passed else '✘'} {what}{why}</li>")
            body.append("</ul>")
        (out / "feedback" / f"{student}.html").write_text("\n".join(body), encoding="utf-8")


def grade(submissions, assignment, out="grades", timeout: float = DEFAULT_TIMEOUT_S,
          jobs: int = 1, progress=None) -> list:
    """Grade every submission in a folder and write the grade sheet.

    Parameters
    ----------
    submissions : path-like
        The folder of collected submissions (see :func:`find_submissions`).
    assignment : int, str or path-like
        The chapter number or the instructor source (:func:`mssedu.assignments.source_path`).
    out : path-like
        Where ``grades.csv``, ``grades.html`` and ``feedback/`` go (created).
    timeout : float
        Seconds each submission may run.
    jobs : int
        Submissions graded at the same time (each in its own process and kernel).
    progress : callable, optional
        Called with a line of text after each submission.

    Returns
    -------
    list of tuple
        ``(student, result)`` with :func:`grade_submission`'s result.

    Raises
    ------
    ParameterError
        ``timeout`` is not positive, or no such folder or assignment.
    """
    if not timeout > 0:
        raise ParameterError(f"timeout must be a positive number of seconds, got {timeout!r}.")
    if importlib.util.find_spec("otter") is None:
        raise ParameterError("Grading needs Otter-Grader, which is not installed: "
                             "pip install \"mssedu[grading]\" (or pip install otter-grader).")
    source = source_path(assignment)
    found = find_submissions(submissions)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tests = write_tests(source, out / "tests")
    names = [q["name"] for q in tests]
    possible = {q["name"]: q["points"] for q in tests}
    rows = []
    with ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:
        futures = [(student, pool.submit(grade_submission, path, tests, timeout)) for student, path in found]
        for student, future in futures:
            res = future.result()
            rows.append((student, res))
            if progress is not None:
                progress(f"{student}: {sum(res['scores'].values()):g}/{sum(possible.values()):g} "
                         f"({res['seconds']:.0f} s){'  ' + res['note'] if res['note'] else ''}")
    _write_sheet(rows, names, possible, out)
    return rows


def verify(assignment, timeout: float = DEFAULT_TIMEOUT_S) -> dict:
    """Grade the solved build and the student release of an instructor source.

    A sound source gives the solved notebook full marks and the release none.

    Parameters
    ----------
    assignment : int, str or path-like
        The chapter number or the instructor source.
    timeout : float
        Seconds each of the two may run.

    Returns
    -------
    dict
        ``{"solved": result, "release": result, "possible": points, "ok": bool}`` with
        :func:`grade_submission`'s results.
    """
    source = source_path(assignment)
    with tempfile.TemporaryDirectory(prefix="mssedu-verify-") as tmp:
        tests = write_tests(source, Path(tmp) / "tests")
        got = {}
        for kind, solved in (("solved", True), ("release", False)):
            path = Path(tmp) / f"{kind}.ipynb"
            path.write_text(dumps(build_student(source, solutions=solved)), encoding="utf-8")
            got[kind] = grade_submission(path, tests, timeout=timeout)
    possible = {q["name"]: q["points"] for q in tests}
    got["possible"] = possible
    got["ok"] = got["solved"]["scores"] == possible and not any(got["release"]["scores"].values())
    return got


def _worker(notebook: str, out: str, tests: list) -> None:
    """Child process: run Otter's grader on one notebook, write scores as JSON."""
    from otter.execute import grade_notebook  # the optional `grading` extra

    # each exercise is graded right after the student's cell that checks it (Otter's in-line
    # checks), so a later cell that reuses a variable name does not change the grade
    nb = nbformat.read(notebook, as_version=4)
    names = {Path(t).name[:-3] for t in tests}
    for cell in nb.cells:
        hits = [n for n in names if cell.cell_type == "code" and (f'check("{n}"' in cell.source
                                                                  or f"check('{n}'" in cell.source)]
        if hits:
            cell.metadata["otter"] = {"tests": hits}
    nbformat.write(nb, notebook)
    results = grade_notebook(notebook, tests_glob=tests, cwd=str(Path(notebook).parent),
                             test_dir=str(Path(tests[0]).parent) if tests else None)
    got = {"scores": {}, "tests": {}, "note": ""}
    for name in results.test_files:
        tf = results.get_result(name)
        got["scores"][name] = float(tf.score)
        got["tests"][name] = [(r.test_case.name, bool(r.passed), bool(r.test_case.hidden),
                               str(r.message or "").strip()[:300]) for r in tf.test_case_results]
    errors = []
    for i, cell in enumerate(results.notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and "otter" not in "".join(output.get("traceback", [])[-1:]):
                errors.append(f"cell {i}: {output.get('ename')}: {str(output.get('evalue'))[:80]}")
    if errors:
        got["note"] = "raised in " + "; ".join(errors[:3]) + (" ..." if len(errors) > 3 else "")
    Path(out).write_text(json.dumps(got), encoding="utf-8")


if __name__ == "__main__":
    _worker(sys.argv[1], sys.argv[2], sys.argv[3:])
