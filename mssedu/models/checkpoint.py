"""Checkpoints of the course's models: written atomically, read safely.

A checkpoint is a plain dict of tensors, numbers, strings, lists and dicts -- no pickled
Python objects -- so it loads with ``torch.load(path, weights_only=True)``, which cannot run
code hidden in a file. It holds ``format`` (:data:`CHECKPOINT_FORMAT`), the model's
``kind`` (a key of :data:`MODEL_KINDS`: ``"unet"``, ``"bandsplit"`` or ``"conditioned"``; files without it
are U-Nets), its ``config`` and weights (``model``; ``best_model`` when training kept its
best validation weights), and for resuming a run the optimiser state, step, epoch and
history. A file is recognised by its content, never by its suffix.

A file is untrusted input: before any weight is allocated the model its config describes is
built on torch's ``meta`` device (shapes only, no memory) and its size checked against
:data:`MAX_PARAMETERS`; weights that are not finite are refused.

Examples
--------
>>> import tempfile, os
>>> from mssedu.models import MiniUNet, save_checkpoint, load_checkpoint
>>> path = os.path.join(tempfile.mkdtemp(), "model.pt")
>>> _ = save_checkpoint(path, MiniUNet.from_preset("tiny"))
>>> model, config = load_checkpoint(path)
>>> config.targets
('vocals',)
"""
from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import NamedTuple

import torch

from ..atomic import clean_stale_parts, part_path, usual_mode
from ..config import torch_device
from ..errors import DataError, ModelLoadingError, ParameterError
from .bandsplit import BANDSPLIT_PRESETS, BandSplitConfig, BandSplitModel
from .base import count_parameters
from .conditioned import CONDITIONED_PRESETS, ConditionedUNet, ConditionedUNetConfig
from .unet import UNET_PRESETS, MiniUNet, UNetConfig

__all__ = ["CHECKPOINT_FORMAT", "MODEL_KINDS", "MAX_PARAMETERS", "ModelKind", "save_checkpoint",
           "read_checkpoint", "load_checkpoint", "is_checkpoint", "shipped_checkpoint",
           "model_kind", "check_model_size", "check_finite_weights"]

#: Tag stored in every checkpoint, so a foreign file is recognised as such.
CHECKPOINT_FORMAT = "mssedu.unet.v1"   # the name of the first release's format, kept for its files

#: Largest model a file may describe, in parameters (4 bytes each in float32). The largest
#: published separators are ~10x smaller (HT-Demucs 42 M, BS-RoFormer ~90 M); a config that
#: asks for more is a mistake or a memory bomb, refused before anything is allocated.
MAX_PARAMETERS = 1_000_000_000


class ModelKind(NamedTuple):
    """A kind of mask model that checkpoints and :func:`mssedu.models.train` know.

    Attributes
    ----------
    config : type
        Its config dataclass (``to_dict`` / ``from_dict``).
    model : type
        The ``torch.nn.Module``, built as ``model(config)``.
    presets : dict
        Preset name -> config fields.
    """

    config: type
    model: type
    presets: dict


#: Model kinds, by the ``kind`` stored in a checkpoint: the one explicit list.
MODEL_KINDS = {"unet": ModelKind(UNetConfig, MiniUNet, UNET_PRESETS),
               "bandsplit": ModelKind(BandSplitConfig, BandSplitModel, BANDSPLIT_PRESETS),
               "conditioned": ModelKind(ConditionedUNetConfig, ConditionedUNet, CONDITIONED_PRESETS)}


def model_kind(name: str) -> ModelKind:
    """The model kind ``name``, or a clear error.

    Parameters
    ----------
    name : str
        ``"unet"``, ``"bandsplit"`` or ``"conditioned"``.

    Returns
    -------
    ModelKind

    Raises
    ------
    ParameterError
        Unknown kind.

    Examples
    --------
    >>> model_kind("bandsplit").model.__name__
    'BandSplitModel'
    """
    if name not in MODEL_KINDS:
        raise ParameterError(f"Unknown model kind {name!r}; known: {sorted(MODEL_KINDS)}.")
    return MODEL_KINDS[name]


