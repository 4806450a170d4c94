"""Exercises of chapter 0 (setup and sound): mixtures, stem levels, the lossy residual.

Reference answers are computed from :func:`mssedu.data.example_track` (the whole excerpt).
"""
from __future__ import annotations

import numpy as np

from ..data import example_track
from .checking import check_function, close, exercise

__all__: list = []  # the checkers register themselves; check() reaches them by name


def _example():
    return example_track()


def _rms_db(x) -> float:
    return 10 * np.log10(max(float(np.mean(np.asarray(x, dtype=np.float64) ** 2)), 1e-20))


@exercise("sound.mixture_from_stems")
def mixture_from_stems(answer):
    """The linear mixture of the example's four stems, ``(2, samples)``."""
    t = _example()
    expected = sum(t.stems.values())
    a = np.asarray(answer)
    if a.shape == expected.shape[::-1]:
        return False, (f"Your array is {a.shape}, i.e. (samples, channels); mssedu signals are "
                       "(channels, samples). Sum the stems as they are, without transposing.")
    if a.shape == t.mixture.shape and np.allclose(a, t.mixture, atol=1e-6):
        return False, ("That is the stored mixture itself (track.mixture). Build it from the "
                       "stems: add track.stems['drums'], ['bass'], ['other'] and ['vocals'].")
    return close(answer, expected, "your mixture", rtol=1e-4, atol=1e-5,
                 hint="Add the four stem arrays sample by sample (sum(track.stems.values())).")


@exercise("sound.loudest_stem")
def loudest_stem(answer):
    """Name of the stem with the highest RMS level."""
    t = _example()
    levels = {k: _rms_db(v) for k, v in t.stems.items()}
    best = max(levels, key=levels.get)
    if not isinstance(answer, str):
        return False, f"Answer with the stem's name as a string, one of {sorted(levels)}; got {type(answer).__name__}."
    if answer.strip().lower() == best:
        table = ", ".join(f"{k} {v:.1f} dB" for k, v in sorted(levels.items(), key=lambda kv: -kv[1]))
        return True, f"Right: {table}."
    if answer.strip().lower() not in levels:
        return False, f"{answer!r} is not a stem of this track; choose one of {sorted(levels)}."
    return False, ("Not that one. Compute each stem's RMS, sqrt(mean(s**2)), over both channels "
                   "and all samples, and compare (the peak sample is not the level).")


@exercise("sound.residual_db")
def residual_db(answer):
    """Residual of the stored mixture against the sum of stems, in dB below the mixture."""
    t = _example()
    expected = t.residual()
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return False, f"Answer with one number in dB; got {type(answer).__name__}."
    if abs(value - expected) < 0.1:
        return True, f"Right: {expected:.1f} dB. The stems and the mix were coded separately (AAC), so they disagree a little."
    if abs(value + expected) < 0.1:
        return False, "Check the sign: the residual is weaker than the mixture, so the ratio in dB is negative."
    if abs(value - expected / 2) < 0.1 or abs(value - 2 * expected) < 0.1:
        return False, "Energies (squared samples) take 10 log10; amplitudes take 20 log10. Mixing the two halves or doubles the value."
    return False, ("Compute 10 * log10(sum(r**2) / sum(x**2)) with r = mixture - sum of stems and "
                   "x = the stored mixture, over both channels.")


# --- build it yourself: the mixing desk ------------------------------------------------------

def _mix_cases():
    rng = np.random.default_rng(0)
    stems = {k: (0.3 * rng.standard_normal((2, 500))).astype(np.float32)
             for k in ("drums", "bass", "other", "vocals")}
    return [(stems, {"drums": 0.0, "bass": -6.0, "other": 3.0, "vocals": -12.0}),
            (stems, {"drums": -20.0, "bass": 6.0, "other": 0.0, "vocals": 0.0})]


def _mix(stems, gains_db, scale=20.0, linear=False, mean=False):
    out = [(g if linear else 10.0 ** (g / scale)) * stems[k].astype(np.float64)
           for k, g in gains_db.items()]
    return sum(out) / (len(out) if mean else 1)


@exercise("sound.my_mix")
def my_mix(answer):
    """A function ``my_mix(stems, gains_db)``: the mixing desk, ``sum_j 10**(g_j/20) s_j``."""
    return check_function(
        answer, _mix_cases(), _mix,
        mistakes=[
            (lambda s, g: _mix(s, g, scale=10.0),
             "You used 10**(g/10): that is a *power* ratio. A gain on samples (an amplitude) "
             "is 10**(g/20): +6 dB doubles the samples, +6 dB of power is only x1.41 of them."),
            (lambda s, g: _mix(s, g, linear=True),
             "You multiplied by the dB values themselves. Convert each gain first: 10**(g/20) "
             "(0 dB is a factor 1, not 0)."),
            (lambda s, g: _mix(s, {k: 0.0 for k in g}),
             "Your mix ignores the gains: weight each stem by 10**(g/20) before adding."),
            (lambda s, g: _mix(s, g, mean=True),
             "You averaged the stems: a mix is their weighted *sum* (dividing by 4 is a -12 dB fader on everything)."),
        ],
        name="my_mix", hint="Return sum over stems of 10**(gains_db[k] / 20) * stems[k].")
