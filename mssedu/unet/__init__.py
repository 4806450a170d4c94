"""The students' mini U-Net, one concept per file; arrows point down only:

* :mod:`~mssedu.unet.model` -- the network (:class:`MiniUNet`, :class:`UNetConfig`, presets);
* :mod:`~mssedu.unet.checkpoint` -- writing and safely reading checkpoints;
* :mod:`~mssedu.unet.separator` -- a trained model as a separator (chunked, cross-faded);
* :mod:`~mssedu.unet.training` -- the training loop (uses the three above).

Everything is importable from ``mssedu.unet`` directly.
"""
from .checkpoint import (
                         CHECKPOINT_FORMAT,
                         MODEL_KINDS,
                         ModelKind,
                         is_checkpoint,
                         load_checkpoint,
                         model_kind,
                         read_checkpoint,
                         register_model_kind,
                         save_checkpoint,
                         shipped_checkpoint,
)
from .model import (
                         PRESETS,
                         MiniUNet,
                         ModelSummary,
                         UNetConfig,
                         conv_output_size,
                         count_parameters,
)
from .separator import UNetSeparator
from .training import (
                         TrainConfig,
                         TrainResult,
                         default_training_tracks,
                         default_validation_tracks,
                         seed_everything,
                         spectrogram_batch,
                         train,
                         training_step,
)

__all__ = ["MiniUNet", "UNetConfig", "PRESETS", "ModelSummary", "conv_output_size",
           "count_parameters", "CHECKPOINT_FORMAT", "MODEL_KINDS", "ModelKind", "model_kind",
           "register_model_kind", "save_checkpoint", "read_checkpoint",
           "load_checkpoint", "is_checkpoint", "shipped_checkpoint", "UNetSeparator",
           "TrainConfig", "TrainResult", "train", "training_step", "seed_everything",
           "default_training_tracks", "default_validation_tracks", "spectrogram_batch"]
