"""The grade sheet: ``grades.csv`` for the LMS, ``grades.html`` and one feedback page each.

Written by :func:`mssedu.grading.grade`. Each file is written whole (to a temporary name, then
renamed), so an interrupted run never leaves half a sheet.
"""
from __future__ import annotations

import csv
import html
import io
import os
from pathlib import Path

__all__ = ["write_sheet", "feedback_page"]

_CELL = "<td style='border:1px solid #ccc;padding:2px 6px'>{}</td>"


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _total(res) -> float:
    return sum(res["scores"].values())


def feedback_page(student: str, res: dict, names: list, possible: dict, isolation: str) -> str:
    """One student's feedback: each exercise's tests, passed or not; hidden tests show only
    pass or fail; a cell that raised says so, with its number as the student sees it.

    Parameters
    ----------
    student : str
    res : dict
        :func:`mssedu.grading.grade_submission`'s result.
    names : list of str
        The exercises, in order.
    possible : dict
        Points possible per exercise.
    isolation : str
        How the submission was isolated (one line).

    Returns
    -------
    str
        The HTML page.
    """
    body = [f"<!doctype html><meta charset='utf-8'><h2>{html.escape(student)}: "
            f"{_total(res):g} / {sum(possible.values()):g}</h2>"]
    if res["note"]:
        body.append(f"<p><b>Note:</b> {html.escape(res['note'])}</p>")
    for n in names:
        body.append(f"<h3>{html.escape(n)}: {res['scores'][n]:g} / {possible[n]:g}</h3>")
        if res.get("messages", {}).get(n):
            body.append(f"<p>{html.escape(res['messages'][n])}</p>")
        body.append("<ul>")
        for test, passed, hidden, message in res["tests"][n]:
            what = "hidden test" if hidden else html.escape(test)
            why = "" if passed or hidden or not message else f": {html.escape(message)}"
            body.append(f"<li>{'✔' if passed else '✘'} {what}{why}</li>")
        body.append("</ul>")
    body.append(f"<p style='color:#666'>Graded in fast mode; isolation: {html.escape(isolation)}</p>")
    return "\n".join(body)


def write_sheet(rows, names, possible, out, isolation: str, warning: str = "") -> None:
    """Write ``grades.csv``, ``grades.html`` and ``feedback/<student>.html`` in ``out``.

    Parameters
    ----------
    rows : list of tuple
        ``(student, result)``.
    names : list of str
        The exercises, in order.
    possible : dict
        Points possible per exercise.
    out : path-like
        The folder (exists).
    isolation : str
        How the submissions were isolated (one line, in the sheet).
    warning : str
        Printed on top of the sheet (e.g. graded without a sandbox).
    """
    out = Path(out)
    header = ["student", *names, "total", "note"]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerow(["(possible)", *[f"{possible[n]:g}" for n in names], f"{sum(possible.values()):g}",
                f"isolation: {isolation}" + (f"; WARNING: {warning}" if warning else "")])
    for student, res in rows:
        w.writerow([student, *[f"{res['scores'][n]:g}" for n in names], f"{_total(res):g}", res["note"]])
    _write(out / "grades.csv", buf.getvalue())
    lines = ["<!doctype html><meta charset='utf-8'><title>Grades</title>"]
    if warning:
        lines.append(f"<p style='color:#b3261e'><b>Warning:</b> {html.escape(warning)}</p>")
    lines += [f"<p>Isolation: {html.escape(isolation)}. Graded in fast mode.</p>",
              "<table style='border-collapse:collapse'><tr>"
              + "".join(f"<th style='border:1px solid #ccc'>{html.escape(h)}</th>" for h in header) + "</tr>",
              "<tr>" + _CELL.format("<i>possible</i>") + "".join(_CELL.format(f"{possible[n]:g}") for n in names)
              + _CELL.format(f"{sum(possible.values()):g}") + _CELL.format("") + "</tr>"]
    for student, res in rows:
        link = f"<a href='feedback/{html.escape(student)}.html'>{html.escape(student)}</a>"
        lines.append("<tr>" + _CELL.format(link) + "".join(_CELL.format(f"{res['scores'][n]:g}") for n in names)
                     + _CELL.format(f"<b>{_total(res):g}</b>") + _CELL.format(html.escape(res["note"])) + "</tr>")
    _write(out / "grades.html", "\n".join(lines + ["</table>"]))
    (out / "feedback").mkdir(exist_ok=True)
    for student, res in rows:
        _write(out / "feedback" / f"{student}.html", feedback_page(student, res, names, possible, isolation))
