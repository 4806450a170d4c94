"""Reading, writing and listening to audio.

Every signal in mssedu is a float32 numpy array shaped ``(channels, samples)``; a mono
signal has one channel. :func:`load` always returns that shape, whatever the file holds.

Reading tries :mod:`soundfile` (wav, flac, ogg, and mp3 with libsndfile >= 1.1) and falls
back to ``ffmpeg`` (mp3, m4a, anything ffmpeg knows). ``.stem.mp4`` multitracks are read
with :mod:`stempeg`; ``load`` returns their mixture stream, and
:func:`mssedu.data.load_multitrack` returns every stem.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from IPython.display import Audio
from scipy.signal import resample_poly

from .atomic import clean_stale_parts, part_path, usual_mode, writable_folder
from .checks import check_bool, check_finite, check_number, check_rate, check_signal
from .errors import AudioError, DataError, ParameterError

try:
    import stempeg
except RuntimeError:  # stempeg refuses to import when ffmpeg is not on PATH; wav/flac still work
    stempeg = None

__all__ = ["load", "save", "info", "stream", "resample", "to_mono", "to_stereo", "normalize",
           "play", "ffmpeg_path", "MAX_LOAD_BYTES", "as_signal", "pcm_to_float", "PCM_SCALES"]

#: :func:`load` refuses to decode more than this many bytes of float32 audio at once
#: (about 100 minutes of 44.1 kHz stereo); longer files are read in pieces with
#: ``offset``/``duration`` or :func:`stream`, or separated with ``mssedu separate`` (it streams).
MAX_LOAD_BYTES = 2 * 1024 ** 3

#: Formats :func:`save` writes, by file suffix.
WRITABLE = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".mp3": "MP3"}


def ffmpeg_path(needed_for: str = "mp3/m4a/mp4 files") -> str:
    """Path of the ``ffmpeg`` executable.

    Parameters
    ----------
    needed_for : str
        What ffmpeg is needed for, for the message (e.g. ``".m4a files such as song.m4a"``).

    Returns
    -------
    str
        The executable found on ``PATH``.

    Raises
    ------
    DataError
        ffmpeg is not installed; the message says how to install it.
    """
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise DataError(_ffmpeg_missing(needed_for))
    return exe


def _ffmpeg_missing(needed_for: str) -> str:
    return (f"ffmpeg is needed to read {needed_for}, and it was not found on PATH. Install it "
            "(Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg; Windows: "
            "winget install Gyan.FFmpeg; any system with conda: conda install -c conda-forge ffmpeg), "
            "then open a new terminal or restart the kernel so that it is on PATH; wav, flac and "
            "ogg need no ffmpeg.")


def _needed_for(path: Path) -> str:
    return f"{path.suffix or 'extension-less'} files such as {path.name}"


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
        The file is empty or not audio that soundfile or ffmpeg can read.
    """
    path = _check_readable(path)
    try:
        with _quiet_stderr():
            i = sf.info(str(path))
        if i.samplerate > 0 and i.channels > 0:
            return {"sr": i.samplerate, "channels": i.channels, "samples": i.frames,
                    "seconds": i.frames / i.samplerate}
    except Exception:   # soundfile cannot read it: ask ffprobe below
        pass
    exe = shutil.which("ffprobe")
    if exe is None:
        raise DataError(_ffmpeg_missing(_needed_for(path)))
    out = subprocess.run([exe, "-v", "error", "-select_streams", "a:0", "-show_entries",
                          "stream=sample_rate,channels:format=duration", "-of",
                          "default=noprint_wrappers=1", str(path)],
                         capture_output=True, text=True)
    fields = dict(line.split("=", 1) for line in out.stdout.split() if "=" in line)
    # ffprobe answers "sample_rate=0", "channels=0" and "duration=N/A" for bytes it only
    # half-recognises (garbage named .flac): that is not audio
    sr, channels = _whole(fields.get("sample_rate")), _whole(fields.get("channels"))
    if out.returncode != 0 or not sr or not channels:
        if path.name.endswith(".stem.mp4"):
            raise AudioError(f"{path} could not be read as a stem file: ffprobe finds no audio "
                             "stream in it. Re-download it, or check it with `ffprobe`.")
        raise AudioError(f"{path} is not an audio file that soundfile or ffmpeg can read (no "
                         "audio stream found; is it really audio, or a download error page?). "
                         "Re-export it as wav or flac, or re-download it.")
    try:
        seconds = float(fields.get("duration", "nan"))
    except ValueError:   # "N/A": a stream without a stated length
        seconds = float("nan")
    samples = int(round(seconds * sr)) if np.isfinite(seconds) else None
    return {"sr": sr, "channels": channels, "samples": samples, "seconds": seconds}


