"""The sandbox's command lines, its choice and refusal, a live bubblewrap run, and the plain-data
channel across its wall (no pickle, no unknown class, no oversized message)."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mssedu import gradesheet, grading, sandbox
from mssedu.data import Track
from mssedu.errors import DataError, ParameterError
from mssedu.plaindata import Unsupported, decode, encode, read_message, write_message


def test_container_command_isolates_by_its_arguments(tmp_path):
    limits = sandbox.Limits(cpu_s=30, memory_bytes=2 ** 30, processes=64, open_files=100, file_bytes=10 ** 6)
    argv = sandbox.container_command("podman", tmp_path, ["python", "-m", "mssedu.submission", "run"],
                                     limits, env={"MSSEDU_FAST": "1"}, image="mssedu-grade:1")
    assert argv[:4] == ["podman", "run", "--rm", "-i"]
    pairs = list(zip(argv, argv[1:]))
    assert ("--network", "none") in pairs and "--read-only" in argv and ("--cap-drop", "ALL") in pairs
    assert "--memory=1073741824" in argv and "--pids-limit=64" in argv and "--cpus=1" in argv
    for ulimit in ("cpu=30:30", "nofile=100:100", "fsize=1000000:1000000"):
        assert ("--ulimit", ulimit) in pairs
    assert ("--user", f"{sandbox.NOBODY}:{sandbox.NOBODY}") in pairs
    assert ("-v", f"{tmp_path.resolve()}:/submission:rw") in pairs and ("-w", "/submission") in pairs
    assert ("-e", "MSSEDU_FAST=1") in pairs and ("-e", "HOME=/submission") in pairs
    assert argv[-5:] == ["mssedu-grade:1", "python", "-m", "mssedu.submission", "run"]
    assert [a for a in argv if a == "-v"] == ["-v"]   # one mount: the submission's folder


def test_bubblewrap_command_mounts_only_what_python_needs(tmp_path):
    argv = sandbox.bubblewrap_command("/usr/bin/bwrap", tmp_path, ["python", "-c", "pass"],
                                      sandbox.Limits(cpu_s=7, memory_bytes=10 ** 9, processes=50))
    pairs = list(zip(argv, argv[1:], argv[2:]))
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in argv
    writable = [(a, b, c) for a, b, c in pairs if a == "--bind"]
    assert writable == [("--bind", str(tmp_path.resolve()), str(tmp_path.resolve()))]
    mounted = {b for a, b, c in pairs if a in ("--ro-bind", "--ro-bind-try")}
    checkout = Path(grading.__file__).resolve().parent.parent
    assert str(checkout) not in mounted and not any("instructors" in m for m in mounted)
    assert "--cpu=7" in argv and "--as=1000000000" in argv and "--nofile=256" in argv
    assert any(a.startswith("--nproc=") for a in argv)
    assert argv[-3:] == [sys.executable, "-c", "pass"]
    if os.geteuid() == 0:   # root drops to the folder's owner (or nobody) for RLIMIT_NPROC
        assert "setpriv" in argv and f"--reuid={sandbox.NOBODY}" in argv


def test_no_sandbox_is_refused_with_what_to_install(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(ParameterError, match="bubblewrap.*--no-sandbox"):
        sandbox.choose()
    assert sandbox.choose(allow_none=True).kind == "none"
    with pytest.raises(ParameterError, match="docker isolation is not usable"):
        sandbox.choose("docker")
    with pytest.raises(ParameterError, match="needs --no-sandbox"):
        sandbox.choose("none")
    with pytest.raises(ParameterError, match="isolation must be one of"):
        sandbox.choose("chroot")
    for platform in ("darwin", "win32"):
        assert "Docker Desktop" in sandbox.missing_message(platform)
    with pytest.raises(ParameterError, match="--no-sandbox"):   # before anything runs
        grading.grade("/nonexistent", 4)


def test_grade_sheet_warns_without_sandbox(tmp_path):
    res = {"scores": {"a.b": 1.0}, "tests": {"a.b": [["public_check", True, False, ""]]},
           "messages": {}, "note": ""}
    gradesheet.write_sheet([("ann", res)], ["a.b"], {"a.b": 3.0}, tmp_path,
                           sandbox.Isolation("none").describe(), "graded WITHOUT a sandbox")
    csv_text = (tmp_path / "grades.csv").read_text()
    assert "isolation: NO SANDBOX" in csv_text and "WARNING: graded WITHOUT a sandbox" in csv_text
    assert "Warning:" in (tmp_path / "grades.html").read_text()
    assert "1 / 3" in (tmp_path / "feedback" / "ann.html").read_text()


PROBE = """
import json, os, resource, socket
out = {"uid": os.getuid(), "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0]}
try:
    socket.create_connection(("127.0.0.1", int(os.environ["PORT"])), timeout=2)
    out["net"] = "connected"
except OSError as err:
    out["net"] = type(err).__name__
for key, path in (("write", os.environ["OUTSIDE"] + "/x"), ("read", os.environ["SECRET"])):
    try:
        open(path, "w" if key == "write" else "r").close()
        out[key] = "ok"
    except OSError as err:
        out[key] = type(err).__name__
open("mine.txt", "w").write("own folder")
print(json.dumps(out))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="bubblewrap is Linux only")
def test_bubblewrap_holds_in_a_live_run(tmp_path):
    try:
        iso = sandbox.choose("bubblewrap")
    except ParameterError as err:
        pytest.skip(str(err))
    import socket
    listener = socket.create_server(("127.0.0.1", 0))
    work, outside = tmp_path / "work", tmp_path / "outside"
    work.mkdir(), outside.mkdir()
    (outside / "secret.txt").write_text("hidden test")
    if os.geteuid() == 0:
        os.chown(work, sandbox.NOBODY, sandbox.NOBODY)
    env = {"PORT": str(listener.getsockname()[1]), "OUTSIDE": str(outside), "SECRET": str(outside / "secret.txt")}
    argv = sandbox.command(iso, work, ["python", "-c", PROBE], sandbox.Limits(processes=40), env=env)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    listener.close()
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["net"] in ("ConnectionRefusedError", "OSError") and got["write"] != "ok" and got["read"] != "ok"
    assert (work / "mine.txt").read_text() == "own folder" and not (outside / "x").exists()
    if os.geteuid() == 0:
        assert got["uid"] == sandbox.NOBODY and got["nproc"] == 40


