"""MUSDB18, the standard benchmark of music source separation (Rafii et al., 2017), through
the ``musdb`` package.

MUSDB18 holds 150 full songs (100 ``train``, 50 ``test``) as ``.stem.mp4`` files (mixture,
drums, bass, other, vocals, AAC-coded) and, as MUSDB18-HQ, as folders of wav files. It is
distributed on request from Zenodo (https://zenodo.org/records/1117372 and
https://zenodo.org/records/3338373), so it cannot ship with the course. Its **7-second
previews** (``MUSDB18-7-STEMS.zip``, what ``musdb.DB(download=True)`` fetches: 144 songs,
about 140 MB) can be downloaded freely; :func:`download_previews` fetches them through the
project's one checked download (:func:`mssedu.network.download_file`: size and checksum
verified, nothing kept from a cut or corrupt transfer) and unpacks them whole into
``mssedu.config.cache_dir("musdb")/MUSDB18-7``, where every later call finds them offline.

The course's own example (:func:`mssedu.data.example_track`, "The Easton Ellises - Falcon
69") is a song of MUSDB18's ``train`` subset. It is the course's test song, so every listing
here leaves it out unless asked (``keep_example=True``), and :func:`musdb_training_sets`
asserts that it never reaches training or validation.

Examples
--------
>>> from mssedu.data.musdb import is_example, preview_source
>>> from mssedu.data import example_track
>>> is_example(example_track()), preview_source()["url"].endswith("MUSDB18-7-STEMS.zip")
(True, True)
"""
from __future__ import annotations

import os
import shutil
import warnings
import zipfile
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..atomic import move_into_place, new_part_folder
from ..config import cache_dir
from ..errors import DataError, NetworkError, ParameterError
from ..network import download_file
from .track import MUSDB_STEMS, Track
from .mixing import integrated_loudness
from .multitrack import load_multitrack

try:
    import musdb
except RuntimeError as _missing:   # musdb imports stempeg, which refuses to import without ffmpeg
    musdb = None
    _MUSDB_ERROR = str(_missing)

__all__ = ["musdb_tracks", "MusdbTracks", "musdb_help", "PREVIEW_URL", "PREVIEW_CHECKSUM",
           "PREVIEW_BYTES", "EXAMPLE_SONG", "preview_source", "previews_folder", "download_previews",
           "is_example", "is_musdb_root", "musdb_training_sets", "find_real_songs", "stem_loudness", "loudness_ranges"]

#: The previews' archive: musdb's ``sample-url`` (its ``configs/mus.yaml``).
PREVIEW_URL = "https://github.com/sigsep/sigsep-mus-db/releases/download/v0.4.0/MUSDB18-7-STEMS.zip"
#: Its checksum as Zenodo publishes it (record 3270814, the same file).
PREVIEW_CHECKSUM = "md5:dc2bdfac5b46ce742bd60009866758a5"
#: Its size in bytes.
PREVIEW_BYTES = 147_209_385
#: The name of the course's example song in MUSDB18 (a ``train`` song).
EXAMPLE_SONG = "The Easton Ellises - Falcon 69"
#: The most an archive may unpack to (a zip bomb is refused before anything is written).
_MAX_UNPACKED = 4 << 30


def preview_source() -> dict:
    """Where the previews come from: :data:`PREVIEW_URL`, or a mirror.

    ``MSSEDU_MUSDB_URL`` names a mirror serving the same archive (checked against the same
    checksum); a course that serves its own archive also sets ``MSSEDU_MUSDB_CHECKSUM``
    (``"sha256:<hex>"`` or ``"md5:<hex>"``), and then the size is not checked.

    Returns
    -------
    dict
        ``url``, ``checksum`` and ``size`` (bytes, or None).
    """
    url = os.environ.get("MSSEDU_MUSDB_URL", "").strip() or PREVIEW_URL
    checksum = os.environ.get("MSSEDU_MUSDB_CHECKSUM", "").strip()
    if checksum:
        return {"url": url, "checksum": checksum, "size": None}
    return {"url": url, "checksum": PREVIEW_CHECKSUM, "size": PREVIEW_BYTES}


