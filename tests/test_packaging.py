"""The project's set-up files agree with each other and with the README."""
from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI's
CONDA_NAMES = {"soundfile": "pysoundfile", "torch": "pytorch"}


def _name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].strip().lower().replace("_", "-")


def _listed(path: Path) -> set:
    env = path.read_text().lower().replace("_", "-")
    return set(re.findall(r"^\s*-\s+([a-z0-9.\-]+)", env, flags=re.M))


def _missing(wanted, listed) -> list:
    return [r for r in wanted if CONDA_NAMES.get(_name(r), _name(r)) not in listed]


def test_environment_yml_is_the_students_install():
    """Every required dependency; no test tool; the package itself installed (not editable)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = _listed(ROOT / "environment.yml")
    assert not _missing(project["dependencies"], listed), _missing(project["dependencies"], listed)
    tools = {_name(r) for r in project["optional-dependencies"]["test"]}
    assert not tools & listed, f"test tools in the students' environment: {sorted(tools & listed)}"
    text = (ROOT / "environment.yml").read_text()
    assert "-e ." not in text and "mssedu @ git+" in text
    for req in project["optional-dependencies"]["lab"]:   # conda students open the course in it
        assert CONDA_NAMES.get(_name(req), _name(req)) in listed, req
    optional = {_name(r) for e in ("app", "pretrained", "voices") for r in project["optional-dependencies"][e]}
    assert not optional & listed, f"optional extras in the students' environment: {sorted(optional & listed)}"


def test_environment_dev_yml_lists_every_dependency_and_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in ("test", "nussl", "voices", "lab", "app", "pretrained"):
        wanted += project["optional-dependencies"][extra]
    listed = _listed(ROOT / "environment-dev.yml")
    assert not _missing(wanted, listed), f"environment-dev.yml lacks {_missing(wanted, listed)}"
    assert "-e .[test,nussl,lab,app,pretrained,voices]" in (ROOT / "environment-dev.yml").read_text()


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^(\./course \w+)", readme, flags=re.M)
    assert commands[:2] == ["./course lab", "./course test"], commands[:2]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec \./course test\s*$", ci, flags=re.M), ci


def test_console_script_points_at_cli_main():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["mssedu"] == "mssedu.cli:main"
