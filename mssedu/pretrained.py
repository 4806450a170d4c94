r"""A state-of-the-art pretrained separator (HT-Demucs), and one ``separate`` for every model.

HT-Demucs ("Hybrid Transformer Demucs", Rouard, Massa & Défossez, 2023) is the hybrid
Demucs of Défossez (2021) with a cross-domain Transformer at its bottleneck: one U-Net
encodes the waveform, a second one the spectrogram (real and imaginary parts of a 4096-point
STFT as channels), and 5 Transformer layers let the two views attend to themselves and to
each other before two decoders map back; the estimate of source :math:`j` is the sum of
the two branches' outputs,

.. math::  \hat s_j = \hat s_j^{\,\mathrm{wave}} + \mathrm{iSTFT}\big(\hat Z_j^{\,\mathrm{spec}}\big).

Trained on MUSDB18-HQ plus 800 extra songs it reaches about 9.0 dB SDR (9.2 dB fine-tuned,
``htdemucs_ft``) on the MUSDB18-HQ test set. It sees 7.8 s segments; a song is cut into
overlapping segments that are cross-faded with triangular weights :math:`w`,

.. math::  \hat s_j(t) = \frac{\sum_k w(t - o_k)\, \hat s_j^{(k)}(t)}{\sum_k w(t - o_k)},

(``demucs.apply.apply_model``). This module wraps it:

* :func:`load_separator` gives an object with the course's separator interface
  (:mod:`mssedu.separator`): HT-Demucs (``"htdemucs"`` and the other demucs names), a
  random-weight HT-Demucs for tests and demos (``"htdemucs-random"``), a mini U-Net
  checkpoint (``"unet.pt"``) or an oracle mask (``"oracle-irm"``, with ``track=``);
* :func:`separate` runs *any* such separator on a signal: input checks, resampling to the
  model's rate and back, mono/stereo, and karaoke output (``two_stems="vocals"``);
* :func:`evaluate` and :func:`compare` score separators against a track's true stems with
  :func:`mssedu.metrics.bss_eval`, so one table holds oracle, mini U-Net and HT-Demucs;
* :func:`download` fetches and verifies weights for offline use.

Where the weights come from
---------------------------
``load_separator("htdemucs")`` looks, in this order and without any network, in

1. ``repo=DIR`` if given (a *local repository*: ``htdemucs.yaml`` listing the model
   signatures, plus ``<signature>-<sha256 prefix>.th`` (demucs' format) or
   ``.safetensors`` files; the suffix after the dash is checked against the file's SHA-256);
2. mssedu's model folder ``cache_dir("models")`` (what ``mssedu download`` fills; same layout);
3. the Hugging Face cache (what demucs >= 4.1 downloads: repo ``adefossez/HTDemucs``);
4. the torch hub cache (what older demucs downloaded from Meta's server).

Only when none has them does it go to the network: first the Hugging Face hub, then Meta's
download server ``dl.fbaipublicfiles.com``. Both hosts are probed with a 2-second timeout
first, so an offline machine gets a clear :class:`MsseduError` at once instead of after the
hub's retries. ``HF_HUB_OFFLINE=1`` skips the hub.

Loading is safe: ``.safetensors`` files hold only tensors (their metadata names the model
class, which must be one of demucs' three model classes); ``.th`` files are demucs "packages"
(a dict with the model *class*, its constructor arguments, which include a
``fractions.Fraction`` segment length, and the state dict), read with
``torch.load(weights_only=True)`` inside :func:`torch.serialization.safe_globals` that allows
exactly those demucs classes and ``Fraction``: nothing else in the file can be executed.

References
----------
Rouard, S., Massa, F. & Défossez, A. (2023). Hybrid Transformers for Music Source Separation.
ICASSP.
Défossez, A. (2021). Hybrid Spectrogram and Waveform Source Separation. ISMIR MDX Workshop.
Défossez, A., Usunier, N., Bottou, L. & Bach, F. (2019). Music Source Separation in the
Waveform Domain. arXiv:1911.13254.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np

from .config import cache_dir, torch_device
from .errors import MsseduError, as_signal, check_rate, ParameterError

__all__ = ["HTDEMUCS_CONFIG", "HF_NAMESPACE", "RANDOM_MODEL", "HALF_TOLERANCE_DB",
           "DemucsSeparator", "OracleSeparator", "load_separator", "separate", "evaluate",
           "compare", "download", "find_weights", "load_demucs_model", "random_htdemucs",
           "choose_precision", "half_precision_error_db", "plan_windows", "models_folder"]

#: Constructor arguments of the released ``htdemucs`` model (signature 955717e8): the
#: demucs ``htdemucs`` defaults with the overrides of its training grid (dconv_mode 3,
#: 5 Transformer layers, a 512-channel bottom layer) and the 7.8 s training segment.
#: 41,984,456 parameters.
HTDEMUCS_CONFIG = dict(sources=["drums", "bass", "other", "vocals"], audio_channels=2,
                       samplerate=44100, segment=Fraction(39, 5), dconv_mode=3, depth=4,
                       t_dropout=0.02, t_layers=5, bottom_channels=512)

#: Name of the random-weight HT-Demucs (real architecture, untrained): for tests and for
#: showing the mechanics when the real weights are not on the machine. Its stems are noise.
RANDOM_MODEL = "htdemucs-random"

#: Hugging Face namespace of the demucs models (``adefossez/HTDemucs`` for ``htdemucs``).
HF_NAMESPACE = "adefossez"

#: Half precision is used on a GPU only if it changes the output by less than this
#: (energy of the difference relative to the float32 output, in dB).
HALF_TOLERANCE_DB = -40.0

_HOSTS = {"hf": "huggingface.co", "meta": "dl.fbaipublicfiles.com"}
_PROBE_SECONDS = 2.0


# -- demucs, imported on use -------------------------------------------------------------

def _demucs():
    """Import demucs' model-application code (which needs no torchaudio)."""
    try:
        import demucs.apply
        import demucs.htdemucs  # noqa: F401
    except ImportError as err:
        raise ParameterError(f"The demucs package could not be imported ({err}). Install it with "
                          "`pip install demucs==4.1.0` (mssedu needs only its model code, "
                          "not torchaudio).") from err
    return demucs.apply


