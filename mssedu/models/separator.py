r"""A trained mask model (mini U-Net or band-split) behind the course's separator interface.

The band-split model computes the same thing as the mini U-Net -- one magnitude mask per
target from :math:`|X|` -- so both are separated the same way; :class:`BandSplitSeparator`
only adds its label and a check of the model's class.


``separate(signal)`` computes the STFT of the whole signal, runs the network over
overlapping chunks of frames (:mod:`mssedu.chunking`: fully convolutional, so any length
works, and chunks bound the memory), cross-fades the chunk masks, applies them to the
complex mixture STFT and inverts. With ``wiener=True`` the estimated magnitudes
:math:`\hat V_j = M_j |X|` (plus the accompaniment :math:`(1 - M)|X|` of a one-target
model) become Wiener gains :math:`\hat V_j^2 / \sum_k \hat V_k^2` -- the oracle Wiener mask's
formula (:func:`mssedu.masks.ideal_ratio_mask` with ``alpha=2``) fed with estimates.
"""
from __future__ import annotations

import numpy as np
import torch
from tqdm.auto import tqdm

from ..chunking import overlap_add
from ..audio import as_signal
from ..checks import check_bool
from ..config import torch_device
from ..errors import ParameterError
from ..masks import ideal_ratio_mask
from ..spectral import istft, stft
from .checkpoint import MODEL_KINDS, load_checkpoint
from .bandsplit import BandSplitModel
from .unet import MiniUNet

__all__ = ["UNetSeparator", "BandSplitSeparator", "separator_for"]


