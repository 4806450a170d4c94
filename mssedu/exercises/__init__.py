"""Checked exercises for the notebooks.

A notebook cell asks the student to compute something, then calls::

    from mssedu.exercises import check
    check("masks.ibm", my_mask)

which prints a clear right/wrong verdict and, when wrong, a hint. The reference answer is
computed by mssedu itself (the same function the course teaches), never printed. The code is
in :mod:`mssedu.exercises.checking`; each chapter registers its exercises in its own module
here, named after the chapter (:data:`mssedu.chapters.CHAPTERS`). Worked solutions and
graded tests are instructors' material (the repository's ``instructors/``), not in the
package.
"""
from .checking import (Result, Source, as_number, check, check_function, close, exercise,
                       list_exercises, show_source)

__all__ = ["exercise", "check", "Result", "list_exercises", "close", "as_number", "check_function",
           "show_source", "Source"]
