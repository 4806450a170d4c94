r"""The projection onto consistent spectrograms, written to be iterated fast.

Not every complex array :math:`Y` of shape ``(freq, frames)`` is the STFT of a signal: the
frames overlap, so their contents must agree. The **consistent** spectrograms form the set
:math:`\mathcal{C} = \{\mathrm{STFT}(x)\}`, and the closest consistent spectrogram to
:math:`Y` (in the Frobenius norm) is

.. math:: P_{\mathcal{C}}(Y) = \mathrm{STFT}\big(\mathrm{iSTFT}(Y)\big),

because the weighted overlap-add iSTFT,

.. math::

    \mathrm{iSTFT}(Y)[n] = \frac{\sum_m w[n - mH]\; y_m[n - mH]}{\sum_m w^2[n - mH]},
    \qquad y_m = \mathrm{IDFT}(Y[:, m]),

returns the signal whose STFT is closest to :math:`Y` in the least-squares sense
(Griffin & Lim, 1984, eq. 6). Griffin-Lim and MISI apply :math:`P_{\mathcal{C}}` once per
iteration, so its cost is most of theirs.

:class:`ConsistentProjection` computes exactly :func:`mssedu.spectral.istft` followed by
:func:`mssedu.spectral.stft` (the tests hold the two together to float32 rounding), in torch,
rearranged so that an iteration costs little more than its two FFTs. The readable version of
the same operator is the one-liner ``stft(istft(Y))`` in :mod:`mssedu.phase.textbook`.
"""
from __future__ import annotations

import torch

from ..spectral import get_window

__all__ = ["ConsistentProjection", "frames_major", "CPU_BLOCK_BINS"]

#: On the CPU, spectrograms are processed this many complex bins at a time (2 MiB): a block
#: and its FFTs stay in the cache, and the allocator recycles block-sized temporaries
#: instead of page-faulting fresh memory in (which, for a whole song, costs about as much
#: as the FFTs themselves).
CPU_BLOCK_BINS = 2 ** 18


def frames_major(T):
    """``(..., freq, frames)`` -> a contiguous ``(rows, frames, freq)`` copy, the layout
    that :class:`ConsistentProjection` works in.

    Parameters
    ----------
    T : torch.Tensor
        ``(..., freq, frames)``; the leading axes are flattened into ``rows``.

    Returns
    -------
    torch.Tensor
        ``(rows, frames, freq)``, contiguous.

    Examples
    --------
    >>> import torch
    >>> from mssedu.phase.projection import frames_major
    >>> tuple(frames_major(torch.zeros(2, 3, 257, 10)).shape)
    (6, 10, 257)
    """
    return T.reshape((-1,) + tuple(T.shape[-2:])).transpose(-1, -2).contiguous()


