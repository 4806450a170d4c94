"""Widgets of chapter 7: segment overlap, a stem mixer (karaoke), and separating your own song."""
from __future__ import annotations

import html
import tempfile
from pathlib import Path

import ipywidgets as w
import numpy as np
from IPython.display import FileLink, Image, display

from .. import audio
from ..checks import check_upload, safe_component
from ..config import fast_mode
from ..errors import MsseduError, ParameterError
from ..plot.core import LiveFigure
from ..plot.pretrained import chunking_figure, update_chunking_figure
from ..separation import separate
from .core import STEM_LABEL, WIDE_LABEL, audio_slot, figure_output, players_row, set_audio, show_figure

__all__ = ["chunking_explorer", "karaoke_mixer", "song_separator", "AUDIO_SUFFIXES"]

#: File types the upload widget accepts.
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".m4a", ".aiff", ".aif")


def chunking_explorer(seconds: float = 20.0, segment: float = 7.8):
    """Sliders for the segment overlap and the transition sharpness of
    ``demucs.apply.apply_model``: see how segments are weighted and why the shares always
    sum to one (no seams, no clicks).

    Parameters
    ----------
    seconds : float
        Length of the song drawn, in seconds.
    segment : float
        Segment length in seconds selected first (the slider spans 2 to 10 s).

    Returns
    -------
    ipywidgets.VBox
        The sliders, a readout and the figure of :func:`mssedu.plot.pretrained.chunking_figure`.
    """


    overlap = w.FloatSlider(value=0.25, min=0.0, max=0.75, step=0.05, description="overlap",
                            readout_format=".2f", continuous_update=False)
    seg = w.FloatSlider(value=segment, min=2.0, max=10.0, step=0.2, description="segment (s)",
                        style=WIDE_LABEL, continuous_update=False)
    info = w.HTML()
    out = figure_output()
    # drawn once with the most segments the sliders reach; a move redraws the curves in place
    fig = chunking_figure(seconds, seg.min, overlap.max)
    live = LiveFigure(fig, update_chunking_figure(fig, seconds, seg.value, overlap.value))

    def update(*_):
        update_chunking_figure(fig, seconds, seg.value, overlap.value)
        show_figure(out, Image(data=live.jpeg(), format="jpeg"))
        stride = int((1 - overlap.value) * seg.value * 100) / 100
        n = int(np.ceil(seconds / max(stride, 1e-9)))
        info.value = (f"hop between segments: {stride:.2f} s &rarr; about {n} model calls for "
                      f"{seconds:g} s of audio; every second is computed about "
                      f"{seg.value / max(stride, 1e-9):.2f} times.")

    overlap.observe(update, "value")
    seg.observe(update, "value")
    update()
    return w.VBox([w.HBox([overlap, seg]), info, out])


def karaoke_mixer(stems: dict, sr: int, mixture=None):
    """One gain slider per stem; the player plays :math:`\\sum_k g_k \\hat s_k`.

    Set vocals to 0 for karaoke, or solo one stem. With ``mixture`` given, the residual
    :math:`\\|x - \\sum_k \\hat s_k\\| / \\|x\\|` (all gains 1) says how well the stems add up.

    Parameters
    ----------
    stems : dict
        ``{stem name: estimate}``, each ``(channels, samples)``.
    sr : int
        Sample rate in Hz.
    mixture : numpy.ndarray or None
        The mixture ``(channels, samples)``; when given, the residual is shown.

    Returns
    -------
    ipywidgets.VBox
        The sliders, the readout and the player; ``box.sliders`` maps each stem to its
        slider.
    """


    names = list(stems)
    sliders = [w.FloatSlider(value=1.0, min=0.0, max=1.5, step=0.05, description=n,
                             style=STEM_LABEL, continuous_update=False) for n in names]
    out = audio_slot()
    info = w.HTML()
    if mixture is not None:
        total = np.sum([np.asarray(stems[n], np.float64) for n in names], axis=0)
        x = np.asarray(mixture, np.float64)
        res = np.linalg.norm(x - total) / max(np.linalg.norm(x), 1e-12)
        info.value = (f"With every gain at 1 the stems add up to the mixture up to "
                      f"{20 * np.log10(max(res, 1e-12)):.1f} dB (relative error).")

    def update(*_):
        mix = sum(s.value * np.asarray(stems[n], np.float32) for s, n in zip(sliders, names))
        label = ", ".join(f"{n} x{s.value:.2f}" for s, n in zip(sliders, names))
        set_audio(out, mix, sr, label)

    for s in sliders:
        s.observe(update, "value")
    update()
    box = w.VBox([w.HBox(sliders[:2]), w.HBox(sliders[2:]), info, out])
    box.sliders = dict(zip(names, sliders))
    return box


def _check_upload(name: str, size: int, max_mb: float):

    suffix = Path(name).suffix.lower()
    if suffix not in AUDIO_SUFFIXES:
        raise ParameterError(f"{name!r} is not an audio file this course reads; upload one of "
                          f"{', '.join(AUDIO_SUFFIXES)}.")
    if size > max_mb * 1024 * 1024:
        raise ParameterError(f"{name!r} is {size / 2**20:.1f} MiB; the limit here is {max_mb:g} MiB. "
                          "Cut or compress it (an mp3 of a whole song is usually < 10 MiB).")
    if size == 0:
        raise ParameterError(f"{name!r} is empty.")


