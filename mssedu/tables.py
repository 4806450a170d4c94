"""Results tables as a student reads them: rounded, with units, and footnotes where a figure
needs one.

Every table of scores the course shows goes through :func:`results_table`: two decimals, the
unit in the column header (``SDR (dB)``), no unnamed index column, no empty ``note`` column,
and, for BSS Eval, the footnotes a student needs to read the figures:

* museval's BSS Eval v4 scores a song as the **median over 1-s frames** of each metric
  (chapter 4, section 2): each column's median may come from a different frame, frames where
  a source is silent are skipped, and so SIR or SAR can sit below SDR;
* a value above :data:`CAP_DB` (60 dB) says "no measurable error of that kind in most frames"
  (e.g. a stem that is silent apart from a few frames, or a perfect estimate), not a level: it is
  shown as ``> 60``;
* a median of fewer than :data:`FEW_FRAMES` frames is marked ``*``.

The numbers stay numbers: :attr:`ResultsTable.data` is the table given, unchanged.

Examples
--------
>>> import pandas as pd
>>> scores = pd.DataFrame({"SDR": [6.8612, 2.0], "SIR": [-12.44, 150.2], "SAR": [148.9, 3.14159],
...                        "frames": [6, 2], "note": ["", ""]},
...                       index=pd.Index(["drums", "bass"], name="source"))
>>> print(results_table(scores).to_text())        # doctest: +NORMALIZE_WHITESPACE, +ELLIPSIS
source SDR (dB) SIR (dB) SAR (dB) frames
 drums     6.86   -12.44     > 60      6
  bass    2.00*    > 60*    3.14*      2
<BLANKLINE>
BSS Eval v4 (museval) figures are medians over 1-s frames, metric by metric ...
"""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

from .chapters import chapter
from .errors import ParameterError

__all__ = ["results_table", "format_db", "ResultsTable", "CAP_DB", "FEW_FRAMES", "DB_COLUMNS", "BSS_KINDS"]

#: Values of an energy-ratio metric above this (dB) are shown as ``> 60``.
CAP_DB = 60.0
#: A median over fewer frames than this is marked ``*``.
FEW_FRAMES = 3
#: Column names (or their first word) measured in decibels.
DB_COLUMNS = ("SDR", "ISR", "SIR", "SAR", "SI-SDR", "SNR", "SI-SIR", "SI-SAR", "SD-SDR")
#: What kind of BSS Eval figures a table holds (its footnote): ``"median"`` museval v4, median
#: over 1-s frames; ``"whole"`` one evaluation of the whole excerpt; ``None`` no BSS Eval.
BSS_KINDS = ("median", "whole", None)

_CAPPED = "> {cap:g}"
_FEW = "*"


def format_db(value, decimals: int = 2, cap_db: float = CAP_DB) -> str:
    """One energy ratio in dB as the course shows it: ``decimals`` decimals, ``"> 60"`` above
    ``cap_db`` (no measurable error: the exact figure means nothing), ``"–"`` for NaN. Used by
    :func:`results_table` and by the widgets' live readouts.

    Parameters
    ----------
    value : float
        The ratio in dB.
    decimals : int
        Decimals shown.
    cap_db : float
        Values above this are shown as ``> cap_db``.

    Returns
    -------
    str
        E.g. ``"6.86"``, ``"> 60"`` or ``"–"``.

    Examples
    --------
    >>> format_db(6.8612), format_db(139.9), format_db(float("nan"))
    ('6.86', '> 60', '–')
    """
    value = float(value)
    if np.isnan(value):
        return "–"
    if value > cap_db:
        return _CAPPED.format(cap=cap_db)
    return f"{value:.{int(decimals)}f}"


def _chapter4_link() -> tuple[str, str]:
    """(notebook file, section anchor) where chapter 4 explains the framewise medians."""
    return f"{chapter(4).notebook}.ipynb", "#2.-Framewise-scores"