def test_plain_data_round_trip():
    track = Track("t", 8000, np.zeros((2, 4), np.float32), {"vocals": np.ones((2, 4), np.float32)})
    value = {"x": np.arange(3.0), "c": 1 + 2j, "inf": float("-inf"), (1, 2): ("a", None, True),
             "track": track, "np": np, "n": np.float32(2.5), "obj": object()}
    parts, arrays = encode(value)
    back = decode(json.loads(json.dumps(parts)), arrays)
    assert np.array_equal(back["x"], value["x"]) and back["c"] == 1 + 2j and back["inf"] == float("-inf")
    assert back[(1, 2)] == ("a", None, True) and back["np"] is np and back["n"] == 2.5
    assert isinstance(back["track"], Track) and np.array_equal(back["track"].stems["vocals"], track.stems["vocals"])
    assert isinstance(back["obj"], Unsupported) and back["obj"].type_name == "builtins.object"


def test_plain_data_carries_pandas_tables():
    """A table crosses as columns and index (a listening test's ratings joined to metrics)."""
    import pandas as pd
    frame = pd.DataFrame({"listener": ["ana", "bo", None], "rating": [35, 80, 100],
                          "SDR": [4.5, np.nan, float("inf")], "ok": [True, False, True]},
                         index=pd.Index(["IBM", "Wiener", "hidden reference"], name="condition"))
    frame["kind"] = pd.Categorical(["mask", "mask", "ref"])
    dup = pd.DataFrame([[1, 2]], columns=["a", "a"])   # repeated column names stay by position
    parts, arrays = encode({"rated": frame, "s": frame["rating"], "dup": dup, "empty": frame.iloc[:0]})
    back = decode(json.loads(json.dumps(parts)), arrays)
    pd.testing.assert_frame_equal(back["rated"].drop(columns="kind"), frame.drop(columns="kind"))
    assert back["rated"]["kind"].tolist() == ["mask", "mask", "ref"]   # categories travel as their values
    pd.testing.assert_series_equal(back["s"], frame["rating"])
    assert back["rated"].loc["IBM", "listener"] == "ana" and back["rated"]["rating"].dtype == np.int64
    assert list(back["dup"].columns) == ["a", "a"] and back["dup"].to_numpy().tolist() == [[1, 2]]
    assert back["empty"].shape == (0, 5) and list(back["empty"].columns) == list(frame.columns)
    multi = pd.DataFrame({"x": [1]}, index=pd.MultiIndex.from_tuples([("a", 1)]))
    assert isinstance(decode(*encode(multi)), Unsupported)
    ragged = json.loads(json.dumps(encode(pd.DataFrame({"x": [1.0, 2.0]}))[0]))
    ragged["__dataframe__"]["names"].append("y")
    with pytest.raises(DataError, match="more or fewer names"):
        decode(ragged, [np.array([1.0, 2.0]), np.arange(2)])
    ragged["__dataframe__"]["data"].append([1.0])   # a column shorter than the index
    with pytest.raises(DataError, match="not as long as its index"):
        decode(ragged, [np.array([1.0, 2.0]), np.arange(2)])
    code = {"__dataframe__": {"names": ["x"], "data": [{"__module__": "os"}], "index": ragged["__dataframe__"]["index"]}}
    with pytest.raises(DataError, match="not an array or a list"):
        decode(code, [np.array([1.0, 2.0]), np.arange(2)])


def test_plain_data_refuses_pickles_classes_and_floods():
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)   # a pickle inside .npy
    blob = buf.getvalue()
    head = json.dumps({"__sizes__": [len(blob)]}).encode()
    with pytest.raises(DataError, match="Refused an array"):
        read_message(io.BytesIO(f"{len(head)}\n".encode() + head + blob))
    with pytest.raises(DataError, match="only"):
        decode({"__dataclass__": "os.system", "fields": {"__dict__": []}}, [])
    big = io.BytesIO()
    write_message(big, {"a": 1}, [np.zeros(1000)])
    big.seek(0)
    with pytest.raises(DataError, match="larger than 100 bytes"):
        read_message(big, max_bytes=100)
    with pytest.raises(DataError, match="closed"):
        read_message(io.BytesIO(b""))
