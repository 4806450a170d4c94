"""``mssedu assign`` and ``grade``: the instructors' commands for graded labs."""
from __future__ import annotations

from pathlib import Path

from ..errors import ParameterError
from .common import say

__all__ = ["add_assign_args", "cmd_assign", "add_grade_args", "cmd_grade"]


def add_assign_args(p) -> None:
    """Arguments of ``mssedu assign``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The sub-command's parser, filled in place.
    """
    p.description = ("build: write notebooks/NN_*.ipynb (solutions, notes and tests removed, "
                     "outputs stripped) and instructors/solutions/NN_*.md (the notes and "
                     "solutions) from instructors/assignments/NN_*.ipynb; --check only reports. "
                     "verify: grade the solved build (must get full marks) and the release (must "
                     "get 0). archive: pack the instructors' folder as a .tar.gz for the course "
                     "staff (never for students). The instructors' folder is --source, else "
                     "./instructors, else the checkout's.")
    p.add_argument("action", choices=["build", "verify", "archive"])
    p.add_argument("numbers", nargs="*", metavar="NN", help="chapters (default for build: all)")
    p.add_argument("--source", default=None, metavar="DIR",
                   help="the instructors' folder (a checkout's instructors/ or an unpacked archive)")
    p.add_argument("--out", default=None, metavar="FILE", help="archive: the file to write")
    p.add_argument("--check", action="store_true", help="build: write nothing; exit 1 if any differs")
    p.add_argument("--timeout", type=float, default=None,
                   help="verify: seconds each notebook may run (default mssedu.grading.DEFAULT_TIMEOUT_S)")


def cmd_assign(args) -> int:
    """``mssedu assign``: build, verify or archive the graded notebooks.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit status (0: everything worked).
    """
    from ..assignments import release, sources
    from ..grading import DEFAULT_TIMEOUT_S, verify
    from ..instructors import archive

    args.timeout = DEFAULT_TIMEOUT_S if args.timeout is None else args.timeout
    if args.action == "archive":
        say(f"wrote {archive(args.out, args.source)}: the instructors' material (solutions, "
             "hidden tests); share it with the course staff only, never with students")
        return 0
    if args.action == "verify":
        bad = 0
        for number in args.numbers or [p.name[:2] for p in sources(args.source)]:
            got = verify(number, timeout=args.timeout, folder=args.source)
            full = sum(got["possible"].values())
            solved, blank = (sum(got[k]["scores"].values()) for k in ("solved", "release"))
            say(f"{number}: solved {solved:g}/{full:g}, release {blank:g}/{full:g} "
                 f"{'ok' if got['ok'] else 'WRONG'}")
            for name, possible in got["possible"].items():
                say(f"  {name}: solved {got['solved']['scores'][name]:g}, "
                     f"release {got['release']['scores'][name]:g} of {possible:g}")
            for kind in ("solved", "release"):
                if got[kind]["note"]:
                    say(f"  {kind}: {got[kind]['note']}")
            if not got["ok"]:
                bad += 1
                for name, tests in got["solved"]["tests"].items():
                    for test, passed, _, message in tests:
                        if not passed:
                            say(f"  solved {name} {test}: {message}")
        return 1 if bad else 0
    done = release(args.numbers or None, check=args.check, folder=args.source)
    bad = sum(differed for _, differed in done)
    for path, differed in done:
        if args.check:
            say(f"{path.name}: {'differs from its source: run `mssedu assign build`' if differed else 'ok'}")
        elif differed:
            say(f"wrote {path}")
    if not args.check:
        say(f"built {len(done) // 2} source(s): wrote {bad} file(s), {len(done) - bad} already matched")
    return 1 if args.check and bad else 0


def add_grade_args(p) -> None:
    """Arguments of ``mssedu grade``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The sub-command's parser, filled in place.
    """
    p.description = ("Execute each submission (SUBMISSIONS_DIR/<student>.ipynb or "
                     "SUBMISSIONS_DIR/<student>/*.ipynb) in a sandbox (no network, its own "
                     "folder only, resource limits; refused where there is none unless "
                     "--no-sandbox), in fast mode, with a time limit; decide the scores in a "
                     "separate process from the exported answers with the public and hidden "
                     "tests of its instructor source; write OUT/grades.csv, OUT/grades.html and "
                     "OUT/feedback/<student>.html. A submission that crashes, hangs or is not a "
                     "notebook scores what it earned before that, with a note.")
    p.add_argument("submissions", metavar="SUBMISSIONS_DIR")
    p.add_argument("--assignment", "-a", default=None, metavar="NN",
                   help="the chapter (default: from the submissions' file names)")
    p.add_argument("--out", "-o", default="grades", metavar="DIR", help="output folder (default ./grades)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds per submission (default mssedu.grading.DEFAULT_TIMEOUT_S)")
    p.add_argument("--jobs", "-j", type=int, default=1, help="submissions graded at once (default 1)")
    p.add_argument("--source", default=None, metavar="DIR", help="the instructors' folder (see assign)")
    p.add_argument("--isolation", default="auto", choices=["auto", "bubblewrap", "docker", "podman"],
                   help="the sandbox for student code (default: bubblewrap, else docker/podman)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="grade even where there is no sandbox (a warning goes into the grade sheet)")


def cmd_grade(args) -> int:
    """``mssedu grade``: grade a folder of submitted notebooks.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit status (0: everything worked).
    """
    from ..grading import DEFAULT_TIMEOUT_S, find_submissions, grade

    args.timeout = DEFAULT_TIMEOUT_S if args.timeout is None else args.timeout
    assignment = args.assignment
    if assignment is None:   # from the submissions' names: NN_<topic>.ipynb
        names = [p.name for _, p in find_submissions(args.submissions)]
        numbers = sorted({n[:2] for n in names if n[:2].isdigit() and n[2:3] == "_"})
        if len(numbers) != 1:
            raise ParameterError("Cannot tell which notebook was submitted from the file names: "
                                 "pass --assignment NN.")
        assignment = numbers[0]
    rows = grade(args.submissions, assignment, out=args.out, timeout=args.timeout, jobs=args.jobs,
                 progress=lambda line: say("  " + line), isolation=args.isolation,
                 no_sandbox=args.no_sandbox, folder=args.source)
    say(f"{len(rows)} submission(s) graded: {Path(args.out) / 'grades.csv'}, "
         f"{Path(args.out) / 'grades.html'}, feedback in {Path(args.out) / 'feedback'}/")
    return 0
