"""The other model families of the survey's table: Open-Unmix and BS-/Mel-RoFormer weights,
found offline first, downloaded checked, loaded safely.

The published files of both families are plain *state dicts* (name -> tensor), so loading
one runs no code at all (``torch.load(weights_only=True)``); the architecture comes from
mssedu's own registry (:data:`~mssedu.separation.openunmix.UMX_MODELS`,
:data:`ROFORMER_MODELS`) or from a YAML configuration read with ``yaml.safe_load`` rules.
Before a weight is read, the model the configuration describes is built on torch's ``meta``
device and its size checked (:func:`mssedu.models.check_model_size`), and the file may be no
larger than that model in float32 (plus 16 MiB): a hostile file cannot make mssedu allocate
more than the architecture it claims.

Where weights are looked for, in this order (no network):

1. ``repo=DIR`` if given (and only there);
2. mssedu's model folder, ``models_folder() / NAME`` (what ``mssedu download NAME`` fills);
3. for Open-Unmix, the torch hub cache, where the ``openunmix`` package puts the same files.

Only when they are nowhere does :func:`download_family` go to the network, through
:func:`mssedu.network.download_file` (probe first, streamed to a part file, checked, then
renamed). ``MSSEDU_UMX_URL`` / ``MSSEDU_ROFORMER_URL`` replace the servers (a mirror on the
local network). ``MSSEDU_OFFLINE=1`` keeps everything offline with a message that says how
to bring the files here.

Examples
--------
>>> sep = load_family_separator("bs-roformer-random", device="cpu")
>>> sep.sources
['drums', 'bass', 'other', 'vocals']
"""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import torch
import yaml

from ..atomic import writable_folder
from ..errors import DataError, ModelLoadingError, NetworkError, ParameterError
from ..models import check_finite_weights, check_model_size
from ..network import download_file, offline_requested
from .openunmix import UMX_MODELS, OpenUnmixNet, OpenUnmixSeparator, random_openunmix, umx_architecture
from .repo import check_suffix, models_folder, sha256
from .roformer import SMALL_CONFIG, SMALL_MEL_CONFIG, RoFormerSeparator, roformer_class, roformer_kwargs

__all__ = ["ROFORMER_MODELS", "FAMILY_LABELS", "is_family_model", "find_family_weights",
           "download_family", "load_state_dict_file", "read_roformer_config", "load_roformer",
           "load_family_separator"]

#: The published BS-RoFormer checkpoints mssedu knows. ``config`` is the architecture of the
#: checkpoint (its published YAML, reduced to what inference reads); ``sha256`` is ``None``:
#: ZFTurbo publishes no checksum for these files (the release page lists names and links
#: only), so mssedu records none and downloads the checkpoint only with a SHA-256 the user
#: gives (``download_family(name, sha256=...)``), never unchecked.
ROFORMER_MODELS = {
    "bs-roformer-musdb": dict(
        label="BS-RoFormer (MUSDB18-HQ, 4 stems)",
        url="https://github.com/ZFTurbo/Music-Source-Separation-Training/releases/download/v1.0.12/",
        checkpoint="model_bs_roformer_ep_17_sdr_9.6568.ckpt",
        config_name="config_bs_roformer_384_8_2_485100.yaml", sha256=None,
        config={"audio": {"chunk_size": 485100, "num_channels": 2, "sample_rate": 44100},
                "model": {**SMALL_CONFIG["model"], "dim": 384, "depth": 8, "dim_head": 64, "heads": 8,
                          "mlp_expansion_factor": 2},
                "training": {"instruments": ["drums", "bass", "other", "vocals"], "target_instrument": None},
                "inference": {"num_overlap": 2}}),
}

#: Table labels of every name this module loads (``-random``: the architecture, random weights).
FAMILY_LABELS = {**{n: s["label"] for n, s in {**UMX_MODELS, **ROFORMER_MODELS}.items()},
                 **{f"{n}-random": f"{s['label']} (random weights)" for n, s in
                    {**UMX_MODELS, **ROFORMER_MODELS}.items()},
                 "bs-roformer-random": "BS-RoFormer (small, random weights)",
                 "mel-roformer-random": "Mel-RoFormer (small, random weights)"}
