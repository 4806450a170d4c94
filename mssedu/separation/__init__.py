"""Separating songs with any model, cut by concern (arrows point down only):

* :mod:`~mssedu.separation.protocol` -- the :class:`Separator` interface every model answers;
* :mod:`~mssedu.separation.demucs_models` -- the demucs models mssedu knows, random stand-ins;
* :mod:`~mssedu.separation.repo` -- where weights are on this machine (offline-first lookup);
* :mod:`~mssedu.separation.fetch` -- downloading them, checked and staged;
* :mod:`~mssedu.separation.weights` -- loading them safely (:func:`load_demucs_model`);
* :mod:`~mssedu.separation.demucs` -- HT-Demucs as a separator (precision, windows);
* :mod:`~mssedu.separation.openunmix`, :mod:`~mssedu.separation.roformer` -- Open-Unmix and
  BS-RoFormer (mssedu's own implementations of the published architectures);
* :mod:`~mssedu.separation.families` -- their weights: found, downloaded checked, loaded safely;
* :mod:`~mssedu.separation.survey` -- one model per family of the survey's table, timed here;
* :mod:`~mssedu.separation.oracle` -- oracle masks as a separator;
* :mod:`~mssedu.separation.postfilter` -- multichannel Wiener post-filter (norbert) for any separator;
* :mod:`~mssedu.separation.api` -- :func:`load_separator`, :func:`separate`, two-stems output;
* :mod:`~mssedu.separation.files` -- a song file to stem files, streamed and atomic;
* :mod:`~mssedu.separation.scoring` -- :func:`evaluate` and :func:`compare` tables; :func:`evaluate_many` over songs.

The mini U-Net's separator lives with the model, in :mod:`mssedu.models`; chunking, shared by
all, in :mod:`mssedu.chunking`. Everything here is importable from ``mssedu.separation``.
"""
from .api import fold_two_stems, load_separator, looks_like_path, separate
from .demucs import (
                      HALF_TOLERANCE_DB,
                      DemucsSeparator,
                      choose_precision,
                      half_precision_error_db,
)
from .files import FORMATS, separate_file, song_name, stem_names
from .oracle import OracleSeparator
from .postfilter import WienerPostFilter, multichannel_wiener
from .protocol import Separator
from .scoring import BASELINES, SongScores, compare, constant_gain, evaluate, evaluate_many
from .demucs_models import (DEMUCS_MODELS, HDEMUCS_CONFIG, HF_NAMESPACE, HTDEMUCS_CONFIG, MODEL_LABELS,
                            QUANTISED_MODELS, RANDOM_MODEL, import_demucs, random_demucs,
                            random_htdemucs)
from .repo import find_weights, models_folder
from .families import FAMILY_LABELS, ROFORMER_MODELS, download_family, find_family_weights, load_roformer
from .openunmix import UMX_MODELS, OpenUnmixNet, OpenUnmixSeparator
from .roformer import BSRoFormer, RoFormerSeparator
from .survey import SURVEY_FAMILIES, family_rows, separator_parameters
from .weights import download, load_demucs_model

__all__ = ["Separator", "load_separator", "separate", "fold_two_stems", "looks_like_path",
           "separate_file", "song_name", "stem_names", "FORMATS", "evaluate", "compare", "evaluate_many", "SongScores", "constant_gain", "BASELINES", "DemucsSeparator", "OracleSeparator", "choose_precision",
           "half_precision_error_db", "HALF_TOLERANCE_DB", "HTDEMUCS_CONFIG", "RANDOM_MODEL",
           "HF_NAMESPACE", "MODEL_LABELS", "download", "find_weights", "import_demucs",
           "load_demucs_model", "models_folder", "random_htdemucs", "random_demucs", "DEMUCS_MODELS",
           "HDEMUCS_CONFIG", "QUANTISED_MODELS", "multichannel_wiener", "WienerPostFilter",
           "FAMILY_LABELS", "ROFORMER_MODELS", "UMX_MODELS", "download_family", "find_family_weights",
           "load_roformer", "OpenUnmixNet", "OpenUnmixSeparator", "BSRoFormer", "RoFormerSeparator",
           "SURVEY_FAMILIES", "family_rows", "separator_parameters"]
