r"""Open-Unmix (Stöter, Uhlich, Liutkus & Mitsufuji, 2019): one BiLSTM per source, Wiener-filtered.

Open-Unmix is the reference implementation of the sigsep community. Each source :math:`j`
has its own network that maps the mixture's magnitude spectrogram :math:`|X|` (4096-point
STFT, hop 1024, both channels) to a non-negative mask,

.. math::  \hat V_j = \mathrm{ReLU}\big(f_j(|X|)\big) \odot |X|,

where :math:`f_j` crops the bins below 16 kHz, standardises them, encodes each frame
(linear, batch norm, tanh), runs a 3-layer bidirectional LSTM over the frames, adds the
encoder output back (skip connection), and decodes to all bins of both channels. The four
magnitude estimates then drive a multichannel Wiener filter (one EM iteration, sigsep's
``norbert``), so the complex stems sum to the mixture. ``umxhq`` (trained on MUSDB18-HQ,
512 hidden units, ~6.3 dB SDR) and ``umxl`` (1024 units, trained on extra data) are
published by sigsep as one state dict per source (:data:`UMX_MODELS`).

This module is mssedu's own implementation of that architecture (the ``openunmix``
package needs ``torchaudio``, which the course does not install). Its parameter names are
those of the published state dicts, so the files load unchanged
(:mod:`~mssedu.separation.families` finds, downloads and checks them).

References
----------
Stöter, F.-R., Uhlich, S., Liutkus, A. & Mitsufuji, Y. (2019). Open-Unmix - A Reference
Implementation for Music Source Separation. Journal of Open Source Software, 4(41), 1667.

Examples
--------
>>> sep = random_openunmix("umxhq", hidden_size=16)
>>> sep.sources, sep.sr, sep.channels
(['vocals', 'drums', 'bass', 'other'], 44100, 2)
"""
from __future__ import annotations

import norbert
import numpy as np
import torch
from torch import nn

from ..audio import as_signal
from ..config import torch_device
from ..errors import ParameterError

__all__ = ["UMX_MODELS", "UMX_SOURCES", "UMX_N_FFT", "UMX_HOP", "max_bin", "OpenUnmixNet",
           "OpenUnmixSeparator", "random_openunmix", "umx_architecture"]

#: The sources of sigsep's models, in the order their separator returns them.
UMX_SOURCES = ["vocals", "drums", "bass", "other"]
#: STFT of every published Open-Unmix model (44.1 kHz: 93 ms frames, 23 ms hop).
UMX_N_FFT, UMX_HOP = 4096, 1024
#: Frames per block of the Wiener filter (as ``openunmix``'s ``wiener_win_len``).
WIENER_BLOCK = 300

#: The published models: label, hidden size, the Zenodo record's folder and one state dict
#: per source. The part of each name after the dash is the first 8 hex digits of the
#: file's SHA-256: torch hub's naming convention, and the only checksum sigsep publishes
#: with the files (``openunmix/__init__.py``: ``load_state_dict_from_url(..., check_hash)``).
UMX_MODELS = {
    "umxhq": dict(label="Open-Unmix (UMX-HQ)", hidden_size=512,
                  url="https://zenodo.org/records/3370489/files/",
                  files={"vocals": "vocals-b62c91ce.pth", "drums": "drums-9619578f.pth",
                         "bass": "bass-8d85a5bd.pth", "other": "other-b52fbbf7.pth"}),
    "umxl": dict(label="Open-Unmix (UMX-L)", hidden_size=1024,
                 url="https://zenodo.org/records/5069601/files/",
                 files={"vocals": "vocals-bccbd9aa.pth", "drums": "drums-69e0ebd4.pth",
                        "bass": "bass-2ca1ce51.pth", "other": "other-c8c5b3e6.pth"}),
}


def max_bin(sr: float = 44100.0, n_fft: int = UMX_N_FFT, bandwidth: float = 16000.0) -> int:
    """How many STFT bins lie at or below ``bandwidth`` Hz (the bins Open-Unmix looks at).

    Parameters
    ----------
    sr : float
        Sample rate (Hz).
    n_fft : int
        FFT size.
    bandwidth : float
        Highest frequency kept (Hz).

    Returns
    -------
    int
        ``1 + max{k : k sr / n_fft <= bandwidth}``.

    Examples
    --------
    >>> max_bin()
    1487
    """
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    return int(np.flatnonzero(freqs <= bandwidth).max()) + 1


