"""Every bad input of the foundation gives one clear error of the ``mssedu.MsseduError``
family whose message says what was wrong and what to do about it: a bad argument is a
``ParameterError`` (also a ``ValueError``), a missing, unreadable or unwritable file a
``DataError``, an audio file that cannot be decoded an ``AudioError`` (a ``DataError``)."""
from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf

import mssedu
from mssedu import MsseduError, audio
from mssedu import spectral as S
from mssedu.errors import AudioError, DataError, ParameterError

SR = 8000


def tone(seconds=0.5, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return np.stack([np.sin(2 * np.pi * 440 * t)] * 2).astype(np.float32) * 0.5


def test_one_exception_family_bad_arguments_are_value_errors(tmp_path):
    assert mssedu.MsseduError is MsseduError
    assert issubclass(ParameterError, MsseduError) and issubclass(ParameterError, ValueError)
    assert issubclass(AudioError, DataError) and issubclass(DataError, MsseduError)
    assert not issubclass(MsseduError, ValueError)
    assert not issubclass(DataError, ValueError)  # a missing file is not a bad value
    with pytest.raises(ValueError):  # old-style `except ValueError` still catches bad input
        S.stft(np.zeros(4096, np.float32), 512, 1024)
    with pytest.raises(ParameterError):
        S.stft(np.zeros(4096, np.float32), 512, 1024)
    # ... but not a missing file, which MsseduError (and DataError) catch
    with pytest.raises(MsseduError) as err:
        audio.load(tmp_path / "nope.wav")
    assert isinstance(err.value, DataError) and not isinstance(err.value, ValueError)


# --- files -------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"No such file: .*nope\.wav\. Check the path"):
        audio.load(tmp_path / "nope.wav")


def test_empty_file(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioError, match=r"is empty \(0 bytes\)\. Re-export"):
        audio.load(tmp_path / "empty.wav")


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(DataError, match="is a folder, not an audio file"):
        audio.load(tmp_path)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can read files whatever their permissions")
def test_unreadable_file_permissions(tmp_path):
    path = tmp_path / "locked.wav"
    sf.write(path, tone().T, SR)
    path.chmod(0)
    try:
        with pytest.raises(DataError, match=r"cannot be read \(permissions\)"):
            audio.load(path)
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize("name,content", [
    ("notes.txt", b"these are lecture notes, not audio\n" * 20),
    ("fake.wav", b"RIFF....WAVEfmt but nothing sensible follows" * 20),
    ("corrupt.mp3", bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8))),
    ("image.flac", b"\x89PNG\r\n\x1a\n" + b"\x00" * 500),
])
def test_non_audio_and_corrupt_files(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AudioError, match=r"(no audio stream|could not decode|not an audio file).*"):
        audio.load(path)


def test_broken_stem_file(tmp_path):
    path = tmp_path / "broken.stem.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)
    with pytest.raises(AudioError, match="could not be read as a stem file"):
        audio.load(path)


def test_offset_past_the_end_decodes_nothing(tmp_path):
    path = tmp_path / "short.wav"
    sf.write(path, tone(0.1).T, SR)
    with pytest.raises(ParameterError, match="decoded to no samples.*past the end"):
        audio.load(path, offset=5.0)
    with pytest.raises(ParameterError, match="offset must be >= 0"):
        audio.load(path, offset=-1.0)


def test_save_unknown_format_and_existing_file(tmp_path):
    with pytest.raises(ParameterError, match=r"unknown format '\.xyz'; use one of \.wav"):
        audio.save(tmp_path / "out.xyz", tone(), SR)
    audio.save(tmp_path / "out.wav", tone(), SR)
    with pytest.raises(DataError, match="already exists; pass overwrite=True"):
        audio.save(tmp_path / "out.wav", tone(), SR)


def test_save_rejects_wrong_shapes(tmp_path):
    with pytest.raises(MsseduError, match=r"must be \(channels, samples\)"):
        audio.save(tmp_path / "cube.wav", np.zeros((2, 2, 100), np.float32), SR)


# --- NaN / inf --------------------------------------------------------------------------

def test_nan_in_a_file(tmp_path):
    x = tone()
    x[0, 10] = np.nan
    x[1, 20] = np.inf
    sf.write(tmp_path / "nan.wav", x.T, SR, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"contains 2 NaN/inf value\(s\).*np\.nan_to_num"):
        audio.load(tmp_path / "nan.wav")


@pytest.mark.parametrize("call", [
    lambda x: S.stft(x, 256, 64),
    lambda x: audio.save("/tmp/never-written-mssedu.wav", x, SR),
    lambda x: audio.play(x, SR),
    lambda x: audio.resample(x, SR, 16000),
    lambda x: audio.normalize(x),
    lambda x: audio.to_mono(x),
])
def test_nan_in_a_signal(call):
    x = tone()
    x[1, 3] = np.nan
    with pytest.raises(MsseduError, match=r"NaN/inf"):
        call(x)
    assert not os.path.exists("/tmp/never-written-mssedu.wav")


def test_nan_in_a_tensor_and_a_spectrogram():
    torch = pytest.importorskip("torch")
    with pytest.raises(MsseduError, match="NaN/inf"):
        S.stft(torch.tensor([0.0, float("inf")] * 600), 256, 64)
    X = S.stft(tone(), 256, 64)
    X[0, 3, 3] = np.nan
    with pytest.raises(MsseduError, match="X contains 1 NaN/inf"):
        S.istft(X, 64)


