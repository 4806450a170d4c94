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
from mssedu.audio import as_signal
from mssedu.errors import AudioError, DataError, ParameterError
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
    monkeypatch.setattr(audio.files, "MAX_LOAD_BYTES", 1024)   # the module load() reads it from
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
    (lambda: classical.nmf(np.ones((10, 50)), "a"), "n_components must be a positive integer"),
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


# =============================================================================================
# Issue 27: the rules, each in one place (mssedu.checks), tested from the rule.
# Rule numbers: 1 arrays, 2 options and named limits, 3 undefined scores, 4 output names and
# folders, 5 the app's file handling, 6 checks before long work, 7 truncated FLAC and the cache.
# =============================================================================================

import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from mssedu import checks, cli, config, losses, separation  # noqa: E402
from mssedu.app import download_links, prepare_app, track_from_upload  # noqa: E402
from mssedu.data import Track  # noqa: E402
from mssedu.data.dataset import check_training_tracks  # noqa: E402
from mssedu.errors import MsseduError, UndefinedScoreWarning  # noqa: E402
from mssedu.separation.demucs import DemucsSeparator  # noqa: E402

STEREO = np.stack([sine(0.25), sine(0.25, hz=330)]).astype(np.float32)
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def refused(call, *words, error=ParameterError):
    """``call()`` raises ``error`` whose message holds every word (argument name, advice)."""
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word.lower() in str(info.value).lower(), (word, str(info.value))
    return str(info.value)


# --- rule 1: arrays: real where audio is meant, complex where a spectrogram is ---------------

AUDIO_ENTRY_POINTS = {
    "save": lambda x, tmp: audio.save(tmp / "x.wav", x, SR),
    "resample": lambda x, tmp: audio.resample(x, SR, 16000),
    "to_mono": lambda x, tmp: audio.to_mono(x),
    "to_stereo": lambda x, tmp: audio.to_stereo(x),
    "normalize": lambda x, tmp: audio.normalize(x),
    "stft": lambda x, tmp: spectral.stft(x, 256, 64),
    "sdr": lambda x, tmp: metrics.sdr(x, x),
}


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("entry", sorted(AUDIO_ENTRY_POINTS))
def test_r1_complex_arrays_are_not_audio(entry, dtype, tmp_path):
    x = STEREO.astype(dtype) * (1 + 0.5j)
    refused(lambda: AUDIO_ENTRY_POINTS[entry](x, tmp_path), "complex", "not audio", ".real")
    assert not list(tmp_path.iterdir())              # nothing half-written


BAD_OBJECTS = {"None": None, "str": "song.wav", "bytes": b"\x00\x01", "int": 3,
               "ragged": [[0.1, 0.2, 0.3], [0.1]], "dict": {"a": 1}, "objects": [object(), object()],
               "strings": np.array(["a", "b"])}


@pytest.mark.parametrize("bad", sorted(BAD_OBJECTS))
@pytest.mark.parametrize("entry", sorted(AUDIO_ENTRY_POINTS))
def test_r1_things_that_are_not_arrays_are_refused_by_name(entry, bad, tmp_path):
    msg = refused(lambda: AUDIO_ENTRY_POINTS[entry](BAD_OBJECTS[bad], tmp_path))
    names = {"save": "signal", "resample": "signal", "to_mono": "signal", "to_stereo": "signal",
             "normalize": "signal", "stft": "x", "sdr": "reference"}
    assert msg.startswith(names[entry]) or f" {names[entry]} " in msg, msg


@pytest.mark.parametrize("X", [np.ones((129, 10), np.float32), np.ones((2, 129, 10)),
                               np.ones((129, 10), np.int16), torch.ones(129, 10)],
                         ids=["float32", "float64", "int16", "torch-float"])
def test_r1_istft_refuses_a_real_array(X):
    refused(lambda: spectral.istft(X, 64), "X is real", "complex STFT", "griffin_lim")


@pytest.mark.parametrize("X", [np.ones(129, np.complex64), torch.ones(129, dtype=torch.complex64),
                               np.ones((1, 10), np.complex64)], ids=["numpy-1d", "torch-1d", "one-bin"])
