"""Chapter widgets answer a move with the values their readouts claim: the COLA explorer's
reconstruction error, the Griffin-Lim explorer's precomputed iterations, the phase-choice
explorer's precomputed estimates. (How fast they answer: ``benchmarks/bench_widgets.py``.)"""
from __future__ import annotations

import re

import numpy as np
import pytest

from mssedu.data import Track
from mssedu.metrics import si_sdr
from mssedu.phase import griffin_lim
from mssedu.spectral import stft
from mssedu.widgets import cola_explorer, griffin_lim_explorer, phase_choice_explorer

SR = 8000


def _track(seconds=1.0):
    rng = np.random.default_rng(3)
    t = np.arange(int(seconds * SR)) / SR
    voice = np.stack([np.sin(2 * np.pi * 220 * t), 0.7 * np.sin(2 * np.pi * 220 * t)]) * 0.2
    drums = 0.05 * rng.standard_normal((2, t.size))
    stems = {"vocals": voice.astype(np.float32), "drums": drums.astype(np.float32)}
    return Track("toy", SR, sum(stems.values()), stems)


def _numbers(html):
    return [float(v) for v in re.findall(r"[-+]?\d+\.\d+(?:e[-+]\d+)?", html)]


def test_cola_readout_tells_the_uncovered_edge_from_the_exact_interior():
    x = np.random.default_rng(0).standard_normal(4 * SR).astype(np.float32)
    box = cola_explorer(x, SR, n_fft=1024, hop=512)
    readout, hop = box.children[1], box.children[0].children[1]
    hop.value = 768          # NOLA, but after the last frame's centre only a fading window edge
    assert "NOLA" in readout.value and "up to the last frame's centre" in readout.value
    interior = float(re.search(r"istft \(weighted overlap-add\) ([\d.e+-]+)", readout.value).group(1))
    edge = float(re.search(r"error ([\d.e+-]+) there", readout.value).group(1))
    assert interior < 1e-5 and edge > 1e-4 * 10   # the edge fails by orders of magnitude more
    hop.value = 256          # COLA and covered to the end: one error, no edge remark
    assert "there" not in readout.value


def test_griffin_lim_explorer_shows_the_iteration_it_names():
    track = _track()
    box = griffin_lim_explorer(track, "vocals", max_iter=8, n_fft=256, hop_length=64)
    slider, algo = box.children[0].children
    readout = box.children[1]
    A = np.abs(stft(track.stems["vocals"], 256, 64))
    for momentum, k in ((0.99, 4), (0.0, 8), (0.0, 2)):
        algo.value, slider.value = momentum, k
        y, h = griffin_lim(A, k, momentum=momentum, n_fft=256, hop_length=64,
                           length=track.mixture.shape[-1], seed=0)
        sc, db = _numbers(readout.value)[-2:]
        assert sc == pytest.approx(h[-1], abs=6e-4)
        assert db == pytest.approx(float(np.mean(si_sdr(track.stems["vocals"], y))), abs=0.06)


def test_phase_choice_explorer_scores_every_stem_without_recomputing():
    track = _track()
    box = phase_choice_explorer(track, n_fft=256, hop_length=64, n_iter=4)
    stem_menu = box.children[0].children[0]
    phase_menu, readout = box.children[1], box.children[2]
    stem_menu.value, phase_menu.value = "drums", "true phase"
    assert _numbers(readout.value)[-1] > 60            # the true phase rebuilds the stem
    phase_menu.value = "Griffin-Lim (4 it.)"
    A = np.abs(stft(track.stems["drums"], 256, 64))
    Y = stft(track.mixture, 256, 64)
    y = griffin_lim(A, 4, init=np.angle(Y), hop_length=64, length=track.mixture.shape[-1]).signal
    expected = float(np.mean(si_sdr(track.stems["drums"], y)))
    assert _numbers(readout.value)[-1] == pytest.approx(expected, abs=0.06)


