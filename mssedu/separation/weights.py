"""Demucs weights: find them on disk, download and verify them, load them safely.

``load_demucs_model("htdemucs")`` looks, in this order and without any network, in

1. ``repo=DIR`` if given (a *local repository*: ``htdemucs.yaml`` listing the model
   signatures, plus ``<signature>-<sha256 prefix>.th`` (demucs' format) or
   ``.safetensors`` files; the suffix after the dash is checked against the file's SHA-256);
2. mssedu's model folder :func:`models_folder` (what ``mssedu download`` fills; same layout);
3. the Hugging Face cache (what demucs >= 4.1 downloads: repo ``adefossez/HTDemucs``);
4. the torch hub cache (what older demucs downloaded from Meta's server).

Only when none has them does it go to the network: first the Hugging Face hub
(``HF_ENDPOINT``, default huggingface.co), then Meta's download server (``MSSEDU_DEMUCS_URL``,
default demucs' own root :data:`META_URL`; a mirror there serves the same tree: ``files.txt``
in demucs' format, listing ``<signature>-<sha256 prefix>.th`` packages under its ``root:``
folders). Both hosts are probed first (:func:`mssedu.network.reachable`), so an offline machine
gets a clear :class:`~mssedu.errors.NetworkError` at once instead of after the hub's
retries. ``HF_HUB_OFFLINE=1`` or ``MSSEDU_OFFLINE=1`` skip the network.

Loading is safe: ``.safetensors`` files hold only tensors (their metadata names the model
class, which must be one of demucs' three model classes); ``.th`` files are demucs "packages"
(a dict with the model *class*, its constructor arguments, which include a
``fractions.Fraction`` segment length, and the state dict), read with
``torch.load(weights_only=True)`` inside :func:`torch.serialization.safe_globals` that allows
exactly those demucs classes and ``Fraction``: nothing else in the file can be executed.

Examples
--------
>>> from mssedu.separation.weights import random_htdemucs
>>> model = random_htdemucs(channels=8, t_layers=1)      # real layout, toy width, no download
>>> model.sources
['drums', 'bass', 'other', 'vocals']
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
from fractions import Fraction
from pathlib import Path

import torch

from ..atomic import writable_folder
from ..config import cache_dir
from ..errors import DataError, ModelLoadingError, NetworkError, ParameterError
from ..network import offline_requested, reachable

__all__ = ["import_demucs", "HTDEMUCS_CONFIG", "HDEMUCS_CONFIG", "DEMUCS_MODELS", "QUANTISED_MODELS",
           "random_demucs", "RANDOM_MODEL", "HF_NAMESPACE", "META_URL", "MODEL_LABELS", "models_folder",
           "random_htdemucs", "find_weights", "download", "load_demucs_model"]

#: Constructor arguments of the released ``htdemucs`` model (signature 955717e8): the
#: demucs ``htdemucs`` defaults with the overrides of its training grid (dconv_mode 3,
#: 5 Transformer layers, a 512-channel bottom layer) and the 7.8 s training segment.
#: 41,984,456 parameters.
HTDEMUCS_CONFIG = dict(sources=["drums", "bass", "other", "vocals"], audio_channels=2,
                       samplerate=44100, segment=Fraction(39, 5), dconv_mode=3, depth=4,
                       t_dropout=0.02, t_layers=5, bottom_channels=512)

#: Constructor arguments of the Hybrid Demucs (v3) models ``hdemucs_mmi`` and ``mdx_extra``:
#: the ``demucs.hdemucs.HDemucs`` defaults, which are demucs' ``hdemucs`` training
#: configuration (the same values as Music-Source-Separation-Training's
#: ``config_musdb18_demucs3_mmi.yaml``; demucs' ``grids/mmi.py`` trains ``hdemucs_mmi``
#: with ``model=hdemucs`` and no architecture override). 83,637,832 parameters: the released
#: half-precision packages are 167.4 MB (2 bytes a parameter plus the pickled arguments).
HDEMUCS_CONFIG = dict(sources=["drums", "bass", "other", "vocals"], audio_channels=2,
                      samplerate=44100, channels=48, depth=6, nfft=4096, cac=True,
                      dconv_mode=1, segment=40)

#: Every released demucs model: its label and the architecture of each model of its bag
#: (``(class name, constructor arguments)``). The bag's signatures, weights and segment
#: come from demucs' own ``remote/<name>.yaml``. Where the arguments come from:
#: ``htdemucs`` -- :data:`HTDEMUCS_CONFIG`; ``htdemucs_ft`` -- four fine-tuned copies of it
#: (one per source; the yaml's one-hot weights pick each copy's source); ``htdemucs_6s`` --
#: the same architecture with six sources (``guitar``, ``piano`` added, the order of
#: demucs' 6-source dataset); ``hdemucs_mmi`` -- :data:`HDEMUCS_CONFIG`; ``mdx_extra`` --
#: four Hybrid Demucs (MDX 2021 track B, ``grids/mdx_extra.py``) whose file sizes (167,399,275
#: and 167,391,595 bytes) differ by exactly the 3,848 half-precision parameters that
#: ``cac=False`` removes (the first encoder and last decoder convolutions see real
#: spectrograms instead of complex-as-channels): models 1 and 4 ``cac=True``, 2 and 3
#: ``cac=False`` -- an inference from the published sizes, stated as such.
DEMUCS_MODELS = {
    "htdemucs": ("HT-Demucs", [("HTDemucs", HTDEMUCS_CONFIG)]),
    "htdemucs_ft": ("HT-Demucs (fine-tuned, bag of 4)", [("HTDemucs", HTDEMUCS_CONFIG)] * 4),
    "htdemucs_6s": ("HT-Demucs (6 stems)", [("HTDemucs", {**HTDEMUCS_CONFIG, "sources": [
        "drums", "bass", "other", "vocals", "guitar", "piano"]})]),
    "hdemucs_mmi": ("Hybrid Demucs v3 (MMI)", [("HDemucs", HDEMUCS_CONFIG)]),
    "mdx_extra": ("Hybrid Demucs (MDX extra, bag of 4)", [
        ("HDemucs", HDEMUCS_CONFIG), ("HDemucs", {**HDEMUCS_CONFIG, "cac": False}),
        ("HDemucs", {**HDEMUCS_CONFIG, "cac": False}), ("HDemucs", HDEMUCS_CONFIG)]),
}

#: diffq-quantised releases, which mssedu refuses (with the plain model to use instead).
QUANTISED_MODELS = {"mdx_q": "mdx_extra", "mdx_extra_q": "mdx_extra"}

#: Name of the random-weight HT-Demucs (real architecture, untrained): for tests and for
#: showing the mechanics when the real weights are not on the machine. Its stems are noise.
RANDOM_MODEL = "htdemucs-random"

#: Hugging Face namespace of the demucs models (``adefossez/HTDemucs`` for ``htdemucs``).
HF_NAMESPACE = "adefossez"

#: Table labels of the demucs models.
MODEL_LABELS = {**{name: label for name, (label, _) in DEMUCS_MODELS.items()},
                **{f"{name}-random": f"{label} (random weights)" for name, (label, _) in DEMUCS_MODELS.items()}}

#: Root of Meta's download server for demucs' ``.th`` packages (demucs'
#: ``pretrained.ROOT_URL``). The environment variable ``MSSEDU_DEMUCS_URL`` (read at each
#: download) replaces it, e.g. with a mirror on a local network.
META_URL = "https://dl.fbaipublicfiles.com/demucs/"


def import_demucs():
    """Import demucs' model code (it needs no torchaudio), or say how to install it.

    Returns
    -------
    module
        The ``demucs`` package, with ``apply``, ``htdemucs`` and ``pretrained`` loaded.

    Raises
    ------
    ModelLoadingError
        demucs is not installed or does not import.
    """
    try:
        import demucs.apply
        import demucs.htdemucs  # noqa: F401
        import demucs.pretrained  # noqa: F401
    except ImportError as err:
        raise ModelLoadingError(f"The demucs package could not be imported ({err}). Install it "
                                "with `pip install demucs==4.1.0` (mssedu needs only its model "
                                "code, not torchaudio).") from err
    return demucs


def _model_classes() -> dict:
    """The classes a demucs checkpoint may name (and nothing else)."""
    import_demucs()
    from demucs.demucs import Demucs
    from demucs.hdemucs import HDemucs
    from demucs.htdemucs import HTDemucs

    return {f"{c.__module__}.{c.__name__}": c for c in (Demucs, HDemucs, HTDemucs)}


def random_htdemucs(seed: int = 0, **overrides):
    """The real HT-Demucs architecture (:data:`HTDEMUCS_CONFIG`) with random weights.

    For tests, benchmarks and demos without the trained weights: same shapes, same
    segmenting, same cost, meaningless output.

    Parameters
    ----------
    seed : int
        Seeds the initial weights (the global torch generator is left as it was).
    **overrides
        Constructor arguments to change (e.g. ``channels=8, t_layers=1`` for a fast toy).

    Returns
    -------
    demucs.htdemucs.HTDemucs
        In eval mode.
    """
    demucs = import_demucs()
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = demucs.htdemucs.HTDemucs(**{**HTDEMUCS_CONFIG, **overrides})
    finally:
        torch.random.set_rng_state(state)
    return model.eval()


def random_demucs(name: str = "htdemucs", seed: int = 0):
    """Demucs model ``name`` (any of :data:`DEMUCS_MODELS`) in its real architecture and bag,
    with random weights: for tests and demos without the trained weights.

    Parameters
    ----------
    name : str
        ``htdemucs``, ``htdemucs_ft``, ``htdemucs_6s``, ``hdemucs_mmi`` or ``mdx_extra``.
    seed : int
        Seeds the weights (model ``i`` of a bag with ``seed + i``; the global torch
        generator is left as it was).

    Returns
    -------
    demucs.apply.BagOfModels
        In eval mode, with the bag weights and segment of demucs' ``remote/<name>.yaml``.

    Raises
    ------
    ParameterError
        Not a name of :data:`DEMUCS_MODELS`.
    """
    if name not in DEMUCS_MODELS:
        raise ParameterError(f"No random version of {name!r}; choose one of {sorted(DEMUCS_MODELS)}.")
    demucs = import_demucs()
    classes = {c.__name__: c for c in _model_classes().values()}
    state = torch.random.get_rng_state()
    models = []
    try:
        for i, (klass, kwargs) in enumerate(DEMUCS_MODELS[name][1]):
            torch.manual_seed(seed + i)
            models.append(classes[klass](**kwargs))
    finally:
        torch.random.set_rng_state(state)
    bag = _bag_from_yaml(_remote_yaml(name))
    return demucs.apply.BagOfModels(models, bag.get("weights"), bag.get("segment")).eval()


def _refuse_quantised(name: str) -> None:
    if name in QUANTISED_MODELS:
        raise ModelLoadingError(f"{name!r} is a diffq-quantised model, which mssedu does not load "
                                "(its weights need the diffq package to unpack, and give the same "
                                f"separation as the plain model). Use {QUANTISED_MODELS[name]!r}: "
                                f"`mssedu download {QUANTISED_MODELS[name]}`.")


def models_folder() -> Path:
    """mssedu's folder for downloaded separator weights.

    Returns
    -------
    Path
        ``cache_dir("models")``.
    """
    return Path(cache_dir("models"))


def _sha256(path, n: int | None = None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:n] if n else h.hexdigest()


def _bag_from_yaml(path) -> dict:
    import yaml

    try:
        with open(path) as f:
            bag = yaml.safe_load(f)
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ModelLoadingError(f"{path} is not valid YAML ({str(err).splitlines()[0][:160]}). "
                                "It should list the model signatures, like demucs' htdemucs.yaml "
                                "(`models: [955717e8]`); download it again.") from err
    except OSError as err:
        raise ModelLoadingError(f"Cannot read {path}: {err.strerror or err}.") from err
    if not isinstance(bag, dict) or not isinstance(bag.get("models"), list) or not bag["models"]:
        raise ModelLoadingError(f"{path} is not a demucs model list (it needs a 'models:' list "
                                "of signatures, like demucs' htdemucs.yaml).")
    return bag


def _remote_yaml(name: str):
    """demucs' shipped description of a named model (signatures, weights, segment)."""
    path = Path(import_demucs().pretrained.REMOTE_ROOT) / f"{name}.yaml"
    return path if path.exists() else None


