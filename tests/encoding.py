"""Test helper: write compressed audio (mp3, m4a) with PyAV, so that tests need no ffmpeg program."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np

#: file suffix -> (container format, PyAV encoder)
CODECS = {".mp3": ("mp3", "libmp3lame"), ".m4a": ("ipod", "aac")}


def encode(path, signal, sr: int, bitrate: int = 192_000) -> Path:
    """Write ``signal`` ``(channels, samples)`` float to ``path`` (.mp3 or .m4a) with PyAV."""
    path = Path(path)
    fmt, codec = CODECS[path.suffix.lower()]
    x = np.ascontiguousarray(np.atleast_2d(signal), dtype=np.float32)
    layout = {1: "mono", 2: "stereo"}[x.shape[0]]
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=sr, layout=layout)
        stream.bit_rate = bitrate
        frame = av.AudioFrame.from_ndarray(x, format="fltp", layout=layout)
        frame.sample_rate = sr
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):   # flush the encoder
            out.mux(packet)
    return path
