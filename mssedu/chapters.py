"""The course's chapters, in one table.

Every place that needs to know the chapters reads :data:`CHAPTERS`: the notebook of each
chapter (``notebooks/<notebook>.ipynb``), the prefix of its checked exercises
(``check("<prefix>.<name>", ...)``, registered by ``mssedu.exercises.<exercises>``) and the
module of ``mssedu.plot`` and ``mssedu.widgets`` that holds its figures and widgets. What
several chapters share lives in the module :data:`SHARED_MODULE` of those two packages.

Examples
--------
>>> from mssedu.chapters import CHAPTERS, chapter
>>> len(CHAPTERS)
9
>>> chapter("phase").notebook
'03_phase'
>>> chapter(4).prefix, chapter(4).module
('eval', 'evaluation')
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import ParameterError

__all__ = ["Chapter", "CHAPTERS", "SHARED_MODULE", "chapter"]


@dataclass(frozen=True)
class Chapter:
    """One chapter of the course.

    Attributes
    ----------
    number : int
        0 to 8, the order of the course.
    notebook : str
        File stem of its notebook in ``notebooks/`` (``"03_phase"``).
    prefix : str
        Prefix of its exercise names (``check("phase.griffin_lim", ...)``).
    exercises : str
        Module of ``mssedu.exercises`` that registers those exercises (``"ch03_phase"``).
    module : str
        Module of ``mssedu.plot`` and of ``mssedu.widgets`` with its figures and widgets
        (either package may lack it when the chapter needs none of that kind).
    title : str
        Its title, as the notebook's first heading says it.
    """

    number: int
    notebook: str
    prefix: str
    exercises: str
    module: str
    title: str


#: The chapters, in course order.
CHAPTERS = (
    Chapter(0, "00_setup_and_sound", "sound", "ch00_sound", "data",
            "Setup and sound: what a multitrack is"),
    Chapter(1, "01_stft_and_cqt", "stft", "ch01_stft", "stft",
            "The STFT and the constant-Q transform"),
    Chapter(2, "02_masks", "masks", "ch02_masks", "masks", "Time-frequency masks"),
    Chapter(3, "03_phase", "phase", "ch03_phase", "phase",
            "Phase: from a magnitude back to a waveform"),
    Chapter(4, "04_evaluation", "eval", "ch04_evaluation", "evaluation",
            "Evaluating separation: SDR, SIR, SAR, SI-SDR"),
    Chapter(5, "05_before_deep_learning", "classical", "ch05_classical", "classical",
            "Before deep learning: the classic tricks"),
    Chapter(6, "06_mini_unet", "unet", "ch06_unet", "unet", "A mini U-Net you train yourself"),
    Chapter(7, "07_pretrained_separator", "pretrained", "ch07_pretrained", "pretrained",
            "A pretrained separator on real songs: HT-Demucs"),
    Chapter(8, "08_beyond", "beyond", "ch08_beyond", "spatial",
            "Beyond: stereo images, band-split transformers, diffusion and queries"),
)

#: The module of ``mssedu.plot`` and ``mssedu.widgets`` that several chapters share.
SHARED_MODULE = "core"


def chapter(key) -> Chapter:
    """Look a chapter up by number, notebook stem, exercise prefix or plot/widgets module.

    Parameters
    ----------
    key : int or str
        ``3``, ``"03_phase"``, ``"phase"`` (prefix or module) all name chapter 3.

    Returns
    -------
    Chapter
        The chapter that ``key`` names.

    Raises
    ------
    ParameterError
        No chapter has that number or name.
    """
    for ch in CHAPTERS:
        if key in (ch.number, ch.notebook, ch.prefix, ch.module, ch.exercises) \
                and not isinstance(key, bool):
            return ch
    raise ParameterError(f"No chapter {key!r}. Chapters: "
                         + ", ".join(f"{c.number} ({c.notebook}, exercises {c.prefix!r})"
                                     for c in CHAPTERS) + ".")