class ConsistentProjection:
    r""":math:`P_{\mathcal{C}}(Y) = \mathrm{STFT}(\mathrm{iSTFT}(Y))`, written for iterating.

    How it is made fast:

    - spectrograms are kept **frames-major**, ``(rows, frames, freq)`` (see
      :func:`frames_major`): the layout the FFTs read and write, so nothing is transposed
      inside the loop;
    - the signal lives in the STFT's *padded* coordinates (``n_fft // 2`` zeros either side
      when ``center``), so the iSTFT's trimming and the STFT's padding become one multiply
      by :attr:`envelope`: :math:`1 / \sum_m w^2[n - mH]` on the samples the signal has, 0 on
      the padding;
    - the overlap-add is ``ceil(n_fft / hop)`` additions of hop-long pieces, not one per frame;
    - on the CPU, frames are handled a block at a time (:data:`CPU_BLOCK_BINS` bins); on a
      GPU, all at once.

    An iteration reads one signal and writes the next, block by block, so that a block is
    still in the cache when it is changed and synthesised again::

        for frames, X in project.analyse(y):      # X = STFT(y)[:, frames]
            project.overlap_add(frames, f(X))     # iSTFT, into the next signal
        y = project.next_signal()

    :meth:`synthesise` is the iSTFT of a whole spectrogram, :meth:`signal` the samples of a
    padded signal that the iSTFT returns.

    Parameters
    ----------
    n_fft, hop : int
        Frame length and hop of the STFT.
    window : str or array
        Analysis window (see :func:`mssedu.spectral.get_window`).
    center : bool
        Whether the STFT centres its frames (pads ``n_fft // 2`` zeros either side).
    n_frames : int
        Frames of the spectrograms.
    length : int
        Samples of the signals.
    rows : int
        Spectrograms (or signals) processed together.
    device : torch.device or str
        Where the tensors live.
    block_bins : int, optional
        Complex bins per block on the CPU; default :data:`CPU_BLOCK_BINS` (read when the
        projection is made).
    """

    def __init__(self, n_fft, hop, window, center, n_frames, length, rows, device,
                 block_bins=None):
        self.n_fft, self.hop, self.n_frames, self.length = n_fft, hop, n_frames, length
        self.start = n_fft // 2 if center else 0
        self.window = torch.from_numpy(get_window(window, n_fft)).to(device)
        self.overlap = -(-n_fft // hop)            # hop-long pieces per frame
        # enough hop-long pieces for every frame and every sample of the signal
        n_pieces = max(n_frames + self.overlap - 1, -(-(self.start + length) // hop))
        wss = torch.zeros(1, n_pieces * hop, device=device)
        self._add(wss, self.window.square().expand(1, n_frames, n_fft), 0)
        wss = wss[0]
        envelope = torch.where(wss > 1e-11, 1.0 / wss.clamp_min(1e-11), torch.ones_like(wss))
        envelope[: self.start] = 0.0
        envelope[self.start + length:] = 0.0
        self.envelope = envelope
        # two signals: the one being analysed and the next one being overlap-added
        self._next = torch.zeros(rows, n_pieces * hop, device=device)
        self._current = torch.zeros_like(self._next)
        per_frame = rows * (n_fft // 2 + 1)
        on_cpu = self._next.device.type == "cpu"
        block_bins = CPU_BLOCK_BINS if block_bins is None else block_bins
        step = max(1, block_bins // per_frame) if on_cpu else n_frames
        self.blocks = [slice(a, min(a + step, n_frames)) for a in range(0, n_frames, step)]

    def _add(self, y, frames, first, weights=None):
        """Overlap-add ``frames`` ``(rows, m, n_fft)`` into ``y`` ``(rows, samples)``, frame
        ``first + i`` at sample ``(first + i) * hop``, each multiplied by ``weights``
        ``(n_fft,)`` if given (the synthesis window, fused into the addition)."""
        hop, m = self.hop, frames.shape[-2]
        pieces = y.view(y.shape[0], -1, hop)
        for j in range(self.overlap):   # the j-th hop-long piece of every frame at once
            piece = frames[..., j * hop:(j + 1) * hop]
            # add_ on the view, not `+=`: Python's `a[i] += b` also copies the result back
            # into a[i], a second pass over the block
            target = pieces[:, first + j:first + j + m, :piece.shape[-1]]
            if weights is None:
                target.add_(piece)
            else:
                target.addcmul_(piece, weights[j * hop:j * hop + piece.shape[-1]])

    def overlap_add(self, frames, Y) -> None:
        """Add the iSTFT frames of a block of a spectrogram to the next signal.

        Parameters
        ----------
        frames : slice
            Which frames ``Y`` holds (one of :attr:`blocks`).
        Y : torch.Tensor
            complex ``(rows, len(frames), freq)``.
        """
        self._add(self._next, torch.fft.irfft(Y, n=self.n_fft), frames.start, self.window)

    def next_signal(self):
        """Finish the next signal (divide by the window envelope) and return it.

        Returns
        -------
        torch.Tensor
            ``(rows, samples)`` in padded coordinates; it is kept until the next call (no
            copy is made).
        """
        y = self._next.mul_(self.envelope)
        self._next, self._current = self._current.zero_(), y
        return y

    def synthesise(self, Y):
        """iSTFT of a whole spectrogram.

        Parameters
        ----------
        Y : torch.Tensor
            complex ``(rows, frames, freq)``.

        Returns
        -------
        torch.Tensor
            ``(rows, samples)`` in padded coordinates (see :meth:`next_signal`).
        """
        for frames in self.blocks:
            self.overlap_add(frames, Y[:, frames])
        return self.next_signal()

    def analyse(self, y):
        """STFT of a padded-coordinates signal, block by block.

        Parameters
        ----------
        y : torch.Tensor
            ``(rows, samples)`` in padded coordinates.

        Yields
        ------
        frames : slice
            The frames of this block.
        X : torch.Tensor
            complex ``(rows, len(frames), freq)``: ``STFT(y)[:, frames]``.
        """
        all_frames = y.unfold(-1, self.n_fft, self.hop)          # a view, no copy
        for frames in self.blocks:
            yield frames, torch.fft.rfft(all_frames[:, frames] * self.window)

    def signal(self, y):
        """The samples of a padded-coordinates signal that the iSTFT returns.

        Parameters
        ----------
        y : torch.Tensor
            ``(rows, samples)`` in padded coordinates.

        Returns
        -------
        torch.Tensor
            A new ``(rows, length)`` tensor.
        """
        return y[:, self.start:self.start + self.length].clone()

    def pad(self, x):
        """A signal in padded coordinates (zeros where the STFT pads).

        Parameters
        ----------
        x : torch.Tensor
            ``(rows, length)``, ``rows`` at most the projection's.

        Returns
        -------
        torch.Tensor
            ``(rows, samples)``.
        """
        y = torch.zeros_like(self._next[: x.shape[0]])
        y[:, self.start:self.start + self.length] = x
        return y
