"""Centre-channel cancellation (the karaoke trick) and mid/side.

Whatever is mixed identically into both channels (usually the lead vocal, but also the bass
and the kick drum) vanishes from :math:`L - R`; mid/side, :math:`M = (L + R)/2`,
:math:`S = (L - R)/2`, is the same idea as a change of basis.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..audio import as_signal
from ..checks import is_number
from ..errors import ParameterError
from ..spatial import inter_channel_correlation

__all__ = ["mid_side", "stereo_from_mid_side", "centre_channel_cancellation", "cancellation_report"]


def _stereo(x, name="signal") -> np.ndarray:
    x = as_signal(x, name)
    if x.ndim != 2 or x.shape[0] != 2:
        raise ParameterError(f"{name} must be stereo, shaped (2, samples); got {x.shape}. "
                          "Centre-channel tricks need a left and a right channel.")
    return x


def mid_side(x):
    r"""Mid and side signals of a stereo ``x`` ``(2, samples)``:

    .. math:: M = \frac{L + R}{2}, \qquad S = \frac{L - R}{2},

    each returned as ``(1, samples)``. A source panned to the centre (:math:`L = R`) lives
    only in :math:`M`; :math:`S` holds what differs between the channels.

    Parameters
    ----------
    x : array_like, shape ``(2, samples)``
        A stereo signal.

    Returns
    -------
    mid : np.ndarray
        Shape ``(1, samples)``.
    side : np.ndarray
        Shape ``(1, samples)``.

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.classical import mid_side
    >>> m, s = mid_side(np.array([[1.0, 2.0], [1.0, 0.0]], np.float32))
    >>> m.tolist(), s.tolist()
    ([[1.0, 1.0]], [[0.0, 1.0]])
    """
    x = _stereo(x)
    return (x[0:1] + x[1:2]) / 2, (x[0:1] - x[1:2]) / 2


def stereo_from_mid_side(mid, side) -> np.ndarray:
    """Inverse of :func:`mid_side`: ``L = M + S``, ``R = M - S``.

    Parameters
    ----------
    mid : array_like, shape ``(1, samples)`` or ``(samples,)``
        The mid signal.
    side : array_like, same length
        The side signal.

    Returns
    -------
    np.ndarray
        float32 stereo ``(2, samples)``.
    """
    m = as_signal(mid, "mid").reshape(-1)
    s = as_signal(side, "side").reshape(-1)
    if m.shape != s.shape:
        raise ParameterError(f"mid has {m.shape[0]} samples and side {s.shape[0]}; they must match.")
    return np.stack([m + s, m - s]).astype(np.float32)


def centre_channel_cancellation(x, amount: float = 1.0) -> np.ndarray:
    r"""The karaoke trick: subtract one channel from the other.

    .. math:: y = (1 - a)\, x + a\, (L - R) \quad \text{(on both channels)}

    With ``amount`` :math:`a = 1` the output is the mono difference :math:`L - R` in both
    channels: every source mixed identically into left and right (lead vocal, but also bass
    and kick drum, which engineers keep in the centre) cancels exactly; sources panned to
    one side or recorded in wide stereo survive at about their original level. ``a = 0``
    returns ``x`` unchanged; values in between cross-fade.

    Parameters
    ----------
    x : ``(2, samples)`` stereo signal
    amount : float in ``[0, 1]``

    Returns
    -------
    ``(2, samples)`` float32, the "vocal-removed" signal

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.classical import centre_channel_cancellation
    >>> centred = np.tile(np.sin(np.arange(8.0)), (2, 1)).astype(np.float32)
    >>> float(np.abs(centre_channel_cancellation(centred)).max())
    0.0
    """
    x = _stereo(x)
    if not is_number(amount) or not 0 <= amount <= 1:
        raise ParameterError(f"amount must be between 0 (original) and 1 (full L - R), got {amount!r}.")
    diff = x[0] - x[1]
    return ((1 - amount) * x + amount * diff[None, :]).astype(np.float32)


def cancellation_report(track):
    r"""How much of each stem survives centre-channel cancellation.

    For every stem (and the mixture) the table gives ``kept_db``, its level in the
    karaoke signal :math:`L - R` relative to its level in the original,

    .. math:: \text{kept} = 10 \log_{10} \frac{\| L - R \|^2}{\|L\|^2 + \|R\|^2}
              \ \text{dB},

    :math:`-\infty` for a perfectly centred stem (:math:`L = R`), 0 dB for one panned hard
    to a side or recorded in uncorrelated stereo, up to +3 dB for anti-phase channels; and
    ``correlation``, the inter-channel correlation (+1: centred mono, see
    :func:`mssedu.spatial.inter_channel_correlation`).

    Parameters
    ----------
    track : mssedu.data.Track
        A stereo multitrack (``mixture`` and ``stems``, each ``(2, samples)``).

    Returns
    -------
    pandas.DataFrame
        Indexed by stem name (mixture first); columns ``kept_db`` and ``correlation``.
    """
    rows = {}
    for name, sig in [("mixture", track.mixture)] + list(track.stems.items()):
        s = _stereo(sig, name).astype(np.float64)
        e_in = float(np.sum(s ** 2))
        e_out = float(np.sum((s[0] - s[1]) ** 2))
        kept = 10 * np.log10(max(e_out, 1e-30) / e_in) if e_in > 0 else float("nan")
        rows[name] = {"kept_db": kept, "correlation": inter_channel_correlation(sig)}
    return pd.DataFrame.from_dict(rows, orient="index")
