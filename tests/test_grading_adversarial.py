"""`mssedu grade` against honest and hostile submissions of notebook 04: each scores what its
real answers deserve (or 0), whatever it does to the grader.

One grading run (sandboxed, 2 jobs) of: a correct, a blank, a half-wrong and a crashing
submission, a hard-coded answer, a cell that raises NameError, a file that is not a notebook,
and submissions that patch check/metrics/numpy/builtins/sys.modules, read the hidden tests and
other submissions, write outside their folder, connect to a listener on 127.0.0.1, fork 1,000
processes, allocate 20 GB, print 100 MB, sleep forever, call os._exit, and edit the grade
sheet. The grader runs with MSSEDU_FAST unset: grading is always in fast mode.

Each submission keeps notebook 04's set-up cells and exercise cells only (as a student may
cut a notebook), so that grading stays quick.
"""
from __future__ import annotations

import csv
import os
import socket
import threading
import time
from pathlib import Path

import nbformat
import pytest

from mssedu import assignments, sandbox
from mssedu.grading import grade

pytest.importorskip("otter")
# one grading run of 16 submissions: 11-14 min on this shared 2-core machine at load 19-23
pytestmark = pytest.mark.timeout(2400)
try:
    ISOLATION = sandbox.choose()
except Exception as err:  # no sandbox on this machine: these tests need one
    pytest.skip(f"no sandbox here: {err}", allow_module_level=True)

SOURCE = assignments.source_path(4)
POSSIBLE = {"evaluation.sdr": 3.0, "evaluation.si_sdr": 3.0, "evaluation.my_si_sdr": 3.0,
            "evaluation.rank_correlation": 3.0}
FULL = sum(POSSIBLE.values())
TIMEOUT = 90   # the sleeper's notebook is cut off here


def _notebook(solved: bool = True):
    """Notebook 04 cut to its set-up cells and its exercise cells."""
    nb = nbformat.from_dict(assignments.build_student(SOURCE, solutions=solved))
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or "from mssedu" in c.source
                or "MSSEDU_SOURCE" in c.source or "check(" in c.source]
    return nb


def _replace(nb, exercise, source):
    for cell in nb.cells:
        if f'check("{exercise}"' in cell.source:
            cell.source = source
    return nb


def _insert(nb, source, before=None):
    """A code cell before the cell of exercise ``before`` (default: after the set-up cells)."""
    at = next((i for i, c in enumerate(nb.cells) if before and f'check("{before}"' in c.source), None)
    if at is None:
        # after the chapter's imports (later cells of the notebook import from mssedu too)
        at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "from mssedu" in c.source
                  and "MSSEDU_SOURCE" not in c.source) + 1
    nb.cells.insert(at, nbformat.v4.new_code_cell(source))
    return nb


SDR_CALL = 'check("evaluation.sdr", my_sdr, reference=vocals, estimate=est_vocals)'
SI_CALL = 'check("evaluation.si_sdr", my_si_sdr, reference=vocals, estimate=est_vocals)'
FN_CALL = 'check("evaluation.my_si_sdr", my_si_sdr)'
RHO_CALL = 'check("evaluation.rank_correlation", my_rho, ratings=rated["rating"], metric=rated["SDR"])'
ZERO = {"evaluation.sdr": f"my_sdr = 0.0\n{SDR_CALL}", "evaluation.si_sdr": f"my_si_sdr = 0.0\n{SI_CALL}",
        "evaluation.my_si_sdr": f"def my_si_sdr(reference, estimate):\n    return 0.0\n{FN_CALL}",
        "evaluation.rank_correlation": f"my_rho = 0.0\n{RHO_CALL}"}
PATCHES = """import builtins, sys, types
import numpy as np
import mssedu.exercises, mssedu.exercises.checking, mssedu.metrics
_ok = mssedu.exercises.checking.Result("any", True, "patched")
mssedu.exercises.check = mssedu.exercises.checking.check = check = lambda *a, **k: _ok
mssedu.metrics.sdr = mssedu.metrics.si_sdr = lambda *a, **k: 0.0
np.allclose = np.isclose = lambda *a, **k: True
builtins.abs = lambda x: 0.0
builtins.float = lambda x=0.0: 0.0
_fake = types.ModuleType("mssedu.metrics")
_fake.sdr = _fake.si_sdr = lambda *a, **k: 0.0
sys.modules["mssedu.metrics"] = _fake
"""
# the student's function patches the re-run process too, then answers 0
PATCHING_FN = ("def my_si_sdr(reference, estimate):\n"
               + "".join("    " + line + "\n" for line in PATCHES.splitlines() if "check =" not in line)
               + f"    return 0.0\n{FN_CALL}")


def _reader(paths):
    """A cell that lists which of ``paths`` (globs, outside its own folder) it can read."""
    return (f"import glob, os\n_found = []\nfor _pattern in {paths!r}:\n"
            "    for _p in glob.glob(_pattern):\n"
            "        try:\n"
            "            if not _p.startswith(os.getcwd()) and open(_p).read(1) is not None:\n"
            "                _found.append(_p)\n"
            "        except OSError:\n            pass\n")


