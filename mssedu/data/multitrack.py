"""Reading multitracks from disk: ``.stem.mp4`` files and folders of per-stem audio files.

Two layouts hold the same thing, a mixture and its stems:

* a **stem file** (``.stem.mp4``, the Native Instruments format MUSDB18 uses): one MP4
  with several AAC audio streams, stream 0 the mixture, then the stems (for MUSDB18:
  drums, bass, other, vocals);
* a **folder** (the MUSDB18-HQ layout): ``mixture.wav``, ``drums.wav``, ``bass.wav``,
  ``other.wav``, ``vocals.wav``. Any other stem names are allowed (``piano.flac``,
  ``violin.wav``...); without a ``mixture`` file the mixture is the sum of the stems.

:func:`load_multitrack` reads either into the same :class:`~mssedu.data.Track`, and checks
what can go wrong on the way: missing or unexpected stems, stems of different lengths,
rates or channel counts, and a stored mixture that is not the sum of its stems.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from .. import decode
from ..audio import load, resample, save, to_mono, to_stereo
from ..checks import check_rate
from ..errors import AudioError, DataError, MsseduError, ParameterError
from .track import MUSDB_STEMS, Track

__all__ = ["load_multitrack", "save_multitrack", "AUDIO_SUFFIXES", "MixtureResidualWarning"]

#: File suffixes :func:`load_multitrack` treats as audio inside a stem folder.
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".aif", ".aiff")


class MixtureResidualWarning(UserWarning):
    """The stored mixture differs from the sum of the stems by more than expected."""


def _stem_file_names(titles: list, n_streams: int) -> list:
    """Stem names of a ``.stem.mp4`` (stream titles when the file has them, else MUSDB's)."""
    titles = list(titles)[1:]
    if len(titles) == n_streams - 1 and all(titles) and len(set(titles)) == len(titles):
        return [str(t).strip().lower() for t in titles]
    if n_streams - 1 == len(MUSDB_STEMS):
        return list(MUSDB_STEMS)
    return [f"stem{i}" for i in range(1, n_streams)]


def _read_stem_file(path: Path):
    meta = decode.probe(path)   # AudioError (naming the file) when it is not a stem file
    if meta["streams"] < 2:
        raise DataError(f"{path} holds {meta['streams']} audio stream(s); a stem file needs the "
                        "mixture plus at least one stem.")
    names = ["mixture"] + _stem_file_names(meta["titles"], meta["streams"])
    sig, rates = {}, {}
    for i, name in enumerate(names):   # each stream (channels, samples) at its own rate
        sig[name], rates[name] = decode.decode(path, stream=i)
    return sig, rates, {name: path for name in sig}


def _read_folder(folder: Path):
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise DataError(f"{folder} holds no audio files ({', '.join(AUDIO_SUFFIXES)}); a stem folder "
                        "looks like mixture.wav, drums.wav, bass.wav, other.wav, vocals.wav.")
    by_name = {}
    for f in files:
        name = f.stem.lower()
        if name in by_name:
            raise DataError(f"{folder} has two files for stem {name!r}: {by_name[name].name} and {f.name}. "
                            "Keep one.")
        by_name[name] = f
    sig, rates = {}, {}
    for name, f in by_name.items():
        try:
            sig[name], rates[name] = load(f)
        except MsseduError as err:
            raise AudioError(f"Stem {name!r} of {folder} could not be read: {err}") from err
    return sig, rates, by_name


def load_multitrack(path, stems=None, sr: int | None = None, channels: int | None = None,
                    trim: bool = False, residual_warn_db: float = -10.0, name: str | None = None):
    """Load a multitrack (``.stem.mp4`` file or folder of stems) as a :class:`~mssedu.data.Track`.

    Parameters
    ----------
    path : str or Path
        A ``.stem.mp4`` file, or a folder of audio files named after their stems
        (``mixture.wav`` is the mixture; every other audio file is a stem).
    stems : sequence of str or None
        The stem names expected (e.g. ``mssedu.data.MUSDB_STEMS``). Missing ones are an
        error; extra ones are dropped with a warning that names them. ``None`` keeps
        whatever is there (in MUSDB18's order for MUSDB's four stems, else alphabetical).
        The Track's stems follow this order when given.
    sr : int or None
        Resample everything to this rate; ``None`` keeps the files' rate, which must agree.
    channels : 1, 2 or None
        Make every stem mono (1) or stereo (2, duplicating mono stems); ``None`` requires
        all files to have the same channel count.
    trim : bool
        Cut every stem to the shortest one when lengths differ (otherwise that is an error;
        a few samples of difference are common after lossy coding).
    residual_warn_db : float
        The residual :math:`10\\log_{10}(\\|x - \\sum_j s_j\\|^2 / \\|x\\|^2)` of the stored
        mixture :math:`x` is saved as ``track.mixture_residual_db``; above this level a
        :class:`MixtureResidualWarning` is issued. Lossy MUSDB18 stem files sit around
        -15 to -40 dB, so the default (-10 dB) only flags a mixture that is really not the
        sum (wrong file, different gains).
    name : str or None
        Track name (default: the folder name or the file name without ``.stem.mp4``).

    Returns
    -------
    Track
        ``mixture`` and ``stems`` float32 ``(channels, samples)``; ``track.mixture_residual_db``
        set (``-inf`` when the mixture was built as the sum).

    Examples
    --------
    >>> from mssedu.data import example_path, load_multitrack
    >>> t = load_multitrack(example_path())
    >>> sorted(t.stems), t.sr
    (['bass', 'drums', 'other', 'vocals'], 44100)
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"No such file or folder: {path}. A multitrack is a .stem.mp4 file or a folder "
                        "of per-stem audio files (mixture.wav, drums.wav, ...).")
    if path.is_dir():
        sig, rates, files = _read_folder(path)
        default_name = path.name
    elif path.name.endswith(".stem.mp4"):
        sig, rates, files = _read_stem_file(path)
        default_name = path.name[: -len(".stem.mp4")]
    else:
        raise ParameterError(f"{path} is neither a .stem.mp4 file nor a folder of stems. For a single audio "
                             "file use mssedu.audio.load.")
    mixture = sig.pop("mixture", None)
    mix_rate = rates.pop("mixture", None)
    if not sig:
        raise DataError(f"{path} holds a mixture but no stems; a multitrack needs the stems too.")
    sig = _pick_stems(path, sig, stems)
    sig, mixture, rate = _one_rate(path, sig, rates, mixture, mix_rate, sr)
    sig, mixture = _one_channel_count(path, sig, mixture, channels)
    sig, mixture = _one_length(path, sig, mixture, trim)
    sig = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sig.items()}
    mixture, residual_db = _mixture_and_residual(path, sig, mixture, residual_warn_db)
    track = Track(name or default_name, int(rate), mixture, sig, str(path))
    track.mixture_residual_db = residual_db
    return track


def _pick_stems(path, sig: dict, stems) -> dict:
    """The stems asked for, in that order (MUSDB18's order for its four stems)."""
    if stems is not None:
        stems = [str(s) for s in stems]
        missing = [s for s in stems if s not in sig]
        if missing:
            raise DataError(f"{path} is missing stem(s) {missing}; it has {sorted(sig)}. "
                            f"Add {', '.join(m + '.wav' for m in missing)} or pass stems=None.")
        extra = [s for s in sig if s not in stems]
        if extra:
            warnings.warn(f"{path}: ignoring stem(s) {extra} not in stems={stems}.", UserWarning, stacklevel=4)
        sig = {s: sig[s] for s in stems}
    else:
        if set(sig) == set(MUSDB_STEMS):  # a MUSDB-layout folder: MUSDB's stem order
            sig = {s: sig[s] for s in MUSDB_STEMS}
    return sig


def _one_rate(path, sig: dict, rates: dict, mixture, mix_rate, sr):
    """Every signal at one rate: the files' common rate, or ``sr`` after resampling."""
    all_rates = dict(rates)
    if mix_rate is not None:
        all_rates["mixture"] = mix_rate
    if sr is None:
        if len(set(all_rates.values())) > 1:
            detail = ", ".join(f"{k}: {v} Hz" for k, v in all_rates.items())
            raise DataError(f"Stems of {path} have different sample rates ({detail}). "
                            "Pass sr=44100 (say) to resample them all.")
        rate = next(iter(all_rates.values()))
    else:
        rate = check_rate(sr)
        sig = {k: resample(v, rates[k], rate) for k, v in sig.items()}
        if mixture is not None:
            mixture = resample(mixture, mix_rate, rate)
    return sig, mixture, rate


def _one_channel_count(path, sig: dict, mixture, channels):
    """Every signal with one channel count (``channels`` converts, ``None`` requires it)."""
    everything = dict(sig, **({"mixture": mixture} if mixture is not None else {}))
    if channels is None:
        counts = {k: v.shape[0] for k, v in everything.items()}
        if len(set(counts.values())) > 1:
            detail = ", ".join(f"{k}: {'mono' if c == 1 else f'{c} ch'}" for k, c in counts.items())
            raise DataError(f"Stems of {path} mix mono and stereo ({detail}). Pass channels=2 to make "
                            "every stem stereo (mono duplicated) or channels=1 for mono.")
    elif channels in (1, 2):
        conv = to_mono if channels == 1 else to_stereo
        sig = {k: conv(v) for k, v in sig.items()}
        mixture = conv(mixture) if mixture is not None else None
    else:
        raise ParameterError(f"channels must be 1, 2 or None, got {channels!r}.")
    return sig, mixture


def _one_length(path, sig: dict, mixture, trim: bool):
    """Every signal of one length (``trim`` cuts to the shortest, else a difference is an error)."""
    lengths = {k: v.shape[-1] for k, v in sig.items()}
    if mixture is not None:
        lengths["mixture"] = mixture.shape[-1]
    if len(set(lengths.values())) > 1:
        if not trim:
            detail = ", ".join(f"{k}: {n} samples" for k, n in lengths.items())
            raise DataError(f"Stems of {path} have different lengths ({detail}). Pass trim=True to cut "
                            "them all to the shortest, or re-export them with equal lengths.")
        n = min(lengths.values())
        sig = {k: v[:, :n] for k, v in sig.items()}
        mixture = mixture[:, :n] if mixture is not None else None
    return sig, mixture


def _mixture_and_residual(path, sig: dict, mixture, warn_db: float):
    """The mixture (the stems' sum when none was stored) and its residual, in dB below it."""
    total = np.sum(list(sig.values()), axis=0, dtype=np.float32)
    if mixture is None:
        mixture, residual_db = total, float("-inf")
    else:
        mixture = np.ascontiguousarray(mixture, dtype=np.float32)
        num = float(np.sum((mixture.astype(np.float64) - total) ** 2))
        den = float(np.sum(mixture.astype(np.float64) ** 2))
        residual_db = 10 * np.log10(num / den) if num > 0 and den > 0 else (
            float("-inf") if num == 0 else float("inf"))
        if residual_db > warn_db:
            warnings.warn(
                f"The mixture of {path} is not the sum of its stems: residual {residual_db:.1f} dB "
                f"relative to the mixture (lossy-coded files sit around -15 to -40 dB). The stored "
                "mixture is kept; use sum(track.stems.values()) for an exact one.",
                MixtureResidualWarning, stacklevel=4)
    return mixture, residual_db


def save_multitrack(track, folder, overwrite: bool = False, subtype: str = "FLOAT") -> Path:
    """Write ``track`` as a MUSDB18-HQ-layout folder (``mixture.wav`` + one wav per stem).

    Float wav keeps the samples exactly, so :func:`load_multitrack` gives the track back.
    Existing files are never replaced unless ``overwrite=True``.

    Parameters
    ----------
    track : Track
        What to write.
    folder : str or Path
        The folder (created if needed).
    overwrite : bool
        Replace existing files of the same names.
    subtype : str
        soundfile subtype; ``"FLOAT"`` keeps the samples exactly, ``"PCM_16"`` is smaller.

    Returns
    -------
    Path
        The folder.
    """
    folder = Path(folder).expanduser()
    targets = {"mixture": track.mixture, **track.stems}
    if not overwrite:
        clash = [k for k in targets if (folder / f"{k}.wav").exists()]
        if clash:
            raise DataError(f"{folder} already holds {', '.join(c + '.wav' for c in clash)}; "
                            "pass overwrite=True to replace them.")
    folder.mkdir(parents=True, exist_ok=True)
    for k, v in targets.items():
        save(folder / f"{k}.wav", v, track.sr, overwrite=overwrite, subtype=subtype)
    return folder
