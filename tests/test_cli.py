"""Tests of the ``mssedu`` command line (no weights needed: ``htdemucs-random`` and a cheap
stand-in model, see tests/test_pretrained.py)."""
from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("demucs.apply")

from mssedu import audio, cli  # noqa: E402
from mssedu import separation as P  # noqa: E402

from test_pretrained import SegmentGainModel, crescendo  # noqa: E402

COMMANDS = ["separate", "download", "demo", "lab", "course", "app"]


@pytest.fixture
def song(tmp_path):
    path = tmp_path / "in" / "song.wav"
    audio.save(path, crescendo(8000, 1.0), 8000)
    return path


@pytest.fixture
def cheap_model(monkeypatch):
    """`--model anything` gives the stand-in model (fast), so the CLI's own paths are tested."""
    def fake(name="htdemucs", repo=None, device="auto", **kwargs):
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        return P.DemucsSeparator(SegmentGainModel(8000, 1.0), name="stand-in", device="cpu", **kwargs)

    monkeypatch.setattr(P, "load_separator", fake)   # the CLI imports it when it runs


def test_python_dash_m_help():
    out = subprocess.run([sys.executable, "-m", "mssedu", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for cmd in COMMANDS:
        assert cmd in out.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_on_every_command(command, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    assert f"usage: mssedu {command}" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["separate", "download"])
def test_models_named_in_the_help_exist(command, capsys):
    """The help names models without importing the heavy module that lists them: each named
    one must be real (a renamed model would otherwise linger in the help)."""
    import re
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    named = set(re.findall(r"\b(h?t?demucs\w*|mdx\w*)\b", text)) - {"demucs"}
    assert len(named) == 5 and named <= set(P.DEMUCS_MODELS), named - set(P.DEMUCS_MODELS)


def test_bad_format_is_refused_before_any_work(song, tmp_path, capsys):
    assert cli.main(["separate", str(song), "--format", "ogg", "--out", str(tmp_path / "o")]) == 1
    assert "--format ogg: choose one of flac, mp3, wav" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_separate_with_random_htdemucs_two_stems_flac(song, tmp_path, capsys):
    """The real HT-Demucs architecture (random weights) through the whole command."""
    out = tmp_path / "out"
    code = cli.main(["separate", str(song), "--model", "htdemucs-random", "--out", str(out),
                     "--two-stems", "vocals", "--format", "flac", "--device", "cpu", "-q"])
    assert code == 0, capsys.readouterr()
    folder = out / "htdemucs-random" / "song"
    assert sorted(p.name for p in folder.iterdir()) == ["accompaniment.flac", "vocals.flac"]
    y, sr = audio.load(folder / "vocals.flac")
    assert sr == 8000 and y.shape == (2, 8000)


def test_separate_keeps_going_past_bad_files(song, tmp_path, cheap_model, capsys):
    bad = tmp_path / "in" / "not_audio.wav"
    bad.write_text("this is not audio")
    missing = tmp_path / "in" / "missing.mp3"
    out = tmp_path / "out"
    code = cli.main(["separate", str(bad), str(song), str(missing), "--out", str(out), "-q"])
    captured = capsys.readouterr()
    assert code == 1
    stems = sorted(p.name for p in (out / "htdemucs" / "song").iterdir())
    assert stems == ["bass.wav", "drums.wav", "other.wav", "vocals.wav"]
    assert "separated 1 of 3 file(s); 2 failed" in captured.out
    assert "not_audio.wav" in captured.out and "missing.mp3" in captured.out
    y = sum(audio.load(out / "htdemucs" / "song" / s)[0] for s in stems)
    np.testing.assert_allclose(y, audio.load(song)[0], atol=1e-5)  # stand-in stems sum to the input


def test_separate_never_overwrites_without_force(song, tmp_path, cheap_model, capsys):
    out = tmp_path / "out"
    assert cli.main(["separate", str(song), "--out", str(out), "-q"]) == 0
    target = out / "htdemucs" / "song" / "vocals.wav"
    before = target.read_bytes()
    target.write_bytes(before)  # same content, fresh mtime
    stamp = target.stat().st_mtime_ns
    capsys.readouterr()
    assert cli.main(["separate", str(song), "--out", str(out), "-q"]) == 1
    captured = capsys.readouterr()
    assert "output exists" in captured.err and "pass --force" in captured.err
    assert target.stat().st_mtime_ns == stamp
    assert cli.main(["separate", str(song), "--out", str(out), "-q", "--force"]) == 0
    assert target.stat().st_mtime_ns != stamp


def test_separate_unwritable_output_folder(song, tmp_path, cheap_model, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert cli.main(["separate", str(song), "--out", str(blocker / "sub"), "-q"]) == 1
    assert "Cannot create the output folder" in capsys.readouterr().err


def test_separate_model_error_is_one_line(song, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MSSEDU_OFFLINE", "1")
    monkeypatch.setenv("MSSEDU_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hf"))
    import mssedu.pipeline  # noqa: F401  (the command imports it when it runs; not what is timed)
    t0 = time.perf_counter()
    assert cli.main(["separate", str(song), "--out", str(tmp_path / "o")]) == 1
    assert time.perf_counter() - t0 < 3.0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "mssedu download htdemucs" in err


def test_download_offline(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MSSEDU_OFFLINE", "1")
    assert cli.main(["download", "htdemucs", "--to", str(tmp_path / "w")]) == 1
    err = capsys.readouterr().err
    assert "neither huggingface.co nor dl.fbaipublicfiles.com" in err and "'htdemucs'" in err


def test_lab_finds_notebooks(capsys, tmp_path):
    assert cli.main(["lab", "--dry-run", "--no-browser"]) == 0
    out = capsys.readouterr().out
    assert "notebooks" in out and "jupyterlab" in out
    assert cli.main(["lab", "--dir", str(tmp_path / "nope"), "--dry-run"]) == 1
    assert "notebooks were not found" in capsys.readouterr().err


def test_demo_tolerates_a_failing_step_and_refuses_to_overwrite(tmp_path, monkeypatch, capsys):
    pytest.importorskip("mssedu.masks")
    pytest.importorskip("mssedu.metrics")
    monkeypatch.setenv("MSSEDU_FAST", "1")
    monkeypatch.setenv("MSSEDU_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("MSSEDU_UNET_CHECKPOINT", str(tmp_path / "missing.pt"))  # a step that fails
    out = tmp_path / "demo"
    assert cli.main(["demo", "--out", str(out), "-q"]) == 0
    text = capsys.readouterr().out
    assert "oracle IRM" in text and "SDR" in text and "SIR" in text and "SAR" in text
    assert "SIR or SAR below SDR is no bug" in (out / "demo_table.txt").read_text()
    assert "mini U-Net" in text and "skipped" in text
    assert "mssedu download htdemucs" in text  # how to get HT-Demucs
    assert (out / "demo_figure.png").stat().st_size > 10_000
    assert (out / "oracle_IRM" / "vocals.wav").exists()
    assert cli.main(["demo", "--out", str(out), "-q"]) == 1
    assert "--force" in capsys.readouterr().err


def test_demo_runs_the_whole_pipeline_with_real_numbers(tmp_path, monkeypatch, capsys):
    """`mssedu demo` in fast mode on the real excerpt: every offline step runs and the table
    holds the numbers the course quotes (museval v4 vocals SDR medians)."""
    import pandas as pd

    monkeypatch.setenv("MSSEDU_FAST", "1")
    monkeypatch.setenv("MSSEDU_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MSSEDU_UNET_CHECKPOINT", raising=False)
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hf"))
    out = tmp_path / "demo"
    assert cli.main(["demo", "--out", str(out), "-q"]) == 0
    table = pd.read_csv(out / "demo_table.csv")
    vocals = table[table["source"] == "vocals"].set_index("separator")["SDR"]
    assert vocals["oracle IRM"] == pytest.approx(6.9, abs=0.3)
    assert vocals["IRM + MISI"] >= vocals["oracle IRM"] - 0.3      # MISI keeps the mixture's phase help
    assert vocals["IRM + Griffin-Lim"] < vocals["oracle IRM"] - 3   # a random-start phase costs dB
    # the shipped mini U-Net: >= +6 dB over the mixture-as-estimate baseline (-7.85 dB on the
    # trimmed excerpt; measured: +0.24 dB)
    assert vocals["mini U-Net"] > -7.85 + 6
    assert "HT-Demucs" not in set(table["separator"])
    assert "mssedu download htdemucs" in capsys.readouterr().out