def _model_classes() -> dict:
    """The classes a demucs checkpoint may name (and nothing else)."""
    from demucs.demucs import Demucs
    from demucs.hdemucs import HDemucs
    from demucs.htdemucs import HTDemucs

    return {f"{c.__module__}.{c.__name__}": c for c in (Demucs, HDemucs, HTDemucs)}


def random_htdemucs(seed: int = 0, **overrides):
    """The real HT-Demucs architecture (:data:`HTDEMUCS_CONFIG`) with random weights.

    For tests, benchmarks and demos without the trained weights: same shapes, same
    segmenting, same cost, meaningless output. ``overrides`` change constructor arguments
    (e.g. ``channels=8, t_layers=1`` for a fast toy)."""
    import torch

    _demucs()
    from demucs.htdemucs import HTDemucs

    gen_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = HTDemucs(**{**HTDEMUCS_CONFIG, **overrides})
    finally:
        torch.random.set_rng_state(gen_state)
    return model.eval()


# -- weights on disk -----------------------------------------------------------------------

def models_folder() -> Path:
    """mssedu's folder for downloaded separator weights: ``cache_dir("models")``."""
    return Path(cache_dir("models"))


def _sha256(path, n: int | None = None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:n] if n else h.hexdigest()


def _bag_from_yaml(path) -> dict:
    import yaml

    with open(path) as f:
        bag = yaml.safe_load(f)
    if not isinstance(bag, dict) or not isinstance(bag.get("models"), list) or not bag["models"]:
        raise ParameterError(f"{path} is not a demucs model list (it needs a 'models:' list of "
                          "signatures, like demucs' htdemucs.yaml).")
    return bag


def _remote_yaml(name: str):
    """demucs' shipped description of a named model (signatures, weights, segment)."""
    from demucs.pretrained import REMOTE_ROOT

    path = Path(REMOTE_ROOT) / f"{name}.yaml"
    return path if path.exists() else None


