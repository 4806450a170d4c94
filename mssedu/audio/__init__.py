"""Reading, writing and listening to audio.

Every signal in mssedu is a float32 numpy array shaped ``(channels, samples)``; a mono
signal has one channel. :func:`load` always returns that shape, whatever the file holds.

Reading tries :mod:`soundfile` (wav, flac, ogg, and mp3 with libsndfile >= 1.1) and falls
back to PyAV (:mod:`mssedu.decode`: mp3, m4a, anything FFmpeg knows, with FFmpeg's libraries
inside its wheels, so no ``ffmpeg`` program is needed). ``.stem.mp4`` multitracks are read
through PyAV too; ``load`` returns their mixture stream, and
:func:`mssedu.data.load_multitrack` returns every stem.
"""
from .files import MAX_LOAD_BYTES, ffmpeg_path, info, load, save, stream
from .signals import PCM_SCALES, as_signal, normalize, pcm_to_float, play, resample, to_mono, to_stereo

__all__ = ["load", "save", "info", "stream", "resample", "to_mono", "to_stereo", "normalize",
           "play", "ffmpeg_path", "MAX_LOAD_BYTES", "as_signal", "pcm_to_float", "PCM_SCALES"]
