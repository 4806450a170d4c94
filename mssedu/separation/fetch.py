"""Downloading demucs weights, checked, staged, whole or not at all.

Only when :func:`mssedu.separation.repo.find_weights` finds nothing does mssedu go to the
network: first the Hugging Face hub (``HF_ENDPOINT``, default huggingface.co, through
``huggingface_hub``), then Meta's download server (``MSSEDU_DEMUCS_URL``, default demucs'
own root :data:`~mssedu.separation.demucs_models.META_URL`, through ``torch.hub``; a mirror
there serves the same tree: ``files.txt`` in demucs' format, listing
``<signature>-<sha256 prefix>.th`` packages under its ``root:`` folders). Both hosts are
probed first (:func:`mssedu.network.reachable`), so an offline machine gets a clear
:class:`~mssedu.errors.NetworkError` at once instead of after the hub's retries.
``HF_HUB_OFFLINE=1`` or ``MSSEDU_OFFLINE=1`` skip the network.

Every file lands in a staging folder first and is checked (the hub's ETag is a large
file's SHA-256; a ``.th`` name carries a SHA-256 prefix); the model list (yaml) is written
last, so a cut or corrupt transfer leaves nothing that looks complete.

Examples
--------
>>> host_port("http://127.0.0.1:8000/demucs/")
('127.0.0.1', 8000)
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import torch

from ..atomic import writable_folder
from ..errors import ModelLoadingError, NetworkError, ParameterError
from ..network import reachable
from .demucs_models import (DEMUCS_MODELS, META_URL, bag_from_yaml, hf_repo, import_demucs, meta_urls,
                            refuse_quantised, remote_yaml)
from .repo import check_suffix, models_folder, sha256

__all__ = ["fetch_weights", "offline_error", "hf_endpoint", "meta_root", "host_port"]


def meta_root() -> str:
    """Meta's server, or the mirror ``MSSEDU_DEMUCS_URL`` names (read at each call).

    Returns
    -------
    str
        The root URL, ending in ``/``.
    """
    return (os.environ.get("MSSEDU_DEMUCS_URL", "").strip() or META_URL).rstrip("/") + "/"


def _meta_listing(root: str) -> str | None:
    """A mirror's own ``files.txt`` (its packages, its checksums), or ``None`` for demucs'
    list: at Meta's root, or at a mirror that has none (a plain copy of Meta's tree)."""
    if root == META_URL:
        return None
    try:
        with urllib.request.urlopen(root + "files.txt", timeout=30) as answer:
            return answer.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return None
        raise


def hf_endpoint() -> str:
    """The hub to download from: ``HF_ENDPOINT`` (read at each call) or huggingface.co.

    Returns
    -------
    str
        The endpoint URL, without a trailing ``/``.
    """
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def host_port(url: str):
    """The host and port a URL connects to (the scheme's default port when none is given).

    Parameters
    ----------
    url : str
        An http(s) URL.

    Returns
    -------
    tuple of (str, int)
        Host and port, for :func:`mssedu.network.reachable`.
    """
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or "", parts.port or (80 if parts.scheme == "http" else 443)


def offline_error(name: str) -> NetworkError:
    """The error for weights that are nowhere on this machine and cannot be downloaded.

    Parameters
    ----------
    name : str
        The model.

    Returns
    -------
    NetworkError
        Its message lists where mssedu looked and the two ways to get the weights here.
    """
    hub, meta = (host_port(url)[0] for url in (hf_endpoint(), meta_root()))
    return NetworkError(
        f"The weights of model {name!r} are not on this machine and neither {hub} "
        f"nor {meta} can be reached (no internet?). mssedu looked in its "
        f"model folder {models_folder()}, the Hugging Face cache and the torch hub cache "
        f"({Path(torch.hub.get_dir()) / 'checkpoints'}). Two ways to fix it: (1) on a machine "
        f"with internet run `mssedu download {name}` (fills {models_folder()}; copy that "
        f"folder here), or `mssedu download {name} --to DIR` and copy DIR here; (2) pass the "
        f"folder holding {name}.yaml and its checkpoint: load_separator({name!r}, repo=DIR) "
        f"or `mssedu separate ... --repo DIR`.")


def _copy(src: Path, dst: Path) -> Path:
    if not dst.exists() or sha256(dst) != sha256(src):
        tmp = dst.with_name(f".{dst.name}.part")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    return dst


def _fetch_hf(name: str, dest: Path, progress: bool) -> list:
    """Download through the hub into a staging folder inside ``dest``, check every file's
    SHA-256 against the hub's ETag (for large files the hub's ETag *is* their SHA-256), then
    copy: a corrupted or cut transfer leaves nothing behind."""
    from huggingface_hub import hf_hub_download

    repo, endpoint = hf_repo(name), hf_endpoint()
    staging = Path(tempfile.mkdtemp(prefix=".hub-", dir=dest))

    def fetch(filename):
        path = Path(hf_hub_download(repo, filename, cache_dir=staging, endpoint=endpoint))
        etag = path.resolve().name         # the hub cache names each blob by its ETag
        if re.fullmatch(r"[0-9a-f]{64}", etag) and sha256(path) != etag:
            raise ModelLoadingError(f"{filename} from {endpoint}/{repo} is corrupt: its SHA-256 "
                                    f"is {sha256(path)[:16]}..., the hub says {etag[:16]}.... "
                                    "Nothing was kept; run the download again.")
        return path

    try:
        y = fetch(f"{name}.yaml")
        bag = bag_from_yaml(y)
        weights = [(sig, fetch(f"{sig}.safetensors")) for sig in bag["models"]]
        written = [_copy(f, dest / f"{sig}-{sha256(f, 8)}.safetensors") for sig, f in weights]
        written.append(_copy(y, dest / f"{name}.yaml"))     # last: it says the model is complete
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def _not_found(err) -> bool:
    """Whether a hub error means "no such repository or file" (HTTP 404)."""
    response = getattr(err, "response", None)
    return type(err).__name__ in ("RepositoryNotFoundError", "RemoteEntryNotFoundError",
                                  "EntryNotFoundError") or getattr(response, "status_code", None) == 404


def _fetch_meta(name: str, dest: Path, progress: bool, hub_missing: str = "") -> list:
    """Download the ``.th`` packages of ``name`` from Meta's server (or ``MSSEDU_DEMUCS_URL``)
    into a staging folder inside ``dest``, check each against the SHA-256 prefix in its name,
    then move them in, the yaml last: a corrupt or missing file leaves nothing behind.
    ``hub_missing`` says what the hub answered, for the message when this server has no such
    model either."""
    y = remote_yaml(name)
    if y is None:
        raise ParameterError(f"Unknown demucs model {name!r}: demucs lists no {name}.yaml.")
    bag = bag_from_yaml(y)
    root = meta_root()
    urls = meta_urls(_meta_listing(root), root)

    def does_not_exist(what):
        also = f"; the hub: {hub_missing}" if hub_missing else ""
        return ModelLoadingError(f"Model {name!r} does not exist on {root}: {what}{also}. Check the "
                                 f"name (known: {', '.join(DEMUCS_MODELS)}) and MSSEDU_DEMUCS_URL.")

    staging = Path(tempfile.mkdtemp(prefix=".meta-", dir=dest))
    try:
        fetched = []
        for sig in bag["models"]:
            if sig not in urls:
                raise does_not_exist(f"its files.txt lists no package for signature {sig}")
            url = urls[sig]
            target = dest / os.path.basename(url)
            if target.exists():
                check_suffix(target)
                continue
            part = staging / target.name
            try:
                torch.hub.download_url_to_file(url, str(part), progress=progress)
            except urllib.error.HTTPError as err:
                if err.code == 404:
                    raise does_not_exist(f"{url} answered 404 (not found)") from err
                raise
            expected, actual = target.stem.rsplit("-", 1)[1], sha256(part)
            if not actual.startswith(expected):
                raise ModelLoadingError(f"{url} is corrupt: its SHA-256 starts with {actual[:len(expected)]}, "
                                        f"its name says {expected}. Nothing was kept; run the download again.")
            fetched.append((part, target))
        for part, target in fetched:       # every package checked: move them in
            os.replace(part, target)
        written = [target for _, target in fetched]
        written.append(_copy(y, dest / f"{name}.yaml"))     # last: it says the model is complete
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def fetch_weights(name: str = "htdemucs", to=None, progress: bool = True) -> Path:
    """Fetch the weights of demucs model ``name`` into ``to`` and check their checksums.

    The files are not loaded here: :func:`mssedu.separation.weights.download` fetches with
    this function, then loads every file once, and documents the layout and the errors.

    Parameters
    ----------
    name : str
        A demucs model name.
    to : str or Path, optional
        Target folder (default :func:`~mssedu.separation.repo.models_folder`).
    progress : bool
        Show download progress.

    Returns
    -------
    Path
        The folder.
    """
    refuse_quantised(name)
    import_demucs()
    if name not in DEMUCS_MODELS and remote_yaml(name) is None and name not in meta_urls():
        raise ParameterError(f"Unknown model {name!r}: no demucs model of that name exists. "
                             f"Choose one of {', '.join(DEMUCS_MODELS)}.")
    dest = writable_folder(to if to is not None else models_folder(), "Choose another folder with --to.")
    import_demucs()
    errors, missing = [], None
    done = False
    if reachable(*host_port(hf_endpoint())):
        try:
            _fetch_hf(name, dest, progress)
            done = True
        except ModelLoadingError:
            raise                       # a corrupt file: refused, never replaced by a fallback
        except Exception as err:  # fall back to Meta's server, as demucs does
            if _not_found(err):
                missing = err
            errors.append(f"Hugging Face hub: {type(err).__name__}: {str(err)[:200]}")
    if not done and reachable(*host_port(meta_root())):
        hub_missing = ""
        if missing is not None:
            hub_missing = f"{hf_endpoint()} answered 404 for {hf_repo(name)}"
        try:
            _fetch_meta(name, dest, progress, hub_missing)
            done = True
        except (ModelLoadingError, ParameterError):
            raise                       # corrupt (refused), or no such model there either
        except Exception as err:
            errors.append(f"{meta_root()}: {type(err).__name__}: {str(err)[:200]}")
    if not done:
        if missing is not None:
            what = ("has no such repository" if type(missing).__name__ == "RepositoryNotFoundError"
                    else "lacks one of its files")
            raise ModelLoadingError(f"Model {name!r} does not exist on {hf_endpoint()}: the hub "
                                    f"answered 404 (not found): {hf_repo(name)} {what} "
                                    f"({getattr(getattr(missing, 'response', None), 'url', '?')}). "
                                    f"Check the name (known: {', '.join(DEMUCS_MODELS)}) and "
                                    "HF_ENDPOINT.") from missing
        if not errors:
            raise offline_error(name)
        raise NetworkError(f"Could not download {name!r}: " + "; ".join(errors))
    return dest
