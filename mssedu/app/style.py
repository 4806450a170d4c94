"""The workshop page's look on a projector, and its way of saying that something failed.

One title, the page's full width, large text, long sliders and big buttons: the page is read
from the back of a room. Everything here is CSS scoped to the page's box (class
``mssedu-app``), so the course's widgets look as they do in JupyterLab anywhere else.
"""
from __future__ import annotations

import html

import ipywidgets as w

from ..errors import MsseduError

__all__ = ["TITLE", "BIG_FIGURES", "STYLE", "error_html", "section"]

#: The page's one title (the app notebook has no heading of its own).
TITLE = "Music source separation — workshop"
#: Large, readable figures on a projector.
BIG_FIGURES = {"font.size": 15, "axes.titlesize": 17, "axes.labelsize": 15, "figure.dpi": 110}
#: The page's look: full width, big text and controls, download links drawn as buttons.
STYLE = """<style>
body .jp-Cell, body .jp-OutputArea-output, body .jp-OutputArea-child { max-width: none; }
.mssedu-app { width: 100%; font-size: 20px; line-height: 1.45; }
.mssedu-app h1 { font-size: 34px; margin: 8px 0 4px 0; }
.mssedu-app h2 { font-size: 27px; margin: 26px 0 6px 0; }
.mssedu-app p, .mssedu-app td, .mssedu-app th, .mssedu-app small, .mssedu-app i { font-size: 20px; }
.mssedu-app .widget-label, .mssedu-app .widget-readout, .mssedu-app button, .mssedu-app select,
.mssedu-app .widget-toggle-button, .mssedu-app .widget-html-content { font-size: 20px; }
.mssedu-app .widget-label { min-width: 7em; }
.mssedu-app .widget-inline-hbox, .mssedu-app .widget-button, .mssedu-app .widget-toggle-button,
.mssedu-app .widget-dropdown > select { min-height: 40px; height: auto; line-height: 36px; }
.mssedu-app .widget-hslider { width: 46%; min-width: 420px; }
.mssedu-app .widget-hslider .slider-container { flex-grow: 1; }
.mssedu-app .noUi-handle { transform: scale(1.6); }
.mssedu-app .widget-upload, .mssedu-app .widget-toggle-button, .mssedu-app .widget-button {
  width: auto; min-width: 170px; }
.mssedu-app .widget-upload { min-width: 260px; }
.mssedu-app .jp-OutputArea-output img, .mssedu-app .widget-output img { width: 100%; height: auto; }
.mssedu-app audio { width: 340px; }
.mssedu-app .mssedu-result { margin: 10px 0; padding: 8px 12px; border-left: 6px solid #1976d2;
  background: #f3f7fc; }
.mssedu-app .mssedu-result-title { font-size: 22px; font-weight: bold; }
.mssedu-app a.mssedu-download { display: inline-block; margin: 4px 8px 4px 0; padding: 8px 16px;
  border-radius: 4px; background: #1976d2; color: white; text-decoration: none; font-size: 19px; }
.mssedu-app a.mssedu-download:hover { background: #1565c0; }
.mssedu-app .mssedu-working { color: #8a5a00; font-style: italic; }
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

    Examples
    --------
    >>> error_html(ValueError("bad <file>"), "Cannot read it")[:40]
    "<div class='mssedu-app-error' style='col"
    """
    reason = str(err) if isinstance(err, MsseduError) else f"{type(err).__name__}: {err}"
    return (f"<div class='mssedu-app-error' style='color:#b3261e'><b>{html.escape(what)}:</b> "
            f"{html.escape(reason[:600])}</div>")


def section(title: str, intro: str, *children):
    """A part of the page: a heading, a line of introduction (HTML), then ``children``.

    Parameters
    ----------
    title : str
        The heading (plain text).
    intro : str
        The introduction (HTML).
    *children : ipywidgets.Widget
        The part's widgets.

    Returns
    -------
    ipywidgets.VBox
        The part, the page's full width.

    Examples
    --------
    >>> len(section("1 · Masks", "Move the sliders.").children)
    1
    """
    heading = w.HTML(f"<h2>{html.escape(title)}</h2><p>{intro}</p>", layout=w.Layout(width="100%"))
    return w.VBox([heading, *children], layout=w.Layout(width="100%"))
