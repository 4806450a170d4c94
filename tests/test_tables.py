"""mssedu.tables: results tables as shown. Two decimals, dB in the headers, no unnamed index,
no empty note column, degenerate BSS Eval values capped at 60 dB, medians of few frames
marked, and a footnote that links to chapter 4's explanation of museval's framewise median."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mssedu.errors import ParameterError
from mssedu.metrics import bss_eval
from mssedu.tables import CAP_DB, FEW_FRAMES, results_table


def _scores():
    return pd.DataFrame({"SDR": [6.8612, 2.0], "ISR": [9.0, 8.0], "SIR": [-12.4449, 150.2],
                         "SAR": [148.9, 3.14159], "frames": [6, 2], "note": ["", ""]},
                        index=pd.Index(["drums", "bass"], name="source"))


def test_rounding_units_index_and_empty_note_column():
    t = results_table(_scores())
    assert list(t.shown.columns) == ["source", "SDR (dB)", "ISR (dB)", "SIR (dB)", "SAR (dB)", "frames"]
    row = t.shown.iloc[0].tolist()
    assert row == ["drums", "6.86", "9.00", "-12.44", f"> {CAP_DB:g}", "6"]
    assert t.data is not None and t.data.loc["drums", "SAR"] == 148.9     # the numbers stay numbers


def test_degenerate_values_are_capped_and_few_frames_marked():
    t = results_table(_scores())
    bass = t.shown.iloc[1].tolist()
    assert FEW_FRAMES > 2
    assert bass == ["bass", "2.00*", "8.00*", "> 60*", "3.14*", "2"]
    text = t.to_text()
    assert "> 60: above 60 dB" in text and "fewer than 3 frames" in text
    # a value at the cap is shown, just above it is not
    edge = results_table(pd.DataFrame({"SAR": [60.0, 60.01]}), bss=None).shown["SAR (dB)"].tolist()
    assert edge == ["60.00", "> 60"]


def test_footnote_explains_the_framewise_median_and_links_chapter_4():
    t = results_table(_scores())
    html = t._repr_html_()
    assert "medians over 1-s frames" in t.to_text()
    assert 'href="04_evaluation.ipynb#2.-Framewise-scores"' in html
    assert "<th>SDR (dB)</th>" in html and "&gt; 60" in html
    assert "notebook 04_evaluation.ipynb, section 2. Framewise scores" in t.to_text()
    whole = results_table(_scores(), bss="whole")
    assert "whole excerpt" in whole.to_text() and "frames" not in whole.shown.columns
    assert "*" not in "".join(whole.shown["SDR (dB)"])                 # no frame medians there
    plain = results_table(pd.DataFrame({"SI-SDR": [1.234]}), bss=None)
    assert plain.footnotes == [] and plain.to_text() == "SI-SDR (dB)\n       1.23"


def test_headers_say_their_unit_once():
    df = pd.DataFrame({"SDR (v4, median)": [1.0], "SIR (quick)": [2.0], "gain (dB)": [3.0],
                       "vocals SDR": [4.0], "n": [5]}, index=pd.Index(["IBM"]))
    t = results_table(df, unit="dB", index_name="mask")
    assert list(t.shown.columns) == ["mask", "SDR (dB, v4, median)", "SIR (dB, quick)", "gain (dB)",
                                     "vocals SDR (dB)", "n"]
    assert t.shown.iloc[0].tolist() == ["IBM", "1.00", "2.00", "3.00", "4.00", "5"]


def test_notes_become_footnotes_and_nan_a_dash():
    rng = np.random.default_rng(0)
    ref = {"a": rng.standard_normal((1, 32000)), "b": np.zeros((1, 32000))}
    est = {"a": ref["a"] + 0.1 * rng.standard_normal((1, 32000)), "b": rng.standard_normal((1, 32000))}
    with pytest.warns(UserWarning):
        scores = bss_eval(ref, est, sr=8000)
    t = results_table(scores)
    assert "note" not in t.shown.columns
    assert t.shown.set_index("source").loc["b", "SDR (dB)"] == "–"
    assert any(text.startswith("b: reference is silent") for text, _ in t.footnotes)
    assert t.shown.set_index("source").loc["a", "SDR (dB)"] == f"{scores.loc['a', 'SDR']:.2f}"


def test_bad_arguments():
    with pytest.raises(ParameterError, match="DataFrame"):
        results_table([1, 2])
    with pytest.raises(ParameterError, match="bss"):
        results_table(_scores(), bss="mean")


def test_format_db_is_the_one_rounding_of_a_db_value():
    from mssedu.tables import format_db
    assert [format_db(v) for v in (6.8612, -12.444, 60.0, 139.9, float("nan"))] == \
        ["6.86", "-12.44", "60.00", "> 60", "–"]
    assert format_db(3.14159, decimals=1) == "3.1"


def test_mask_explorer_readout_caps_the_perfect_complex_mask():
    """The cIRM reconstructs the target to float rounding: the live readout says '> 60 dB',
    not a meaningless 140 dB."""
    from mssedu.data import example_track
    from mssedu.widgets import mask_explorer
    box = mask_explorer(example_track().excerpt(0.0, 1.5), target="vocals")
    kind = box.children[0].children[1]
    kind.value = "complex (cIRM)"
    readout = box.children[3].children[1].value
    assert readout.count("> 60 dB") == 3, readout
    kind.value = "ratio (IRM)"
    readout = box.children[3].children[1].value
    assert "> 60" not in readout and readout.count(" dB</td>") == 3
