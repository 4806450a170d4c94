"""MUSDB18 previews: the checked download against a stand-in server on 127.0.0.1 (success,
corrupt archive, cut transfer, no network, the cache), and the training sets drawn from them
(musdb's train/validation split, the test subset held out, the course's example left out).
"""
from __future__ import annotations

import io
import socket
import time
import zipfile

import numpy as np
import pytest

from mssedu.data.musdb import (EXAMPLE_SONG, PREVIEW_CHECKSUM, PREVIEW_URL, download_previews,
                               is_example, musdb_tracks, musdb_training_sets, preview_source,
                               previews_folder)
from mssedu.errors import DataError, NetworkError, ParameterError
from mssedu.network import download_file

from musdb_standin import EXAMPLE, TEST, TRAIN, VALID, PreviewServer, make_archive, point_at, write_root


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """The previews' zip in their real layout, 11 songs of 2 s made here: (bytes, checksum)."""
    return make_archive(tmp_path_factory.mktemp("standin") / "MUSDB18-7-STEMS.zip", seconds=2.0)


def _leftovers(cache):
    """Every file under the cache (parts included), to show that a failure kept nothing."""
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file())


def test_preview_source_defaults_to_musdbs_own_archive(monkeypatch):
    import musdb
    import yaml

    monkeypatch.delenv("MSSEDU_MUSDB_URL", raising=False)
    monkeypatch.delenv("MSSEDU_MUSDB_CHECKSUM", raising=False)
    setup = yaml.safe_load(open(f"{musdb.__path__[0]}/configs/mus.yaml"))
    assert PREVIEW_URL == setup["sample-url"]         # the file musdb's download=True fetches
    assert preview_source() == {"url": PREVIEW_URL, "checksum": PREVIEW_CHECKSUM, "size": 147_209_385}
    monkeypatch.setenv("MSSEDU_MUSDB_URL", "http://127.0.0.1:1/x.zip")   # a mirror of the same file
    assert preview_source()["checksum"] == PREVIEW_CHECKSUM


def test_download_success_then_cache(archive, tmp_path, monkeypatch):
    payload, checksum = archive
    with PreviewServer(payload) as server:
        point_at(monkeypatch, server.url, checksum, tmp_path)
        root = download_previews(progress=False)
        assert root == previews_folder() and server.requests == 1
        assert sorted(p.name for p in (root / "train").iterdir()) == sorted(
            f"{n}.stem.mp4" for n in TRAIN + VALID + [EXAMPLE])
        assert len(list((root / "test").glob("*.stem.mp4"))) == len(TEST)
        assert _leftovers(tmp_path) == sorted(f"musdb/MUSDB18-7/{p.parent.name}/{p.name}"
                                              for p in root.rglob("*.stem.mp4"))   # the zip is gone
        tracks = musdb_tracks(subset="test")             # through musdb, from the cache
        assert server.requests == 1 and tracks.names == sorted(TEST)
        t = tracks[0]
        assert t.mixture.shape[0] == 2 and t.sr == 44100 and list(t.stems) == ["drums", "bass", "other", "vocals"]
        assert t.residual() < -15    # AAC-coded stems still sum to the mixture closely
    monkeypatch.setenv("MSSEDU_OFFLINE", "1")            # second run: no network needed at all
    assert musdb_tracks(subset="train").names == sorted(TRAIN + VALID)


def test_corrupt_archive_is_refused_and_nothing_kept(archive, tmp_path, monkeypatch):
    payload, checksum = archive
    with PreviewServer(payload) as server:
        point_at(monkeypatch, server.url, checksum, tmp_path)
        server.corrupt = True
        with pytest.raises(DataError, match="(?s)arrived corrupt.*nothing was kept.*Run it again"):
            download_previews(progress=False)
        assert _leftovers(tmp_path) == [] and not previews_folder().exists()
        server.corrupt = False
        assert (download_previews(progress=False) / "test").is_dir()


def test_right_checksum_but_not_the_previews_is_refused(tmp_path, monkeypatch):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("../evil.stem.mp4", b"x")            # would write outside the cache
    for payload, match in ((bad.read_bytes(), "outside its folder"), (b"not a zip" * 100, "not a readable zip")):
        with PreviewServer(payload) as server:
            import hashlib

            point_at(monkeypatch, server.url, "sha256:" + hashlib.sha256(payload).hexdigest(), tmp_path / "c")
            with pytest.raises(DataError, match=match):
                download_previews(progress=False)
        assert _leftovers(tmp_path / "c") == [] and not (tmp_path / "evil.stem.mp4").exists()


