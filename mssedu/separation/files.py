"""Separate an audio *file* into stem files: streamed, bounded in memory, whole or nothing.

:func:`separate_file` is what ``mssedu separate`` runs for each song:

1. the song is read window by window (:func:`mssedu.audio.load` with ``offset``/``duration``,
   windows of ``window_seconds`` planned by :func:`mssedu.chunking.plan_chunks`, with a
   margin of context on each side), each window is separated with
   :func:`mssedu.separation.separate`, and the windows are cross-faded;
2. finished samples are appended to the stem files as soon as no later window can change
   them, so the memory used depends on the window, not on the song: an hour-long song
   separates in the same memory as a five-minute one;
3. the stems are written into a hidden temporary folder beside the output and moved into
   place only when every stem is complete. On any failure (a full disk, a bad file, Ctrl-C)
   the temporary folder is removed and nothing is left behind; a folder left by a killed
   run (``kill -9``) is removed by the next run.

Examples
--------
>>> from mssedu.separation import load_separator, separate_file     # doctest: +SKIP
>>> sep = load_separator("htdemucs")                                 # doctest: +SKIP
>>> separate_file(sep, "song.mp3", "stems/song", two_stems="vocals")  # doctest: +SKIP
[PosixPath('stems/song/vocals.wav'), PosixPath('stems/song/accompaniment.wav')]
"""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm.auto import tqdm

from ..atomic import move_into_place, new_part_folder
from ..audio import ffmpeg_path, info, load
from ..chunking import chunk_weights, plan_chunks
from ..checks import check_bool, check_number, safe_component
from ..errors import AudioError, DataError, ParameterError
from .api import fold_two_stems, separate

__all__ = ["separate_file", "stem_names", "song_name", "FORMATS"]

#: Output formats and the soundfile subtype used for each (mp3 goes through ffmpeg).
FORMATS = {"wav": "FLOAT", "flac": "PCM_24", "mp3": None}
_BYTES_PER_SAMPLE = {"wav": 4.0, "flac": 2.0, "mp3": 0.25}


def stem_names(separator, two_stems: str | None = None) -> list:
    """The stems a separation writes.

    Parameters
    ----------
    separator : Separator
        Any separator.
    two_stems : str, optional
        Karaoke mode: the stem kept apart.

    Returns
    -------
    list of str
    """
    if two_stems is None:
        return list(separator.sources)
    return list(fold_two_stems(dict.fromkeys(separator.sources, 0), two_stems))


class _StemWriter:
    """Appends ``(channels, samples)`` blocks to one audio file."""

    def __init__(self, path: Path, sr: int, channels: int, fmt: str):
        self.path, self.clipped = path, 0
        if fmt == "mp3":
            cmd = [ffmpeg_path(), "-v", "error", "-y", "-f", "f32le", "-ar", str(sr), "-ac",
                   str(channels), "-i", "-", "-b:a", "256k", "-f", "mp3", str(path)]
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
            self.file = None
        else:
            self.proc = None
            self.file = sf.SoundFile(str(path), "w", samplerate=sr, channels=channels,
                                     format=fmt.upper(), subtype=FORMATS[fmt])
        self.integer = fmt == "flac"

    def write(self, block: np.ndarray) -> None:
        if self.integer:
            over = np.abs(block) > 1.0
            if over.any():
                self.clipped += int(over.sum())
                block = np.clip(block, -1.0, 1.0)
        if self.proc is not None:
            self.proc.stdin.write(np.ascontiguousarray(block.T, dtype="<f4").tobytes())
        else:
            self.file.write(np.ascontiguousarray(block.T))

    def close(self) -> None:
        if self.proc is not None:
            _, err = self.proc.communicate()
            if self.proc.returncode != 0:
                raise DataError(f"ffmpeg could not write {self.path.name}: "
                                f"{err.decode(errors='replace')[-300:]}")
        elif self.file is not None:
            self.file.close()

    def abort(self) -> None:
        try:
            if self.proc is not None:
                self.proc.kill()
                self.proc.wait()
            elif self.file is not None and not self.file.closed:
                self.file.close()
        except Exception:
            pass


