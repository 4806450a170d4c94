"""The no-code workshop app: the mask explorer and "separate your song" in a browser page.

``mssedu app`` copies the app notebook (``mssedu/app/workshop.ipynb``, one code cell that
calls :func:`workshop`) into a working folder and serves it with Voila on a local port:
the page shows the widgets only, no code. Everything on the page is built from the
course's own widgets (:func:`mssedu.widgets.mask_explorer`,
:func:`mssedu.widgets.song_separator`, :func:`mssedu.widgets.players_row`); this module
only arranges them, chooses the separators this machine has, and turns the written stems
into download links Voila can serve (its static file route, ``voila/files/``).

Separators offered (:func:`available_separators`): the oracle ratio mask (it needs the
true stems, so the example song only), the mini U-Net that ships with mssedu, and
HT-Demucs when its weights are on this machine (``mssedu download htdemucs``).
"""
from __future__ import annotations

import html
import shutil
import urllib.parse
import sys
import tempfile
from pathlib import Path

import ipywidgets as w
import matplotlib

from ..config import fast_mode
from ..data import Track, example_track, load_multitrack
from ..errors import MsseduError, ParameterError
from ..separation import OracleSeparator, find_weights, load_separator, separate
from ..models import shipped_checkpoint
from ..widgets import mask_explorer, players_row, song_separator
from ..widgets.pretrained import AUDIO_SUFFIXES
from .. import audio

__all__ = ["APP_NOTEBOOK", "ORACLE", "UNET", "HTDEMUCS", "available_separators",
           "download_links", "error_html", "track_from_upload", "workshop", "prepare_app",
           "voila_command"]

#: The app notebook that Voila serves (package data).
APP_NOTEBOOK = Path(__file__).resolve().parent / "workshop.ipynb"
ORACLE = "oracle ratio mask (true stems: example song only)"
UNET = "mini U-Net (ships with mssedu, CPU)"
HTDEMUCS = "HT-Demucs (pretrained)"
#: Voila serves files under the page's folder at this relative URL (see ``voila_command``).
FILES_URL = "voila/files/"
#: Large, readable figures on a projector.
BIG_FIGURES = {"font.size": 15, "axes.titlesize": 17, "axes.labelsize": 15, "figure.dpi": 110}
#: The page's look: big controls, download links drawn as buttons.
STYLE = """<style>
.mssedu-app { font-size: 17px; }
.mssedu-app .widget-label, .mssedu-app .widget-readout, .mssedu-app button,
.mssedu-app select, .mssedu-app .widget-toggle-button { font-size: 16px; }
.mssedu-app h2 { margin: 18px 0 6px 0; }
.mssedu-app .widget-upload, .mssedu-app .widget-toggle-button, .mssedu-app .widget-button { width: auto; min-width: 150px; }
.mssedu-app .mssedu-app-separator .widget-upload { width: 260px; }
.mssedu-app a.mssedu-download { display: inline-block; margin: 4px 8px 4px 0; padding: 6px 14px;
  border-radius: 4px; background: #1976d2; color: white; text-decoration: none; font-size: 16px; }
.mssedu-app a.mssedu-download:hover { background: #1565c0; }
</style>"""


def error_html(err: BaseException, what: str) -> str:
    """The page's way of saying something failed: a red line with the reason.

    Parameters
    ----------
    err : BaseException
        What went wrong (mssedu's own messages say what to do; others show their type).
    what : str
        What was being done, e.g. ``"Cannot read this file"``.

    Returns
    -------
    str
        HTML (CSS class ``mssedu-app-error``).
    """
    reason = str(err) if isinstance(err, MsseduError) else f"{type(err).__name__}: {err}"
    return (f"<div class='mssedu-app-error' style='color:#b3261e'><b>{html.escape(what)}:</b> "
            f"{html.escape(reason[:600])}</div>")


def available_separators() -> dict:
    """The separators this machine can run, in the app's order (nothing is loaded yet).

    Returns
    -------
    dict
        Label -> a function ``(track) -> Separator``: :data:`ORACLE` (needs the example
        track's true stems), :data:`UNET`, and :data:`HTDEMUCS` only when
        :func:`mssedu.separation.find_weights` finds its weights offline.
    """
    found = {ORACLE: lambda track: OracleSeparator(track, "irm"),
             UNET: lambda track: load_separator(shipped_checkpoint())}
    if find_weights("htdemucs") is not None:
        found[HTDEMUCS] = lambda track: load_separator("htdemucs")
    return found


def download_links(paths, root=".", url=FILES_URL) -> str:
    """Download links for written stems, as Voila serves them (``voila/files/<path>``).

    Parameters
    ----------
    paths : iterable of str or pathlib.Path
        Files under ``root``.
    root : str or pathlib.Path
        The folder Voila serves (the app's working folder).
    url : str
        The URL prefix of that folder, relative to the page.

    Returns
    -------
    str
        HTML: one ``<a download>`` per file (CSS class ``mssedu-download``).
    """
    root = Path(root).resolve()
    links = []
    for p in paths:
        rel = Path(p).resolve().relative_to(root).as_posix()
        links.append(f"<a class='mssedu-download' href='{html.escape(url + urllib.parse.quote(rel))}' "
                     f"download='{html.escape(Path(p).name)}'>&#11015; {html.escape(Path(p).name)}</a>")
    return "<div>download: " + " &nbsp; ".join(links) + "</div>"


