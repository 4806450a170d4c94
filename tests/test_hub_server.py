"""The weights path end to end, against a local stand-in for the Hugging Face hub.

A small HTTP server on 127.0.0.1 (a free port, a daemon thread, shut down after the module
or after five minutes at most) speaks the part of the hub protocol that
``huggingface_hub.hf_hub_download`` (2.x) uses when ``HF_ENDPOINT`` points at it:

- ``HEAD``/``GET /<namespace>/<repo>/resolve/<revision>/<file>``, answered with
  ``X-Repo-Commit`` (40 hex digits), ``ETag`` (the git blob SHA-1 for a small text file; the
  file's SHA-256 for an LFS file, also in ``X-Linked-Etag`` with ``X-Linked-Size``),
  ``Content-Length`` and ``Accept-Ranges``; ``Range: bytes=N-`` gives ``206`` with
  ``Content-Range`` (the hub client resumes a cut transfer that way);
- ``404`` with ``X-Error-Code: RepoNotFound`` (no such repository) or ``EntryNotFound``.

It serves demucs' Hugging Face layout for ``htdemucs`` (repository ``adefossez/HTDemucs``:
``htdemucs.yaml`` + ``955717e8.safetensors``), exported the way demucs' ``tools/export_hf.py``
does (state dict as tensors; class, args and kwargs as JSON metadata, fractions encoded) from
random weights of the HT-Demucs architecture at toy width (``channels=8, t_layers=1``: the
real layout and code path, seconds instead of minutes).

Under ``/meta/`` the same server plays Meta's download server, which mssedu falls back to
(``MSSEDU_DEMUCS_URL`` points at it): ``files.txt`` in demucs' format (``root: <folder>/``,
then ``<sig>-<sha256 prefix>.th`` names) and the packages it lists, demucs' ``.th`` format (a
dict with the model class, its arguments and the state dict, as ``demucs.pretrained`` reads
it) exported from the same random toy weights. The ``.th`` package is also tested as demucs'
own ``--repo`` layout: ``<name>.yaml`` + ``<sig>-<sha256 prefix>.th`` in a local folder.
"""
from __future__ import annotations

import hashlib
import io
import json
import socket
import threading
import time
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("demucs.hf")
pytest.importorskip("huggingface_hub")
pytest.importorskip("safetensors")

from mssedu import MsseduError, audio, cli  # noqa: E402
from mssedu.errors import ModelLoadingError, NetworkError, ParameterError  # noqa: E402
from mssedu.separation import HTDEMUCS_CONFIG, find_weights, models_folder, random_htdemucs  # noqa: E402
from mssedu.separation import fetch as F  # noqa: E402
from mssedu.separation import weights as W  # noqa: E402

COMMIT = "0123456789abcdef0123456789abcdef01234567"
SIG = "955717e8"                               # htdemucs' signature (demucs remote/htdemucs.yaml)
SIG6 = "5c90dfd2"                              # htdemucs_6s' signature (remote/htdemucs_6s.yaml)
TOY = dict(channels=8, t_layers=1)             # toy width, real layout
SERVER_LIFETIME_S = 300


def toy_kwargs() -> dict:
    return {**HTDEMUCS_CONFIG, **TOY}


def export_safetensors(model, kwargs) -> bytes:
    """One demucs model as demucs' Hugging Face export: tensors + JSON metadata."""
    from safetensors.torch import save

    enc = {k: ({"_type": "fraction", "numerator": v.numerator, "denominator": v.denominator}
               if isinstance(v, Fraction) else v) for k, v in kwargs.items()}
    return save({k: v.contiguous() for k, v in model.state_dict().items()},
                metadata={"klass": "demucs.htdemucs.HTDemucs", "args": "[]", "kwargs": json.dumps(enc)})


