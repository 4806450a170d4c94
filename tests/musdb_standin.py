"""A local stand-in for the MUSDB18 previews' server, for tests that must not leave 127.0.0.1.

:func:`make_archive` writes a zip in the previews' real layout (``train/<name>.stem.mp4``,
``test/<name>.stem.mp4``; five AAC streams: mixture, drums, bass, other, vocals) from songs
made here (:func:`mssedu.data.synth.render_song`, numpy renderer: no SoundFont needed).
:class:`PreviewServer` serves it over HTTP on 127.0.0.1 and can cut transfers short or
corrupt them; :func:`point_at` sets the environment that sends mssedu's download to it.
"""
from __future__ import annotations

import hashlib
import http.server
import threading
import zipfile
from pathlib import Path

import numpy as np
import stempeg

from mssedu.data import MUSDB_STEMS
from mssedu.data.synth import render_song, song_spec

__all__ = ["TRAIN", "VALID", "TEST", "EXAMPLE", "make_archive", "write_root", "PreviewServer", "point_at"]

#: Training songs of the stand-in (musdb's split puts them in ``train``).
TRAIN = ["Synth Alpha - One", "Synth Beta - Two", "Synth Gamma - Three"]
#: Names from musdb's official validation list (``split="valid"``).
VALID = ["Actions - One Minute Smile", "Leaf - Summerghost"]
#: The course's example song: a MUSDB train song, which must never come out of a listing.
EXAMPLE = "The Easton Ellises - Falcon 69"
#: Test songs.
TEST = ["Synth Delta - Four", "Synth Epsilon - Five", "Synth Zeta - Six", "Synth Eta - Seven",
        "Synth Theta - Eight"]


def _song(index: int, seconds: float):
    return render_song(song_spec(seed=24, index=index, seconds=seconds), renderer="numpy")


def write_root(root, seconds: float = 3.0, train=None, test=None, wav: bool = False) -> Path:
    """A MUSDB-layout root made here: ``.stem.mp4`` files (the previews' layout) or, with
    ``wav=True``, MUSDB18-HQ's folders of wav files.

    Parameters
    ----------
    root : Path
    seconds : float
    train, test : list of str or None
        Song names (default :data:`TRAIN` + :data:`VALID` + :data:`EXAMPLE`, and :data:`TEST`).
    wav : bool

    Returns
    -------
    Path
        ``root``.
    """
    from mssedu.data import save_multitrack

    root = Path(root)
    names = {"train": TRAIN + VALID + [EXAMPLE] if train is None else train,
             "test": TEST if test is None else test}
    index = 0
    for subset, songs in names.items():
        (root / subset).mkdir(parents=True, exist_ok=True)
        for name in songs:
            track = _song(index, seconds)
            index += 1
            if wav:
                track.name = name
                save_multitrack(track, root / subset / name)
                continue
            streams = np.stack([track.mixture.T] + [track.stems[k].T for k in MUSDB_STEMS])
            stempeg.write_stems(str(root / subset / f"{name}.stem.mp4"), streams, track.sr,
                                writer=stempeg.StreamsWriter(codec="aac", bitrate=256000))
    return root


def make_archive(path, seconds: float = 3.0, train=None, test=None) -> tuple:
    """The previews' zip, made here.

    Returns
    -------
    tuple
        ``(bytes of the zip, "sha256:<hex>")``.
    """
    path = Path(path)
    root = write_root(path.with_suffix(".d"), seconds, train, test)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for f in sorted(root.rglob("*.stem.mp4")):
            z.write(f, f.relative_to(root).as_posix())
    data = path.read_bytes()
    return data, "sha256:" + hashlib.sha256(data).hexdigest()


class PreviewServer:
    """An HTTP server on 127.0.0.1 serving ``payload`` at ``/MUSDB18-7-STEMS.zip``.

    ``cut``: how many of the next requests are cut off half-way (announced length, half
    the bytes, then the connection closes); ``corrupt``: serve the payload with one byte
    changed. ``requests`` counts the requests.
    """

    def __init__(self, payload: bytes):
        self.payload, self.cut, self.corrupt, self.requests = payload, 0, False, 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                server.requests += 1
                body = bytearray(server.payload)
                if server.corrupt:
                    body[len(body) // 2] ^= 0xFF
                self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cut > 0:
                    server.cut -= 1
                    self.wfile.write(bytes(body[: len(body) // 2]))
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(bytes(body))

            def log_message(self, *args):   # keep the test output clean
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/MUSDB18-7-STEMS.zip"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def point_at(monkeypatch, url: str, checksum: str, cache) -> None:
    """Send mssedu's previews download to ``url`` (checked against ``checksum``), caching in ``cache``."""
    monkeypatch.setenv("MSSEDU_MUSDB_URL", url)
    monkeypatch.setenv("MSSEDU_MUSDB_CHECKSUM", checksum)
    monkeypatch.setenv("MSSEDU_CACHE", str(cache))
    monkeypatch.delenv("MUSDB_PATH", raising=False)
    monkeypatch.delenv("MSSEDU_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
