"""Progress reporting for long loops: one convention for every iterative algorithm.

A ``progress`` argument is ``None``/``False`` (silent), ``True`` (a ``tqdm.auto`` bar, a
widget in a notebook and text in a terminal) or a callable ``progress(k, n, value)``
called after each step (e.g. to draw a live curve).

Examples
--------
>>> from mssedu.progress import progress_bar
>>> step, close = progress_bar(False, 10, "demo")
>>> step(1, 10, 0.5); close()
"""
from __future__ import annotations

from tqdm.auto import tqdm

from .errors import ParameterError

__all__ = ["progress_bar"]


def progress_bar(progress, n_steps: int, desc: str, quantity: str = "sc"):
    """Turn a ``progress`` argument into a step function and a closer.

    Parameters
    ----------
    progress : None, bool or callable
        ``None``/``False``: nothing; ``True``: a tqdm bar of ``n_steps`` steps;
        a callable: called as ``progress(k, n_steps, value)`` at each step.
    n_steps : int
        Number of steps the loop will take.
    desc : str
        Label of the bar.
    quantity : str
        Name of the value shown beside the bar (``"sc"``: spectral convergence).

    Returns
    -------
    step : callable
        ``step(k, n_steps, value)``, to call after each step.
    close : callable
        ``close()``, to call when the loop ends (also on error).

    Raises
    ------
    ParameterError
        ``progress`` is none of the above.
    """
    if progress is True:
        bar = tqdm(total=n_steps, desc=desc, leave=False)

        def step(k, n, value):
            bar.update(1)
            bar.set_postfix({quantity: f"{value:.4g}"})
        return step, bar.close
    if callable(progress):
        return progress, (lambda: None)
    if progress is None or progress is False:
        return (lambda k, n, value: None), (lambda: None)
    raise ParameterError(f"progress must be None, True (tqdm bar) or a callable "
                         f"progress(step, n_steps, value), got {progress!r}.")