def _whole(text):
    """A positive integer from ffprobe's text, or None ("N/A", "0", missing)."""
    try:
        value = int(text)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


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


def _load_ffmpeg(path: Path, offset: float, duration):
    exe = ffmpeg_path(_needed_for(path))
    # ask ffprobe-free: decode to float32 little-endian at the native rate and channel count
    probe = subprocess.run([exe, "-hide_banner", "-i", str(path)], capture_output=True, text=True)
    m = re.search(r"Audio: .*?(\d+) Hz, ([^,]+)", probe.stderr)
    if m is None:
        raise AudioError(f"{path} holds no audio stream that ffmpeg can decode "
                          "(is it really an audio file?).")
    sr = int(m.group(1))
    layout = m.group(2).strip()
    channels = {"mono": 1, "stereo": 2}.get(layout)
    if channels is None:
        m2 = re.match(r"(\d+) channels", layout)
        channels = int(m2.group(1)) if m2 else 2
    cmd = [exe, "-v", "error", "-nostdin"]
    if offset:
        cmd += ["-ss", str(offset)]
    cmd += ["-i", str(path)]
    if duration is not None:
        cmd += ["-t", str(duration)]
    cmd += ["-map", "0:a:0", "-f", "f32le", "-acodec", "pcm_f32le", "-ac", str(channels), "-"]
    out = subprocess.run(cmd, capture_output=True)
    if out.returncode != 0:
        raise AudioError(f"ffmpeg could not decode {path}: {out.stderr.decode(errors='replace')[-300:]}")
    data = np.frombuffer(out.stdout, dtype="<f4")
    data = data[: len(data) // channels * channels].reshape(-1, channels).T
    return np.ascontiguousarray(data), sr


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
        The file is missing, a folder or unreadable, or it needs ffmpeg and ffmpeg is missing.
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
    if path.name.endswith(".stem.mp4"):
        if stempeg is None:
            raise DataError(_ffmpeg_missing(_needed_for(path)))
        try:
            stems, rate = stempeg.read_stems(str(path), stem_id=0, start=offset or None,
                                             duration=duration, dtype=np.float32)
        except Exception as err:
            raise AudioError(f"{path} could not be read as a stem file: {err}. Re-download it, "
                             "or check it with `ffprobe`.") from err
        signal, file_sr = np.ascontiguousarray(np.asarray(stems, dtype=np.float32).T), int(rate)
    else:
        try:
            signal, file_sr = _load_soundfile(path, offset, duration)
        except AudioError:
            raise   # soundfile read it and found it broken (truncated): no second opinion
        except Exception:   # a format soundfile does not know: ffmpeg decodes it
            signal, file_sr = _load_ffmpeg(path, offset, duration)
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


def resample(signal, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample ``(..., samples)`` from ``orig_sr`` to ``target_sr`` (polyphase, scipy).

    Parameters
    ----------
    signal : array_like, shape ``(..., samples)``
        The audio, e.g. ``(channels, samples)``.
    orig_sr : int
        Its sample rate in Hz.
    target_sr : int
        The rate wanted, in Hz.

    Returns
    -------
    np.ndarray
        float32, shape ``(..., new_samples)`` with ``new_samples`` about
        ``samples * target_sr / orig_sr``.
    """
    orig_sr, target_sr = check_rate(orig_sr, "orig_sr"), check_rate(target_sr, "target_sr")
    x = as_signal(signal)
    if orig_sr == target_sr:
        return x
    g = gcd(orig_sr, target_sr)
    return resample_poly(x, target_sr // g, orig_sr // g, axis=-1).astype(np.float32)


def to_mono(signal) -> np.ndarray:
    """Average channels: ``(channels, samples)`` -> ``(1, samples)``; 1-D input becomes ``(1, samples)``.

    Parameters
    ----------
    signal : array_like, shape ``(channels, samples)`` or ``(samples,)``
        The audio.

    Returns
    -------
    np.ndarray
        float32, shape ``(1, samples)``.
    """
    x = as_signal(signal)
    if x.ndim == 1:
        return x[None]
    return x.mean(axis=-2, keepdims=True)


def to_stereo(signal) -> np.ndarray:
    """Make a signal two-channel: mono is duplicated, stereo is kept, more channels are an error.

    Parameters
    ----------
    signal : array_like, shape ``(channels, samples)`` or ``(samples,)``
        Mono or stereo audio.

    Returns
    -------
    np.ndarray
        float32, shape ``(2, samples)``.
    """
    x = as_signal(signal)
    if x.ndim == 1:
        x = x[None]
    if x.shape[-2] == 1:
        return np.repeat(x, 2, axis=-2)
    if x.shape[-2] == 2:
        return x
    raise ParameterError(f"to_stereo expects 1 or 2 channels, got {x.shape[-2]}. "
                      "Down-mix multichannel audio first (e.g. to_mono).")


def normalize(signal, peak: float = 0.99) -> np.ndarray:
    """Scale so that the largest absolute sample equals ``peak``; silence is returned as is.

    Parameters
    ----------
    signal : array_like, shape ``(channels, samples)`` or any
        The audio.
    peak : float
        The largest absolute sample after scaling, > 0.

    Returns
    -------
    np.ndarray
        float32, same shape.
    """
    peak = check_number(peak, "peak", 0, hint="It is the largest absolute sample after "
                        "scaling, e.g. 0.99 (a negative peak would flip the polarity).")
    x = as_signal(signal)
    m = float(np.max(np.abs(x))) if x.size else 0.0
    return x if m == 0 else (x * (peak / m)).astype(np.float32)


def play(signal, sr: int, normalize_level: bool = False):
    """An IPython audio player for ``signal`` (``(channels, samples)`` or 1-D).

    Levels are kept as they are (``normalize_level=False``) so that players side by side
    can be compared by ear; samples beyond +-1 are scaled down to avoid clipping.

    Parameters
    ----------
    signal : array_like, shape ``(channels, samples)`` or ``(samples,)``
        The audio.
    sr : int
        Sample rate in Hz.
    normalize_level : bool
        Let the player scale the audio to full level.

    Returns
    -------
    IPython.display.Audio
        A player; it shows when it is the last value of a notebook cell.
    """
    x = as_signal(signal)
    sr = check_rate(sr)
    if x.ndim == 2 and x.shape[0] == 1:
        x = x[0]
    if x.ndim > 2:
        raise ParameterError(f"play expects (channels, samples), got shape {x.shape}.")
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if not normalize_level and peak > 1.0:
        x = x / peak
    return Audio(x, rate=sr, normalize=bool(normalize_level and peak > 0.0))


#: Integer PCM dtypes and how :func:`pcm_to_float` maps them to [-1, 1): (offset, full scale).
PCM_SCALES = {np.dtype(np.int8): (0, 2.0 ** 7), np.dtype(np.int16): (0, 2.0 ** 15),
              np.dtype(np.int32): (0, 2.0 ** 31), np.dtype(np.uint8): (128, 2.0 ** 7),
              np.dtype(np.uint16): (2 ** 15, 2.0 ** 15)}


def pcm_to_float(x) -> np.ndarray:
    """Integer PCM samples as floats in [-1, 1) (see :data:`PCM_SCALES`); other dtypes unchanged.

    Parameters
    ----------
    x : array_like
        Samples of any shape and dtype.

    Returns
    -------
    numpy.ndarray
        float64 for integer PCM dtypes (int8/16/32, uint8/16), otherwise ``np.asarray(x)``.

    Examples
    --------
    >>> import numpy as np
    >>> pcm_to_float(np.array([-32768, 16384], dtype=np.int16))
    array([-1. ,  0.5])
    """
    arr = np.asarray(x)
    if arr.dtype in PCM_SCALES:
        offset, scale = PCM_SCALES[arr.dtype]
        return (arr.astype(np.float64) - offset) / scale
    return arr


def as_signal(x, name: str = "signal", min_samples: int = 1) -> np.ndarray:
    """``x`` checked as audio (:func:`mssedu.checks.check_signal`) and as float32 ``(..., samples)``.

    Integer PCM is converted by its full scale, as a WAV reader would (int16 / 32768, uint8
    (x - 128) / 128, ...: :func:`pcm_to_float`); other integer dtypes (int64: a plain list of
    numbers) are taken as they are.

    Parameters
    ----------
    x : array_like
        Audio samples, last axis = time.
    name : str
        What ``x`` is, for messages.
    min_samples : int
        Fewest samples accepted (e.g. one analysis frame).

    Returns
    -------
    numpy.ndarray
        float32, same shape as ``x`` (no copy for a float32 array).

    Examples
    --------
    >>> import numpy as np
    >>> as_signal(np.array([0, 16384], dtype=np.int16))
    array([0. , 0.5], dtype=float32)
    """
    arr = check_signal(x, name, min_samples)
    return pcm_to_float(arr).astype(np.float32, copy=False)
