"""``mssedu separate`` and ``separation.separate_file``: streamed, whole or nothing, never
overwriting, and every bad input a one-line error (issue 13's file-level cases)."""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mssedu import cli, separation
from mssedu.errors import DataError, MsseduError, ParameterError
from mssedu.models import MiniUNet, UNetConfig, save_checkpoint

SR = 8000
ROOT = Path(__file__).resolve().parents[1]


class GainSeparator:
    """Stateless and linear: stem k = g_k * x. Windowed output must equal the whole pass."""

    name, sr, channels = "gains", SR, 2
    sources = ["drums", "bass", "other", "vocals"]
    gains = np.array([0.1, 0.2, 0.3, 0.4], np.float32)

    def __init__(self, delay: float = 0.0):
        self.delay, self.calls = delay, 0

    def separate(self, signal, progress=True):
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        return {s: g * signal for s, g in zip(self.sources, self.gains)}


def song(path, seconds, sr=SR, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.3 * t))
    x = np.stack([x, np.roll(x, 7)]) + 0.01 * rng.standard_normal((2, t.size))
    sf.write(path, x.T.astype(np.float32), sr, subtype="PCM_16" if str(path).endswith(".flac") else "FLOAT")
    return x.astype(np.float32)


def test_streamed_separation_equals_the_whole_pass(tmp_path):
    x = song(tmp_path / "long.wav", 30.0)
    sep = GainSeparator()
    paths = separation.separate_file(sep, tmp_path / "long.wav", tmp_path / "out", window_seconds=5,
                                     margin_seconds=1, fade_seconds=0.5, progress=False)
    assert sep.calls > 5                             # it really streamed, window by window
    for p, g in zip(paths, GainSeparator.gains):
        y, sr = sf.read(p, dtype="float32", always_2d=True)
        assert sr == SR and y.shape == x.T.shape
        np.testing.assert_allclose(y.T, g * x, atol=2e-6)


def test_streamed_unet_matches_the_whole_pass_within_tolerance(tmp_path):
    """A real model: its output near a window edge depends on context, which the margin gives."""
    x = song(tmp_path / "s.wav", 12.0)
    cfg = UNetConfig(sr=SR, n_fft=256, hop_length=64, n_bins=64, channels=(4, 8, 16), patch_frames=16)
    unet = separation.load_separator(save_checkpoint(tmp_path / "u.pt", MiniUNet(cfg)), device="cpu")
    whole = separation.separate(unet, x, SR, progress=False)
    paths = separation.separate_file(unet, tmp_path / "s.wav", tmp_path / "o", window_seconds=4,
                                     margin_seconds=1, fade_seconds=0.25, progress=False)
    y, _ = sf.read(paths[0], dtype="float32", always_2d=True)
    err = np.sum((y.T - whole["vocals"]) ** 2) / np.sum(whole["vocals"] ** 2)
    assert 10 * np.log10(err) < -40                  # the seams are inaudible


