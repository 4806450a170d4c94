"""The process that decides a grade: pristine mssedu, the tests, and plain data only.

``python -m mssedu.checker SPEC.json`` runs after a submission's kernel has exported its
exercises (:mod:`mssedu.submission`). It never executes the student's code: it reads the
export (JSON and ``.npy``, no pickle), and runs each exercise's Otter test cases
(:class:`otter.test_files.test_case`) against a :class:`SubmissionEnv` whose values are the
exported ones. Where a test calls a student's function, or re-runs the student's cell on
hidden inputs (:func:`mssedu.grading.rerun`), the call goes to a fresh, sandboxed re-run
process (``python -m mssedu.submission serve``) and only its plain result comes back. So
whatever the submission patched in its own kernel (``check``, the metrics, numpy, builtins,
``sys.modules``) is not here, and cannot change a score.

SPEC holds ``tests`` (``name``, ``path``, ``points`` of each exercise), ``export`` (the
folder), ``result`` (where the scores go), ``replayer`` (the sandboxed command line of the
re-run process, run in ``cwd``) and ``seconds`` (time per call).
"""
from __future__ import annotations

import builtins
import json
import secrets
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from .errors import DataError
from .plaindata import decode, encode, read_message, write_message
from .submission import load_export

__all__ = ["SubmissionEnv", "StudentFunction", "Replayer", "run_tests", "cell_message"]

#: How many times a re-run process that died (``os._exit``, a crash) is started again.
MAX_STARTS = 4


class Replayer:
    """The sandboxed re-run process, started on first use and again after it dies.

    Parameters
    ----------
    argv : list of str
        Its command line (already wrapped in the sandbox).
    cwd : path-like
        The submission's folder.
    seconds : float
        Time allowed for one answer.
    env : dict, optional
        Its environment.
    """

    def __init__(self, argv, cwd, seconds: float, env=None):
        self.argv, self.cwd, self.seconds, self.env = list(argv), cwd, float(seconds), env
        self.proc, self.starts = None, 0

    def _start(self):
        if self.starts >= MAX_STARTS:
            raise DataError("the re-run process of your code died too often")
        self.starts += 1
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     start_new_session=True)

    def close(self):
        """Stop the process (and, with it, the sandbox)."""
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self.proc = None

    def ask(self, request: dict, values=()):
        """Send one request and wait for its answer.

        Parameters
        ----------
        request : dict
            ``{"op": "call" | "rerun", "exercise", ...}``.
        values : sequence
            ``[positional arguments, keyword arguments]`` (plain data).

        Returns
        -------
        object
            The student code's plain result.

        Raises
        ------
        Exception
            What the student's code raised (the same built-in class), ``TimeoutError`` when
            it did not answer in time, :class:`~mssedu.errors.DataError` when its process
            ended or answered out of turn.
        """
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        token = secrets.token_hex(8)   # a reply written ahead of time cannot match
        parts, arrays = encode(list(values))
        got = {}

        def read():
            try:
                got["reply"] = read_message(self.proc.stdout)
            except Exception as err:  # closed or malformed: the code failed
                got["error"] = err

        try:
            write_message(self.proc.stdin, {**request, "id": token, "args": parts}, arrays)
        except OSError:
            self.close()
            raise DataError("the re-run process of your code ended") from None
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(self.seconds + 15)
        if "reply" not in got:
            self.close()
            raise TimeoutError(f"your code gave no answer within {self.seconds:g} s"
                               if reader.is_alive() else "your code ended its process")
        header, arrays = got["reply"]
        if header.get("id") != token:
            self.close()
            raise DataError("the re-run process answered out of turn")
        if not header.get("ok"):
            raise _as_exception(str(header.get("error", "")))
        return decode(header.get("value"), arrays)


def _as_exception(text: str) -> Exception:
    """The student's error as the same built-in exception (else a RuntimeError)."""
    name, _, message = text.partition(": ")
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(message)
        except Exception:  # an exception class with other arguments
            pass
    return RuntimeError(text)


class StudentFunction:
    """A student's function: calling it runs it in the re-run process, on plain data."""

    def __init__(self, replayer: Replayer, exercise: str, name: str):
        self.replayer, self.exercise, self.__name__ = replayer, exercise, name

    def __call__(self, *args, **kwargs):
        return self.replayer.ask({"op": "call", "exercise": self.exercise, "function": self.__name__},
                                 [list(args), kwargs])

    def __repr__(self):
        return f"<student function {self.__name__}>"


