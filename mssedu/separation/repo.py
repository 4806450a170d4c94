"""Where demucs weights are on this machine: the offline-first lookup (no network here).

``find_weights("htdemucs")`` looks, in this order, in

1. ``repo=DIR`` if given (a *local repository*: ``htdemucs.yaml`` listing the model
   signatures, plus ``<signature>-<sha256 prefix>.th`` (demucs' format) or
   ``.safetensors`` files; the suffix after the dash is checked against the file's SHA-256
   by :func:`check_suffix`);
2. mssedu's model folder :func:`models_folder` (what ``mssedu download`` fills; same layout);
3. the Hugging Face cache (what demucs >= 4.1 downloads: repo ``adefossez/HTDemucs``);
4. the torch hub cache (what older demucs downloaded from Meta's server).

Examples
--------
>>> import tempfile
>>> find_weights("htdemucs", repo=tempfile.mkdtemp())
Traceback (most recent call last):
...
mssedu.errors.ModelLoadingError: ... holds no htdemucs.yaml and no checkpoint named htdemucs-*.th or .safetensors. ...
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch

from ..config import cache_dir
from ..errors import DataError, ModelLoadingError
from ..extras import installed
from .demucs_models import bag_from_yaml, hf_repo, meta_urls, remote_yaml

__all__ = ["models_folder", "find_weights", "local_weights", "check_suffix", "sha256"]


def models_folder() -> Path:
    """mssedu's folder for downloaded separator weights.

    Returns
    -------
    Path
        ``cache_dir("models")``.
    """
    return Path(cache_dir("models"))


def sha256(path, n: int | None = None) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks.

    Parameters
    ----------
    path : str or Path
        The file.
    n : int, optional
        Keep only the first ``n`` hex digits.

    Returns
    -------
    str
        Hex digest (or its prefix).
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:n] if n else h.hexdigest()


def check_suffix(path: Path) -> None:
    """Check demucs' naming convention: ``<sig>-<hex>`` names a file whose SHA-256 starts
    with ``<hex>`` (names without such a suffix are not checked).

    Parameters
    ----------
    path : Path
        A weights file.

    Raises
    ------
    ModelLoadingError
        The content does not match the name.
    """
    stem = path.stem
    if "-" not in stem:
        return
    expected = stem.rsplit("-", 1)[1]
    if not all(c in "0123456789abcdef" for c in expected.lower()):
        return
    actual = sha256(path, len(expected))
    if actual != expected:
        raise ModelLoadingError(f"{path} is corrupt or was changed: its SHA-256 starts with "
                                f"{actual}, but its name says {expected}. Delete it and download "
                                "it again (`mssedu download`).")


def _file_for_signature(folder: Path, sig: str):
    """``<sig>-<sha>.th|.safetensors`` or ``<sig>.th|.safetensors`` in ``folder``."""
    found = []
    for suffix in (".safetensors", ".th"):
        found += sorted(folder.glob(f"{sig}-*{suffix}")) + sorted(folder.glob(f"{sig}{suffix}"))
    found = [p for p in found if p.stem == sig or p.stem.split("-", 1)[0] == sig]
    return found[0] if found else None


def local_weights(name: str, folder: Path):
    """Model ``name`` in one local repository folder, if it is there.

    Parameters
    ----------
    name : str
        A model name (``<name>.yaml`` in ``folder``) or a single signature.
    folder : str or Path
        The folder.

    Returns
    -------
    dict or None
        ``bag``, ``files`` and ``where`` (see :func:`find_weights`), or ``None``.

    Raises
    ------
    ModelLoadingError
        The folder describes the model but lacks some of its weights.
    """
    folder = Path(folder).expanduser()
    yaml_path = folder / f"{name}.yaml"
    if yaml_path.exists():
        bag = bag_from_yaml(yaml_path)
    elif _file_for_signature(folder, name) is not None:  # a single model given by signature
        bag = {"models": [name]}
    else:
        return None
    files = [_file_for_signature(folder, str(sig)) for sig in bag["models"]]
    if any(f is None for f in files):
        missing = [s for s, f in zip(bag["models"], files) if f is None]
        raise ModelLoadingError(f"{folder} describes {name!r} but lacks the weights of {missing} "
                                f"(expected files like {missing[0]}-<sha256 prefix>.th or "
                                f".safetensors). Re-run `mssedu download {name} --to {folder}`.")
    return {"bag": bag, "files": files, "where": str(folder)}


def _hf_cached_weights(name: str):
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    repo = hf_repo(name)
    y = try_to_load_from_cache(repo, f"{name}.yaml")
    if not isinstance(y, str):
        return None
    bag = bag_from_yaml(y)
    files = [try_to_load_from_cache(repo, f"{sig}.safetensors") for sig in bag["models"]]
    if not all(isinstance(f, str) for f in files):
        return None
    return {"bag": bag, "files": [Path(f) for f in files], "where": f"Hugging Face cache ({repo})"}


def _torch_hub_cached_weights(name: str):
    yaml_path = remote_yaml(name)
    if yaml_path is None:
        return None
    bag = bag_from_yaml(yaml_path)
    urls = meta_urls()
    folder = Path(torch.hub.get_dir()) / "checkpoints"
    files = [folder / os.path.basename(urls.get(sig, "")) for sig in bag["models"]]
    if not all(sig in urls for sig in bag["models"]) or not all(f.is_file() for f in files):
        return None
    return {"bag": bag, "files": files, "where": f"torch hub cache ({folder})"}


def find_weights(name: str = "htdemucs", repo=None):
    """Where the weights of model ``name`` are on this machine, without using the network.

    Parameters
    ----------
    name : str
        A demucs model name (``htdemucs``, ``htdemucs_ft``...) or a single signature.
    repo : str or Path, optional
        A local repository to look in (and only there).

    Returns
    -------
    dict or None
        ``None`` if nowhere, else ``bag`` (the model list: ``models``, optional ``weights``
        and ``segment``), ``files`` (one path per model) and ``where`` (a description).

    Raises
    ------
    DataError
        ``repo`` is not a folder.
    ModelLoadingError
        ``repo`` does not hold the model, or its description is broken.
    """
    if repo is not None:
        repo = Path(repo).expanduser()
        if not repo.is_dir():
            raise DataError(f"repo={str(repo)!r} is not a folder. Give the folder that holds "
                            f"{name}.yaml and its checkpoint (made by `mssedu download {name} --to DIR`).")
        found = local_weights(name, repo)
        if found is None:
            raise ModelLoadingError(f"{repo} holds no {name}.yaml and no checkpoint named "
                                    f"{name}-*.th or .safetensors. Make one with `mssedu download "
                                    f"{name} --to {repo}` on a machine with internet.")
        return found
    looks = [lambda: local_weights(name, models_folder())]
    if installed("pretrained"):   # the two caches' entries are named by demucs (the extra mssedu[pretrained])
        looks += [lambda: _hf_cached_weights(name), lambda: _torch_hub_cached_weights(name)]
    for look in looks:
        found = look()
        if found is not None:
            return found
    return None