def _decode_upload(name: str, data: bytes, max_seconds, max_minutes: float):
    """An uploaded file's audio ``(channels, samples), sr``, its length checked from the
    header before decoding; errors name the user's file, not the temporary copy."""
    suffix = Path(name).suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(bytes(data))
        try:
            minutes = audio.info(path)["seconds"] / 60
            if minutes > max_minutes and not max_seconds:
                raise ParameterError(f"{name!r} is {minutes:.1f} minutes long; this upload takes "
                                     f"songs up to {max_minutes:g} minutes (song_separator("
                                     "..., max_minutes=...) changes it; `mssedu separate` on the "
                                     "command line takes songs of any length).")
            return audio.load(path, duration=max_seconds)
        except MsseduError as err:   # name the user's file, not our temporary copy
            raise type(err)(str(err).replace(str(path), repr(name)).replace(path.name, name)) from None


def song_separator(separator, out_dir="my_stems", max_mb: float = 50.0, max_seconds: float | None = None,
                   two_stems: str | None = None, max_minutes: float = 10.0, on_done=None, file_links: bool = True):
    """Upload your own song, separate it with ``separator``, listen and download the stems.

    The upload (a ``FileUpload``) is checked for type (:data:`AUDIO_SUFFIXES`) and size
    (``max_mb``); only the first ``max_seconds`` are separated if given (fast mode: 10 s).
    Stems are written to ``out_dir/<song>/`` (existing files are kept: a new name is
    chosen) and offered as download links (JupyterLab's ``FileLink``). The written paths are
    ``box.last_paths`` and go to ``on_done``, so a page served otherwise (the workshop app,
    :mod:`mssedu.app`) can offer them its own way. ``box.process_file(name, bytes)`` separates
    without the browser (used by the tests).

    Parameters
    ----------
    separator : Separator
        Any separator of :mod:`mssedu.separation` (e.g. from
        :func:`mssedu.separation.load_separator`).
    out_dir : str or pathlib.Path
        Folder the stems are written to (one sub-folder per song).
    max_mb : float
        Largest upload accepted, in MiB.
    max_seconds : float or None
        Separate only the first ``max_seconds`` of the song; None: all of it (10 s in fast
        mode).
    two_stems : str or None
        Separate into this stem and the rest (e.g. ``"vocals"``); None: every stem.
    max_minutes : float
        Longest song accepted, judged from the file's header *before* decoding (a small
        compressed file can hold hours of audio and fill the memory when decoded).
    on_done : callable or None
        Called as ``on_done(stems, sr, paths)`` after each song is separated and written
        (an error it raises is shown in the status line).
    file_links : bool
        Show a ``FileLink`` per written stem under the players (they work in JupyterLab,
        not in Voila, whose pages serve files by another route).

    Returns
    -------
    ipywidgets.VBox
        The upload button, a status line and the output area; ``box.last_paths`` lists the
        files written for the last song (empty before); ``box.process_file(name, data)``
        returns ``(stems, sr, paths)`` with each stem ``(channels, samples)``.
    """



    if max_seconds is None and fast_mode():
        max_seconds = 10.0
    upload = w.FileUpload(accept=",".join(AUDIO_SUFFIXES), multiple=False,
                          description="Upload a song")
    status = w.HTML(f"<i>Choose an audio file ({', '.join(AUDIO_SUFFIXES)}, at most {max_mb:g} MiB). "
                    f"It will be separated with <b>{separator.name}</b>"
                    + (f" (first {max_seconds:g} s only)" if max_seconds else "") + ".</i>")
    out = w.Output()

    def process_file(name: str, data: bytes):
        data, name = check_upload(data, name)      # bytes, a plain name: else a message
        _check_upload(name, len(data), max_mb)
        signal, sr = _decode_upload(name, data, max_seconds, max_minutes)
        stems = separate(separator, signal, sr, two_stems=two_stems, progress=True)
        folder = Path(out_dir) / safe_component(Path(name).stem)   # never '.', '..' or a path
        k = 1
        while folder.exists() and any(folder.iterdir()):
            folder = Path(out_dir) / f"{safe_component(Path(name).stem)}_{k}"
            k += 1
        paths = [audio.save(folder / f"{stem}.wav", sig, sr) for stem, sig in stems.items()]
        return stems, sr, paths

    def on_upload(change):
        files = change["new"]
        if not files:
            return
        item = files[0]
        out.clear_output()
        status.value = f"Separating <b>{item['name']}</b> ..."
        with out:
            try:
                stems, sr, paths = process_file(item["name"], item["content"])
            except MsseduError as err:
                status.value = f"<b style='color:#b3261e'>Cannot use this file:</b> {html.escape(str(err))}"
                return
            except Exception as err:  # never leave the status at "Separating ..."
                status.value = (f"<b style='color:#b3261e'>Separating failed:</b> "
                                f"{html.escape(type(err).__name__)}: {html.escape(str(err)[:300])}")
                return
            finally:
                upload.value = ()   # ready for the next file
            box.last_paths = list(paths)
            status.value = f"Done: {len(stems)} stems of <b>{html.escape(item['name'])}</b>."
            display(w.HTML(f"<div class='mssedu-result-title'>{html.escape(Path(item['name']).stem)} "
                           f"— separated by {html.escape(separator.name)}</div>"))   # named rows
            display(players_row(stems, sr))
            if file_links:
                for p in paths:
                    display(FileLink(str(p), result_html_prefix="download: "))
            if on_done is not None:
                try:
                    on_done(stems, sr, list(paths))
                except Exception as err:   # shown, never silent
                    status.value += (f" <b style='color:#b3261e'>But offering the stems failed:</b> "
                                     f"{html.escape(type(err).__name__)}: {html.escape(str(err)[:300])}")

    upload.observe(on_upload, "value")
    box = w.VBox([upload, status, out])
    box.process_file = process_file
    box.last_paths = []
    return box
