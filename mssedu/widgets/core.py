"""Building blocks shared by the chapter widgets: labelled audio players and figure outputs.

Both avoid ipywidgets' output *capture* (``with out: display(...)``): a captured message of a
few seconds of audio makes headless runs (nbclient, CI) wait for their output timeout.
Players are plain ``ipywidgets.HTML`` ``<audio>`` elements (CSS class ``mssedu-audio``),
figures are appended to an Output directly.
"""
from __future__ import annotations

import ipywidgets as w

from ..audio import play

__all__ = ["audio_html", "audio_slot", "set_audio", "audio_player", "players_row", "set_players",
           "labelled", "figure_output", "show_figure"]


def audio_html(signal, sr: int, label: str = "") -> str:
    """An HTML ``<audio>`` element whose ``src`` is ``signal`` as a base64 WAV (so the
    ``src`` changes whenever the sound does), with an optional bold caption."""
    src = play(signal, sr).src_attr()
    caption = f"<div><b>{label}</b></div>" if label else ""
    return f'{caption}<audio controls preload="none" src="{src}"></audio>'


def audio_slot():
    """An empty player widget (``ipywidgets.HTML``, CSS class ``mssedu-audio``) for a widget
    to fill, and refill, with :func:`set_audio`."""
    return w.HTML().add_class("mssedu-audio")


def set_audio(slot, signal, sr: int, label: str = ""):
    """Put ``signal`` ``(channels, samples)`` into the player ``slot``; returns the slot."""
    slot.value = audio_html(signal, sr, label)
    return slot


def audio_player(signal, sr: int, label: str = ""):
    """A labelled audio player widget for ``signal`` ``(channels, samples)``; levels are kept
    as they are so that players side by side compare by ear (see :func:`mssedu.audio.play`)."""
    return set_audio(audio_slot(), signal, sr, label)


def players_row(signals: dict, sr: int):
    """A row of labelled players, one per entry of ``signals`` (name -> ``(channels, samples)``)."""
    return set_players(w.HBox(layout=w.Layout(flex_flow="row wrap")), signals, sr)


def set_players(row, signals: dict, sr: int):
    """Replace the players in ``row`` (a box from :func:`players_row`) by new ones."""
    row.children = tuple(audio_player(sig, sr, name) for name, sig in signals.items())
    return row


def labelled(label: str, widget):
    """``widget`` with a bold caption above it."""
    return w.VBox([w.HTML(f"<b>{label}</b>"), widget])


def show_figure(out, fig):
    """Replace what ``out`` (an ipywidgets.Output) shows by ``fig``."""
    out.outputs = ()
    out.append_display_data(fig)


def figure_output(fig=None):
    """A new ipywidgets.Output, showing ``fig`` if given."""
    out = w.Output()
    if fig is not None:
        show_figure(out, fig)
    return out
