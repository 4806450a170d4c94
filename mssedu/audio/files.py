"""Audio files: reading (soundfile, else PyAV), streaming long files, writing atomically.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> path = save(os.path.join(tempfile.mkdtemp(), "tone.wav"), np.zeros((2, 800), np.float32), 8000)
>>> y, sr = load(path)
>>> y.shape, sr
((2, 800), 8000)
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from .. import decode
from ..atomic import clean_stale_parts, part_path, usual_mode, writable_folder
from ..checks import check_bool, check_finite, check_number, check_rate
from ..errors import AudioError, DataError, ParameterError
from .signals import as_signal, resample, to_mono

__all__ = ["load", "save", "info", "stream", "ffmpeg_path", "MAX_LOAD_BYTES", "WRITABLE"]

#: :func:`load` refuses to decode more than this many bytes of float32 audio at once
#: (about 100 minutes of 44.1 kHz stereo); longer files are read in pieces with
#: ``offset``/``duration`` or :func:`stream`, or separated with ``mssedu separate`` (it streams).
MAX_LOAD_BYTES = 2 * 1024 ** 3

#: Formats :func:`save` writes, by file suffix.
WRITABLE = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".mp3": "MP3"}


def ffmpeg_path(needed_for: str = "writing mp3 files") -> str:
    """Path of the ``ffmpeg`` executable: only writing mp3 needs it (reading needs none).

    Parameters
    ----------
    needed_for : str
        What ffmpeg is needed for, for the message (e.g. ``"writing mp3 files"``).

    Returns
    -------
    str
        The executable found on ``PATH``.

    Raises
    ------
    DataError
        ffmpeg is not installed; the message says how to install it on this system and
        which formats need none.
    """
    exe = shutil.which("ffmpeg")
    if exe is None:
        install = {"win32": "winget install Gyan.FFmpeg", "darwin": "brew install ffmpeg"}.get(
            sys.platform, "sudo apt-get install ffmpeg (Debian/Ubuntu; or your system's package manager)")
        raise DataError(f"ffmpeg is needed for {needed_for}, and it was not found on PATH. Install "
                        f"it ({install}), then open a new terminal or restart the kernel; or choose "
                        "wav or flac, which need no ffmpeg.")
    return exe


@contextlib.contextmanager
def _quiet_stderr():
    """Keep C-library chatter off the terminal: libsndfile's mp3 decoder (mpg123) prints
    "Note: Illegal Audio-MPEG-Header ..." straight to file descriptor 2 while it probes a file
    that is not mp3. Our own error message says what went wrong instead."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        saved = None
    if saved is None:
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _wav_declared_frames(path: Path):
    """Frames the header of a RIFF/WAVE file promises (its ``data`` chunk size), or None when
    it is not a plain WAV or the size is a streaming placeholder (0 or 0xFFFFFFFF)."""
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        block_align = 0
        while True:
            chunk = fh.read(8)
            if len(chunk) < 8:
                return None
            cid, size = chunk[:4], int.from_bytes(chunk[4:], "little")
            if cid == b"fmt ":
                fmt = fh.read(size)
                block_align = int.from_bytes(fmt[12:14], "little") if len(fmt) >= 14 else 0
                fh.seek(size % 2, 1)
            elif cid == b"data":
                if not block_align or size in (0, 0xFFFFFFFF):
                    return None
                return size // block_align
            else:
                fh.seek(size + size % 2, 1)


def _check_readable(path) -> Path:
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"No such file: {path}. Check the path (it is resolved from {Path.cwd()}).")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not an audio file. "
                        "For a folder of stems use mssedu.data.load_multitrack.")
    if path.stat().st_size == 0:
        raise AudioError(f"{path} is empty (0 bytes). Re-export or re-download it.")
    if not os.access(path, os.R_OK):
        raise DataError(f"{path} exists but cannot be read (permissions). Check its owner "
                        "and mode (chmod u+r).")
    return path


