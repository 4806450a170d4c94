"""Loading demucs weights safely, and the one entry point :func:`load_demucs_model`.

``load_demucs_model(name)`` finds the weights on disk (:mod:`~mssedu.separation.repo`),
downloads them only when they are nowhere (:mod:`~mssedu.separation.fetch`), and loads them
here. A weights file is untrusted input:

- ``.safetensors`` files hold only tensors; their metadata names the model class, which must
  be one of demucs' three model classes, and its constructor arguments;
- ``.th`` files are demucs "packages" (a dict with the model *class*, its constructor
  arguments, which include a ``fractions.Fraction`` segment length, and the state dict),
  read with ``torch.load(weights_only=True)`` inside :func:`torch.serialization.safe_globals`
  that allows exactly those demucs classes and ``Fraction``: nothing else in the file can be
  executed;
- before any weight is allocated, the model the arguments describe is built on the ``meta``
  device and its size checked (:func:`mssedu.models.check_model_size`); NaN or infinite
  weights are refused (:func:`mssedu.models.check_finite_weights`); demucs' own errors while
  building (even ``SystemExit``) become a :class:`~mssedu.errors.ModelLoadingError`.

Examples
--------
>>> load_demucs_model("htdemucs-random").sources
['drums', 'bass', 'other', 'vocals']
"""
from __future__ import annotations

import inspect
import json
import pickle
import warnings
from fractions import Fraction
from pathlib import Path

import torch

from ..errors import ModelLoadingError, ParameterError
from ..models import check_finite_weights, check_model_size
from ..network import offline_requested
from .demucs_models import (DEMUCS_MODELS, RANDOM_MODEL, import_demucs, model_classes, random_demucs,
                            random_htdemucs, refuse_quantised, remote_yaml)
from .families import download_family, is_family_model
from .fetch import fetch_weights, offline_error
from .repo import check_suffix, find_weights, local_weights

__all__ = ["load_demucs_model", "load_bag", "download"]


def _decode(value):
    """demucs' json encoding of constructor arguments back to values (fractions included)."""
    if isinstance(value, dict):
        if value.get("_type") == "fraction":
            return Fraction(value["numerator"], value["denominator"])
        return {key: _decode(item) for key, item in value.items()}
    return [_decode(item) for item in value] if isinstance(value, list) else value


def _unflatten(node, tensors: dict):
    """The state dict a safetensors ``structure`` describes (tensors, dicts, lists only)."""
    if not isinstance(node, dict):
        return node
    if "_tensor" in node:
        return tensors[node["_tensor"]]
    if "_dict" in node:
        return {key: _unflatten(item, tensors) for key, item in node["_dict"]}
    if "_list" in node or "_tuple" in node:
        return [_unflatten(item, tensors) for item in node.get("_list", node.get("_tuple"))]
    raise ModelLoadingError(f"Unknown node in the file's structure: {str(node)[:100]}.")


def _read_safetensors(path: Path, classes: dict) -> dict:
    """A demucs package (klass, args, kwargs, state) from a ``.safetensors`` file."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            tensors = {key: f.get_tensor(key) for key in f.keys()}
        klass = meta.get("klass")
        if klass not in classes:
            raise ModelLoadingError(f"{path} names model class {klass!r}; only {sorted(classes)} "
                                    "are accepted (a checkpoint cannot make mssedu import other code).")
        if '"_class"' in meta.get("structure", ""):
            raise ModelLoadingError(f"{path} is a quantised (diffq) model, which mssedu does not "
                                    "load; use a non-quantised model such as htdemucs.")
        structure = json.loads(meta.get("structure", "null") or "null")
        state = tensors if structure is None else _unflatten(structure, tensors)
        return {"klass": classes[klass], "args": _decode(json.loads(meta.get("args", "[]"))),
                "kwargs": _decode(json.loads(meta.get("kwargs", "{}"))), "state": state}
    except ModelLoadingError:
        raise
    except Exception as err:   # unreadable file, malformed json metadata, a missing tensor
        raise ModelLoadingError(f"{path} is not a readable demucs safetensors file "
                                f"({type(err).__name__}: {str(err)[:200]}). Delete it and "
                                "download it again.") from err


def _read_th(path: Path, classes: dict) -> dict:
    """A demucs package from a ``.th`` file, unpickling nothing but demucs' classes."""
    try:
        with torch.serialization.safe_globals(list(classes.values()) + [Fraction]):
            package = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise ModelLoadingError(
            f"{path} was refused by torch.load(weights_only=True): it holds a Python object "
            f"that is not a demucs model class, a Fraction or plain data. Such a file can run "
            f"arbitrary code when loaded, so mssedu does not load it. "
            f"({str(err).splitlines()[0][:160]})") from err
    except Exception as err:
        raise ModelLoadingError(f"{path} is not a readable checkpoint ({type(err).__name__}: "
                                f"{str(err)[:200]}). Delete it and download it again.") from err
    if not isinstance(package, dict) or package.get("klass") not in classes.values() \
            or not isinstance(package.get("args", []), (list, tuple)) \
            or not isinstance(package.get("kwargs", {}), dict) or "state" not in package:
        raise ModelLoadingError(f"{path} is not a demucs model package (a dict with 'klass', "
                                "'args', 'kwargs' and 'state').")
    return package


