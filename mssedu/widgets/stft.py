"""Widgets for chapter 1: the STFT's time-frequency trade-off, overlap-add (COLA), and the CQT.

Each factory returns an ``ipywidgets`` box, already drawn once (so it works in a notebook
executed headless, and the first picture is there before anyone touches a control). The
figures come from :mod:`mssedu.plot.stft`; the maths from :mod:`mssedu.spectral`.

>>> import mssedu
>>> box = mssedu.widgets.stft_explorer(mssedu.data.example_track())
"""
from __future__ import annotations

import ipywidgets as w
import numpy as np
from IPython.display import Image

from ..errors import ParameterError
from ..plot.core import LiveFigure
from ..plot.stft import (cola_figure, cqt_vs_stft_images, cqt_vs_stft_live_figure, resolution_figure,
                         update_cqt_vs_stft_figure, update_resolution_figure, window_sum)
from ..spectral import check_cola, constant_q_kernel, cqt, icqt, istft, stft
from .core import WIDE_LABEL, audio_player, figure_output, show_figure

__all__ = ["stft_explorer", "cola_explorer", "cqt_explorer"]

WINDOWS = ("hann", "hamming", "blackman", "boxcar")
HOP_FRACTIONS = (("N/8", 8), ("N/4", 4), ("N/3", 3), ("N/2", 2), ("3N/4", 4 / 3), ("N", 1))


def _mono(x):
    x = np.asarray(x)
    return x.mean(axis=0) if x.ndim == 2 else x


def _excerpt(track, seconds):
    if seconds is None or seconds >= track.duration:
        return track
    # start a little in, where every stem plays in the example track
    start = min(max(0.0, track.duration - seconds), 1.0)
    return track.excerpt(start, seconds)


def stft_explorer(track, stems=("drums", "vocals"), seconds: float | None = 3.0,
                  fmax: float = 5000.0, n_fft: int = 2048, hop: str = "N/4", window: str = "hann"):
    """Sliders for ``n_fft``, hop and window over the spectrograms of two stems side by side.

    Short windows draw the drums' hits as sharp vertical lines but smear the voice's
    harmonics; long windows resolve the harmonics (horizontal lines ``f0`` apart) and smear
    the hits. The readout gives the numbers behind it: bin spacing ``sr / n_fft`` in Hz,
    frame length ``n_fft / sr`` in ms, frame count, and the reconstruction error of
    ``istft(stft(x))`` (perfect for every setting: the trade-off is in what we *see*).

    Parameters
    ----------
    track : Track
        The multitrack (:class:`mssedu.data.Track`).
    stems : sequence of str
        The two stems shown.
    seconds : float or None
        Length of the excerpt (``None``: all).
    fmax : float
        Highest frequency shown.
    n_fft : int
        Initial frame length.
    hop : str
        Initial hop, as a fraction of ``n_fft`` (``"N/4"``).
    window : str
        Initial window.

    Returns
    -------
    ipywidgets.VBox
        The explorer, ready to display (its first state is computed at once, so it also works
        without a browser).
    """
    missing = [s for s in stems if s not in track.stems]
    if missing:
        raise ParameterError(f"stft_explorer: stems {missing} are not in this track; it has {track.stem_names}.")
    clip = _excerpt(track, seconds)
    signals = {name: _mono(clip.stems[name]) for name in stems}
    sr = clip.sr

    n_fft_slider = w.SelectionSlider(options=[256, 512, 1024, 2048, 4096, 8192], value=n_fft,
                                     description="n_fft", continuous_update=False)
    hop_slider = w.SelectionSlider(options=[h for h, _ in HOP_FRACTIONS], value=hop,
                                   description="hop", continuous_update=False)
    window_menu = w.Dropdown(options=list(WINDOWS), value=window, description="window")
    readout = w.HTML(layout=w.Layout(min_height="3em"))
    readout.add_class("mssedu-stft-readout")
    out = figure_output()
    live = {}

    def update(_=None):
        N = int(n_fft_slider.value)
        H = max(1, int(round(N / dict(HOP_FRACTIONS)[hop_slider.value])))
        win = window_menu.value
        if not live:   # drawn once; a move swaps the spectrograms in (a new figure: 0.5-1 s)
            fig = resolution_figure(signals, sr, N, H, win, fmax=fmax)
            live["frame"] = LiveFigure(fig, update_resolution_figure(fig, signals, sr, N, H, win, fmax))
        update_resolution_figure(live["frame"].fig, signals, sr, N, H, win, fmax)
        show_figure(out, Image(data=live["frame"].jpeg(), format="jpeg"))
        x = signals[stems[-1]]
        X = stft(x, N, H, win)
        if check_cola(win, N, H)["nola"]:
            inverse = f"{float(np.max(np.abs(istft(X, H, win, length=len(x)) - x))):.1e}"
        else:   # some samples fall where every window is zero: nothing can bring them back
            inverse = "no inverse (window/hop not NOLA)"
        readout.value = (f"<b>bins</b> {sr / N:.1f} Hz apart &nbsp;·&nbsp; <b>frame</b> {1000 * N / sr:.1f} ms"
                         f" &nbsp;·&nbsp; <b>hop</b> {H} samples = {1000 * H / sr:.1f} ms"
                         f" &nbsp;·&nbsp; <b>spectrogram</b> {X.shape[0]} bins x {X.shape[1]} frames"
                         f" &nbsp;·&nbsp; <b>max |istft(stft(x)) - x|</b> = {inverse}")

    for control in (n_fft_slider, hop_slider, window_menu):
        control.observe(update, names="value")
    update()
    players = w.HBox([audio_player(sig, sr, name) for name, sig in signals.items()])
    return w.VBox([w.HBox([n_fft_slider, hop_slider, window_menu]), readout, out, players])