def _link_text(link: str) -> str:
    """``"04_evaluation.ipynb#2.-Framewise-scores"`` as words: the notebook, then its section."""
    page, _, anchor = link.partition("#")
    return f"notebook {page}, section {anchor.replace('-', ' ')}" if anchor else f"notebook {page}"


def _footnotes(kind, capped: bool, few: bool, cap: float, notes: dict) -> list:
    """The footnotes as ``(text, link)`` pairs; ``link`` is ``None`` or a notebook path."""
    nb, anchor = _chapter4_link()
    out = []
    if kind == "median":
        out.append(("BSS Eval v4 (museval) figures are medians over 1-s frames, metric by "
                    "metric (silent frames skipped): SIR or SAR below SDR is no bug. Chapter 4 "
                    "explains:", nb + anchor))
    elif kind == "whole":
        out.append(("BSS Eval on the whole excerpt: one value per source, not a median over "
                    "frames (chapter 4 compares the two):", nb + anchor))
    if capped:
        out.append((f"> {cap:g}: above {cap:g} dB, i.e. no measurable error of that kind (a perfect "
                    "estimate, or a stem silent in most frames); the exact figure means "
                    "nothing.", None))
    if few:
        out.append((f"{_FEW} the median of fewer than {FEW_FRAMES} frames (the others are silent "
                    "in a reference or an estimate): a fragile figure.", None))
    for label, note in notes.items():
        out.append((f"{label}: {note}.", None))
    return out


def _is_db(name) -> bool:
    """Whether a column is a metric in dB that does not say so already (``SDR``, ``SIR (quick)``)."""
    words = str(name).replace("(", " ").split()
    return bool(words) and words[0] in DB_COLUMNS and "dB" not in str(name)


def _header(name, unit) -> str:
    """The column header shown: the unit added, inside an existing parenthesis if any."""
    text = str(name)
    unit = "dB" if _is_db(text) else (unit if unit and unit not in text else None)
    if not unit:
        return text
    return text.replace("(", f"({unit}, ", 1) if "(" in text else f"{text} ({unit})"