def previews_folder() -> Path:
    """Where the unpacked previews live: ``cache_dir("musdb")/MUSDB18-7``.

    Returns
    -------
    Path
        The folder (it exists only once a download has completed).
    """
    return Path(cache_dir("musdb")) / "MUSDB18-7"


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
        "  * download the free 7-second previews: call musdb_tracks() (or `mssedu train --data "
        f"musdb`) on a machine with internet (they are cached in {cache}), or\n"
        "  * request the full dataset from https://zenodo.org/records/1117372 (.stem.mp4) or "
        "https://zenodo.org/records/3338373 (MUSDB18-HQ, wav), unpack it so that it has "
        "train/ and test/ folders, then call musdb_tracks(root='/path/to/musdb18') "
        "(is_wav=True for MUSDB18-HQ) or set the MUSDB_PATH environment variable.\n"
        "Without MUSDB the course runs on mssedu.data.example_track() and synthetic songs "
        "(mssedu.data.make_dataset)."
    )


def _safe_members(archive: zipfile.ZipFile, name) -> list:
    """The archive's ``train/``/``test/`` ``.stem.mp4`` members, after refusing what could
    write outside the target (absolute names, ``..``) or unpack to more than :data:`_MAX_UNPACKED`."""
    infos = archive.infolist()
    for info in infos:
        parts = Path(info.filename).parts
        if info.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise DataError(f"{name} holds {info.filename!r}, a path outside its folder; refused, "
                            "nothing was kept.")
    if sum(i.file_size for i in infos) > _MAX_UNPACKED:
        raise DataError(f"{name} would unpack to more than {_MAX_UNPACKED >> 30} GiB; refused, "
                        "nothing was kept.")
    return [i for i in infos if not i.is_dir() and i.filename.endswith(".stem.mp4")
            and "__MACOSX" not in i.filename and Path(i.filename).parts[-2:-1] in (("train",), ("test",))]


def _unpack(archive_path: Path, root: Path) -> None:
    """Unpack the previews' archive into ``root``, whole or not at all (a part folder, renamed)."""
    part = new_part_folder(root)
    try:
        try:
            with zipfile.ZipFile(archive_path) as archive:
                members = _safe_members(archive, archive_path.name)
                for info in members:
                    archive.extract(info, part)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as err:
            raise DataError(f"{archive_path.name} is not a readable zip archive ({type(err).__name__}: "
                            f"{err}); nothing was kept. Run the download again.") from err
        found = [p.parent for p in part.rglob("train") if p.is_dir() and (p.parent / "test").is_dir()]
        if len(found) != 1 or not any((found[0] / "test").glob("*.stem.mp4")) \
                or not any((found[0] / "train").glob("*.stem.mp4")):
            raise DataError(f"{archive_path.name} does not hold the previews' layout (train/ and test/ "
                            "folders of .stem.mp4 files); nothing was kept.")
        move_into_place(found[0], root)
    finally:
        shutil.rmtree(part, ignore_errors=True)


def download_previews(progress: bool = True) -> Path:
    """The MUSDB18 7-second previews, downloaded and unpacked on first use, then from the cache.

    The archive (:func:`preview_source`) goes through :func:`mssedu.network.download_file`
    (host probed first, so offline fails in seconds; size and checksum verified; a cut
    transfer is retried from scratch; nothing is kept from a failure), is unpacked into a
    part folder and renamed to :func:`previews_folder` when complete, then deleted.

    Parameters
    ----------
    progress : bool
        Show a download bar.

    Returns
    -------
    Path
        The previews' root (``train/`` and ``test/`` folders of ``.stem.mp4`` files).

    Raises
    ------
    NetworkError
        No connection, an HTTP error, or every try was cut short.
    DataError
        The archive is corrupt (checksum, not a zip, wrong layout) or the cache is not writable.
    """
    root = previews_folder()
    if (root / "train").is_dir() and (root / "test").is_dir():
        return root
    source = preview_source()
    advice = ("Without the previews, train on synthetic songs (mssedu train --data synthetic) and "
              "score on mssedu.data.example_track(); or copy a MUSDB18 folder here and pass its path.")
    archive = root.parent / "MUSDB18-7-STEMS.zip"
    try:
        download_file(source["url"], archive, source["checksum"], size=source["size"],
                      progress=progress, advice=advice)
        _unpack(archive, root)
    except OSError as err:
        raise DataError(f"Cannot write the previews into {root.parent}: {err}. Set MSSEDU_CACHE to a "
                        "writable folder.") from err
    finally:
        archive.unlink(missing_ok=True)
    return root


def is_example(track) -> bool:
    """Is ``track`` the course's example song (:data:`EXAMPLE_SONG`), under any MUSDB name?

    Parameters
    ----------
    track : Track or str
        A track, or a track name.

    Returns
    -------
    bool
    """
    name = track if isinstance(track, str) else getattr(track, "name", "")
    return str(name).strip().startswith(EXAMPLE_SONG)


