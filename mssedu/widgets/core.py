"""Building blocks shared by the chapter widgets: labelled audio players and figure outputs.

Both avoid ipywidgets' output *capture* (``with out: display(...)``): a captured message of a
few seconds of audio makes headless runs (nbclient, CI) wait for their output timeout.
Players are plain ``ipywidgets.HTML`` ``<audio>`` elements (CSS class ``mssedu-audio``),
figures are appended to an Output directly.
"""
from __future__ import annotations

import io

import ipywidgets as w
from IPython.display import Image
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ..audio import play

__all__ = ["audio_html", "audio_slot", "set_audio", "audio_player", "players_row", "set_players",
           "labelled", "figure_output", "show_figure", "figure_image", "WIDE_LABEL", "STEM_LABEL"]

#: ``style`` for a control whose ``description`` is longer than ipywidgets' default label box
#: (80 px, about 10 characters), which would clip it: the box takes the label's width.
WIDE_LABEL = {"description_width": "initial"}
#: ``style`` for a column of controls labelled by stem names (up to "accompaniment"): one
#: fixed width, so that the controls still line up.
STEM_LABEL = {"description_width": "105px"}


def audio_html(signal, sr: int, label: str = "") -> str:
    """An HTML ``<audio>`` element whose ``src`` is ``signal`` as a base64 WAV (so the
    ``src`` changes whenever the sound does), with an optional bold caption.

    Parameters
    ----------
    signal : numpy.ndarray
        Audio ``([channels,] samples)``.
    sr : int
        Sample rate in Hz.
    label : str
        Caption above the player (none if empty).

    Returns
    -------
    str
        The HTML.
    """
    src = play(signal, sr).src_attr()
    caption = f"<div><b>{label}</b></div>" if label else ""
    return f'{caption}<audio controls preload="none" src="{src}"></audio>'


def audio_slot():
    """An empty player widget (``ipywidgets.HTML``, CSS class ``mssedu-audio``) for a widget
    to fill, and refill, with :func:`set_audio`.

    Returns
    -------
    ipywidgets.HTML
        The empty player.
    """
    # a browser draws <audio controls> 300 px wide: a box beside others must not squeeze it
    return w.HTML(layout=w.Layout(min_width="310px")).add_class("mssedu-audio")


def set_audio(slot, signal, sr: int, label: str = ""):
    """Put ``signal`` ``(channels, samples)`` into the player ``slot``; returns the slot.

    Parameters
    ----------
    slot : ipywidgets.HTML
        A player from :func:`audio_slot`.
    signal : numpy.ndarray
        Audio ``([channels,] samples)``.
    sr : int
        Sample rate in Hz.
    label : str
        Caption above the player (none if empty).

    Returns
    -------
    ipywidgets.HTML
        ``slot``.
    """
    slot.value = audio_html(signal, sr, label)
    return slot


def audio_player(signal, sr: int, label: str = ""):
    """A labelled audio player widget for ``signal`` ``(channels, samples)``; levels are kept
    as they are so that players side by side compare by ear (see :func:`mssedu.audio.play`).

    Parameters
    ----------
    signal : numpy.ndarray
        Audio ``([channels,] samples)``.
    sr : int
        Sample rate in Hz.
    label : str
        Caption above the player (none if empty).

    Returns
    -------
    ipywidgets.HTML
        The player.
    """
    return set_audio(audio_slot(), signal, sr, label)


def players_row(signals: dict, sr: int):
    """A row of labelled players, one per entry of ``signals`` (name -> ``(channels, samples)``).

    Parameters
    ----------
    signals : dict
        Label -> signal ``([channels,] samples)``.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    ipywidgets.HBox
        The players, wrapping onto several lines if needed.
    """
    return set_players(w.HBox(layout=w.Layout(flex_flow="row wrap")), signals, sr)


def set_players(row, signals: dict, sr: int):
    """Replace the players in ``row`` (a box from :func:`players_row`) by new ones.

    Parameters
    ----------
    row : ipywidgets.Box
        A box from :func:`players_row`.
    signals : dict
        Label -> signal ``([channels,] samples)``.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    ipywidgets.Box
        ``row``.
    """
    row.children = tuple(audio_player(sig, sr, name) for name, sig in signals.items())
    return row


def labelled(label: str, widget):
    """``widget`` with a bold caption above it.

    Parameters
    ----------
    label : str
        The caption.
    widget : ipywidgets.Widget
        What it captions.

    Returns
    -------
    ipywidgets.VBox
        Caption and widget.
    """
    return w.VBox([w.HTML(f"<b>{label}</b>"), widget])


def show_figure(out, fig):
    """Replace what ``out`` (an ipywidgets.Output) shows by ``fig``.

    Parameters
    ----------
    out : ipywidgets.Output
        The output area.
    fig : matplotlib.figure.Figure or IPython.display.Image
        The figure (closed afterwards, so it is shown once; one that holds images, such as
        spectrograms, is sent as a JPEG), or one rendered already by :func:`figure_image`
        (shown at once).
    """
    out.outputs = ()
    out.append_display_data(_as_shown(fig))


def _as_shown(fig):
    """A figure holding images (spectrograms, masks) as a JPEG, rendered here: its noise makes
    a PNG 4x larger and slower to write (0.3 vs 0.5 s for four panels on 2 cores) and to send;
    anything else (line and bar plots, already rendered images) as it is."""
    if not (isinstance(fig, Figure) and any(ax.images for ax in fig.axes)):
        return fig
    buffer = io.BytesIO()
    fig.savefig(buffer, format="jpeg", bbox_inches="tight", pil_kwargs={"quality": 90})
    plt.close(fig)
    return Image(data=buffer.getvalue(), format="jpeg")


def figure_output(fig=None):
    """A new ipywidgets.Output, showing ``fig`` if given.

    Parameters
    ----------
    fig : matplotlib.figure.Figure or None
        A figure to show at once (it is closed afterwards).

    Returns
    -------
    ipywidgets.Output
        The output area.
    """
    out = w.Output()
    if fig is not None:
        show_figure(out, fig)
    return out


def figure_image(fig, dpi: int = 100):
    """``fig`` rendered once to a PNG image, for a widget to keep and show again at once
    (showing a figure renders it anew every time: about 0.1 s).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (closed afterwards).
    dpi : int
        Resolution.

    Returns
    -------
    IPython.display.Image
        The PNG, to pass to :func:`show_figure`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> figure_image(fig).data[:4]
    b'\\x89PNG'
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return Image(data=buffer.getvalue(), format="png")