def _meta_urls() -> dict:
    """Signature -> URL on Meta's server (demucs' ``remote/files.txt``)."""
    from demucs.pretrained import REMOTE_ROOT, _parse_remote_files

    return _parse_remote_files(Path(REMOTE_ROOT) / "files.txt")


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
    files = [_file_for_signature(folder, sig) for sig in bag["models"]]
    if any(f is None for f in files):
        missing = [s for s, f in zip(bag["models"], files) if f is None]
        raise ParameterError(f"{folder} describes {name!r} but lacks the weights of {missing} "
                          f"(expected files like {missing[0]}-<sha256 prefix>.th or .safetensors). "
                          f"Re-run `mssedu download {name} --to {folder}`.")
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
    import torch

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

    Returns ``None`` if nowhere, else a dict with ``bag`` (the model list: ``models``,
    optional ``weights`` and ``segment``), ``files`` (one path per model) and ``where``
    (a description). Looks in ``repo``, then :func:`models_folder`, the Hugging Face cache
    and the torch hub cache (see the module's docstring)."""
    if repo is not None:
        repo = Path(repo).expanduser()
        if not repo.is_dir():
            raise ParameterError(f"repo={str(repo)!r} is not a folder. Give the folder that holds "
                              f"{name}.yaml and its checkpoint (made by `mssedu download {name} --to DIR`).")
        found = _local_weights(name, repo)
        if found is None:
            raise ParameterError(f"{repo} holds no {name}.yaml and no checkpoint named {name}-*.th "
                              f"or .safetensors. Make one with `mssedu download {name} --to {repo}` "
                              "on a machine with internet.")
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
        raise ParameterError(f"{path} is corrupt or was changed: its SHA-256 starts with {actual}, "
                          f"but its name says {expected}. Delete it and download it again "
                          "(`mssedu download`).")


def _load_model_file(path):
    """Load one demucs model from ``.th`` or ``.safetensors``, safely (see module docstring)."""
    import pickle
    import warnings

    import torch

    _demucs()
    from demucs.states import load_model

    path = Path(path)
    _check_suffix(path)
    classes = _model_classes()
    if path.suffix == ".safetensors":
        import json

        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        klass = meta.get("klass")
        if klass not in classes:
            raise ParameterError(f"{path} names model class {klass!r}; only {sorted(classes)} are "
                              "accepted (a checkpoint cannot make mssedu import other code).")
        if '"_class"' in meta.get("structure", ""):
            raise ParameterError(f"{path} is a quantised (diffq) model, which mssedu does not load; "
                              "use a non-quantised model such as htdemucs.")
        from demucs.hf import load_safetensors_model

        _ = json  # the metadata is JSON; demucs decodes it
        return load_safetensors_model(path)
    try:
        with torch.serialization.safe_globals(list(classes.values()) + [Fraction]):
            package = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise ParameterError(
            f"{path} was refused by torch.load(weights_only=True): it holds a Python object "
            f"that is not a demucs model class, a Fraction or plain data. Such a file can run "
            f"arbitrary code when loaded, so mssedu does not load it. "
            f"({str(err).splitlines()[0][:160]})") from err
    except Exception as err:
        raise ParameterError(f"{path} is not a readable checkpoint ({type(err).__name__}: "
                          f"{str(err)[:200]}). Delete it and download it again.") from err
    if not isinstance(package, dict) or package.get("klass") not in classes.values():
        raise ParameterError(f"{path} is not a demucs model package (a dict with 'klass', 'args', "
                          "'kwargs' and 'state').")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # demucs warns about dropped training-only arguments
        return load_model(package)


def _bag(found):
    _demucs()
    from demucs.apply import BagOfModels

    models = [_load_model_file(f) for f in found["files"]]
    bag = found["bag"]
    model = BagOfModels(models, bag.get("weights"), bag.get("segment"))
    return model.eval()


# -- the network ------------------------------------------------------------------------------

def _reachable(host: str, timeout: float = _PROBE_SECONDS) -> bool:
    """Can a TCP connection to ``host:443`` be opened within ``timeout`` seconds?

    Runs in a thread so that even a hanging name lookup cannot hold the caller longer."""
    import socket

    result = []

    def probe():
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            result.append(True)
        except Exception:  # no route, no name, refused, timed out...
            result.append(False)

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout + 0.2)
    return bool(result and result[0])


def _hf_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _offline_error(name: str) -> MsseduError:
    import torch

    return MsseduError(
        f"The weights of model {name!r} are not on this machine and neither huggingface.co "
        f"nor dl.fbaipublicfiles.com can be reached (no internet?). mssedu looked in its "
        f"model folder {models_folder()}, the Hugging Face cache and the torch hub cache "
        f"({Path(torch.hub.get_dir()) / 'checkpoints'}). Two ways to fix it: (1) on a machine "
        f"with internet run `mssedu download {name}` (fills {models_folder()}; copy that "
        f"folder here), or `mssedu download {name} --to DIR` and copy DIR here; (2) pass the "
        f"folder holding {name}.yaml and its checkpoint: load_separator({name!r}, repo=DIR) "
        f"or `mssedu separate ... --repo DIR`.")


def _fetch_hf(name: str, dest: Path, progress: bool) -> list:
    from huggingface_hub import hf_hub_download

    repo = _hf_repo(name)
    y = Path(hf_hub_download(repo, f"{name}.yaml"))
    bag = _bag_from_yaml(y)
    written = [_copy(y, dest / f"{name}.yaml")]
    for sig in bag["models"]:
        f = Path(hf_hub_download(repo, f"{sig}.safetensors"))
        written.append(_copy(f, dest / f"{sig}-{_sha256(f, 8)}.safetensors"))
    return written


def _fetch_meta(name: str, dest: Path, progress: bool) -> list:
    import torch

    y = _remote_yaml(name)
    if y is None:
        raise ParameterError(f"Unknown demucs model {name!r}: demucs lists no {name}.yaml.")
    bag = _bag_from_yaml(y)
    urls = _meta_urls()
    written = [_copy(y, dest / f"{name}.yaml")]
    for sig in bag["models"]:
        if sig not in urls:
            raise ParameterError(f"demucs lists no download address for signature {sig} of {name!r}.")
        url = urls[sig]
        target = dest / os.path.basename(url)
        if not target.exists():
            checksum = target.stem.rsplit("-", 1)[1]
            tmp = dest / f".{target.name}.part"
            torch.hub.download_url_to_file(url, str(tmp), hash_prefix=checksum, progress=progress)
            os.replace(tmp, target)
        written.append(target)
    return written


