"""The course's chapters, in one table: one name per chapter.

A chapter's :attr:`~Chapter.name` is used everywhere the chapter appears: its notebook
``notebooks/NN_<name>.ipynb``, its checked exercises ``check("<name>.<exercise>", ...)``
registered by ``mssedu.exercises.<name>``, and the module ``mssedu.plot.<name>`` /
``mssedu.widgets.<name>`` that holds what the chapter draws. What several chapters share
lives in the module :data:`SHARED_MODULE` of those two packages.

Examples
--------
>>> from mssedu.chapters import CHAPTERS, chapter
>>> len(CHAPTERS)
9
>>> chapter("phase").notebook
'03_phase'
>>> chapter(4).name
'evaluation'
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
    name : str
        The chapter's one name: exercise prefix, and module of ``mssedu.exercises``,
        ``mssedu.plot`` and ``mssedu.widgets`` (either of the last two may lack it when
        the chapter draws nothing of that kind).
    title : str
        Its title, as the notebook's first heading says it.
    """

    number: int
    name: str
    title: str

    @property
    def notebook(self) -> str:
        """File stem of its notebook in ``notebooks/``: ``"03_phase"``."""
        return f"{self.number:02d}_{self.name}"


#: The chapters, in course order.
CHAPTERS = (
    Chapter(0, "sound", "Setup and sound: what a multitrack is"),
    Chapter(1, "stft", "The STFT and the constant-Q transform"),
    Chapter(2, "masks", "Time-frequency masks"),
    Chapter(3, "phase", "Phase: from a magnitude back to a waveform"),
    Chapter(4, "evaluation", "Evaluating separation: SDR, SIR, SAR, SI-SDR"),
    Chapter(5, "classical", "Before deep learning: the classic tricks"),
    Chapter(6, "unet", "A mini U-Net you train yourself"),
    Chapter(7, "pretrained", "A pretrained separator on real songs: HT-Demucs"),
    Chapter(8, "beyond", "Beyond: stereo images, band-split transformers, diffusion and queries"),
)

#: The module of ``mssedu.plot`` and ``mssedu.widgets`` that several chapters share.
SHARED_MODULE = "core"


def chapter(key) -> Chapter:
    """Look a chapter up by number, name or notebook stem.

    Parameters
    ----------
    key : int or str
        ``3``, ``"phase"`` and ``"03_phase"`` all name chapter 3.

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
        if not isinstance(key, bool) and key in (ch.number, ch.name, ch.notebook):
            return ch
    raise ParameterError(f"No chapter {key!r}. Chapters: "
                         + ", ".join(f"{c.number} ({c.name})" for c in CHAPTERS) + ".")