def test_mask_explorer_redraws_in_place_keeps_states_and_renders_sound_on_listen(monkeypatch):
    """A move swaps the mask into the figure it drew (no new figure), shows the readout of
    that mask, keeps the state (a move back computes nothing) and leaves the sound to the
    listen button."""
    import mssedu.widgets.masks as explorer_module
    from mssedu.masks import apply_mask, ideal_ratio_mask
    from mssedu.metrics import sdr
    from mssedu.spectral import istft

    calls = []
    real = explorer_module.compute_mask
    monkeypatch.setattr(explorer_module, "compute_mask", lambda *a, **k: calls.append(k) or real(*a, **k))
    track = _track()
    box = explorer_module.mask_explorer(track, n_fft=256, hop_length=64)
    c = box.controls
    first = c["figure"].outputs[0]["data"]["image/jpeg"]
    c["alpha"].value = 2.0
    assert len(calls) == 2 and "Wiener" in c["audio"].value and "<audio" not in c["audio"].value
    wiener = c["figure"].outputs[0]["data"]["image/jpeg"]
    assert wiener != first                                           # the mask panel changed
    S, N = stft(track.stems["vocals"], 256, 64), stft(track.stems["drums"], 256, 64)
    est = istft(apply_mask(S + N, ideal_ratio_mask(S, N, 2.0)), 64, length=track.mixture.shape[-1], n_fft=256)
    assert _numbers(c["metrics"].value)[0] == pytest.approx(float(np.mean(sdr(track.stems["vocals"], est))), abs=0.01)
    c["alpha"].value = 1.0                                           # back: a look-up
    c["alpha"].value = 2.0
    assert len(calls) == 2 and c["figure"].outputs[0]["data"]["image/jpeg"] == wiener
    c["listen"].click()
    assert "<audio" in c["audio"].value and "autoplay" in c["audio"].value and "Wiener" in c["audio"].value


def test_masked_spectrogram_panels_share_the_mixtures_db_reference():
    """The masked mixture is drawn against the mixture's peak, not its own: a mask of 0.1
    everywhere shows it 20 dB darker (it used to be rescaled to its own peak, as loud as the
    mixture)."""
    from mssedu.plot.masks import masked_spectrogram_figure

    Y = stft(_track().mixture, 256, 64)
    fig = masked_spectrogram_figure(Y, np.full(Y.shape, 0.1), SR, 64, target_stft=0.5 * Y)
    peaks = [float(ax.images[0].get_array().max()) for ax in fig.axes if ax.images]
    assert peaks[0] == pytest.approx(0.0, abs=1e-6)
    assert peaks[2] == pytest.approx(-20.0, abs=0.01) and peaks[3] == pytest.approx(-6.02, abs=0.01)


def test_show_figure_sends_image_figures_as_jpeg_and_plots_as_they_are():
    import matplotlib.pyplot as plt
    import ipywidgets

    from mssedu.widgets import show_figure

    out = ipywidgets.Output()
    fig, ax = plt.subplots()
    ax.imshow(np.random.default_rng(0).random((64, 64)))
    show_figure(out, fig)
    assert len(out.outputs) == 1 and "image/jpeg" in out.outputs[0]["data"]
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    show_figure(out, fig)
    assert len(out.outputs) == 1 and "image/jpeg" not in out.outputs[0]["data"]


def test_karaoke_explorer_resizes_its_bars_to_the_levels_it_reads_out():
    from mssedu.classical import centre_channel_cancellation
    from mssedu.widgets import karaoke_explorer

    track = _track()
    box = karaoke_explorer(track)
    slider, readout, figure = box.children[:3]
    before = figure.outputs[0]["data"]["image/jpeg"]
    slider.value = 0.5
    y = centre_channel_cancellation(track.stems["vocals"], 0.5).astype(np.float64)
    expected = 10 * np.log10(np.sum(y ** 2) / np.sum(track.stems["vocals"].astype(np.float64) ** 2))
    assert f"vocals {expected:.1f} dB" in readout.value
    assert figure.outputs[0]["data"]["image/jpeg"] != before     # the bars moved


def test_stft_explorer_redraws_its_figure_in_place_for_new_settings():
    from mssedu.widgets import stft_explorer

    box = stft_explorer(_track(), stems=("drums", "vocals"), seconds=1.0)
    n_fft_slider, readout, figure = box.children[0].children[0], box.children[1], box.children[2]
    before = figure.outputs[0]["data"]["image/jpeg"]
    n_fft_slider.value = 512
    assert "257 bins" in readout.value
    assert figure.outputs[0]["data"]["image/jpeg"] != before