_SMALL = {"bs-roformer-random": SMALL_CONFIG, "mel-roformer-random": SMALL_MEL_CONFIG}

_SLACK = 16 << 20       # bytes a state-dict file may hold beyond its float32 tensors (pickle, names)
_FOREIGN_KEYS = ("stft.window", "sample_rate", "transform.")   # extras of some published UMX files


def is_family_model(name) -> bool:
    """Whether ``name`` is a model of this module (Open-Unmix, BS-RoFormer, their ``-random``).

    Parameters
    ----------
    name : str
        A model name.

    Returns
    -------
    bool
    """
    return str(name) in FAMILY_LABELS


def _folder_files(name: str, folder: Path):
    """``{part: path}`` of model ``name`` in ``folder`` when every file is there, else None
    (a BS-RoFormer's ``config`` may be the registered mapping instead of a file)."""
    if name in UMX_MODELS:
        files = {s: folder / f for s, f in UMX_MODELS[name]["files"].items()}
    else:
        spec = ROFORMER_MODELS[name]          # without its YAML file: the registered architecture
        config = folder / spec["config_name"]
        files = {"checkpoint": folder / spec["checkpoint"], "config": config if config.is_file() else spec["config"]}
    return files if all(not isinstance(p, Path) or p.is_file() for p in files.values()) else None


def find_family_weights(name: str, repo=None):
    """Where the weights of ``name`` are on this machine, without the network.

    Parameters
    ----------
    name : str
        ``umxhq``, ``umxl`` or a name of :data:`ROFORMER_MODELS`.
    repo : str or Path, optional
        A folder to look in (and only there).

    Returns
    -------
    dict or None
        ``{part: path}`` (sources for Open-Unmix; ``checkpoint`` and ``config`` for
        BS-RoFormer), or ``None``.

    Raises
    ------
    DataError
        ``repo`` is not a folder.
    ModelLoadingError
        ``repo`` lacks some of the files.
    """
    if repo is not None:
        repo = Path(repo).expanduser()
        if not repo.is_dir():
            raise DataError(f"repo={str(repo)!r} is not a folder. Give the folder made by "
                            f"`mssedu download {name} --to DIR`.")
        found = _folder_files(name, repo)
        if found is None:
            raise ModelLoadingError(f"{repo} lacks files of {name!r} (expected "
                                    f"{sorted(p.name for p in _folder_files_expected(name))}). "
                                    f"Fill it with `mssedu download {name} --to {repo}`.")
        return found
    for folder in (models_folder() / name, Path(torch.hub.get_dir()) / "checkpoints"):
        if name in ROFORMER_MODELS and folder.name == "checkpoints":
            continue                          # only Open-Unmix uses torch hub's cache
        found = _folder_files(name, folder)
        if found is not None:
            return found
    return None


def _folder_files_expected(name: str) -> list:
    if name in UMX_MODELS:
        return [Path(f) for f in UMX_MODELS[name]["files"].values()]
    return [Path(ROFORMER_MODELS[name][k]) for k in ("checkpoint", "config_name")]


def _fix(name: str) -> str:
    """What to do when the weights of ``name`` cannot be downloaded here."""
    where = models_folder() / name
    return (f"Two ways to fix it: (1) on a machine with internet run `mssedu download {name}` "
        f"(fills {where}; copy that folder here) or `mssedu download {name} --to DIR`; (2) pass "
        f"the folder holding its files: load_separator({name!r}, repo=DIR) or `mssedu separate "
        f"... --model {name} --repo DIR`.")


def _offline_error(name: str) -> NetworkError:
    where = models_folder() / name
    return NetworkError(
        f"The weights of model {name!r} are not on this machine and mssedu may not download "
        f"(MSSEDU_OFFLINE/HF_HUB_OFFLINE). It looked in {where}"
        + (" and the torch hub cache" if name in UMX_MODELS else "") + ". " + _fix(name))