def _copy(src: Path, dst: Path) -> Path:
    if not dst.exists() or _sha256(dst) != _sha256(src):
        tmp = dst.with_name(f".{dst.name}.part")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    return dst


def download(name: str = "htdemucs", to=None, progress: bool = True) -> Path:
    """Fetch the weights of demucs model ``name`` and check them, for offline use.

    Tries the Hugging Face hub (``adefossez/HTDemucs``) and falls back to Meta's server.
    The files land in ``to`` (default :func:`models_folder`) as a local repository:
    ``<name>.yaml`` and ``<signature>-<sha256 prefix>.safetensors`` (or ``.th``), which
    ``load_separator(name, repo=to)`` (and ``demucs -n name --repo to`` for ``.th``)
    read. The checksums are then verified and the model loaded once.

    Returns the folder. Raises :class:`MsseduError` if neither host can be reached."""
    dest = Path(to).expanduser() if to is not None else models_folder()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ParameterError(f"Cannot create {dest}: {err}. Choose another folder with --to.") from err
    if not os.access(dest, os.W_OK):
        raise ParameterError(f"Cannot write into {dest}: the folder is not writable.")
    _demucs()
    errors = []
    if not _hf_offline() and _reachable(_HOSTS["hf"]):
        try:
            _fetch_hf(name, dest, progress)
            errors = None
        except Exception as err:  # fall back to Meta's server, as demucs does
            errors.append(f"Hugging Face hub: {type(err).__name__}: {str(err)[:200]}")
    if errors is not None and _reachable(_HOSTS["meta"]):
        try:
            _fetch_meta(name, dest, progress)
            errors = None
        except Exception as err:
            errors.append(f"Meta's server: {type(err).__name__}: {str(err)[:200]}")
    if errors is not None:
        if not errors:
            raise _offline_error(name)
        raise ParameterError(f"Could not download {name!r}: " + "; ".join(errors))
    found = _local_weights(name, dest)
    _bag(found)  # verifies checksums and that every file loads
    return dest


def load_demucs_model(name: str = "htdemucs", repo=None):
    """The demucs model ``name`` as a ``BagOfModels``, from disk or else downloaded.

    ``name="htdemucs-random"`` gives :func:`random_htdemucs`. Raises :class:`MsseduError`
    quickly when the weights are not on the machine and the network cannot be reached."""
    if name == RANDOM_MODEL:
        return random_htdemucs()
    _demucs()
    found = find_weights(name, repo)
    if found is None:
        if _remote_yaml(name) is None and "/" not in name:
            raise ParameterError(f"Unknown model {name!r}. Use a demucs model name (htdemucs, "
                              f"htdemucs_ft, htdemucs_6s, ...), {RANDOM_MODEL!r}, 'oracle-irm', "
                              "or the path of a mini U-Net checkpoint (.pt).")
        download(name)
        found = find_weights(name)
    return _bag(found)


# -- precision and windows -------------------------------------------------------------------

def _probe_signal(sr: int, seconds: float, channels: int = 2, seed: int = 0) -> np.ndarray:
    """A deterministic music-like test signal: a few harmonic tones over 1/f noise."""
    rng = np.random.default_rng(seed)
    n = int(sr * seconds)
    t = np.arange(n) / sr
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for f0 in (110.0, 277.2, 440.0) for k in range(1, 6))
    spec = np.fft.rfft(rng.standard_normal((channels, n)))
    spec /= np.sqrt(np.maximum(np.arange(spec.shape[-1]), 1))
    noise = np.fft.irfft(spec, n)
    y = 0.1 * x / np.max(np.abs(x)) + 0.05 * noise / np.max(np.abs(noise))
    return y.astype(np.float32)


def half_precision_error_db(model, device="cpu", dtype=None, seconds: float | None = None) -> float:
    r"""How much running ``model`` under reduced precision changes its output:
    :math:`10\log_{10}(\|y_{half} - y_{32}\|^2 / \|y_{32}\|^2)` on one segment of a
    deterministic music-like signal (float16 autocast on CUDA, bfloat16 on CPU by default).
    Very negative is good; :data:`HALF_TOLERANCE_DB` is the bar."""
    import torch

    apply = _demucs()
    device = torch.device(device)
    if dtype is None:
        dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
    seg = seconds or float(getattr(model, "segment", None) or model.max_allowed_segment)
    x = torch.from_numpy(_probe_signal(model.samplerate, min(seg, 7.8), model.audio_channels))[None]
    with torch.no_grad():
        y32 = apply.apply_model(model, x, shifts=0, split=True, device=device)
        with torch.autocast(device_type=device.type, dtype=dtype):
            yh = apply.apply_model(model, x, shifts=0, split=True, device=device)
    y32, yh = y32.double(), yh.double()
    err = float(((yh - y32) ** 2).sum()) / max(float((y32 ** 2).sum()), 1e-30)
    return 10 * np.log10(max(err, 1e-30))


