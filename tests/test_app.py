"""The workshop app without a browser: Voila's command line (the user's options win, one value
each), the page's parts, download names, and the honest view of an uploaded song."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from mssedu.app import (KERNEL_CULLING, UNET, VOILA_DEFAULTS, app_command, available_separators,
                        download_links, explore_section, voila_arguments, voila_command)
from mssedu.app.launch import SHARE
from mssedu.app.server import TEMPLATE
from mssedu.cli import main
from mssedu.data import example_path, example_track
from mssedu.errors import ParameterError
from mssedu import audio


def _values(cmd, name):
    return [a.split("=", 1)[1] for a in cmd if a.startswith(f"--{name}=")]


def test_user_options_replace_ours_one_value_each():
    defaults = {"Voila.ip": "127.0.0.1", "Voila.port": "8866", "VoilaConfiguration.theme": "light"}
    merged = voila_arguments(defaults, ["--port", "8900", "--Voila.ip=0.0.0.0", "--no-browser"])
    assert merged == ["--VoilaConfiguration.theme=light", "--Voila.port=8900", "--Voila.ip=0.0.0.0",
                      "--no-browser"]
    assert voila_arguments(defaults, ["--ip=0.0.0.0"])[-1] == "--Voila.ip=0.0.0.0"   # Voila has no --ip
    assert voila_arguments(defaults, ["--theme=dark", "--theme=dark"]).count("--VoilaConfiguration.theme=dark") == 1
    assert voila_arguments(defaults) == ["--Voila.ip=127.0.0.1", "--Voila.port=8866",
                                         "--VoilaConfiguration.theme=light"]


@pytest.mark.parametrize("extra, words", [
    (["--ip=0.0.0.0", "--Voila.ip=10.0.0.1"], ["Voila.ip", "twice", "--ip=0.0.0.0", "--Voila.ip=10.0.0.1"]),
    (["--port=1", "--Voila.port=2"], ["Voila.port", "twice"]),
    (["other.ipynb"], ["'other.ipynb'", "not a Voila option"]),
    (["--Voila.ip"], ["--Voila.ip needs a value"]),
])
def test_conflicting_or_broken_options_are_refused(extra, words):
    with pytest.raises(ParameterError) as err:
        voila_arguments({"Voila.ip": "127.0.0.1"}, extra)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_voila_command_for_the_room(tmp_path):
    cmd = voila_command(tmp_path / "w.ipynb", port=8900, extra=["--Voila.ip=0.0.0.0"], python="py")
    assert cmd[:4] == ["py", "-m", "mssedu.app.launch", str(tmp_path / "w.ipynb")]
    assert _values(cmd, "Voila.ip") == ["0.0.0.0"] and _values(cmd, "Voila.port") == ["8900"]
    assert _values(cmd, "VoilaConfiguration.template") == [TEMPLATE]
    for name, value in KERNEL_CULLING.items():   # idle kernels of vanished pages are culled
        assert _values(cmd, name) == [value]
    assert int(KERNEL_CULLING["MappingKernelManager.cull_idle_timeout"]) > 0
    assert KERNEL_CULLING["MappingKernelManager.cull_connected"] == "False"   # open pages live
    short = voila_command("w.ipynb", extra=["--MappingKernelManager.cull_idle_timeout=5"])
    assert _values(short, "MappingKernelManager.cull_idle_timeout") == ["5"]
    assert _values(voila_command("w.ipynb"), "Voila.ip") == [VOILA_DEFAULTS["Voila.ip"]] == ["127.0.0.1"]
    for bad in (0, 65536):
        with pytest.raises(ParameterError, match="port"):
            voila_command("w.ipynb", port=bad)
    with pytest.raises(ParameterError, match="port"):
        voila_command("w.ipynb", extra=["--Voila.port=http"])


def test_the_page_template_is_shipped():
    """The page's offline template (the browser test checks that no request leaves)."""
    folder = SHARE / "voila" / "templates" / TEMPLATE
    assert json.loads((folder / "conf.json").read_text()) == {"base_template": "lab"}
    text = (folder / "index.html.j2").read_text()
    assert "extends 'voila/templates/lab/index.html.j2'" in text and "href=" not in text


def test_cli_app_dry_run(tmp_path, capsys):
    assert main(["app", "--dir", str(tmp_path / "app"), "--port=8900", "--Voila.ip=0.0.0.0", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.count("--Voila.ip=") == 1 and "--Voila.ip=0.0.0.0" in out and out.count("--Voila.port=8900") == 1
    assert "http://127.0.0.1:8900/" in out and "0.0.0.0" in out.splitlines()[0]
    assert (tmp_path / "app" / "workshop.ipynb").is_file()
    assert main(["app", "--dir", str(tmp_path / "app"), "--ip=0.0.0.0", "--dry-run"]) == 0
    assert "--Voila.ip=0.0.0.0" in capsys.readouterr().out   # not silently ignored
    assert main(["app", "--dir", str(tmp_path / "b"), "--port=1", "--Voila.port=2", "--dry-run"]) == 1
    assert "given twice" in capsys.readouterr().err
    assert not (tmp_path / "b").exists(), "a refused command must not write anything"


def test_app_command_says_where_the_page_is(tmp_path):
    cmd, message = app_command(tmp_path, port=8901)
    assert message.startswith("workshop app on http://127.0.0.1:8901/") and "others" not in message
    cmd, message = app_command(tmp_path, extra=["--ip", "0.0.0.0"])
    assert "http://127.0.0.1:8866/" in message and "others on this network" in message


def test_downloads_are_named_after_the_song(tmp_path):
    html = download_links([tmp_path / "my song" / "vocals.wav"], tmp_path, song="my song")
    assert "download='my song - vocals.wav'" in html and "href='voila/files/my%20song/vocals.wav'" in html
    assert "download='vocals.wav'" in download_links([tmp_path / "a" / "vocals.wav"], tmp_path)


@pytest.fixture(scope="module")
def explore():
    track = example_track()
    return explore_section(track, 2.0, 2.0, available_separators()), track


def test_uploaded_song_is_shown_as_an_estimate(explore, tmp_path):
    box, track = explore
    song = tmp_path / "my song.wav"
    audio.save(song, track.mixture[:, : 2 * track.sr], track.sr)
    box.upload_file(song.name, song.read_bytes())
    explorer = box.holder.children[0]
    readout = explorer.controls["metrics"].value
    assert "estimated by" in readout and "not the true vocals" in readout and " dB" not in readout, readout
    assert explorer.controls["museval"].layout.display == "none"
    assert "stems estimated by" in box.status.value and UNET.split(" (")[0] in box.status.value


def test_multitrack_upload_keeps_the_true_target(explore):
    box, _ = explore
    box.upload_file("Falcon 69.stem.mp4", Path(example_path()).read_bytes())
    readout = box.holder.children[0].controls["metrics"].value
    assert "SDR" in readout and " dB" in readout and "estimate" not in readout, readout
    assert "Falcon 69" in box.status.value
