"""One ``load_separator`` and one ``separate`` for every model.

* :func:`load_separator` gives an object with the separator interface
  (:class:`~mssedu.separation.Separator`): a demucs model (``"htdemucs"``...), a
  random-weight HT-Demucs (``"htdemucs-random"``), a mini U-Net checkpoint (any existing
  file: recognised by its content) or an oracle mask (``"oracle-irm"``, with ``track=``);
* :func:`separate` runs *any* separator on a signal: input checks, resampling to the
  model's rate and back, mono/stereo, and karaoke output (:func:`fold_two_stems`).

Examples
--------
>>> import numpy as np
>>> from mssedu.separation import load_separator, separate
>>> sep = load_separator("htdemucs-random", device="cpu")
>>> sep.sr, sep.channels, sep.sources
(44100, 2, ['drums', 'bass', 'other', 'vocals'])
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..audio import resample
from ..audio import as_signal
from ..checks import check_rate
from ..errors import ModelLoadingError, ParameterError
from ..models import is_checkpoint, load_checkpoint, separator_for
from .demucs import DemucsSeparator
from .oracle import OracleSeparator
from .demucs_models import MODEL_LABELS
from .families import is_family_model, load_family_separator, load_roformer
from .weights import load_demucs_model

__all__ = ["load_separator", "separate", "fold_two_stems", "looks_like_path"]

_UNET_OPTIONS = {"wiener", "chunk_frames", "overlap_frames", "name", "which"}
_DEMUCS_OPTIONS = {"shifts", "overlap", "half", "segment", "window_seconds", "name"}


def looks_like_path(name) -> bool:
    """Whether a model name is meant as a file (it exists, or has a folder or a file suffix).

    Parameters
    ----------
    name : str or Path

    Returns
    -------
    bool
    """
    s = str(name)
    return Path(s).expanduser().exists() or "/" in s or "\\" in s or Path(s).suffix in (
        ".pt", ".pth", ".ckpt", ".th", ".safetensors")


def _options(kwargs: dict, allowed: set, what: str) -> dict:
    given = {k: v for k, v in kwargs.items() if v is not None}
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ParameterError(f"{what} does not take {', '.join(unknown)} (it takes "
                             f"{', '.join(sorted(allowed))}). shifts/overlap/half/segment "
                             "apply to demucs models; wiener/chunk_frames to mini U-Nets.")
    return given


def load_separator(name: str = "htdemucs", repo=None, device="auto", track=None, **options):
    """Load a separator by name.

    Parameters
    ----------
    name : str or Path
        * a demucs model: ``"htdemucs"`` (default), ``"htdemucs_ft"``, ``"htdemucs_6s"``...
          (weights from ``repo``, the caches, or downloaded; see
          :mod:`mssedu.separation.repo`);
        * ``"htdemucs-random"``: the HT-Demucs architecture with random weights, for tests
          and demos (its output is meaningless, labelled "random weights");
        * the path of a mini U-Net or band-split checkpoint (any suffix: the content
          decides, and the checkpoint's ``kind`` picks the separator);
        * ``"<demucs name>-random"``: that architecture with random weights;
        * ``"oracle-irm"``, ``"oracle-ibm"``, ``"oracle-wiener"``... with ``track=``;
        * Open-Unmix ``"umxhq"``, ``"umxl"``, a BS-RoFormer (``"bs-roformer-musdb"``), each
          also ``-random``, and ``"bs-roformer-random"`` (small): see
          :mod:`~mssedu.separation.families`;
        * the path of a BS-RoFormer checkpoint with ``config=`` its YAML file.
    repo : str or Path, optional
        Local repository with ``<name>.yaml`` and the checkpoint(s).
    device : str
        ``"auto"`` | ``"cpu"`` | ``"cuda"`` | ``"mps"``.
    track : Track, optional
        For the oracle separators.
    **options
        For demucs: ``shifts``, ``overlap``, ``half``, ``segment``, ``window_seconds``;
        for a mini U-Net: ``wiener``, ``chunk_frames``, ``overlap_frames``, ``which``;
        for Open-Unmix: ``iterations``; for a BS-RoFormer file: ``config``;
        for an oracle: :func:`mssedu.masks.oracle_separate`'s (``alpha``...). ``None``
        values are ignored; an option the model does not take is an error.

    Returns
    -------
    Separator
        :class:`DemucsSeparator`, :class:`~mssedu.models.UNetSeparator`,
        :class:`~mssedu.models.BandSplitSeparator` or
        :class:`OracleSeparator`.

    Raises
    ------
    ParameterError
        Unknown model or option.
    ModelLoadingError, NetworkError
        Weights missing, broken or unsafe, and no way to download them.
    """
    if not isinstance(name, (str, Path)):
        raise ParameterError(f"name must be a model name or a checkpoint path, got {type(name).__name__}.")
    name = str(name)
    if name.startswith("oracle"):
        if track is None:
            raise ParameterError(f"{name!r} needs the true stems: load_separator({name!r}, track=track).")
        method = name.split("-", 1)[1] if "-" in name else "irm"
        return OracleSeparator(track, method, **{k: v for k, v in options.items() if v is not None})
    if is_family_model(name):                       # Open-Unmix, BS-RoFormer (and -random)
        return load_family_separator(name, repo, device, **options)
    path = Path(name).expanduser()
    if path.is_file() and options.get("config") is not None:    # a BS-RoFormer checkpoint + YAML
        if set(k for k, v in options.items() if v is not None) != {"config"}:
            raise ParameterError("A BS-RoFormer checkpoint takes only config= (its YAML file).")
        return load_roformer(path, Path(options["config"]).expanduser(), name=path.stem, device=device)
    options.pop("config", None)
    if path.is_file() and path.suffix != ".yaml":
        if not is_checkpoint(path):
            raise ModelLoadingError(f"{path} is not a model checkpoint (not a torch file). Give a "
                                    "mini U-Net checkpoint written by mssedu.models.train, or a "
                                    "model name such as 'htdemucs'.")
        opts = _options(options, _UNET_OPTIONS, "A mini U-Net")
        model, _ = load_checkpoint(path)            # any kind: the file says which
        return separator_for(model, device=device, **opts)
    if looks_like_path(name):
        raise ModelLoadingError(f"No model file at {path}. Give a mini U-Net checkpoint written "
                                "by mssedu.models.train, or a model name such as 'htdemucs'.")
    model = load_demucs_model(name, repo)
    opts = _options(options, _DEMUCS_OPTIONS, "A demucs model")
    opts.setdefault("name", MODEL_LABELS.get(name, name))
    return DemucsSeparator(model, device=device, **opts)


def fold_two_stems(stems: dict, keep: str) -> dict:
    """Karaoke output: one stem and the sum of all the others.

    Parameters
    ----------
    stems : dict
        ``{source: array}``, all the same shape.
    keep : str
        The source to keep, e.g. ``"vocals"``.

    Returns
    -------
    dict
        ``{keep: stems[keep], "accompaniment": sum of the others}`` (a model's own
        ``"accompaniment"`` is used as is when it returns exactly the two).

    Raises
    ------
    ParameterError
        ``keep`` is not a source, or is ``"accompaniment"`` itself.
    """
    if keep == "accompaniment":
        raise ParameterError("two_stems='accompaniment' would name both outputs the same; give "
                             "the stem to keep apart, e.g. two_stems='vocals' (you get vocals "
                             "and accompaniment).")
    if keep not in stems:
        raise ParameterError(f"two_stems={keep!r} is not a source here; choose one of "
                             f"{[s for s in stems if s != 'accompaniment']}.")
    if set(stems) == {keep, "accompaniment"}:
        return {keep: stems[keep], "accompaniment": stems["accompaniment"]}
    rest = [v for k, v in stems.items() if k not in (keep, "accompaniment")]
    acc = np.sum(rest, axis=0).astype(np.float32) if rest else np.zeros_like(stems[keep])
    return {keep: stems[keep], "accompaniment": acc}


def separate(separator, signal, sr: int, two_stems: str | None = None, progress: bool = True) -> dict:
    """Separate ``signal`` with any separator (HT-Demucs, mini U-Net, oracle...).

    Does what every model needs around it: checks the input, resamples to
    ``separator.sr`` and back (:func:`mssedu.audio.resample`), gives the model the channel
    count it wants (mono is duplicated into stereo and the stems averaged back to mono) and
    returns stems with the input's shape.

    Parameters
    ----------
    separator : Separator
        E.g. from :func:`load_separator`.
    signal : numpy.ndarray
        float ``(channels, samples)`` or ``(samples,)``.
    sr : int
        Sample rate of ``signal``.
    two_stems : str, optional
        Karaoke mode (:func:`fold_two_stems`): return only ``two_stems`` and
        ``"accompaniment"`` (the sum of the others).
    progress : bool
        Show a ``tqdm.auto`` progress bar.

    Returns
    -------
    dict
        source -> float32 array shaped like ``signal``.
    """
    for attr in ("sr", "sources", "channels", "separate"):
        if not hasattr(separator, attr):
            raise ParameterError(f"{type(separator).__name__} is not a separator (it has no "
                                 f"{attr!r}); use load_separator(...) or see mssedu.separation.Separator.")
    sr = check_rate(sr)
    x = as_signal(signal, "signal")
    one_d = x.ndim == 1
    if one_d:
        x = x[None]
    if x.ndim != 2:
        raise ParameterError(f"signal must be (channels, samples) or (samples,), got shape {x.shape}.")
    if x.shape[0] > x.shape[1]:
        raise ParameterError(f"signal has shape {x.shape}: more channels than samples. Audio is "
                             "(channels, samples) in mssedu; transpose it (signal.T).")
    if x.shape[-1] < int(0.05 * sr):
        raise ParameterError(f"signal is {x.shape[-1]} samples ({x.shape[-1] / sr:.3f} s) long; "
                             "give at least 0.05 s of audio.")
    if two_stems is not None and (two_stems == "accompaniment" or two_stems not in separator.sources):
        fold_two_stems(dict.fromkeys(separator.sources), two_stems)   # raises the clear error
    n_in, c_in, want = x.shape[-1], x.shape[0], int(separator.channels)
    y = x
    if c_in != want:
        if c_in == 1:
            y = np.repeat(x, want, axis=0)
        elif want == 1:
            y = x.mean(axis=0, keepdims=True)
        else:
            raise ParameterError(f"{separator.name} takes {want}-channel audio; got {c_in} channels. "
                                 "Down-mix first (mssedu.audio.to_mono / to_stereo).")
    if sr != separator.sr:
        y = resample(y, sr, separator.sr)
    stems = separator.separate(np.ascontiguousarray(y, dtype=np.float32), progress=progress)
    out = {}
    for name, s in stems.items():
        s = np.asarray(s, dtype=np.float32)
        if s.ndim == 1:
            s = s[None]
        if sr != separator.sr:
            s = resample(s, separator.sr, sr)
        if s.shape[-1] < n_in:
            s = np.pad(s, ((0, 0), (0, n_in - s.shape[-1])))
        s = s[..., :n_in]
        if s.shape[0] != c_in:
            s = s.mean(axis=0, keepdims=True) if c_in == 1 else np.repeat(s, c_in, axis=0)
        out[name] = np.ascontiguousarray(s[0] if one_d else s, dtype=np.float32)
    return fold_two_stems(out, two_stems) if two_stems is not None else out