def test_output_modes_follow_the_umask(tmp_path):
    song(tmp_path / "s.wav", 1.0)
    old = os.umask(0o022)
    try:
        paths = separation.separate_file(GainSeparator(), tmp_path / "s.wav", tmp_path / "o", progress=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE(paths[0].stat().st_mode) == 0o644
    assert stat.S_IMODE(paths[0].parent.stat().st_mode) == 0o755


def test_existing_output_is_kept_unless_forced(tmp_path):
    song(tmp_path / "s.wav", 1.0)
    out = tmp_path / "o"
    separation.separate_file(GainSeparator(), tmp_path / "s.wav", out, progress=False)
    (out / "mine.txt").write_text("my notes")
    with pytest.raises(DataError, match="pass --force"):
        separation.separate_file(GainSeparator(), tmp_path / "s.wav", out, progress=False)
    assert (out / "mine.txt").exists()
    separation.separate_file(GainSeparator(), tmp_path / "s.wav", out, overwrite=True, progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["bass.wav", "drums.wav", "other.wav", "vocals.wav"]


def test_two_songs_with_the_same_name_get_two_folders(tmp_path, monkeypatch, capsys):
    song(tmp_path / "song.wav", 1.0, seed=1)
    song(tmp_path / "song.flac", 1.0, seed=2)
    monkeypatch.setattr(cli, "load_separator", lambda *a, **k: GainSeparator())
    code = cli.main(["separate", str(tmp_path / "song.wav"), str(tmp_path / "song.flac"),
                     "--out", str(tmp_path / "out"), "--force", "-q"])
    assert code == 0
    folders = sorted(p.name for p in (tmp_path / "out" / "htdemucs").iterdir())
    assert folders == ["song", "song_flac"]
    a, _ = sf.read(tmp_path / "out/htdemucs/song/vocals.wav")
    b, _ = sf.read(tmp_path / "out/htdemucs/song_flac/vocals.wav")
    assert not np.allclose(a, b)                    # neither overwrote the other
    assert "song_flac" in capsys.readouterr().out


def test_two_stems_accompaniment_is_refused_on_the_command_line(tmp_path, monkeypatch, capsys):
    song(tmp_path / "s.wav", 1.0)
    monkeypatch.setattr(cli, "load_separator", lambda *a, **k: GainSeparator())
    assert cli.main(["separate", str(tmp_path / "s.wav"), "--two-stems", "accompaniment",
                     "--out", str(tmp_path / "o"), "-q"]) == 1
    assert "would name both outputs the same" in capsys.readouterr().err
    assert not (tmp_path / "o" / "htdemucs").exists()


def test_unet_checkpoint_by_content_and_its_options_checked(tmp_path, capsys):
    song(tmp_path / "s.wav", 1.0)
    cfg = UNetConfig(sr=SR, n_fft=256, hop_length=64, n_bins=64, channels=(4, 8, 16), patch_frames=16)
    ck = save_checkpoint(tmp_path / "MODEL.PT", MiniUNet(cfg))
    os.replace(ck, tmp_path / "model")               # no suffix at all
    assert cli.main(["separate", str(tmp_path / "s.wav"), "-m", str(tmp_path / "model"),
                     "--out", str(tmp_path / "o"), "-q", "--device", "cpu"]) == 0
    assert (tmp_path / "o" / "model" / "s" / "vocals.wav").exists()
    capsys.readouterr()
    assert cli.main(["separate", str(tmp_path / "s.wav"), "-m", str(tmp_path / "model"),
                     "--overlap", "1.5", "--shifts", "-1", "--out", str(tmp_path / "o2"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "does not take" in err and "overlap" in err and "shifts" in err


def test_broken_yaml_in_repo_is_a_clear_error(tmp_path, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "htdemucs.yaml").write_text("models: [unclosed\n")
    song(tmp_path / "s.wav", 1.0)
    assert cli.main(["separate", str(tmp_path / "s.wav"), "--repo", str(repo), "--out",
                     str(tmp_path / "o"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "is not valid YAML" in err and "Traceback" not in err


def test_demo_out_is_an_existing_file(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert cli.main(["demo", "--out", str(tmp_path / "f"), "-q"]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err


def test_full_disk_leaves_nothing_behind_and_says_so(tmp_path, monkeypatch):
    """A file-size limit (RLIMIT_FSIZE) makes every write past 300 kB fail, as a full disk does."""
    song(tmp_path / "s.wav", 20.0)
    out = tmp_path / "out"
    script = textwrap.dedent(f"""
        import resource, signal, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_separate_files import GainSeparator
        from mssedu import cli
        cli.load_separator = lambda *a, **k: GainSeparator()
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a failed write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))
        sys.exit(cli.main(["separate", {str(tmp_path / "s.wav")!r}, "--out", {str(out)!r}, "-q"]))
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert res.returncode == 1, res.stderr
    assert "No space left" in res.stderr and "Nothing was written" in res.stderr
    assert "Traceback" not in res.stderr
    left = [p.name for p in (out / "htdemucs").iterdir()] if (out / "htdemucs").exists() else []
    assert left == []                                  # no half stem set, no temp folder
    # and the rerun (with room) works without --force: nothing blocks it
    monkeypatch.setattr(cli, "load_separator", lambda *a, **k: GainSeparator())
    assert cli.main(["separate", str(tmp_path / "s.wav"), "--out", str(out), "-q"]) == 0
    assert len(list((out / "htdemucs" / "s").iterdir())) == 4


def test_a_killed_run_leaves_no_output_and_the_next_run_cleans_up(tmp_path):
    song(tmp_path / "s.wav", 30.0)
    out = tmp_path / "out"
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_separate_files import GainSeparator
        from mssedu import separation
        separation.separate_file(GainSeparator(delay=0.5), {str(tmp_path / "s.wav")!r},
                                 {str(out / "s")!r}, window_seconds=3, margin_seconds=0.5,
                                 fade_seconds=0.1, progress=False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 120
    parts = []
    while time.time() < deadline and proc.poll() is None:
        parts = [p for p in out.glob(".s.*.part") if any(p.iterdir())] if out.exists() else []
        if parts and any(f.stat().st_size > 1000 for f in parts[0].iterdir()):
            break
        time.sleep(0.2)
    assert proc.poll() is None and parts, "the run should still be writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "s").exists()                   # nothing half-written in place
    assert parts[0].exists()                          # only the hidden part folder
    separation.separate_file(GainSeparator(), tmp_path / "s.wav", out / "s", progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["s"]   # the stale part is gone
    assert len(list((out / "s").iterdir())) == 4


def test_bad_arguments_of_separate_file(tmp_path):
    song(tmp_path / "s.wav", 1.0)
    with pytest.raises(ParameterError, match="fmt must be one of"):
        separation.separate_file(GainSeparator(), tmp_path / "s.wav", tmp_path / "o", fmt="aac")
    with pytest.raises(ParameterError, match="window_seconds"):
        separation.separate_file(GainSeparator(), tmp_path / "s.wav", tmp_path / "o", window_seconds="x")
    (tmp_path / "o").write_text("a file")
    with pytest.raises(MsseduError, match="is a file, not a folder"):
        separation.separate_file(GainSeparator(), tmp_path / "s.wav", tmp_path / "o")