def test_r1_istft_refuses_a_spectrogram_without_both_axes(X):
    refused(lambda: spectral.istft(X, 64), "X must be (..., freq, frames)")


@pytest.mark.parametrize("bad", sorted(BAD_OBJECTS))
def test_r1_istft_refuses_what_is_not_an_array(bad):
    refused(lambda: spectral.istft(BAD_OBJECTS[bad], 64), "X")


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_r1_half_precision_tensors_give_the_float32_stft(dtype):
    x = torch.from_numpy(STEREO).to(dtype)
    got = spectral.stft(x, 256, 64)
    want = spectral.stft(x.float(), 256, 64)
    assert got.dtype == torch.complex64
    torch.testing.assert_close(got, want)


@pytest.mark.parametrize("x", [torch.ones(2, 800, dtype=torch.complex64), torch.ones(800, dtype=torch.bool)],
                         ids=["complex", "bool"])
def test_r1_torch_stft_refuses_complex_and_boolean_tensors(x):
    refused(lambda: spectral.stft(x, 256, 64), "x", "not audio")


@FEW
@given(dtype=st.sampled_from(["float16", "float32", "float64", "int8", "int16", "int32", "uint8",
                              "complex64", "complex128", "bool"]),
       channels=st.integers(1, 3), samples=st.integers(300, 900))
