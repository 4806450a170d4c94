"""Part 1 of the workshop page: the mask explorer, on the example song or an uploaded one.

An uploaded ``.stem.mp4`` brings true stems and gets the explorer as for the example song.
Any other song is split by the best separator here first; the explorer then says that its
"target" is that model's estimate and shows no SDR (:func:`mssedu.widgets.mask_explorer`'s
``estimated_by``).
"""
from __future__ import annotations

import html

import ipywidgets as w

from ..widgets import mask_explorer
from ..widgets.pretrained import AUDIO_SUFFIXES
from .separators import best_estimator
from .style import error_html, section
from .uploads import MULTITRACK, has_true_stems, track_from_upload

__all__ = ["explore_section"]

INVITE = ("<i>Or explore the masks of your own song: a .stem.mp4 multitrack brings its true "
          "stems; for any other song the best separator here estimates them first, and the "
          "explorer then shows that model's estimate, not a true target.</i>")


def explore_section(track, seconds, upload_seconds, separators):
    """The mask explorer on ``track``, with an upload button that swaps in another song.

    Parameters
    ----------
    track : Track
        The example song (true stems).
    seconds : float or None
        Explore its first ``seconds`` (None: all of it).
    upload_seconds : float
        Explore the first ``upload_seconds`` of an uploaded song.
    separators : dict
        From :func:`mssedu.app.separators.available_separators` (one estimates an upload's
        stems).

    Returns
    -------
    ipywidgets.VBox
        The part; ``box.upload_file(name, data)`` does what an upload does (for tests),
        ``box.holder`` holds the current explorer, ``box.status`` says what happened.

    Examples
    --------
    >>> from mssedu.data import example_track
    >>> from mssedu.app.separators import available_separators
    >>> box = explore_section(example_track(), 1.0, 1.0, available_separators())
    >>> "SDR" in box.holder.children[0].controls["metrics"].value
    True
    """
    holder = w.VBox([mask_explorer(track, duration=seconds)], layout=w.Layout(width="100%"))
    upload = w.FileUpload(accept=",".join((MULTITRACK, *AUDIO_SUFFIXES)), multiple=False,
                          description="Upload a song")
    status = w.HTML(INVITE)

    def upload_file(name, data):
        status.value = f"<span class='mssedu-working'>Reading <b>{html.escape(name)}</b> ...</span>"
        try:
            label = None if has_true_stems(name) else best_estimator(separators)
            sep = None if label is None else separators[label](track)
            new = track_from_upload(name, data, seconds=upload_seconds, separator=sep)
            holder.children = [mask_explorer(new, estimated_by=None if sep is None else sep.name)]
            status.value = f"Now exploring <b>{html.escape(new.name)}</b>."
        except Exception as err:  # shown in the page, never a silent failure
            status.value = error_html(err, "Cannot use this file")

    def on_upload(change):
        if change["new"]:
            item = change["new"][0]
            try:
                upload_file(item["name"], item["content"])
            finally:
                upload.value = ()   # ready for the next file

    upload.observe(on_upload, "value")
    box = section("1 · The mask explorer",
                  "Pick a stem and a mask; move the sliders; listen; read the SDR.",
                  w.HBox([upload, status]), holder)
    box.add_class("mssedu-app-explorer")
    box.upload_file, box.holder, box.status = upload_file, holder, status
    return box