def check_model_size(build, what: str, limit: int = MAX_PARAMETERS) -> int:
    """Count the parameters of the model ``build()`` makes, on the ``meta`` device (no memory).

    Parameters
    ----------
    build : callable
        Builds the model (``lambda: MiniUNet(config)``).
    what : str
        The file or source, for the message.
    limit : int
        Largest allowed parameter count.

    Returns
    -------
    int
        The parameter count.

    Raises
    ------
    ModelLoadingError
        The model would be larger than ``limit``, or cannot be built from the description.

    Examples
    --------
    >>> check_model_size(lambda: MiniUNet.from_preset("tiny"), "tiny")
    614018
    """
    try:
        with torch.device("meta"):   # shapes only: a 10^12-parameter config costs nothing
            model = build()
    except (Exception, SystemExit) as err:   # any failure (asserts, sys.exit) in foreign code
        raise ModelLoadingError(f"{what}: the model it describes cannot be built: "
                                f"{str(err)[:300]}") from err
    n = count_parameters(model)
    if n > limit:
        raise ModelLoadingError(f"{what} describes a model of {n:,} parameters, more than the "
                                f"{limit:,} allowed ({4 * limit / 2**30:.0f} GiB in float32; the "
                                "largest published separators are ~10x smaller). The file is "
                                "damaged or hostile; it was not loaded.")
    return n


def check_finite_weights(state: dict, what: str) -> None:
    """Refuse a state dict holding NaN or infinite weights (they separate into silence or NaN).

    Parameters
    ----------
    state : dict
        Name -> tensor.
    what : str
        The file, for the message.

    Raises
    ------
    ModelLoadingError
        A floating-point tensor has a non-finite value.

    Examples
    --------
    >>> check_finite_weights({"w": torch.ones(3)}, "model.pt")
    """
    for name, tensor in state.items():
        if torch.is_tensor(tensor) and tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ModelLoadingError(f"{what}: weight {name!r} holds NaN or infinite values, so the "
                                    "model would output NaN or silence. The file is damaged; "
                                    "train or download it again.")


_SHIPPED = Path(__file__).resolve().parent.parent / "checkpoints"


def shipped_checkpoint(name: str = "unet_tiny_vocals") -> str:
    """Path of a checkpoint that ships with mssedu (``mssedu/checkpoints/<name>.pt``).

    ``unet_tiny_vocals``: the ``tiny`` preset trained on synthetic songs only, vocals;
    ``unet_tiny_4stems``: the same recipe with four targets (vocals, drums, bass, other).
    ``conditioned_tiny_4stems``: separation by query, a conditioned U-Net (chapter 8).
    How exactly each was made: ``mssedu/checkpoints/README.md``.

    Parameters
    ----------
    name : str
        File name without ``.pt``.

    Returns
    -------
    str
        The path; load it with :func:`load_checkpoint` or
        ``UNetSeparator.from_checkpoint``.

    Raises
    ------
    ParameterError
        No such shipped checkpoint.

    Examples
    --------
    >>> Path(shipped_checkpoint()).name
    'unet_tiny_vocals.pt'
    """
    path = _SHIPPED / f"{name}.pt"
    if not path.is_file():
        have = sorted(p.stem for p in _SHIPPED.glob("*.pt"))
        raise ParameterError(f"No shipped checkpoint {name!r} (mssedu ships {have}). Train one "
                             "with mssedu.models.train(...) and pass its path instead.")
    return str(path)


def _tensors(state: dict) -> dict:
    return {k: v.detach().cpu().clone() for k, v in state.items()}


def save_checkpoint(path, model, train_config=None, optimizer=None, scaler=None,
                    step: int = 0, epoch: int = 0, history: dict | None = None,
                    best_state: dict | None = None, best_sdr: float = float("-inf"),
                    overwrite: bool = False) -> Path:
    """Write a checkpoint atomically (temporary file, then rename).

    Parameters
    ----------
    path : str or Path
        The file to write; its folder is created if needed.
    model : MiniUNet or another kind's model (:data:`MODEL_KINDS`)
        Its ``kind``, config and current weights are stored.
    train_config : TrainConfig or dict, optional
        The run's settings (anything with ``to_dict()``, or a plain dict).
    optimizer, scaler : optional
        Their ``state_dict()`` is stored, for resuming.
    step, epoch : int
        Where the run is.
    history : dict, optional
        Loss and validation curves.
    best_state : dict, optional
        The best weights so far (a state dict).
    best_sdr : float
        Their validation SDR.
    overwrite : bool
        Replace an existing file (otherwise it is an error).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    DataError
        The file exists (without ``overwrite``), or the folder cannot be written.
    """
    path = Path(path).expanduser()
    if path.exists() and not overwrite:
        raise DataError(f"{path} exists; pass overwrite=True to replace it, or choose another name.")
    state = {"format": CHECKPOINT_FORMAT, "kind": getattr(model, "kind", "unet"),
             "config": model.config.to_dict(),
             "model": _tensors(model.state_dict()), "step": int(step), "epoch": int(epoch),
             "history": history or {}, "best_sdr": float(best_sdr)}
    if best_state is not None:
        state["best_model"] = _tensors(best_state)
    if train_config is not None:
        state["train_config"] = dict(train_config) if isinstance(train_config, dict) else train_config.to_dict()
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if scaler is not None:
        state["scaler"] = scaler.state_dict()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_parts(path)          # what a killed earlier run left behind
    except OSError as err:
        raise DataError(f"Cannot write {path}: {err.strerror or err}. Choose another folder.") from err
    tmp = part_path(path)
    try:
        torch.save(state, tmp)
        os.chmod(tmp, usual_mode())
        os.replace(tmp, path)
    except OSError as err:
        raise DataError(f"Could not write {path}: {err.strerror or err} (nothing was "
                        "written; free some space or choose another folder).") from err
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _first_reason(err) -> str:
    for line in str(err).splitlines():
        if "Unsupported global" in line:
            return line.strip()[:200]
    return str(err).splitlines()[0][:200] if str(err) else type(err).__name__