def _meta_root() -> str:
    """Meta's server, or the mirror ``MSSEDU_DEMUCS_URL`` names (read at each call)."""
    return (os.environ.get("MSSEDU_DEMUCS_URL", "").strip() or META_URL).rstrip("/") + "/"


def _meta_urls(listing: str | None = None, root: str = META_URL) -> dict:
    """Signature -> URL of its ``.th`` package: a ``files.txt`` in demucs' format (``#``
    comments, ``root: <folder>/`` lines, then ``<sig>-<sha256 prefix>.th`` names), by default
    the one demucs ships, read relative to ``root``."""
    if listing is None:
        listing = (Path(import_demucs().pretrained.REMOTE_ROOT) / "files.txt").read_text()
    folder, urls = "", {}
    for line in (raw.strip() for raw in listing.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("root:"):
            folder = line.split(":", 1)[1].strip()
        else:
            urls.setdefault(line.split("-", 1)[0], root + folder + line)
    return urls


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


def _hf_repo(name: str) -> str:
    from demucs.hf import hf_repo_name

    return f"{HF_NAMESPACE}/{hf_repo_name(name)}"


def _file_for_signature(folder: Path, sig: str):
    """``<sig>-<sha>.th|.safetensors`` or ``<sig>.th|.safetensors`` in ``folder``."""
    found = []
    for suffix in (".safetensors", ".th"):
        found += sorted(folder.glob(f"{sig}-*{suffix}")) + sorted(folder.glob(f"{sig}{suffix}"))
    found = [p for p in found if p.stem == sig or p.stem.split("-", 1)[0] == sig]
    return found[0] if found else None


def _local_weights(name: str, folder: Path):
    folder = Path(folder).expanduser()
    yaml_path = folder / f"{name}.yaml"
    if yaml_path.exists():
        bag = _bag_from_yaml(yaml_path)
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
    repo = _hf_repo(name)
    y = try_to_load_from_cache(repo, f"{name}.yaml")
    if not isinstance(y, str):
        return None
    bag = _bag_from_yaml(y)
    files = [try_to_load_from_cache(repo, f"{sig}.safetensors") for sig in bag["models"]]
    if not all(isinstance(f, str) for f in files):
        return None
    return {"bag": bag, "files": [Path(f) for f in files], "where": f"Hugging Face cache ({repo})"}


def _torch_hub_cached_weights(name: str):
    yaml_path = _remote_yaml(name)
    if yaml_path is None:
        return None
    bag = _bag_from_yaml(yaml_path)
    urls = _meta_urls()
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
        found = _local_weights(name, repo)
        if found is None:
            raise ModelLoadingError(f"{repo} holds no {name}.yaml and no checkpoint named "
                                    f"{name}-*.th or .safetensors. Make one with `mssedu download "
                                    f"{name} --to {repo}` on a machine with internet.")
        return found
    for look in (lambda: _local_weights(name, models_folder()), lambda: _hf_cached_weights(name),
                 lambda: _torch_hub_cached_weights(name)):
        found = look()
        if found is not None:
            return found
    return None


def _check_suffix(path: Path) -> None:
    """demucs' convention: ``<sig>-<hex>`` names a file whose SHA-256 starts with ``<hex>``."""
    stem = path.stem
    if "-" not in stem:
        return
    expected = stem.rsplit("-", 1)[1]
    if not all(c in "0123456789abcdef" for c in expected.lower()):
        return
    actual = _sha256(path, len(expected))
    if actual != expected:
        raise ModelLoadingError(f"{path} is corrupt or was changed: its SHA-256 starts with "
                                f"{actual}, but its name says {expected}. Delete it and download "
                                "it again (`mssedu download`).")


def _load_model_file(path):
    """Load one demucs model from ``.th`` or ``.safetensors``, safely (see module docstring)."""
    demucs = import_demucs()
    path = Path(path)
    _check_suffix(path)
    classes = _model_classes()
    if path.suffix == ".safetensors":
        from demucs.hf import load_safetensors_model
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="pt") as f:
                meta = f.metadata() or {}
        except Exception as err:
            raise ModelLoadingError(f"{path} is not a readable safetensors file ({err}). Delete "
                                    "it and download it again.") from err
        klass = meta.get("klass")
        if klass not in classes:
            raise ModelLoadingError(f"{path} names model class {klass!r}; only {sorted(classes)} "
                                    "are accepted (a checkpoint cannot make mssedu import other code).")
        if '"_class"' in meta.get("structure", ""):
            raise ModelLoadingError(f"{path} is a quantised (diffq) model, which mssedu does not "
                                    "load; use a non-quantised model such as htdemucs.")
        json.loads(meta.get("structure", "{}") or "{}")  # malformed metadata fails here, clearly
        return load_safetensors_model(path)
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
    if not isinstance(package, dict) or package.get("klass") not in classes.values():
        raise ModelLoadingError(f"{path} is not a demucs model package (a dict with 'klass', "
                                "'args', 'kwargs' and 'state').")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # demucs warns about dropped training-only arguments
        return demucs.states.load_model(package)


