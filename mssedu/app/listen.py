"""Part 3 of the workshop page: the room's listening test, its ratings pooled live.

Every browser on the page is one listener (a name typed in, or an anonymous id such as
``listener-3f2a``) who rates a MUSHRA trial of the example song's vocals
(:func:`mssedu.widgets.listening_test`: blind, shuffled anew for each page, a hidden
reference and a 3.5 kHz anchor). Voila runs one kernel per page, so the room's ratings
cannot meet in memory: each kernel appends its listener's ratings to **one CSV in the app's
folder** (``listening/ratings.csv``), under a lock file so that two saves at once both land
(:func:`mssedu.listening.save_ratings` with ``lock=True``). Every page then reads that file
again whenever it changes (a check each :data:`POLL_S` seconds on the kernel's event loop)
and redraws the pooled plot: all ratings against SDR, SI-SDR and SI-SAR, with Spearman's
rank correlations (:func:`mssedu.listening.rating_correlations`).
"""
from __future__ import annotations

import asyncio
import html
import secrets
from pathlib import Path

import ipywidgets as w
import numpy as np

from .. import masks, phase, spectral
from ..errors import MsseduError
from ..listening import ANCHOR, condition_metrics, load_ratings, lowpass_anchor, rating_correlations
from ..plot.evaluation import ratings_figure
from ..widgets import listening_test
from ..widgets.core import figure_image, show_figure
from .style import error_html, section

__all__ = ["RATINGS_FILE", "TRIAL", "POLL_S", "course_conditions", "pooled_ratings", "listening_section"]

#: The pooled ratings, below the app's folder (the folder Voila serves from).
RATINGS_FILE = Path("listening") / "ratings.csv"
#: The trial's name in the CSV.
TRIAL = "example song, vocals"
#: How often (s) each page looks whether the pooled ratings changed.
POLL_S = 1.0
#: The longest excerpt rated (MUSHRA items are about 10 s).
LONGEST_S = 10.0


def course_conditions(track, n_fft: int = 2048, hop_length: int = 512) -> dict:
    """The separations of the vocals that notebook 4's listening test rates: the binary,
    ratio and Wiener masks, and the true magnitudes with the mixture's phase or 16 MISI
    iterations.

    Parameters
    ----------
    track : Track
        A song with true stems (``vocals`` among them).
    n_fft, hop_length : int
        The STFT of the phase conditions.

    Returns
    -------
    dict
        Condition name -> vocals estimate ``(channels, samples)``.

    Examples
    --------
    >>> from mssedu.data import example_track
    >>> sorted(course_conditions(example_track().excerpt(0, 1.0)))
    ['IBM', 'IRM', 'MISI 16', 'Wiener', 'mixture phase']
    """
    accomp = track.accompaniment()
    mags = {k: np.abs(spectral.stft(v, n_fft, hop_length))
            for k, v in {"vocals": track.stems["vocals"], "accompaniment": accomp}.items()}
    mixture_phase, _ = phase.misi(mags, track.mixture, n_iter=0, n_fft=n_fft, hop_length=hop_length)
    with_misi, _ = phase.misi(mags, track.mixture, n_iter=16, n_fft=n_fft, hop_length=hop_length)
    return {"IBM": masks.oracle_separate(track, "ibm")["vocals"],
            "IRM": masks.oracle_separate(track, "irm", alpha=1)["vocals"],
            "Wiener": masks.oracle_separate(track, "wiener")["vocals"],
            "mixture phase": mixture_phase["vocals"], "MISI 16": with_misi["vocals"]}


def _summary(table, correlations) -> str:
    """One line: how many ratings by whom, and each metric's rho."""
    names = sorted(str(n) for n in table["listener"].unique())
    rhos = " · ".join(f"{m} {row['rho']:+.2f}" for m, row in correlations.iterrows())
    return (f"<b>{len(table)} ratings by {len(names)} listener{'s' * (len(names) != 1)}</b> "
            f"({html.escape(', '.join(names))}) · Spearman rho: {rhos}")