def test_r1_property_stft_takes_real_numbers_and_refuses_the_rest(dtype, channels, samples):
    x = (np.random.default_rng(0).standard_normal((channels, samples)) * 50).astype(dtype)
    if np.dtype(dtype).kind in "fiu":
        X = spectral.stft(x, 256, 64)
        assert X.shape == (channels, 129, 1 + samples // 64) and np.isfinite(X).all()
    else:
        refused(lambda: spectral.stft(x, 256, 64), "x", "not audio")


@FEW
@given(n=st.integers(1, 40))
def test_r1_property_samples_by_channels_is_refused_with_the_transpose(n):
    x = np.zeros((n + 1, n), np.float32)
    refused(lambda: audio.to_mono(x), ".T", "(channels, samples)")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("entry", ["resample", "to_mono", "stft", "save"])
def test_r1_non_finite_audio_is_refused(entry, value, tmp_path):
    x = STEREO.copy()
    x[1, 5] = value
    refused(lambda: AUDIO_ENTRY_POINTS[entry](x, tmp_path), "NaN/inf", "1 ")


# --- rule 2: options by type and range; named limits for sizes that allocate ----------------

NOT_BOOLS = ["no", "False", 0, 1, None, [], 1.0]
BOOL_OPTIONS = {
    "center (stft)": lambda v: spectral.stft(STEREO, 256, 64, center=v),
    "center (istft)": lambda v: spectral.istft(spectral.stft(STEREO, 256, 64), 64, center=v),
    "mono (load)": None,                       # needs a file: built in the test
    "per_channel (sdr)": lambda v: metrics.sdr(STEREO, STEREO, per_channel=v),
    "zero_mean (si_sdr)": lambda v: metrics.si_sdr(STEREO, STEREO, zero_mean=v),
    "per_channel (sdr_loss)": lambda v: losses.sdr_loss(STEREO, STEREO, per_channel=v),
    "per_channel (si_sdr_loss)": lambda v: losses.si_sdr_loss(STEREO, STEREO, per_channel=v),
}


@pytest.mark.parametrize("value", NOT_BOOLS, ids=repr)
@pytest.mark.parametrize("option", sorted(BOOL_OPTIONS))
def test_r2_yes_no_options_take_a_bool_not_a_truthy_value(option, value, tmp_path):
    call = BOOL_OPTIONS[option]
    if call is None:
        path = audio.save(tmp_path / "s.wav", STEREO, SR)
        call = lambda v: audio.load(path, mono=v)  # noqa: E731
    refused(lambda: call(value), option.split()[0], "True or False", "=False")


@pytest.mark.parametrize("value", ["no", "False", 1])
def test_r2_wiener_is_a_bool(value):
    from mssedu.models import MiniUNet, UNetConfig, UNetSeparator
    model = MiniUNet(UNetConfig(sr=SR, n_fft=256, hop_length=64, n_bins=64, channels=(4, 8)))
    refused(lambda: UNetSeparator(model, wiener=value), "wiener", "True or False")


@pytest.mark.parametrize("sr", [0, -1, 1.5, "44100", None, np.nan, True, 10 ** 9])
def test_r2_a_track_needs_a_real_sample_rate(sr):
    refused(lambda: Track("t", sr, STEREO), "sr")


@pytest.mark.parametrize("call, words", [
    (lambda: spectral.stft(STEREO, 2 ** 40), ["n_fft", "limit of 262144"]),
    (lambda: spectral.check_stft_params(2 ** 19, None), ["n_fft", "limit", "6 s"]),
    (lambda: griffin_lim(np.ones((129, 4)), n_iter=10 ** 9), ["n_iter", "limit of 10000"]),
    (lambda: griffin_lim(np.ones((129, 4)), n_iter=np.nan), ["n_iter"]),
    (lambda: griffin_lim(np.ones((129, 4)), n_iter="32"), ["n_iter"]),
    (lambda: classical.nmf(np.ones((10, 10)), 10 ** 6), ["n_components", "limit of 1024"]),
    (lambda: classical.nmf(np.ones((10, 10)), 4, n_iter=np.nan), ["n_iter"]),
    (lambda: audio.resample(STEREO, SR, 10 ** 9), ["target_sr", "768000"]),
    (lambda: audio.resample(STEREO, SR, 1e9), ["target_sr", "768000"]),
    (lambda: audio.resample(STEREO, 0, SR), ["orig_sr", "positive"]),
    (lambda: DemucsSeparator(object(), shifts=10 ** 6), ["shifts", "limit of 20"]),
    (lambda: DemucsSeparator(object(), shifts=-1), ["shifts"]),
    (lambda: DemucsSeparator(object(), shifts=2.5), ["shifts"]),
], ids=["stft-n_fft", "stft-params", "gl-n_iter-huge", "gl-n_iter-nan", "gl-n_iter-str",
        "nmf-components", "nmf-n_iter-nan", "resample-1e9", "resample-1e9-float", "resample-orig-0",
        "shifts-huge", "shifts-negative", "shifts-fraction"])
def test_r2_sizes_that_allocate_are_refused_up_front_with_the_limit(call, words):
    refused(call, *words)


@FEW
@given(value=st.one_of(st.integers(-10, 2 ** 45), st.floats(allow_nan=True), st.text(max_size=3),
                       st.booleans(), st.none()))
def test_r2_property_check_int_accepts_exactly_the_whole_numbers_in_range(value):
    limit = checks.LIMITS["n_fft"][0]
    good = (not isinstance(value, (bool, str)) and value is not None and np.isfinite(value)
            and float(value) == int(value) and 2 <= value <= limit)
    if good:
        assert checks.check_int(value, "n_fft", 2) == int(value)
    else:
        refused(lambda: checks.check_int(value, "n_fft", 2), "n_fft")


@pytest.mark.parametrize("name", sorted(checks.LIMITS))
def test_r2_every_named_limit_says_its_limit_and_why(name):
    limit, why = checks.LIMITS[name]
    assert checks.check_size(name, limit, limit, why) == limit
    refused(lambda: checks.check_size(name, limit + 1, limit, why), name, str(limit), why[:20])


def test_r2_check_size_raises_the_class_the_caller_names():
    from mssedu.errors import ModelLoadingError
    refused(lambda: checks.check_size("channels", 8192, 4096, "no real model is wider",
                                      error=ModelLoadingError), "channels=8192", "4096",
            error=ModelLoadingError)


# --- rule 3: undefined scores are NaN with a warning, in every metric and loss ---------------

SILENT = np.zeros_like(STEREO)
METRIC_CALLS = {
    "sdr": lambda r, e: metrics.sdr(r, e),
    "si_sdr": lambda r, e: metrics.si_sdr(r, e),
    "sdr per_channel": lambda r, e: metrics.sdr(r, e, per_channel=True),
    "si_sdr per_channel": lambda r, e: metrics.si_sdr(r, e, per_channel=True),
    "bss_eval_quick": lambda r, e: metrics.bss_eval_quick(r[None], e[None]).loc["source0", "SDR"],
    "bss_eval": lambda r, e: metrics.bss_eval(r[None], e[None], sr=SR, window=None).loc["source0", "SDR"],
}


@pytest.mark.parametrize("metric", sorted(METRIC_CALLS))
def test_r3_a_silent_reference_scores_nan_with_a_warning(metric):
    with pytest.warns(UndefinedScoreWarning, match="silent"):
        value = METRIC_CALLS[metric](SILENT, STEREO)
    assert np.all(np.isnan(value))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("metric", sorted(METRIC_CALLS))
def test_r3_a_non_finite_estimate_scores_nan_with_a_warning(metric, bad):
    est = STEREO.copy()
    est[0, 3] = bad
    with pytest.warns(UndefinedScoreWarning, match="NaN/inf"):
        value = np.atleast_1d(METRIC_CALLS[metric](STEREO, est))
    assert np.isnan(value[0])                            # the broken channel (or the signal)
    assert np.isfinite(value[1:]).all()                  # per channel: the other one is scored


def test_r3_only_the_undefined_rows_are_nan():
    ref = np.stack([STEREO, SILENT])
    with pytest.warns(UndefinedScoreWarning, match="1 of 2"):
        values = metrics.sdr(ref, 0.5 * ref)
    assert values[0] == pytest.approx(20 * np.log10(2)) and np.isnan(values[1])


def test_r3_framewise_sdr_warns_once_for_non_finite_input():
    est = STEREO.copy()
    est[:, :10] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, values = metrics.framewise_sdr(STEREO, est, SR, window=0.05)
    assert [w.category for w in caught] == [UndefinedScoreWarning]
    assert np.isnan(values[0]) and np.isfinite(values[1:]).all()


LOSS_CALLS = {name: getattr(losses, name) for name in
              ("l1_loss", "l2_loss", "huber_loss", "spectral_convergence_loss",
               "log_magnitude_loss", "sdr_loss", "si_sdr_loss", "stft_loss",
               "multi_resolution_stft_loss")}


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("loss", sorted(LOSS_CALLS))
def test_r3_a_non_finite_input_gives_a_nan_loss_with_a_warning(loss, bad):
    est = torch.from_numpy(np.abs(STEREO)).requires_grad_()
    ref = np.abs(STEREO).copy()
    ref[0, 3] = bad
    with pytest.warns(UndefinedScoreWarning, match="NaN/inf"):
        value = LOSS_CALLS[loss](ref, est)
    assert torch.isnan(value) and value.requires_grad


@pytest.mark.parametrize("eps", [0, -1e-8, np.nan, "1e-8", None])
@pytest.mark.parametrize("loss", ["spectral_convergence_loss", "log_magnitude_loss", "sdr_loss",
                                  "si_sdr_loss"])
def test_r3_loss_eps_must_be_positive(loss, eps):
    refused(lambda: LOSS_CALLS[loss](np.abs(STEREO), np.abs(STEREO), eps=eps), "eps")


@pytest.mark.parametrize("eps", [0, -1.0, np.nan])
@pytest.mark.parametrize("metric", [metrics.sdr, metrics.si_sdr])
def test_r3_metric_eps_must_be_positive(metric, eps):
    refused(lambda: metric(STEREO, STEREO, eps=eps), "eps", "positive")


def test_r3_silent_reference_loss_stays_finite_through_eps():
    value = losses.sdr_loss(SILENT, STEREO)
    assert torch.isfinite(value) and float(value) > 100      # far from the target: a big loss


# --- rule 4: output names and folders ---------------------------------------------------------

NASTY_NAMES = ["..wav", "...wav", ".wav", "../../etc/passwd.wav", "a/../../b.wav", "/abs/song.wav",
               "so\x00ng.wav", "so\nng.wav", ".hidden.wav", " .wav", "con:aux.wav", "a" * 400 + ".wav",
               "ok song (live).wav", "x.stem.mp4", "..stem.mp4", "~user.wav", "$(rm -rf).wav"]


@pytest.mark.parametrize("name", NASTY_NAMES, ids=range(len(NASTY_NAMES)))
def test_r4_song_names_are_one_safe_component(name):
    got = separation.song_name(name)
    assert got and got not in (".", "..") and not got.startswith(".")
    assert "/" not in got and "\x00" not in got and "\n" not in got and len(got) <= 120
    assert Path("out", got).parent == Path("out")


@FEW
@given(text=st.text(max_size=60))
def test_r4_property_safe_component_never_escapes(text):
    got = checks.safe_component(text)
    assert got and got not in (".", "..") and "/" not in got and "\\" not in got
    assert (Path("/base") / got).resolve().parent == Path("/base")


class GainSeparator:
    """Stateless and linear (stem k = g_k * x): enough to write real stem folders."""

    name, sr, channels = "gains", SR, 2
    sources = ["drums", "bass", "other", "vocals"]

    def separate(self, signal, progress=True):
        return {s: g * signal for s, g in zip(self.sources, (0.1, 0.2, 0.3, 0.4))}


def song(path, seconds, seed=0):
    x = 0.1 * np.random.default_rng(seed).standard_normal((2, int(seconds * SR)))
    sf.write(path, x.T.astype(np.float32), SR, format="WAV", subtype="FLOAT")


def test_r4_dot_dot_wav_does_not_write_into_the_model_folder(tmp_path, monkeypatch):
    song(tmp_path / "other.wav", 1.0, seed=1)
    song(tmp_path / "..wav", 1.0, seed=2)
    import mssedu.separation as separation   # the CLI imports load_separator from here when it runs

    monkeypatch.setattr(separation, "load_separator", lambda *a, **k: GainSeparator())
    out = tmp_path / "out"
    assert cli.main(["separate", str(tmp_path / "other.wav"), "--out", str(out), "-q"]) == 0
    assert cli.main(["separate", str(tmp_path / "..wav"), "--out", str(out), "--force", "-q"]) == 0
    model = out / "htdemucs"
    assert sorted(p.name for p in model.iterdir() if not p.name.startswith(".")) == ["other", "untitled"]
    assert (model / "other" / "vocals.wav").exists()        # --force removed only its own song
    assert not (model / "vocals.wav").exists()


@pytest.mark.parametrize("folder", [".", "..", "out/.."])
def test_r4_separate_file_refuses_a_dot_folder(tmp_path, folder, monkeypatch):
    song(tmp_path / "s.wav", 0.5)
    monkeypatch.chdir(tmp_path)
    refused(lambda: separation.separate_file(GainSeparator(), tmp_path / "s.wav", folder,
                                             progress=False), "folder", "song_name")


def test_r4_a_second_writer_of_one_song_folder_is_refused(tmp_path):
    song(tmp_path / "s.wav", 0.5)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / ".s.lock").write_text(str(os.getppid()))     # a live process holds it
    msg = refused(lambda: separation.separate_file(GainSeparator(), tmp_path / "s.wav",
                                                   tmp_path / "out" / "s", progress=False),
                  "being written by another", "wait", error=DataError)
    assert str(os.getppid()) in msg and not (tmp_path / "out" / "s").exists()


