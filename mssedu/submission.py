"""The two processes that run a student's code, inside the sandbox (:mod:`mssedu.sandbox`).

``python -m mssedu.submission run NOTEBOOK EXPORT NAME...`` is the submission's kernel: it
executes the notebook's code cells in order (IPython, no Jupyter server), each cell stopped
when the notebook's time is up, and right after the cell of each exercise ``NAME`` (the cell
that calls ``check("NAME", ...)``) it *exports* that moment's namespace as plain data
(:mod:`mssedu.plaindata`: numbers, arrays, strings, a track, modules by name, the source of
the student's functions) to ``EXPORT/<k>.json`` and ``EXPORT/arrays/*.npy``, with the cell's
number as the student sees it (1-based, every cell counted, as JupyterLab lists them) and the
error it raised, if any. Exports written before a later cell crashes, hangs or ends the
process are kept: each exercise scores what its own cell earned.

``python -m mssedu.submission serve EXPORT`` is a *fresh* process that re-runs the student's
code for the hidden tests: it rebuilds an exercise's namespace from the export (never from
the first kernel, which the submission may have patched), defines the student's functions
from their source, and answers requests on stdin/stdout (:func:`mssedu.plaindata.read_message`):
call function ``f`` with these arguments, or run the exercise's cell again with these
variables replaced. Only plain data goes back. Neither process ever sees the tests.
"""
from __future__ import annotations

import importlib
import json
import os
import re
import signal
import sys
import time
from pathlib import Path

import numpy as np
import psutil
from IPython.core.inputtransformer2 import TransformerManager
from IPython.core.interactiveshell import InteractiveShell

from .errors import DataError
from .plaindata import Unsupported, decode, encode_part, read_message, write_message

__all__ = ["exercise_cells", "run_notebook", "serve", "load_export", "CappedOutput",
           "HIDDEN_NAMES", "MAX_ARRAY_BYTES"]

#: Namespace entries never exported (IPython's own).
HIDDEN_NAMES = frozenset({"In", "Out", "get_ipython", "exit", "quit", "open"})
#: IPython's output and input caches (``_``, ``__``, ``_12``, ``_i3``, ``_oh``) and dunders.
_IPYTHON_CACHE = re.compile(r"^(_+|_i+|_i\d+|_\d+|_oh|_ih|_dh|__\w+__)$")
#: Larger arrays are not exported (a test that needs one fails, with the reason).
MAX_ARRAY_BYTES = 64 * 1024 ** 2
#: Bytes of the student's output kept (the rest is dropped, not stored).
OUTPUT_BYTES = 256 * 1024


class _TimeUp(Exception):
    """Raised inside a cell when the notebook's time is up."""


class CappedOutput:
    """A text stream that keeps the first ``limit`` characters and drops the rest."""

    def __init__(self, limit: int = OUTPUT_BYTES):
        self.limit, self.size, self.parts = limit, 0, []

    def write(self, text) -> int:
        """Keep ``text`` while there is room.

        Parameters
        ----------
        text : str

        Returns
        -------
        int
            Its length (as a stream's ``write`` does).
        """
        text = str(text)
        if self.size < self.limit:
            self.parts.append(text[: self.limit - self.size])
        self.size += len(text)
        return len(text)

    def flush(self):
        """Nothing to flush."""

    def isatty(self):
        """Not a terminal.

        Returns
        -------
        bool
            False.
        """
        return False

    def text(self) -> str:
        """What was kept.

        Returns
        -------
        str
        """
        return "".join(self.parts)


def exercise_cells(cells: list, names) -> dict:
    """Which code cell answers which exercise: ``{position: name}`` (0-based positions).

    Parameters
    ----------
    cells : list of dict
        The notebook's cells (JSON).
    names : iterable of str
        The exercises.

    Returns
    -------
    dict
        The last code cell that calls ``check("<name>", ...)`` for each name found.
    """
    found = {}
    for name in names:
        call = re.compile(r"(?<![\w.])check\(\s*[\"']" + re.escape(name) + r"[\"']")
        hits = [i for i, c in enumerate(cells) if c.get("cell_type") == "code" and call.search(_text(c))]
        if hits:
            found[hits[-1]] = name
    return found