def test_cut_transfer_is_retried_cleanly(archive, tmp_path, monkeypatch):
    payload, checksum = archive
    with PreviewServer(payload) as server:
        point_at(monkeypatch, server.url, checksum, tmp_path)
        server.cut = 1                                   # the first transfer stops half-way
        root = download_previews(progress=False)
        assert server.requests == 2
        with zipfile.ZipFile(io.BytesIO(payload)) as z:   # every file whole, as in the archive
            for name in z.namelist():
                assert (root / name).read_bytes() == z.read(name), name
    with PreviewServer(payload) as server:              # cut every time: a clear error, nothing kept
        point_at(monkeypatch, server.url, checksum, tmp_path / "again")
        server.cut = 10
        with pytest.raises(NetworkError, match="(?s)cut off 3 times.*nothing was kept.*Run it again"):
            download_previews(progress=False)
        assert server.requests == 3 and _leftovers(tmp_path / "again") == []


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_no_network_fails_fast_with_what_to_do(tmp_path, monkeypatch):
    point_at(monkeypatch, f"http://127.0.0.1:{_closed_port()}/MUSDB18-7-STEMS.zip", "md5:" + "0" * 32, tmp_path)
    for offline in (False, True):
        if offline:
            monkeypatch.setenv("MSSEDU_OFFLINE", "1")
        t0 = time.perf_counter()
        with pytest.raises(NetworkError, match="(?s)MUSDB18 was not found.*zenodo.*No internet.*synthetic"):
            musdb_tracks()
        assert time.perf_counter() - t0 < 5    # the bound: the probe, not a library's retries
    with pytest.raises(DataError, match="download=False"):
        musdb_tracks(download=False)
    assert _leftovers(tmp_path) == []


def test_download_file_refuses_bad_arguments(tmp_path):
    with pytest.raises(ParameterError, match="checksum must be"):
        download_file("http://127.0.0.1:1/x", tmp_path / "x", "crc:1234")
    with pytest.raises(ParameterError, match="not an http"):
        download_file("ftp://127.0.0.1/x", tmp_path / "x", "md5:" + "0" * 32)


def test_http_error_is_reported_without_retries(tmp_path, monkeypatch):
    with PreviewServer(b"") as server:
        url = server.url.replace("MUSDB18-7-STEMS.zip", "")   # the handler answers 200 to any GET...
        server.httpd.RequestHandlerClass.do_GET = lambda self: self.send_error(404)  # ...now 404
        with pytest.raises(NetworkError, match="answered HTTP 404"):
            download_file(url, tmp_path / "x.zip", "md5:" + "0" * 32)
        assert _leftovers(tmp_path) == []


# -- training sets ---------------------------------------------------------------------------

def test_training_sets_follow_musdbs_split_and_hold_out_test_and_example(archive, tmp_path, monkeypatch):
    payload, checksum = archive
    with PreviewServer(payload) as server:
        point_at(monkeypatch, server.url, checksum, tmp_path)
        train, valid = musdb_training_sets("musdb", progress=False)
    assert sorted(t.name for t in train) == sorted(TRAIN)
    assert sorted(t.name for t in valid) == sorted(VALID)          # musdb's official validation list
    assert not any(is_example(t) for t in train + valid)            # the course's test song stays out
    assert not set(t.name for t in train + valid) & set(TEST)       # the test subset is never read
    assert EXAMPLE_SONG in musdb_tracks(subset="train", keep_example=True).names
    assert EXAMPLE_SONG not in musdb_tracks(subset="train").names


def test_training_sets_from_a_wav_root_and_cut_to_length(tmp_path):
    root = write_root(tmp_path / "hq", seconds=2.0, train=TRAIN[:1] + VALID[:1], test=TEST[:1], wav=True)
    train, valid = musdb_training_sets(root, max_seconds=1.0, progress=False)
    assert [t.name for t in train] == TRAIN[:1] and [t.name for t in valid] == VALID[:1]
    whole = musdb_tracks(root, subset="train", split="train")[0]
    assert train[0].mixture.shape[-1] == 44100                      # 1 s around the middle
    start = int(round((whole.duration - 1.0) / 2 * 44100))
    np.testing.assert_array_equal(train[0].stems["vocals"], whole.stems["vocals"][:, start:start + 44100])
    assert start > 0
    with pytest.raises(ParameterError, match="max_seconds must be > 0"):
        musdb_training_sets(root, max_seconds=0)
    (root / "train" / VALID[0]).rename(root / "train" / "Other - Song")   # no validation song left
    with pytest.raises(DataError, match="no songs in musdb's 'valid' split"):
        musdb_training_sets(root, progress=False)


def test_example_song_is_left_out_of_every_listing(tmp_path):
    root = write_root(tmp_path / "hq", seconds=1.0, train=[EXAMPLE, VALID[0]], test=TEST[:1], wav=True)
    assert musdb_tracks(root, subset="train").names == [VALID[0]]   # left out of every listing
    with pytest.raises(DataError, match="no 'train' songs"):       # nothing left to train on
        musdb_training_sets(root, progress=False)
    assert is_example(EXAMPLE) and not is_example(TRAIN[0])
