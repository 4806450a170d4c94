"""A trained band-split model behind the course's separator interface.

The band-split model computes the same thing as the mini U-Net -- one magnitude mask per
target from :math:`|X|` -- so it is separated exactly as the U-Net is (chunks of frames,
cross-faded masks, mixture phase or Wiener post-filter): :class:`BandSplitSeparator` is
:class:`mssedu.unet.UNetSeparator` (which takes any registered mask model), with its own
label and a check that the model is a :class:`BandSplitModel`.
"""
from __future__ import annotations

from ..errors import ParameterError
from ..unet import UNetSeparator, load_checkpoint
from .model import BandSplitModel

__all__ = ["BandSplitSeparator"]


class BandSplitSeparator(UNetSeparator):
    """A trained :class:`BandSplitModel` as a separator (:class:`mssedu.separation.Separator`).

    Parameters
    ----------
    model : BandSplitModel
        Put in eval mode.
    wiener : bool
        Wiener post-filter (as :class:`mssedu.unet.UNetSeparator`).
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
    >>> from mssedu.bandsplit import BandSplitModel, BandSplitSeparator
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
            Written by :func:`mssedu.unet.train` with ``model_kind="bandsplit"``.
        which : {"best", "last"}
        **kwargs
            :class:`BandSplitSeparator`'s other arguments.

        Returns
        -------
        BandSplitSeparator
        """
        model, _ = load_checkpoint(path, which=which)
        return cls(model, **kwargs)
