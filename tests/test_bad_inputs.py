"""Bad inputs at the signal layer (GitHub issue 13): each gives a clear mssedu error, or the
right result, never a silently wrong answer or a raw traceback from numpy, torch or a decoder.

One test per case of the issue; the numbers in the test names follow the issue's list.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from mssedu import audio, classical, masks, metrics, spectral
from mssedu.errors import AudioError, DataError, ParameterError, as_signal
from mssedu.phase import griffin_lim

SR = 8000
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


def sine(seconds=0.5, sr=SR, hz=440.0):
    t = np.arange(int(seconds * sr)) / sr
    return np.sin(2 * np.pi * hz * t)


# --- 1. integer PCM is scaled by its full scale -----------------------------------------------

def test_1_int16_full_scale_sine_saved_and_loaded_peaks_at_one(tmp_path):
    pcm = np.round(sine() * 32767).astype(np.int16)
    path = audio.save(tmp_path / "pcm.wav", pcm, SR)
    y, _ = audio.load(path)
    assert np.max(np.abs(y)) == pytest.approx(1.0, abs=1e-3)


def test_1_every_pcm_dtype_maps_to_minus_one_one():
    np.testing.assert_allclose(as_signal(np.array([-32768, 0, 16384], np.int16)), [-1, 0, 0.5])
    np.testing.assert_allclose(as_signal(np.array([-2 ** 31, 2 ** 30], np.int32)), [-1, 0.5])
    np.testing.assert_allclose(as_signal(np.array([0, 128, 192], np.uint8)), [-1, 0, 0.5])


def test_1_stft_and_helpers_scale_int16_like_floats():
    x = sine()
    pcm = np.round(x * 32767).astype(np.int16)
    as_float = pcm.astype(np.float32) / 32768
    np.testing.assert_allclose(spectral.stft(pcm, 256, 64), spectral.stft(as_float, 256, 64),
                               atol=1e-5)
    assert np.max(np.abs(audio.to_mono(np.stack([pcm, pcm])))) <= 1.0
    assert audio.to_stereo(pcm).max() <= 1.0
    assert np.max(np.abs(audio.normalize(pcm, peak=0.5))) == pytest.approx(0.5)


def test_1_boolean_arrays_are_not_audio():
    with pytest.raises(ParameterError, match="boolean array.*not audio"):
        audio.to_mono(np.ones(100, dtype=bool))


# --- 2. (samples, channels) is refused with a hint -------------------------------------------

def test_2_samples_by_channels_to_mono_asks_for_transpose():
    with pytest.raises(ParameterError, match=r"shape \(44100, 2\).*signal\.T"):
        audio.to_mono(np.zeros((44100, 2), np.float32))


def test_2_samples_by_channels_save_asks_for_transpose(tmp_path):
    with pytest.raises(ParameterError, match=r"\(samples, channels\).*signal\.T"):
        audio.save(tmp_path / "x.wav", np.zeros((44100, 2), np.float32), 44100)
    assert not list(tmp_path.iterdir())   # nothing half-written


# --- 3. normalize needs a positive peak ------------------------------------------------------

@pytest.mark.parametrize("peak", [-1, 0, float("nan"), "0.9"])
def test_3_normalize_refuses_a_peak_that_is_not_positive(peak):
    with pytest.raises(ParameterError, match="peak must be > 0"):
        audio.normalize(np.array([0.5, -0.25]), peak=peak)


# --- 4. the ideal ratio mask for huge alpha ---------------------------------------------------

def test_4_irm_with_huge_alpha_is_the_binary_mask_without_nan():
    rng = np.random.default_rng(0)
    S = rng.random((2, 33, 20)) * 3
    N = rng.random((2, 33, 20)) * 3
    S[0, 0, :3] = 0          # silent target, silent interference, both silent
    N[0, 1, :3] = 0
    N[0, 0, :2] = 0
    M = masks.ideal_ratio_mask(S, N, alpha=1e6)
    assert not np.isnan(M).any()
    differ = S != N
    np.testing.assert_array_equal(M[differ], masks.ideal_binary_mask(S, N)[differ])
    np.testing.assert_allclose(masks.ideal_ratio_mask(S, N, alpha=1), S / np.where(S + N > 0, S + N, 1),
                               rtol=1e-5)


def test_4_irm_alpha_must_be_a_number():
    with pytest.raises(ParameterError, match="alpha must be a positive number.*'2'"):
        masks.ideal_ratio_mask(np.ones((2, 2)), np.ones((2, 2)), alpha="2")


# --- 5. istft: length and invertibility -------------------------------------------------------

def test_5_istft_negative_length():
    X = spectral.stft(sine(), 256, 64)
    with pytest.raises(ParameterError, match="length must be a positive whole number.*-5"):
        spectral.istft(X, 64, length=-5)


def test_5_istft_refuses_a_window_hop_pair_that_is_not_nola():
    x = sine()
    X = spectral.stft(x, 1024, 1024)   # analysis alone is fine (a coarse picture)
    with pytest.raises(ParameterError, match="hop_length=1024 cannot be inverted.*hop_length=512"):
        spectral.istft(X, 1024, length=len(x))


# --- 6. bad arguments name themselves ---------------------------------------------------------

def test_6_gain_sensitivity_gains_must_be_numbers():
    x = sine()[None]
    with pytest.raises(ParameterError, match="gains_db must be.*'x'"):
        metrics.gain_sensitivity(x, x, gains_db="x")


def test_6_griffin_lim_unknown_device():
    with pytest.raises(ParameterError, match="device='tpu'"):
        griffin_lim(np.ones((129, 8), np.float32), n_iter=1, device="tpu")


@pytest.mark.parametrize("kwargs, message", [
    ({"offset": "a"}, "offset must be >= 0.*'a'"),
    ({"offset": -1}, "offset must be >= 0.*-1"),
    ({"duration": 0}, "duration must be > 0.*0"),
    ({"duration": -2.0}, "duration must be > 0"),
    ({"max_seconds": "long"}, "max_seconds must be > 0"),
])
def test_6_load_offset_and_duration_are_checked(tmp_path, kwargs, message):
    path = tmp_path / "tone.wav"
    sf.write(path, sine(), SR)
    with pytest.raises(ParameterError, match=message):
        audio.load(path, **kwargs)


# --- 7. broken files and missing ffmpeg -------------------------------------------------------

def test_7_garbage_named_flac_is_not_an_audio_file(tmp_path):
    path = tmp_path / "song.flac"
    path.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(AudioError, match=r"song\.flac is not an audio file.*[Rr]e-export"):
        audio.load(path)


def test_7_truncated_wav_is_an_error_naming_both_lengths(tmp_path):
    full = tmp_path / "full.wav"
    sf.write(full, np.stack([sine(2.0, 44100)] * 2).T, 44100)
    data = full.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(AudioError, match=r"cut\.wav is truncated.*says 2\.00 s.*only 0\.6\d s"):
        audio.load(cut)
    np.testing.assert_allclose(audio.load(full)[0].shape, (2, 88200))   # a whole file still loads


@pytest.fixture
def no_ffmpeg(tmp_path, monkeypatch):
    """PATH without ffmpeg/ffprobe (an empty folder)."""
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


def test_7_m4a_and_mp3_decode_without_ffmpeg(tmp_path, no_ffmpeg, capfd):
    """PyAV's wheels carry FFmpeg's libraries: no ffmpeg program is needed to read them."""
    from encoding import encode
    x = np.stack([sine(1.0, 44100)] * 2)
    for ext in ("m4a", "mp3"):
        y, sr = audio.load(encode(tmp_path / f"song.{ext}", x, 44100))
        assert sr == 44100 and y.shape[0] == 2 and abs(y.shape[1] - 44100) <= 2048
    assert capfd.readouterr().err == ""


def test_7_random_mp3_without_ffmpeg_no_decoder_noise(tmp_path, no_ffmpeg, capfd):
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(1).bytes(5000))
    with pytest.raises(AudioError, match=r"noise\.mp3 is not an audio file that soundfile or PyAV "
                                         r"can read.*[Rr]e-export"):
        audio.load(path)
    err = capfd.readouterr().err
    assert "Note:" not in err and "MPEG" not in err and "mpg123" not in err, err


def test_7_import_and_wav_work_without_ffmpeg(tmp_path):
    path = tmp_path / "tone.wav"
    sf.write(path, sine(), SR)
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    env = dict(os.environ, PATH=str(empty), PYTHONPATH=os.pathsep.join(sys.path))
    code = f"from mssedu import audio; print(audio.load({str(path)!r})[0].shape)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"(1, {len(sine())})"


# --- 8. max_seconds, checked from the header before decoding ---------------------------------

@pytest.fixture
def half_hour_flac(tmp_path):
    """30 minutes of 8 kHz mono silence: a FLAC of about 300 KB."""
    path = tmp_path / "long.flac"
    minute = np.zeros(60 * SR, dtype=np.int16)
    with sf.SoundFile(path, "w", samplerate=SR, channels=1, format="FLAC", subtype="PCM_16") as f:
        for _ in range(30):
            f.write(minute)
    return path


def test_8_max_seconds_refuses_before_decoding(half_hour_flac, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the file was decoded")

    monkeypatch.setattr(sf.SoundFile, "read", never)
    monkeypatch.setattr(subprocess, "run", never)
    with pytest.raises(AudioError, match=r"long\.flac is 1800 s \(30\.0 minutes\).*"
                                         r"max_seconds=600.*offset= and duration="):
        audio.load(half_hour_flac, max_seconds=600)


def test_8_max_seconds_counts_only_what_is_read(half_hour_flac):
    y, sr = audio.load(half_hour_flac, offset=60, duration=2, max_seconds=600)
    assert y.shape == (1, 2 * SR) and sr == SR


def test_8_too_big_message_mentions_the_cli(half_hour_flac, monkeypatch):
    monkeypatch.setattr(audio, "MAX_LOAD_BYTES", 1024)
    with pytest.raises(AudioError, match=r"offset=.*stream\(path\).*mssedu separate long\.flac"):
        audio.load(half_hour_flac)


# --- 9. more of the same, found on the way ----------------------------------------------------

def test_9_metrics_scale_int16_like_the_reader():
    x = sine()
    pcm = np.round(x * 32767).astype(np.int16)
    assert metrics.sdr(x[None], pcm[None]) > 40     # unscaled it was about -90 dB


def test_9_save_with_an_impossible_subtype_names_the_file_not_a_temp_path(tmp_path):
    with pytest.raises(ParameterError, match=r"Cannot write out\.ogg.*subtype='PCM_16'") as info:
        audio.save(tmp_path / "out.ogg", sine(), SR, subtype="PCM_16")
    assert "/." not in str(info.value)   # the hidden temporary file is not shown
    assert not list(tmp_path.iterdir())


def test_9_stream_block_seconds_must_be_a_number(tmp_path):
    path = tmp_path / "tone.wav"
    sf.write(path, sine(), SR)
    with pytest.raises(ParameterError, match="block_seconds must be > 0"):
        next(audio.stream(path, block_seconds="10"))


@pytest.mark.parametrize("call, message", [
    (lambda: spectral.stft(sine(), 256, "a"), "hop_length must be a positive integer, got 'a'"),
    (lambda: spectral.istft(np.ones((129, 4), np.complex64), 64, n_fft="x"), "n_fft must be a whole"),
    (lambda: spectral.amplitude_to_db(np.ones(4), top_db="a"), "top_db must be >= 0"),
    (lambda: spectral.icqt(np.ones((84, 10)), 8000, length=-1), "length must be a positive"),
])
def test_9_spectral_arguments_of_the_wrong_type(call, message):
    with pytest.raises(ParameterError, match=message):
        call()


@pytest.mark.parametrize("call, message", [
    (lambda: classical.centre_channel_cancellation(np.zeros((2, 100)), amount="1"), "amount must be"),
    (lambda: classical.hpss(np.zeros((2, 4096)), margin="a"), "margin must be >= 1"),
    (lambda: classical.repet_mask(np.ones((10, 50)), "a"), "period='a' frames must be a whole"),
    (lambda: classical.nmf(np.ones((10, 50)), "a"), "n_components must be a positive whole"),
])
def test_9_classical_arguments_of_the_wrong_type(call, message):
    with pytest.raises(ParameterError, match=message):
        call()


def test_saved_files_get_the_users_usual_mode(tmp_path):
    import stat

    from mssedu import audio

    old = os.umask(0o022)
    try:
        path = audio.save(tmp_path / "x.wav", np.zeros((2, 800), np.float32), 8000)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644      # not mkstemp's 0600
