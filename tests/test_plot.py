"""mssedu.plot's frequency axes: per-bin maps (phase, ILD) and the band-split figure share the
spectrograms' mel-spaced axis with ticks at round frequencies, and each display row shows the
bin of its own frequency."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mssedu import plot  # noqa: E402
from mssedu.data import Track  # noqa: E402
from mssedu.errors import ParameterError  # noqa: E402

SR, N_FFT, HOP = 8000, 256, 64
ROUND = {"0", "200", "500", "1k", "2k", "5k", "10k", "20k", "100", "50", "20"}


def _ticks(ax) -> list:
    return [t.get_text() for t in ax.get_yticklabels()]


def _mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, float) / 700.0)


def test_masked_bins_rows_sit_at_their_mel_frequency():
    freqs = np.arange(N_FFT // 2 + 1) * SR / N_FFT
    values = np.repeat(freqs[:, None], 10, axis=1)          # each bin shows its own frequency
    fig, ax = plt.subplots()
    im = plot.masked_bins_axes(ax, values, np.zeros_like(values, bool), SR, N_FFT, HOP, "viridis",
                               0, SR / 2, fmax=3000)
    shown = np.asarray(im.get_array())[:, 0]
    lo, hi = ax.get_ylim()
    assert lo == pytest.approx(0.0) and hi == pytest.approx(_mel(3000), rel=1e-3)
    row_mel = np.linspace(lo, hi, len(shown))
    row_hz = 700 * (10 ** (row_mel / 2595) - 1)
    assert np.max(np.abs(shown - row_hz)) <= SR / N_FFT        # within one bin everywhere
    assert _ticks(ax) == ["0", "200", "500", "1k", "2k"]
    assert float(plot.frequency_position(1000.0)) == pytest.approx(_mel(1000.0))
    plt.close(fig)


def test_phase_ild_and_band_figures_use_round_mel_ticks():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, SR)).astype(np.float32)
    X = np.fft.rfft(rng.standard_normal((N_FFT, 40)), axis=0)
    figs = {"phase": plot.phase_figure({"a": X, "b": X}, SR, HOP, max_hz=2000),
            "ild": plot.ild_figure({"x": x}, SR, N_FFT, HOP, max_hz=3000),
            "bands": plot.band_split_figure(X, SR, HOP, [0, 300, 1000, 2500, 4000], max_hz=3500)}
    for name, fig in figs.items():
        ax = fig.axes[0]
        labels = _ticks(ax)
        assert labels and set(labels) <= ROUND, (name, labels)
        assert "mel" in ax.get_ylabel(), name
    # the band edges are drawn at their mel positions
    lines = sorted(line.get_ydata()[0] for line in figs["bands"].axes[0].get_lines())
    assert lines == pytest.approx(list(_mel([300, 1000, 2500])))


def test_masked_bins_rejects_mismatched_shapes():
    fig, ax = plt.subplots()
    with pytest.raises(ParameterError, match="same shape"):
        plot.masked_bins_axes(ax, np.zeros((5, 4)), np.zeros((5, 3), bool), SR, N_FFT, HOP, "viridis", 0, 1)
    with pytest.raises(ParameterError, match="y_axis"):
        plot.masked_bins_axes(ax, np.zeros((5, 4)), np.zeros((5, 4), bool), SR, N_FFT, HOP, "viridis", 0, 1,
                              y_axis="cqt")
    plt.close(fig)


def test_stems_figure_shares_one_colour_scale():
    """A stem 20 dB quieter than another is drawn 20 dB darker (one 0 dB reference for every
    panel), not rescaled to its own maximum."""
    sr = 8000
    t = np.arange(2 * sr) / sr
    loud = np.tile(np.sin(2 * np.pi * 440 * t), (2, 1))
    quiet = 0.1 * np.tile(np.sin(2 * np.pi * 880 * t), (2, 1))
    track = Track(name="two tones", mixture=loud + quiet, stems={"loud": loud, "quiet": quiet}, sr=sr)
    fig = plot.stems_figure(track, n_fft=512, hop_length=128)
    peaks = [float(ax.images[0].get_array().max()) for ax in fig.axes if ax.images]
    assert len(peaks) == 3
    assert abs(peaks[1] - peaks[2] - 20.0) < 0.5, peaks        # loud vs quiet panel
    assert peaks[0] == pytest.approx(0.0, abs=0.5)               # the mixture holds the maximum


def test_panel_rows_share_one_colour_bar_and_one_frequency_label():
    """The chapters' one-spectrogram-per-signal figures (phase, ILD, masks, resolution) are set
    up by plot.panel_row/finish_row: one row of panels, one colour bar beside the last panel,
    the frequency label on the first panel only."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, N_FFT // 2 + 1, 40)) + 1j * rng.standard_normal((2, N_FFT // 2 + 1, 40))
    fig = plot.phase_figure({"a": X, "b": X, "c": X}, SR, HOP)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 3 and len(fig.axes) == 4                     # three panels + one bar
    assert [ax.get_ylabel() for ax in panels] == ["frequency (Hz), mel scale", "", ""]
    assert fig.axes[-1].get_ylabel() == "phase (rad)"
    fig, axes = plot.panel_row(2, (3.0, 2.0))
    assert axes.shape == (2,) and tuple(fig.get_size_inches()) == (6.0, 2.0)