def info(path) -> dict:
    """Sample rate, channel count, frame count and duration of an audio file, without
    decoding it all.

    Parameters
    ----------
    path : str or Path
        An audio file (anything :func:`load` reads).

    Returns
    -------
    dict
        Keys ``sr`` (Hz), ``channels``, ``samples`` (per channel) and ``seconds``.

    Raises
    ------
    DataError
        The file is missing, a folder or unreadable.
    AudioError
        The file is empty or not audio that soundfile or PyAV can read.
    """
    path = _check_readable(path)
    try:
        with _quiet_stderr():
            i = sf.info(str(path))
        if i.samplerate > 0 and i.channels > 0:
            return {"sr": i.samplerate, "channels": i.channels, "samples": i.frames,
                    "seconds": i.frames / i.samplerate}
    except Exception:   # soundfile cannot read it: PyAV reads the header
        pass
    meta = decode.probe(path)
    return {k: meta[k] for k in ("sr", "channels", "samples", "seconds")}


def _load_soundfile(path: Path, offset: float, duration):
    with _quiet_stderr(), sf.SoundFile(str(path)) as f:
        sr, total = f.samplerate, f.frames
        declared = _wav_declared_frames(path) if f.format == "WAV" else None
        start = min(int(round(offset * sr)), total)
        if start:
            f.seek(start)
        frames = -1 if duration is None else int(round(duration * sr))
        try:
            data = f.read(frames=frames, dtype="float32", always_2d=True)
        except sf.LibsndfileError as err:   # e.g. a FLAC cut short: "decoder lost sync"
            raise AudioError(f"{path} is truncated or corrupt: its header says {total / sr:.2f} s "
                             f"({total} frames) but decoding failed ({err.error_string}). The "
                             "download or copy was cut short: re-download or re-export it.") from None
    expected = total - start if duration is None else min(frames, total - start)
    if declared is not None and declared > total:
        _truncated(path, sr, declared, total)
    if len(data) < expected:
        _truncated(path, sr, total, start + len(data))
    return data.T, sr


def _truncated(path: Path, sr: int, promised: int, held: int):
    raise AudioError(
        f"{path} is truncated: its header says {promised / sr:.2f} s ({promised} frames) but "
        f"the file holds only {held / sr:.2f} s ({held} frames). The download or copy was cut "
        "short: re-download or re-export it.")


def load(path, sr: int | None = None, mono: bool = False, offset: float = 0.0,
         duration: float | None = None, max_seconds: float | None = None):
    """Load an audio file as float32 ``(channels, samples)``.

    Parameters
    ----------
    path : str or Path
        wav, flac, ogg, mp3, m4a, or a ``.stem.mp4`` (its mixture stream is returned).
    sr : int or None
        Resample to this rate; ``None`` keeps the file's rate.
    mono : bool
        Average the channels into one (shape ``(1, samples)``).
    offset, duration : float
        Read only ``duration`` seconds starting at ``offset`` seconds (for long files:
        read them in pieces instead of all at once).
    max_seconds : float or None
        Refuse (before decoding anything) to read more than this many seconds; ``None``
        means no cap beyond :data:`MAX_LOAD_BYTES`.

    Returns
    -------
    signal : np.ndarray, float32, shape ``(channels, samples)``
        The decoded audio.
    sr : int
        Its sample rate in Hz.

    Raises
    ------
    ParameterError
        A bad ``sr``, ``offset``, ``duration`` or ``max_seconds``.
    DataError
        The file is missing, a folder or unreadable.
    AudioError
        The file cannot be decoded, is empty, truncated (holds fewer frames than its header
        says), longer than ``max_seconds`` or too long to decode at once, or holds NaN/inf.

    Examples
    --------
    >>> from mssedu import audio, data
    >>> y, sr = audio.load(data.example_path())
    >>> y.shape[0], sr
    (2, 44100)
    """
    path, mono = _check_readable(path), check_bool(mono, "mono")
    offset = 0.0 if offset is None else check_number(
        offset, "offset", 0, strict=False, hint="It is the start, in seconds from the beginning.")
    if duration is not None:
        duration = check_number(duration, "duration", 0,
                                hint="It is how many seconds to read; None reads to the end.")
    if max_seconds is not None:
        max_seconds = check_number(max_seconds, "max_seconds", 0,
                                   hint="It caps how many seconds are read; None for no cap.")
    _check_size(path, info(path), offset, duration, max_seconds)
    if path.name.lower().endswith(".stem.mp4"):   # stream 0 of a stem file is the mixture
        signal, file_sr = decode.decode(path, 0, offset, duration)
    else:
        try:
            signal, file_sr = _load_soundfile(path, offset, duration)
        except AudioError:
            raise   # soundfile read it and found it broken (truncated): no second opinion
        except Exception:   # a format soundfile does not know: PyAV decodes it
            signal, file_sr = decode.decode(path, 0, offset, duration)
    if signal.size == 0:
        if offset:
            raise ParameterError(f"{path} decoded to no samples from offset={offset} s: the offset "
                                 "is past the end of the file (see mssedu.audio.info(path)).")
        raise AudioError(f"{path} decoded to no samples (empty audio). Re-export it.")
    try:
        check_finite(signal, f"audio in {path.name}")
    except ParameterError as err:   # the file's content is broken, not an argument
        raise AudioError(str(err)) from None
    if mono:
        signal = to_mono(signal)
    if sr is not None and check_rate(sr) != file_sr:
        signal = resample(signal, file_sr, sr)
        file_sr = int(sr)
    return signal.astype(np.float32, copy=False), int(file_sr)


