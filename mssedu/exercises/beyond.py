"""Exercises of chapter 8 (notebook ``08_beyond``): the pan law's ILD and an ILD map, a
band-split layer, and the FiLM layer of separation by query. Reference answers come from
:mod:`mssedu.spatial` and :func:`mssedu.models.film`.

>>> from mssedu.exercises import check
>>> check("beyond.pan_law_ild", 7.66).ok
True
"""
from __future__ import annotations

import numbers

import numpy as np

from ..models.conditioned import QUERY_STEMS, film
from ..spatial import pan, pan_law_ild
from ..spectral import stft
from .checking import check_function, exercise
from .hints import ladder

__all__ = ["ild_problem", "band_split_problem", "film_problem", "POSITION", "N_FFT", "HOP", "BAND_EDGES_HZ",
           "BAND_SR", "QUERY_STEMS"]

POSITION = -0.5
N_FFT, HOP = 512, 128


def ild_problem() -> np.ndarray:
    """The ILD exercise's input: a stereo STFT ``(2, 257, frames)``, complex64, of two
    tones panned to different places over a little noise.

    Returns
    -------
    numpy.ndarray
        ``(2, 257, frames)``, complex64.
    """
    sr = 8000
    t = np.arange(sr // 2) / sr
    rng = np.random.default_rng(11)
    x = (pan(np.sin(2 * np.pi * 440 * t), -0.6) + pan(0.5 * np.sin(2 * np.pi * 1250 * t), 0.4)
         + 0.01 * rng.standard_normal((2, len(t))))
    return stft(x.astype(np.float32), N_FFT, HOP)


@exercise("beyond.pan_law_ild")
def _pan_law_ild(answer):
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return False, f"Give the ILD as one number of dB (you gave a {type(answer).__name__})."
    expected = pan_law_ild(POSITION)
    if abs(answer - expected) <= 0.01:
        return True, (f"{expected:.2f} dB: at pan {POSITION} the left channel carries cos^2 = "
                      f"{np.cos((POSITION + 1) * np.pi / 4) ** 2:.0%} of the power.")
    if abs(answer + expected) <= 0.01:
        return False, "Right magnitude, wrong sign: ILD = 20 log10(|L| / |R|) is positive when the left is louder."
    if abs(answer - expected / 2) <= 0.01:
        return False, "Amplitudes take 20 log10, not 10 log10 (that is for powers)."
    return False, ("theta = (p + 1) * pi / 4, L = cos(theta) s, R = sin(theta) s; the ILD is "
                   "20 log10(L / R), the same in every bin.")


@exercise("beyond.ild")
def _ild(answer):
    X = ild_problem()
    a = np.asarray(answer, dtype=np.float64)
    if a.shape != X.shape[1:]:
        return False, f"Expected one ILD per bin, shape {X.shape[1:]}; got {a.shape}."
    L, R = np.abs(X[0]).astype(np.float64), np.abs(X[1]).astype(np.float64)
    loud = np.minimum(L, R) > 1e-3 * max(L.max(), R.max())
    expected = 20 * np.log10(L[loud] / R[loud])
    got = a[loud]
    if np.allclose(got, expected, atol=0.05):
        return True, (f"Right. The 440 Hz tone's bins say about {pan_law_ild(-0.6):+.1f} dB (left), "
                      f"the 1250 Hz tone's about {pan_law_ild(0.4):+.1f} dB (right): panning is a "
                      "level difference per bin.")
    if np.allclose(got, -expected, atol=0.05):
        return False, "Sign: the ILD is 20 log10(|X_L| / |X_R|) (left over right)."
    if np.allclose(got, expected / 2, atol=0.05):
        return False, "Magnitudes take 20 log10 (10 log10 is for powers |X|**2)."
    return False, "Compute 20 * np.log10(np.abs(X[0]) / np.abs(X[1])) (add a tiny eps to avoid 0/0)."


# --- build it yourself: a band-split layer -------------------------------------------------------

#: Band edges in Hz for the band-split exercise (8 kHz audio, n_fft = 256): narrow bands in
#: the low frequencies where notes are close, wider ones up high, as in BSRNN.
BAND_EDGES_HZ = (0, 125, 250, 375, 500, 750, 1000, 1500, 2000, 3000, 4000)
BAND_SR = 8000


def band_split_problem(seed: int = 0):
    """The band-split exercise's inputs: a magnitude spectrogram, band edges in bins and one
    projection matrix per band.

    Parameters
    ----------
    seed : int
        Seed of the random spectrogram and weights.

    Returns
    -------
    S : numpy.ndarray
        ``(129, 40)`` float32 magnitudes (n_fft = 256 at 8 kHz).
    edges : numpy.ndarray
        ``(11,)`` int: band ``k`` is bins ``edges[k]`` to ``edges[k + 1] - 1``
        (:data:`BAND_EDGES_HZ` times ``n_fft / sr``; the last edge is 129 so that the
        Nyquist bin belongs to the top band).
    weights : list of numpy.ndarray
        ``weights[k]`` is ``(16, edges[k + 1] - edges[k])``: it maps band ``k``'s bins to 16 features.

    Examples
    --------
    >>> from mssedu.exercises.beyond import band_split_problem
    >>> S, edges, weights = band_split_problem()
    >>> S.shape, [int(e) for e in edges[:4]], weights[0].shape
    ((129, 40), [0, 4, 8, 12], (16, 4))
    """
    rng = np.random.default_rng(seed)
    n_fft = 256
    edges = np.round(np.asarray(BAND_EDGES_HZ) * n_fft / BAND_SR).astype(int)
    edges[-1] = n_fft // 2 + 1
    S = rng.random((n_fft // 2 + 1, 40)).astype(np.float32)
    weights = [(rng.standard_normal((16, b - a)) / np.sqrt(b - a)).astype(np.float32)
               for a, b in zip(edges[:-1], edges[1:])]
    return S, edges, weights


def _band_split(S, edges, weights, order="kdt", project=True):
    S = np.asarray(S, dtype=np.float64)
    bands = [S[a:b] for a, b in zip(edges[:-1], edges[1:])]
    if not project:
        return np.stack([band.mean(axis=0) for band in bands])
    out = np.stack([np.asarray(W, np.float64) @ band for W, band in zip(weights, bands)])
    return {"kdt": out, "dkt": out.transpose(1, 0, 2), "ktd": out.transpose(0, 2, 1)}[order]


@exercise("beyond.my_band_split")
def my_band_split(answer):
    """A function ``my_band_split(S, edges, weights)``: cut ``S`` ``(freq, frames)`` into the
    bands ``S[edges[k]:edges[k + 1]]`` and project each with ``weights[k]``, giving
    ``(bands, features, frames)``: the first layer of a band-split model (BSRNN)."""
    cases = [band_split_problem(0), band_split_problem(1)]
    return check_function(
        answer, cases, _band_split,
        mistakes=[
            (lambda S, e, W: _band_split(S, e, W, order="ktd"),
             "Your bands come out as (frames, features): compute weights[k] @ band (features x bins "
             "times bins x frames), not band.T @ weights[k].T, so the result is (bands, features, frames)."),
            (lambda S, e, W: _band_split(S, e, W, order="dkt"),
             "Stack the projected bands along a new first axis (np.stack(..., axis=0)): (bands, features, frames)."),
            (lambda S, e, W: _band_split(S, e, W, project=False),
             "You averaged each band. A band-split layer *projects* it with its own matrix, "
             "weights[k] @ S[edges[k]:edges[k + 1]], so every band becomes a vector of the same size."),
        ],
        name="my_band_split", rtol=1e-4, atol=1e-5,
        hint="Band k is S[edges[k]:edges[k + 1]] (the upper edge excluded: edges[k+1] - edges[k] bins, "
             "the width of weights[k]); out[k] = weights[k] @ band; np.stack over k.")


# --- build it yourself: a FiLM layer fed by a query ---------------------------------------------

def film_problem(seed: int = 0, query: str = "bass"):
    """The FiLM exercise's inputs: feature maps, a query and the control layer's weights.

    Parameters
    ----------
    seed : int
        Seed of the random features and weights.
    query : str
        One of :data:`QUERY_STEMS`.

    Returns
    -------
    x : numpy.ndarray
        ``(4, 6, 5)`` float32 feature maps ``(channels, freq, frames)``.
    query : str
        The stem asked for.
    W : numpy.ndarray
        ``(8, 4)`` float32: the control layer, ``W @ q + b`` gives the 4 gammas then the 4 betas.
    b : numpy.ndarray
        ``(8,)`` float32.

    Examples
    --------
    >>> x, query, W, b = film_problem()
    >>> x.shape, query, W.shape, b.shape
    ((4, 6, 5), 'bass', (8, 4), (8,))
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 6, 5)).astype(np.float32)
    W = rng.standard_normal((8, len(QUERY_STEMS))).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    return x, query, W, b


def _film(x, query, W, b, index=None, swap=False, bias=True, offset=True):
    """Reference (and, with the flags, the typical mistakes) of ``my_film``."""
    W, b = np.asarray(W, np.float64), np.asarray(b, np.float64)
    q = np.eye(W.shape[1])[QUERY_STEMS.index(query) if index is None else index]
    gamma, beta = np.split(W @ q + (b if bias else 0.0), 2)
    if swap:
        gamma, beta = beta, gamma
    return film(np.asarray(x, np.float64)[None], gamma[None], beta[None] if offset else 0 * beta[None])[0]


@exercise("beyond.my_film")
def my_film(answer):
    """A function ``my_film(x, query, W, b)``: the one-hot of ``query`` over :data:`QUERY_STEMS`,
    ``gamma, beta`` = the two halves of ``W @ q + b``, then ``gamma_c * x_c + beta_c`` per channel."""
    cases = [film_problem(0, "bass"), film_problem(1, "vocals"), film_problem(2, "other")]
    mistakes = [
        (lambda x, q, W, b: _film(x, q, W, b, swap=True),
         "gamma and beta are swapped: the first half of W @ q + b scales, the second half shifts."),
        (lambda x, q, W, b: _film(x, q, W, b, offset=False),
         "You scaled the channels but did not add beta: FiLM is gamma * x + beta."),
        (lambda x, q, W, b: _film(x, q, W, b, bias=False),
         "The control layer has a bias: gamma and beta come from W @ q + b, not W @ q alone."),
        (lambda x, q, W, b: _film(x, "bass", W, b),
         "Your answer is right for 'bass' only: build the one-hot from the `query` argument."),
    ]
    ok, message = check_function(answer, cases, _film, mistakes, name="my_film", rtol=1e-4, atol=1e-5)
    known = {why for _, why in mistakes}
    if ok or message in known or message.startswith("No answer yet"):   # nothing to hint at
        return ok, message
    return False, message.rstrip() + " " + ladder(    # the hint ladder moves on wrong tries only
        "beyond.my_film",
        "Three steps: the query becomes a one-hot vector, the control layer turns it into one "
        "scale and one offset per channel, and these modulate the channels.",
        "q has a 1 at QUERY_STEMS.index(query); W @ q + b has 8 numbers, the first 4 are gamma "
        "and the last 4 beta; give gamma and beta two new axes so that they act on the channel "
        "axis of x (channels, freq, frames).")
