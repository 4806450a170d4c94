"""mssedu.audio: reading every format the course meets, writing safely, and the small helpers.

Reference values: the signal we wrote ourselves (lossless formats: exact or within the
format's quantisation step), or its dominant frequency and waveform correlation after
alignment (lossy mp3/ogg/m4a, whose encoders add delay and padding).
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from encoding import encode
from mssedu import MsseduError, audio, decode

SR = 16000
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


def two_tones(seconds=1.0, sr=SR):
    """Stereo test signal: 440 Hz left, 660 Hz right, float32 (2, samples)."""
    t = np.arange(int(seconds * sr)) / sr
    return np.stack([0.5 * np.sin(2 * np.pi * 440 * t),
                     0.3 * np.sin(2 * np.pi * 660 * t)]).astype(np.float32)


def dominant_hz(x, sr):
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.argmax(spec) * sr / len(x)


def aligned_correlation(ref, est, max_lag=4096):
    """Largest normalised cross-correlation of two 1-D signals over lags in +-max_lag."""
    n = min(len(ref), len(est)) - 2 * max_lag
    a = ref[max_lag:max_lag + n]
    best = 0.0
    for lag in range(-max_lag, max_lag + 1, 1):
        b = est[max_lag + lag:max_lag + lag + n]
        if len(b) < n:
            continue
        c = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
        best = max(best, c)
        if best > 0.999:
            break
    return best


@pytest.fixture(scope="module")
def tone_files(tmp_path_factory):
    """The same 1 s stereo signal written as wav/flac/ogg (soundfile) and mp3/m4a (PyAV)."""
    folder = tmp_path_factory.mktemp("audio")
    x = two_tones()
    sf.write(folder / "tone.wav", x.T, SR, subtype="FLOAT")
    sf.write(folder / "tone.flac", x.T, SR, subtype="PCM_24")
    sf.write(folder / "tone.ogg", x.T, SR, format="OGG", subtype="VORBIS")
    files = {"wav": folder / "tone.wav", "flac": folder / "tone.flac", "ogg": folder / "tone.ogg"}
    for ext in ("mp3", "m4a"):
        files[ext] = encode(folder / f"tone.{ext}", x, SR)
    return x, files


def test_load_wav_is_exact_float32_channels_first(tone_files):
    x, files = tone_files
    y, sr = audio.load(files["wav"])
    assert sr == SR and y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_array_equal(y, x)


def test_load_flac_within_24bit_step(tone_files):
    x, files = tone_files
    y, sr = audio.load(files["flac"])
    assert sr == SR and y.shape == x.shape
    assert np.max(np.abs(y - x)) <= 2.0 ** -23  # one 24-bit quantisation step


@pytest.mark.parametrize("ext", ["ogg", "mp3", "m4a"])
def test_load_lossy_formats(tone_files, ext):
    x, files = tone_files
    y, sr = audio.load(files[ext])
    assert sr == SR and y.dtype == np.float32 and y.shape[0] == 2
    # encoders add priming/padding: at most ~one codec frame more or less
    assert abs(y.shape[1] - x.shape[1]) <= 2048
    for ch, f0 in [(0, 440.0), (1, 660.0)]:
        assert abs(dominant_hz(y[ch], sr) - f0) <= 2.0
        assert aligned_correlation(x[ch], y[ch]) > 0.99


@pytest.mark.parametrize("ext", ["mp3", "m4a"])
def test_pyav_piece_is_the_whole_decode_sliced(tone_files, ext):
    """decode(offset=, duration=) seeks (with a pre-roll); its samples must be exactly those of
    a decode from the start, sliced -- what a seek without pre-roll gets wrong (AAC/MP3 frames
    overlap their neighbours)."""
    _, files = tone_files
    whole, sr = decode.decode(files[ext])
    piece, sr2 = decode.decode(files[ext], offset=0.75, duration=0.125)
    assert sr == sr2 == SR and piece.shape == (2, 2000)
    np.testing.assert_allclose(piece, whole[:, 12000:14000], atol=1e-6)


def test_stem_file_streams_and_pieces():
    from mssedu.data import example_path
    meta = decode.probe(example_path())
    assert (meta["streams"], meta["sr"], meta["samples"]) == (5, 44100, 268288)
    vocals, _ = decode.decode(example_path(), stream=4)
    piece, _ = decode.decode(example_path(), stream=4, offset=3.0, duration=1.0)
    np.testing.assert_array_equal(piece, vocals[:, 132300:176400])
    with pytest.raises(MsseduError, match=r"stream=5: .* has 5 audio stream\(s\), numbered 0 to 4"):
        decode.decode(example_path(), stream=5)


def test_load_mono_resample_offset_duration(tone_files):
    x, files = tone_files
    y, sr = audio.load(files["wav"], mono=True)
    assert y.shape == (1, x.shape[1])
    np.testing.assert_allclose(y[0], x.mean(axis=0), atol=1e-7)
    y, sr = audio.load(files["wav"], sr=8000)
    assert sr == 8000 and y.shape == (2, 8000)
    assert abs(dominant_hz(y[0], 8000) - 440) <= 2
    y, sr = audio.load(files["wav"], offset=0.25, duration=0.5)
    np.testing.assert_array_equal(y, x[:, 4000:12000])


def test_load_stem_mp4_gives_the_mixture_stream():
    stempeg = pytest.importorskip("stempeg")
    from mssedu.data import example_track

    y, sr = audio.load(stempeg.example_stem_path())
    track = example_track(trim=False)   # every decoded sample, codec edges included
    assert sr == 44100 == track.sr
    assert y.shape == track.mixture.shape and y.shape[0] == 2
    assert 6.0 < y.shape[1] / sr < 6.3
    np.testing.assert_allclose(y, track.mixture, atol=1e-6)


def test_info_reports_rate_channels_length(tone_files):
    _, files = tone_files
    i = audio.info(files["wav"])
    assert i == {"sr": SR, "channels": 2, "samples": SR, "seconds": 1.0}


def test_resample_matches_scipy_polyphase_and_keeps_the_tone():
    from scipy.signal import resample_poly

    x = two_tones()
    y = audio.resample(x, SR, 22050)
    assert y.dtype == np.float32 and y.shape == (2, 22050)
    np.testing.assert_allclose(y, resample_poly(x, 441, 320, axis=-1), atol=1e-6)
    assert abs(dominant_hz(y[1], 22050) - 660) <= 2
    np.testing.assert_array_equal(audio.resample(x, SR, SR), x)


def test_to_mono_to_stereo_normalize():
    x = two_tones()
    m = audio.to_mono(x)
    assert m.shape == (1, x.shape[1])
    np.testing.assert_allclose(m[0], (x[0] + x[1]) / 2, atol=1e-7)
    assert audio.to_mono(x[0]).shape == (1, x.shape[1])
    s = audio.to_stereo(m)
    assert s.shape == x.shape
    np.testing.assert_array_equal(s[0], s[1])
    np.testing.assert_array_equal(audio.to_stereo(x), x)
    assert audio.to_stereo(x[0]).shape == (2, x.shape[1])
    n = audio.normalize(x, peak=0.5)
    assert np.max(np.abs(n)) == pytest.approx(0.5, rel=1e-6)
    np.testing.assert_allclose(n, x * (0.5 / np.max(np.abs(x))), rtol=1e-6)
    silence = np.zeros((2, 100), np.float32)
    np.testing.assert_array_equal(audio.normalize(silence), silence)


def test_play_returns_an_ipython_player_with_our_samples():
    from IPython.display import Audio

    x = two_tones(0.25)
    player = audio.play(x, SR)
    assert isinstance(player, Audio)
    decoded, rate = sf.read(io.BytesIO(player.data), dtype="float32")
    assert rate == SR and decoded.shape == (x.shape[1], 2)
    # normalize=False keeps levels (so players side by side compare by ear): 16-bit step
    np.testing.assert_allclose(decoded.T, x, atol=2.0 / 32767)
    mono = audio.play(x[:1], SR)
    assert sf.read(io.BytesIO(mono.data))[0].ndim == 1
    # too loud is scaled down, never clipped
    loud = audio.play(4 * x, SR)
    dec = sf.read(io.BytesIO(loud.data), dtype="float32")[0].T
    np.testing.assert_allclose(dec, x / np.max(np.abs(x)), atol=2.0 / 32767)


@pytest.mark.parametrize("ext,tol", [("wav", 0.0), ("flac", 2.0 ** -23), ("ogg", None)])
def test_save_roundtrip(tmp_path, ext, tol):
    x = two_tones(0.5)
    out = audio.save(tmp_path / f"out.{ext}", x, SR)
    assert out == tmp_path / f"out.{ext}" and out.exists()
    y, sr = audio.load(out)
    assert sr == SR and y.shape[0] == 2
    if tol is not None:
        assert np.max(np.abs(y - x)) <= tol
    else:
        assert aligned_correlation(x[0], y[0], max_lag=512) > 0.99
    # no temporary file is left beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"out.{ext}"]


@needs_ffmpeg
def test_save_mp3_through_ffmpeg(tmp_path):
    x = two_tones(0.5)
    out = audio.save(tmp_path / "out.mp3", x, SR)
    y, sr = audio.load(out)
    assert sr == SR and y.shape[0] == 2
    assert abs(dominant_hz(y[0], sr) - 440) <= 2


def test_save_refuses_to_overwrite_and_leaves_the_file_alone(tmp_path):
    path = tmp_path / "keep.wav"
    first = two_tones(0.25)
    audio.save(path, first, SR)
    before = path.read_bytes()
    with pytest.raises(MsseduError, match="already exists.*overwrite=True"):
        audio.save(path, 0.1 * first, SR)
    assert path.read_bytes() == before
    audio.save(path, 0.1 * first, SR, overwrite=True)
    y, _ = audio.load(path)
    np.testing.assert_allclose(y, 0.1 * first, atol=1e-7)


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    """A write that dies half-way leaves neither a partial target nor a temp file."""
    path = tmp_path / "atomic.wav"

    def broken_write(file, *args, **kwargs):
        with open(file, "wb") as f:
            f.write(b"RIFF half a file")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(sf, "write", broken_write)
    with pytest.raises(OSError, match="disk full"):
        audio.save(path, two_tones(0.1), SR)
    assert list(tmp_path.iterdir()) == []


def test_save_writes_1d_as_mono_and_creates_folders(tmp_path):
    x = two_tones(0.1)[0]
    out = audio.save(tmp_path / "a" / "b" / "mono.wav", x, SR)
    y, _ = audio.load(out)
    assert y.shape == (1, x.shape[0])
    assert os.path.isdir(tmp_path / "a" / "b")