def _check_size(path: Path, meta: dict, offset: float, duration, max_seconds) -> None:
    """Refuse, from the header alone (nothing decoded yet), a read that is too long."""
    total = meta["seconds"]
    if not np.isfinite(total):
        return  # the length is not stated: nothing to check before decoding
    seconds = max(0.0, total - offset)
    if duration is not None:
        seconds = min(duration, seconds)
    if max_seconds is not None and seconds > max_seconds:
        raise AudioError(
            f"{path.name} is {total:.0f} s ({total / 60:.1f} minutes) long; reading {seconds:.0f} s "
            f"of it is more than max_seconds={max_seconds:g}. Pass a larger max_seconds= (None "
            "for no cap), or read a piece with offset= and duration=.")
    nbytes = seconds * meta["sr"] * meta["channels"] * 4
    if nbytes > MAX_LOAD_BYTES:
        raise AudioError(
            f"{path.name} is {seconds / 60:.0f} minutes long: decoding it at once needs "
            f"{nbytes / 1024 ** 3:.1f} GiB. Read it in pieces with load(path, offset=..., "
            "duration=...) or `for block, sr in mssedu.audio.stream(path): ...`; to separate "
            f"it, the command line `mssedu separate {path.name}` streams long files block by block.")


def stream(path, block_seconds: float = 30.0, sr: int | None = None, mono: bool = False):
    """Read a long file block by block: yields ``(signal, sr)`` pairs of at most
    ``block_seconds`` each, in order, so memory stays bounded whatever the file's length.

    Parameters
    ----------
    path : str or Path
        An audio file (anything :func:`load` reads).
    block_seconds : float
        Length of each block in seconds (the last may be shorter).
    sr : int or None
        Resample every block to this rate; ``None`` keeps the file's rate.
    mono : bool
        Average the channels (blocks shaped ``(1, samples)``).

    Yields
    ------
    signal : np.ndarray, float32, shape ``(channels, samples)``
        The next block.
    sr : int
        Its sample rate in Hz.

    Examples
    --------
    >>> from mssedu import audio, data
    >>> sum(b.shape[-1] for b, _ in audio.stream(data.example_path(), 2.0)) > 0
    True
    """
    block_seconds = check_number(block_seconds, "block_seconds", 0,
                                 hint="It is the length of each block in seconds, e.g. 30.")
    total = info(path)["seconds"]
    if not np.isfinite(total):   # the file does not state its length: read it whole
        yield load(path, sr=sr, mono=mono)
        return
    offset = 0.0
    while offset < total:
        block, rate = load(path, sr=sr, mono=mono, offset=offset, duration=block_seconds)
        yield block, rate
        offset += block_seconds


