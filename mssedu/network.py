"""Downloads, checked: one quick probe before each (:func:`reachable`), so that an offline
machine gets a clear error at once instead of after a library's retries, and one way to fetch
a file (:func:`download_file`): streamed into a hidden part file beside the target, its size
and checksum verified, then renamed into place, so a cut or corrupt transfer leaves nothing.

Examples
--------
>>> from mssedu.network import reachable, host_port
>>> reachable("localhost", port=9, timeout=0.2)   # nothing listens on the discard port
False
>>> host_port("http://127.0.0.1:8000/MUSDB18-7-STEMS.zip")
('127.0.0.1', 8000)
"""
from __future__ import annotations

import hashlib
import http.client
import os
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

from .atomic import clean_stale_parts, part_path, usual_mode
from .errors import DataError, NetworkError, ParameterError

__all__ = ["reachable", "offline_requested", "PROBE_SECONDS", "READ_SECONDS", "host_port",
           "file_digest", "download_file"]

#: How long a probe may take before the host counts as unreachable.
PROBE_SECONDS = 2.0
#: How long a download may wait for the next bytes before it counts as cut.
READ_SECONDS = 30.0


def offline_requested() -> bool:
    """Whether the user asked for no network at all.

    Returns
    -------
    bool
        True when ``MSSEDU_OFFLINE`` or ``HF_HUB_OFFLINE`` is 1/true/yes/on.
    """
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
               for v in ("MSSEDU_OFFLINE", "HF_HUB_OFFLINE"))


def reachable(host: str, port: int = 443, timeout: float = PROBE_SECONDS) -> bool:
    """Can a TCP connection to ``host:port`` be opened within ``timeout`` seconds?

    The probe runs in a thread, so even a hanging name lookup cannot hold the caller longer.

    Parameters
    ----------
    host : str
        Host name or address.
    port : int
        TCP port (443: HTTPS).
    timeout : float
        Seconds to wait.

    Returns
    -------
    bool
        False also when :func:`offline_requested`.
    """
    if offline_requested():
        return False
    result = []

    def probe():
        try:
            socket.create_connection((host, int(port)), timeout=timeout).close()
            result.append(True)
        except Exception:  # no route, no name, refused, timed out...
            result.append(False)

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout + 0.2)
    return bool(result and result[0])


def host_port(url: str) -> tuple:
    """The host and TCP port a URL connects to.

    Parameters
    ----------
    url : str
        An ``http://`` or ``https://`` URL.

    Returns
    -------
    tuple
        ``(host, port)``; the port defaults to 80 (http) or 443 (https).

    Raises
    ------
    ParameterError
        Not an http(s) URL with a host.
    """
    parts = urllib.parse.urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ParameterError(f"{url!r} is not an http:// or https:// address with a host.")
    return parts.hostname, parts.port or (80 if parts.scheme == "http" else 443)


def file_digest(path, algorithm: str = "sha256") -> str:
    """The hex digest of a file, read in 1 MiB blocks.

    Parameters
    ----------
    path : str or Path
        The file.
    algorithm : str
        A :mod:`hashlib` name (``"sha256"``, ``"md5"``...).

    Returns
    -------
    str
        Lower-case hex digest.
    """
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _parse_checksum(checksum: str) -> tuple:
    """``"sha256:<hex>"`` or ``"md5:<hex>"`` -> ``(algorithm, hex)``, checked."""
    algorithm, _, expected = str(checksum).partition(":")
    algorithm, expected = algorithm.strip().lower(), expected.strip().lower()
    sizes = {"sha256": 64, "md5": 32}
    # a SHA-256 prefix of >= 8 digits is what torch hub file names carry (NAME-<8 hex>.pth)
    shortest = 8 if algorithm == "sha256" else sizes.get(algorithm, 0)
    if algorithm not in sizes or not shortest <= len(expected) <= sizes[algorithm] or \
            any(c not in "0123456789abcdef" for c in expected):
        raise ParameterError(f"checksum must be 'sha256:<64 hex digits>' (or its first 8+ digits, "
                             f"as published in torch hub file names) or 'md5:<32 hex digits>', "
                             f"got {checksum!r}.")
    return algorithm, expected