class UNetSeparator:
    """A trained :class:`MiniUNet` as a separator (:class:`mssedu.separation.Separator`).

    Parameters
    ----------
    model : MiniUNet
        Put in eval mode (dropout off, batch-norm running statistics).
    wiener : bool
        Wiener post-filter (see the module docstring): sharper masks, less bleed, a little
        more "musical noise".
    chunk_frames, overlap_frames : int, optional
        Chunk length and overlap in STFT frames (default: 4 patches, a quarter overlap).
    device : str
        ``"auto"`` (CUDA > MPS > CPU) or a torch device name.
    name : str, optional
        Label for tables.

    Attributes
    ----------
    name, sr, sources, channels
        See :class:`mssedu.separation.Separator`. ``sources`` is the model's targets, plus
        ``"accompaniment"`` (mixture minus the target) for a one-target model.

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.models import MiniUNet, UNetSeparator
    >>> sep = UNetSeparator(MiniUNet.from_preset("tiny"), device="cpu")   # untrained
    >>> out = sep.separate(np.zeros((2, 44100), np.float32), progress=False)
    >>> sorted(out), out["vocals"].shape
    (['accompaniment', 'vocals'], (2, 44100))
    """

    def __init__(self, model: MiniUNet, wiener: bool = False, chunk_frames: int | None = None,
                 overlap_frames: int | None = None, device="auto", name: str | None = None):
        accepted = tuple(kind.model for kind in MODEL_KINDS.values())
        if not isinstance(model, accepted):   # any registered mask model (mini U-Net, band-split...)
            raise ParameterError(f"{type(self).__name__} needs a mask model of a registered kind "
                                 f"({', '.join(c.__name__ for c in accepted)}), got "
                                 f"{type(model).__name__}; load one with mssedu.models.load_checkpoint(path).")
        self.model = model
        self.config = model.config
        self.device = torch_device(device)
        self.model.to(self.device).eval()
        self.wiener = check_bool(wiener, "wiener")
        try:
            self.chunk_frames = int(chunk_frames or 4 * self.config.patch_frames)
            self.overlap_frames = int(self.chunk_frames // 4 if overlap_frames is None else overlap_frames)
        except (TypeError, ValueError) as err:
            raise ParameterError(f"chunk_frames and overlap_frames must be whole numbers, got "
                                 f"{chunk_frames!r} and {overlap_frames!r}.") from err
        if self.chunk_frames < 1 or not 0 <= self.overlap_frames < self.chunk_frames // 2 + 1:
            raise ParameterError(f"Need chunk_frames >= 1 and 0 <= overlap_frames <= chunk_frames / 2, "
                                 f"got {self.chunk_frames} and {self.overlap_frames}.")
        self.name = name or self.default_name()
        self.sr = self.config.sr
        self.channels = self.config.audio_channels
        self.sources = list(self.config.targets)
        if len(self.sources) == 1:
            self.sources.append("accompaniment")

    def default_name(self) -> str:
        """The table label used when no ``name`` is given.

        Returns
        -------
        str
            E.g. ``"mini U-Net (vocals)"``, ``"mini U-Net (vocals, Wiener)"``.
        """
        return f"mini U-Net ({'+'.join(self.config.targets)}{', Wiener' if self.wiener else ''})"

    @classmethod
    def from_checkpoint(cls, path, which: str = "best", **kwargs) -> "UNetSeparator":
        """Load a checkpoint (``weights_only=True``) and wrap it.

        Parameters
        ----------
        path : str or Path
            A checkpoint written by :func:`mssedu.models.train` or :func:`mssedu.models.save_checkpoint`.
        which : {"best", "last"}
            Which weights of the checkpoint.
        **kwargs
            :class:`UNetSeparator`'s other arguments.

        Returns
        -------
        UNetSeparator
        """
        model, _ = load_checkpoint(path, which=which)
        return cls(model, **kwargs)

    @property
    def hop_samples(self) -> int:
        """Samples between the starts of two network chunks: windows of a long song that
        start on this grid give exactly the single-pass result."""
        return self.config.hop_length * max(self.chunk_frames - self.overlap_frames, 1)

    def _check_signal(self, signal) -> np.ndarray:
        x = as_signal(signal, "signal", min_samples=self.config.n_fft)
        if x.ndim != 2 or x.shape[0] != self.config.audio_channels:
            raise ParameterError(
                f"This model separates {self.config.audio_channels}-channel signals shaped "
                f"(channels, samples); got shape {x.shape}. Use mssedu.audio.to_stereo / to_mono, "
                "or mssedu.separation.separate, which converts for you.")
        return x

    def predict_mask(self, signal, progress: bool = False) -> np.ndarray:
        """The network's masks for ``signal``, before any Wiener post-filter.

        Parameters
        ----------
        signal : numpy.ndarray
            float32 ``(channels, samples)`` at ``self.sr``.
        progress : bool
            Show a bar over the chunks.

        Returns
        -------
        numpy.ndarray
            ``(targets, channels, freq, frames)`` in [0, 1], on the model's STFT grid.
        """
        x = self._check_signal(signal)
        X = stft(torch.from_numpy(x).to(self.device), self.config.n_fft, self.config.hop_length)
        return self._masks(X.abs(), progress).cpu().numpy()

    def source_magnitudes(self, mixture) -> torch.Tensor:
        r"""Magnitude estimates of every source, the input of phase reconstruction.

        :math:`\hat A_j = M_j |X|` for each target, plus :math:`(1 - M)|X|` for the
        accompaniment of a one-target model (in the order of ``self.sources``): what
        :func:`mssedu.phase.misi` and :class:`mssedu.phase.UnfoldedMISI` take.

        Parameters
        ----------
        mixture : numpy.ndarray or torch.Tensor
            A song, float32 ``(channels, samples)`` (numpy: chunked, as :meth:`separate`),
            or a batch of short excerpts ``(batch, channels, samples)`` (torch: one pass,
            for training).

        Returns
        -------
        torch.Tensor
            ``(sources, [batch,] channels, freq, frames)`` float32 on ``self.device``,
            without gradient.
        """
        cfg = self.config
        if isinstance(mixture, torch.Tensor):
            if mixture.ndim != 3 or mixture.shape[1] != cfg.audio_channels:
                raise ParameterError(f"A torch mixture must be (batch, {cfg.audio_channels}, samples), "
                                     f"got shape {tuple(mixture.shape)}.")
            mag = stft(mixture.to(self.device), cfg.n_fft, cfg.hop_length).abs()
            with torch.no_grad():
                _, mask = self.model(mag, return_mask=True)
            mask = mask.movedim(1, 0)                            # (targets, batch, C, F, N)
        else:
            x = self._check_signal(mixture)
            mag = stft(torch.from_numpy(x).to(self.device), cfg.n_fft, cfg.hop_length).abs()
            mask = self._masks(mag, progress=False)              # (targets, C, F, N)
        est = mask * mag
        if len(cfg.targets) == 1:
            est = torch.cat([est, (1 - mask) * mag])
        return est.float()

    def _masks(self, mag, progress: bool):
        """Chunked, cross-faded masks ``(targets, channels, freq, frames)`` of a
        ``(channels, freq, frames)`` magnitude."""
        def process(a, b):
            _, m = self.model(mag[None, :, :, a:b], return_mask=True)
            return m[0].float()

        bar = None
        n = mag.shape[-1]
        if progress and n > self.chunk_frames:
            bar = tqdm(total=-(-n // max(self.chunk_frames - self.overlap_frames, 1)),
                       desc="U-Net chunks", leave=False)
        try:
            with torch.no_grad():
                return overlap_add(process, n, self.chunk_frames, self.overlap_frames,
                                   progress=(lambda k, total: bar.update(1)) if bar else None)
        finally:
            if bar is not None:
                bar.close()

    def _wiener_gains(self, mask, mag) -> np.ndarray:
        est = (mask * mag).cpu().numpy()                           # (S, C, F, N)
        if est.shape[0] == 1:
            est = np.concatenate([est, ((1 - mask) * mag).cpu().numpy()], axis=0)
        power = est.astype(np.float64) ** 2
        gains = []
        for j in range(len(self.config.targets)):
            others = np.sqrt(np.maximum(power.sum(axis=0) - power[j], 0.0))
            gains.append(ideal_ratio_mask(est[j], others, alpha=2))
        return np.stack(gains).astype(np.float32)

    def separate(self, signal, progress: bool = True) -> dict:
        """Separate ``signal`` into its sources.

        Parameters
        ----------
        signal : numpy.ndarray
            float32 ``(channels, samples)`` at ``self.sr``, ``channels`` as the model's.
        progress : bool
            Show a bar over the chunks (long signals).

        Returns
        -------
        dict
            ``{source: (channels, samples) float32 array}`` for each of ``self.sources``.
        """
        x = self._check_signal(signal)
        cfg = self.config
        X = stft(torch.from_numpy(x).to(self.device), cfg.n_fft, cfg.hop_length)
        mask = self._masks(X.abs(), progress)                     # (S, C, F, N)
        if self.wiener:
            mask = torch.from_numpy(self._wiener_gains(mask, X.abs())).to(X.device)
        out = {}
        for j, name in enumerate(cfg.targets):
            y = istft(mask[j] * X, cfg.hop_length, length=x.shape[-1], n_fft=cfg.n_fft)
            out[name] = y.cpu().numpy().astype(np.float32)
        if len(cfg.targets) == 1:
            out["accompaniment"] = (x - out[cfg.targets[0]]).astype(np.float32)
        return out

    def __repr__(self) -> str:
        return (f"UNetSeparator({self.name!r}, sr={self.sr}, sources={self.sources}, "
                f"{self.model.num_parameters():,} parameters)")


class BandSplitSeparator(UNetSeparator):
    """A trained :class:`BandSplitModel` as a separator (:class:`mssedu.separation.Separator`).

    Parameters
    ----------
    model : BandSplitModel
        Put in eval mode.
    wiener : bool
        Wiener post-filter (as :class:`UNetSeparator`).
    chunk_frames, overlap_frames : int, optional
        Chunk length and overlap in STFT frames (default: 4 patches, a quarter overlap).
        The sequence modules see one chunk at a time.
    device : str
        ``"auto"`` or a torch device name.
    name : str, optional
        Label for tables.

    Examples
    --------
    >>> import numpy as np
    >>> from mssedu.models import BandSplitModel, BandSplitSeparator
    >>> sep = BandSplitSeparator(BandSplitModel.from_preset("tiny"), device="cpu")  # untrained
    >>> out = sep.separate(np.zeros((2, 44100), np.float32), progress=False)
    >>> sorted(out), out["vocals"].shape
    (['accompaniment', 'vocals'], (2, 44100))
    """

    def __init__(self, model: BandSplitModel, wiener: bool = False, chunk_frames: int | None = None,
                 overlap_frames: int | None = None, device="auto", name: str | None = None):
        if not isinstance(model, BandSplitModel):
            raise ParameterError(f"BandSplitSeparator needs a BandSplitModel, got {type(model).__name__}; "
                                 "load one with mssedu.separation.load_separator(path).")
        super().__init__(model, wiener=wiener, chunk_frames=chunk_frames,
                         overlap_frames=overlap_frames, device=device, name=name)

    def default_name(self) -> str:
        """The table label used when no ``name`` is given.

        Returns
        -------
        str
            E.g. ``"band-split roformer (vocals)"``.
        """
        return (f"band-split {self.config.block} ({'+'.join(self.config.targets)}"
                f"{', Wiener' if self.wiener else ''})")

    @classmethod
    def from_checkpoint(cls, path, which: str = "best", **kwargs) -> "BandSplitSeparator":
        """Load a band-split checkpoint and wrap it.

        Parameters
        ----------
        path : str or Path
            Written by :func:`mssedu.models.train` with ``model_kind="bandsplit"``.
        which : {"best", "last"}
        **kwargs
            :class:`BandSplitSeparator`'s other arguments.

        Returns
        -------
        BandSplitSeparator
        """
        model, _ = load_checkpoint(path, which=which)
        return cls(model, **kwargs)


def separator_for(model, **kwargs):
    """The separator of ``model``'s kind, wrapping it.

    Parameters
    ----------
    model : MiniUNet or BandSplitModel
        A trained mask model.
    **kwargs
        The separator's other arguments (``wiener``, ``device``...).

    Returns
    -------
    UNetSeparator or BandSplitSeparator

    Examples
    --------
    >>> type(separator_for(BandSplitModel.from_preset("tiny"), device="cpu")).__name__
    'BandSplitSeparator'
    """
    return (BandSplitSeparator if isinstance(model, BandSplitModel) else UNetSeparator)(model, **kwargs)
