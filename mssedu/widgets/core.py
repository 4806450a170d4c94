"""Building blocks shared by the chapter widgets: labelled audio players and figure outputs."""
from __future__ import annotations

__all__ = ["audio_player", "players_row", "figure_output", "show_figure"]


def audio_player(signal, sr: int, label: str = ""):
    """An ipywidgets box with a label above an HTML5 audio player for ``signal``."""
    import ipywidgets as w

    from ..audio import play

    out = w.Output()
    with out:
        from IPython.display import display

        display(play(signal, sr))
    return w.VBox([w.HTML(f"<b>{label}</b>"), out]) if label else out


def players_row(signals: dict, sr: int):
    """A row of labelled players, one per entry of ``signals`` (name -> ``(channels, samples)``)."""
    import ipywidgets as w

    return w.HBox([audio_player(sig, sr, name) for name, sig in signals.items()])


def show_figure(out, fig):
    """Replace what ``out`` (an ipywidgets.Output) shows by ``fig``."""
    from IPython.display import display

    out.clear_output(wait=True)
    with out:
        display(fig)


def figure_output(fig=None):
    """A new ipywidgets.Output, showing ``fig`` if given."""
    import ipywidgets as w

    out = w.Output()
    if fig is not None:
        show_figure(out, fig)
    return out