def test_r4_a_dead_runs_lock_is_taken_over_and_released(tmp_path):
    song(tmp_path / "s.wav", 0.5)
    (tmp_path / "out").mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "out" / ".s.lock").write_text(str(dead.pid))
    paths = separation.separate_file(GainSeparator(), tmp_path / "s.wav", tmp_path / "out" / "s",
                                     progress=False)
    assert len(paths) == 4 and all(p.exists() for p in paths)
    assert not (tmp_path / "out" / ".s.lock").exists()


def test_r4_the_app_keeps_a_users_own_workshop_notebook(tmp_path):
    mine = tmp_path / "workshop.ipynb"
    mine.write_text("my notes")
    refused(lambda: prepare_app(tmp_path), "workshop.ipynb", "another --dir", error=DataError)
    assert mine.read_text() == "my notes"
    other = tmp_path / "fresh"
    assert prepare_app(other).exists() and prepare_app(other).exists()   # its own copy: kept


# --- rule 5: the app's file handling ----------------------------------------------------------

BAD_UPLOADS = [("so\x00ng.wav", b"RIFF"), (None, b"RIFF"), (3, b"RIFF"), ("", b"RIFF"),
               ("song.wav", "RIFF...."), ("song.wav", None), ("song.wav", 3), ("song.wav", b"")]


