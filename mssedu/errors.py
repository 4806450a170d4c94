"""The exceptions mssedu raises: one family, one class per kind of fault.

``except mssedu.MsseduError`` catches everything mssedu raises on purpose, and a caller can
tell a bad argument from a missing file or an unreachable server::

    MsseduError                 root (an Exception)
    ├── ParameterError          a bad argument or input value  (also a ValueError)
    ├── DataError               a file or folder is missing, unreadable, corrupt or unwritable
    │   └── AudioError          ... an audio file in particular (cannot be decoded, too long)
    ├── ModelLoadingError       weights or a checkpoint cannot be found, verified or loaded
    └── NetworkError            a server cannot be reached or answers with an error

Every message says what was wrong and what to do about it. The shared input checks that raise
them live in :mod:`mssedu.checks`.
"""
from __future__ import annotations

__all__ = ["MsseduError", "ParameterError", "DataError", "AudioError", "ModelLoadingError",
           "NetworkError", "UndefinedScoreWarning"]


class MsseduError(Exception):
    """Root of every error mssedu raises on purpose; the message says what to do."""


class ParameterError(MsseduError, ValueError):
    """An argument or input value is wrong (a shape, a range, a type, an unknown name)."""


class DataError(MsseduError):
    """A file or folder is missing, unreadable, corrupt, or cannot be written."""


class AudioError(DataError):
    """An audio file cannot be decoded, or is not what its header says."""


class ModelLoadingError(MsseduError):
    """Model weights or a checkpoint cannot be found, verified or loaded (safely)."""


class NetworkError(MsseduError):
    """A download server cannot be reached, or refuses the request."""


class UndefinedScoreWarning(UserWarning):
    """A metric or loss is undefined for this input (silent reference, NaN/inf): the value is NaN."""