def _space_error(folder: Path, needed: float, err=None) -> DataError:
    try:
        free = shutil.disk_usage(folder if folder.exists() else folder.parent).free
        have = f"; {free / 1e6:.0f} MB free"
    except OSError:
        have = ""
    return DataError(f"No space left on the device holding {folder} (the stems need about "
                     f"{needed / 1e6:.0f} MB{have}). Nothing was written; free some space or "
                     "choose another folder with --out." + (f" ({err})" if err else ""))


def _read_window(path: Path, start: int, stop: int, sr: int, channels: int) -> np.ndarray:
    block, rate = load(path, offset=start / sr, duration=(stop - start) / sr)
    if rate != sr:
        raise AudioError(f"{path.name} changed its sample rate mid-file ({sr} -> {rate} Hz).")
    n = stop - start
    if block.shape[-1] < n:   # compressed formats may round the seek by a few samples
        block = np.pad(block, ((0, 0), (0, n - block.shape[-1])))
    return block[..., :n]


def separate_file(separator, path, folder, two_stems: str | None = None, fmt: str = "wav",
                  overwrite: bool = False, window_seconds: float = 60.0,
                  margin_seconds: float = 8.0, fade_seconds: float = 1.0,
                  progress: bool = True) -> list:
    """Separate the audio file ``path`` into ``folder/<stem>.<fmt>``, streaming.

    Parameters
    ----------
    separator : Separator
        Any separator (:func:`mssedu.separation.load_separator`).
    path : str or Path
        The song (anything :func:`mssedu.audio.load` reads).
    folder : str or Path
        The song's output folder; it appears whole or not at all.
    two_stems : str, optional
        Karaoke mode: write only this stem and ``accompaniment``.
    fmt : {"wav", "flac", "mp3"}
        Output format (wav: float32, flac: 24-bit, mp3: 256 kb/s through ffmpeg).
    overwrite : bool
        Replace an existing ``folder``.
    window_seconds : float
        Audio separated at once; longer songs are streamed window by window.
    margin_seconds : float
        Context on each side of a window that is computed but not kept.
    fade_seconds : float
        Cross-fade between neighbouring windows.
    progress : bool
        A progress bar over the song (seconds).

    Returns
    -------
    list of Path
        The stem files, in :func:`stem_names` order.

    Raises
    ------
    ParameterError
        Unknown format, bad window settings, or an unknown ``two_stems``.
    DataError
        ``folder`` exists (without ``overwrite``), cannot be written, or the disk is full.
    AudioError
        The song cannot be decoded.
    """
    if fmt not in FORMATS:
        raise ParameterError(f"fmt must be one of {sorted(FORMATS)}, got {fmt!r}.")
    for name, value in (("window_seconds", window_seconds), ("margin_seconds", margin_seconds),
                        ("fade_seconds", fade_seconds)):
        check_number(value, name, minimum=0, strict=False)
    path, folder = Path(path).expanduser(), Path(folder).expanduser()
    overwrite = check_bool(overwrite, "overwrite")
    if folder.name in ("", ".", ".."):
        raise ParameterError(f"folder {str(folder)!r} must name the song's own folder (e.g. "
                             "out/htdemucs/song), not '.' or '..'; use song_name(path) for it.")
    names = stem_names(separator, two_stems)
    lock = _lock(folder)      # one writer per song folder at a time
    try:
        if folder.exists() and not folder.is_dir():
            raise DataError(f"{folder} is a file, not a folder; choose another --out.")
        if folder.exists() and any(folder.iterdir()) and not overwrite:
            raise DataError(f"output exists: {folder} already holds files; pass --force "
                            "(overwrite=True) to replace them.")
        return _separate_into(separator, path, folder, names, two_stems, fmt,
                              (window_seconds, margin_seconds, fade_seconds), progress)
    finally:
        lock.unlink(missing_ok=True)


def song_name(path) -> str:
    """The folder name of a song's stems: its file name without the suffix, made safe.

    Always one safe, non-empty path component that is not ``.`` or ``..``
    (:func:`mssedu.checks.safe_component`), so no song can write outside its own folder.

    Parameters
    ----------
    path : str or Path
        The song's file.

    Returns
    -------
    str
        The name (``.stem.mp4`` counts as one suffix).

    Examples
    --------
    >>> song_name("music/My Song.stem.mp4"), song_name("..wav"), song_name("a/../b.flac")
    ('My Song', 'untitled', 'b')
    """
    name = Path(path).name
    stem = name[:-len(".stem.mp4")] if name.lower().endswith(".stem.mp4") else Path(name).stem
    return safe_component(stem, fallback="untitled")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:     # someone else's process: alive
        return True
    return True