def track_from_upload(name: str, data: bytes, seconds: float | None = None, separator=None) -> Track:
    """A :class:`~mssedu.data.Track` for the mask explorer from an uploaded file.

    A multitrack (``.stem.mp4``, as in MUSDB18) brings its true stems. Any other song is
    split by ``separator`` first, and its *estimated* stems stand in for the true ones (the
    track's name says so): the masks and SDRs are then relative to those estimates.

    Parameters
    ----------
    name : str
        The uploaded file's name (its suffix decides how it is read).
    data : bytes
        Its content.
    seconds : float or None
        Keep only the first ``seconds``.
    separator : Separator or None
        Splits a plain song (needed unless the file is a ``.stem.mp4``).

    Returns
    -------
    Track
        Mixture and stems, ``(channels, samples)`` each.

    Raises
    ------
    ParameterError
        Not an audio file, or a plain song with no separator.
    DataError, AudioError
        The file cannot be decoded.
    """
    lower = name.lower()
    if not (lower.endswith(".stem.mp4") or Path(lower).suffix in AUDIO_SUFFIXES):
        raise ParameterError(f"{name!r} is not an audio file the app reads; upload a .stem.mp4 "
                             f"multitrack or one of {', '.join(AUDIO_SUFFIXES)}.")
    suffix = ".stem.mp4" if lower.endswith(".stem.mp4") else Path(lower).suffix
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(bytes(data))
        if suffix == ".stem.mp4":
            track = load_multitrack(path, name=Path(name).name[: -len(".stem.mp4")])
            return track.excerpt(0, min(seconds, track.duration)) if seconds else track
        if separator is None:
            raise ParameterError(f"{name!r} has no stems of its own: give a separator to estimate them.")
        mixture, sr = audio.load(path, duration=seconds)
    if mixture.shape[0] == 1:
        mixture = audio.to_stereo(mixture)
    stems = separate(separator, mixture, sr, progress=False)
    return Track(name=f"{Path(name).stem} (stems estimated by {separator.name})", sr=sr,
                 mixture=mixture, stems=stems)


def _section(title: str, intro: str, *children):
    return w.VBox([w.HTML(f"<h2>{html.escape(title)}</h2><p>{intro}</p>"), *children])


def _masks_part(track, seconds, upload_seconds, separators):
    holder = w.VBox([mask_explorer(track, duration=seconds)])
    upload = w.FileUpload(accept=".stem.mp4," + ",".join(AUDIO_SUFFIXES), multiple=False,
                          description="Upload a song")
    status = w.HTML("<i>Or explore the masks of your own song: a .stem.mp4 multitrack brings its "
                    "true stems; for any other song the best separator here estimates them first.</i>")

    def on_upload(change):
        if not change["new"]:
            return
        item = change["new"][0]
        status.value = f"Reading <b>{html.escape(item['name'])}</b> ..."
        try:
            label = HTDEMUCS if HTDEMUCS in separators else UNET
            sep = None if item["name"].lower().endswith(".stem.mp4") else separators[label](track)
            new = track_from_upload(item["name"], item["content"], seconds=upload_seconds,
                                    separator=sep)
            holder.children = [mask_explorer(new)]
            status.value = f"Now exploring <b>{html.escape(new.name)}</b>."
        except Exception as err:  # shown in the page, never a silent failure
            status.value = error_html(err, "Cannot use this file")
        finally:
            upload.value = ()

    upload.observe(on_upload, "value")
    return _section("1 · The mask explorer",
                    "Pick a stem and a mask; move the sliders; listen; read the SDR.",
                    w.HBox([upload, status]), holder)


