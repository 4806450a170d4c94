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
    from mssedu.exercises.ch01_stft import short_signal

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
