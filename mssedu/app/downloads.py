"""Separated stems offered for download, as Voila serves them, one titled row per song.

Voila serves the files under the page's folder at ``voila/files/<path>`` (those that its
``file_allowlist`` admits, see :mod:`mssedu.app.server`). Each song's row carries its name,
and each file downloads as ``<song> - <stem>.wav``, so that a room's Downloads folders do
not fill with ``vocals.wav``, ``vocals (1).wav``, ...
"""
from __future__ import annotations

import html
import urllib.parse
from pathlib import Path

from ..checks import check_inside

__all__ = ["FILES_URL", "download_links", "result_html"]

#: Voila serves files under the page's folder at this relative URL.
FILES_URL = "voila/files/"


def download_links(paths, root=".", url=FILES_URL, song: str | None = None) -> str:
    """Download links for written stems, as Voila serves them (``voila/files/<path>``).

    Parameters
    ----------
    paths : iterable of str or pathlib.Path
        Files under ``root``.
    root : str or pathlib.Path
        The folder Voila serves (the app's working folder).
    url : str
        The URL prefix of that folder, relative to the page.
    song : str or None
        The song's name: each file then downloads as ``<song> - <file name>`` and its
        button shows the stem only.

    Returns
    -------
    str
        HTML: one ``<a download>`` per file (CSS class ``mssedu-download``).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> print(download_links([root / "my song" / "vocals.wav"], root, song="my song"))
    <div>download: <a class='mssedu-download' href='voila/files/my%20song/vocals.wav' download='my song - vocals.wav'>&#11015; vocals</a></div>
    """
    root = Path(root).resolve()
    links = []
    for p in paths:
        rel = check_inside(p, root, "path").relative_to(root).as_posix()   # else a DataError
        p = Path(p)
        name, shown = (f"{song} - {p.name}", p.stem) if song else (p.name, p.name)
        links.append(f"<a class='mssedu-download' href='{html.escape(url + urllib.parse.quote(rel))}' "
                     f"download='{html.escape(name)}'>&#11015; {html.escape(shown)}</a>")
    return "<div>download: " + " &nbsp; ".join(links) + "</div>"


def result_html(song: str, separator: str, paths, root=".") -> str:
    """One song's result row: its name and separator as a title, then its download links.

    Parameters
    ----------
    song : str
        The song's name (plain text).
    separator : str
        Who separated it (plain text).
    paths : iterable of str or pathlib.Path
        The written stems, under ``root``.
    root : str or pathlib.Path
        The folder Voila serves.

    Returns
    -------
    str
        HTML (CSS classes ``mssedu-result`` and ``mssedu-result-title``).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> "my song — separated by mini U-Net" in result_html("my song", "mini U-Net", [], root)
    True
    """
    title = f"{html.escape(song)} — separated by {html.escape(separator)}"
    return (f"<div class='mssedu-result'><div class='mssedu-result-title'>{title}</div>"
            f"{download_links(paths, root, song=song)}</div>")
