"""``mssedu course`` delivers new releases: an untouched or only-run notebook is updated, an
edited one is kept (and the message names ``--update``), ``--update`` keeps a backup.

A "release" here is a folder of notebooks standing in for the installed package's
(``course.course_folder`` patched), so each release can be made by hand."""
from __future__ import annotations

import json

import pytest

from mssedu import cli, course


def notebook(*sources, outputs=(), count=None) -> str:
    cells = [{"cell_type": "code", "execution_count": count, "id": f"c{i}", "metadata": {},
              "outputs": list(outputs), "source": [src]} for i, src in enumerate(sources)]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


@pytest.fixture
def release(tmp_path, monkeypatch):
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    monkeypatch.setattr(course, "course_folder", lambda part="notebooks": shipped)

    def publish(**notebooks):
        for name, text in notebooks.items():
            (shipped / name).write_text(text, encoding="utf-8")
    return publish


def test_sources_hash_ignores_outputs_counts_ids_and_metadata(tmp_path):
    a, b, c = tmp_path / "a.ipynb", tmp_path / "b.ipynb", tmp_path / "c.ipynb"
    a.write_text(notebook("x = 1", "print(x)"))
    ran = json.loads(notebook("x = 1", "print(x)", outputs=[{"output_type": "stream", "name": "stdout",
                                                            "text": "1\n"}], count=3))
    ran["metadata"] = {"kernelspec": {"name": "python3"}}
    ran["cells"][0]["id"] = "something-else"
    b.write_text(json.dumps(ran))
    c.write_text(notebook("x = 2", "print(x)"))
    assert course.sources_hash(a) == course.sources_hash(b) != course.sources_hash(c)
    (tmp_path / "broken.ipynb").write_text("{not json")   # hashed byte for byte, no error
    assert len(course.sources_hash(tmp_path / "broken.ipynb")) == 64


def test_untouched_and_run_notebooks_get_the_new_release(release, tmp_path):
    release(**{"01.ipynb": notebook("v1"), "02.ipynb": notebook("v1 two"), "03.ipynb": notebook("v1 three")})
    dest = tmp_path / "mine"
    first = course.copy_course(dest)
    assert first["copied"] == ["01.ipynb", "02.ipynb", "03.ipynb"]
    # the student runs 02 (outputs appear) and edits 03
    (dest / "02.ipynb").write_text(notebook("v1 two", outputs=[{"output_type": "stream", "name": "stdout",
                                                                 "text": "ran\n"}], count=1))
    (dest / "03.ipynb").write_text(notebook("v1 three", "my own cell"))
    release(**{"01.ipynb": notebook("v2"), "02.ipynb": notebook("v2 two"), "03.ipynb": notebook("v2 three")})
    second = course.copy_course(dest)
    assert second["refreshed"] == ["01.ipynb", "02.ipynb"] and second["kept"] == ["03.ipynb"]
    assert (dest / "01.ipynb").read_text() == notebook("v2")
    assert (dest / "02.ipynb").read_text() == notebook("v2 two")
    assert (dest / "03.ipynb").read_text() == notebook("v1 three", "my own cell")
    # a third run with nothing new: all same or kept, nothing rewritten
    third = course.copy_course(dest)
    assert third["same"] == ["01.ipynb", "02.ipynb"] and third["kept"] == ["03.ipynb"]
    assert not (third["copied"] or third["refreshed"] or third["updated"])
    # --update replaces the edited one and keeps it as a backup
    fourth = course.copy_course(dest, update=True)
    assert fourth["updated"] == ["03.ipynb"] and len(fourth["backups"]) == 1
    assert (dest / fourth["backups"][0]).read_text() == notebook("v1 three", "my own cell")
    assert (dest / "03.ipynb").read_text() == notebook("v2 three")


def test_without_a_manifest_a_differing_notebook_counts_as_edited(release, tmp_path):
    """A folder from before the manifest existed: nothing says the student left it alone."""
    release(**{"01.ipynb": notebook("v2")})
    dest = tmp_path / "old"
    dest.mkdir()
    (dest / "01.ipynb").write_text(notebook("v1"))
    assert course.copy_course(dest)["kept"] == ["01.ipynb"]
    assert (dest / "01.ipynb").read_text() == notebook("v1")


def test_the_command_says_what_it_did_and_names_update(release, tmp_path, capsys):
    release(**{"01.ipynb": notebook("v1"), "02.ipynb": notebook("v1 two")})
    dest = tmp_path / "c"
    assert cli.main(["course", str(dest), "--no-lab"]) == 0
    (dest / "02.ipynb").write_text(notebook("edited"))
    release(**{"01.ipynb": notebook("v2"), "02.ipynb": notebook("v2 two")})
    capsys.readouterr()
    assert cli.main(["course", str(dest), "--no-lab"]) == 0
    out = capsys.readouterr().out
    assert "updated to this release (you had not edited them): 01.ipynb" in out
    assert f"kept your edited 02.ipynb" in out and f"`mssedu course {dest} --update`" in out