@pytest.mark.parametrize("name, data", BAD_UPLOADS,
                         ids=["nul", "name-none", "name-int", "name-empty", "data-str", "data-none",
                              "data-int", "data-empty"])
def test_r5_track_from_upload_gives_a_message(name, data):
    refused(lambda: track_from_upload(name, data), "upload")


@pytest.mark.parametrize("name, data", BAD_UPLOADS[:3] + BAD_UPLOADS[4:],
                         ids=["nul", "name-none", "name-int", "data-str", "data-none", "data-int",
                              "data-empty"])
def test_r5_check_upload_names_what_to_do(name, data):
    refused(lambda: checks.check_upload(data, name), "upload")


def test_r5_an_upload_name_keeps_only_its_last_component():
    assert checks.check_upload(b"x", "../../a/b.wav") == (b"x", "b.wav")
    assert checks.check_upload(bytearray(b"x"), "C:\\u\\song.wav") == (bytearray(b"x"), "song.wav")


@pytest.mark.parametrize("path", ["../secret.wav", "/etc/passwd", "a/../../x.wav", "a\x00b.wav", 3])
def test_r5_download_links_refuse_paths_outside_the_folder(tmp_path, path):
    refused(lambda: download_links([path], root=tmp_path / "root"), error=DataError)


def test_r5_download_links_inside_the_folder_work(tmp_path):
    (tmp_path / "a").mkdir()
    html = download_links([tmp_path / "a" / "v.wav"], root=tmp_path)
    assert "files/a/v.wav" in html


