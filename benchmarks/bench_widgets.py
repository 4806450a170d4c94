"""Widget latency: how long each notebook widget takes to answer a move of each control.

Every widget of the notebooks is built as its notebook builds it (full mode: the whole
5.95-s example excerpt and the notebook's settings; ``--quick``: a 2-s excerpt, fewer moves,
a smoke run). Then each control (slider, menu, toggle) is moved through its values, one
value after the other and back, calling the widget's update handler exactly as a browser
move does (setting the control's ``value`` fires its observers synchronously); each move
is timed. Figures are rendered to PNG on every move as in a notebook (IPython's inline
backend is switched on: without it a figure would cost nothing to "show"). The workshop
app's mask explorer is measured as the app builds it (its large fonts, the excerpt it
explores). Rows: one per widget and control, ``mssedu_s`` = the 95th percentile of the move
times, ``ref_s`` = the target, 0.3 s (so ``ratio`` >= 1 meets it), the note gives p50, p95,
the number of moves and the time to build the widget. What a student sees in the browser
adds the transfer of the new figure and player (``tests/test_browser.py`` measures that for
the mask and phase explorers). Run on the machine the course targets (2 cores) and state its
load (``uptime``) with the numbers.
"""
from __future__ import annotations

import sys
import time

import ipywidgets as w
import matplotlib
import numpy as np

from mssedu import widgets
from mssedu.data import example_track
from mssedu.masks import oracle_separate
from mssedu.models import MiniUNet, UNetSeparator, shipped_checkpoint

from . import row

TARGET_S = 0.3          # the bar: every control answers within 0.3 s at the 95th percentile


def _controls(box):
    """Every control of a widget tree: (description, widget, values to visit)."""
    found, todo = [], [box]
    while todo:
        node = todo.pop(0)
        todo.extend(getattr(node, "children", ()))
        if isinstance(node, (w.SelectionSlider, w.Dropdown, w.ToggleButtons, w.RadioButtons)):
            values = [o[1] if isinstance(o, tuple) else o for o in node.options]
        elif isinstance(node, (w.IntSlider, w.FloatSlider)):
            values = list(np.linspace(node.min, node.max, 6))
            values = [type(node.value)(v) for v in values]
        elif isinstance(node, w.FloatLogSlider):   # min and max are exponents of its base
            values = [float(node.base ** e) for e in np.linspace(node.min, node.max, 6)]
        elif isinstance(node, (w.Checkbox, w.ToggleButton)):
            values = [not node.value, node.value]
        else:
            continue
        found.append((node.description or type(node).__name__, node, values))
    return found


def _move_times(control, values, moves: int) -> list:
    """Time ``moves`` value changes of ``control``, visiting ``values`` forth and back."""
    path = [v for v in values if v != control.value] + [control.value]
    times = []
    for k in range(moves):
        t0 = time.perf_counter()
        control.value = path[k % len(path)]
        times.append(time.perf_counter() - t0)
    return times


def _inline_figures() -> None:
    """Render figures shown in an ``ipywidgets.Output`` to PNG as a Jupyter kernel does
    (matplotlib-inline's formatter), so that a move's time includes drawing its figure."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats

    # what matplotlib-inline configures in a kernel: PNG, cropped to the drawn area
    select_figure_formats(InteractiveShell.instance(), {"png"}, bbox_inches="tight")


def _app_explorer(track, quick: bool):
    """The workshop app's mask explorer, built as :func:`mssedu.app.workshop` builds it."""
    from mssedu.app.explore import explore_section
    from mssedu.app.style import BIG_FIGURES

    matplotlib.rcParams.update(BIG_FIGURES)   # kept for its moves, undone by measure()
    return explore_section(track, 2.0 if quick else None, 2.0, {}).holder.children[0]


def _snapshots_player(track, quick: bool):
    """Notebook 06's snapshot player after a short run of the tiny U-Net on synthetic songs
    (never the example excerpt: it is only scored)."""
    from mssedu.models import train

    result = train(preset="tiny", steps=8 if quick else 24, val_every=4 if quick else 6, batch_size=2,
                   songs=2, song_seconds=4.0, progress=False, snapshots=True)
    return widgets.training_snapshots_player(result, track, seconds=4.0)