def _text(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


class _Exporter:
    """Writes namespace snapshots; each array is written once, however many snapshots hold it."""

    def __init__(self, folder: Path):
        self.folder, self.arrays, self.seen, self.written = folder, [], {}, 0
        (folder / "arrays").mkdir(parents=True, exist_ok=True)

    def snapshot(self, k: int, record: dict, namespace: dict) -> None:
        parts = {}
        for key, value in list(namespace.items()):
            if _IPYTHON_CACHE.match(key) or key in HIDDEN_NAMES:
                continue
            if isinstance(value, np.ndarray) and value.nbytes > MAX_ARRAY_BYTES:
                parts[key] = {"__unsupported__": f"array of {value.nbytes} bytes (too large)"}
                continue
            try:
                parts[key] = encode_part(value, self.arrays, 0, self.seen)
            except Exception as err:  # the student's object misbehaves: it is not exported
                parts[key] = {"__unsupported__": f"{type(value).__name__} ({type(err).__name__})"}
        for i in range(self.written, len(self.arrays)):
            np.save(self.folder / "arrays" / f"{i}.npy", np.ascontiguousarray(self.arrays[i]),
                    allow_pickle=False)
        self.written = len(self.arrays)
        tmp = self.folder / f".{k}.json"
        tmp.write_text(json.dumps({**record, "namespace": parts}), encoding="utf-8")
        os.replace(tmp, self.folder / f"{k}.json")   # whole or not at all


def _end_children() -> None:
    """Kill the processes a cell left behind (a fork bomb's sleepers) and reap them, so that
    they do not hold the sandbox's process limit against the cells after it."""
    children = psutil.Process().children(recursive=True)
    for child in children:
        try:
            child.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(children, timeout=10)   # reaped: a dead child no longer counts


def _on_alarm(signum, frame):
    raise _TimeUp("the notebook's time limit was reached in this cell")


def run_notebook(notebook, export, names, seconds: float) -> list:
    """Execute ``notebook`` and export each exercise's namespace (see the module's description).

    Parameters
    ----------
    notebook : path-like
        The submission.
    export : path-like
        The export folder (created).
    names : list of str
        The exercises.
    seconds : float
        Time for the whole notebook; the cell running when it is up is interrupted and the
        rest are skipped.

    Returns
    -------
    list of str
        ``"cell N: Error: message"`` for each cell that raised.
    """
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    answers = exercise_cells(cells, names)
    exporter = _Exporter(Path(export))
    shell = InteractiveShell.instance()
    deadline = time.monotonic() + seconds
    signal.signal(signal.SIGALRM, _on_alarm)
    errors = []
    for pos, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        left = deadline - time.monotonic()
        error = "_TimeUp: the notebook's time limit was reached before this cell" if left <= 0 else None
        if left > 0:
            signal.setitimer(signal.ITIMER_REAL, left)
            result = shell.run_cell(_text(cell), store_history=True)
            signal.setitimer(signal.ITIMER_REAL, 0)
            err = result.error_before_exec or result.error_in_exec
            error = f"{type(err).__name__}: {err}" if err is not None else None
        _end_children()
        if error:
            errors.append(f"cell {pos + 1}: {error}")
        if pos in answers:
            record = {"exercise": answers[pos], "cell": pos + 1, "error": error,
                      "source": _text(cell), "ran": left > 0}
            exporter.snapshot(list(answers).index(pos), record, shell.user_ns)
    return errors


def load_export(folder, max_bytes: int = 1024 ** 3) -> dict:
    """The exported exercises of a run: ``{name: record}``, arrays read without pickle.

    Parameters
    ----------
    folder : path-like
        The export folder written by :func:`run_notebook`.
    max_bytes : int
        The most bytes the export may hold (a larger one is refused, not read).

    Returns
    -------
    dict
        ``{name: {"cell", "error", "source", "namespace": parts, "arrays": loader}}``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    if sum(p.stat().st_size for p in files) > max_bytes:
        raise DataError(f"The export is larger than {max_bytes} bytes: refused.")
    arrays = _ArrayFiles(folder / "arrays")
    found = {}
    for path in sorted(folder.glob("[0-9]*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            name = str(record["exercise"])
            found[name] = {"cell": int(record["cell"]), "error": record.get("error"),
                           "ran": bool(record.get("ran", True)),
                           "source": str(record.get("source", "")),
                           "namespace": dict(record.get("namespace") or {}), "arrays": arrays}
        except (ValueError, KeyError, TypeError, AttributeError):
            continue   # a malformed export scores as a missing one
    return found


class _ArrayFiles:
    """``arrays[k]``: ``arrays/k.npy`` read without pickle, once."""

    def __init__(self, folder: Path):
        self.folder, self.cache = folder, {}

    def __getitem__(self, k):
        k = int(k)
        if k not in self.cache:
            path = self.folder / f"{k}.npy"
            if path.is_symlink() or not path.is_file():
                raise IndexError(f"array {k} is missing from the export")
            self.cache[k] = np.load(path, allow_pickle=False)
        return self.cache[k]


def _namespace(record: dict) -> dict:
    """An exercise's namespace rebuilt in this fresh process; the student's functions defined
    from their source, in that namespace."""
    ns = {"__name__": "__main__", "check": lambda *args, **kwargs: None,
          "display": lambda *args, **kwargs: None}
    sources = []
    for key, parts in record["namespace"].items():
        if isinstance(parts, dict) and "__function__" in parts:
            if parts.get("source"):
                sources.append(parts["source"])
            elif parts.get("module") and parts["module"] != "__main__":
                try:
                    ns[key] = getattr(importlib.import_module(parts["module"]), parts["__function__"])
                except (ImportError, AttributeError):
                    pass
            continue
        try:
            ns[key] = decode(parts, record["arrays"])
        except Exception:  # a value that does not rebuild is left out, like an unsupported one
            continue
    for source in sources:
        try:
            exec(compile(_plain_python(source), "<student function>", "exec"), ns)
        except Exception:  # the student's code: a definition that fails is simply missing
            continue
    return ns


def _plain_python(source: str) -> str:
    """IPython syntax (magics, ``!commands``) turned into plain Python."""
    return TransformerManager().transform_cell(source)


def _answer(request: dict, arrays: list, exports: dict):
    """Do one request (call or rerun) and return its plain value."""
    record = exports.get(request.get("exercise"))
    if record is None:
        raise LookupError(f"exercise {request.get('exercise')} was not exported")
    ns = _namespace(record)
    args, kwargs = decode(request["args"], arrays)   # [positional, keyword]
    if request["op"] == "call":
        fn = ns.get(request["function"])
        if not callable(fn):
            raise NameError(f"name {request['function']!r} is not defined as a function")
        return fn(*args, **kwargs)
    ns.update(kwargs)   # rerun: these variables replaced
    ns.pop(request["answer"], None)
    exec(compile(_plain_python(record["source"]), f"<cell {record['cell']}>", "exec"), ns)
    if request["answer"] not in ns:
        raise NameError(f"name {request['answer']!r} is not defined")
    return ns[request["answer"]]


def serve(export, seconds: float) -> None:
    """Answer re-run requests on stdin until it closes (see the module's description).

    Parameters
    ----------
    export : path-like
        The export folder.
    seconds : float
        Time allowed for each request.
    """
    channel_in = os.fdopen(os.dup(0), "rb")
    channel_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)   # the student's code sees no channel on 0 and 1 ...
    os.dup2(devnull, 1)
    sys.stdout = CappedOutput()   # ... and prints nowhere
    exports = load_export(export)
    signal.signal(signal.SIGALRM, _on_alarm)
    while True:
        try:
            request, arrays = read_message(channel_in)
        except Exception:  # the grader closed the channel: done
            return
        try:
            signal.setitimer(signal.ITIMER_REAL, seconds)
            value = _answer(request, arrays, exports)
            signal.setitimer(signal.ITIMER_REAL, 0)
            out = []
            reply = {"id": request.get("id"), "ok": True, "value": encode_part(value, out)}
        except BaseException as err:  # the student's code failed: that is the answer
            signal.setitimer(signal.ITIMER_REAL, 0)
            out = []
            reply = {"id": request.get("id"), "ok": False, "error": f"{type(err).__name__}: {err}"[:500]}
        write_message(channel_out, reply, out)


def _main(argv: list) -> int:
    """``run NOTEBOOK EXPORT SECONDS NAME...`` or ``serve EXPORT SECONDS``."""
    if argv[0] == "serve":
        serve(argv[1], float(argv[2]))
        return 0
    out = CappedOutput()
    sys.stdout = sys.stderr = out   # prints are kept up to a cap, never stored whole
    errors = run_notebook(argv[1], argv[2], argv[4:], float(argv[3]))
    Path(argv[2], "errors.json").write_text(json.dumps(errors[:50]), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