class OpenUnmixNet(nn.Module):
    """One source's network: mixture magnitude ``(batch, channels, bins, frames)`` -> that
    source's magnitude, same shape (see the module docstring for the layers).

    Parameters
    ----------
    nb_bins : int
        Bins of the STFT (``n_fft // 2 + 1``).
    nb_channels : int
        Audio channels.
    hidden_size : int
        Width of the encoder, LSTM (both directions together) and decoder.
    nb_layers : int
        LSTM layers.
    crop_bins : int, optional
        Bins the network reads (default all); it writes all of them.
    """

    def __init__(self, nb_bins: int = UMX_N_FFT // 2 + 1, nb_channels: int = 2, hidden_size: int = 512,
                 nb_layers: int = 3, crop_bins: int | None = None):
        super().__init__()
        self.nb_output_bins, self.nb_bins = nb_bins, crop_bins or nb_bins
        self.nb_channels, self.hidden_size = nb_channels, hidden_size
        self.fc1 = nn.Linear(self.nb_bins * nb_channels, hidden_size, bias=False)
        self.bn1 = nn.BatchNorm1d(hidden_size)
        # bidirectional: each direction has half the units, concatenated back to hidden_size
        self.lstm = nn.LSTM(hidden_size, hidden_size // 2, num_layers=nb_layers, bidirectional=True,
                            dropout=0.4 if nb_layers > 1 else 0.0)
        self.fc2 = nn.Linear(2 * hidden_size, hidden_size, bias=False)
        self.bn2 = nn.BatchNorm1d(hidden_size)
        self.fc3 = nn.Linear(hidden_size, nb_bins * nb_channels, bias=False)
        self.bn3 = nn.BatchNorm1d(nb_bins * nb_channels)
        # the published files store -mean and 1/scale of the training data per bin
        self.input_mean = nn.Parameter(torch.zeros(self.nb_bins))
        self.input_scale = nn.Parameter(torch.ones(self.nb_bins))
        self.output_scale = nn.Parameter(torch.ones(nb_bins))
        self.output_mean = nn.Parameter(torch.ones(nb_bins))

    def forward(self, mag: torch.Tensor) -> torch.Tensor:
        """The source's magnitude estimate.

        Parameters
        ----------
        mag : torch.Tensor
            ``(batch, channels, bins, frames)``, non-negative.

        Returns
        -------
        torch.Tensor
            Same shape: ``ReLU(network) * mag``.
        """
        x = mag.permute(3, 0, 1, 2)                      # (frames, batch, channels, bins)
        frames, batch, channels, _ = x.shape
        h = (x[..., :self.nb_bins] + self.input_mean) * self.input_scale
        h = self.bn1(self.fc1(h.reshape(frames * batch, -1)))
        h = torch.tanh(h.reshape(frames, batch, self.hidden_size))
        h = torch.cat([h, self.lstm(h)[0]], dim=-1)      # skip connection around the LSTM
        h = torch.relu(self.bn2(self.fc2(h.reshape(frames * batch, -1))))
        h = self.bn3(self.fc3(h)).reshape(frames, batch, channels, self.nb_output_bins)
        h = h * self.output_scale + self.output_mean
        return (torch.relu(h) * x).permute(1, 2, 3, 0)


def umx_architecture(hidden_size: int = 512) -> dict:
    """Constructor arguments of a published Open-Unmix network (stereo, 44.1 kHz, 16 kHz crop).

    Parameters
    ----------
    hidden_size : int
        512 (``umxhq``) or 1024 (``umxl``).

    Returns
    -------
    dict
        Keyword arguments of :class:`OpenUnmixNet`.
    """
    return dict(nb_bins=UMX_N_FFT // 2 + 1, nb_channels=2, hidden_size=int(hidden_size),
                nb_layers=3, crop_bins=max_bin())