# --- rule 6: checks before long work ----------------------------------------------------------

def test_r6_train_with_a_checkpoint_under_a_file_stops_before_training(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    code = cli.main(["train", "--checkpoint", str(tmp_path / "file" / "model.pt"), "--steps", "100000"])
    assert code == 1
    assert "--checkpoint" in capsys.readouterr().err


def test_r6_checkpoint_that_is_a_folder_is_refused(tmp_path):
    refused(lambda: checks.check_output_file(tmp_path, "--checkpoint", "Choose another."),
            "is a folder", "Choose another", error=DataError)


@pytest.mark.parametrize("stems", [{"vocals"}, {"drums"}, set()])
def test_r6_a_song_with_one_stem_cannot_teach_separation(stems):
    track = Track("only", SR, STEREO, {s: STEREO for s in stems})
    refused(lambda: check_training_tracks([track], ("vocals",)), "only", "other stems" if stems else "",
            error=DataError)


def test_r6_no_training_songs_is_refused():
    refused(lambda: check_training_tracks([], ("vocals",)), "No training songs", error=DataError)


def test_r6_a_folder_with_only_vocals_is_refused_before_the_first_step(tmp_path):
    from mssedu.data.dataset import ExcerptDataset
    audio.save(tmp_path / "song" / "vocals.wav", STEREO, SR)
    from mssedu.data import load_multitrack
    refused(lambda: ExcerptDataset([load_multitrack(tmp_path / "song")], seconds=0.1),
            "vocals", "nothing to separate", error=DataError)


# --- rule 7: truncated FLAC, the cache folder -------------------------------------------------

@pytest.mark.parametrize("keep", [0.3, 0.5, 0.8])
def test_r7_a_truncated_flac_is_refused_like_a_truncated_wav(tmp_path, keep):
    path = tmp_path / "cut.flac"
    rng = np.random.default_rng(0)
    sf.write(path, (0.1 * rng.standard_normal((3 * SR, 2))).astype(np.float32), SR)
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    refused(lambda: audio.load(path), "truncated", "re-download", error=AudioError)


def test_r7_cache_pointing_at_a_file_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("MSSEDU_CACHE", str(tmp_path / "file"))
    refused(lambda: config.cache_dir("weights"), "MSSEDU_CACHE", "is a file", error=DataError)


def test_every_refusal_here_is_an_mssedu_error():
    assert issubclass(ParameterError, MsseduError) and issubclass(DataError, MsseduError)