def _build(package: dict, path: Path):
    """The model a package describes: size checked first, weights checked, errors made clear."""
    klass, args = package["klass"], list(package.get("args", []))
    known = inspect.signature(klass).parameters     # demucs drops training-only arguments too
    kwargs = {k: v for k, v in package.get("kwargs", {}).items() if k in known}
    state = package["state"]
    if not isinstance(state, dict) or state.get("__quantized"):
        raise ModelLoadingError(f"{path} holds a quantised (diffq) or unknown state, which mssedu "
                                "does not load; use a non-quantised model such as htdemucs.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # demucs warns about arguments it does not use
        check_model_size(lambda: klass(*args, **kwargs), str(path))   # nothing allocated yet
        check_finite_weights(state, str(path))
        try:
            model = klass(*args, **kwargs)
        except (Exception, SystemExit) as err:   # demucs exits on some bad arguments
            raise ModelLoadingError(f"{path}: demucs cannot build the model its arguments "
                                    f"describe ({type(err).__name__}: {str(err)[:200]}).") from err
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError) as err:
        raise ModelLoadingError(f"The weights in {path} do not fit the {klass.__name__} its "
                                f"arguments describe (a file of another model?): "
                                f"{str(err)[:300]}") from err
    return model


def _load_model_file(path):
    """Load one demucs model from ``.th`` or ``.safetensors``, safely (see module docstring)."""
    import_demucs()
    path = Path(path)
    check_suffix(path)
    classes = model_classes()
    read = _read_safetensors if path.suffix == ".safetensors" else _read_th
    return _build(read(path, classes), path)


def load_bag(found):
    """The bag of models ``found`` describes (:func:`~mssedu.separation.repo.find_weights`).

    Parameters
    ----------
    found : dict
        ``bag`` (the model list) and ``files`` (one weights file per model).

    Returns
    -------
    demucs.apply.BagOfModels
        In eval mode.

    Raises
    ------
    ModelLoadingError
        A file is corrupt, unsafe, too large or not finite.
    """
    demucs = import_demucs()
    models = [_load_model_file(f) for f in found["files"]]
    bag = found["bag"]
    return demucs.apply.BagOfModels(models, bag.get("weights"), bag.get("segment")).eval()


def download(name: str = "htdemucs", to=None, progress: bool = True, sha256: str | None = None) -> Path:
    """Fetch the weights of demucs model ``name``, check them and load them once, for offline use.

    Tries the Hugging Face hub (``adefossez/HTDemucs``; ``HF_ENDPOINT``) and falls back to
    Meta's server (or the mirror ``MSSEDU_DEMUCS_URL`` names): see :mod:`~mssedu.separation.fetch`.
    The files land in ``to`` as a local repository: ``<name>.yaml`` and
    ``<signature>-<sha256 prefix>.safetensors`` (or ``.th``), which
    ``load_separator(name, repo=to)`` (and ``demucs -n name --repo to`` for ``.th``) read.

    Parameters
    ----------
    name : str
        A demucs model name.
    to : str or Path, optional
        Target folder (default :func:`~mssedu.separation.repo.models_folder`).
    progress : bool
        Show download progress.
    sha256 : str, optional
        For a family model whose publisher gives no checksum
        (:func:`~mssedu.separation.families.download_family`).

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    DataError
        The folder cannot be created or written.
    ParameterError
        ``name`` is no demucs model.
    ModelLoadingError
        A file failed its checksum (nothing is kept) or does not load, or the servers
        answered 404 (the model does not exist there).
    NetworkError
        Neither host can be reached, or both downloads failed.
    """
    if is_family_model(name):                  # Open-Unmix, BS-RoFormer: their own files
        return download_family(name, to, progress, sha256)
    dest = fetch_weights(name, to, progress)
    load_bag(local_weights(name, dest))   # every file loads: safe, finite, of a sane size
    return dest


def load_demucs_model(name: str = "htdemucs", repo=None):
    """The demucs model ``name``, from disk or else downloaded.

    Parameters
    ----------
    name : str
        A demucs model name (:data:`DEMUCS_MODELS`), or ``<name>-random`` for its
        architecture with random weights (:func:`random_demucs`; :data:`RANDOM_MODEL` is
        :func:`random_htdemucs`). The quantised ``mdx_q``/``mdx_extra_q`` are refused.
    repo : str or Path, optional
        Local repository (see the module docstring).

    Returns
    -------
    demucs.apply.BagOfModels or demucs.htdemucs.HTDemucs
        In eval mode.

    Raises
    ------
    ParameterError
        An unknown model name.
    ModelLoadingError, NetworkError
        Weights missing or broken, and the network out of reach (quickly).
    """
    if name == RANDOM_MODEL:
        return random_htdemucs()
    if name.endswith("-random") and name[:-len("-random")] in DEMUCS_MODELS:
        return random_demucs(name[:-len("-random")])
    refuse_quantised(name)
    import_demucs()
    found = find_weights(name, repo)
    if found is None:
        if remote_yaml(name) is None and "/" not in name:
            raise ParameterError(f"Unknown model {name!r}: no such model exists. Use a demucs "
                                 f"model name ({', '.join(DEMUCS_MODELS)}), one of them with "
                                 "'-random' (random weights), 'oracle-irm', or the path of a "
                                 "mini U-Net or band-split checkpoint.")
        if offline_requested():
            raise offline_error(name)
        download(name)
        found = find_weights(name)
    return load_bag(found)
