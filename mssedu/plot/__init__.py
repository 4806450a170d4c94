"""Plotting helpers for the course (matplotlib).

Each chapter's figures live in a module of this package (its ``module`` in
:data:`mssedu.chapters.CHAPTERS`; ``core`` holds what several chapters share); every name
is also importable from ``mssedu.plot`` directly, listed here explicitly.
"""
from __future__ import annotations

from .core import (spectrogram_figure, waveform_figure, spectrogram_axes, stems_figure,
                   masked_bins_axes, frequency_position, display_rows, panel_row, finish_row,
                   LiveFigure)
from .sound import stem_levels_figure, residual_figure, piano_roll_figure, STEM_COLOURS
from .stft import (window_sum, window_figure, resolution_figure, update_resolution_figure,
                   cola_figure, cqt_vs_stft_figure, cqt_vs_stft_images, log_span,
                   cqt_vs_stft_live_figure, update_cqt_vs_stft_figure, tiling_figure)
from .masks import (mask_figure, masked_spectrogram_figure, MaskedSpectrogramView, masks_figure,
                    wdo_figure)
from .phase import convergence_figure, phase_figure
from .evaluation import (framewise_figure, gain_sensitivity_figure, song_scores_figure,
                         ratings_figure)
from .classical import (cancellation_figure, hpss_figure, update_hpss_figure,
                        update_beat_spectrum_figure, beat_spectrum_figure, nmf_figure)
from .unet import (unet_architecture_figure, feature_maps_figure, update_feature_maps_figure,
                   mask_comparison_figure, update_mask_comparison_figure, loss_curve_figure,
                   draw_loss_curve)
from .pretrained import chunking_figure, update_chunking_figure, comparison_figure, demo_figure
from .beyond import (ild_figure, ild_image, update_ild_figure, ild_histogram_figure,
                     band_split_figure, bsrnn_band_edges)

__all__ = [
    # core
    "spectrogram_figure", "waveform_figure", "spectrogram_axes", "stems_figure",
    "masked_bins_axes", "frequency_position", "display_rows", "panel_row", "finish_row",
    "LiveFigure",
    # sound
    "stem_levels_figure", "residual_figure", "piano_roll_figure", "STEM_COLOURS",
    # stft
    "window_sum", "window_figure", "resolution_figure", "update_resolution_figure", "cola_figure",
    "cqt_vs_stft_figure", "cqt_vs_stft_images", "log_span", "cqt_vs_stft_live_figure",
    "update_cqt_vs_stft_figure", "tiling_figure",
    # masks
    "mask_figure", "masked_spectrogram_figure", "MaskedSpectrogramView", "masks_figure",
    "wdo_figure",
    # phase
    "convergence_figure", "phase_figure",
    # evaluation
    "framewise_figure", "gain_sensitivity_figure", "song_scores_figure", "ratings_figure",
    # classical
    "cancellation_figure", "hpss_figure", "update_hpss_figure", "update_beat_spectrum_figure",
    "beat_spectrum_figure", "nmf_figure",
    # unet
    "unet_architecture_figure", "feature_maps_figure", "update_feature_maps_figure",
    "mask_comparison_figure", "update_mask_comparison_figure", "loss_curve_figure",
    "draw_loss_curve",
    # pretrained
    "chunking_figure", "update_chunking_figure", "comparison_figure", "demo_figure",
    # beyond
    "ild_figure", "ild_image", "update_ild_figure", "ild_histogram_figure", "band_split_figure",
    "bsrnn_band_edges",
]
