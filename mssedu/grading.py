"""Grade a folder of submitted notebooks: the student's code sandboxed, the grade decided apart.

::

    mssedu grade SUBMISSIONS_DIR --assignment 04 [--out grades/] [--timeout 300] [--no-sandbox]

Each submission (``SUBMISSIONS_DIR/<student>.ipynb``, or ``SUBMISSIONS_DIR/<student>/`` holding
one notebook) goes through three processes:

1. **the submission's kernel** (:mod:`mssedu.submission`, in the sandbox of
   :mod:`mssedu.sandbox`: no network, read-only system, its own folder only, resource limits)
   runs the notebook top to bottom, each cell stopped when the time is up, and exports each
   exercise's namespace as plain data right after the exercise's cell;
2. **the checker** (:mod:`mssedu.checker`, a fresh process with pristine mssedu, outside the
   sandbox) runs the exercise tests of the instructor source on the exported data and decides
   the scores; it never executes the student's code;
3. **the re-run process** (:mod:`mssedu.submission` ``serve``, sandboxed, fresh) runs the
   student's functions and cells again on the hidden tests' inputs, for the checker, and
   returns plain data only.

The sandbox never sees the tests, the grades or the other submissions. Grading always runs
in fast mode (``MSSEDU_FAST=1``), whatever the instructor's environment says, so that a grade
never depends on the mode. The results: ``grades.csv`` and ``grades.html`` (one row per
student, one column per exercise, the total and a note; the isolation used on the second row)
and ``feedback/<student>.html`` (:mod:`mssedu.gradesheet`). A submission that is not a
notebook, crashes, hangs or misbehaves scores what its exercises earned before that, with a
note; the run always goes on.
"""
from __future__ import annotations

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

from . import sandbox
from .assignments import build_student, dumps, source_path, write_tests
from .errors import DataError, ParameterError
from .gradesheet import write_sheet

__all__ = ["rerun", "grade", "verify", "grade_submission", "find_submissions", "DEFAULT_TIMEOUT_S",
           "offline_env", "GRADING_ENV"]

#: Seconds a submission's notebook may run (the tests' re-runs get as long again).
DEFAULT_TIMEOUT_S = 300.0
#: Environment of every grading process: always fast mode, never the network.
GRADING_ENV = {"MSSEDU_FAST": "1", "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg"}


def rerun(env: dict, name: str, answer: str, **inputs):
    """Run the student's answer cell of exercise ``name`` again, with other inputs.

    For hidden tests: the cell that calls ``check("<name>", ...)`` (from the export, or from
    the kernel's input history ``In``) is executed in a copy of the notebook's namespace where ``inputs``
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

    Notes
    -----
    When grading, ``env`` is the checker's view of the export (:class:`mssedu.checker.SubmissionEnv`):
    the cell then runs in the sandboxed re-run process, never in the grader. With a plain
    ``dict`` (the instructors' own tests of their tests) it runs here.
    """
    if hasattr(env, "rerun_cell"):
        return env.rerun_cell(name, answer, dict(inputs))
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


def _empty(tests) -> dict:
    return {"scores": {q["name"]: 0.0 for q in tests}, "tests": {q["name"]: [] for q in tests},
            "messages": {}, "note": "", "seconds": 0.0}