def export_th(model, kwargs) -> bytes:
    """One demucs model as demucs' ``.th`` package: class, arguments, state dict."""
    from demucs.htdemucs import HTDemucs

    buf = io.BytesIO()
    torch.save({"klass": HTDemucs, "args": (), "kwargs": kwargs, "state": model.state_dict(),
                "training_args": {"lr": 3e-4}}, buf)
    return buf.getvalue()


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Hub:
    """What the server serves and the faults it injects (set by each test)."""

    def __init__(self):
        self.repos = {}          # "ns/Repo" -> {filename: bytes}
        self.meta = {}           # path under /meta/ -> bytes (Meta's server layout)
        self.corrupt = set()     # filenames served with one byte flipped (ETag unchanged)
        self.cuts = {}           # filename -> how many GETs to cut half-way
        self.refuse_ranges = 0   # how many Range requests to answer 503
        self.log = []            # (method, path, Range header)

    def reset(self):
        self.corrupt.clear()
        self.cuts.clear()
        self.refuse_ranges = 0
        self.log.clear()


class HubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep the test output clean
        pass

    def _not_found(self, code):
        self.send_response(404)
        self.send_header("X-Error-Code", code)
        if code == "EntryNotFound":
            self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _meta(self, body: bool):
        """Meta's server: plain files, 404 without hub headers."""
        hub = self.server.hub
        path = self.path.split("?")[0][len("/meta/"):]
        if path not in hub.meta:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = hub.meta[path]
        if path.rsplit("/", 1)[-1] in hub.corrupt:
            data = bytearray(data)
            data[len(data) // 2] ^= 0xFF
            data = bytes(data)
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _answer(self, body: bool):
        hub = self.server.hub
        hub.log.append((self.command, self.path, self.headers.get("Range")))
        if self.path.startswith("/meta/"):
            return self._meta(body)
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) < 5 or parts[2] != "resolve":
            return self._not_found("RepoNotFound")
        repo, filename = "/".join(parts[:2]), "/".join(parts[4:])
        if repo not in hub.repos:
            return self._not_found("RepoNotFound")
        if filename not in hub.repos[repo]:
            return self._not_found("EntryNotFound")
        data = hub.repos[repo][filename]
        lfs = filename.endswith(".safetensors")
        etag = hashlib.sha256(data).hexdigest() if lfs else git_blob_sha1(data)
        if filename in hub.corrupt:
            data = bytearray(data)
            data[len(data) // 2] ^= 0xFF
            data = bytes(data)
        start, status = 0, 200
        rng = self.headers.get("Range")
        if body and rng:
            if hub.refuse_ranges > 0:
                hub.refuse_ranges -= 1
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start, status = int(rng.split("=")[1].split("-")[0]), 206
        self.send_response(status)
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("ETag", f'"{etag}"')
        if lfs:
            self.send_header("X-Linked-Etag", f'"{etag}"')
            self.send_header("X-Linked-Size", str(len(data)))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if not body:
            return
        if hub.cuts.get(filename, 0) > 0 and start == 0:
            hub.cuts[filename] -= 1
            self.wfile.write(data[: len(data) // 2])   # the connection drops half-way
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data[start:])

    def do_HEAD(self):
        self._answer(body=False)

    def do_GET(self):
        self._answer(body=True)


@pytest.fixture(scope="module")
def toy_model():
    return random_htdemucs(seed=0, **TOY)


@pytest.fixture(scope="module")
def hub_server(toy_model):
    hub = Hub()
    hub.repos["adefossez/HTDemucs"] = {
        "htdemucs.yaml": f"models: ['{SIG}']\n".encode(),
        f"{SIG}.safetensors": export_safetensors(toy_model, toy_kwargs()),
    }
    th = export_th(toy_model, toy_kwargs())
    hub.th_name = f"{SIG}-{hashlib.sha256(th).hexdigest()[:8]}.th"
    hub.meta = {"files.txt": f"# a mirror of Meta's demucs folder\nroot: hybrid_transformer/\n{hub.th_name}\n"
                             f"{SIG6}-0badf00d.th\n".encode(),           # listed, but not on the server
                f"hybrid_transformer/{hub.th_name}": th}
    server = ThreadingHTTPServer(("127.0.0.1", 0), HubHandler)
    server.hub = hub
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    guard = threading.Timer(SERVER_LIFETIME_S, server.shutdown)   # stops by itself, whatever happens
    guard.daemon = True
    guard.start()
    yield server
    guard.cancel()
    server.shutdown()
    server.server_close()


@pytest.fixture
def hub(hub_server, tmp_path, monkeypatch):
    """HF_ENDPOINT -> the local server; empty caches; Meta's server out of reach (so no test
    can fall back to the real internet)."""
    import huggingface_hub.constants as hc

    host, port = hub_server.server_address[:2]
    monkeypatch.setenv("HF_ENDPOINT", f"http://{host}:{port}")
    monkeypatch.delenv("MSSEDU_DEMUCS_URL", raising=False)     # Meta's real server: out of reach
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("MSSEDU_CACHE", str(tmp_path / "mssedu"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hf"))
    for var in ("MSSEDU_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    real = F.reachable
    monkeypatch.setattr(F, "reachable", lambda h, port=443, timeout=2.0: h == host and real(h, port, timeout))
    hub_server.hub.reset()
    yield hub_server.hub
    hub_server.hub.reset()


@pytest.fixture
def song(tmp_path):
    t = np.arange(8000) / 8000
    x = (0.3 * np.sin(2 * np.pi * 220 * t) * np.linspace(0.2, 1, t.size)).astype(np.float32)
    path = tmp_path / "in" / "song.wav"
    audio.save(path, np.stack([x, 0.5 * x]), 8000)
    return path


def leftovers(folder):
    """Anything half-written: staging folders, .part or .incomplete files."""
    return sorted(p.name for p in folder.rglob("*")
                  if p.name.startswith(".") or p.name.endswith((".part", ".incomplete")))


def separates_offline_with(toy_model, song, tmp_path, log, monkeypatch):
    """Offline, the downloaded weights are the served ones and `mssedu separate` writes the four
    stems with them, without one more request to the server (``log``)."""
    monkeypatch.setenv("MSSEDU_OFFLINE", "1")
    n_requests = len(log)
    sep = W.load_demucs_model("htdemucs")
    for (k, a), (_, b) in zip(toy_model.state_dict().items(), sep.models[0].state_dict().items()):
        assert torch.equal(a, b), k
    out = tmp_path / "out"
    assert cli.main(["separate", str(song), "-m", "htdemucs", "--out", str(out), "--device", "cpu", "-q"]) == 0
    stems = out / "htdemucs" / "song"
    assert sorted(p.name for p in stems.iterdir()) == ["bass.wav", "drums.wav", "other.wav", "vocals.wav"]
    y, sr = audio.load(stems / "vocals.wav")
    assert sr == 8000 and y.shape == (2, 8000) and np.isfinite(y).all() and np.abs(y).max() > 0
    assert len(log) == n_requests                       # no network once the weights are here


def test_download_then_separate_through_the_hub(hub, toy_model, song, tmp_path, monkeypatch, capsys):
    assert cli.main(["download", "htdemucs", "-q"]) == 0, capsys.readouterr()
    folder = models_folder()
    data = hub.repos["adefossez/HTDemucs"][f"{SIG}.safetensors"]
    sha = hashlib.sha256(data).hexdigest()
    assert sorted(p.name for p in folder.iterdir()) == sorted(["htdemucs.yaml", f"{SIG}-{sha[:8]}.safetensors"])
    assert (folder / f"{SIG}-{sha[:8]}.safetensors").read_bytes() == data
    assert ("GET", f"/adefossez/HTDemucs/resolve/main/{SIG}.safetensors", None) in hub.log
    separates_offline_with(toy_model, song, tmp_path, hub.log, monkeypatch)
    capsys.readouterr()


def test_corrupted_file_is_refused_and_nothing_is_kept(hub, tmp_path):
    hub.corrupt.add(f"{SIG}.safetensors")
    dest = tmp_path / "weights"
    with pytest.raises(ModelLoadingError, match="is corrupt: its SHA-256"):
        W.download("htdemucs", to=dest, progress=False)
    assert list(dest.iterdir()) == []                  # no yaml, no weights, no staging folder
    with pytest.raises(ModelLoadingError, match="holds no htdemucs.yaml"):
        find_weights("htdemucs", repo=dest)
    assert find_weights("htdemucs") is None           # nor in mssedu's folder or the HF cache


def test_cut_transfer_leaves_nothing_and_the_next_try_succeeds(hub, tmp_path):
    name = f"{SIG}.safetensors"
    dest = tmp_path / "weights"
    hub.cuts[name], hub.refuse_ranges = 1, 1    # cut half-way, then the resume is refused
    with pytest.raises(NetworkError, match="Could not download 'htdemucs'"):
        W.download("htdemucs", to=dest, progress=False)
    assert list(dest.iterdir()) == [], leftovers(dest)
    # next try: cut again, and this time the hub client resumes with a Range request
    hub.log.clear()
    hub.cuts[name] = 1
    assert W.download("htdemucs", to=dest, progress=False) == dest
    resumed = [r for m, path, r in hub.log if m == "GET" and path.endswith(name) and r]
    assert len(resumed) == 1 and 0 < int(resumed[0][len("bytes="):-1]) <= len(hub.repos["adefossez/HTDemucs"][name]) // 2
    found = find_weights("htdemucs", repo=dest)
    assert found["files"][0].read_bytes() == hub.repos["adefossez/HTDemucs"][name]
    assert leftovers(dest) == []


def test_missing_repository_says_the_model_does_not_exist(hub, tmp_path, capsys):
    """hdemucs_mmi is a real demucs name, but this hub has no adefossez/Demucs-hdemucs_mmi."""
    code = cli.main(["download", "hdemucs_mmi", "--to", str(tmp_path / "w"), "-q"])
    err = capsys.readouterr().err
    assert code == 1
    assert "'hdemucs_mmi' does not exist" in err and "404" in err and "has no such repository" in err
    assert "no internet" not in err and "cannot be reached" not in err
    assert ("HEAD", "/adefossez/Demucs-hdemucs_mmi/resolve/main/hdemucs_mmi.yaml", None) in hub.log


def test_missing_file_in_repository_says_so(hub, tmp_path):
    hub_files = hub.repos["adefossez/HTDemucs"]
    saved = hub_files.pop(f"{SIG}.safetensors")
    try:
        with pytest.raises(ModelLoadingError, match=f"lacks one of its files .*{SIG}.safetensors") as info:
            W.download("htdemucs", to=tmp_path / "w", progress=False)
    finally:
        hub_files[f"{SIG}.safetensors"] = saved
    assert "no internet" not in str(info.value)
    assert list((tmp_path / "w").iterdir()) == []


def test_unknown_model_name_is_refused_before_any_request(hub, tmp_path, capsys):
    with pytest.raises(ParameterError, match="no demucs model of that name exists"):
        W.download("htdemucs_nope", to=tmp_path / "w", progress=False)
    assert cli.main(["download", "htdemucs_nope", "-q"]) == 1
    err = capsys.readouterr().err
    assert "Unknown model 'htdemucs_nope'" in err and "no internet" not in err
    assert hub.log == []


def test_meta_style_th_package_in_a_local_repo(toy_model, song, tmp_path, capsys):
    """demucs' own package (klass, args, kwargs, state), named <sig>-<sha256 prefix>.th."""
    repo = tmp_path / "repo"
    repo.mkdir()
    th = export_th(toy_model, toy_kwargs())
    sha = hashlib.sha256(th).hexdigest()
    (repo / f"{SIG}-{sha[:8]}.th").write_bytes(th)
    (repo / "htdemucs.yaml").write_text(f"models: ['{SIG}']\n")
    out = tmp_path / "out"
    code = cli.main(["separate", str(song), "-m", "htdemucs", "--repo", str(repo), "--out", str(out),
                     "--two-stems", "vocals", "--device", "cpu", "-q"])
    assert code == 0, capsys.readouterr()
    assert sorted(p.name for p in (out / "htdemucs" / "song").iterdir()) == ["accompaniment.wav", "vocals.wav"]
    data = bytearray((repo / f"{SIG}-{sha[:8]}.th").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (repo / f"{SIG}-{sha[:8]}.th").write_bytes(bytes(data))
    with pytest.raises(MsseduError, match="corrupt or was changed"):
        W.load_demucs_model("htdemucs", repo=repo)


def test_server_answers_like_the_hub(hub_server):
    """The stand-in's answers, read by huggingface_hub's own metadata call."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    host, port = hub_server.server_address[:2]
    url = hf_hub_url("adefossez/HTDemucs", f"{SIG}.safetensors", endpoint=f"http://{host}:{port}")
    t0 = time.perf_counter()
    meta = get_hf_file_metadata(url)
    data = hub_server.hub.repos["adefossez/HTDemucs"][f"{SIG}.safetensors"]
    assert meta.commit_hash == COMMIT and meta.etag == hashlib.sha256(data).hexdigest()
    assert meta.size == len(data) and time.perf_counter() - t0 < 10


# -- Meta's server (MSSEDU_DEMUCS_URL) --------------------------------------------------------

@pytest.fixture
def meta(hub, monkeypatch):
    """The hub fixture, with MSSEDU_DEMUCS_URL -> the server's /meta/ folder and the hub
    itself silent (HF_ENDPOINT -> a closed port on 127.0.0.1: nothing answers there)."""
    import os

    host, port = os.environ["HF_ENDPOINT"][len("http://"):].split(":")
    monkeypatch.setenv("MSSEDU_DEMUCS_URL", f"http://{host}:{port}/meta")
    with socket.socket() as s:       # a port that was free a moment ago: connections refused
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{dead}")
    return hub


def test_download_falls_back_to_meta_th_then_separates(meta, toy_model, song, tmp_path, monkeypatch, capsys):
    assert cli.main(["download", "htdemucs", "-q"]) == 0, capsys.readouterr()
    folder = models_folder()
    assert sorted(p.name for p in folder.iterdir()) == sorted(["htdemucs.yaml", meta.th_name])
    assert (folder / meta.th_name).read_bytes() == meta.meta[f"hybrid_transformer/{meta.th_name}"]
    assert ("GET", "/meta/files.txt", None) in meta.log
    assert ("GET", f"/meta/hybrid_transformer/{meta.th_name}", None) in meta.log
    assert not any(path.startswith("/adefossez") for _, path, _ in meta.log)   # the hub never answered
    separates_offline_with(toy_model, song, tmp_path, meta.log, monkeypatch)
    capsys.readouterr()


def test_corrupted_th_is_refused_by_its_hash_prefix(meta, tmp_path):
    meta.corrupt.add(meta.th_name)
    dest = tmp_path / "weights"
    with pytest.raises(ModelLoadingError, match=f"{meta.th_name} is corrupt: its SHA-256 starts with") as info:
        W.download("htdemucs", to=dest, progress=False)
    assert f"its name says {meta.th_name[len(SIG) + 1:-3]}" in str(info.value)
    assert list(dest.iterdir()) == []                  # no yaml, no package, no staging folder
    assert find_weights("htdemucs") is None


def test_meta_404_says_the_model_does_not_exist(meta, tmp_path, capsys):
    """htdemucs_6s is listed in the mirror's files.txt, but its package is not there."""
    code = cli.main(["download", "htdemucs_6s", "--to", str(tmp_path / "w"), "-q"])
    err = capsys.readouterr().err
    assert code == 1
    assert "'htdemucs_6s' does not exist on http://127.0.0.1" in err and "404" in err
    assert f"/meta/hybrid_transformer/{SIG6}-0badf00d.th answered 404" in err
    assert "no internet" not in err and "cannot be reached" not in err
    assert list((tmp_path / "w").iterdir()) == []
    # a model the mirror does not list at all: also "does not exist", nothing requested
    meta.log.clear()
    with pytest.raises(ModelLoadingError, match="does not exist on .*lists no package for signature"):
        W.download("hdemucs_mmi", to=tmp_path / "w", progress=False)
    assert [path for _, path, _ in meta.log] == ["/meta/files.txt"]