def _reading_function(paths):
    """The SI-SDR function, 1000 dB off if it can read any of ``paths`` when the tests call it."""
    return ("def my_si_sdr(reference, estimate):\n    import glob, os\n"
            f"    found = [p for pattern in {paths!r} for p in glob.glob(pattern)\n"
            "             if not p.startswith(os.getcwd()) and os.access(p, os.R_OK) and os.path.isfile(p)]\n"
            "    r = reference - reference.mean(-1, keepdims=True)\n"
            "    e = estimate - estimate.mean(-1, keepdims=True)\n"
            "    t = np.sum(e * r) / np.sum(r ** 2) * r\n"
            "    return 10 * np.log10(np.sum(t ** 2) / np.sum((t - e) ** 2)) + 1000 * len(found)\n"
            + FN_CALL)


def _submissions(folder: Path, outside: Path, grades: Path, port: int) -> None:
    """Write every submission into ``folder``."""
    fast = "from mssedu.config import fast_mode\nassert fast_mode(), 'graded in full mode'"
    subs = {"alice": _insert(_notebook(), fast), "bob": _notebook(solved=False)}
    half = _replace(_notebook(), "evaluation.sdr",                      # a 2x wrong SDR
                    "s, s_hat = vocals.astype(float), est_vocals.astype(float)\n"
                    f"my_sdr = 20 * np.log10(np.sum(s ** 2) / np.sum((s - s_hat) ** 2))\n{SDR_CALL}")
    half = _replace(half, "evaluation.my_si_sdr",                       # plain SDR, not SI-SDR
                    "def my_si_sdr(reference, estimate):\n"
                    "    return 10 * np.log10(np.sum(reference ** 2) / np.sum((reference - estimate) ** 2))\n"
                    + FN_CALL)
    # rho right on the notebook's ratings but frozen in an earlier cell: the hidden re-run catches it
    half = _insert(half, "import scipy.stats\n_frozen = scipy.stats.spearmanr(rated['SDR'], rated['rating']).statistic",
                   before="evaluation.rank_correlation")
    subs["half"] = _replace(half, "evaluation.rank_correlation", f"my_rho = _frozen\n{RHO_CALL}")
    subs["crash"] = _replace(_notebook(), "evaluation.my_si_sdr", "1 / 0\n" + FN_CALL)
    subs["nameerror"] = _replace(_notebook(), "evaluation.sdr", f"my_sdr = x + 1\n{SDR_CALL}")
    patcher = _insert(_notebook(), PATCHES)
    for name, source in ZERO.items():
        _replace(patcher, name, source)
    subs["patcher"] = _replace(patcher, "evaluation.my_si_sdr", PATCHING_FN)
    secret = [str(SOURCE.parent / "*"), str(folder / "*"), str(grades / "*"), "/tmp/mssedu-tests-*/*",
              "/tmp/mssedu-grade-*/*", "/tmp/mssedu-grade-*/*/*", "/root/*", "/work/*/instructors/*/*"]
    reader = _insert(_notebook(), _reader(secret) + "assert not _found, _found")
    subs["reader"] = _replace(reader, "evaluation.my_si_sdr", _reading_function(secret))
    for cell in reader.cells:   # the SDR answer is spoilt by anything it could read
        if SDR_CALL in cell.source:
            cell.source = cell.source.replace(SDR_CALL, f"my_sdr = my_sdr + 1000 * len(_found)\n{SDR_CALL}")
    subs["writer"] = _insert(_notebook(), "for _p in [%r, '/tmp/pwned-writer']:\n"
                             "    try:\n        open(_p, 'w').write('pwned')\n    except OSError:\n        pass"
                             % str(outside / "pwned-writer.txt"))
    subs["socket"] = _insert(_notebook(), "import socket, urllib.request\n"
                             f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3).sendall(b'pwned')\n"
                             "except OSError:\n    pass\n"
                             f"try:\n    urllib.request.urlopen('http://127.0.0.1:{port}/', timeout=3)\n"
                             "except OSError:\n    pass")
    subs["forker"] = _insert(_notebook(), "import os, time\nfor _ in range(1000):\n    if os.fork() == 0:\n"
                             "        time.sleep(60)\n        os._exit(0)")
    subs["memory"] = _insert(_notebook(), "import numpy as np\n_big = np.ones(20 * 1024 ** 3, dtype=np.uint8)")
    subs["printer"] = _insert(_notebook(), "print('x' * 100_000_000)\nimport sys\n"
                              "sys.__stdout__.write('y' * 10_000_000)")
    subs["sleeper"] = _notebook()
    subs["sleeper"].cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(10 ** 6)"))
    subs["exiter"] = _insert(_notebook(), "import os\nos._exit(3)", before="evaluation.si_sdr")
    subs["editor"] = _insert(_notebook(solved=False), "for _p in [%r, %r, '../result.json']:\n"
                             "    try:\n        open(_p, 'w').write('editor,9,9,9,27,pwned')\n"
                             "    except OSError:\n        pass"
                             % (str(grades / "grades.csv"), str(grades / "pwned-editor.txt")))
    for student, nb in subs.items():
        nbformat.write(nb, folder / f"{student}.ipynb")
    (folder / "dave.ipynb").write_text("this is not a notebook\n")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder, outside = tmp_path_factory.mktemp("submissions"), tmp_path_factory.mktemp("outside")
    grades = tmp_path_factory.mktemp("grades")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    port, contacts, stop = listener.getsockname()[1], [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                contacts.append(listener.accept())
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    _submissions(folder, outside, grades, port)
    mp = pytest.MonkeyPatch()
    mp.delenv("MSSEDU_FAST", raising=False)   # the grader's mode must not matter
    lines, start = [], time.monotonic()
    try:
        rows = dict(grade(folder, 4, out=grades, timeout=TIMEOUT, jobs=2, progress=lines.append))
    finally:
        mp.undo()
        stop.set()
        thread.join(5)
        listener.close()
    return {"rows": rows, "grades": grades, "outside": outside, "folder": folder, "contacts": contacts, "lines": lines,
            "seconds": time.monotonic() - start}


def _total(graded, student):
    return sum(graded["rows"][student]["scores"].values())


def test_controls(graded):
    rows = graded["rows"]
    assert rows["alice"]["scores"] == POSSIBLE and rows["alice"]["note"] == "", rows["alice"]
    assert _total(graded, "bob") == 0.0
    # half: SDR 2x wrong (0), SI-SDR value right (3), function is plain SDR (0), rank correlation
    # right here but hard-coded (1: the public check; the hidden re-run on other ratings fails)
    assert rows["half"]["scores"] == {"evaluation.sdr": 0.0, "evaluation.si_sdr": 3.0,
                                      "evaluation.my_si_sdr": 0.0, "evaluation.rank_correlation": 1.0}, rows["half"]
    assert rows["crash"]["scores"] == {**POSSIBLE, "evaluation.my_si_sdr": 0.0}
    assert "ZeroDivisionError" in rows["crash"]["note"]
    assert _total(graded, "dave") == 0.0 and "not a notebook" in rows["dave"]["note"]
    assert graded["lines"][0].startswith(f"isolation: {ISOLATION.describe()}")
    print(f"graded {len(rows)} submissions in {graded['seconds']:.0f} s ({ISOLATION.kind})")


def test_feedback_names_the_cell_as_the_student_sees_it(graded):
    res = graded["rows"]["nameerror"]
    nb = nbformat.read(graded["folder"] / "nameerror.ipynb", as_version=4)
    number = next(i + 1 for i, c in enumerate(nb.cells) if SDR_CALL in c.source)   # 1-based, all cells
    message = res["messages"]["evaluation.sdr"]
    assert message == f"your cell {number} (evaluation.sdr) raised NameError: name 'x' is not defined"
    assert res["scores"]["evaluation.sdr"] == 0.0 and _total(graded, "nameerror") == FULL - 3.0
    page = (graded["grades"] / "feedback" / "nameerror.html").read_text()
    assert "raised NameError: name &#x27;x&#x27; is not defined" in page and "No answer yet" not in page


def test_patching_the_kernel_scores_nothing(graded):
    assert _total(graded, "patcher") == 0.0, graded["rows"]["patcher"]


@pytest.mark.parametrize("student", ["reader", "writer", "socket", "memory", "printer"])
def test_hostile_cells_change_nothing(graded, student):
    assert graded["rows"][student]["scores"] == POSSIBLE, graded["rows"][student]


def test_the_sandbox_held(graded):
    rows = graded["rows"]
    assert not (graded["outside"] / "pwned-writer.txt").exists() and not Path("/tmp/pwned-writer").exists()
    assert "pwned" not in SOURCE.read_text()
    assert not graded["contacts"], "a submission reached a listener on 127.0.0.1"
    # the process limit, not the machine's: the fork fails (its answers then score), or a library
    # of the kernel aborts when it cannot start a thread (then 0: "what it deserves or 0")
    forker = rows["forker"]
    assert (forker["scores"] == POSSIBLE and "BlockingIOError" in forker["note"]) or \
        (sum(forker["scores"].values()) == 0 and "ended early" in forker["note"]), forker
    assert "MemoryError" in rows["memory"]["note"]          # the memory limit


def test_sleep_exit_and_edits(graded):
    rows = graded["rows"]
    assert rows["sleeper"]["scores"] == POSSIBLE and "time limit" in rows["sleeper"]["note"]
    assert rows["exiter"]["scores"] == {"evaluation.sdr": 3.0, "evaluation.si_sdr": 0.0,
                                        "evaluation.my_si_sdr": 0.0, "evaluation.rank_correlation": 0.0}
    assert "exit status 3" in rows["exiter"]["note"]
    with open(graded["grades"] / "grades.csv", newline="") as f:
        table = {r["student"]: r for r in csv.DictReader(f)}
    assert float(table["editor"]["total"]) == 0.0
    assert "pwned" not in (graded["grades"] / "grades.csv").read_text()
    assert not (graded["grades"] / "pwned-editor.txt").exists()
    assert table["(possible)"]["note"].startswith(f"isolation: {ISOLATION.describe()}")
    assert os.listdir(graded["grades"] / "feedback")