def _base_url(name: str) -> str:
    env = "MSSEDU_UMX_URL" if name in UMX_MODELS else "MSSEDU_ROFORMER_URL"
    spec = UMX_MODELS.get(name) or ROFORMER_MODELS[name]
    return (os.environ.get(env, "").strip() or spec["url"]).rstrip("/") + "/"


def _plan(name: str, sha: str | None) -> list:
    """``(url, file name, checksum)`` for every file of ``name`` to fetch."""
    base = _base_url(name)
    if name in UMX_MODELS:   # the 8 hex digits after the dash are the file's SHA-256 prefix
        return [(base + f, f, "sha256:" + Path(f).stem.rsplit("-", 1)[1])
                for f in UMX_MODELS[name]["files"].values()]
    spec = ROFORMER_MODELS[name]
    if sha is None and spec["sha256"] is None:
        raise ModelLoadingError(
            f"No checksum is published for {name!r} ({base}{spec['checkpoint']}), and mssedu "
            "downloads only files it can check. Either download it yourself, check it, and "
            f"put it in a folder DIR (then load_separator({name!r}, repo=DIR); mssedu writes "
            f"the config {spec['config_name']} there if it is missing), or pass the SHA-256 "
            f"you trust: download_family({name!r}, sha256=HEX) / `mssedu download {name} --sha256 HEX`.")
    return [(base + spec["checkpoint"], spec["checkpoint"], "sha256:" + (sha or spec["sha256"]))]


def download_family(name: str, to=None, progress: bool = True, sha256: str | None = None) -> Path:
    """Fetch the weights of ``name``, check them and load them once, for offline use.

    Parameters
    ----------
    name : str
        ``umxhq``, ``umxl`` or a name of :data:`ROFORMER_MODELS`.
    to : str or Path, optional
        Target folder (default ``models_folder() / name``).
    progress : bool
        Show download progress.
    sha256 : str, optional
        For a checkpoint whose publisher gives no checksum: the 64 hex digits you trust.

    Returns
    -------
    Path
        The folder (pass it as ``repo=``).

    Raises
    ------
    ParameterError
        Not a downloadable model.
    NetworkError
        Offline, or the server cannot be reached or answers an error.
    DataError
        A file arrived corrupt (nothing of this call is kept).
    ModelLoadingError
        No checksum to check against, or a file does not load.
    """
    if name not in UMX_MODELS and name not in ROFORMER_MODELS:
        raise ParameterError(f"Unknown model {name!r} to download: choose one of "
                             f"{sorted(UMX_MODELS) + sorted(ROFORMER_MODELS)}.")
    plan = _plan(name, sha256)
    if offline_requested():
        raise _offline_error(name)
    dest = writable_folder(to if to is not None else models_folder() / name, "Choose another folder with --to.")
    written = []
    try:
        for url, filename, checksum in plan:
            if not (dest / filename).is_file() or not _matches(dest / filename, checksum):
                download_file(url, dest / filename, checksum, progress=progress,
                              advice=_fix(name))
                written.append(dest / filename)
        if name in ROFORMER_MODELS:
            _write_config(name, dest)
        _load(name, _folder_files(name, dest), "cpu")        # every file loads, safe and sane
    except Exception:
        for path in written:                                   # whole or nothing
            path.unlink(missing_ok=True)
        raise
    return dest


def _matches(path: Path, checksum: str) -> bool:
    """Whether a file's SHA-256 starts with the hex digits of ``"sha256:<hex>"``."""
    return sha256(path).startswith(checksum.split(":", 1)[1].lower())


def _write_config(name: str, folder: Path) -> None:
    """The registered architecture as the published YAML file name, if none is there."""
    spec = ROFORMER_MODELS[name]
    path = folder / spec["config_name"]
    if not path.exists():
        config = {**spec["config"], "model": {**spec["config"]["model"],
                                              "freqs_per_bands": list(spec["config"]["model"]["freqs_per_bands"])}}
        path.write_text(yaml.safe_dump(config, sort_keys=False))


