"""The separators the workshop app offers: what this machine can run, nothing loaded yet.

The oracle ratio mask needs the true stems (the example song only), the mini U-Net ships
with mssedu, and HT-Demucs is offered when demucs (the ``pretrained`` extra) is installed and
its weights are on this machine (``mssedu download htdemucs``).
"""
from __future__ import annotations

from ..separation import OracleSeparator, find_weights, load_separator
from ..extras import installed
from ..models import shipped_checkpoint

__all__ = ["ORACLE", "UNET", "HTDEMUCS", "available_separators", "best_estimator", "short_name"]

ORACLE = "oracle ratio mask (true stems: example song only)"
UNET = "mini U-Net (ships with mssedu, CPU)"
HTDEMUCS = "HT-Demucs (pretrained)"


def available_separators() -> dict:
    """The separators this machine can run, in the app's order (nothing is loaded yet).

    Returns
    -------
    dict
        Label -> a function ``(track) -> Separator``: :data:`ORACLE` (needs the example
        track's true stems), :data:`UNET`, and :data:`HTDEMUCS` only when demucs is installed
        and :func:`mssedu.separation.find_weights` finds its weights offline.

    Examples
    --------
    >>> list(available_separators())[:2] == [ORACLE, UNET]
    True
    """
    found = {ORACLE: lambda track: OracleSeparator(track, "irm"),
             UNET: lambda track: load_separator(shipped_checkpoint())}
    # without demucs the weights could not be run: offering them would end in an error
    if installed("pretrained") and find_weights("htdemucs") is not None:
        found[HTDEMUCS] = lambda track: load_separator("htdemucs")
    return found


def best_estimator(separators: dict) -> str:
    """The label of the best separator that needs no true stems (it estimates an upload's).

    Parameters
    ----------
    separators : dict
        From :func:`available_separators`.

    Returns
    -------
    str
        :data:`HTDEMUCS` when offered, else :data:`UNET`.

    Examples
    --------
    >>> best_estimator({ORACLE: None, UNET: None})
    'mini U-Net (ships with mssedu, CPU)'
    """
    return HTDEMUCS if HTDEMUCS in separators else UNET


def short_name(label: str) -> str:
    """A separator's label without its explanation in brackets, for result titles.

    Parameters
    ----------
    label : str
        A label of :func:`available_separators`.

    Returns
    -------
    str
        E.g. ``"mini U-Net"``.

    Examples
    --------
    >>> short_name(UNET)
    'mini U-Net'
    """
    return label.split(" (")[0]