def _factories(track, quick: bool) -> dict:
    """Widget name -> a function building it as its notebook does."""
    shipped = UNetSeparator.from_checkpoint(shipped_checkpoint())
    n_iter = 16 if quick else 100
    return {
        "00 stem_mixer": lambda: widgets.stem_mixer(track),
        "00 augmentation_explorer": lambda: widgets.augmentation_explorer([track, track], seconds=2.0),
        "01 stft_explorer": lambda: widgets.stft_explorer(track, stems=("drums", "vocals")),
        "01 cola_explorer": lambda: widgets.cola_explorer(track.mixture[:, :track.sr], track.sr,
                                                          n_fft=1024, window="hann", hop=512),
        "01 cqt_explorer": lambda: widgets.cqt_explorer(track, stem="vocals"),
        "02 wdo_explorer": lambda: widgets.wdo_explorer(track),
        "02 mask_explorer": lambda: widgets.mask_explorer(track, 4096, 1024, target="vocals"),
        "03 phase_choice_explorer": lambda: widgets.phase_choice_explorer(track, n_fft=2048, hop_length=512),
        "03 griffin_lim_explorer": lambda: widgets.griffin_lim_explorer(track, "vocals", max_iter=n_iter),
        "04 gain_explorer": lambda: widgets.gain_explorer(track.stems["vocals"],
                                                          oracle_separate(track, "irm")["vocals"], track.sr),
        "04 distortion_explorer": lambda: widgets.distortion_explorer(track, "vocals"),
        "04 listening_test": lambda: widgets.listening_test(
            track.stems["vocals"], {"IRM": oracle_separate(track, "irm")["vocals"], "mixture": track.mixture},
            track.sr, _scratch() / "ratings.csv", listener="bench"),
        "05 karaoke_explorer": lambda: widgets.karaoke_explorer(track),
        "05 hpss_explorer": lambda: widgets.hpss_explorer(track, n_fft=2048, hop_length=512),
        "05 repet_explorer": lambda: widgets.repet_explorer(track, n_fft=2048, hop_length=512),
        "06 feature_map_browser": lambda: widgets.feature_map_browser(MiniUNet.from_preset("tiny"), track,
                                                                      seconds=3.0),
        "06 mask_sharpness_explorer": lambda: widgets.mask_sharpness_explorer(shipped, track),
        "06 training_snapshots_player": lambda: _snapshots_player(track, quick),
        "07 chunking_explorer": lambda: widgets.chunking_explorer(seconds=30.0),
        "07 karaoke_mixer": lambda: widgets.karaoke_mixer(track.stems, track.sr, mixture=track.mixture),
        "08 panning_explorer": lambda: widgets.panning_explorer(track, "vocals"),
        "08 stereo_image_explorer": lambda: widgets.stereo_image_explorer(track),
        "app mask explorer": lambda: _app_explorer(track, quick),
    }


def _scratch():
    """A temporary folder for what a widget writes (the listening test's ratings)."""
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="mssedu-bench-"))


def measure(name: str, factory, moves: int) -> list:
    """Rows for one widget: build it, then move each of its controls ``moves`` times."""
    with matplotlib.rc_context():   # a widget's rcParams (the app's big fonts) hold for its moves only
        return _measure(name, factory, moves)


def _measure(name: str, factory, moves: int) -> list:
    t0 = time.perf_counter()
    box = factory()
    build = time.perf_counter() - t0
    rows = []
    for label, control, values in _controls(box):
        try:
            times = _move_times(control, values, moves)
        except Exception as err:   # a control that breaks is a finding: report it, go on
            rows.append(row(f"widget {name}: {label}", f"target {TARGET_S} s (p95)", TARGET_S, float("nan"),
                            f"FAILED on a move: {type(err).__name__}: {err}"))
            continue
        p50, p95 = np.percentile(times, [50, 95])
        rows.append(row(f"widget {name}: {label}", f"target {TARGET_S} s (p95)", TARGET_S, float(p95),
                        f"p50 {p50:.3f} s, p95 {p95:.3f} s, {len(times)} moves; built in {build:.1f} s"))
    return rows


def run(quick: bool = False, only: str | None = None) -> list:
    matplotlib.use("Agg")
    _inline_figures()
    track = example_track()
    if quick:
        track = track.excerpt(1.0, 3.0)
    moves = 4 if quick else 20
    rows = []
    for name, factory in _factories(track, quick).items():
        if only is None or only in name:
            new = measure(name, factory, moves)
            for r in new:   # progress: a full run takes minutes
                print(f"  {r['benchmark']}: {r['note']}", file=sys.stderr, flush=True)
            rows += new
    return rows
