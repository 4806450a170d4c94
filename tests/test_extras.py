"""The optional extras: one list (mssedu.extras.EXTRAS = pyproject's), one message, and every
place that needs an extra refusing with that message when it is missing."""
from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

import mssedu
from mssedu import extras
from mssedu.errors import DataError, ModelLoadingError, ParameterError

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_extras_are_pyprojects():
    declared = PROJECT["optional-dependencies"]
    for name, extra in extras.EXTRAS.items():
        assert list(extra["requires"]) == declared[name], name


def test_no_extra_is_also_required():
    required = {re.split(r"[<>=!~\[ ]", r, maxsplit=1)[0].lower() for r in PROJECT["dependencies"]}
    for name, extra in extras.EXTRAS.items():
        for req in extra["requires"]:
            assert re.split(r"[<>=!~\[ ]", req, maxsplit=1)[0].lower() not in required, (name, req)


def test_ci_installs_every_extra_the_tests_use():
    script = (ROOT / "course").read_text()
    first_try = re.search(r'-e "\.\[([a-z,]+)\]"', script).group(1).split(",")
    assert set(extras.EXTRAS) | {"test", "nussl"} <= set(first_try), first_try
    # environment-dev.yml (contributors) has them too
    dev = (ROOT / "environment-dev.yml").read_text()
    assert all(name in re.search(r"-e \.\[([a-z,]+)\]", dev).group(1).split(",") for name in extras.EXTRAS)


def test_missing_message_names_the_extra_what_happens_and_the_install_line():
    text = extras.missing("pretrained", instead="The mini U-Net stands in.")
    assert text == ("The optional extra mssedu[pretrained] is not installed: the pretrained HT-Demucs "
                    "models (demucs' model code). The mini U-Net stands in. To add it: "
                    '`python -m pip install "demucs==4.1.0"`, then restart the kernel or the command.')
    assert extras.install_line("voices") == 'python -m pip install "pyworld>=0.3.4" "setuptools<81"'


def test_unknown_extra_is_refused_with_the_list():
    with pytest.raises(ParameterError, match=r"extra must be one of \[.app., .lab., .pretrained., .voices.\], got .gui."):
        extras.installed("gui")


def test_installed_looks_for_the_modules(monkeypatch):
    monkeypatch.setitem(extras.EXTRAS, "app", {**extras.EXTRAS["app"], "modules": ("no_such_module_xyz",)})
    assert extras.installed("app") is False
    monkeypatch.setitem(extras.EXTRAS, "app", {**extras.EXTRAS["app"], "modules": ("json",)})
    assert extras.installed("app") is True


def test_app_without_voila_says_how_to_get_it_and_writes_nothing(monkeypatch, tmp_path):
    from mssedu.app import server

    monkeypatch.setattr(server, "installed", lambda name: name != "app")
    with pytest.raises(DataError, match=re.escape('mssedu[app] is not installed') + ".*"
                       + re.escape('`python -m pip install "voila>=0.5"`')):
        server.app_command(tmp_path / "app", port=8900)
    assert not (tmp_path / "app").exists()


def test_demucs_missing_names_the_pretrained_extra(monkeypatch):
    from mssedu.separation import demucs_models

    monkeypatch.setitem(sys.modules, "demucs", None)   # `import demucs...` now raises ImportError
    with pytest.raises(ModelLoadingError, match=re.escape("mssedu[pretrained] is not installed") + ".*"
                       + re.escape('`python -m pip install "demucs==4.1.0"`')):
        demucs_models.import_demucs()


def test_voices_message_uses_the_same_install_line(monkeypatch):
    from mssedu.data import voice

    monkeypatch.setattr(voice, "pyworld", None)
    for platform in ("linux", "darwin", "win32"):
        monkeypatch.setattr(voice.sys, "platform", platform)
        with pytest.raises(DataError, match=re.escape(f"`{extras.install_line('voices')}`")):
            voice.check_singing()


def test_lazy_attribute():
    assert mssedu.extras is extras


def test_course_without_jupyterlab_copies_and_says_how_to_open(monkeypatch, tmp_path, capsys):
    from mssedu.cli import main

    monkeypatch.setattr(extras, "installed", lambda name: name != "lab")
    assert main(["course", str(tmp_path / "c"), "--no-browser"]) == 1
    err = capsys.readouterr().err
    assert "mssedu[lab] is not installed" in err and f"The notebooks are in {tmp_path / 'c'}" in err
    assert '`python -m pip install "jupyterlab>=4"`' in err
    assert len(list((tmp_path / "c").glob("*.ipynb"))) == 9   # the copy happened all the same
    assert main(["course", str(tmp_path / "c"), "--no-lab"]) == 0   # the way without JupyterLab
