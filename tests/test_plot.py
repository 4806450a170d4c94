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


def test_residual_panel_is_drawn_against_the_mixtures_reference():
    """The residual is 30 dB below the mixture and its panel says so (it was scaled to its
    own peak and looked as loud as the mixture)."""
    rng = np.random.default_rng(1)
    stems = {k: (0.3 * rng.standard_normal((2, 8000))).astype(np.float32) for k in ("vocals", "drums")}
    total = sum(stems.values())
    mixture = (total + 10 ** (-30 / 20) * rng.standard_normal((2, 8000)) * total.std()).astype(np.float32)
    fig = plot.residual_figure(Track("toy", 8000, mixture, stems), n_fft=256, hop_length=64)
    peaks = [float(ax.images[0].get_array().max()) for ax in fig.axes if ax.images]
    assert max(peaks[:2]) == pytest.approx(0.0, abs=0.5)
    assert -36 < peaks[2] - peaks[0] < -20, peaks


def test_wdo_legend_sits_over_no_bar():
    from mssedu.plot.masks import wdo_figure

    results = {k: {"psr": 0.97, "wdo": 0.93, "sir_db": 12.0} for k in ("vocals", "drums", "bass", "other")}
    fig = wdo_figure(results)
    fig.canvas.draw()
    ax = fig.axes[0]
    box = ax.get_legend().get_window_extent()
    bars = [p.get_window_extent() for p in ax.patches]
    assert bars and not any(box.overlaps(b) for b in bars)


