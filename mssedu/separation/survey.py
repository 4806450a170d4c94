"""The model families of the survey's results table, side by side on this machine.

The survey the course follows compares five families on MUSDB18-HQ (:data:`SURVEY_FAMILIES`):
a Spleeter-style U-Net (~6.0 dB SDR), Open-Unmix (~6.3), Demucs v2 (6.3), HT-Demucs (9.0) and
BS-RoFormer (9.8). :func:`family_rows` gives, for one model of each family that mssedu runs,
its parameter count, whether its trained weights are on this machine (never using the
network), and its speed measured here (seconds of computing per second of music: the
real-time factor). Without the trained weights a family is timed with its ``-random``
stand-in (the same architecture, so the same cost); only trained models get SDR rows, with
:func:`mssedu.separation.compare` on the same song.

The Spleeter-style U-Net is the course's own ``full`` preset of the mini U-Net
(:data:`mssedu.models.UNET_PRESETS`): Spleeter's design (Hennequin et al., 2020), a 6-level
2-D convolutional U-Net (16 to 512 channels) on a 4096-point STFT magnitude (hop 1024) that
outputs a soft mask, trained with the course's own loop (chapter 6).

Examples
--------
>>> [f["family"] for f in SURVEY_FAMILIES][:2]
['Spleeter-style U-Net', 'Open-Unmix']
"""
from __future__ import annotations

import time

import numpy as np

from ..errors import MsseduError, ParameterError
from ..extras import install_line, installed
from ..models import MiniUNet, count_parameters, separator_for
from .api import load_separator, separate
from .families import find_family_weights, is_family_model
from .repo import find_weights

__all__ = ["SURVEY_FAMILIES", "family_rows", "separator_parameters", "weights_on_machine"]

#: The survey's table (SDR on MUSDB18-HQ, dB) and the model mssedu runs for each family.
#: Demucs v2 (the waveform U-Net of 2019) is not among the models demucs 4 publishes; its
#: row runs Hybrid Demucs v3 (``hdemucs_mmi``), the same waveform U-Net with a spectrogram twin.
#: ``extra``: the optional extra whose package the family's model code needs.
SURVEY_FAMILIES = [
    dict(family="Spleeter-style U-Net", survey_sdr=6.0, model="unet-full",
         note="the course's own `full` U-Net preset (chapter 6): Spleeter's 6-level U-Net; train it to score it"),
    dict(family="Open-Unmix", survey_sdr=6.3, model="umxhq", note="sigsep's UMX-HQ (umxl: more data)"),
    dict(family="Demucs v2", survey_sdr=6.3, model="hdemucs_mmi",
         note="v2 is not published by demucs 4; its successor Hybrid Demucs v3 runs here",
         extra="pretrained"),
    dict(family="HT-Demucs", survey_sdr=9.0, model="htdemucs", note="hybrid Transformer Demucs",
         extra="pretrained"),
    dict(family="BS-RoFormer", survey_sdr=9.8, model="bs-roformer-musdb",
         note="ZFTurbo's 4-stem MUSDB18-HQ checkpoint (9.65 dB published)"),
]


def weights_on_machine(name: str) -> bool:
    """Whether the trained weights of model ``name`` are on this machine (no network).

    Parameters
    ----------
    name : str
        A model of :data:`SURVEY_FAMILIES` (``unet-full`` has none: it is trained in chapter 6).

    Returns
    -------
    bool
    """
    if name == "unet-full":
        return False
    try:
        found = find_family_weights(name) if is_family_model(name) else find_weights(name)
    except MsseduError:                # a half-copied folder counts as absent
        return False
    return found is not None


def separator_parameters(separator) -> int:
    """Parameters of any of mssedu's separators (all models of a bag or of a per-source set).

    Parameters
    ----------
    separator : Separator
        From :func:`mssedu.separation.load_separator`.

    Returns
    -------
    int
        0 for a separator without a network (oracle).
    """
    module = getattr(separator, "nets", None) or getattr(separator, "model", None)
    return count_parameters(module) if module is not None else 0


def _load(name: str, trained: bool, device):
    if name == "unet-full":                 # untrained: its cost, not its quality
        return separator_for(MiniUNet.from_preset("full"), device=device)
    return load_separator(name if trained else f"{name}-random", device=device)


def _without_extra(fam: dict) -> dict:
    """The row of a family whose model code is an extra that is not installed."""
    return {"family": fam["family"], "model": fam["model"], "survey SDR (dB)": fam["survey_sdr"],
            "parameters (M)": float("nan"), "trained weights": f"needs mssedu[{fam['extra']}]",
            "seconds per second of music": float("nan"),
            "note": f"{fam['note']}; to run it: {install_line(fam['extra'])}"}


def family_rows(signal, sr: int, device="cpu", families=None, time_models: bool = True) -> tuple:
    """Parameters, weights and speed of one model per family, measured on ``signal``.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(channels, samples)`` music to time the models on.
    sr : int
        Its sample rate.
    device : str
        Where the models run.
    families : list of dict, optional
        Rows like :data:`SURVEY_FAMILIES` (default: all of them).
    time_models : bool
        Run each model once on ``signal`` to time it (else its speed is NaN: a quick look).

    Returns
    -------
    rows : list of dict
        ``family``, ``model``, ``survey SDR (dB)``, ``parameters (M)``, ``trained weights``,
        ``seconds per second of music``, ``note``.
    trained : dict
        ``{label: separator}`` of the families whose trained weights are here (for SDR).

    Raises
    ------
    ParameterError
        ``signal`` is shorter than 0.5 s.
    """
    x = np.asarray(signal, dtype=np.float32)
    if x.shape[-1] < sr // 2:
        raise ParameterError(f"Give at least 0.5 s of music to time the models; got {x.shape[-1] / sr:.2f} s.")
    rows, trained = [], {}
    for fam in families or SURVEY_FAMILIES:
        if fam.get("extra") and not installed(fam["extra"]):
            rows.append(_without_extra(fam))   # e.g. demucs absent: say how to add it
            continue
        has = weights_on_machine(fam["model"])
        sep = _load(fam["model"], has, device)
        rtf = float("nan")
        if time_models:
            t0 = time.perf_counter()
            separate(sep, x, sr, progress=False)
            rtf = (time.perf_counter() - t0) / (x.shape[-1] / sr)
        rows.append({"family": fam["family"], "model": fam["model"] if has else f"{fam['model']} (timed: -random)",
                     "survey SDR (dB)": fam["survey_sdr"], "parameters (M)": separator_parameters(sep) / 1e6,
                     "trained weights": "here" if has else "not here", "seconds per second of music": rtf,
                     "note": fam["note"]})
        if has:
            trained[f"{fam['family']}: {sep.name}"] = sep
    return rows, trained