def _run_kernel(work: Path, names: list, isolation, timeout: float, log: Path) -> str:
    """Run the submission's kernel in the sandbox; a note on how it ended ("" if normally)."""
    argv = ["python", "-m", "mssedu.submission", "run", "submission.ipynb", "export", f"{timeout:g}", *names]
    limits = sandbox.Limits(cpu_s=int(timeout) + 60)
    cmd = sandbox.command(isolation, work, argv, limits, env=GRADING_ENV)
    with open(log, "wb") as out:   # outside the submission's folder, size-limited inside
        proc = subprocess.Popen(cmd, cwd=work, env=offline_env({**os.environ, **GRADING_ENV}),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            code = proc.wait(timeout=timeout + 60)
        except subprocess.TimeoutExpired:
            _kill_tree(proc.pid)
            return f"stopped after the time limit of {timeout:g} s"
    if code != 0:
        return f"the notebook's process ended early (exit status {code})"
    return ""


def _kernel_errors(work: Path) -> list:
    """The cells that raised, as the kernel reported them (untrusted: strings only, cut short)."""
    try:
        errors = json.loads((work / "export" / "errors.json").read_text(encoding="utf-8")[:100_000])
    except (OSError, ValueError):
        return []
    return [str(e)[:120] for e in errors if isinstance(e, str)][:10] if isinstance(errors, list) else []


def _prepare(path: Path, tmp: Path, isolation) -> Path:
    work = tmp / "work"
    work.mkdir()
    shutil.copyfile(path, work / "submission.ipynb")
    if isolation.kind == "bubblewrap" and os.geteuid() == 0:   # the sandbox runs as its own user
        uid = sandbox.sandbox_user()
        for p in (work, work / "submission.ipynb"):
            os.chown(p, uid, uid)
    return work


def grade_submission(path, tests, timeout: float = DEFAULT_TIMEOUT_S, isolation=None) -> dict:
    """Grade one submission (see the module's description).

    Parameters
    ----------
    path : path-like
        The submitted notebook.
    tests : list of dict
        :func:`mssedu.assignments.write_tests` of the assignment.
    timeout : float
        Seconds for the notebook; each re-run of the student's code gets as long.
    isolation : mssedu.sandbox.Isolation, optional
        Default: :func:`mssedu.sandbox.choose` (refuses when there is no sandbox).

    Returns
    -------
    dict
        ``{"scores": {name: points}, "tests": {name: [(test, passed, hidden, message)]},
        "messages": {name: str}, "note": str, "seconds": float}``; exercises not reached score 0.
    """
    isolation = isolation or sandbox.choose()
    path, result = Path(path), _empty(tests)
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as err:  # anything that does not read as a notebook scores 0, with a note
        result["note"] = f"not a notebook ({type(err).__name__}): 0 points"
        return result
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mssedu-grade-") as tmp:
        tmp = Path(tmp)
        work = _prepare(path, tmp, isolation)
        ended = _run_kernel(work, [q["name"] for q in tests], isolation, timeout, tmp / "kernel.log")
        spec = {"tests": [{k: str(q[k]) if k == "path" else q[k] for k in ("name", "path", "points")}
                          for q in tests],
                "export": str(work / "export"), "result": str(tmp / "result.json"), "cwd": str(work),
                "seconds": timeout, "env": offline_env({**os.environ, **GRADING_ENV}),
                "replayer": sandbox.command(isolation, work, ["python", "-m", "mssedu.submission", "serve",
                                                              "export", f"{timeout:g}"],
                                            sandbox.Limits(cpu_s=int(timeout) + 60), env=GRADING_ENV)}
        (tmp / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        try:
            subprocess.run([sys.executable, "-m", "mssedu.checker", str(tmp / "spec.json")], cwd=tmp,
                           env=spec["env"], capture_output=True, timeout=timeout * len(tests) + 120)
            got = json.loads((tmp / "result.json").read_text(encoding="utf-8"))
        except (subprocess.TimeoutExpired, OSError, ValueError) as err:
            result["note"] = f"the checker failed ({type(err).__name__}): 0 points"
            return result
        errors = _kernel_errors(work)
    result["seconds"] = time.monotonic() - start
    for name in result["scores"]:
        result["scores"][name] = float(got["scores"].get(name, 0.0))
        result["tests"][name] = got["tests"].get(name, [])
    result["messages"] = got.get("messages", {})
    notes = [n for n in (ended, got.get("note", "")) if n]
    if errors:
        notes.append("raised in " + "; ".join(errors[:3]) + (" ..." if len(errors) > 3 else ""))
    result["note"] = "; ".join(notes)
    return result


def grade(submissions, assignment, out="grades", timeout: float = DEFAULT_TIMEOUT_S,
          jobs: int = 1, progress=None, isolation: str = "auto", no_sandbox: bool = False,
          folder=None) -> list:
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
        Seconds each submission's notebook may run.
    jobs : int
        Submissions graded at the same time.
    progress : callable, optional
        Called with a line of text: the isolation first, then one line per submission.
    isolation : {"auto", "bubblewrap", "docker", "podman", "none"}
        See :func:`mssedu.sandbox.choose`.
    no_sandbox : bool
        Grade even without isolation (a warning goes into the grade sheet).
    folder : path-like, optional
        The instructors' folder (:func:`mssedu.instructors.instructors_folder`).

    Returns
    -------
    list of tuple
        ``(student, result)`` with :func:`grade_submission`'s result.

    Raises
    ------
    ParameterError
        ``timeout`` is not positive, no such folder or assignment, Otter is missing, or no
        sandbox (and not ``no_sandbox``).
    """
    if not timeout > 0:
        raise ParameterError(f"timeout must be a positive number of seconds, got {timeout!r}.")
    chosen = sandbox.choose(isolation, allow_none=no_sandbox)   # refuse before anything runs
    try:
        import otter.test_files  # noqa: F401  (the tests are Otter test cases)
    except ImportError:
        raise ParameterError("Grading needs Otter-Grader, which is not installed: "
                             "pip install \"mssedu[grading]\" (or pip install otter-grader).") from None
    warning = "" if chosen.kind != "none" else \
        "graded WITHOUT a sandbox (--no-sandbox): submissions ran as the grader's user"
    if progress is not None:
        progress(f"isolation: {chosen.describe()}; fast mode")
    source = source_path(assignment, folder)
    found = find_submissions(submissions)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mssedu-tests-") as tmp:   # not in the sandbox, not kept
        tests = write_tests(source, tmp)
        possible = {q["name"]: q["points"] for q in tests}
        rows = []
        with ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:
            futures = [(s, pool.submit(grade_submission, p, tests, timeout, chosen)) for s, p in found]
            for student, future in futures:
                res = future.result()
                rows.append((student, res))
                if progress is not None:
                    progress(f"{student}: {sum(res['scores'].values()):g}/{sum(possible.values()):g} "
                             f"({res['seconds']:.0f} s){'  ' + res['note'] if res['note'] else ''}")
    write_sheet(rows, [q["name"] for q in tests], possible, out, chosen.describe(), warning)
    return rows


def verify(assignment, timeout: float = DEFAULT_TIMEOUT_S, folder=None) -> dict:
    """Grade the solved build and the student release of an instructor source.

    A sound source gives the solved notebook full marks and the release none. Both are the
    instructor's own code: they run in the sandbox where there is one, else without.

    Parameters
    ----------
    assignment : int, str or path-like
        The chapter number or the instructor source.
    timeout : float
        Seconds each of the two may run.
    folder : path-like, optional
        The instructors' folder (:func:`mssedu.instructors.instructors_folder`).

    Returns
    -------
    dict
        ``{"solved": result, "release": result, "possible": points, "ok": bool}`` with
        :func:`grade_submission`'s results.
    """
    source = source_path(assignment, folder)
    isolation = sandbox.choose("auto", allow_none=True)
    with tempfile.TemporaryDirectory(prefix="mssedu-verify-") as tmp:
        tests = write_tests(source, Path(tmp) / "tests")
        got = {}
        for kind, solved in (("solved", True), ("release", False)):
            path = Path(tmp) / f"{kind}.ipynb"
            path.write_text(dumps(build_student(source, solutions=solved)), encoding="utf-8")
            got[kind] = grade_submission(path, tests, timeout=timeout, isolation=isolation)
    possible = {q["name"]: q["points"] for q in tests}
    got["possible"] = possible
    got["ok"] = got["solved"]["scores"] == possible and not any(got["release"]["scores"].values())
    return got