def _bag(found):
    demucs = import_demucs()
    models = [_load_model_file(f) for f in found["files"]]
    bag = found["bag"]
    return demucs.apply.BagOfModels(models, bag.get("weights"), bag.get("segment")).eval()


def _offline_error(name: str) -> NetworkError:
    hub, meta = (_host_port(url)[0] for url in (_hf_endpoint(), _meta_root()))
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
    if not dst.exists() or _sha256(dst) != _sha256(src):
        tmp = dst.with_name(f".{dst.name}.part")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    return dst


def _hf_endpoint() -> str:
    """The hub to download from: ``HF_ENDPOINT`` (read at each call) or huggingface.co."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def _host_port(url: str):
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or "", parts.port or (80 if parts.scheme == "http" else 443)


def _fetch_hf(name: str, dest: Path, progress: bool) -> list:
    """Download through the hub into a staging folder inside ``dest``, check every file's
    SHA-256 against the hub's ETag (for large files the hub's ETag *is* their SHA-256), then
    copy: a corrupted or cut transfer leaves nothing behind."""
    from huggingface_hub import hf_hub_download

    repo, endpoint = _hf_repo(name), _hf_endpoint()
    staging = Path(tempfile.mkdtemp(prefix=".hub-", dir=dest))

    def fetch(filename):
        path = Path(hf_hub_download(repo, filename, cache_dir=staging, endpoint=endpoint))
        etag = path.resolve().name         # the hub cache names each blob by its ETag
        if re.fullmatch(r"[0-9a-f]{64}", etag) and _sha256(path) != etag:
            raise ModelLoadingError(f"{filename} from {endpoint}/{repo} is corrupt: its SHA-256 "
                                    f"is {_sha256(path)[:16]}..., the hub says {etag[:16]}.... "
                                    "Nothing was kept; run the download again.")
        return path

    try:
        y = fetch(f"{name}.yaml")
        bag = _bag_from_yaml(y)
        weights = [(sig, fetch(f"{sig}.safetensors")) for sig in bag["models"]]
        written = [_copy(f, dest / f"{sig}-{_sha256(f, 8)}.safetensors") for sig, f in weights]
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
    y = _remote_yaml(name)
    if y is None:
        raise ParameterError(f"Unknown demucs model {name!r}: demucs lists no {name}.yaml.")
    bag = _bag_from_yaml(y)
    root = _meta_root()
    urls = _meta_urls(_meta_listing(root), root)

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
                _check_suffix(target)
                continue
            part = staging / target.name
            try:
                torch.hub.download_url_to_file(url, str(part), progress=progress)
            except urllib.error.HTTPError as err:
                if err.code == 404:
                    raise does_not_exist(f"{url} answered 404 (not found)") from err
                raise
            expected, actual = target.stem.rsplit("-", 1)[1], _sha256(part)
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


def download(name: str = "htdemucs", to=None, progress: bool = True) -> Path:
    """Fetch the weights of demucs model ``name`` and check them, for offline use.

    Tries the Hugging Face hub (``adefossez/HTDemucs``; ``HF_ENDPOINT``) and falls back to
    Meta's server (:data:`META_URL`, or the mirror ``MSSEDU_DEMUCS_URL`` names).
    The files land in ``to`` as a local repository: ``<name>.yaml`` and
    ``<signature>-<sha256 prefix>.safetensors`` (or ``.th``), which
    ``load_separator(name, repo=to)`` (and ``demucs -n name --repo to`` for ``.th``)
    read. The checksums are then verified and the model loaded once.

    Parameters
    ----------
    name : str
        A demucs model name.
    to : str or Path, optional
        Target folder (default :func:`models_folder`).
    progress : bool
        Show download progress.

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
        A file failed its checksum (nothing is kept), or the servers answered 404 (the model
        does not exist there).
    NetworkError
        Neither host can be reached, or both downloads failed.
    """
    _refuse_quantised(name)
    import_demucs()
    if name not in DEMUCS_MODELS and _remote_yaml(name) is None and name not in _meta_urls():
        raise ParameterError(f"Unknown model {name!r}: no demucs model of that name exists. "
                             f"Choose one of {', '.join(DEMUCS_MODELS)}.")
    dest = writable_folder(to if to is not None else models_folder(), "Choose another folder with --to.")
    import_demucs()
    errors, missing = [], None
    done = False
    if reachable(*_host_port(_hf_endpoint())):
        try:
            _fetch_hf(name, dest, progress)
            done = True
        except ModelLoadingError:
            raise                       # a corrupt file: refused, never replaced by a fallback
        except Exception as err:  # fall back to Meta's server, as demucs does
            if _not_found(err):
                missing = err
            errors.append(f"Hugging Face hub: {type(err).__name__}: {str(err)[:200]}")
    if not done and reachable(*_host_port(_meta_root())):
        hub_missing = ""
        if missing is not None:
            hub_missing = f"{_hf_endpoint()} answered 404 for {_hf_repo(name)}"
        try:
            _fetch_meta(name, dest, progress, hub_missing)
            done = True
        except (ModelLoadingError, ParameterError):
            raise                       # corrupt (refused), or no such model there either
        except Exception as err:
            errors.append(f"{_meta_root()}: {type(err).__name__}: {str(err)[:200]}")
    if not done:
        if missing is not None:
            what = ("has no such repository" if type(missing).__name__ == "RepositoryNotFoundError"
                    else "lacks one of its files")
            raise ModelLoadingError(f"Model {name!r} does not exist on {_hf_endpoint()}: the hub "
                                    f"answered 404 (not found): {_hf_repo(name)} {what} "
                                    f"({getattr(getattr(missing, 'response', None), 'url', '?')}). "
                                    f"Check the name (known: {', '.join(DEMUCS_MODELS)}) and "
                                    "HF_ENDPOINT.") from missing
        if not errors:
            raise _offline_error(name)
        raise NetworkError(f"Could not download {name!r}: " + "; ".join(errors))
    _bag(_local_weights(name, dest))  # verifies checksums and that every file loads
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
    _refuse_quantised(name)
    import_demucs()
    found = find_weights(name, repo)
    if found is None:
        if _remote_yaml(name) is None and "/" not in name:
            raise ParameterError(f"Unknown model {name!r}: no such model exists. Use a demucs "
                                 f"model name ({', '.join(DEMUCS_MODELS)}), one of them with "
                                 "'-random' (random weights), 'oracle-irm', or the path of a "
                                 "mini U-Net or band-split checkpoint.")
        if offline_requested():
            raise _offline_error(name)
        download(name)
        found = find_weights(name)
    return _bag(found)
