"""The data side of training: which songs a run learns from and is validated on.

The default training songs are synthetic multitracks rendered once into the cache
(:func:`default_training_tracks`); validation uses other synthetic songs (another seed,
:func:`default_validation_tracks`). The real excerpt :func:`mssedu.data.example_track` is the
course's test song: a run that would train or validate on it is warned (:func:`is_example`).

Examples
--------
>>> from mssedu.data import example_track
>>> is_example(example_track())
True
"""
from __future__ import annotations

import os
import random
import warnings
from pathlib import Path

import numpy as np
import torch

from ..config import cache_dir
from ..data import Augment, ExcerptDataset, Track, example_path, load_multitrack, make_dataset
from ..data.synth import style_settings
from ..errors import DataError, ParameterError

__all__ = ["TRAIN_SEED", "VALID_SEED", "seed_everything", "default_training_tracks",
           "default_validation_tracks", "is_example", "as_tracks", "training_dataset",
           "validation_tracks", "student_checkpoint"]

#: Seeds of the default synthetic data: training songs and held-out validation songs.
TRAIN_SEED, VALID_SEED = 0, 10_000


def student_checkpoint() -> str:
    """Where notebook 06 saves the model the student trained, and notebook 07 looks for it.

    Returns
    -------
    str
        ``<cache>/models/nb06_unet.pt`` (:func:`mssedu.config.cache_dir`); the file may not
        exist yet.
    """
    return os.path.join(cache_dir("models"), "nb06_unet.pt")


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (CPU and CUDA) so a run can be repeated exactly.

    Parameters
    ----------
    seed : int
    """
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    torch.manual_seed(seed)


def _synthetic_tracks(n_songs: int, seconds: float, seed: int, progress: bool, style: str) -> list:
    style_settings(style)
    prefix = "synth" if style == "classic" else f"synth-{style}"
    folder = Path(cache_dir(f"{prefix}-seed{seed}-{int(seconds)}s"))
    # songs already rendered are reused (song i depends only on seed, i and the style)
    songs = make_dataset(folder, n_songs=n_songs, seconds=seconds, seed=seed, progress=progress, style=style,
                         workers=min(4, os.cpu_count() or 1))
    return [load_multitrack(p) for p in songs]


def default_training_tracks(n_songs: int = 8, seconds: float = 30.0, seed: int = TRAIN_SEED,
                            progress: bool = True, style: str = "studio") -> list:
    """Synthetic training songs, rendered once into the cache folder and then reused.

    Parameters
    ----------
    n_songs : int
        How many songs.
    seconds : float
        Length of each.
    seed : int
        Song ``i`` depends only on ``seed`` and ``i``.
    progress : bool
        Show a bar while rendering.
    style : str
        Data style (:data:`mssedu.data.synth.STYLES`).

    Returns
    -------
    list of Track
    """
    return _synthetic_tracks(n_songs, seconds, seed, progress, style)


def default_validation_tracks(n_songs: int = 2, seconds: float = 20.0, progress: bool = True,
                              style: str = "studio") -> list:
    """Held-out synthetic songs for validation and early stopping (seed :data:`VALID_SEED`,
    never among the training songs; the real excerpt is never used to choose weights).

    Parameters
    ----------
    n_songs : int
        How many songs.
    seconds : float
        Length of each.
    progress : bool
        Show a bar while rendering.
    style : str
        Data style (:data:`mssedu.data.synth.STYLES`).

    Returns
    -------
    list of Track
    """
    return _synthetic_tracks(n_songs, seconds, VALID_SEED, progress, style)


def is_example(track) -> bool:
    """Whether ``track`` is the course's held-out example song (by file or by name).

    Parameters
    ----------
    track : Track
        Any track.

    Returns
    -------
    bool
    """
    try:
        same_path = track.path is not None and os.path.samefile(track.path, example_path())
    except OSError:
        same_path = False
    return same_path or track.name.startswith("The Easton Ellises - Falcon 69")


def as_tracks(data, name: str) -> list:
    """Tracks from a Track, a list of Tracks/paths, or a folder of song folders / stem files.

    Parameters
    ----------
    data : Track, str, Path, list of them, or None
        A folder may hold one song (stem files) or one sub-folder / ``.stem.mp4`` per song.
    name : str
        The argument's name, for messages.

    Returns
    -------
    list of Track
    """
    if data is None:
        return []
    if isinstance(data, Track):
        return [data]
    if isinstance(data, (str, os.PathLike)):
        path = Path(data).expanduser()
        if not path.exists():
            raise DataError(f"{name}: no such file or folder: {path}.")
        subdirs = sorted(p for p in path.iterdir() if p.is_dir()) if path.is_dir() else []
        stems = sorted(path.glob("*.stem.mp4")) if path.is_dir() else []
        if subdirs or stems:   # a dataset folder: one song per sub-folder / .stem.mp4
            return [load_multitrack(p) for p in subdirs + stems]
        return [load_multitrack(path)]
    if not hasattr(data, "__iter__"):
        raise ParameterError(f"{name} must be a Track, a folder, or a list of them; got "
                             f"{type(data).__name__}.")
    tracks = []
    for item in data:
        tracks.extend(as_tracks(item, name))
    return tracks


def training_dataset(data, cfg, ucfg, progress: bool):
    """The random-excerpt dataset a run draws its batches from.

    Parameters
    ----------
    data : ExcerptDataset, Track, list, folder or None
        As :func:`mssedu.models.train`; ``None``: :func:`default_training_tracks`.
    cfg : TrainConfig
        The run's settings.
    ucfg : UNetConfig or BandSplitConfig
        The model's config (rate, patch length).
    progress : bool
        Show a bar while rendering synthetic songs.

    Returns
    -------
    ExcerptDataset
    """
    if isinstance(data, ExcerptDataset):
        if data.sr != ucfg.sr:
            raise ParameterError(f"The dataset is at {data.sr} Hz but the model at {ucfg.sr} Hz; "
                                 "build the dataset with sr=model sr.")
        return data
    tracks = (as_tracks(data, "data") if data is not None
              else default_training_tracks(n_songs=cfg.songs, seconds=cfg.song_seconds,
                                           progress=progress, style=cfg.data_style))
    if not tracks:
        raise DataError("No training songs found in `data`.")
    if any(is_example(t) for t in tracks):
        warnings.warn("The training data contains the example track, the course's test song: "
                      "its scores will no longer mean anything.", stacklevel=3)
    target = cfg.targets[0]
    return ExcerptDataset(tracks, seconds=ucfg.patch_samples / ucfg.sr, targets=cfg.targets,
                          augment=Augment(**cfg.augment) if cfg.augment else None,
                          length=cfg.songs_per_epoch, seed=cfg.seed, sr=ucfg.sr,
                          activity_target=target if target in tracks[0].stems else None)


def validation_tracks(valid, targets, progress: bool, style: str) -> list:
    """The held-out songs of a run, each checked to hold every target.

    Parameters
    ----------
    valid : "synthetic", Track, list, folder
        As :func:`mssedu.models.train`.
    targets : sequence of str
        The model's targets.
    progress : bool
        Show a bar while rendering synthetic songs.
    style : str
        Style of the synthetic songs.

    Returns
    -------
    list of Track
    """
    if isinstance(valid, str) and valid == "synthetic":
        tracks = default_validation_tracks(progress=progress, style=style)
    else:
        tracks = as_tracks(valid, "valid")
    if any(is_example(t) for t in tracks):
        warnings.warn("Validating on the example track chooses weights by the course's test "
                      "song, so its score is no longer a fair test. Use valid='synthetic'.",
                      stacklevel=3)
    for t in tracks:
        for target in targets:
            if target not in t.stems:
                raise ParameterError(f"Validation track {t.name!r} has no {target!r} stem; it has "
                                     f"{sorted(t.stems)}. Validate on songs with every target.")
    return tracks


