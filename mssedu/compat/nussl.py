"""nussl, made importable on today's numpy, scipy and librosa.

Why this module exists
----------------------
nussl 1.1.9 (2021, the last release) is the reference toolbox for classical source
separation and oracle masks, and the course cross-checks mssedu against it. As released it
no longer works on a current scientific Python stack:

* ``pip install nussl`` fails on Python >= 3.11: its ``soxbindings`` dependency has no wheel
  and does not build. It installs with ``pip install --no-deps nussl==1.1.9`` plus the
  dependencies it really uses (``ffmpeg-python ffmpy jams musdb museval norbert
  pyloudnorm termtables zarr pyyaml scikit-learn``; mssedu's set-up command does this).
* ``import nussl`` then fails: ``nussl.core.constants`` reads ``scipy.signal.hamming``,
  ``scipy.signal.hann`` and ``scipy.signal.blackman``, which scipy 1.13 removed (they live in
  ``scipy.signal.windows``).
* Its package ``__init__`` imports every sub-package, including the deep-learning trainer
  (``pytorch-ignite``, ``tensorboard``), a GMM (``gpytorch``) and effects (``sox`` /
  ``soxbindings``), none of which the course needs.
* A few calls use positional arguments that librosa >= 0.10 made keyword-only
  (``librosa.feature.rms(y, ...)``, ``librosa.filters.mel(sr, n_fft, n_mels)``).

:func:`import_nussl` fixes exactly these, and nothing else, before importing nussl:

1. it puts the removed window functions back on :mod:`scipy.signal` (the same functions,
   taken from :mod:`scipy.signal.windows`), only if they are missing;
2. while nussl imports, a missing optional package among ``sox``, ``soxbindings``,
   ``gpytorch``, ``ignite`` and ``tensorboard`` is replaced by a placeholder module whose
   classes raise :class:`ImportError` when used (so nussl's effects, trainer and GMM fail
   clearly if called); the placeholders are removed from ``sys.modules`` afterwards, so
   nothing else ever sees them;
3. it gives ``nussl.core.audio_signal`` and ``nussl.ml.networks.modules.blocks`` a view of
   librosa that accepts the old positional call forms.

What works (checked by ``tests/test_compat_nussl.py`` with nussl 1.1.9, numpy 2.4,
scipy 1.17, librosa 0.11, on the MUSDB example):

=========================================  ====================================================
nussl piece                                status
=========================================  ====================================================
``AudioSignal``, ``STFTParams``, STFT       works (scipy.signal.stft underneath)
``separation.benchmark.IdealBinaryMask``    works; multi-source form: bin goes to the loudest
                                            source (argmax), sources sorted by key
``separation.benchmark.IdealRatioMask``     works; ``approach="msa"`` is |S_j| / sum_k |S_k|
                                            (alpha = 1), ``"psa"`` the truncated phase-
                                            sensitive mask
``separation.benchmark.WienerFilter``       works (norbert's multichannel Wiener filter)
``evaluation.BSSEvalV4``                    works (calls museval; slow, like museval)
``evaluation.BSSEvalScale``                 works (SI-SDR, SD-SDR, SNR, ...)
``separation.primitive.HPSS``               works (librosa.decompose.hpss underneath)
``separation.primitive.Repet``/``RepetSim`` works
``separation.primitive.FT2D``               works (DeprecationWarnings from scipy.ndimage)
``separation.primitive.Melodia``            needs the ``vamp`` plug-in: not available
``ml`` trainer, ``core.effects``            need ignite/tensorboard/sox: not available
``utils.visualize_spectrogram(y="mel")``    old librosa call form inside a function: fails
=========================================  ====================================================

Examples
--------
>>> from mssedu.compat.nussl import import_nussl
>>> nussl = import_nussl()          # the module, or None (with one warning saying why)
>>> if nussl is not None:
...     import numpy as np
...     sig = nussl.AudioSignal(audio_data_array=np.zeros((1, 4410)), sample_rate=44100)
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings

import librosa
import numpy as np
import scipy.signal
import scipy.signal.windows as windows

from ..audio import as_signal
from ..checks import check_rate
from ..errors import DataError

__all__ = ["import_nussl", "nussl_available", "nussl_unavailable_reason", "to_audio_signal",
           "from_audio_signal", "stft_params"]

#: Optional packages nussl imports at start-up that the course never uses.
_OPTIONAL = ("sox", "soxbindings", "gpytorch", "ignite", "tensorboard")
#: Window functions scipy 1.13 removed from scipy.signal (kept in scipy.signal.windows).
_SCIPY_WINDOWS = ("hamming", "hann", "hanning", "blackman", "bartlett", "boxcar", "triang",
                  "kaiser", "gaussian", "general_gaussian", "chebwin", "cosine", "exponential",
                  "tukey", "parzen", "bohman", "blackmanharris", "nuttall", "barthann",
                  "flattop")

_state: dict = {"done": False, "module": None, "reason": None, "warned": False}


# --- 1. scipy names -------------------------------------------------------------------------

def _restore_scipy_windows() -> list:
    restored = []
    for name in _SCIPY_WINDOWS:
        if not hasattr(scipy.signal, name) and hasattr(windows, name):
            setattr(scipy.signal, name, getattr(windows, name))
            restored.append(name)
    return restored


# --- 2. placeholders for optional packages --------------------------------------------------

class _MissingDependency:
    _package = "an optional package"

    def __init__(self, *args, **kwargs):
        raise ImportError(f"This part of nussl needs {self._package}, which is not installed "
                          "(mssedu.compat.nussl stood in for it so that nussl could import).")


class _PlaceholderModule(types.ModuleType):
    """Any attribute is a class that raises ImportError when instantiated."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        root = self.__name__.split(".")[0]
        return type(name, (_MissingDependency,), {"_package": repr(root)})