# --- frames, hops, windows ---------------------------------------------------------------

def test_signal_shorter_than_one_frame():
    with pytest.raises(MsseduError, match=r"100 samples, shorter than one frame \(n_fft=512\)\. "
                                          r"Use a longer clip or a smaller n_fft"):
        S.stft(np.zeros(100, np.float32), 512, 128, center=False)
    with pytest.raises(MsseduError, match="shorter than one frame"):
        S.stft(pytest.importorskip("torch").zeros(100), 512, 128, center=False)
    with pytest.raises(MsseduError, match="has 0 samples"):
        S.stft(np.zeros((2, 0), np.float32), 512, 128)


def test_hop_larger_than_n_fft():
    msg = r"hop_length=1024 is larger than n_fft=512.*Use hop_length <= n_fft"
    with pytest.raises(MsseduError, match=msg):
        S.stft(tone(), 512, 1024)
    with pytest.raises(MsseduError, match=msg):
        S.istft(S.stft(tone(), 512, 128), 1024)
    with pytest.raises(MsseduError, match=msg):
        S.check_cola("hann", 512, 1024)


@pytest.mark.parametrize("n_fft,hop,match", [(1, 1, "n_fft must be an integer >= 2"),
                                             (512.5, 128, "n_fft must be an integer"),
                                             (512, 0, "hop_length must be a positive integer"),
                                             (512, -3, "hop_length must be a positive integer")])
def test_bad_fft_sizes(n_fft, hop, match):
    with pytest.raises(MsseduError, match=match):
        S.stft(tone(), n_fft, hop)


@pytest.mark.parametrize("call", [lambda: S.stft(tone(), 512, 128, window="hannn"),
                                  lambda: S.istft(S.stft(tone(), 512, 128), 128, window="hanning_typo"),
                                  lambda: S.check_cola("triangle-ish", 512, 128),
                                  lambda: S.get_window("nope", 64)])
def test_unknown_window_name(call):
    with pytest.raises(MsseduError, match=r"Unknown window .*Use a scipy window name such as 'hann'"):
        call()


def test_window_array_of_the_wrong_length():
    with pytest.raises(MsseduError, match=r"window has shape \(100,\), expected \(512,\)"):
        S.stft(tone(), 512, 128, window=np.ones(100))


def test_cqt_above_nyquist_and_naive_cqt_needs_mono():
    with pytest.raises(MsseduError, match="above Nyquist"):
        S.constant_q_kernel(8000, fmin=32.7, n_bins=120)
    with pytest.raises(MsseduError, match="CQT parameters rejected"):
        S.cqt(tone()[0], 8000, n_bins=84)
    with pytest.raises(MsseduError, match="mono 1-D signal"):
        S.naive_cqt(tone(), SR)


# --- sample rates ------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [0, -44100, 44100.5, None, "44.1k", float("inf"), np.nan])
def test_bad_sample_rates(tmp_path, bad):
    msg = "must be a positive whole number of Hz"
    with pytest.raises(MsseduError, match=msg):
        audio.resample(tone(), bad, 16000)
    with pytest.raises(MsseduError, match=msg):
        audio.resample(tone(), SR, bad)
    with pytest.raises(MsseduError, match=msg):
        audio.play(tone(), bad)
    with pytest.raises(MsseduError, match=msg):
        audio.save(tmp_path / "x.wav", tone(), bad)
    if bad is None:
        return  # load(sr=None) means "keep the file's rate"
    sf.write(tmp_path / "ok.wav", tone().T, SR)
    with pytest.raises(MsseduError, match=msg):
        audio.load(tmp_path / "ok.wav", sr=bad)


def test_stems_with_mismatched_sample_rates(tmp_path):
    """A folder of stems recorded at different rates is refused unless sr=... is given."""
    multitrack = pytest.importorskip("mssedu.data.multitrack")
    if not hasattr(multitrack, "load_multitrack"):
        pytest.skip("mssedu.data.load_multitrack is not there yet")
    sf.write(tmp_path / "drums.wav", tone(0.5, 8000).T, 8000)
    sf.write(tmp_path / "vocals.wav", tone(0.5, 16000).T, 16000)
    with pytest.raises(MsseduError, match=r"(?i)sample rate|\bsr\b"):
        multitrack.load_multitrack(tmp_path)
    track = multitrack.load_multitrack(tmp_path, sr=8000)
    assert track.sr == 8000 and track.stems["vocals"].shape == (2, 4000)


def test_channel_errors():
    with pytest.raises(MsseduError, match="expects 1 or 2 channels, got 3.*to_mono"):
        audio.to_stereo(np.zeros((3, 10), np.float32))
    with pytest.raises(MsseduError, match="got a scalar"):
        audio.to_mono(np.float32(1.0))


def test_errors_module_holds_the_exception_family_alone():
    from mssedu import checks, errors
    assert all(issubclass(getattr(errors, n), Exception) for n in errors.__all__)
    assert issubclass(errors.UndefinedScoreWarning, UserWarning)
    # the shared checks live in mssedu.checks, and raise this family
    with pytest.raises(ParameterError, match="center must be True or False"):
        checks.check_bool("no", "center")
