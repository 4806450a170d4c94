"""The whole course pipeline on the real excerpt, headless: what ``mssedu demo`` runs.

Oracle masks (IRM), the same magnitudes with Griffin-Lim and with MISI phases, the mini
U-Net (the shipped checkpoint, ``MSSEDU_UNET_CHECKPOINT``, or a fresh training run on
synthetic songs), HT-Demucs when its weights are here; one SDR/SIR/SAR table (vocals and
accompaniment, BSSEval v4 medians), and optionally the stems, the table and a figure in a
folder that appears whole or not at all.

Examples
--------
>>> from mssedu.pipeline import run_demo
>>> result = run_demo(out=None, log=lambda line: None)          # doctest: +SKIP
>>> result.table                                                 # doctest: +SKIP
"""
from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import audio
from .atomic import move_into_place, new_part_folder
from .config import fast_mode
from .data import example_track
from .errors import DataError, ModelLoadingError
from .masks import oracle_separate
from .phase import griffin_lim, misi
from .plot.pretrained import demo_figure
from .separation import RANDOM_MODEL, compare, find_weights, load_separator, separate
from .spectral import stft
from .tables import results_table
from .models import shipped_checkpoint, train

__all__ = ["DemoResult", "run_demo", "demo_text", "slug"]

@dataclass
class DemoResult:
    """What :func:`run_demo` returns.

    Attributes
    ----------
    table : pandas.DataFrame or None
        ``separator``, ``source``, ``SDR``, ``SIR``, ``SAR`` (dB); None if nothing ran.
    estimates : dict
        ``{method: {stem: (channels, samples)}}``.
    notes : list of str
        One line per step that was skipped, and why.
    out : Path or None
        The folder written.
    """

    table: pd.DataFrame | None
    estimates: dict
    notes: list = field(default_factory=list)
    out: Path | None = None


def slug(text: str) -> str:
    """A file-name-safe version of ``text``.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        Letters, digits, ``.``, ``_`` and ``-`` only (never empty).
    """
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("_") or "model"


def demo_text(table: pd.DataFrame) -> str:
    """The demo table as text (:func:`mssedu.tables.results_table`: two decimals, dB in the
    headers, capped degenerate values, and the footnote on BSS Eval v4's framewise medians).

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`DemoResult.table`.

    Returns
    -------
    str
    """
    return results_table(table, bss="median").to_text()


def _step(title: str, fn, notes: list, log):
    """Run one demo step; a failure or a missing optional module is one clear line."""
    t0 = time.perf_counter()
    log(f"- {title} ...")
    try:
        value = fn()
    except ModuleNotFoundError as err:
        notes.append(f"{title}: skipped, module {err.name} is not available.")
    except Exception as err:
        notes.append(f"{title}: skipped ({type(err).__name__}: {str(err)[:300]})")
    else:
        log(f"  done in {time.perf_counter() - t0:.1f} s")
        return value
    log(f"  {notes[-1]}")
    return None


def _methods(track, repo, random_htdemucs: bool, unet_seconds, progress: bool) -> list:
    """``[(label, title, fn)]``: the demo's separation steps, in order."""
    n_fft, hop = 4096, 1024
    n_iter = 16 if fast_mode() else 32
    n = track.mixture.shape[-1]
    cache = {}

    def irm():
        cache["irm"] = oracle_separate(track, "irm", n_fft=n_fft, hop_length=hop)
        return cache["irm"]

    def magnitudes():
        return {k: np.abs(stft(v, n_fft, hop)) for k, v in cache["irm"].items()}

    def gl():
        return {k: np.asarray(griffin_lim(m, n_iter=n_iter, momentum=0.99, n_fft=n_fft,
                                          hop_length=hop, length=n).signal)
                for k, m in magnitudes().items()}

    def misi_():
        res = misi(magnitudes(), track.mixture, n_iter=n_iter, init="mixture", n_fft=n_fft, hop_length=hop)
        return {k: np.asarray(v) for k, v in res.estimates.items()}

    def unet():
        if unet_seconds:
            sep = train(max_seconds=unet_seconds, val_every=25, progress=progress).separator
        else:
            sep = load_separator(os.environ.get("MSSEDU_UNET_CHECKPOINT") or shipped_checkpoint())
        return separate(sep, track.mixture, track.sr, two_stems="vocals", progress=progress)

    def htdemucs():
        if repo is None and find_weights("htdemucs") is None:
            raise ModelLoadingError("its weights are not on this machine. Get them with `mssedu "
                                    "download htdemucs` (needs internet; or `--to DIR` and copy DIR "
                                    "here, then `mssedu demo --repo DIR`).")
        return separate(load_separator("htdemucs", repo=repo), track.mixture, track.sr, progress=progress)

    def random_model():
        return separate(load_separator(RANDOM_MODEL), track.mixture, track.sr, progress=progress)

    if unet_seconds:
        unet_title = f"mini U-Net (trained now for {unet_seconds:.0f} s on synthetic songs)"
    elif os.environ.get("MSSEDU_UNET_CHECKPOINT"):
        unet_title = "mini U-Net (checkpoint in $MSSEDU_UNET_CHECKPOINT)"
    else:
        unet_title = "mini U-Net (shipped checkpoint, trained on synthetic songs)"
    steps = [("oracle IRM", "oracle ratio mask (IRM, mixture phase)", irm),
             ("IRM + Griffin-Lim", f"IRM magnitudes + Griffin-Lim phase ({n_iter} iterations, random start)", gl),
             ("IRM + MISI", f"IRM magnitudes + MISI phase ({n_iter} iterations from the mixture phase)", misi_),
             ("mini U-Net", unet_title, unet),
             ("HT-Demucs", "HT-Demucs (pretrained)", htdemucs)]
    if random_htdemucs:
        steps.append(("HT-Demucs (random weights)",
                      "HT-Demucs with RANDOM weights (mechanics only, not a result)", random_model))
    return steps