def pooled_ratings(path, metrics, poll_s: float | None = POLL_S):
    """The pooled plot of the ratings in ``path``, redrawn whenever the file changes.

    Parameters
    ----------
    path : str or pathlib.Path
        The shared ratings CSV (need not exist yet).
    metrics : pandas.DataFrame
        Index condition; the metrics (:func:`mssedu.listening.condition_metrics`).
    poll_s : float or None
        Look at the file every ``poll_s`` seconds on the kernel's running event loop (a
        kernel's; none in a plain script); None: only when :meth:`refresh` is called.

    Returns
    -------
    ipywidgets.VBox
        CSS class ``mssedu-pooled``; ``box.refresh()`` re-reads the file if it changed
        (True if it redrew), ``box.summary`` is the line above the plot.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> metrics = pd.DataFrame({"SDR": [1.0, 5.0, 9.0]}, index=["a", "b", "c"])
    >>> box = pooled_ratings(Path(tempfile.mkdtemp()) / "r.csv", metrics, poll_s=None)
    >>> box.refresh(), "No ratings" in box.summary.value
    (False, True)
    """
    path = Path(path)
    summary, out = w.HTML("No ratings yet: rate the sounds above and save."), w.Output()
    seen = [None]   # the file's (mtime, size) when last drawn

    def refresh() -> bool:
        try:
            stat = path.stat()
        except OSError:
            return False   # nobody saved yet
        if (stat.st_mtime_ns, stat.st_size) == seen[0]:
            return False
        seen[0] = (stat.st_mtime_ns, stat.st_size)
        try:
            table = load_ratings(path)
        except MsseduError as err:   # a broken file: said, not raised
            summary.value = error_html(err, "The pooled ratings cannot be read")
            return True
        try:
            correlations = rating_correlations(table, metrics)
        except MsseduError:   # fewer than 3 rated conditions with metrics
            summary.value = f"{len(table)} ratings so far: the plot needs ratings of 3 conditions or more."
            return True
        show_figure(out, figure_image(ratings_figure(table, metrics, correlations)))
        summary.value = _summary(table, correlations)   # after the plot: the line says it is there
        return True

    async def poll():
        while True:
            await asyncio.sleep(poll_s)
            try:
                refresh()
            except Exception as err:   # the loop must outlive a bad moment (a file half replaced)
                summary.value = error_html(err, "The pooled ratings cannot be read")

    box = w.VBox([summary, out], layout=w.Layout(width="100%"))
    box.add_class("mssedu-pooled")
    box.refresh, box.summary = refresh, summary
    refresh()
    try:
        box.poller = asyncio.get_running_loop().create_task(poll()) if poll_s else None
    except RuntimeError:   # no running loop (a script, a doctest): refresh() by hand
        box.poller = None
    return box


def listening_section(track, seconds, folder):
    """The room's listening test: this page's listener rates a blind trial; everyone's
    ratings are pooled in ``folder/listening/ratings.csv`` and plotted live.

    Parameters
    ----------
    track : Track
        The example song (true stems).
    seconds : float or None
        Rate its first ``seconds`` (at most :data:`LONGEST_S`).
    folder : str or pathlib.Path
        The app's folder (the pooled CSV goes below it).

    Returns
    -------
    ipywidgets.VBox
        CSS class ``mssedu-app-listening``; ``box.trial`` is the trial
        (:func:`mssedu.widgets.listening_test`), ``box.pooled`` the pooled plot.

    Examples
    --------
    >>> import tempfile
    >>> from mssedu.data import example_track
    >>> box = listening_section(example_track(), 1.0, tempfile.mkdtemp())
    >>> box.trial.controls["listener"].value.startswith("listener-"), len(box.trial.key)
    (True, 7)
    """
    excerpt = track.excerpt(0, min(seconds or LONGEST_S, LONGEST_S, track.duration))
    vocals, others = excerpt.stems["vocals"], [excerpt.accompaniment()]
    conditions = course_conditions(excerpt)
    metrics = condition_metrics(vocals, {**conditions, ANCHOR: lowpass_anchor(vocals, excerpt.sr)},
                                others=others)
    path = Path(folder) / RATINGS_FILE   # its folder is made by the first save
    pooled = pooled_ratings(path, metrics)
    trial = listening_test(vocals, conditions, excerpt.sr, path, trial=TRIAL, lock=True,
                           listener=f"listener-{secrets.token_hex(2)}",   # anonymous unless a name is typed
                           on_save=lambda _: pooled.refresh())
    box = section("3 · Listen and rate: the room's ratings",
                  "Headphones on. Rate each sound against the reference (one of them is the reference "
                  "itself), type a name if you like, and save: everyone's ratings meet in the plot "
                  "below, against SDR, SI-SDR and SI-SAR.",
                  trial, w.HTML("<h3>The room's ratings</h3>"), pooled)
    box.add_class("mssedu-app-listening")
    box.trial, box.pooled = trial, pooled
    return box