def test_stem_mixer_spectrogram_is_not_saturated_and_shows_a_fader():
    """00's "+12 dB, watch" task: at 0 dB the mixer's picture is below its top colour, and
    turning the bass up brightens the low rows by the fader's 12 dB (the old full-scale dB
    picture was saturated below 2 kHz, so nothing changed)."""
    from mssedu.data import example_track
    from mssedu.widgets import stem_mixer

    box = stem_mixer(example_track(), max_seconds=2.0)
    image = box.figure.axes[1].images[0]
    before = np.asarray(image.get_array(), dtype=np.float64)
    assert np.mean(before >= image.norm.vmax) < 0.001 and before.max() <= 0.5
    box.controls["bass"].value = 12.0
    after = np.asarray(image.get_array(), dtype=np.float64)
    low = slice(0, before.shape[0] // 8)         # the mel rows below ~300 Hz
    assert np.mean(after >= image.norm.vmax) < 0.001
    assert 4.0 < np.median(after[low] - before[low]) <= 12.0


def test_cqt_vs_stft_images_put_a_tone_in_the_row_of_its_frequency():
    """The live CQT figure's STFT rows are log-spaced over the CQT's octaves: a 440-Hz tone
    peaks in the row whose band holds 440 Hz, and the CQT image is |C| in dB (peak 0 dB)."""
    from mssedu.plot.stft import cqt_vs_stft_images, log_span
    from mssedu.spectral import amplitude_to_db, cqt, stft

    sr, t = 22050, np.arange(22050) / 22050
    x = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    C = cqt(x, sr, hop_length=256, fmin=55.0, n_bins=60, bins_per_octave=12)
    a, b = cqt_vs_stft_images(np.abs(stft(x, 8192, 256)), C, sr, 8192, 55.0, 5)
    lo, hi = np.log2(log_span(55.0, 5))
    row = int(np.argmax(a[:, a.shape[1] // 2]))
    band = 2 ** (lo + (hi - lo) * np.array([row, row + 1]) / a.shape[0])
    assert a.shape[0] == 400 and band[0] - 3 <= 440 <= band[1] + 3    # 3 Hz: the bin's own width
    np.testing.assert_allclose(b, amplitude_to_db(np.abs(C), ref=np.abs(C).max()), atol=1e-4)   # float32
    assert int(np.argmax(b[:, b.shape[1] // 2])) == 36                      # 440 Hz = 55 Hz * 2**(36/12)


def test_update_chunking_figure_draws_what_a_new_chunking_figure_draws():
    """A chunking figure redrawn in place for new settings shows the curves and title of one
    drawn for them directly; the lines it does not need are hidden; too few lines: refused."""
    fig = plot.chunking_figure(12.0, 2.0, 0.75)
    plot.update_chunking_figure(fig, 12.0, 5.0, 0.25)
    direct = plot.chunking_figure(12.0, 5.0, 0.25)
    for ax, ref in zip(fig.axes[:2], direct.axes[:2]):
        shown = [line for line in ax.lines if line.get_visible()]
        assert len(shown) == len(ref.lines) < len(ax.lines)
        order = shown if ax is fig.axes[0] else shown[:-1] + [ax.lines[-1]]   # the sum is the last line
        for line, ref_line in zip(order, ref.lines):
            np.testing.assert_array_equal(line.get_ydata(), ref_line.get_ydata())
    assert fig.axes[0].get_title() == direct.axes[0].get_title() == "4 segments of 5 s, overlap 25%"
    with pytest.raises(ParameterError, match="shortest segment"):
        plot.update_chunking_figure(plot.chunking_figure(12.0, 6.0, 0.0), 12.0, 2.0, 0.5)


@pytest.mark.parametrize("fmax", [8000.0, None])
def test_update_mask_comparison_figure_draws_what_a_new_figure_draws(fmax):
    """A mask swapped into a mask-comparison figure fills its rows as a new figure would."""
    rng = np.random.default_rng(1)
    a, b = rng.random((2, 1025, 30)), rng.random((2, 1025, 30))
    fig = plot.mask_comparison_figure({"one": a, "two": a}, 44100, 512, fmax=fmax)
    plot.update_mask_comparison_figure(fig, {"one": a, "new": b}, 44100, fmax=fmax)
    direct = plot.mask_comparison_figure({"one": a, "new": b}, 44100, 512, fmax=fmax)
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), direct.axes[1].images[0].get_array())
    assert fig.axes[1].get_title() == "new"


def test_update_beat_spectrum_figure_puts_the_marks_where_a_new_figure_does():
    """Marks moved to a new period sit where a figure drawn for it puts them; too few: refused."""
    beat = np.linspace(1.0, 0.0, 400)
    fig = plot.beat_spectrum_figure(beat, 8000, 64, period=10)
    plot.update_beat_spectrum_figure(fig, 70, 8000, 64)
    direct = plot.beat_spectrum_figure(beat, 8000, 64, period=70)
    shown = [line.get_xdata()[0] for line in fig.axes[0].lines[1:] if line.get_visible()]
    assert shown == [line.get_xdata()[0] for line in direct.axes[0].lines[1:]] and len(shown) == 5
    with pytest.raises(ParameterError, match="shortest period"):
        plot.update_beat_spectrum_figure(direct, 10, 8000, 64)


def test_update_feature_maps_figure_shows_what_a_new_figure_shows():
    """Channels swapped into a feature-map figure carry the data, colours and titles of a
    figure drawn for them; panels past the last channel are hidden."""
    rng = np.random.default_rng(2)
    maps = {"enc": rng.random((8, 6, 9)), "dec": rng.standard_normal((3, 4, 5))}
    fig = plot.feature_maps_figure(maps, "enc", n=8)
    plot.update_feature_maps_figure(fig, maps, "dec", start=1)
    direct = plot.feature_maps_figure(maps, "dec", n=8, start=1)
    shown = [ax for ax in fig.axes if ax.images[0].get_visible()]
    drawn = [ax for ax in direct.axes if ax.images]
    assert len(shown) == len(drawn) == 2
    for ax, ref in zip(shown, drawn):
        np.testing.assert_array_equal(ax.images[0].get_array(), ref.images[0].get_array())
        assert ax.images[0].get_clim() == ref.images[0].get_clim() and ax.get_title() == ref.get_title()
        assert ax.images[0].get_cmap().name == ref.images[0].get_cmap().name == "RdBu_r"
