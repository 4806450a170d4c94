r"""Scores for the synthetic songs: the four-part Bach chorales bundled with ``music21``.

The chorales (soprano, alto, tenor, bass) give :mod:`mssedu.data.synth` its melodies, bass
lines and harmonies. :func:`load_chorale` reads one with music21 once and caches its four
voices as note lists (JSON, under :func:`mssedu.config.cache_dir`), so later songs need no
MusicXML parsing.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..config import cache_dir
from ..errors import DataError, ParameterError

__all__ = ["chorale_ids", "load_chorale"]


# ----------------------------------------------------------------------------------------
def chorale_ids() -> list:
    """Ids (``"bach/bwv66.6.mxl"``...) of the Bach pieces bundled with music21, sorted. Most
    are four-part chorales; :func:`load_chorale` rejects the others.

    Returns
    -------
    list of str
        Corpus ids such as ``"bach/bwv66.6.mxl"``.
    """
    from music21 import corpus

    ids = []
    for p in corpus.getComposer("bach"):
        p = Path(p)
        if p.suffix in (".mxl", ".xml"):
            ids.append(f"bach/{p.name}")
    if not ids:
        raise DataError("music21's bundled corpus has no Bach chorales; reinstall music21 (pip install music21).")
    return sorted(ids)


def _score_cache(score_id: str) -> Path:
    import music21

    return Path(cache_dir("synth", "scores", music21.__version__)) / (score_id.replace("/", "__") + ".json")


def load_chorale(score_id: str) -> dict:
    """The four voices of a bundled chorale as note lists (cached as JSON after the first parse).

    Parameters
    ----------
    score_id : str
        One of :func:`chorale_ids`.

    Returns
    -------
    dict
        ``{"id", "bar": quarters per bar, "start": first full bar (quarters), "end",
        "voices": {"soprano"|"alto"|"tenor"|"bass": [[onset, duration, midi_pitch], ...]}}``
        with times in quarter notes.
    """
    cache = _score_cache(score_id)
    if cache.is_file():
        try:
            return json.loads(cache.read_text())
        except (OSError, ValueError):
            pass
    from music21 import corpus

    try:
        score = corpus.parse(score_id)
    except Exception as err:
        ids = chorale_ids()
        if score_id not in ids:
            raise ParameterError(f"{score_id!r} is not a Bach score of music21's corpus; choose one of "
                                 f"chorale_ids() (e.g. {ids[0]!r}).") from err
        raise DataError(f"music21 could not parse its corpus score {score_id!r} "
                        f"({type(err).__name__}: {err}); reinstall music21 (pip install music21).") from err
    parts = list(score.parts)
    wanted = ("soprano", "alto", "tenor", "bass")
    by_name = {}
    for p in parts:
        pname = (p.partName or "").strip().lower()
        for w in wanted:
            if pname.startswith(w) and w not in by_name:
                by_name[w] = p
    if len(by_name) < 4:
        if len(parts) == 4:
            by_name = dict(zip(wanted, parts))
        else:
            raise ParameterError(f"{score_id} is not a four-part (SATB) chorale; its parts are "
                                 f"{[p.partName for p in parts]}.")
    ts = score.recurse().getElementsByClass("TimeSignature")
    bar = float(ts[0].barDuration.quarterLength) if len(ts) else 4.0
    measures = list(by_name["soprano"].getElementsByClass("Measure"))
    start = next((float(m.offset) for m in measures if not m.paddingLeft), 0.0)
    voices, end = {}, 0.0
    for w in wanted:
        notes = []
        for n in by_name[w].flatten().stripTies().notes:
            pitch = max(p.midi for p in n.pitches)  # chords (rare) -> top note
            notes.append([float(n.offset), float(n.quarterLength), int(pitch)])
            end = max(end, float(n.offset + n.quarterLength))
        if not notes:
            raise ParameterError(f"{score_id}: the {w} part has no notes.")
        voices[w] = notes
    out = {"id": score_id, "bar": bar, "start": start, "end": end, "voices": voices}
    try:
        cache.write_text(json.dumps(out))
    except OSError:
        pass
    return out