def choose_precision(device, half="auto", error_db=None, tolerance_db: float = HALF_TOLERANCE_DB) -> bool:
    """Decide whether to run in half precision (float16 autocast).

    * ``half=False``: never; ``half=True``: yes on CUDA (an error elsewhere);
    * ``half="auto"``: only on CUDA, and only if ``error_db()`` (a callable measuring the
      change of the output, e.g. :func:`half_precision_error_db`) is at most
      ``tolerance_db``. If measuring fails (an op without a half kernel), float32 it is.

    CPUs and Apple MPS always run float32 (half is slower or unsupported there)."""
    import torch

    device = torch.device(device)
    if half is False or half is None:
        return False
    if half is True:
        if device.type != "cuda":
            raise ParameterError(f"half=True needs a CUDA GPU; this model runs on {device}. "
                              "Use half='auto' (float32 off GPU) or half=False.")
        return True
    if half != "auto":
        raise ParameterError(f"half must be True, False or 'auto', got {half!r}.")
    if device.type != "cuda" or error_db is None:
        return False
    try:
        return bool(error_db() <= tolerance_db)
    except Exception:
        return False


def plan_windows(length: int, window: int, margin: int, fade: int, stride: int) -> list:
    """Cut ``length`` samples into overlapping windows for bounded-memory separation.

    Returns ``[(start, stop, keep_from, keep_to), ...]``: window ``[start, stop)`` is
    separated on its own and its output is kept on ``[keep_from, keep_to)``, where
    neighbouring kept parts overlap by ``fade`` samples for a linear cross-fade.
    ``margin`` (at least one model segment) is dropped at inner window edges, so every kept
    sample was computed from the same set of full segments as in a single pass; window
    starts are multiples of ``stride`` (the segment hop), so with ``shifts=0`` the
    windowed result equals the single pass."""
    if length <= window:
        return [(0, length, 0, length)]
    hop = (window - 2 * margin - fade) // stride * stride
    if hop < stride:
        raise ParameterError(f"window_seconds is too short: need more than two segments plus one "
                          f"hop ({(2 * margin + fade + stride)} samples), got {window}.")
    starts = [0]
    while starts[-1] + window < length:
        starts.append(starts[-1] + hop)
    plan = []
    for i, start in enumerate(starts):
        last = i == len(starts) - 1
        keep_from = 0 if i == 0 else start + margin
        keep_to = length if last else starts[i + 1] + margin + fade
        plan.append((start, min(start + window, length), keep_from, keep_to))
    return plan


# -- separators -------------------------------------------------------------------------------