def _lock(folder: Path) -> Path:
    """Take ``.<song>.lock`` beside the song folder (O_EXCL), or say who holds it."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = folder.with_name(f".{folder.name}.lock")
    for _ in range(2):       # a second try after removing a dead run's lock
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            text = lock.read_text(errors="replace").strip()
            pid = int(text) if text.isdigit() else 0
            if pid and _alive(pid) and pid != os.getpid():
                raise DataError(f"{folder} is being written by another mssedu run (process "
                                f"{pid}). Wait for it to finish, or choose another --out.") from None
            lock.unlink(missing_ok=True)      # left by a dead run (or by this one, crashed)
            continue
        except OSError as err:
            raise DataError(f"Cannot write into {folder.parent}: {err.strerror or err}. Choose "
                            "another folder with --out.") from err
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        return lock
    raise DataError(f"Could not lock {folder} for writing; remove {lock} and try again.")


def _separate_into(separator, path, folder, names, two_stems, fmt, seconds, progress):
    """The body of :func:`separate_file`, run while holding the song folder's lock."""
    window_seconds, margin_seconds, fade_seconds = seconds
    meta = info(path)
    sr, channels, n = int(meta["sr"]), int(meta["channels"]), int(meta["samples"])
    if n < 1:
        raise AudioError(f"{path.name} holds no audio samples.")
    needed = n * channels * len(names) * _BYTES_PER_SAMPLE[fmt]
    try:
        tmp = new_part_folder(folder)
        if shutil.disk_usage(folder.parent).free < needed:
            raise _space_error(folder, needed)
    except OSError as err:
        raise DataError(f"Cannot write into {folder.parent}: {err.strerror or err}. Choose "
                        "another folder with --out.") from err
    margin, fade = int(margin_seconds * sr), max(int(fade_seconds * sr), 1)
    size = max(int(window_seconds * sr), 2 * margin + fade + 1)
    # windows that start on the model's own grid (its chunk hop) give its single-pass result
    align = int(getattr(separator, "hop_samples", 1)) if int(separator.sr) == sr else 1
    size = max(size, 2 * margin + fade + align)
    plan = plan_chunks(n, size, fade, margin, align=max(align, 1))
    writers = []
    bar = tqdm(total=round(n / sr, 1), unit="s", desc=path.name, disable=not progress)
    try:
        writers = [_StemWriter(tmp / f"{s}.{fmt}", sr, channels, fmt) for s in names]
        pending = None
        for c in plan:
            block = _read_window(path, c.start, c.stop, sr, channels)
            stems = separate(separator, block, sr, two_stems=two_stems, progress=False)
            w = chunk_weights(c, fade)
            part = np.stack([stems[s] for s in names])[..., c.keep_start - c.start:c.keep_stop - c.start] * w
            if pending is not None:
                part[..., :pending.shape[-1]] += pending
            cut = part.shape[-1] if c.last else part.shape[-1] - fade
            for writer, stem in zip(writers, part[..., :cut]):
                writer.write(stem)
            pending = part[..., cut:]
            bar.update(round((c.keep_start + cut) / sr, 1) - bar.n)
        for writer in writers:
            writer.close()
        move_into_place(tmp, folder)
    except (OSError, sf.LibsndfileError) as err:
        for writer in writers:
            writer.abort()
        if isinstance(err, OSError) and err.errno not in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise DataError(f"Could not write the stems of {path.name} into {folder}: "
                            f"{err.strerror or err}. Nothing was written.") from err
        raise _space_error(folder, needed, err) from err
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    finally:
        bar.close()
        shutil.rmtree(tmp, ignore_errors=True)
    clipped = sum(w.clipped for w in writers)
    if clipped:
        warnings.warn(f"{clipped} samples of {path.name}'s stems exceeded full scale and were "
                      "clipped in the 24-bit FLAC files; use --format wav (float) to keep them.",
                      stacklevel=3)
    return [folder / f"{s}.{fmt}" for s in names]