def save(path, signal, sr: int, overwrite: bool = False, subtype: str | None = None) -> Path:
    """Write ``signal`` ``(channels, samples)`` to ``path``, atomically.

    The audio is written to a temporary file beside ``path`` and renamed into place, so an
    interrupted write never leaves half a file, and an existing file is never replaced unless
    ``overwrite=True``. The format follows the suffix: .wav (float32 unless ``subtype``),
    .flac (24-bit), .ogg, .mp3 (through ffmpeg).

    Parameters
    ----------
    path : str or Path
        Where to write; the suffix chooses the format (.wav, .flac, .ogg, .mp3). Missing
        folders are created.
    signal : array_like, shape ``(channels, samples)`` or ``(samples,)``
        The audio.
    sr : int
        Sample rate in Hz.
    overwrite : bool
        Replace an existing file.
    subtype : str, optional
        soundfile subtype (e.g. ``"PCM_16"``); default float32 for .wav, 24-bit for .flac.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ParameterError
        Unknown format, bad ``sr`` or a signal that is not ``(channels, samples)``.
    DataError
        The file exists (and ``overwrite`` is False), or the folder is not writable.
    """
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix not in WRITABLE:
        raise ParameterError(f"Cannot write {path.name}: unknown format {suffix!r}; "
                          f"use one of {', '.join(WRITABLE)}.")
    if path.exists() and not overwrite:
        raise DataError(f"{path} already exists; pass overwrite=True (CLI: --force) to replace it.")
    sr = check_rate(sr)
    x = as_signal(signal, "signal")
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2:
        raise ParameterError(f"signal must be (channels, samples), got shape {x.shape}.")
    writable_folder(path.parent, "Choose another folder, or check its permissions.")
    clean_stale_parts(path)          # what a killed earlier run left behind
    tmp = str(part_path(path))
    try:
        if suffix == ".mp3":
            _save_mp3(Path(tmp), x, sr)
        else:
            if subtype is None:
                subtype = {".wav": "FLOAT", ".flac": "PCM_24", ".ogg": "VORBIS"}[suffix]
            peak = float(np.max(np.abs(x))) if x.size else 0.0
            if subtype.startswith("PCM") and peak > 1.0:
                x = x / peak  # integer formats would clip: keep the shape of the waveform
            try:
                sf.write(tmp, x.T, sr, format=WRITABLE[suffix], subtype=subtype)
            except (sf.LibsndfileError, ValueError, TypeError) as err:
                raise ParameterError(
                    f"Cannot write {path.name} as {WRITABLE[suffix]} with subtype={subtype!r}, "
                    f"{x.shape[0]} channel(s) at {sr} Hz: {str(err).replace(tmp, str(path))}. "
                    f"Choose a subtype from soundfile.available_subtypes({WRITABLE[suffix]!r}), "
                    "or another format.") from None
        os.chmod(tmp, usual_mode())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _save_mp3(path: Path, x: np.ndarray, sr: int) -> None:
    exe = ffmpeg_path()
    peak = float(np.max(np.abs(x))) or 1.0
    pcm = (np.clip(x / max(peak, 1.0), -1, 1) * 32767).astype("<i2").T.tobytes()
    cmd = [exe, "-v", "error", "-y", "-f", "s16le", "-ar", str(sr), "-ac", str(x.shape[0]),
           "-i", "-", "-b:a", "256k", "-f", "mp3", str(path)]
    out = subprocess.run(cmd, input=pcm, capture_output=True)
    if out.returncode != 0:
        raise DataError(f"ffmpeg could not write mp3: {out.stderr.decode(errors='replace')[-300:]}")
