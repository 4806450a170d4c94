"""MUSDB18, the standard benchmark of music source separation (Rafii et al., 2017), through
the ``musdb`` package.

MUSDB18 holds 150 full songs (100 ``train``, 50 ``test``) as ``.stem.mp4`` files (mixture,
drums, bass, other, vocals, AAC-coded) and, as MUSDB18-HQ, as folders of wav files. It is
distributed on request from Zenodo (https://zenodo.org/records/1117372 and
https://zenodo.org/records/3338373), so it cannot ship with the course. Its **7-second
previews** of every song can be downloaded freely; ``musdb`` does that with
``download=True``, and :func:`musdb_tracks` caches them in ``mssedu.config.cache_dir("musdb")``.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import musdb
import numpy as np

from ..config import cache_dir
from ..errors import DataError, NetworkError, ParameterError
from ..network import reachable
from .track import MUSDB_STEMS, Track
from .mixing import integrated_loudness
from .multitrack import load_multitrack

__all__ = ["musdb_tracks", "MusdbTracks", "musdb_help", "PREVIEW_HOST", "stem_loudness", "loudness_ranges"]

#: Host and port of the previews (the ``sample-url`` of musdb's configuration).
PREVIEW_HOST = ("github.com", 443)


def musdb_help(root=None) -> str:
    """Where MUSDB18 goes and how to get it (the text of the error when none is found).

    Parameters
    ----------
    root : str, Path or None
        The folder that was searched, named in the text.

    Returns
    -------
    str
        Several lines: the free previews, the full dataset on Zenodo, the offline fallbacks.
    """
    cache = os.path.join(os.environ.get("MSSEDU_CACHE") or "~/.cache/mssedu", "musdb", "MUSDB18-7")
    return (
        "MUSDB18 was not found" + (f" in {root}" if root else "") + ". Either:\n"
        "  * download the free 7-second previews: call musdb_tracks() on a machine with internet "
        f"(they are cached in {cache}), or\n"
        "  * request the full dataset from https://zenodo.org/records/1117372 (.stem.mp4) or "
        "https://zenodo.org/records/3338373 (MUSDB18-HQ, wav), unpack it so that it has "
        "train/ and test/ folders, then call musdb_tracks(root='/path/to/musdb18') "
        "(is_wav=True for MUSDB18-HQ) or set the MUSDB_PATH environment variable.\n"
        "Without MUSDB the course runs on mssedu.data.example_track() and synthetic songs "
        "(mssedu.data.make_dataset)."
    )


def _to_track(mtrack):
    if getattr(mtrack, "is_wav", False) and getattr(mtrack, "sample_rate", None) is None:
        # MUSDB18-HQ folder: read the wav files ourselves (musdb decodes them through ffmpeg
        # as 16-bit, which would quantise float files)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            track = load_multitrack(Path(mtrack.path).parent, stems=MUSDB_STEMS, name=mtrack.name)
        track.subset = mtrack.subset
        return track
    mixture = np.ascontiguousarray(np.asarray(mtrack.audio, dtype=np.float32).T)
    stems = {}
    for name in MUSDB_STEMS:
        if name not in mtrack.sources:
            raise DataError(f"MUSDB track {mtrack.name!r} has no {name!r} stem (file {mtrack.path}); "
                            "the download may be incomplete.")
        stems[name] = np.ascontiguousarray(np.asarray(mtrack.sources[name].audio, dtype=np.float32).T)
    n = min([mixture.shape[-1]] + [s.shape[-1] for s in stems.values()])
    track = Track(mtrack.name, int(mtrack.rate), mixture[:, :n], {k: v[:, :n] for k, v in stems.items()},
                  str(mtrack.path))
    track.subset = mtrack.subset
    track.mixture_residual_db = track.residual()
    return track


class MusdbTracks:
    """A list-like view of MUSDB18 tracks: ``len``, indexing and iteration give
    :class:`~mssedu.data.Track` objects, decoded when accessed (full songs are large:
    about 45 MB of float32 per minute for the five streams).

    Attributes
    ----------
    db : musdb.DB
    names : list of str
    root : str
    """

    def __init__(self, db):
        self.db = db
        self.root = db.root
        self.names = [t.name for t in db.tracks]

    def __len__(self):
        return len(self.db.tracks)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if isinstance(index, str):
            if index not in self.names:
                raise ParameterError(f"No MUSDB track named {index!r}; there are {len(self)} (see .names).")
            index = self.names.index(index)
        return _to_track(self.db.tracks[index])

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self):
        return f"MusdbTracks({len(self)} tracks in {self.root})"


def musdb_tracks(root=None, subset: str = "train", split: str | None = None, is_wav: bool = False,
                 download: bool | None = None, sample_rate: int | None = None) -> MusdbTracks:
    """MUSDB18 tracks as :class:`~mssedu.data.Track` objects.

    Parameters
    ----------
    root : str, Path or None
        The dataset folder (with ``train/`` and ``test/``). ``None``: ``$MUSDB_PATH`` if set,
        else the cached 7-second previews in ``cache_dir("musdb")/MUSDB18-7``, downloaded
        there first if they are not (needs internet; about 140 MB).
    subset : "train" or "test"
    split : None, "train" or "valid"
        With ``subset="train"``: musdb's official split (14 validation songs).
    is_wav : bool
        True for MUSDB18-HQ (folders of wav files), False for ``.stem.mp4`` files.
    download : bool or None
        Allow downloading the previews when ``root`` is None (default: yes).
    sample_rate : int or None
        Resample on load (musdb's own resampler); ``None`` keeps 44.1 kHz.

    Returns
    -------
    MusdbTracks
        Sequence of Track (decoded on access).

    Raises
    ------
    ParameterError
        A bad ``subset``/``split`` combination.
    DataError
        No dataset where it was looked for (and ``download=False``): the message says where
        to put it and how (see :func:`musdb_help`).
    NetworkError
        The previews had to be downloaded but the server cannot be reached, or the download
        failed.
    """
    if subset not in ("train", "test"):
        raise ParameterError(f"subset must be 'train' or 'test', got {subset!r}.")
    if split not in (None, "train", "valid"):
        raise ParameterError(f"split must be None, 'train' or 'valid', got {split!r}.")
    if split is not None and subset != "train":
        raise ParameterError("split applies to subset='train' only (the validation songs come from train).")
    if root is None and os.environ.get("MUSDB_PATH"):
        root = os.environ["MUSDB_PATH"]
    if root is None:
        root = Path(cache_dir("musdb")) / "MUSDB18-7"
        if not (root / "train").is_dir():
            if download is False:
                raise DataError(musdb_help() + "\n(download=False: the previews were not fetched.)")
            if not reachable(*PREVIEW_HOST, timeout=3.0):
                raise NetworkError(musdb_help() + f"\n(No internet connection to download the previews: "
                                   f"{PREVIEW_HOST[0]} cannot be reached.)")
            try:
                musdb.DB(root=str(root), download=True, subsets=[subset], split=split)
            except Exception as err:  # network errors, truncated zip...
                raise NetworkError(f"Downloading the MUSDB18 previews failed ({type(err).__name__}: {err}).\n"
                                   + musdb_help()) from err
            is_wav = False  # the previews are .stem.mp4 files
    root = Path(root).expanduser()
    if not (root / subset).is_dir():
        raise DataError(f"{root} has no {subset}/ folder.\n" + musdb_help(root))
    db = musdb.DB(root=str(root), subsets=[subset], split=split, is_wav=is_wav, sample_rate=sample_rate)
    if not db.tracks:
        kind = "track folders (mixture.wav, drums.wav, ...)" if is_wav else ".stem.mp4 files"
        other = "is_wav=False" if is_wav else "is_wav=True"
        raise DataError(f"No MUSDB tracks in {root / subset}: expected {kind}. If the dataset is the "
                        f"other format, pass {other}.\n" + musdb_help(root))
    return MusdbTracks(db)


# -- loudness statistics of a multitrack collection ----------------------------------------

def stem_loudness(track) -> dict:
    """Each stem's integrated loudness relative to the mixture's (ITU-R BS.1770, LU).

    Parameters
    ----------
    track : Track
        A multitrack song (mixture and stems, at least 0.4 s).

    Returns
    -------
    dict
        Stem -> :math:`L_{stem} - L_{mix}` in LU (:func:`mssedu.data.mixing.integrated_loudness`);
        stems that are silent (under BS.1770's -70 LUFS gate) are left out.

    Raises
    ------
    DataError
        The mixture is silent.
    """
    mix = integrated_loudness(track.mixture, track.sr)
    if not np.isfinite(mix):
        raise DataError(f"Track {track.name!r}: the mixture is silent, so no stem loudness can be relative to it.")
    out = {}
    for name, stem in track.stems.items():
        level = integrated_loudness(stem, track.sr)
        if np.isfinite(level):
            out[name] = level - mix
    return out


def _collection(root, subset: str):
    """Tracks of a MUSDB18(-HQ) root (with ``subset/``) or of a folder of multitracks."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError(f"No such folder: {root}. Pass a MUSDB18/MUSDB18-HQ root (with train/ and "
                        "test/) or a folder holding one sub-folder or .stem.mp4 file per song.")
    if (root / subset).is_dir():
        is_wav = not any((root / subset).glob("*.stem.mp4"))
        return musdb_tracks(root, subset=subset, is_wav=is_wav)
    songs = sorted(p for p in root.iterdir() if p.is_dir()) + sorted(root.glob("*.stem.mp4"))
    if not songs:
        raise DataError(f"{root} holds no songs: expected a {subset}/ folder (MUSDB18 layout), or "
                        "one sub-folder (mixture.wav, vocals.wav...) or .stem.mp4 file per song.")
    return (load_multitrack(p) for p in songs)


def loudness_ranges(root, percentiles=(10, 90), subset: str = "train") -> dict:
    """Per-stem loudness relative to the mixture, as percentiles over the songs of a collection.

    This measures what :func:`mssedu.data.mixing.draw_chain` draws stem levels from: run it
    on MUSDB18's ``train`` songs and pass the result as ``draw_chain(..., loudness=...)``.
    (Do not run it on a test set you score on: that would tune the training data to it.)

    Parameters
    ----------
    root : str or Path
        A MUSDB18 / MUSDB18-HQ root (``.stem.mp4`` files or wav folders under ``subset/``), or
        a folder with one multitrack per sub-folder or ``.stem.mp4`` file.
    percentiles : sequence of float
        Which percentiles (0..100) of each stem's per-song values to return.
    subset : str
        The sub-folder of a MUSDB-layout root.

    Returns
    -------
    dict
        Stem -> tuple of its percentiles (LU, in the order asked); ``(10, 90)`` gives
        ``(low, high)`` ranges ready for ``draw_chain``. Key ``"songs"``: how many songs.

    Raises
    ------
    ParameterError
        A percentile outside [0, 100].
    DataError
        No songs, or none with a measurable stem.
    """
    percentiles = tuple(float(q) for q in np.atleast_1d(percentiles))
    if not percentiles or not all(0 <= q <= 100 for q in percentiles):
        raise ParameterError(f"percentiles must lie in [0, 100], got {percentiles!r}.")
    values, songs = {}, 0
    for track in _collection(root, subset):
        songs += 1
        for name, rel in stem_loudness(track).items():
            values.setdefault(name, []).append(rel)
    if not values:
        raise DataError(f"No stem loudness could be measured in {root} ({songs} songs).")
    out = {name: tuple(float(v) for v in np.percentile(vals, percentiles)) for name, vals in values.items()}
    out["songs"] = songs
    return out