class OpenUnmixSeparator:
    """Open-Unmix networks (one per source) behind the course's separator interface.

    Parameters
    ----------
    nets : dict
        ``{source: OpenUnmixNet}`` (eval mode is set here).
    name : str
        Label for tables.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``...
    iterations : int
        EM iterations of the multichannel Wiener filter (1 as published; 0: the magnitudes
        with the mixture's phase).

    Attributes
    ----------
    name, sr, channels, sources, device, nets
    """

    sr = 44100

    def __init__(self, nets: dict, name: str = "Open-Unmix", device="auto", iterations: int = 1):
        if not nets or not all(isinstance(n, OpenUnmixNet) for n in nets.values()):
            raise ParameterError("nets must map source names to OpenUnmixNet networks.")
        if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
            raise ParameterError(f"iterations must be an integer >= 0, got {iterations!r}.")
        self.device = torch_device(device)
        self.nets = nn.ModuleDict(nets).eval().to(self.device)
        self.name, self.iterations = name, iterations
        self.sources = list(nets)
        self.channels = next(iter(nets.values())).nb_channels

    def spectrogram(self, signal: np.ndarray) -> torch.Tensor:
        """The STFT every published model was trained with.

        Parameters
        ----------
        signal : numpy.ndarray
            float32 ``(channels, samples)``.

        Returns
        -------
        torch.Tensor
            complex64 ``(channels, bins, frames)``: periodic Hann, centred with reflection.
        """
        x = torch.from_numpy(np.ascontiguousarray(signal, dtype=np.float32))
        return torch.stft(x, UMX_N_FFT, UMX_HOP, window=torch.hann_window(UMX_N_FFT), center=True,
                          pad_mode="reflect", return_complex=True)

    def separate(self, signal, progress: bool = True) -> dict:
        """Separate ``signal`` into the model's sources.

        Parameters
        ----------
        signal : numpy.ndarray
            float32 ``(channels, samples)`` at 44.1 kHz.
        progress : bool
            Unused (one pass over the song).

        Returns
        -------
        dict
            ``{source: (channels, samples) float32}``; with ``iterations >= 0`` and more
            than one source they sum to the mixture (Wiener filter).
        """
        x = as_signal(signal, "signal")
        if x.ndim != 2 or x.shape[0] != self.channels:
            raise ParameterError(f"{self.name} separates {self.channels}-channel signals shaped "
                                 f"(channels, samples); got shape {x.shape}. Use "
                                 "mssedu.separation.separate, which converts channels and rates.")
        X = self.spectrogram(x)                                        # (C, F, N)
        with torch.no_grad():
            mag = X.abs()[None].to(self.device)
            V = torch.stack([net(mag)[0] for net in self.nets.values()], dim=-1).cpu().double()
        v = V.permute(2, 1, 0, 3).numpy()                              # (N, F, C, J)
        mix = X.permute(2, 1, 0).numpy().astype(np.complex128)         # (N, F, C)
        Y = np.zeros(mix.shape + (len(self.sources),), np.complex128)
        for a in range(0, mix.shape[0], WIENER_BLOCK):                 # frames in blocks, as published
            b = a + WIENER_BLOCK
            if len(self.sources) > 1:      # norbert divides its x argument in place: a copy
                Y[a:b] = norbert.wiener(v[a:b], mix[a:b].copy(), self.iterations)
            else:
                Y[a:b] = v[a:b] * np.exp(1j * np.angle(mix[a:b]))[..., None]
        window = torch.hann_window(UMX_N_FFT, dtype=torch.float64)
        out = {}
        for j, source in enumerate(self.sources):
            S = torch.from_numpy(np.ascontiguousarray(Y[..., j].transpose(2, 1, 0)))
            y = torch.istft(S, UMX_N_FFT, UMX_HOP, window=window, center=True, length=x.shape[-1])
            out[source] = y.numpy().astype(np.float32)
        return out

    def __repr__(self) -> str:
        n = sum(p.numel() for p in self.nets.parameters())
        return f"OpenUnmixSeparator({self.name!r}, sources={self.sources}, {n:,} parameters, device={self.device})"


def random_openunmix(name: str = "umxhq", seed: int = 0, device="cpu", **overrides) -> OpenUnmixSeparator:
    """Open-Unmix model ``name`` in its real architecture with random weights.

    For tests and demos without the trained weights: the same shapes and cost, meaningless
    stems (labelled "random weights").

    Parameters
    ----------
    name : str
        ``"umxhq"`` or ``"umxl"`` (:data:`UMX_MODELS`).
    seed : int
        Seeds the weights (the global torch generator is left as it was).
    device : str
        Where it runs.
    **overrides
        :class:`OpenUnmixNet` arguments to change (``hidden_size=16`` for a fast toy).

    Returns
    -------
    OpenUnmixSeparator

    Raises
    ------
    ParameterError
        Not a name of :data:`UMX_MODELS`.
    """
    if name not in UMX_MODELS:
        raise ParameterError(f"No Open-Unmix model {name!r}; choose one of {sorted(UMX_MODELS)}.")
    spec = UMX_MODELS[name]
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        nets = {s: OpenUnmixNet(**{**umx_architecture(spec["hidden_size"]), **overrides})
                for s in UMX_SOURCES}
    finally:
        torch.random.set_rng_state(state)
    return OpenUnmixSeparator(nets, name=f"{spec['label']} (random weights)", device=device)
