"""Two distributions: the wheel and sdist that students install carry the student notebooks and
no solution, note or hidden test; instructors get theirs from instructors/ or an archive, and
`mssedu assign` works from that archive with no checkout (and says where to get it without)."""
from __future__ import annotations

import json
import re
import tarfile
import zipfile
from pathlib import Path

import pytest
from cleanenv import build_dists

from mssedu import assignments, instructors
from mssedu.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _secret_lines() -> set:
    """Lines of solutions, tests and notes (30+ characters) that no student notebook holds and
    that are not the package's own code (the checkers compute references the same way)."""
    public = {line.strip() for path in (ROOT / "mssedu").rglob("*.py")
              for line in path.read_text(encoding="utf-8").split("\n")}
    for src in assignments.sources():
        for cell in assignments.build_student(src)["cells"]:
            public |= {line.strip() for line in cell["source"].split("\n")}
    secret = set()
    for src in assignments.sources():
        for cell in json.loads(src.read_text())["cells"]:
            text = "".join(cell["source"])
            if cell["cell_type"] == "raw" or "BEGIN SOLUTION" in text or "BEGIN NOTES" in text:
                region = text.split("# BEGIN SOLUTION NO PROMPT", 1)[-1] if "BEGIN SOLUTION" in text else text
                secret |= {line.strip() for line in region.split("\n")   # imports are not secret
                           if len(line.strip()) >= 30 and line.strip() not in public
                           and not line.strip().startswith(("from ", "import "))}
    return secret


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The sdist built from a copy of this checkout, and the wheel built from that sdist."""
    return build_dists(tmp_path_factory.mktemp("build"))


def _members(archive: Path) -> dict:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z:
            return {n: z.read(n) for n in z.namelist() if not n.endswith("/")}
    with tarfile.open(archive) as t:
        return {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}


@pytest.mark.slow
def test_student_distributions_carry_no_solutions_notes_or_hidden_tests(built):
    secret = _secret_lines()
    assert len(secret) > 100, "the scan found too little secret text to mean anything"
    for archive in built:
        members = _members(archive)
        names = "\n".join(members)
        assert "instructors/" not in names, f"{archive.name} carries instructors' files"
        assert re.search(r"(course_files/notebooks|/notebooks)/04_evaluation\.ipynb", names), names[:500]
        for name, data in members.items():
            text = data.decode("utf-8", errors="ignore")
            leaked = sorted(line for line in secret if line in text)
            assert not leaked, f"{archive.name}:{name} holds instructors' text: {leaked[:3]}"


def test_course_has_no_solutions_option_and_says_where_instructors_look():
    from mssedu.cli import build_parser
    course = build_parser()._subparsers._group_actions[0].choices["course"]
    options = {o for action in course._actions for o in action.option_strings}
    assert "--update" in options and "--solutions" not in options
    assert "mssedu assign archive" in course.description


def test_assign_without_instructors_says_where_to_get_them(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(instructors, "CHECKOUT", tmp_path / "no-checkout")
    monkeypatch.chdir(tmp_path)
    for argv in (["assign", "build"], ["assign", "build", "04"], ["assign", "verify", "04"],
                 ["grade", str(tmp_path), "-a", "04", "--no-sandbox"]):
        assert main(argv) == 1, argv
        err = capsys.readouterr()
        assert "git clone" in err.err and "mssedu assign archive" in err.err and "Traceback" not in err.err
        assert "up to date" not in err.out + err.err and "already matched" not in err.out


def test_assign_builds_from_an_instructor_archive_without_a_checkout(tmp_path, monkeypatch, capsys):
    made = instructors.archive(tmp_path / "staff.tar.gz")
    with tarfile.open(made) as tar:
        names = tar.getnames()
        assert "instructors/assignments/04_evaluation.ipynb" in names
        assert not any("__pycache__" in n or "checkpoints" in n for n in names)
        tar.extractall(tmp_path / "unpacked", filter="data")
    with pytest.raises(Exception, match="exists already"):
        instructors.archive(made)
    monkeypatch.setattr(instructors, "CHECKOUT", tmp_path / "no-checkout")
    monkeypatch.chdir(tmp_path / "unpacked")
    assert main(["assign", "build", "04"]) == 0
    assert "wrote 1 file(s), 1 already matched" in capsys.readouterr().out   # the .md came along
    built = tmp_path / "unpacked" / "notebooks" / "04_evaluation.ipynb"
    assert built.read_text() == (ROOT / "notebooks" / "04_evaluation.ipynb").read_text()
    assert main(["assign", "build", "04", "--source", str(tmp_path / "unpacked" / "instructors")]) == 0
    assert "wrote 0 file(s), 2 already matched" in capsys.readouterr().out
