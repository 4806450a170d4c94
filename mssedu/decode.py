"""Decoding compressed audio (mp3, m4a, aac, opus, ``.stem.mp4`` ...) with PyAV.

PyAV (``av`` on the package index) wraps FFmpeg's libraries and its wheels carry them, so
no ``ffmpeg`` program has to be installed on any system. :mod:`mssedu.audio` reads WAV,
FLAC and OGG with soundfile and hands everything else to this module; the ``.stem.mp4``
multitracks (several audio streams in one MP4: the mixture, then the stems) are read here
stream by stream.

Every signal comes back as float32 ``(channels, samples)`` at the file's own rate.

>>> from mssedu import data, decode
>>> meta = decode.probe(data.example_path())
>>> meta["sr"], meta["channels"], meta["streams"], meta["samples"]
(44100, 2, 5, 268288)
>>> y, sr = decode.decode(data.example_path(), stream=4, offset=1.0, duration=0.5)
>>> y.shape, y.dtype.name
((2, 22050), 'float32')
"""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from .errors import AudioError, ParameterError

__all__ = ["probe", "decode", "PREROLL_SECONDS"]

#: A seek lands this much before the wanted start, so that the codec's overlapping frames
#: are complete at the first sample kept (AAC and MP3 frames overlap their neighbours).
PREROLL_SECONDS = 0.5


def _open(path: Path):
    """The PyAV container of ``path``; AudioError when FFmpeg cannot read it at all."""
    try:
        return av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError) as err:   # not a container FFmpeg knows
        raise _not_audio(path, f"FFmpeg: {err}") from None


def _not_audio(path: Path, why: str) -> AudioError:
    if path.name.lower().endswith(".stem.mp4"):
        # names the format (.stem.mp4) and what it holds (a stem file), as both loaders said before
        return AudioError(f"{path} could not be read as a .stem.mp4 multitrack ({why}): the stem "
                          "file is damaged or incomplete, or could not be read as a stem file at "
                          "all. Re-download it.")
    return AudioError(f"{path} is not an audio file that soundfile or PyAV can read ({why}; is it "
                      "really audio, or a download error page?). Re-export it as wav or flac, or "
                      "re-download it.")


def _audio_streams(container, path: Path) -> list:
    streams = [s for s in container.streams.audio
               if s.codec_context.sample_rate and len(s.codec_context.layout.channels)]
    if not streams:
        raise _not_audio(path, "no audio stream found")
    return streams


def probe(path) -> dict:
    """What an audio file holds, from its header (nothing decoded).

    Parameters
    ----------
    path : str or Path
        A file FFmpeg can read (mp3, m4a, mp4, ogg, opus, ...).

    Returns
    -------
    dict
        ``sr`` (Hz), ``channels`` and ``samples``/``seconds`` (``None``/``nan`` when the file
        does not state its length) of the first audio stream; ``streams`` (how many audio
        streams) and ``titles`` (each stream's ``handler_name`` tag, ``""`` when absent).

    Raises
    ------
    AudioError
        No audio stream, or not a file FFmpeg can read.
    """
    path = Path(path)
    with _open(path) as container:
        streams = _audio_streams(container, path)
        first = streams[0]
        sr = int(first.codec_context.sample_rate)
        if first.duration is not None and first.time_base is not None:
            seconds = float(first.duration * first.time_base)
        elif container.duration is not None:   # in AV_TIME_BASE units (microseconds)
            seconds = container.duration / av.time_base
        else:
            seconds = float("nan")
        return {"sr": sr, "channels": len(first.codec_context.layout.channels),
                "samples": int(round(seconds * sr)) if np.isfinite(seconds) else None,
                "seconds": seconds, "streams": len(streams),
                "titles": [s.metadata.get("handler_name", "") for s in streams]}


def _frame_array(frame) -> np.ndarray:
    """One decoded frame as float32 ``(channels, samples)`` (planar or packed, any sample type)."""
    a = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if not frame.format.is_planar:   # packed: one row of interleaved samples
        a = a.reshape(-1, channels).T
    if a.dtype.kind == "i":          # s16, s32: full scale is 2**(bits-1)
        return (a / float(2 ** (8 * a.dtype.itemsize - 1))).astype(np.float32)
    if a.dtype.kind == "u":          # u8: centred on 128
        return ((a.astype(np.float32) - 128.0) / 128.0)
    return a.astype(np.float32, copy=False)


def _decode_from(container, stream, start: int, seek: bool):
    """Frames of ``stream`` and the sample index of the first one (None: pts unusable)."""
    sr = stream.codec_context.sample_rate
    first = 0
    if seek:
        target = max(0.0, start / sr - PREROLL_SECONDS)
        container.seek(int(target / stream.time_base), stream=stream, backward=True)
        first = None
    chunks = []
    for frame in container.decode(stream):
        if first is None:
            if frame.pts is None:
                return None, None
            origin = stream.start_time or 0
            first = int(round(float((frame.pts - origin) * stream.time_base) * sr))
        chunks.append(_frame_array(frame))
    return chunks, first


def decode(path, stream: int = 0, offset: float = 0.0, duration: float | None = None):
    """Decode one audio stream of ``path`` (or a piece of it) to float32.

    Parameters
    ----------
    path : str or Path
        A file FFmpeg can read.
    stream : int
        Which audio stream (0: the first; in a ``.stem.mp4`` the mixture, then the stems).
    offset : float
        Start, in seconds from the beginning of the stream.
    duration : float or None
        How many seconds to return; ``None`` reads to the end.

    Returns
    -------
    signal : np.ndarray, float32, shape ``(channels, samples)``
        The decoded samples (empty when ``offset`` lies past the end).
    sr : int
        The stream's sample rate in Hz.

    Raises
    ------
    ParameterError
        ``stream`` is not one of the file's audio streams.
    AudioError
        The file cannot be read or decoded.
    """
    path = Path(path)
    with _open(path) as container:
        streams = _audio_streams(container, path)
        if not 0 <= int(stream) < len(streams):
            raise ParameterError(f"stream={stream}: {path.name} has {len(streams)} audio stream(s), "
                                 f"numbered 0 to {len(streams) - 1}.")
        st = streams[int(stream)]
        sr = int(st.codec_context.sample_rate)
        start = int(round(offset * sr))
        stop = None if duration is None else start + int(round(duration * sr))
        try:
            chunks, first = _decode_from(container, st, start, seek=start > 0)
            if first is None or first > start:   # no usable time stamps: read from the start
                container.seek(0)
                chunks, first = _decode_from(container, st, start, seek=False)
        except av.FFmpegError as err:
            raise AudioError(f"{path} could not be decoded (FFmpeg: {err}). The file is damaged or "
                             "incomplete: re-download or re-export it.") from None
    channels = len(st.codec_context.layout.channels)
    signal = np.concatenate(chunks, axis=1) if chunks else np.zeros((channels, 0), np.float32)
    a = start - first
    b = None if stop is None else stop - first
    return np.ascontiguousarray(signal[:, a:b]), sr