class _PlaceholderFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, names):
        self.names = tuple(names)

    def find_spec(self, fullname, path=None, target=None):
        if any(fullname == n or fullname.startswith(n + ".") for n in self.names):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return _PlaceholderModule(spec.name)

    def exec_module(self, module):
        module.__path__ = []


def _is_missing(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):
        return True


# --- 3. librosa's old positional call forms -------------------------------------------------

class _Namespace(types.SimpleNamespace):
    def __init__(self, wrapped, **overrides):
        super().__init__(**overrides)
        self._wrapped = wrapped

    def __getattr__(self, name):
        return getattr(self._wrapped, name)


def _librosa_view():
    """librosa, but ``feature.rms``, ``feature.melspectrogram`` and ``filters.mel`` accept
    the pre-0.10 positional forms nussl uses."""
    def rms(y=None, **kwargs):
        return librosa.feature.rms(y=y, **kwargs)

    def melspectrogram(y=None, **kwargs):
        return librosa.feature.melspectrogram(y=y, **kwargs)

    def mel(sr=None, n_fft=None, n_mels=128, **kwargs):
        return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, **kwargs)

    feature = _Namespace(librosa.feature, rms=rms, melspectrogram=melspectrogram)
    filters = _Namespace(librosa.filters, mel=mel)
    return _Namespace(librosa, feature=feature, filters=filters)


# --- the entry points -----------------------------------------------------------------------

def _import() -> tuple:
    if _is_missing("nussl"):
        return None, ("nussl is not installed. Install it with "
                      "`pip install --no-deps nussl==1.1.9` (plus ffmpeg-python, jams, norbert, "
                      "pyloudnorm, termtables, zarr); plain `pip install nussl` fails on "
                      "Python >= 3.11.")
    _restore_scipy_windows()
    missing = [n for n in _OPTIONAL if _is_missing(n)]
    if "tensorboard" in missing:
        missing.append("torch.utils.tensorboard")  # raises ImportError without tensorboard
    finder = _PlaceholderFinder(missing)
    before = set(sys.modules)
    sys.meta_path.insert(0, finder)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = importlib.import_module("nussl")
    except Exception as err:  # noqa: BLE001 - any failure means "nussl cannot work here"
        for name in set(sys.modules) - before:
            if name == "nussl" or name.startswith("nussl."):
                sys.modules.pop(name, None)
        return None, f"nussl is installed but could not be imported: {type(err).__name__}: {err}"
    finally:
        sys.meta_path.remove(finder)
        for name in list(sys.modules):
            if isinstance(sys.modules[name], _PlaceholderModule):
                del sys.modules[name]
    view = _librosa_view()
    for modname in ("nussl.core.audio_signal", "nussl.ml.networks.modules.blocks"):
        mod = sys.modules.get(modname)
        if mod is not None and hasattr(mod, "librosa"):
            mod.librosa = view
    return module, None