def load_state_dict_file(path, limit_bytes: int | None = None) -> dict:
    """A state dict (name -> tensor) from a file, unpickling nothing but tensors.

    Parameters
    ----------
    path : str or Path
        A ``.pth``/``.ckpt`` written by ``torch.save(model.state_dict())`` (or a dict holding
        it under ``state_dict``/``state``).
    limit_bytes : int, optional
        Largest file size accepted, checked before reading.

    Returns
    -------
    dict
        Name -> tensor, all finite.

    Raises
    ------
    ModelLoadingError
        Missing, too large, not a torch file, holding Python objects other than tensors and
        plain data, not a state dict, or with NaN/inf weights.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelLoadingError(f"No weights file at {path}.")
    check_suffix(path)                 # NAME-<sha256 prefix>: the content must match the name
    size = path.stat().st_size
    if limit_bytes is not None and size > limit_bytes:
        raise ModelLoadingError(f"{path} is {size:,} bytes, more than the {limit_bytes:,} its "
                                "architecture needs in float32: not these weights (damaged or "
                                "hostile); it was not loaded.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise ModelLoadingError(
            f"{path} was refused by torch.load(weights_only=True): it holds a Python object "
            "other than tensors and plain data, which could run code when loaded, so mssedu "
            f"does not load it. ({str(err).splitlines()[0][:160]})") from err
    except Exception as err:
        raise ModelLoadingError(f"{path} is not a readable torch file ({type(err).__name__}: "
                                f"{str(err)[:200]}). Delete it and download it again.") from err
    for key in ("state_dict", "state"):          # training checkpoints wrap the weights
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not state or \
            not all(isinstance(k, str) and torch.is_tensor(v) for k, v in state.items()):
        raise ModelLoadingError(f"{path} is not a state dict (a mapping of parameter names to tensors).")
    check_finite_weights(state, str(path))
    return state


def _fill(model, state: dict, path, ignorable=()) -> None:
    """Load ``state`` into ``model`` strictly, except keys the publisher adds or omits harmlessly."""
    own = model.state_dict()
    extra = [k for k in state if k not in own and not k.startswith(ignorable)]
    missing = [k for k in own if k not in state and not k.endswith("rotary_embed.freqs")]
    try:
        if extra or missing:
            raise RuntimeError(f"unexpected keys {extra[:5]}, missing keys {missing[:5]}")
        model.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)
    except RuntimeError as err:
        raise ModelLoadingError(f"The weights in {path} do not fit the {type(model).__name__} they "
                                f"are loaded into (a file of another model?): {str(err)[:300]}") from err


def _size_limit(n_parameters: int) -> int:
    return 4 * n_parameters + _SLACK


def read_roformer_config(path) -> dict:
    """A BS-RoFormer YAML configuration, read with ``yaml.safe_load``'s rules.

    Published configs tag tuples as ``!!python/tuple``; that one tag is read as a tuple of
    plain values (as ``safe_load`` would read a list), every other Python tag is refused.

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Returns
    -------
    dict
        With a ``model:`` mapping.

    Raises
    ------
    ModelLoadingError
        Unreadable, not YAML, a Python object tag, or no ``model:`` section.
    """
    class _Loader(yaml.SafeLoader):
        """safe_load plus plain tuples."""

    _Loader.add_constructor("tag:yaml.org,2002:python/tuple",
                            lambda loader, node: tuple(loader.construct_sequence(node)))
    try:
        config = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (safe loader)
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as err:
        raise ModelLoadingError(f"{path} is not a readable YAML configuration "
                                f"({str(err).splitlines()[0][:200]}). Python object tags other "
                                "than !!python/tuple are refused.") from err
    if not isinstance(config, dict) or not isinstance(config.get("model"), dict):
        raise ModelLoadingError(f"{path} has no model: section; give the YAML file published "
                                "with the checkpoint.")
    return config


def load_roformer(checkpoint, config, name: str = "BS-RoFormer", device="auto") -> RoFormerSeparator:
    """A BS-RoFormer (or Mel-RoFormer) separator from a checkpoint and its YAML configuration, safely.

    Parameters
    ----------
    checkpoint : str or Path
        State dict file (``.ckpt``).
    config : str, Path or dict
        The YAML file published with it (or the parsed mapping).
    name : str
        Label for tables.
    device : str
        Where it runs.

    Returns
    -------
    RoFormerSeparator

    Raises
    ------
    ModelLoadingError
        The config or checkpoint is unsafe, too large, broken, or of another model.
    """
    config = config if isinstance(config, dict) else read_roformer_config(config)
    try:
        kwargs = roformer_kwargs(config["model"], str(checkpoint))
    except ParameterError as err:
        raise ModelLoadingError(str(err)) from err
    build = roformer_class(config["model"])                     # BS- or Mel-RoFormer
    n = check_model_size(lambda: build(**kwargs), str(checkpoint))   # on meta: nothing allocated
    state = load_state_dict_file(checkpoint, _size_limit(n))
    model = build(**kwargs)
    _fill(model, state, checkpoint)
    try:
        return RoFormerSeparator(model, config, name=name, device=device)
    except ParameterError as err:
        raise ModelLoadingError(f"{checkpoint}: {err}") from err


def _load(name: str, files: dict, device):
    """The separator of a registered model from its files."""
    if name in ROFORMER_MODELS:
        return load_roformer(files["checkpoint"], files["config"], FAMILY_LABELS[name], device)
    arch = umx_architecture(UMX_MODELS[name]["hidden_size"])
    n = check_model_size(lambda: OpenUnmixNet(**arch), name)
    nets = {}
    for source, path in files.items():
        state = load_state_dict_file(path, _size_limit(n))
        nets[source] = OpenUnmixNet(**arch)
        _fill(nets[source], state, path, _FOREIGN_KEYS)
    return OpenUnmixSeparator(nets, name=FAMILY_LABELS[name], device=device)


def load_family_separator(name: str, repo=None, device="auto", **options):
    """The separator of an Open-Unmix or BS-RoFormer model, from disk or else downloaded.

    Parameters
    ----------
    name : str
        ``umxhq``, ``umxl``, a name of :data:`ROFORMER_MODELS`, any of them with
        ``-random`` (real architecture, random weights), or ``bs-roformer-random`` /
        ``mel-roformer-random`` (small configurations of the architectures).
    repo : str or Path, optional
        Folder with the model's files.
    device : str
        Where it runs.
    **options
        ``iterations`` (Open-Unmix's Wiener filter); ``None`` values are ignored.

    Returns
    -------
    OpenUnmixSeparator or RoFormerSeparator

    Raises
    ------
    ParameterError
        Unknown name or option.
    ModelLoadingError, NetworkError
        Weights missing, broken or unsafe, and no way to download them.
    """
    options = {k: v for k, v in options.items() if v is not None}
    allowed = {"iterations"} if name.startswith("umx") else set()
    if set(options) - allowed:
        raise ParameterError(f"{name} does not take {', '.join(sorted(set(options) - allowed))} "
                             f"(it takes {', '.join(sorted(allowed)) or 'no options'}).")
    if name in _SMALL or (name.endswith("-random") and name[:-7] in ROFORMER_MODELS):
        config = _SMALL[name] if name in _SMALL else ROFORMER_MODELS[name[:-7]]["config"]
        state = torch.random.get_rng_state()
        try:
            torch.manual_seed(0)
            model = roformer_class(config["model"])(**roformer_kwargs(config["model"]))
        finally:
            torch.random.set_rng_state(state)
        return RoFormerSeparator(model, config, name=FAMILY_LABELS[name], device=device)
    if name.endswith("-random"):
        sep = random_openunmix(name[:-7], device=device)
        sep.iterations = options.get("iterations", sep.iterations)
        return sep
    if not is_family_model(name):
        raise ParameterError(f"Unknown model {name!r}; choose one of {sorted(FAMILY_LABELS)}.")
    found = find_family_weights(name, repo)
    if found is None:
        if offline_requested():
            raise _offline_error(name)
        found = _folder_files(name, download_family(name))
    sep = _load(name, found, device)
    if "iterations" in options:
        sep.iterations = options["iterations"]
    return sep
