"""Score separators against a track's true stems, in one table; or over many songs, the way
the field reports results (SiSEC 2018, Stöter et al. 2018): museval v4 per song (the median of
its 1-s frames), then the **median over songs** per target (:func:`evaluate_many`).

Examples
--------
>>> from mssedu.data import example_track
>>> from mssedu.separation import OracleSeparator, compare
>>> track = example_track()
>>> table = compare([OracleSeparator(track, "irm")], track)     # BSS Eval: seconds
>>> table[["source", "SDR"]].round(1)
          source   SDR
0         vocals   6.9
1  accompaniment  13.7
>>> from mssedu.tables import results_table
>>> shown = results_table(table)                # what a notebook displays
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..errors import ParameterError
from ..metrics import bss_eval
from ..tables import results_table
from .api import fold_two_stems, separate
from .oracle import OracleSeparator

__all__ = ["evaluate", "compare", "evaluate_many", "SongScores", "constant_gain", "BASELINES"]

#: The baseline rows :func:`evaluate_many` adds beside the models, on the same songs.
BASELINES = ("constant gain", "oracle IRM")


def _references(track, names) -> dict:
    refs = {}
    for k in names:
        if k in track.stems:
            refs[k] = track.stems[k]
        elif k == "accompaniment":
            targets = [n for n in names if n != "accompaniment" and n in track.stems]
            if len(targets) == 1:
                refs[k] = track.accompaniment(targets[0])
    return refs


def evaluate(separator_or_estimates, track, two_stems: str | None = None, progress: bool = True,
             name: str | None = None, **bss_kwargs) -> pd.DataFrame:
    """Score a separator (or ready estimates) against ``track``'s true stems.

    Parameters
    ----------
    separator_or_estimates : Separator or dict
        A separator is run on ``track.mixture`` with :func:`separate`; a dict
        ``{source: (channels, samples)}`` is scored as is.
    track : mssedu.data.Track
        With its stems.
    two_stems : str, optional
        Score ``two_stems`` against the accompaniment (sum of the other stems) only:
        the same two references for every separator, whatever stems it returns.
    progress : bool
        Progress bar while separating.
    name : str, optional
        Label for the ``separator`` column (default: the separator's ``name``).
    **bss_kwargs
        Passed to :func:`mssedu.metrics.bss_eval` (``window``, ``framewise``...).

    Returns
    -------
    pandas.DataFrame
        :func:`mssedu.metrics.bss_eval`'s table (median over 1 s frames of SDR, ISR, SIR,
        SAR per source) with ``separator`` and ``source`` columns.
    """
    label, refs, estimates = _pairs(separator_or_estimates, track, two_stems, progress, name)
    df = bss_eval(refs, estimates, track.sr, **bss_kwargs).reset_index()
    df.insert(0, "separator", label)
    return df


def _pairs(separator_or_estimates, track, two_stems, progress, name) -> tuple:
    """Separate (or take the estimates) and pair them with the references:
    ``(label, references, estimates)``, the same sources in both."""
    if isinstance(separator_or_estimates, dict):
        estimates = dict(separator_or_estimates)
        label = name or "estimates"
        if two_stems is not None:
            estimates = fold_two_stems(estimates, two_stems)
    else:
        estimates = separate(separator_or_estimates, track.mixture, track.sr, two_stems=two_stems,
                             progress=progress)
        label = name or separator_or_estimates.name
    refs = _references(track, list(estimates))
    if not refs:
        raise ParameterError(f"None of the estimated sources {sorted(estimates)} is a stem of "
                             f"{track.name!r} ({track.stem_names}).")
    return label, refs, {k: estimates[k] for k in refs}


def compare(separators, track, two_stems: str | None = "vocals", progress: bool = True,
            metrics=("SDR", "SIR", "SAR")) -> pd.DataFrame:
    """One table comparing separators on the same track: one row per (separator, source).

    Parameters
    ----------
    separators : list or dict
        Separators, or ``{label: separator or estimates dict}``.
    track : mssedu.data.Track
        With its stems.
    two_stems : str or None
        ``"vocals"`` (default): every separator is scored on vocals and accompaniment, so
        4-stem and 2-stem models share the same references; ``None`` scores every stem
        each one returns.
    progress : bool
        Progress bars while separating.
    metrics : sequence of str
        Columns to keep.

    Returns
    -------
    pandas.DataFrame
        Columns ``separator``, ``source`` and ``metrics`` (medians over 1 s frames, dB): the
        numbers. Show them with :func:`mssedu.tables.results_table` (two decimals, units,
        the footnote on the framewise medians, degenerate values capped).
    """
    if not isinstance(separators, dict):
        separators = {getattr(s, "name", str(s)): s for s in separators}
    frames = [evaluate(sep, track, two_stems=two_stems, progress=progress, name=label)
              for label, sep in separators.items()]
    table = pd.concat(frames, ignore_index=True)
    return table[["separator", "source", *[m for m in metrics if m in table.columns]]]


def constant_gain(track, sources) -> dict:
    """The best constant gain per source: :math:`\\hat s_j = g_j x` with
    :math:`g_j = \\langle s_j, x\\rangle / \\langle x, x\\rangle` (least squares; it knows the
    true stems, so it is an oracle too). Its SDR is what a separator earns without separating
    anything: a model must beat it to have learnt more than a volume knob.

    Parameters
    ----------
    track : mssedu.data.Track
        With its stems.
    sources : sequence of str
        Stems of ``track``, or ``"accompaniment"`` (the sum of the other stems).

    Returns
    -------
    dict
        ``{source: g * mixture}``, float32 ``(channels, samples)``.

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.data import Track
    >>> s = np.ones((1, 100), np.float32)
    >>> t = Track("t", 8000, 4 * s, {"vocals": s, "other": 3 * s})
    >>> float(constant_gain(t, ["vocals"])["vocals"][0, 0])
    1.0
    """
    refs = _references(track, list(sources))
    x = np.asarray(track.mixture, dtype=np.float64)
    power = float(np.sum(x * x)) or 1e-20
    return {k: (float(np.sum(np.asarray(r, np.float64) * x)) / power * x).astype(np.float32)
            for k, r in refs.items()}


@dataclass
class SongScores:
    """Scores over many songs, from :func:`evaluate_many`.

    Attributes
    ----------
    per_track : pandas.DataFrame
        One row per (separator, track, source): museval v4 ``SDR ISR SIR SAR`` (medians over
        1-s frames, dB).
    songs : str
        What the songs were, for titles (e.g. ``"10 MUSDB18 test previews"``).
    """

    per_track: pd.DataFrame
    songs: str = ""

    def medians(self, metrics=("SDR", "SIR", "SAR")) -> pd.DataFrame:
        """The median over tracks per (separator, source): SiSEC 2018's aggregate.

        Parameters
        ----------
        metrics : sequence of str
            Columns to keep.

        Returns
        -------
        pandas.DataFrame
            Columns ``separator``, ``source``, the metrics and ``songs`` (tracks with a value),
            in the order the separators were given.
        """
        keep = [m for m in metrics if m in self.per_track.columns]
        grouped = self.per_track.groupby(["separator", "source"], sort=False)
        out = grouped[keep].median().reset_index()
        out["songs"] = grouped[keep[0]].count().to_numpy()
        return out

    def table(self, metric: str = "SDR"):
        """One row per separator, one column per source: the median ``metric`` over songs.

        Parameters
        ----------
        metric : str
            ``"SDR"``, ``"SIR"``, ``"SAR"`` or ``"ISR"``.

        Returns
        -------
        mssedu.tables.ResultsTable
            Through :func:`mssedu.tables.results_table` (two decimals, dB, the footnote on
            museval's framewise medians).
        """
        if metric not in self.per_track.columns:
            raise ParameterError(f"metric must be one of {[m for m in ('SDR', 'ISR', 'SIR', 'SAR') if m in self.per_track]}, "
                                 f"got {metric!r}.")
        wide = self.medians((metric,)).pivot(index="separator", columns="source", values=metric)
        order = list(dict.fromkeys(self.per_track["separator"]))
        wide = wide.loc[order, list(dict.fromkeys(self.per_track["source"]))]
        wide.columns.name = None
        n = self.per_track["track"].nunique()
        return results_table(wide, unit="dB", index_name="separator",
                             title=f"median {metric} over {n} songs ({self.songs or 'songs'}), per source")


def _two_stems(separators: dict, two_stems):
    """``"auto"``: the target of the one-target models (score everyone on it and its
    accompaniment), or ``None`` when every model returns several stems."""
    if two_stems != "auto":
        return two_stems
    targets = [[s for s in sep.sources if s != "accompaniment"] for sep in separators.values()]
    single = [t[0] for t in targets if len(t) == 1]
    if len(set(single)) > 1:
        raise ParameterError(f"The models separate different single targets ({sorted(set(single))}); "
                             "pass two_stems=... to say which one to score.")
    return single[0] if single else None


def evaluate_many(separators, tracks, two_stems: str | None = "auto", baselines=BASELINES,
                  progress: bool = True, songs: str = "", jobs: int | None = None) -> SongScores:
    """Score separators over many songs, with baselines on the same songs.

    For every track: each separator (and each baseline) separates the mixture, and museval
    v4 scores it (:func:`evaluate`: the median over 1-s frames). :meth:`SongScores.medians`
    then takes the median over tracks per source, as SiSEC 2018 reports MUSDB18 results.

    Parameters
    ----------
    separators : Separator, list or dict
        One separator, a list, or ``{label: separator}``.
    tracks : iterable of mssedu.data.Track
        With their stems (e.g. :func:`mssedu.data.musdb_tracks`; decoded one at a time).
    two_stems : str, None or "auto"
        Score only this stem and its accompaniment; ``"auto"``: the target of one-target
        models (e.g. ``"vocals"``), every stem when all models return several.
    baselines : sequence of str
        Any of :data:`BASELINES`: ``"constant gain"`` (:func:`constant_gain`) and
        ``"oracle IRM"`` (:class:`~mssedu.separation.OracleSeparator`), both computed from
        the true stems of each song.
    progress : bool
        A bar over the songs.
    songs : str
        What the songs are, for the table's title.
    jobs : int or None
        Processes that run museval (most of the cost: about 2.5 s of CPU per 7-s song and
        separator) while the next song is separated; ``None``: the CPUs available, at most
        4; 1: all in this process. The scores do not depend on it.

    Returns
    -------
    SongScores
        ``.per_track`` (every score), ``.medians()``, ``.table()``; draw it with
        :func:`mssedu.plot.song_scores_figure`.
    """
    if not isinstance(separators, (list, tuple, dict)):
        separators = [separators]
    if not isinstance(separators, dict):
        labels = [getattr(s, "name", str(s)) for s in separators]
        if len(set(labels)) < len(labels):
            raise ParameterError(f"Two separators share a name ({labels}); pass a dict "
                                 "{label: separator} to tell them apart in the table.")
        separators = dict(zip(labels, separators))
    unknown = [b for b in baselines if b not in BASELINES]
    if unknown:
        raise ParameterError(f"Unknown baseline(s) {unknown}; choose from {BASELINES}.")
    two_stems = _two_stems(separators, two_stems)
    sources = sorted({s for sep in separators.values() for s in sep.sources})
    jobs = _jobs(jobs)
    # fork on Linux: the workers start at once and need no importable __main__ (a script or a
    # notebook cell); they only run numpy/scipy, never torch. Elsewhere the platform's spawn.
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    pool = ProcessPoolExecutor(jobs, mp_context=context) if jobs > 1 else None
    pending, rows = [], []
    try:
        for track in tqdm(tracks, disable=not progress, desc="songs", total=_length(tracks)):
            for label, sep in _runs(separators, baselines, track, two_stems, sources).items():
                label, refs, ests = _pairs(sep, track, two_stems if not isinstance(sep, dict) else None,
                                           False, label)
                # museval is most of the cost: score in the pool while the next song separates
                job = pool.submit(bss_eval, refs, ests, track.sr) if pool else bss_eval(refs, ests, track.sr)
                pending.append((label, track.name, job))
            busy = [j for *_, j in pending if pool and not j.done()]
            while len(busy) > 2 * jobs:   # bound the memory: no more than this many songs queued
                wait(busy, return_when=FIRST_COMPLETED)
                busy = [j for j in busy if not j.done()]
        for label, name, job in pending:
            df = (job.result() if pool else job).reset_index()
            df.insert(0, "track", name)
            df.insert(0, "separator", label)
            rows.append(df)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    if not rows:
        raise ParameterError("tracks is empty: give at least one song with its stems.")
    table = pd.concat(rows, ignore_index=True)
    return SongScores(table[["separator", "track", "source", "SDR", "ISR", "SIR", "SAR"]], songs)


def _runs(separators: dict, baselines, track, two_stems, sources) -> dict:
    """What to score on ``track``: the floor (constant gain), the models, the ceiling (IRM)."""
    runs = {}
    if "constant gain" in baselines:
        names = [two_stems, "accompaniment"] if two_stems else [s for s in sources if s in track.stems]
        runs["constant gain"] = constant_gain(track, names)
    runs.update(separators)
    if "oracle IRM" in baselines:
        runs["oracle IRM"] = OracleSeparator(track, "irm")
    return runs


def _jobs(jobs) -> int:
    """Worker processes for museval: ``None`` -> the CPUs this process may use, at most 4."""
    if jobs is None:
        return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ParameterError(f"jobs must be a whole number >= 1 or None, got {jobs!r}.")
    return jobs


def _length(tracks):
    try:
        return len(tracks)
    except TypeError:
        return None
