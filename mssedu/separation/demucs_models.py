"""The demucs models mssedu knows: names, architectures, labels, and their random stand-ins.

Every released demucs model (:data:`DEMUCS_MODELS`) with the constructor arguments of each
model of its bag, so that ``<name>-random`` builds the real architecture with random weights
(:func:`random_demucs`) for tests and demos on a machine without the trained weights.
demucs' own ``remote/<name>.yaml`` (shipped with the package) gives each bag's signatures,
weights and segment (:func:`remote_yaml`, :func:`bag_from_yaml`); its ``files.txt`` the
``.th`` packages on Meta's server (:func:`meta_urls`).

Examples
--------
>>> model = random_htdemucs(channels=8, t_layers=1)      # real layout, toy width, no download
>>> model.sources
['drums', 'bass', 'other', 'vocals']
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import torch

from ..errors import ModelLoadingError, ParameterError
from ..extras import missing

__all__ = ["import_demucs", "HTDEMUCS_CONFIG", "HDEMUCS_CONFIG", "DEMUCS_MODELS", "QUANTISED_MODELS",
           "RANDOM_MODEL", "HF_NAMESPACE", "META_URL", "MODEL_LABELS", "random_htdemucs",
           "random_demucs", "model_classes", "refuse_quantised", "bag_from_yaml", "remote_yaml",
           "hf_repo", "meta_urls"]

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
        raise ModelLoadingError(f"The demucs package could not be imported ({err}). "
                                + missing("pretrained")) from err
    return demucs


def model_classes() -> dict:
    """The classes a demucs checkpoint may name (and nothing else).

    Returns
    -------
    dict
        ``"demucs.htdemucs.HTDemucs"`` (etc.) -> the class, for demucs' three model classes.
    """
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
    classes = {c.__name__: c for c in model_classes().values()}
    state = torch.random.get_rng_state()
    models = []
    try:
        for i, (klass, kwargs) in enumerate(DEMUCS_MODELS[name][1]):
            torch.manual_seed(seed + i)
            models.append(classes[klass](**kwargs))
    finally:
        torch.random.set_rng_state(state)
    bag = bag_from_yaml(remote_yaml(name))
    return demucs.apply.BagOfModels(models, bag.get("weights"), bag.get("segment")).eval()


def refuse_quantised(name: str) -> None:
    """Refuse a diffq-quantised model by name, naming the plain model to use instead.

    Parameters
    ----------
    name : str
        A demucs model name.

    Raises
    ------
    ModelLoadingError
        ``name`` is one of :data:`QUANTISED_MODELS`.
    """
    if name in QUANTISED_MODELS:
        raise ModelLoadingError(f"{name!r} is a diffq-quantised model, which mssedu does not load "
                                "(its weights need the diffq package to unpack, and give the same "
                                f"separation as the plain model). Use {QUANTISED_MODELS[name]!r}: "
                                f"`mssedu download {QUANTISED_MODELS[name]}`.")


def bag_from_yaml(path) -> dict:
    """Read a demucs model list (``models:`` signatures, optional ``weights`` and ``segment``).

    Parameters
    ----------
    path : str or Path
        A yaml file like demucs' ``remote/htdemucs.yaml``.

    Returns
    -------
    dict
        The parsed list, with a non-empty ``models``.

    Raises
    ------
    ModelLoadingError
        Unreadable, not YAML, or no ``models:`` list.
    """
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


def remote_yaml(name: str):
    """demucs' shipped description of a named model (signatures, weights, segment).

    Parameters
    ----------
    name : str
        A demucs model name.

    Returns
    -------
    Path or None
        ``demucs/remote/<name>.yaml``, or ``None`` when demucs knows no such model.
    """
    path = Path(import_demucs().pretrained.REMOTE_ROOT) / f"{name}.yaml"
    return path if path.exists() else None


def hf_repo(name: str) -> str:
    """The Hugging Face repository of a demucs model (demucs' own naming).

    Parameters
    ----------
    name : str
        A demucs model name.

    Returns
    -------
    str
        E.g. ``"adefossez/HTDemucs"`` for ``htdemucs``.
    """
    from demucs.hf import hf_repo_name

    return f"{HF_NAMESPACE}/{hf_repo_name(name)}"


def meta_urls(listing: str | None = None, root: str = META_URL) -> dict:
    """Signature -> URL of its ``.th`` package, from a listing in demucs' ``files.txt`` format.

    Parameters
    ----------
    listing : str, optional
        ``#`` comments, ``root: <folder>/`` lines, then ``<sig>-<sha256 prefix>.th`` names;
        by default the ``files.txt`` demucs ships.
    root : str
        The server root the folders are relative to.

    Returns
    -------
    dict
        Signature -> URL (the first listed package of each signature).
    """
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
