"""The whole workshop page: one title, the mask explorer, "separate your song", then the
room's listening test (ratings pooled across browsers).

Everything on the page is built from the course's own widgets
(:func:`mssedu.widgets.mask_explorer`, :func:`mssedu.widgets.song_separator`,
:func:`mssedu.widgets.players_row`); the app's modules only arrange them for a projector.
"""
from __future__ import annotations

from pathlib import Path

import ipywidgets as w
import matplotlib

from ..config import fast_mode
from ..data import example_track
from ..errors import ParameterError
from .explore import explore_section
from .listen import listening_section
from .separate import separate_section
from .separators import HTDEMUCS, available_separators
from .style import BIG_FIGURES, STYLE, TITLE, error_html

__all__ = ["workshop"]

NO_HTDEMUCS = ("<p><small>HT-Demucs is not offered: its weights are not on this machine "
               "(<code>mssedu download htdemucs</code> on a machine with internet).</small></p>")


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
        The page (CSS class ``mssedu-app``, the full width); a part that cannot be built
        shows why instead.

    Raises
    ------
    ParameterError
        ``seconds`` is not positive.

    Examples
    --------
    >>> page = workshop(seconds=1.0)
    >>> "mssedu-app" in page._dom_classes, len(page.children)
    (True, 5)
    """
    if seconds is not None and not seconds > 0:
        raise ParameterError(f"seconds must be positive or None, got {seconds!r}.")
    matplotlib.rcParams.update(BIG_FIGURES)
    page = w.VBox([w.HTML(f"{STYLE}<h1>{TITLE}</h1>")], layout=w.Layout(width="100%"))
    page.add_class("mssedu-app")
    try:
        track = example_track()
        separators = available_separators()
    except Exception as err:
        page.children += (w.HTML(error_html(err, "The example song cannot be loaded")),)
        return page
    explore_s = seconds or (3.0 if fast_mode() else None)
    upload_s = seconds or (10.0 if fast_mode() else 60.0)
    for build in (lambda: explore_section(track, explore_s, upload_s, separators),
                  lambda: separate_section(track, upload_s, separators, out_dir, Path.cwd()),
                  lambda: listening_section(track, explore_s, Path.cwd())):
        try:
            page.children += (build(),)
        except Exception as err:
            page.children += (w.HTML(error_html(err, "This part cannot be shown")),)
    page.children += (w.HTML("" if HTDEMUCS in separators else NO_HTDEMUCS),)
    return page
