"""Widget labels are not cut off. ipywidgets gives a control's ``description`` a fixed label
box (``--jp-widgets-inline-description-width``, 80 px: about 10 characters) and clips longer
text with an ellipsis unless the widget sets ``style={"description_width": "initial"}``
(:data:`mssedu.widgets.core.WIDE_LABEL`). Buttons, check boxes and toggle buttons show their
description inside or beside the control, unclipped. Checked statically on every widget
constructor call in ``mssedu/widgets``, so a label is checked even where no test builds it.

Buttons and toggle buttons are drawn 148 px wide (``--jp-widgets-inline-width-short``) and cut
a longer caption with an ellipsis ("karaoke (mute vo...", "phase-sensitive (..."): one longer
than :data:`BUTTON_FITS` characters, or computed, needs ``layout=w.Layout(width=...)`` (a
Button) or ``style={"button_width": ...}`` (ToggleButtons)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mssedu.widgets

WIDGETS = Path(mssedu.widgets.__file__).resolve().parent
#: characters that fit the default 80-px label box
FITS = 10
#: controls whose description is not drawn in the clipped label box
UNCLIPPED = {"Button", "Checkbox", "ToggleButton", "FileUpload", "HTML", "Label", "Output",
             "Audio", "Image", "VBox", "HBox", "Box", "Layout"}
def _offenders(path: Path) -> list:
    out = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if not name[:1].isupper() or name in UNCLIPPED:
            continue
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        if "description" not in kw or "style" in kw:
            continue
        value = kw["description"]
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            if len(value.value) <= FITS:
                continue
            what = repr(value.value)
        else:
            what = f"{ast.unparse(value)} (computed: its length is not known)"
        out.append(f"{path.name}:{node.lineno} {name}(description={what})")
    return out


#: characters that fit a 148-px button
BUTTON_FITS = 16


def _long_or_computed(node) -> str | None:
    """The caption(s) of ``node`` if one may not fit a button, else None."""
    texts = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
    for t in texts:
        t = t.elts[0] if isinstance(t, ast.Tuple) and t.elts else t   # (label, value) pairs
        if not (isinstance(t, ast.Constant) and isinstance(t.value, str) and len(t.value) <= BUTTON_FITS):
            return ast.unparse(node)
    return None


def _button_offenders(path: Path) -> list:
    out = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        caption, widened = {"Button": ("description", "layout"), "ToggleButtons": ("options", "style")}.get(name, (None, None))
        if caption in kw and widened not in kw and _long_or_computed(kw[caption]):
            out.append(f"{path.name}:{node.lineno} {name}({caption}={_long_or_computed(kw[caption])})")
    return out


FILES = sorted(WIDGETS.glob("*.py")) + sorted((WIDGETS.parent / "app").glob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_long_widget_labels_set_a_wide_label_box(path):
    offenders = _offenders(path)
    assert not offenders, ("labels longer than the 80-px label box, clipped in the notebook; pass "
                           "style=WIDE_LABEL (mssedu.widgets.core):\n" + "\n".join(offenders))


def test_the_check_catches_a_long_label(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('import ipywidgets as w\n'
                   'a = w.IntSlider(description="channels from")\n'
                   'b = w.IntSlider(description="hop")\n'
                   'c = w.IntSlider(description="channels from", style={"description_width": "initial"})\n'
                   'd = w.Dropdown(description=name)\n'
                   'e = w.Button(description="a long button label")\n')
    assert _offenders(bad) == ["bad.py:2 IntSlider(description='channels from')",
                               "bad.py:5 Dropdown(description=name (computed: its length is not known))"]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_long_button_captions_get_their_width(path):
    offenders = _button_offenders(path)
    assert not offenders, ("button captions longer than a 148-px button, cut with an ellipsis; pass "
                           "layout=w.Layout(width='auto') or style={'button_width': 'auto'}:\n"
                           + "\n".join(offenders))


def test_the_button_check_catches_a_cut_caption(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('import ipywidgets as w\n'
                   'a = w.Button(description="karaoke (mute vocals)")\n'
                   'b = w.Button(description="listen")\n'
                   'c = w.Button(description="karaoke (mute vocals)", layout=w.Layout(width="auto"))\n'
                   'd = w.ToggleButtons(options=["binary (IBM)", "phase-sensitive (PSM)"])\n'
                   'e = w.ToggleButtons(options=[("classic", 0.0), ("fast", 0.99)])\n'
                   'f = w.ToggleButtons(options=list(MASKS), style={"button_width": "auto"})\n')
    assert _button_offenders(bad) == ["bad.py:2 Button(description='karaoke (mute vocals)')",
                                      "bad.py:5 ToggleButtons(options=['binary (IBM)', 'phase-sensitive (PSM)'])"]