def test_cqt_explorer_moves_show_what_a_direct_computation_shows():
    """The CQT explorer precomputes its pictures: a move's picture equals that of an explorer
    built at the setting directly, its readout the kernel's numbers, and the listen button's
    error that of icqt(cqt(x)) computed here."""
    from mssedu.spectral import constant_q_kernel, cqt, icqt
    from mssedu.widgets import cqt_explorer

    track, kw = _track(2.0), dict(seconds=None, fmin=65.4, n_octaves=5, hop_length=256)
    box = cqt_explorer(track, stem="vocals", **kw)
    (stem_menu, n_fft_slider, bpo_slider), readout, figure = box.children[0].children, box.children[1], box.children[2]
    listen, sound = box.children[3].children
    first = figure.outputs[0]["data"]["image/jpeg"]
    stem_menu.value, bpo_slider.value, n_fft_slider.value = "drums", 24, 1024
    direct = cqt_explorer(track, stem="drums", bins_per_octave=24, n_fft=1024, **kw)
    assert figure.outputs[0]["data"]["image/jpeg"] == direct.children[2].outputs[0]["data"]["image/jpeg"] != first
    _, lengths, freqs = constant_q_kernel(SR, 65.4, 5 * 24, 24)
    assert f"filter {1000 * lengths[0] / SR:.0f} ms" in readout.value and f"at {freqs[-1]:.0f} Hz" in readout.value
    assert sound.children == ()                                      # sound only on listen
    listen.click()
    x = track.stems["drums"].mean(axis=0)
    y = icqt(cqt(x, SR, hop_length=256, fmin=65.4, n_bins=120, bins_per_octave=24), SR, hop_length=256,
             fmin=65.4, bins_per_octave=24, length=len(x))
    rel = float(np.linalg.norm(y - x) / np.linalg.norm(x))
    assert f"relative error {100 * rel:.0f} %" in sound.children[1].value


@pytest.mark.parametrize("kernels, power, margin", [((31, 31), 2.0, 1.0), ((5, 17), 1.0, 2.5), ((63, 3), np.inf, 4.0)])
def test_hpss_explorer_kept_filters_give_the_masks_of_hpss_masks(kernels, power, margin):
    """The explorer keeps its median filters per kernel size; the masks it builds from them
    are hpss_masks' (librosa's) exactly, and a move's readout gives their means."""
    from mssedu.classical import hpss_masks
    from mssedu.spectral import istft
    from mssedu.widgets.classical import hpss_explorer

    track = _track(1.0)
    V = np.abs(stft(track.mixture, 256, 64)).mean(axis=0)
    box = hpss_explorer(track, n_fft=256, hop_length=64)
    (kh, kp), (margin_slider, power_menu) = box.children[0].children, box.children[1].children
    readout, listen, harm = box.children[2], box.children[4].children[0], box.children[4].children[1].children[1]
    kh.value, kp.value, power_menu.value, margin_slider.value = *kernels, power, margin
    first = readout.value
    mh, mp = hpss_masks(V, kernels, power, margin)
    X = stft(track.mixture, 256, 64)
    yp = istft(X * mp, 64, length=track.mixture.shape[-1])
    yh = istft(X * mh, 64, length=track.mixture.shape[-1])
    assert f"mask mean harmonic {mh.mean():.2f}, percussive {mp.mean():.2f}" in first
    drums = track.stems["drums"]
    assert f"drums <b>{np.mean(si_sdr(drums, yp)):.1f} dB" in first
    assert f"the rest <b>{np.mean(si_sdr(track.mixture - drums, yh)):.1f} dB" in first
    kh.value, kp.value = 9, 9                                        # away and back: the kept filters
    kh.value, kp.value = kernels
    assert readout.value == first and "<audio" not in harm.value     # sound only on listen
    listen.click()
    assert "<audio" in harm.value