class DemucsSeparator:
    """A demucs model (HT-Demucs) behind the course's separator interface.

    Parameters
    ----------
    model : demucs model or ``BagOfModels``
    name : str
        Label for tables.
    device : ``"auto"`` (CUDA > MPS > CPU), ``"cpu"``, ``"cuda"``...
    half : ``"auto"`` | bool
        float16 autocast on a CUDA GPU when it keeps the output within
        :data:`HALF_TOLERANCE_DB` of float32 (checked once, see :func:`choose_precision`).
    shifts : int
        demucs' "shift trick": average over this many random time shifts of up to 0.5 s
        (about +0.2 dB SDR per the paper, ``shifts`` times slower; ``0`` = deterministic).
    overlap : float
        Overlap of consecutive segments (0.25 as in demucs).
    segment : float or None
        Segment length in seconds (at most the model's 7.8 s; ``None``: the model's).
    window_seconds : float
        Inputs longer than this are separated window by window (each through
        ``apply_model``), so the working memory stays bounded; see :func:`plan_windows`.

    Attributes
    ----------
    name, sr, sources, channels, device, half
    """

    def __init__(self, model, name: str = "HT-Demucs", device="auto", half="auto", shifts: int = 0,
                 overlap: float = 0.25, segment: float | None = None, window_seconds: float = 600.0):
        import torch

        self._apply = _demucs()
        self.model = model.eval()
        self.name = name
        self.sr = int(model.samplerate)
        self.sources = list(model.sources)
        self.channels = int(model.audio_channels)
        self.device = torch_device(device)
        if not 0 <= overlap < 1:
            raise ParameterError(f"overlap must be in [0, 1), got {overlap!r}.")
        if int(shifts) < 0:
            raise ParameterError(f"shifts must be >= 0, got {shifts!r}.")
        self.shifts, self.overlap = int(shifts), float(overlap)
        longest = self._model_segment()
        if segment is not None and not 0 < float(segment) <= longest:
            raise ParameterError(f"segment must be in (0, {longest}] seconds for this model, got {segment!r}.")
        self.segment = None if segment is None else float(segment)
        self.window_seconds = float(window_seconds)
        self.model.to(self.device)
        self.half = choose_precision(self.device, half, lambda: half_precision_error_db(
            self.model, self.device, torch.float16))

    def _model_segment(self) -> float:
        segs = [float(m.segment) for m in getattr(self.model, "models", [self.model])]
        return min(segs)

    @property
    def segment_samples(self) -> int:
        return int(self.sr * (self.segment or self._model_segment()))

    def _n_segments(self, length: int) -> int:
        seg = self.segment_samples
        stride = max(1, int((1 - self.overlap) * seg))
        per_model = len(range(0, length + (int(0.5 * self.sr) if self.shifts else 0), stride))
        n_models = len(getattr(self.model, "models", [self.model]))
        return per_model * n_models * max(self.shifts, 1)

    def _run(self, mix, bar):
        """``apply_model`` on ``mix`` (tensor or TensorChunk ``(1, C, N)``) -> ``(1, S, C, N)``."""
        import torch

        def callback(info):
            if bar is not None and info.get("state") == "end":
                bar.update(1)

        kwargs = dict(shifts=self.shifts, split=True, overlap=self.overlap, progress=False,
                      device=self.device, segment=self.segment, callback=callback)
        with torch.no_grad():
            if self.half:
                with torch.autocast(device_type=self.device.type, dtype=torch.float16):
                    return self._apply.apply_model(self.model, mix, **kwargs).float()
            return self._apply.apply_model(self.model, mix, **kwargs)

    def separate(self, signal, progress: bool = True) -> dict:
        """Separate ``signal``, float32 ``(channels, samples)`` at ``self.sr`` (mono is
        accepted: it is duplicated in and averaged out), into ``{source: (channels, samples)}``."""
        import torch

        x = as_signal(signal, "signal")
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[0] not in (1, self.channels):
            raise ParameterError(f"{self.name} separates {self.channels}-channel (or mono) signals "
                              f"shaped (channels, samples); got shape {x.shape}. Use "
                              "mssedu.pretrained.separate, which converts channels and rates.")
        mono = x.shape[0] == 1 and self.channels != 1
        if mono:
            x = np.repeat(x, self.channels, axis=0)
        n = x.shape[-1]
        mix = torch.from_numpy(np.ascontiguousarray(x))[None]
        seg = self.segment_samples
        stride = max(1, int((1 - self.overlap) * seg))
        margin = seg
        plan = plan_windows(n, max(int(self.window_seconds * self.sr), 1), margin, stride, stride)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            total = sum(self._n_segments(b - a) for a, b, _, _ in plan)
            bar = tqdm(total=total, desc=self.name, unit="segment")
        try:
            if len(plan) == 1:
                out = self._run(mix, bar)[0].numpy()
            else:
                from demucs.apply import TensorChunk

                out = np.zeros((len(self.sources), self.channels, n), np.float32)
                for i, (a, b, keep_a, keep_b) in enumerate(plan):
                    y = self._run(TensorChunk(mix, a, b - a), bar)[0].numpy()
                    w = np.ones(keep_b - keep_a, np.float32)
                    ramp = (np.arange(stride, dtype=np.float32) + 0.5) / stride
                    if i > 0:
                        w[:stride] = ramp
                    if i < len(plan) - 1:
                        w[-stride:] = 1 - ramp
                    out[..., keep_a:keep_b] += y[..., keep_a - a:keep_b - a] * w
                    del y
        finally:
            if bar is not None:
                if bar.n != bar.total:  # the shift trick makes the count an estimate
                    bar.n = bar.total
                    bar.refresh()
                bar.close()
        result = {}
        for i, name in enumerate(self.sources):
            y = out[i]
            result[name] = y.mean(axis=0, keepdims=True) if mono else y
        return result

    def __repr__(self) -> str:
        n = sum(p.numel() for p in self.model.parameters())
        return (f"DemucsSeparator({self.name!r}, sr={self.sr}, sources={self.sources}, "
                f"{n:,} parameters, device={self.device}, half={self.half})")


class OracleSeparator:
    """The oracle masks of :mod:`mssedu.masks` as a separator (they need the true stems).

    ``separate(signal)`` accepts only ``track``'s own mixture (an oracle cannot separate
    other audio) and returns :func:`mssedu.masks.oracle_separate` of the track.

    Parameters
    ----------
    track : mssedu.data.Track
    method : ``"irm"``, ``"ibm"``, ``"wiener"``, ``"psm"``, ``"cirm"``
    **params : passed to :func:`mssedu.masks.oracle_separate` (``alpha``, ``n_fft``...).
    """

    def __init__(self, track, method: str = "irm", **params):
        from . import masks

        if method not in masks.MASK_METHODS:
            raise ParameterError(f"Unknown oracle mask {method!r}; choose one of {masks.MASK_METHODS}.")
        if not track.stems:
            raise ParameterError("An oracle separator needs a track with its true stems.")
        self.track, self.method, self.params = track, method, params
        self.name = f"oracle {method.upper()}"
        self.sr = int(track.sr)
        self.sources = list(track.stems)
        self.channels = int(track.mixture.shape[0])

    def separate(self, signal, progress: bool = True) -> dict:
        from .masks import oracle_separate

        x = np.asarray(signal)
        if x.shape != self.track.mixture.shape or not np.allclose(x, self.track.mixture, atol=1e-4):
            raise ParameterError(f"{self.name} can only separate the mixture of its own track "
                              f"({self.track.name!r}, shape {self.track.mixture.shape}); "
                              f"got a signal of shape {x.shape}. Build OracleSeparator(track) "
                              "for the track you want to separate.")
        return oracle_separate(self.track, self.method, **self.params)

    def __repr__(self) -> str:
        return f"OracleSeparator({self.track.name!r}, method={self.method!r})"