def _write(out: Path, force: bool, result: DemoResult, track, log) -> None:
    """Stems, table and figure into a temporary folder beside ``out``, then moved into place."""
    out = out.expanduser()
    try:
        tmp = new_part_folder(out)
    except OSError as err:
        raise DataError(f"Cannot write the demo output next to {out}: {err.strerror or err}. "
                        "Choose another folder with --out.") from err
    try:
        for method, stems in result.estimates.items():
            for stem, sig in stems.items():
                audio.save(tmp / slug(method) / f"{stem}.wav", sig, track.sr)
        if result.table is not None:
            result.table.to_csv(tmp / "demo_table.csv", index=False)
            (tmp / "demo_table.txt").write_text(demo_text(result.table) + "\n")
            vocals = {k: v["vocals"] for k, v in result.estimates.items() if "vocals" in v}
            fig = _step("figure", lambda: demo_figure(result.table, vocals, track), result.notes, log)
            if fig is not None:
                fig.savefig(tmp / "demo_figure.png", dpi=110)
        if out.exists() and not force:
            raise DataError(f"{out} appeared while the demo ran; pass --force to replace it.")
        move_into_place(tmp, out)
    except OSError as err:
        raise DataError(f"Could not write the demo output to {out}: {err.strerror or err}; "
                        "nothing was written.") from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result.out = out


def run_demo(out="mssedu-demo", force: bool = False, repo=None, random_htdemucs: bool = False,
             unet_seconds: float | None = None, progress: bool = False, log=print) -> DemoResult:
    """Run the demo pipeline on the real excerpt (see the module docstring).

    Parameters
    ----------
    out : str, Path or None
        Folder for stems, table and figure (``None``: write nothing). It appears whole or
        not at all.
    force : bool
        Replace an existing ``out``.
    repo : str or Path, optional
        Folder with the HT-Demucs weights.
    random_htdemucs : bool
        Also run HT-Demucs with random weights (mechanics only).
    unet_seconds : float, optional
        Train a fresh mini U-Net for this long instead of using the shipped checkpoint.
    progress : bool
        Progress bars.
    log : callable
        Called with each line of the running commentary.

    Returns
    -------
    DemoResult

    Raises
    ------
    DataError
        ``out`` exists (without ``force``), is a file, or cannot be written.
    """
    if out is not None:
        out = Path(out).expanduser()
        if out.exists() and not out.is_dir():
            raise DataError(f"{out} is a file, not a folder; choose another folder with --out.")
        if out.exists() and any(out.iterdir()) and not force:
            raise DataError(f"{out} already holds files; pass --force to replace it or choose "
                            "another folder with --out.")
    track = example_track()
    log(f"mssedu demo on {track.name!r} ({track.duration:.1f} s, {track.sr} Hz)"
        + (" [fast mode]" if fast_mode() else ""))
    estimates, notes = {}, []
    for label, title, fn in _methods(track, repo, random_htdemucs, unet_seconds, progress):
        if label in ("IRM + Griffin-Lim", "IRM + MISI") and "oracle IRM" not in estimates:
            continue
        value = _step(title, fn, notes, log)
        if value is not None:
            estimates[label] = value
    table = None
    if estimates:
        table = _step("scoring (BSSEval v4, vocals vs accompaniment)",
                      lambda: compare(estimates, track, two_stems="vocals", progress=False), notes, log)
    result = DemoResult(table, estimates, notes)
    if out is not None:
        _write(out, force, result, track, log)
    return result
