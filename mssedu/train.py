"""Deprecated: ``mssedu.train`` is now :mod:`mssedu.unet` (kept for one release)."""
import warnings

from .metrics import sdr as plain_sdr  # noqa: F401  (old name of the whole-signal SDR)
from .unet import (CHECKPOINT_FORMAT, TrainConfig, TrainResult,  # noqa: F401
                   default_training_tracks, load_checkpoint, save_checkpoint, seed_everything,
                   spectrogram_batch, train)

warnings.warn("mssedu.train is now mssedu.unet (train, TrainConfig, load_checkpoint...) and "
              "plain_sdr is mssedu.metrics.sdr; the old names go away in the next release.",
              FutureWarning, stacklevel=2)
__all__ = ["TrainConfig", "TrainResult", "train", "save_checkpoint", "load_checkpoint",
           "seed_everything", "plain_sdr", "default_training_tracks", "spectrogram_batch",
           "CHECKPOINT_FORMAT"]