def _looks_like_checkpoint(name) -> bool:
    s = str(name)
    return s.endswith((".pt", ".pth", ".ckpt")) or os.sep in s or Path(s).is_file()


def load_separator(name: str = "htdemucs", repo=None, device="auto", track=None, **kwargs):
    """Load a separator by name; every one answers the same calls (:mod:`mssedu.separator`).

    Parameters
    ----------
    name : str or Path
        * a demucs model: ``"htdemucs"`` (default), ``"htdemucs_ft"``, ``"htdemucs_6s"``...
          (weights from ``repo``, the caches, or downloaded; see the module docstring);
        * ``"htdemucs-random"``: the HT-Demucs architecture with random weights, for tests
          and demos (its output is meaningless, labelled "random weights");
        * a mini U-Net checkpoint path (``.pt``/``.ckpt``), see :func:`mssedu.train.train`;
        * ``"oracle-irm"``, ``"oracle-ibm"``, ``"oracle-wiener"``... with ``track=``.
    repo : folder, optional
        Local repository with ``<name>.yaml`` and the checkpoint(s).
    device : ``"auto"`` | ``"cpu"`` | ``"cuda"`` | ``"mps"``
    track : Track, for the oracle separators.
    **kwargs : passed to :class:`DemucsSeparator` (``shifts``, ``overlap``, ``half``,
        ``segment``, ``window_seconds``), to :class:`mssedu.unet.UNetSeparator`
        (``wiener``...) or to the oracle (``alpha``...).

    Examples
    --------
    >>> sep = load_separator("htdemucs-random", device="cpu")
    >>> sep.sr, sep.sources
    (44100, ['drums', 'bass', 'other', 'vocals'])
    """
    name = str(name)
    if name.startswith("oracle"):
        if track is None:
            raise ParameterError(f"{name!r} needs the true stems: load_separator({name!r}, track=track).")
        method = name.split("-", 1)[1] if "-" in name else "irm"
        return OracleSeparator(track, method, **kwargs)
    if name != RANDOM_MODEL and _looks_like_checkpoint(name) and not name.endswith(".yaml"):
        path = Path(name).expanduser()
        if not path.is_file():
            raise ParameterError(f"No model file at {path}. Give a mini U-Net checkpoint (.pt) "
                              "written by mssedu.train.train, or a model name such as 'htdemucs'.")
        try:
            from .unet import UNetSeparator
        except ImportError as err:
            raise ParameterError(f"Loading a mini U-Net checkpoint needs mssedu.unet ({err}).") from err
        return UNetSeparator.from_checkpoint(path, device=device, **kwargs)
    model = load_demucs_model(name, repo)
    label = {"htdemucs": "HT-Demucs", RANDOM_MODEL: "HT-Demucs (random weights)",
             "htdemucs_ft": "HT-Demucs (fine-tuned)"}.get(name, name)
    return DemucsSeparator(model, name=label, device=device, **kwargs)


# -- separate, evaluate -----------------------------------------------------------------------

def _model_channels(separator):
    for attr in ("channels", "audio_channels"):
        v = getattr(separator, attr, None)
        if isinstance(v, (int, np.integer)):
            return int(v)
    cfg = getattr(separator, "config", None)
    v = getattr(cfg, "audio_channels", None)
    return int(v) if isinstance(v, (int, np.integer)) else None