def _separate_part(track, seconds, separators, out_dir, root):
    choice = w.Dropdown(options=list(separators), value=UNET, description="separator",
                        style={"description_width": "initial"}, layout=w.Layout(width="520px"))
    example_btn = w.Button(description="Separate the example song", button_style="primary",
                           layout=w.Layout(width="260px"))
    example_out = w.VBox()
    upload_holder = w.VBox()
    loaded = {}

    def get(label):
        if label not in loaded:
            loaded[label] = separators[label](track)
        return loaded[label]

    def show_uploader(*_):
        label = choice.value
        if label == ORACLE:
            upload_holder.children = [w.HTML("<i>The oracle needs the true stems, which only the "
                                             "example song has: choose another separator to "
                                             "upload a song.</i>")]
            return
        links = w.HTML()

        def offer(stems, sr, paths):   # the stems are written: offer them through Voila
            links.value = download_links(paths, root)

        try:
            box = song_separator(get(label), out_dir=out_dir, max_seconds=seconds, on_done=offer,
                                 file_links=False)
        except Exception as err:
            upload_holder.children = [w.HTML(error_html(err, f"Cannot load {label}"))]
            return
        box.add_class("mssedu-app-separator")
        upload_holder.children = [box, links]

    def on_example(_):
        example_out.children = [w.HTML(f"Separating the example song with {html.escape(choice.value)} ...")]
        try:
            stems = separate(get(choice.value), track.mixture, track.sr, progress=False)
            folder = Path(out_dir) / f"example - {choice.value.split(' (')[0]}"
            paths = [audio.save(folder / f"{k}.wav", v, track.sr, overwrite=True) for k, v in stems.items()]
            example_out.children = [players_row({"mixture": track.mixture, **stems}, track.sr),
                                    w.HTML(download_links(paths, root))]
        except Exception as err:
            example_out.children = [w.HTML(error_html(err, "Separating failed"))]

    choice.observe(show_uploader, "value")
    example_btn.on_click(on_example)
    show_uploader()
    return _section("2 · Separate your song",
                    "Choose a separator; separate the example song, or upload your own. "
                    "Each stem plays below and can be downloaded.",
                    choice, w.HBox([example_btn]), example_out, upload_holder)


def workshop(seconds: float | None = None, out_dir="my_stems"):
    """The whole workshop page: the mask explorer, then "separate your song".

    Parameters
    ----------
    seconds : float or None
        Use the first ``seconds`` of each song (default: the whole example excerpt and 60 s
        of an upload; 3 s and 10 s in fast mode).
    out_dir : str or pathlib.Path
        Where separated stems are written (below the current folder, which Voila serves).

    Returns
    -------
    ipywidgets.VBox
        The page (CSS class ``mssedu-app``); a part that cannot be built shows why instead.
    """
    if seconds is not None and not seconds > 0:
        raise ParameterError(f"seconds must be positive or None, got {seconds!r}.")
    matplotlib.rcParams.update(BIG_FIGURES)
    parts = [w.HTML(STYLE + "<h1>Music source separation — workshop</h1>")]
    try:
        track = example_track()
        separators = available_separators()
    except Exception as err:
        parts.append(w.HTML(error_html(err, "The example song cannot be loaded")))
        return w.VBox(parts).add_class("mssedu-app")
    explore_s = seconds or (3.0 if fast_mode() else None)
    upload_s = seconds or (10.0 if fast_mode() else 60.0)
    for build in (lambda: _masks_part(track, explore_s, upload_s, separators),
                  lambda: _separate_part(track, upload_s, separators, out_dir, Path.cwd())):
        try:
            parts.append(build())
        except Exception as err:
            parts.append(w.HTML(error_html(err, "This part cannot be shown")))
    notes = "" if HTDEMUCS in separators else (
        "<p><small>HT-Demucs is not offered: its weights are not on this machine "
        "(<code>mssedu download htdemucs</code> on a machine with internet).</small></p>")
    parts.append(w.HTML(notes))
    return w.VBox(parts).add_class("mssedu-app")


def prepare_app(folder) -> Path:
    """Put the app notebook into ``folder`` (created if needed); returns its path.

    Parameters
    ----------
    folder : str or pathlib.Path
        The app's working folder (stems are written below it).

    Returns
    -------
    pathlib.Path
        ``folder/workshop.ipynb`` (always the shipped version: it is the app, not a
        student's notebook).
    """
    folder = Path(folder).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / APP_NOTEBOOK.name
    shutil.copyfile(APP_NOTEBOOK, target)
    return target


def voila_command(notebook, port: int = 8866, no_browser: bool = False, extra=(), python=None) -> list:
    """The Voila command line that serves the app notebook on ``127.0.0.1:port``.

    Sources are stripped (no code on the page), tracebacks are shown in the page, and the
    ``.wav`` files under the notebook's folder are served for download.

    Parameters
    ----------
    notebook : str or pathlib.Path
        The app notebook (from :func:`prepare_app`).
    port : int
        Local port.
    no_browser : bool
        Do not open a web browser.
    extra : sequence of str
        More Voila arguments (last, so they win; e.g. ``--Voila.ip=0.0.0.0`` to let others
        in the room connect).
    python : str or None
        The interpreter (default: this one).

    Returns
    -------
    list of str
        The command.

    Raises
    ------
    ParameterError
        ``port`` is not in 1..65535.
    """
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ParameterError(f"port must be a whole number in 1..65535, got {port!r}.")
    cmd = [python or sys.executable, "-m", "voila", str(notebook), f"--port={port}",
           "--Voila.ip=127.0.0.1", "--strip_sources=True", "--theme=light",
           "--VoilaConfiguration.show_tracebacks=True",
           r"--VoilaConfiguration.file_allowlist=.*\.(png|jpg|gif|svg|wav)"]
    if no_browser:
        cmd.append("--no-browser")
    return cmd + [str(a) for a in extra]
