"""Score separators against a track's true stems, in one table.

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

import pandas as pd

from ..errors import ParameterError
from ..metrics import bss_eval
from .api import fold_two_stems, separate

__all__ = ["evaluate", "compare"]


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
    df = bss_eval(refs, {k: estimates[k] for k in refs}, track.sr, **bss_kwargs).reset_index()
    df.insert(0, "separator", label)
    return df


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