def separate(separator, signal, sr: int, two_stems: str | None = None, progress: bool = True) -> dict:
    """Separate ``signal`` with any separator (HT-Demucs, mini U-Net, oracle...).

    Does what every model needs around it: checks the input, resamples to
    ``separator.sr`` and back (:func:`mssedu.audio.resample`), gives the model the channel
    count it wants (mono is duplicated into stereo and the stems averaged back to mono) and
    returns stems with the input's shape.

    Parameters
    ----------
    separator : object with ``name``, ``sr``, ``sources``, ``separate`` (see
        :mod:`mssedu.separator`), e.g. from :func:`load_separator`.
    signal : float array ``(channels, samples)`` or ``(samples,)``
    sr : int
        Sample rate of ``signal``.
    two_stems : str, optional
        Karaoke mode: return only ``{two_stems: ..., "accompaniment": sum of the others}``,
        e.g. ``two_stems="vocals"`` gives vocals and the instrumental.
    progress : bool
        Show a ``tqdm.auto`` progress bar.

    Returns
    -------
    dict source -> float32 array shaped like ``signal``
    """
    from .audio import resample

    for attr in ("sr", "sources", "separate"):
        if not hasattr(separator, attr):
            raise ParameterError(f"{type(separator).__name__} is not a separator (it has no "
                              f"{attr!r}); use load_separator(...) or see mssedu.separator.")
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
    sources = list(separator.sources)
    if two_stems is not None and two_stems not in sources:
        raise ParameterError(f"two_stems={two_stems!r} is not a source of {separator.name}; "
                          f"choose one of {[s for s in sources if s != 'accompaniment']}.")
    n_in, c_in = x.shape[-1], x.shape[0]
    want = _model_channels(separator)
    y = x
    if want is not None and c_in != want:
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
    if two_stems is not None:
        target = out[two_stems]
        if "accompaniment" in out and two_stems != "accompaniment" and len(out) == 2:
            acc = out["accompaniment"]
        else:
            rest = [v for k, v in out.items() if k not in (two_stems, "accompaniment")]
            acc = np.sum(rest, axis=0).astype(np.float32) if rest else np.zeros_like(target)
        out = {two_stems: target, "accompaniment": acc}
    return out


def _references(track, names) -> dict:
    refs = {}
    for k in names:
        if k in track.stems:
            refs[k] = track.stems[k]
        elif k == "accompaniment":
            targets = [n for n in names if n != "accompaniment" and n in track.stems]
            if len(targets) == 1:
                refs[k] = track.accompaniment(targets[0])
    return refs


def evaluate(separator_or_estimates, track, two_stems: str | None = None, progress: bool = True,
             name: str | None = None, **bss_kwargs):
    """Score a separator (or ready estimates) against ``track``'s true stems.

    Parameters
    ----------
    separator_or_estimates : separator or dict ``{source: (channels, samples)}``
        A separator is run on ``track.mixture`` with :func:`separate`.
    track : mssedu.data.Track
    two_stems : str, optional
        Score ``two_stems`` against the accompaniment (sum of the other stems) only:
        the same two references for every separator, whatever stems it returns.
    name : str, optional
        Label for the ``separator`` column (default: the separator's ``name``).
    **bss_kwargs : passed to :func:`mssedu.metrics.bss_eval` (``window``, ``framewise``...).

    Returns
    -------
    pandas.DataFrame
        :func:`mssedu.metrics.bss_eval`'s table (median over 1 s frames of SDR, ISR, SIR,
        SAR per source) with ``separator`` and ``source`` as columns.
    """
    from .metrics import bss_eval

    if isinstance(separator_or_estimates, dict):
        estimates = dict(separator_or_estimates)
        label = name or "estimates"
        if two_stems is not None:
            if two_stems not in estimates:
                raise ParameterError(f"two_stems={two_stems!r} is not among the estimates {sorted(estimates)}.")
            if set(estimates) != {two_stems, "accompaniment"}:
                rest = [v for k, v in estimates.items() if k != two_stems]
                estimates = {two_stems: estimates[two_stems],
                             "accompaniment": np.sum(rest, axis=0).astype(np.float32)}
    else:
        estimates = separate(separator_or_estimates, track.mixture, track.sr, two_stems=two_stems,
                             progress=progress)
        label = name or separator_or_estimates.name
    refs = _references(track, list(estimates))
    if not refs:
        raise ParameterError(f"None of the estimated sources {sorted(estimates)} is a stem of "
                          f"{track.name!r} ({track.stem_names}).")
    df = bss_eval(refs, {k: estimates[k] for k in refs}, track.sr, **bss_kwargs).reset_index()
    df.insert(0, "separator", label)
    return df


def compare(separators, track, two_stems: str | None = "vocals", progress: bool = True,
            metrics=("SDR", "SIR", "SAR")):
    """One table comparing separators on the same track: one row per (separator, source).

    ``separators`` is a list of separators or a dict ``label -> separator or estimates``.
    With ``two_stems="vocals"`` (default) every separator is scored on vocals and
    accompaniment, so 4-stem and 2-stem models share the same references; ``None`` scores
    every stem each one returns. Values are medians over 1 s frames (dB)."""
    import pandas as pd

    if not isinstance(separators, dict):
        separators = {getattr(s, "name", str(s)): s for s in separators}
    frames = [evaluate(sep, track, two_stems=two_stems, progress=progress, name=label)
              for label, sep in separators.items()]
    table = pd.concat(frames, ignore_index=True)
    return table[["separator", "source", *[m for m in metrics if m in table.columns]]]