class ResultsTable:
    """A results table for display: the numbers (:attr:`data`), the text shown
    (:attr:`shown`) and its footnotes. Jupyter shows it as HTML; ``print`` as text.

    Parameters
    ----------
    data : pandas.DataFrame
        The numbers, as given to :func:`results_table`.
    shown : pandas.DataFrame
        The same table as strings, with display headers and no index.
    footnotes : list of tuple
        ``(text, link or None)`` lines under the table.
    title : str or None
        A line above the table.
    """

    def __init__(self, data: pd.DataFrame, shown: pd.DataFrame, footnotes: list,
                 title: str | None = None):
        self.data = data
        self.shown = shown
        self.footnotes = list(footnotes)
        self.title = title

    def to_text(self) -> str:
        """The table and its footnotes as plain text.

        Returns
        -------
        str
            Title, table, then one line per footnote.
        """
        lines = [self.title] if self.title else []
        lines.append(self.shown.to_string(index=False))
        if self.footnotes:
            lines.append("")
            lines += [text + (f" {_link_text(link)}" if link else "") for text, link in self.footnotes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        head = f"<p><b>{html.escape(self.title)}</b></p>" if self.title else ""
        table = self.shown.to_html(index=False, border=0, justify="right", escape=True)
        notes = "".join(
            f"<br>{html.escape(text)}"
            + (f' <a href="{html.escape(link)}">{html.escape(_link_text(link))}</a>' if link else "")
            for text, link in self.footnotes)
        foot = f'<p style="font-size: 85%; margin-top: 0.3em">{notes[4:]}</p>' if notes else ""
        return f"<div>{head}{table}{foot}</div>"


def results_table(table: pd.DataFrame, bss: str | None = "median", decimals: int = 2,
                  cap_db: float = CAP_DB, unit: str | None = None, index_name: str | None = None,
                  title: str | None = None) -> ResultsTable:
    """A table of scores ready to show: rounded, units in the headers, degenerate values
    capped, and footnotes saying how BSS Eval's figures were made.

    Parameters
    ----------
    table : pandas.DataFrame
        Numbers (e.g. :func:`mssedu.metrics.bss_eval`, :func:`mssedu.separation.compare`).
        Columns named after a metric (``SDR``, ``SIR``, ``SAR``, ``ISR``, ``SI-SDR``, ...) get
        ``(dB)`` in their header; a ``frames`` column (frames with a value) marks medians of
        fewer than :data:`FEW_FRAMES` frames with ``*``; a ``note`` column becomes footnotes.
    bss : {"median", "whole", None}
        What the BSS Eval figures are, for the footnote: museval v4's ``"median"`` over 1-s
        frames (the default, as :func:`mssedu.metrics.bss_eval`), one evaluation of the
        ``"whole"`` excerpt (``window=None``, :func:`mssedu.metrics.bss_eval_quick`), or
        ``None`` (no BSS Eval figures; no footnote).
    decimals : int
        Decimals of every non-integer number.
    cap_db : float
        dB values above this are shown as ``> cap_db`` (with a footnote).
    unit : str or None
        Unit for the numeric columns whose header does not already say one (e.g. ``"dB"``
        for a pivot table whose columns are sources).
    index_name : str or None
        Header of the row labels (default: the index's name; a plain ``0, 1, 2...`` index is
        left out).
    title : str or None
        A line above the table.

    Returns
    -------
    ResultsTable
        Shows itself in Jupyter (HTML) and as text (``print``); ``.data`` holds the numbers.
    """
    if not isinstance(table, pd.DataFrame):
        raise ParameterError(f"results_table needs a pandas DataFrame, got {type(table).__name__}; "
                             "build one first (e.g. pd.DataFrame(rows)).")
    if bss not in BSS_KINDS:
        raise ParameterError(f"bss must be one of {BSS_KINDS}, got {bss!r}.")
    if int(decimals) != decimals or decimals < 0:
        raise ParameterError(f"decimals must be a whole number >= 0, got {decimals!r}.")
    df = table.copy()
    if isinstance(df.index, pd.RangeIndex) and df.index.name is None and index_name is None:
        labels = None
    else:
        labels = [str(v) for v in df.index]
        name = index_name or df.index.name or ""
        df = df.reset_index(drop=True)
        df.insert(0, name if name not in df.columns else f"{name} ", labels)
    if bss == "whole" and "frames" in df.columns:     # one frame: the count says nothing
        df = df.drop(columns="frames")
    notes = {}
    if "note" in df.columns:
        key = df.columns[0] if labels is not None else None
        for i, note in enumerate(df["note"].astype(str)):
            if note.strip():
                notes[str(df.iloc[i][key]) if key is not None else f"row {i}"] = note.strip()
        df = df.drop(columns="note")
    frames = df["frames"] if "frames" in df.columns else None
    few_rows = (np.asarray(pd.to_numeric(frames, errors="coerce") < FEW_FRAMES)
                if frames is not None and bss == "median" else np.zeros(len(df), bool))
    capped = False
    shown = pd.DataFrame(index=df.index)
    for col in df.columns:
        values = df[col]
        header = _header(col, unit if pd.api.types.is_float_dtype(values) else None)
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            shown[header] = values.astype(str)
            continue
        is_int = pd.api.types.is_integer_dtype(values)
        db = _is_db(col) or (unit == "dB" and not is_int)
        cells = []
        for i, v in enumerate(values):
            if pd.isna(v):
                cells.append("–")
                continue
            if db:
                capped = capped or v > cap_db
                text = format_db(v, decimals, cap_db)
            else:
                text = f"{int(v)}" if is_int else f"{float(v):.{int(decimals)}f}"
            if db and few_rows[i] and bss == "median":
                text += _FEW
            cells.append(text)
        shown[header] = cells
    shown = shown.reset_index(drop=True)
    footnotes = _footnotes(bss, capped, bool(few_rows.any()), cap_db, notes)
    return ResultsTable(table, shown, footnotes, title)
