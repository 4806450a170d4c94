"""The course's mask models, one layer: what they share written once, one file per model.

* :mod:`~mssedu.models.base` -- config mixin, presets, parameter counts;
* :mod:`~mssedu.models.unet` -- the mini U-Net (:class:`MiniUNet`);
* :mod:`~mssedu.models.bandsplit` -- the band-split model (:class:`BandSplitModel`);
* :mod:`~mssedu.models.conditioned` -- separation by query (:class:`ConditionedUNet`);
* :mod:`~mssedu.models.checkpoint` -- the checkpoint format and the explicit list of model
  kinds (:data:`MODEL_KINDS`): any checkpoint loads through :func:`load_checkpoint`;
* :mod:`~mssedu.models.separator` -- a trained model as a separator;
* :mod:`~mssedu.models.step` -- one optimisation step;
* :mod:`~mssedu.models.training_data` and :mod:`~mssedu.models.training` -- which songs, and
  the training loop (any kind: ``train(model_kind="bandsplit")``).
"""
from .bandsplit import BANDSPLIT_PRESETS, BSRNN_BANDS, BandSplitConfig, BandSplitModel, RotaryAttention, band_edges
from .base import ModelSummary, SpectrogramModel, SpectrogramModelConfig, count_parameters
from .conditioned import (CONDITIONED_PRESETS, QUERY_STEMS, ConditionedUNet, ConditionedUNetConfig, film,
                          separate_by_query)
from .checkpoint import (CHECKPOINT_FORMAT, MAX_PARAMETERS, MODEL_KINDS, ModelKind, check_finite_weights,
                         check_model_size, is_checkpoint, load_checkpoint, model_kind, read_checkpoint,
                         save_checkpoint, shipped_checkpoint)
from .separator import BandSplitSeparator, UNetSeparator, separator_for
from .step import query_batch, spectrogram_batch, training_step
from .training import TrainConfig, TrainResult, train
from .training_data import (TRAIN_SEED, VALID_SEED, as_tracks, default_training_tracks,
                            default_validation_tracks, is_example, seed_everything, student_checkpoint,
                            training_dataset, validation_tracks)
from .unet import UNET_PRESETS, MiniUNet, UNetConfig, conv_output_size

__all__ = ["SpectrogramModelConfig", "SpectrogramModel", "ModelSummary", "count_parameters",
           "MiniUNet", "UNetConfig", "UNET_PRESETS", "conv_output_size",
           "BandSplitModel", "BandSplitConfig", "BANDSPLIT_PRESETS", "BSRNN_BANDS", "RotaryAttention",
           "band_edges",
           "ConditionedUNet", "ConditionedUNetConfig", "CONDITIONED_PRESETS", "QUERY_STEMS", "film",
           "separate_by_query",
           "CHECKPOINT_FORMAT", "MAX_PARAMETERS", "MODEL_KINDS", "ModelKind", "model_kind",
           "check_model_size", "check_finite_weights", "save_checkpoint", "read_checkpoint",
           "load_checkpoint", "is_checkpoint", "shipped_checkpoint",
           "UNetSeparator", "BandSplitSeparator", "separator_for",
           "TrainConfig", "TrainResult", "train", "training_step",
           "TRAIN_SEED", "VALID_SEED", "seed_everything", "default_training_tracks",
           "default_validation_tracks", "is_example", "as_tracks", "training_dataset",
           "validation_tracks", "spectrogram_batch", "query_batch", "student_checkpoint"]