class SubmissionEnv(Mapping):
    """An exercise's exported namespace, as Otter's test cases read it (``env``).

    Values are decoded from the export; a student's function is a :class:`StudentFunction`.
    """

    def __init__(self, record: dict, replayer: Replayer, exercise: str):
        self.record, self.replayer, self.exercise = record, replayer, exercise
        self.cache = {}

    def __getitem__(self, key):
        if key not in self.record["namespace"]:
            raise KeyError(key)
        if key not in self.cache:
            parts = self.record["namespace"][key]
            if isinstance(parts, dict) and "__function__" in parts:
                self.cache[key] = StudentFunction(self.replayer, self.exercise, key)
            else:
                self.cache[key] = decode(parts, self.record["arrays"])
        return self.cache[key]

    def __iter__(self):
        return iter(self.record["namespace"])

    def __len__(self):
        return len(self.record["namespace"])

    def rerun_cell(self, name: str, answer: str, inputs: dict):
        """The student's cell of exercise ``name`` run again with ``inputs``.

        Parameters
        ----------
        name : str
            The exercise.
        answer : str
            The variable the cell assigns.
        inputs : dict
            Variables replaced before the cell runs.

        Returns
        -------
        object
            ``answer``'s new value (plain data).
        """
        return self.replayer.ask({"op": "rerun", "exercise": name, "answer": answer}, [[], inputs])


def cell_message(record: dict | None, name: str) -> str:
    """What the student is told when an exercise's cell raised or never ran.

    Parameters
    ----------
    record : dict or None
        The exercise's export (None: none).
    name : str
        The exercise.

    Returns
    -------
    str
        The message, naming the cell as the student sees it; ``""`` when the cell ran well.
    """
    if record is None:
        return (f"{name}: no cell of your notebook that calls check(\"{name}\", ...) ran "
                "(deleted, renamed, or the notebook stopped before it)")
    if not record.get("ran", True):
        return (f"your cell {record['cell']} ({name}) did not run: the notebook's time limit was "
                "reached before it")
    if record.get("error"):
        return f"your cell {record['cell']} ({name}) raised {record['error']}"
    return ""


def _cases(path) -> list:
    """The Otter test cases of a test file, in file order."""
    from otter.test_files.exception_test import test_case

    namespace = {"__name__": "mssedu_test"}
    exec(compile(Path(path).read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return [v for v in namespace.values() if isinstance(v, test_case)]


def _run_case(case, env) -> tuple:
    try:
        case.call_func(env)
        return True, ""
    except Exception as err:  # a failed test: its message (the student's code's error included)
        return False, f"{type(err).__name__}: {err}" if not isinstance(err, AssertionError) \
            else str(err) or "assertion failed"


def run_tests(spec: dict) -> dict:
    """Run every exercise's tests of ``spec`` (see the module's description).

    Parameters
    ----------
    spec : dict
        The specification.

    Returns
    -------
    dict
        ``{"scores": {name: points}, "tests": {name: [[test, passed, hidden, message]]},
        "messages": {name: str}, "note": str}``.
    """
    try:
        exports = load_export(spec["export"])
        note = ""
    except DataError as err:
        exports, note = {}, f"export refused: {err}"
    replayer = Replayer(spec["replayer"], spec["cwd"], spec["seconds"], spec.get("env"))
    out = {"scores": {}, "tests": {}, "messages": {}, "note": note}
    try:
        for q in spec["tests"]:
            name, record = q["name"], exports.get(q["name"])
            message = cell_message(record, name)
            results = []
            for case in _cases(q["path"]):
                passed, why = (False, message) if record is None or not record["ran"] else \
                    _run_case(case, SubmissionEnv(record, replayer, name))
                if not passed and message:
                    why = message   # the cell's own error says more than the test's
                results.append([case.name or case.test_func.__name__, passed, bool(case.hidden), why[:300],
                                float(case.points or 0)])
            out["scores"][name] = sum(r[4] for r in results if r[1])
            out["tests"][name] = [r[:4] for r in results]
            out["messages"][name] = message
    finally:
        replayer.close()
    return out


if __name__ == "__main__":
    SPEC = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    RESULT = run_tests(SPEC)
    Path(SPEC["result"]).write_text(json.dumps(RESULT), encoding="utf-8")