def import_nussl(warn: bool = True, retry: bool = False):
    """Return the ``nussl`` module, patched to work on a current stack, or ``None``.

    The first call does the work (a few seconds: nussl imports torch and musdb); later calls
    return the cached result. When nussl cannot be used, ``None`` is returned and, if
    ``warn``, a :class:`UserWarning` says why (once per session).

    Parameters
    ----------
    warn : bool
        Issue a :class:`UserWarning` (once) when nussl cannot be used.
    retry : bool
        Forget the cached result and try again (e.g. after installing nussl in a running
        session); the warning may then be issued again.

    Returns
    -------
    module or None
        The patched ``nussl`` package, or ``None`` when it cannot be used (see
        :func:`nussl_unavailable_reason`).
    """
    if retry:
        _state.update(done=False, module=None, reason=None, warned=False)
    if not _state["done"]:
        _state["module"], _state["reason"] = _import()
        _state["done"] = True
    if _state["module"] is None and warn and not _state["warned"]:
        warnings.warn(f"nussl is not available: {_state['reason']}", UserWarning, stacklevel=2)
        _state["warned"] = True
    return _state["module"]


def nussl_available() -> bool:
    """True when :func:`import_nussl` gives a working nussl (no warning is issued).

    Returns
    -------
    bool
        Whether nussl can be used here.
    """
    return import_nussl(warn=False) is not None


def nussl_unavailable_reason() -> str | None:
    """Why nussl cannot be used here (``None`` when it can): handy for ``pytest.skip``.

    Returns
    -------
    str or None
        The reason, with what to install, or ``None`` when nussl works.
    """
    import_nussl(warn=False)
    return _state["reason"]


def _require():
    nussl = import_nussl()
    if nussl is None:   # the environment lacks an optional package: not a bad argument
        raise DataError(f"This needs nussl: {_state['reason']}")
    return nussl


def stft_params(n_fft: int = 4096, hop_length: int = 1024, window: str = "hann"):
    """nussl ``STFTParams`` matching mssedu's ``stft(x, n_fft, hop_length, window)``.

    Parameters
    ----------
    n_fft : int
        Frame length (nussl's ``window_length``).
    hop_length : int
        Hop.
    window : str
        Window name (nussl's ``window_type``).

    Returns
    -------
    nussl.STFTParams
        The parameters.

    Raises
    ------
    DataError
        nussl cannot be used here (the message says why and what to install).
    """
    nussl = _require()
    return nussl.STFTParams(window_length=int(n_fft), hop_length=int(hop_length),
                            window_type=window)


def to_audio_signal(x, sr: int, n_fft: int = 4096, hop_length: int = 1024,
                    window: str = "hann"):
    """A nussl ``AudioSignal`` holding ``x`` (``(channels, samples)`` float), with STFT
    parameters set to ``n_fft``/``hop_length``/``window``.

    Parameters
    ----------
    x : array_like, shape ``(channels, samples)`` or ``(samples,)``
        The signal.
    sr : int
        Sample rate in Hz.
    n_fft : int
        STFT frame length.
    hop_length : int
        STFT hop.
    window : str
        STFT window name.

    Returns
    -------
    nussl.AudioSignal
        The signal, float64 ``(channels, samples)`` inside.

    Raises
    ------
    DataError
        nussl cannot be used here.
    """
    nussl = _require()
    x = as_signal(x, "x")
    if x.ndim == 1:
        x = x[None]
    return nussl.AudioSignal(audio_data_array=np.asarray(x, dtype=np.float64),
                             sample_rate=check_rate(sr),
                             stft_params=stft_params(n_fft, hop_length, window))


def from_audio_signal(signal, length: int | None = None) -> np.ndarray:
    """The samples of a nussl ``AudioSignal`` as mssedu's float32 ``(channels, samples)``,
    trimmed or zero-padded to ``length`` if given.

    Parameters
    ----------
    signal : nussl.AudioSignal
        A nussl signal (e.g. a separator's estimate).
    length : int, optional
        Exact length in samples.

    Returns
    -------
    np.ndarray
        float32 ``(channels, samples)``.
    """
    x = np.asarray(signal.audio_data, dtype=np.float32)
    if length is not None:
        x = x[..., :length]
        if x.shape[-1] < length:
            x = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(0, length - x.shape[-1])])
    return x