def _stream(url: str, part: Path, algorithm: str, progress: bool) -> tuple:
    """One try: stream ``url`` into ``part``; return ``(bytes, hex digest)``. A transfer that
    ends before its announced length raises :class:`http.client.IncompleteRead`."""
    digest, done = hashlib.new(algorithm), 0
    request = urllib.request.Request(url, headers={"User-Agent": "mssedu"})
    with urllib.request.urlopen(request, timeout=READ_SECONDS) as answer, open(part, "wb") as out:
        length = answer.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, disable=not progress,
                  desc=Path(part).name.split(".")[1]) as bar:
            for block in iter(lambda: answer.read(1 << 16), b""):
                out.write(block)
                digest.update(block)
                done += len(block)
                bar.update(len(block))
        if total is not None and done != total:   # the server closed early
            raise http.client.IncompleteRead(b"", total - done)
    return done, digest.hexdigest()


def download_file(url: str, target, checksum: str, size: int | None = None, attempts: int = 3,
                  progress: bool = True, advice: str = "") -> Path:
    """Download ``url`` to ``target``, checked: whole and verified, or nothing at all.

    The host is probed first (:func:`reachable`, at most :data:`PROBE_SECONDS`), so an offline
    machine fails at once. The bytes stream into the hidden part file
    :func:`mssedu.atomic.part_path` beside ``target`` while their digest is computed; a
    transfer cut short (fewer bytes than announced, a reset, no bytes for
    :data:`READ_SECONDS`) is started again from scratch, up to ``attempts`` times. Only a file
    of the right ``size`` and ``checksum`` is renamed to ``target``; anything else is deleted.

    Parameters
    ----------
    url : str
        ``http://`` or ``https://`` address.
    target : str or Path
        Where the file goes (its folder must exist). An existing file is replaced only by a
        verified download.
    checksum : str
        ``"sha256:<hex>"`` or ``"md5:<hex>"``: what the file's digest must be (a SHA-256 may
        be given by its first 8 or more digits: the digest must start with them).
    size : int or None
        Its size in bytes, when known (checked too).
    attempts : int
        Tries before a cut transfer counts as failed.
    progress : bool
        Show a ``tqdm`` bar.
    advice : str
        What the user can do instead, ending the messages of the errors.

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    ParameterError
        A bad ``url``, ``checksum`` or ``attempts``.
    NetworkError
        The host cannot be reached, answers an error, or every try was cut short.
    DataError
        The file arrived whole but its size or checksum is wrong (it is deleted).
    """
    algorithm, expected = _parse_checksum(checksum)
    host, port = host_port(url)
    if int(attempts) < 1:
        raise ParameterError(f"attempts must be >= 1, got {attempts!r}.")
    target = Path(target)
    if not reachable(host, port):
        why = "MSSEDU_OFFLINE/HF_HUB_OFFLINE asks for no network" if offline_requested() else \
            f"{host}:{port} cannot be reached (no internet?)"
        raise NetworkError(f"Cannot download {url}: {why}. {advice}".rstrip())
    clean_stale_parts(target)
    part, failures = part_path(target), []
    try:
        for _ in range(int(attempts)):
            try:
                done, actual = _stream(url, part, algorithm, progress)
                break
            except urllib.error.HTTPError as err:   # an answer, not a cut: trying again won't help
                raise NetworkError(f"{url} answered HTTP {err.code} ({err.reason}). {advice}".rstrip()) from err
            except (OSError, http.client.HTTPException) as err:   # reset, timeout, cut short
                failures.append(f"{type(err).__name__}: {err}")
        else:
            raise NetworkError(f"Downloading {url} was cut off {len(failures)} times "
                               f"({failures[-1]}); nothing was kept. Run it again. {advice}".rstrip())
        if (size is not None and done != int(size)) or not actual.startswith(expected):
            raise DataError(f"{url} arrived corrupt: {done} bytes with {algorithm} {actual[:16]}..., "
                            f"expected {size if size is not None else 'any number of'} bytes with "
                            f"{expected[:16]}...; it was deleted, nothing was kept. Run it again; if it "
                            f"fails the same way, the server holds a different file. {advice}".rstrip())
        os.chmod(part, usual_mode())
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return target