def read_checkpoint(path) -> dict:
    """Read a checkpoint's dict with ``torch.load(weights_only=True)``, checked.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    dict
        The stored entries (see the module docstring).

    Raises
    ------
    ModelLoadingError
        No such file, a folder, a file that is not a torch checkpoint or not an mssedu one,
        or one holding pickled Python objects (refused: they could run code).
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelLoadingError(f"No checkpoint at {path}. Train one with "
                                "mssedu.models.train(checkpoint=...) or `mssedu train`.")
    if path.is_dir():
        raise ModelLoadingError(f"{path} is a folder; give the checkpoint file (e.g. unet.pt).")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if "global" not in str(err).lower():   # garbage bytes, not a forbidden object
            raise ModelLoadingError(f"{path} is not a readable torch checkpoint (the safe "
                                    "unpickler could not parse it). Was the file truncated, or "
                                    "is it another format?") from err
        raise ModelLoadingError(
            f"{path} was refused by torch.load(weights_only=True): it holds pickled Python "
            "objects, which can run arbitrary code when loaded. mssedu checkpoints hold only "
            "tensors and plain values; if you trust the file, re-save its state_dict. "
            f"({_first_reason(err)})") from err
    except Exception as err:  # truncated, not a torch file at all, ...
        raise ModelLoadingError(f"{path} is not a readable torch checkpoint ({type(err).__name__}: "
                                f"{str(err)[:200]}). Was the file truncated or is it another "
                                "format?") from err
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ModelLoadingError(f"{path} is a torch file but not an mssedu model checkpoint "
                                f"(expected format {CHECKPOINT_FORMAT!r}).")
    for key in ("config", "model"):
        if key not in state:
            raise ModelLoadingError(f"{path} lacks the {key!r} entry; the checkpoint is incomplete.")
    return state


def is_checkpoint(path) -> bool:
    """Whether ``path`` is a file that looks like a torch checkpoint (by content: torch
    saves a zip archive holding ``data.pkl``), whatever its suffix.

    Parameters
    ----------
    path : str or Path
        Any path.

    Returns
    -------
    bool
        False for folders, missing files and other formats (a yaml, an audio file...).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        return False
    try:
        with zipfile.ZipFile(path) as z:
            return any(n.endswith("data.pkl") for n in z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def load_checkpoint(path, which: str = "best", device="cpu"):
    """Load a checkpoint of any registered kind (U-Net, band-split...; the file says which).

    Parameters
    ----------
    path : str or Path
        The file (any suffix).
    which : {"best", "last"}
        The best-validation weights (if the checkpoint kept them) or the latest ones.
    device : str
        Where to put the model (``"auto"`` picks a GPU if there is one).

    Returns
    -------
    model : MiniUNet or another kind's model
        In eval mode.
    config : UNetConfig or another kind's config
        Its configuration.

    Raises
    ------
    ParameterError
        ``which`` is neither "best" nor "last".
    ModelLoadingError
        See :func:`read_checkpoint`; also weights that do not fit the stored config.
    """
    if which not in ("best", "last"):
        raise ParameterError(f"which must be 'best' or 'last', got {which!r}.")
    state = read_checkpoint(path)
    name = state.get("kind", "unet")
    if name not in MODEL_KINDS:
        raise ModelLoadingError(f"{path} holds a model of kind {name!r}, which this version of "
                                f"mssedu does not know (known: {sorted(MODEL_KINDS)}).")
    kind = MODEL_KINDS[name]
    try:
        config = kind.config.from_dict(state["config"])
    except (ParameterError, TypeError) as err:
        raise ModelLoadingError(f"The config stored in {path} is not a {name} config: {err}") from err
    check_model_size(lambda: kind.model(config), str(path))   # before any weight is allocated
    weights = state.get("best_model", state["model"]) if which == "best" else state["model"]
    check_finite_weights(weights, str(path))
    model = kind.model(config)
    try:
        model.load_state_dict(weights)
    except RuntimeError as err:
        raise ModelLoadingError(f"The weights in {path} do not fit its config: {str(err)[:300]}") from err
    return model.to(torch_device(device)).eval(), config