def _plain_ola(x, window, n_fft, hop):
    """What plain overlap-add of the windowed frames returns: ``x[n] * sum_m w[n - mH]``,
    scaled by the mean of that sum (so that a COLA pair gives back ``x``). Frames cover
    the signal from ``n_fft`` samples before its start, as in a long recording."""
    s = window_sum(window, n_fft, hop, len(x) + n_fft)[n_fft:]
    return (x * s / s.mean()).astype(np.float32)


def cola_explorer(signal=None, sr: int | None = None, n_fft: int = 1024, window: str = "hann",
                  hop: int | None = None):
    r"""Pick a window and a hop; see the shifted windows, their sum and its ripple, read the
    :func:`mssedu.spectral.check_cola` verdict, and *hear* plain overlap-add.

    With ``signal`` (mono or ``(channels, samples)``) the box also has two players: the
    signal after plain overlap-add (which multiplies it by :math:`\sum_m w[n-mH]`: a
    non-COLA pair makes it flutter at ``sr / hop`` Hz) and after :func:`mssedu.spectral.istft`
    (weighted overlap-add with the window-sum division: exact whenever NOLA holds).

    Parameters
    ----------
    signal : numpy.ndarray or None
        A signal to hear through both overlap-adds (needs ``sr``).
    sr : int or None
        Its sample rate in Hz.
    n_fft : int
        Window length.
    window : str
        Initial window.
    hop : int or None
        Initial hop (default: ``n_fft // 2``).

    Returns
    -------
    ipywidgets.VBox
        The explorer, ready to display (its first state is computed at once, so it also works
        without a browser).
    """
    hop = n_fft // 2 if hop is None else int(hop)
    window_menu = w.Dropdown(options=list(WINDOWS), value=window, description="window")
    hop_slider = w.IntSlider(value=hop, min=max(1, n_fft // 16), max=n_fft, step=max(1, n_fft // 64),
                             description="hop", continuous_update=False)
    readout = w.HTML(layout=w.Layout(min_height="3em"))
    readout.add_class("mssedu-cola-readout")
    out = figure_output()
    sound = w.HBox()
    x = None
    if signal is not None:
        if sr is None:
            raise ParameterError("cola_explorer: pass sr= together with signal=.")
        x = _mono(signal).astype(np.float32)

    def update(_=None):
        H, win = int(hop_slider.value), window_menu.value
        v = check_cola(win, n_fft, H)
        show_figure(out, cola_figure(win, n_fft, H))
        colour = "#1a7f37" if v["cola"] else "#b3261e"
        text = (f"<b style='color:{colour}'>{'COLA' if v['cola'] else 'not COLA'}</b>"
                f" (ripple of the window sum {100 * v['ripple']:.2f} %) &nbsp;·&nbsp; "
                f"<b>{'NOLA' if v['nola'] else 'not NOLA'}</b>: "
                + ("istft inverts the STFT exactly wherever a frame covers the signal" if v["nola"]
                   else "some samples are never seen: no inverse"))
        if x is not None:
            ola = _plain_ola(x, win, n_fft, H)
            wola = istft(stft(x, n_fft, H, win), H, win, length=len(x)) if v["nola"] else np.zeros_like(x)
            # centred frames m = 0 .. len // H: after the last one's centre only its decaying half
            # (and beyond it no frame) sees the signal, and the division by the window sum fails there
            covered = min(len(x), (len(x) // H) * H)
            err_ola = float(np.max(np.abs(ola - x)))
            err_wola = float(np.max(np.abs(wola - x)))
            tail = float(np.max(np.abs(wola[covered:] - x[covered:]), initial=0.0))
            if tail > 1e-4:            # the edge fails: report the interior and the edge apart
                err_wola = float(np.max(np.abs(wola[:covered] - x[:covered])))
            text += (f"<br>max error: plain overlap-add {err_ola:.1e} &nbsp;·&nbsp; "
                     f"istft (weighted overlap-add) {err_wola:.1e}")
            if tail > 1e-4:
                text += (f" up to the last frame's centre; the last {len(x) - covered} samples "
                         f"({1000 * (len(x) - covered) / sr:.0f} ms) are seen by the fading edge of one "
                         f"frame or by none: error {tail:.1e} there (padding the signal by a hop closes the gap)")
            sound.children = [audio_player(x, sr, "original"),
                              audio_player(ola, sr, "plain overlap-add"),
                              audio_player(wola, sr, "istft")]
        readout.value = text

    window_menu.observe(update, names="value")
    hop_slider.observe(update, names="value")
    update()
    return w.VBox([w.HBox([window_menu, hop_slider]), readout, out, sound])


def cqt_explorer(track, stem: str = "mixture", seconds: float | None = 3.0, n_fft: int = 4096,
                 bins_per_octave: int = 12, fmin: float = 32.70, n_octaves: int = 7,
                 hop_length: int = 512):
    """STFT (log-frequency axis) beside the CQT of a stem, with a stem menu, an ``n_fft``
    slider and a bins-per-octave slider, a readout of each transform's resolution at a low
    and a high note, and a "listen" button that plays the stem and its
    :func:`mssedu.spectral.icqt` resynthesis (close, not exact: the CQT is not a tight frame).
    Every picture the controls reach is computed when the explorer is built (about 2 s for
    a 3-s excerpt on 2 cores), so a move only swaps images in (well under 0.3 s).

    Parameters
    ----------
    track : Track
        The multitrack (:class:`mssedu.data.Track`).
    stem : str
        Initial stem (or ``"mixture"``).
    seconds : float or None
        Length of the excerpt (``None``: all).
    n_fft : int
        Initial STFT frame length.
    bins_per_octave : int
        Initial CQT bins per octave.
    fmin : float
        Lowest CQT frequency.
    n_octaves : int
        Octaves of the CQT.
    hop_length : int
        Hop of both transforms.

    Returns
    -------
    ipywidgets.VBox
        The explorer, ready to display (its first state is computed at once, so it also works
        without a browser).
    """
    clip = _excerpt(track, seconds)
    sr = clip.sr
    sources = {name: _mono(x) for name, x in {"mixture": clip.mixture, **clip.stems}.items()}
    stem_menu = w.Dropdown(options=list(sources), value=stem, description="stem")
    n_fft_slider = w.SelectionSlider(options=[1024, 2048, 4096, 8192, 16384], value=n_fft,
                                     description="STFT n_fft", continuous_update=False)
    bpo_slider = w.SelectionSlider(options=[12, 24, 36], value=bins_per_octave,
                                   description="bins/octave", continuous_update=False,
                                   style=WIDE_LABEL)
    listen = w.Button(description="listen", tooltip="play the stem and its icqt(cqt(x)) resynthesis")
    readout = w.HTML(layout=w.Layout(min_height="3em"))
    out = figure_output()
    sound = w.HBox()
    # every picture the controls cycle through, once (a move then swaps images: ~0.05 s)
    pictures = _CqtPictures(sources, sr, n_fft_slider.options, bpo_slider.options, fmin, n_octaves, hop_length)
    live = {}

    def update(_=None):
        name, N, B = stem_menu.value, int(n_fft_slider.value), int(bpo_slider.value)
        args = (pictures.stft[name, N], pictures.cqt_image(name, B), sr, N, hop_length, fmin, B, n_octaves,
                f"{name}: same audio, two tilings")
        if not live:   # drawn once; a move swaps the images and titles in
            fig = cqt_vs_stft_live_figure(*args)
            live["frame"] = LiveFigure(fig, update_cqt_vs_stft_figure(fig, *args))
        update_cqt_vs_stft_figure(live["frame"].fig, *args)
        show_figure(out, Image(data=live["frame"].jpeg(), format="jpeg"))
        readout.value = _cqt_readout(sr, N, B, *pictures.kernel[B])
        sound.children = []    # the players of the previous setting no longer apply

    def play(_=None):
        name, B = stem_menu.value, int(bpo_slider.value)
        x, y, rel = sources[name], *pictures.resynthesis(name, B)
        freqs = pictures.kernel[B][1]
        sound.children = [audio_player(x, sr, name),
                          audio_player(y, sr, f"icqt(cqt(x)): relative error {100 * rel:.0f} % "
                                       f"(the CQT keeps only {freqs[0]:.0f}-{freqs[-1]:.0f} Hz)")]

    for control in (stem_menu, n_fft_slider, bpo_slider):
        control.observe(update, names="value")
    listen.on_click(play)
    update()
    return w.VBox([w.HBox([stem_menu, n_fft_slider, bpo_slider]), readout, out, w.HBox([listen, sound])])


def _cqt_readout(sr, N, B, lengths, freqs) -> str:
    """The CQT explorer's readout: each transform's resolution at its lowest and highest bin."""
    lo, hi = 0, len(freqs) - 1
    return (f"<b>STFT</b>: every bin {sr / N:.1f} Hz wide, every frame {1000 * N / sr:.0f} ms long"
            f"<br><b>CQT</b>: at {freqs[lo]:.0f} Hz a bin is {freqs[lo] * (2 ** (1 / B) - 1):.1f} Hz wide "
            f"and its filter {1000 * lengths[lo] / sr:.0f} ms long; at {freqs[hi]:.0f} Hz "
            f"{freqs[hi] * (2 ** (1 / B) - 1):.0f} Hz wide and {1000 * lengths[hi] / sr:.1f} ms long")


class _CqtPictures:
    """What the CQT explorer shows, computed once: STFT images per (source, n_fft), CQTs and
    kernel lengths/frequencies per bins-per-octave, resyntheses on first listen."""

    def __init__(self, sources, sr, n_ffts, bpos, fmin, n_octaves, hop_length):
        self.sources, self.sr, self.fmin, self.hop = sources, sr, fmin, hop_length
        self.stft = {(name, N): cqt_vs_stft_images(np.abs(stft(x, N, hop_length)), None, sr, N, fmin, n_octaves)[0]
                     for name, x in sources.items() for N in n_ffts}
        self.cqt = {(name, B): cqt(x, sr, hop_length=hop_length, fmin=fmin, n_bins=n_octaves * B, bins_per_octave=B)
                    for name, x in sources.items() for B in bpos}
        self.kernel = {B: constant_q_kernel(sr, fmin, n_octaves * B, B)[1:] for B in bpos}
        self._images, self._heard = {}, {}

    def cqt_image(self, name, B):
        """The CQT's dB image of ``name`` at ``B`` bins per octave (kept after the first time)."""
        if (name, B) not in self._images:
            self._images[name, B] = cqt_vs_stft_images(None, self.cqt[name, B], self.sr, 0, self.fmin, 1)[1]
        return self._images[name, B]

    def resynthesis(self, name, B):
        """``icqt(cqt(x))`` of ``name`` at ``B`` bins per octave and its relative error (kept)."""
        if (name, B) not in self._heard:
            x = self.sources[name]
            y = icqt(self.cqt[name, B], self.sr, hop_length=self.hop, fmin=self.fmin, bins_per_octave=B,
                     length=len(x))
            self._heard[name, B] = y, float(np.linalg.norm(y - x) / (np.linalg.norm(x) or 1.0))
        return self._heard[name, B]