def test_stereo_image_explorer_readout_and_map_are_those_computed_directly():
    """A width move shows the preservation score of stereo_width's output and its ILD map as
    ild_figure draws it; a move back reuses the setting; the sound waits for listen."""
    from mssedu.plot import ild_figure, ild_image
    from mssedu.spatial import stereo_image_preservation, stereo_width
    from mssedu.widgets import stereo_image_explorer

    track = _track(1.0)
    box = stereo_image_explorer(track, estimates={k: v * 0.5 for k, v in track.stems.items()})
    width, kind, readout, figure = box.children[0].children[1], box.children[1], box.children[2], box.children[3]
    listen, ref_audio = box.children[4].children[0], box.children[4].children[1].children[1]
    kind.value, width.value = "width", 1.5
    est = stereo_width(track.stems["vocals"], 1.5)
    s = stereo_image_preservation(track.stems["vocals"], est)
    assert f"score <b>{s['score']:.3f}</b>" in readout.value and f"ILD error {s['ild_error_db']:.2f} dB" in readout.value
    shown = figure.outputs[0]["data"]["image/jpeg"]
    width.value = 0.5
    assert figure.outputs[0]["data"]["image/jpeg"] != shown
    width.value = 1.5
    assert figure.outputs[0]["data"]["image/jpeg"] == shown and "<audio" not in ref_audio.value
    listen.click()
    assert "<audio" in ref_audio.value
    direct = ild_figure({"a": est}, SR).axes[0].images[0].get_array()   # what a new figure would draw
    img = ild_image(est, SR)
    np.testing.assert_array_equal(img.filled(np.nan), direct.filled(np.nan))
    np.testing.assert_array_equal(np.ma.getmaskarray(img), np.ma.getmaskarray(direct))


def test_mask_sharpness_explorer_readout_is_the_sdr_of_the_sharpened_mask():
    """A threshold move reads out the plain SDR of istft(binarised mask x X), computed here;
    a move back reuses it, the figure shows that mask, the sound waits for listen."""
    import torch

    from mssedu.metrics import sdr
    from mssedu.models import MiniUNet, UNetConfig, UNetSeparator
    from mssedu.spectral import istft
    from mssedu.widgets import mask_sharpness_explorer

    torch.manual_seed(0)
    cfg = UNetConfig(sr=SR, n_fft=256, hop_length=64, n_bins=64, channels=(4, 8), targets=("vocals",))
    separator = UNetSeparator(MiniUNet(cfg))
    track = _track(1.0)
    box = mask_sharpness_explorer(separator, track)
    mode, (power, thresh), readout, figure = box.children[0], box.children[1].children, box.children[2], box.children[3]
    listen, players = box.children[4].children
    mode.value, thresh.value = "threshold", 0.3
    mask = separator.predict_mask(track.mixture)[0]
    X = stft(track.mixture, 256, 64)
    est = istft((mask >= 0.3).astype(np.float32) * X, 64, length=track.mixture.shape[-1], n_fft=256)
    assert f"<b>M >= 0.30</b>: vocals SDR {sdr(track.stems['vocals'], est):+.2f} dB" in readout.value
    shown = figure.outputs[0]["data"]["image/jpeg"]
    thresh.value = 0.7
    assert figure.outputs[0]["data"]["image/jpeg"] != shown
    thresh.value = 0.3
    assert figure.outputs[0]["data"]["image/jpeg"] == shown and players.children == ()
    listen.click()
    assert len(players.children) == 3


def test_repet_explorer_readout_and_marks_are_those_of_repet_at_the_period():
    """A period move reads out repet()'s period and scores at that period and moves the
    figure's marks to its multiples; a move back reuses it; the sound waits for listen."""
    from mssedu.classical import repet
    from mssedu.widgets import repet_explorer

    rng = np.random.default_rng(5)
    loop = np.tile(rng.standard_normal(SR // 4), 12) * 0.1                  # repeats every 0.25 s
    voice = np.sin(2 * np.pi * 330 * np.arange(loop.size) / SR) * 0.1
    stems = {"vocals": np.stack([voice, voice]).astype(np.float32), "other": np.stack([loop, loop]).astype(np.float32)}
    track = Track("loop", SR, sum(stems.values()), stems)
    box = repet_explorer(track, n_fft=256, hop_length=64, min_period=0.1, max_period=1.0)
    slider, readout, figure = box.children[0], box.children[1], box.children[2]
    listen, fg = box.children[3].children[0], box.children[3].children[1].children[1]
    slider.value = 0.5
    r = repet(track.mixture, SR, 256, 64, period=0.5)
    fg_sdr = np.mean(si_sdr(stems["vocals"], r.foreground))
    assert f"period {r.period_s:.2f} s ({r.period} frames;" in readout.value
    assert f"vocals <b>{fg_sdr:.1f} dB</b>" in readout.value
    shown = figure.outputs[0]["data"]["image/jpeg"]
    slider.value = 0.3
    slider.value = 0.5
    assert figure.outputs[0]["data"]["image/jpeg"] == shown and "<audio" not in fg.value
    listen.click()
    assert "<audio" in fg.value