def is_musdb_root(path) -> bool:
    """Does ``path`` look like a MUSDB18 / MUSDB18-HQ root (``train/`` and ``test/`` folders)?

    Parameters
    ----------
    path : str or Path
        A folder.

    Returns
    -------
    bool
    """
    path = Path(path).expanduser()
    return (path / "train").is_dir() and (path / "test").is_dir()


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

    Parameters
    ----------
    db : musdb.DB
        The tracks.
    keep_example : bool
        Keep the course's example song (:data:`EXAMPLE_SONG`); by default it is left out.
    max_seconds : float or None
        Give each song cut to this many seconds around its middle (``None``: whole).

    Attributes
    ----------
    db : musdb.DB
    names : list of str
    root : str
    """

    def __init__(self, db, keep_example: bool = False, max_seconds: float | None = None):
        if max_seconds is not None and not max_seconds > 0:
            raise ParameterError(f"max_seconds must be > 0 or None, got {max_seconds!r}.")
        self.max_seconds = max_seconds
        if not keep_example:   # the course's test song never comes out of a listing by default
            db.tracks = [t for t in db.tracks if not is_example(t.name)]
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
        return _middle(_to_track(self.db.tracks[index]), self.max_seconds)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self):
        return f"MusdbTracks({len(self)} tracks in {self.root})"


def musdb_tracks(root=None, subset: str = "train", split: str | None = None, is_wav: bool | None = None,
                 download: bool | None = None, sample_rate: int | None = None,
                 keep_example: bool = False, max_seconds: float | None = None) -> MusdbTracks:
    """MUSDB18 tracks as :class:`~mssedu.data.Track` objects.

    Parameters
    ----------
    root : str, Path or None
        The dataset folder (with ``train/`` and ``test/``). ``None``: ``$MUSDB_PATH`` if set,
        else the cached 7-second previews in ``cache_dir("musdb")/MUSDB18-7``, downloaded
        there first if they are not (:func:`download_previews`; needs internet; about 140 MB).
    subset : "train" or "test"
    split : None, "train" or "valid"
        With ``subset="train"``: musdb's official split (14 validation songs).
    is_wav : bool or None
        True for MUSDB18-HQ (folders of wav files), False for ``.stem.mp4`` files; ``None``:
        whichever the ``subset`` folder holds.
    download : bool or None
        Allow downloading the previews when ``root`` is None (default: yes).
    sample_rate : int or None
        Resample on load (musdb's own resampler); ``None`` keeps 44.1 kHz.
    keep_example : bool
        Keep the course's example song (a ``train`` song); by default it is left out, so the
        course's test song never mixes with MUSDB data.
    max_seconds : float or None
        Cut each song to this many seconds around its middle when it is decoded (full songs
        are long; ``None``: whole songs).

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
    if musdb is None:
        raise DataError(f"The musdb package could not be imported ({_MUSDB_ERROR}): it reads "
                        "MUSDB18 through the ffmpeg program. Install ffmpeg, restart the kernel, "
                        "and call musdb_tracks again; a folder of stems needs none: "
                        "mssedu.data.load_multitrack(FOLDER).")
    if root is None and os.environ.get("MUSDB_PATH"):
        root = os.environ["MUSDB_PATH"]
    if root is None:
        if not is_musdb_root(previews_folder()) and download is False:
            raise DataError(musdb_help() + "\n(download=False: the previews were not fetched.)")
        try:
            root = download_previews()
        except NetworkError as err:
            raise NetworkError(musdb_help() + f"\n(No internet connection to download the previews, or "
                               f"the transfer failed: {err})") from err
    root = Path(root).expanduser()
    if not (root / subset).is_dir():
        raise DataError(f"{root} has no {subset}/ folder.\n" + musdb_help(root))
    if is_wav is None:
        is_wav = not any((root / subset).glob("*.stem.mp4"))
    db = musdb.DB(root=str(root), subsets=[subset], split=split, is_wav=is_wav, sample_rate=sample_rate)
    if not db.tracks and split is not None and musdb.DB(root=str(root), subsets=[subset], is_wav=is_wav).tracks:
        raise DataError(f"{root / subset} has no songs in musdb's {split!r} split (its validation songs "
                        "are the 14 names in musdb's configs/mus.yaml).")
    if not db.tracks:
        kind = "track folders (mixture.wav, drums.wav, ...)" if is_wav else ".stem.mp4 files"
        other = "is_wav=False" if is_wav else "is_wav=True"
        raise DataError(f"No MUSDB tracks in {root / subset}: expected {kind}. If the dataset is the "
                        f"other format, pass {other}.\n" + musdb_help(root))
    return MusdbTracks(db, keep_example=keep_example, max_seconds=max_seconds)


def _middle(track, seconds):
    """``track`` cut to ``seconds`` around its middle (whole when it is shorter or ``None``)."""
    if seconds is None or track.duration <= seconds:
        return track
    cut = track.excerpt((track.duration - seconds) / 2, seconds)
    cut.subset = getattr(track, "subset", None)
    return cut


def musdb_training_sets(data="musdb", max_seconds: float | None = None, progress: bool = True) -> tuple:
    """The songs to train on and to validate (early stopping) on, from MUSDB18's ``train``
    subset with musdb's official split; the ``test`` subset is never read.

    Parameters
    ----------
    data : "musdb", str or Path
        ``"musdb"``: the 7-second previews (:func:`download_previews`, cached); or a MUSDB18
        / MUSDB18-HQ root (``.stem.mp4`` files or wav folders, found out from the files).
    max_seconds : float or None
        Cut every song to this many seconds around its middle (full songs take about 45 MB
        of memory per minute each); ``None`` keeps them whole.
    progress : bool
        Show a bar while decoding.

    Returns
    -------
    tuple
        ``(train, valid)``: lists of :class:`~mssedu.data.Track` (musdb's ``split="train"``
        and ``split="valid"``: 14 validation songs in the full dataset), without the course's
        example song, which is checked.

    Raises
    ------
    ParameterError
        ``max_seconds`` is not positive.
    DataError
        No such dataset, no validation songs in it, or the example song among them.
    NetworkError
        The previews had to be downloaded and could not be.
    """
    if max_seconds is not None and not max_seconds > 0:
        raise ParameterError(f"max_seconds must be > 0 or None, got {max_seconds!r}.")
    root = None if isinstance(data, str) and data == "musdb" else data
    sets = []
    for split in ("train", "valid"):
        listing = musdb_tracks(root, subset="train", split=split, max_seconds=max_seconds)
        songs = list(tqdm(listing, total=len(listing), disable=not progress, desc=f"decoding MUSDB {split}"))
        if not songs:
            raise DataError(f"MUSDB {listing.root} has no {split!r} songs in musdb's split of train/ "
                            "(besides the course's example song, which is left out).")
        sets.append(songs)
    leaked = [t.name for t in sets[0] + sets[1] if is_example(t)]
    if leaked:   # a check that survives python -O: the course's test song must stay held out
        raise DataError(f"The course's example song {leaked[0]!r} is among the training songs; it is "
                        "the course's held-out test song. Remove it from the dataset folder.")
    return sets[0], sets[1]


def find_real_songs(choice: str = "auto", download: bool = True) -> tuple:
    """Where the real songs for training come from, decided once: the notebooks' question
    "MUSDB18 previews (~140 MB) or songs made here?".

    Parameters
    ----------
    choice : {"auto", "previews", "synthetic"}
        ``"auto"``: a MUSDB18 root in ``$MUSDB_PATH``, else the cached previews, else the
        previews downloaded now when ``download`` and the server answers, else synthetic;
        ``"previews"``: the same, but an error when they cannot be had; ``"synthetic"``: none.
    download : bool
        Allow the download (the notebooks' fast mode never downloads).

    Returns
    -------
    tuple
        ``(root or None, sentence)``: the MUSDB root to read (``None``: use the synthetic
        songs) and a sentence saying which was chosen and why.

    Raises
    ------
    ParameterError
        An unknown ``choice``.
    NetworkError, DataError
        ``choice="previews"`` and they cannot be had.
    """
    if choice not in ("auto", "previews", "synthetic"):
        raise ParameterError(f"choice must be 'auto', 'previews' or 'synthetic', got {choice!r}.")
    if choice == "synthetic":
        return None, "songs made here (synthetic), as asked"
    env = os.environ.get("MUSDB_PATH", "").strip()
    if env and is_musdb_root(env):
        return Path(env).expanduser(), f"your MUSDB18 in {env} ($MUSDB_PATH)"
    if is_musdb_root(previews_folder()):
        return previews_folder(), f"the MUSDB18 7-second previews cached in {previews_folder()}"
    if choice == "auto" and not download:
        return None, "songs made here (synthetic): the MUSDB18 previews are not cached here, and no download was asked for"
    try:
        return download_previews(), f"the MUSDB18 7-second previews, downloaded now into {previews_folder()}"
    except (NetworkError, DataError) as err:
        if choice == "previews":
            raise
        return None, f"songs made here (synthetic): the MUSDB18 previews could not be had ({str(err).splitlines()[0][:160]})"


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
