"""Multitracks: a mixture and the stems it is made of.

:class:`Track` is the one object every part of the course passes around. The real
example (:func:`example_track`) is the MUSDB18 excerpt that the ``stempeg`` package ships,
so it is always there, offline.

More data, same object:

* :func:`load_multitrack` reads any ``.stem.mp4`` or folder of stems (MUSDB18-HQ layout);
* :func:`musdb_tracks` lists MUSDB18 (full or its 7-second previews) through ``musdb``;
* :func:`make_dataset` (module :mod:`mssedu.data.synth`) renders synthetic multitracks
  from MIDI with a General-MIDI SoundFont (:mod:`mssedu.data.soundfont`), or where FluidSynth
  is missing with numpy instruments (:mod:`mssedu.data.numpy_synth`), so every stem is exact;
* :class:`ExcerptDataset` / :func:`make_loader` (module :mod:`mssedu.data.dataset`) turn
  tracks into augmented training excerpts for torch.
"""
from __future__ import annotations

from .track import MUSDB_STEMS, Track
from .example import EXAMPLE_KEPT, example_path, example_track
from .multitrack import MixtureResidualWarning, load_multitrack, save_multitrack
from .dataset import Augment, ExcerptDataset, active_frames, make_loader
from .musdb import musdb_tracks
from .synth import make_dataset, render_song

__all__ = ["Track", "example_track", "example_path", "MUSDB_STEMS", "load_multitrack",
           "save_multitrack", "MixtureResidualWarning", "musdb_tracks", "make_dataset", "render_song",
           "ExcerptDataset", "Augment", "make_loader", "active_frames", "EXAMPLE_KEPT"]
