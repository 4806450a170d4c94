"""mssedu.exercises: every exercise a notebook checks exists, answers an unanswered `...`
politely, survives nonsense input, and (chapter 1) accepts the right answer and explains the
usual wrong ones."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from mssedu import spectral
from mssedu.exercises import Result, check, list_exercises

ROOT = Path(__file__).resolve().parents[1]
CHECK_CALL = re.compile(r"(?<![\w])check\(\s*[\"']([\w.]+)[\"']")


def notebook_exercises() -> list:
    names = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                names.update(CHECK_CALL.findall(src))
    return sorted(names)


def test_every_exercise_a_notebook_checks_is_registered():
    missing = sorted(set(notebook_exercises()) - set(list_exercises()))
    assert not missing, f"notebooks call check() on unregistered exercises: {missing}"


@pytest.mark.parametrize("name", list_exercises())
def test_unanswered_and_nonsense_answers_are_handled(name):
    for answer in (..., None):
        r = check(name, answer)
        assert isinstance(r, Result) and not r.ok
        assert "replace the `...`" in r.message
    r = check(name, "not an answer")
    assert isinstance(r, Result) and not r.ok and r.message
    assert "✘ Not yet" in r._repr_html_()


def test_unknown_exercise_name():
    r = check("stft.no_such_thing", 1)
    assert not r.ok and "Unknown exercise name" in r.message and "stft.freq_resolution" in r.message


# --- chapter 1 -----------------------------------------------------------------------------

def test_freq_resolution():
    assert check("stft.freq_resolution", 44100 / 4096).ok
    assert check("stft.freq_resolution", np.float32(10.7666)).ok
    assert "frame length in time" in check("stft.freq_resolution", 4096 / 44100).message
    assert not check("stft.freq_resolution", 21.5).ok


def test_n_frames():
    expected = spectral.n_frames(66150, 2048, 512, center=True)
    assert expected == 130
    assert check("stft.n_frames", 130).ok and check("stft.n_frames", np.int64(130)).ok
    assert "center=False" in check("stft.n_frames", 126).message
    assert not check("stft.n_frames", 129).ok


def test_cola_hop():
    assert check("stft.cola_hop", 512).ok
    assert "not the largest" in check("stft.cola_hop", 256).message
    assert "not COLA" in check("stft.cola_hop", 768).message
    assert "whole number" in check("stft.cola_hop", 2048).message


def test_my_stft_right_answer_and_usual_mistakes():
    from mssedu.exercises.stft import short_signal

    x = short_signal()
    frames = np.lib.stride_tricks.sliding_window_view(x, 256)[::64]
    window = spectral.get_window("hann", 256)
    right = np.fft.rfft(frames * window, axis=-1).T
    assert right.shape == (129, 29)
    np.testing.assert_allclose(right, librosa_stft(x), atol=1e-4)
    assert check("stft.my_stft", right).ok
    assert "transpose" in check("stft.my_stft", right.T).message
    assert "magnitudes" in check("stft.my_stft", np.abs(right)).message
    assert "Hann window" in check("stft.my_stft", np.fft.rfft(frames, axis=-1).T).message
    assert "periodic" in check("stft.my_stft", np.fft.rfft(frames * np.hanning(256), axis=-1).T).message
    assert "Shape" in check("stft.my_stft", right[:, :10]).message
    wrong_hop = np.fft.rfft(np.lib.stride_tricks.sliding_window_view(x, 256)[:29 * 32:32] * window, axis=-1).T
    r = check("stft.my_stft", wrong_hop)
    assert not r.ok and "hop" in r.message


def librosa_stft(x):
    import librosa

    return librosa.stft(x, n_fft=256, hop_length=64, center=False)


# --- build it yourself: each checker accepts the right function and names the usual mistakes ---

def _good_mix(stems, gains_db):
    return sum(10 ** (gains_db[k] / 20) * stems[k] for k in gains_db)


def _good_stft(x, n_fft, hop, window=None, pad="constant", last=0):
    xp = np.pad(x, n_fft // 2, mode=pad)
    w = spectral.get_window("hann", n_fft) if window is None else window
    count = 1 + (len(xp) - n_fft) // hop - last
    return np.stack([np.fft.rfft(w * xp[m * hop:m * hop + n_fft]) for m in range(count)], axis=1)


def _good_mask(S, N, alpha):
    s, n = np.abs(S) ** alpha, np.abs(N) ** alpha
    return np.divide(s, s + n, out=np.zeros_like(s), where=(s + n) > 0)


def _good_gl(A, x, n_fft, hop, length=True):
    X = spectral.stft(x, n_fft, hop)
    return spectral.istft(A * np.exp(1j * np.angle(X)), hop, length=len(x) if length else None, n_fft=n_fft)


def _good_si_sdr(r, e, per_channel=False, log=10):
    r, e = r - r.mean(-1, keepdims=True), e - e.mean(-1, keepdims=True)
    axis = dict(axis=-1, keepdims=True) if per_channel else {}
    a = np.sum(e * r, **axis) / np.sum(r ** 2, **axis)
    return log * np.log10(np.sum((a * r) ** 2) / np.sum((a * r - e) ** 2))


def _good_beat(P, unbiased=True):
    F, T = P.shape
    b = np.array([np.mean(np.sum(P[:, :T - k] * P[:, k:], 1)) / ((T - k) if unbiased else 1) for k in range(T)])
    return b / b[0]


def _good_band(S, edges, weights, extra=0):
    return np.stack([W @ S[edges[k]:edges[k + 1] + extra] for k, W in enumerate(weights)])


@pytest.mark.parametrize("name, right, wrong, hint", [
    ("sound.my_mix", _good_mix,
     lambda s, g: sum(10 ** (g[k] / 10) * s[k] for k in g), "10**(g/20)"),
    ("sound.my_mix", _good_mix, lambda s, g: _good_mix(s, g) / 4, "averaged"),
    ("stft.my_centred_stft", _good_stft,
     lambda x, n, h: _good_stft(x, n, h, window=np.hanning(n)), "symmetric"),
    ("stft.my_centred_stft", _good_stft, lambda x, n, h: _good_stft(x, n, h, pad="reflect"), "zeros"),
    ("stft.my_centred_stft", _good_stft, lambda x, n, h: _good_stft(x, n, h, last=1), "off-by-one"),
    ("stft.my_centred_stft", _good_stft, lambda x, n, h: _good_stft(x, n, h, window=np.ones(n)), "No window"),
    ("masks.my_ratio_mask", _good_mask,
     lambda S, N, a: np.nan_to_num((np.abs(S) / (np.abs(S) + np.abs(N))) ** a), "ratio"),
    ("masks.my_ratio_mask", _good_mask,
     lambda S, N, a: np.abs(S) ** a / (np.abs(S) ** a + np.abs(N) ** a), "0 / 0"),
    ("phase.my_griffin_lim_step", _good_gl,
     lambda A, x, n, h: spectral.istft(spectral.stft(x, n, h), h, length=len(x), n_fft=n), "imposes the target"),
    ("phase.my_griffin_lim_step", _good_gl, lambda A, x, n, h: _good_gl(A, x, n, h, length=False), "length=len(x)"),
    ("evaluation.my_si_sdr", _good_si_sdr, lambda r, e: _good_si_sdr(r, e, per_channel=True), "one alpha"),
    ("evaluation.my_si_sdr", _good_si_sdr, lambda r, e: _good_si_sdr(r, e, log=20), "10 * log10"),
    ("classical.my_beat_spectrum", _good_beat, lambda P: _good_beat(P, unbiased=False), "T - lag"),
    ("beyond.my_band_split", _good_band,
     lambda S, e, W: np.stack([S[e[k]:e[k + 1]].T @ W[k].T for k in range(len(W))]), "(frames, features)"),
    ("beyond.my_band_split", _good_band, lambda S, e, W: _good_band(S, e, W, extra=1), "upper edge excluded"),
])
def test_build_it_yourself_checkers(name, right, wrong, hint):
    assert check(name, right).ok, check(name, right).message
    r = check(name, wrong)
    assert not r.ok and hint in r.message, r.message


def test_build_it_yourself_unanswered_function():
    def my_fn(*args):
        return ...
    r = check("masks.my_ratio_mask", my_fn)
    assert not r.ok and "replace the `...`" in r.message


def test_ibm_checker_names_the_mixture_mistake():
    rng = np.random.default_rng(0)
    V = rng.standard_normal((1, 20, 10)) + 1j * rng.standard_normal((1, 20, 10))
    A = 2 * (rng.standard_normal((1, 20, 10)) + 1j * rng.standard_normal((1, 20, 10)))
    assert check("masks.ibm", (np.abs(V) > np.abs(A)).astype(float), target=V, interference=A).ok
    r = check("masks.ibm", (np.abs(V) > np.abs(V + A)).astype(float), target=V, interference=A)
    assert not r.ok and "mixture" in r.message and "np.abs(A)" in r.message
    ok = check("masks.ibm", (np.abs(V) >= np.abs(A)).astype(float), target=V, interference=A)
    assert ok.ok and "same mask" in ok.message   # no exact ties: > and >= agree, and it says so


def test_show_source_displays_the_implementation():
    from mssedu import metrics
    from mssedu.exercises import show_source
    src = show_source(metrics.si_sdr, docstring=False)
    assert src.name == "mssedu.metrics.si_sdr"
    assert src.text.startswith("def si_sdr(") and "alpha" in src.text and "Scale-invariant" not in src.text
    assert "```python" in src._repr_markdown_()
    assert "Scale-invariant" in show_source(metrics.si_sdr).text


def test_shift_cost_message_reads_right_when_padding_adds_no_segment(monkeypatch):
    from mssedu.exercises import pretrained as ch07
    calls = 4 * 2 * ch07.n_segments()
    r = check("pretrained.shift_cost", calls)
    assert r.ok and f"= {calls} model calls" in r.message
    assert f"up to {calls}" not in r.message and "adds no segment here" in r.message
    assert not check("pretrained.shift_cost", calls // 4).ok       # forgot the bag of 4 models
    # a song whose half-second shift padding does add a segment: 31 segments, 32 padded
    monkeypatch.setattr(ch07, "n_segments", lambda seconds=ch07.SONG_SECONDS: 31 + (seconds > ch07.SONG_SECONDS))
    low, high = 4 * 2 * 31, 4 * 2 * 32
    r = check("pretrained.shift_cost", high)
    assert r.ok and f"= {low} model calls (or {high} when" in r.message


def test_bottleneck_answer_is_not_printed_before_its_exercise():
    """Notebook 06 prints the model summary (all output shapes) only after exercise 3."""
    nb = json.loads((ROOT / "notebooks" / "06_unet.ipynb").read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    exercise = next(i for i, s in enumerate(code) if "unet.bottleneck_shape" in s)
    shows_shapes = [i for i, s in enumerate(code) if ".summary(" in s or "layer_table(" in s
                    or "unet_architecture_figure(" in s]
    assert shows_shapes and min(shows_shapes) > exercise


# --- hints that lead, near misses that teach ----------------------------------------------

def test_first_hint_names_the_idea_and_the_second_is_more_explicit():
    from mssedu.exercises.hints import forget
    from mssedu.exercises.phase import misi_problem

    est, mix = misi_problem()
    forget("phase.misi_step")
    first = check("phase.misi_step", est * 0.5)
    second = check("phase.misi_step", est * 0.5)
    assert not first.ok and not second.ok
    assert "mixing error" in first.message and "np." not in first.message and "/" not in first.message
    assert second.message.startswith("Not yet. Second hint:") and "number of sources" in second.message


def test_hint_text_survives_html():
    """No angle brackets in a hint: the notebook shows it as HTML, where '<s_hat, s>' vanishes."""
    rng = np.random.default_rng(0)
    s = rng.standard_normal(1000)
    e = s + 0.3 * rng.standard_normal(1000)
    from mssedu.metrics import sdr

    for _ in range(3):
        result = check("evaluation.si_sdr", float(sdr(s, e)), reference=s, estimate=e)
        assert not result.ok and "<" not in result.message and "inner product" in result.message


@pytest.mark.parametrize("answer, expected", [(512.5, "not a whole number"), ("513", "one whole number")])
def test_a_count_that_is_not_a_whole_number_gets_a_message(answer, expected):
    result = check("unet.strided_conv_size", answer)
    assert not result.ok and expected in result.message and "could not be checked" not in result.message


def test_karaoke_mixture_minus_vocals_is_explained_not_just_refused():
    rng = np.random.default_rng(7)
    stems = {k: rng.standard_normal((2, 500)).astype(np.float32) for k in ("drums", "bass", "other", "vocals")}
    mixture = sum(stems.values()) + 0.1 * rng.standard_normal((2, 500)).astype(np.float32)   # not conservative
    near = check("pretrained.karaoke", mixture - stems["vocals"], estimates=stems, mixture=mixture)
    assert not near.ok and "do not add up" in near.message
    gap = float(np.max(np.abs(mixture - sum(stems.values()))))
    assert f"{gap:.3g}" in near.message
    right = check("pretrained.karaoke", stems["drums"] + stems["bass"] + stems["other"], estimates=stems,
                  mixture=mixture)
    assert right.ok
