"""Part 2 of the workshop page: separate the example song or your own, listen, download.

Every result is a row titled with the song's name and its separator (the example song, then
each uploaded one), with the stems' players and download links.
"""
from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as w

from .. import audio
from ..separation import separate
from ..widgets import players_row, song_separator
from .downloads import download_links, result_html
from .separators import ORACLE, UNET, short_name
from .style import error_html, section

__all__ = ["EXAMPLE_SONG", "separate_section"]

#: The example song's name in result rows and file names.
EXAMPLE_SONG = "example song"
ORACLE_ONLY = ("<i>The oracle needs the true stems, which only the example song has: choose "
               "another separator to upload a song.</i>")


def _uploader(separator, out_dir, seconds, root):
    """``song_separator`` for ``separator`` (it titles each song's players with the song's
    name), with each song's download links below."""
    rows = w.VBox()

    def offer(stems, sr, paths):   # written: offered through Voila, under the song's title above
        links = download_links(paths, root, song=Path(paths[0]).parent.name)
        rows.children = (w.HTML(f"<div class='mssedu-result'>{links}</div>"),)

    box = song_separator(separator, out_dir=out_dir, max_seconds=seconds, on_done=offer,
                         file_links=False)
    box.add_class("mssedu-app-separator")
    return w.VBox([box, rows], layout=w.Layout(width="100%"))


def _example_result(track, separator, label, out_dir, root):
    """The example song separated by ``separator``: a titled row with players and links."""
    stems = separate(separator, track.mixture, track.sr, progress=False)
    folder = Path(out_dir) / f"{EXAMPLE_SONG} - {short_name(label)}"
    paths = [audio.save(folder / f"{k}.wav", v, track.sr, overwrite=True) for k, v in stems.items()]
    return w.VBox([w.HTML(result_html(EXAMPLE_SONG, separator.name, paths, root)),
                   players_row({"mixture": track.mixture, **stems}, track.sr)])


def separate_section(track, seconds, separators, out_dir, root):
    """Choose a separator; separate the example song, or upload a song.

    Parameters
    ----------
    track : Track
        The example song.
    seconds : float or None
        Separate only the first ``seconds`` of an upload.
    separators : dict
        From :func:`mssedu.app.separators.available_separators`.
    out_dir : str or pathlib.Path
        Where stems are written (below ``root``).
    root : pathlib.Path
        The folder Voila serves.

    Returns
    -------
    ipywidgets.VBox
        The part.

    Examples
    --------
    >>> from pathlib import Path
    >>> from mssedu.data import example_track
    >>> from mssedu.app.separators import available_separators
    >>> part = separate_section(example_track(), 1.0, available_separators(), "my_stems", Path.cwd())
    >>> part.children[1].value   # the separator offered first
    'mini U-Net (ships with mssedu, CPU)'
    """
    choice = w.Dropdown(options=list(separators), value=UNET, description="separator",
                        style={"description_width": "initial"}, layout=w.Layout(width="640px"))
    example_btn = w.Button(description="Separate the example song", button_style="primary",
                           layout=w.Layout(width="320px"))
    example_out, upload_holder, loaded = w.VBox(), w.VBox(), {}

    def get(label):   # each separator is loaded once, when first used
        if label not in loaded:
            loaded[label] = separators[label](track)
        return loaded[label]

    def show_uploader(*_):
        if choice.value == ORACLE:
            upload_holder.children = [w.HTML(ORACLE_ONLY)]
            return
        if choice.value not in loaded:   # loading takes a while: say so at once
            upload_holder.children = [w.HTML(f"<span class='mssedu-working'>Loading "
                                             f"{html.escape(choice.value)} ...</span>")]
        try:
            upload_holder.children = [_uploader(get(choice.value), out_dir, seconds, root)]
        except Exception as err:
            upload_holder.children = [w.HTML(error_html(err, f"Cannot load {choice.value}"))]

    def on_example(_):
        label = choice.value
        example_btn.disabled = True   # one separation at a time: clicks do not queue up
        example_out.children = [w.HTML(f"<span class='mssedu-working'>Separating the example song "
                                       f"with {html.escape(label)} ...</span>")]
        try:
            example_out.children = [_example_result(track, get(label), label, out_dir, root)]
        except Exception as err:
            example_out.children = [w.HTML(error_html(err, "Separating failed"))]
        finally:
            example_btn.disabled = False

    choice.observe(show_uploader, "value")
    example_btn.on_click(on_example)
    show_uploader()
    return section("2 · Separate your song",
                   "Choose a separator; separate the example song, or upload your own. "
                   "Each stem plays below and can be downloaded.",
                   choice, w.HBox([example_btn]), example_out, upload_holder)
