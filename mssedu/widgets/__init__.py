"""Interactive widgets (ipywidgets) for the course.

Each chapter's widgets live in a module of this package (its ``module`` in
:data:`mssedu.chapters.CHAPTERS`; ``core`` holds what several chapters share); every name
is also importable from ``mssedu.widgets`` directly, listed here explicitly.
"""
from __future__ import annotations

from .core import (audio_html, audio_slot, set_audio, audio_player, players_row, set_players,
                   labelled, figure_output, show_figure, figure_image, WIDE_LABEL, STEM_LABEL)
from .sound import stem_mixer, augmentation_explorer, mix_stems
from .stft import stft_explorer, cola_explorer, cqt_explorer
from .masks import mask_explorer, wdo_explorer
from .phase import griffin_lim_explorer, phase_choice_explorer
from .evaluation import gain_explorer, distortion_explorer, DISTORTIONS, listening_test
from .classical import karaoke_explorer, hpss_explorer, repet_explorer
from .unet import (LiveLossPlot, live_loss_plot, feature_map_browser, mask_sharpness_explorer,
                   training_snapshots_player)
from .pretrained import chunking_explorer, karaoke_mixer, song_separator, AUDIO_SUFFIXES
from .beyond import panning_explorer, stereo_image_explorer

__all__ = [
    # core
    "audio_html", "audio_slot", "set_audio", "audio_player", "players_row", "set_players",
    "labelled", "figure_output", "show_figure", "figure_image", "WIDE_LABEL", "STEM_LABEL",
    # sound
    "stem_mixer", "augmentation_explorer", "mix_stems",
    # stft
    "stft_explorer", "cola_explorer", "cqt_explorer",
    # masks
    "mask_explorer", "wdo_explorer",
    # phase
    "griffin_lim_explorer", "phase_choice_explorer",
    # evaluation
    "gain_explorer", "distortion_explorer", "DISTORTIONS", "listening_test",
    # classical
    "karaoke_explorer", "hpss_explorer", "repet_explorer",
    # unet
    "LiveLossPlot", "live_loss_plot", "feature_map_browser", "mask_sharpness_explorer",
    "training_snapshots_player",
    # pretrained
    "chunking_explorer", "karaoke_mixer", "song_separator", "AUDIO_SUFFIXES",
    # beyond
    "panning_explorer", "stereo_image_explorer",
]
