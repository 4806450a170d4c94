"""Widget labels are not cut off. ipywidgets gives a control's ``description`` a fixed label
box (``--jp-widgets-inline-description-width``, 80 px: about 10 characters) and clips longer
text with an ellipsis unless the widget sets ``style={"description_width": "initial"}``
(:data:`mssedu.widgets.core.WIDE_LABEL`). Buttons, check boxes and toggle buttons show their
description inside or beside the control, unclipped. Checked statically on every widget
constructor call in ``mssedu/widgets``, so a label is checked even where no test builds it."""
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


FILES = sorted(WIDGETS.glob("*.py"))


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
