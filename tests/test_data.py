"""mssedu.data: Track loading from .stem.mp4 files and stem folders, and MUSDB18 via musdb.

References: the example's streams as decoded by ``stempeg`` itself (the folder written from
them as float wav must load back bit-exact), and the ``musdb`` package's own track objects.
"""
from __future__ import annotations

import warnings

import shutil

import numpy as np
import pytest
import soundfile as sf

from mssedu import AudioError, DataError, NetworkError, ParameterError
from mssedu.data import (MUSDB_STEMS, MixtureResidualWarning, Track, example_path, example_track,
                         load_multitrack, musdb_tracks, save_multitrack)

SR = 44100


@pytest.fixture(scope="module")
def short_example():
    """The first 1.5 s of the example track (keeps the folders small)."""
    return example_track().excerpt(0.0, 1.5)


def write_folder(folder, signals: dict, sr=SR):
    folder.mkdir(parents=True, exist_ok=True)
    for name, sig in signals.items():
        sf.write(folder / f"{name}.wav", np.asarray(sig).T, sr, subtype="FLOAT")
    return folder


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the reference, stempeg, needs ffmpeg")
def test_stem_file_matches_stempeg():
    """PyAV's decode against stempeg's (the ffmpeg program): the same samples up to float
    rounding (ffmpeg's command line converts planar to packed float through libswresample,
    which differs by at most 2e-7 here)."""
    import stempeg

    streams, rate = stempeg.read_stems(example_path(), dtype=np.float32)
    t = load_multitrack(example_path())
    assert t.sr == rate == SR
    assert list(t.stems) == list(MUSDB_STEMS)
    np.testing.assert_allclose(t.mixture, streams[0].T, rtol=0, atol=1e-6)
    for i, name in enumerate(MUSDB_STEMS):
        np.testing.assert_allclose(t.stems[name], streams[i + 1].T, rtol=0, atol=1e-6)
    assert t.name == "The Easton Ellises - Falcon 69"
    # the lossy excerpt's mixture is not exactly the sum: residual reported, no warning
    assert -40 < t.mixture_residual_db < -10
    assert t.mixture_residual_db == pytest.approx(t.residual(), abs=1e-6)


def test_folder_and_stem_file_load_to_the_same_track(tmp_path):
    ref = example_track()
    folder = save_multitrack(ref, tmp_path / "Falcon 69")
    assert sorted(p.name for p in folder.iterdir()) == ["bass.wav", "drums.wav", "mixture.wav",
                                                          "other.wav", "vocals.wav"]
    t = load_multitrack(folder, stems=MUSDB_STEMS)
    assert isinstance(t, Track) and t.sr == ref.sr
    assert list(t.stems) == list(MUSDB_STEMS)
    np.testing.assert_array_equal(t.mixture, ref.mixture)
    for name in MUSDB_STEMS:
        np.testing.assert_array_equal(t.stems[name], ref.stems[name])
    assert t.mixture_residual_db == pytest.approx(ref.residual(), abs=1e-4)


def test_save_multitrack_refuses_to_overwrite(tmp_path, short_example):
    save_multitrack(short_example, tmp_path / "song")
    with pytest.raises(DataError, match="already holds"):
        save_multitrack(short_example, tmp_path / "song")
    save_multitrack(short_example, tmp_path / "song", overwrite=True)


def test_folder_without_mixture_sums_the_stems(tmp_path, short_example):
    folder = write_folder(tmp_path / "nomix", {"piano": short_example.stems["other"],
                                               "voice": short_example.stems["vocals"]})
    t = load_multitrack(folder)
    assert sorted(t.stems) == ["piano", "voice"]
    np.testing.assert_allclose(t.mixture, short_example.stems["other"] + short_example.stems["vocals"],
                               atol=1e-7)
    assert t.mixture_residual_db == float("-inf")


def test_missing_and_extra_stems(tmp_path, short_example):
    sig = {k: v for k, v in short_example.stems.items() if k != "bass"}
    folder = write_folder(tmp_path / "missing", dict(sig, mixture=short_example.mixture))
    with pytest.raises(DataError, match=r"missing stem\(s\) \['bass'\]"):
        load_multitrack(folder, stems=MUSDB_STEMS)
    folder = write_folder(tmp_path / "extra", dict(short_example.stems, piano=short_example.stems["other"]))
    with pytest.warns(UserWarning, match=r"ignoring stem\(s\) \['piano'\]"):
        t = load_multitrack(folder, stems=MUSDB_STEMS)
    assert list(t.stems) == list(MUSDB_STEMS)


def test_different_lengths(tmp_path, short_example):
    sig = dict(short_example.stems)
    sig["vocals"] = sig["vocals"][:, :-100]
    folder = write_folder(tmp_path / "lengths", sig)
    with pytest.raises(DataError, match="different lengths.*vocals: 66050 samples"):
        load_multitrack(folder)
    t = load_multitrack(folder, trim=True)
    assert t.mixture.shape == (2, 66150 - 100)


def test_different_rates(tmp_path, short_example):
    folder = write_folder(tmp_path / "rates", {"drums": short_example.stems["drums"]})
    from mssedu.audio import resample

    bass = resample(short_example.stems["bass"], SR, 22050)
    sf.write(folder / "bass.wav", bass.T, 22050, subtype="FLOAT")
    with pytest.raises(DataError, match="different sample rates.*bass: 22050 Hz.*drums: 44100 Hz"):
        load_multitrack(folder)
    t = load_multitrack(folder, sr=22050)
    assert t.sr == 22050 and t.stems["drums"].shape[-1] == t.stems["bass"].shape[-1] == 33075
    np.testing.assert_allclose(t.stems["bass"], bass, atol=1e-6)  # already at 22050: untouched


def test_mono_beside_stereo(tmp_path, short_example):
    folder = write_folder(tmp_path / "mono", {"drums": short_example.stems["drums"],
                                              "bass": short_example.stems["bass"][:1]})
    with pytest.raises(DataError, match="mix mono and stereo.*bass: mono"):
        load_multitrack(folder)
    t = load_multitrack(folder, channels=2)
    np.testing.assert_array_equal(t.stems["bass"][0], t.stems["bass"][1])
    assert t.mixture.shape == (2, 66150)


def test_mixture_not_the_sum_warns_with_residual(tmp_path, short_example):
    folder = write_folder(tmp_path / "wrongmix", dict(short_example.stems,
                                                      mixture=short_example.stems["vocals"]))
    with pytest.warns(MixtureResidualWarning, match=r"residual -?\d+\.\d dB"):
        t = load_multitrack(folder)
    others = sum(v for k, v in short_example.stems.items() if k != "vocals")
    expected = 10 * np.log10(np.sum(others.astype(np.float64) ** 2)
                             / np.sum(short_example.stems["vocals"].astype(np.float64) ** 2))
    assert t.mixture_residual_db == pytest.approx(expected, abs=1e-3)
    np.testing.assert_array_equal(t.mixture, short_example.stems["vocals"])  # kept, not replaced


def test_bad_paths(tmp_path):
    with pytest.raises(DataError, match="No such file or folder"):
        load_multitrack(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no audio files"):
        load_multitrack(tmp_path / "empty")
    (tmp_path / "x.wav").write_bytes(b"RIFF")
    with pytest.raises(ParameterError, match="neither a .stem.mp4"):
        load_multitrack(tmp_path / "x.wav")
    only_mix = write_folder(tmp_path / "onlymix", {"mixture": np.zeros((2, 100), np.float32)})
    with pytest.raises(DataError, match="no stems"):
        load_multitrack(only_mix)
    bad = tmp_path / "broken.stem.mp4"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(AudioError, match="could not be read as a .stem.mp4"):
        load_multitrack(bad)


# ---------------------------------------------------------------------------------------
# MUSDB18 through the musdb package
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_musdb(tmp_path_factory, short_example):
    """A MUSDB18-HQ-layout root: train/<2 songs>/, test/<1 song>/, wav files."""
    root = tmp_path_factory.mktemp("musdb")
    for subset, names in (("train", ["A - One", "Actions - One Minute Smile"]), ("test", ["C - Three"])):
        for i, name in enumerate(names):
            t = short_example.excerpt(0.25 * i, 1.0)
            save_multitrack(t, root / subset / name)
    return root


def test_musdb_wav_layout(tiny_musdb):
    import musdb

    tracks = musdb_tracks(tiny_musdb, subset="train", is_wav=True)
    assert len(tracks) == 2 and tracks.names == ["A - One", "Actions - One Minute Smile"]
    t = tracks[0]
    ref = musdb.DB(root=str(tiny_musdb), subsets="train", is_wav=True).tracks[0]
    # musdb decodes wav through ffmpeg as 16-bit: equal within half a 16-bit step
    np.testing.assert_allclose(t.mixture, ref.audio.T, atol=2 ** -15)
    np.testing.assert_allclose(t.stems["vocals"], ref.targets["vocals"].audio.T, atol=2 ** -15)
    assert list(t.stems) == list(MUSDB_STEMS) and t.sr == 44100
    same = load_multitrack(tiny_musdb / "train" / "A - One", stems=MUSDB_STEMS)
    for k in MUSDB_STEMS:
        np.testing.assert_array_equal(t.stems[k], same.stems[k])
    assert [x.name for x in tracks] == tracks.names
    assert tracks["A - One"].name == "A - One"
    assert len(musdb_tracks(tiny_musdb, subset="test", is_wav=True)) == 1


def test_musdb_split_uses_official_validation_list(tiny_musdb):
    valid = musdb_tracks(tiny_musdb, subset="train", split="valid", is_wav=True)
    train = musdb_tracks(tiny_musdb, subset="train", split="train", is_wav=True)
    assert valid.names == ["Actions - One Minute Smile"] and train.names == ["A - One"]


def test_musdb_bad_arguments(tiny_musdb, tmp_path):
    with pytest.raises(ParameterError, match="subset must be"):
        musdb_tracks(tiny_musdb, subset="valid")
    with pytest.raises(ParameterError, match="split applies to subset='train'"):
        musdb_tracks(tiny_musdb, subset="test", split="valid")
    with pytest.raises(DataError, match="(?s)No MUSDB tracks.*pass is_wav=True"):
        musdb_tracks(tiny_musdb, subset="train", is_wav=False)
    with pytest.raises(DataError, match="(?s)has no train/ folder.*zenodo"):
        musdb_tracks(tmp_path, subset="train")


def test_musdb_offline_message_is_fast_and_says_where(monkeypatch, tmp_path):
    # the download itself (success, corrupt, cut, offline, cache) is tested in test_musdb.py
    monkeypatch.delenv("MUSDB_PATH", raising=False)
    monkeypatch.setenv("MSSEDU_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MSSEDU_OFFLINE", "1")   # network.reachable() answers False at once
    with pytest.raises(NetworkError, match="(?s)MUSDB18 was not found.*zenodo.*root=.*No internet"):
        musdb_tracks()
    with pytest.raises(DataError, match="download=False"):
        musdb_tracks(download=False)


def test_musdb_path_environment(monkeypatch, tiny_musdb):
    monkeypatch.setenv("MUSDB_PATH", str(tiny_musdb))
    assert len(musdb_tracks(is_wav=True)) == 2


# ---------------------------------------------------------------------------------------
# chapter-0 teaching surfaces built on Track
# ---------------------------------------------------------------------------------------
def test_mix_stems_and_stem_mixer(short_example):
    from mssedu.widgets import mix_stems, stem_mixer

    t = short_example
    np.testing.assert_allclose(mix_stems(t, {}, muted=("vocals",)), t.accompaniment("vocals"), atol=1e-6)
    np.testing.assert_allclose(mix_stems(t, {"bass": 6.0}, muted=("drums", "other", "vocals")),
                               10 ** (6 / 20) * t.stems["bass"], rtol=1e-6)
    box = stem_mixer(t)
    info = box.children[-2]
    before = info.value
    slider = box.children[1].children[0]
    slider.value = 12.0  # the first fader (drums) up 12 dB: the mix gets louder
    level = lambda html: float(html.split("<b>")[1].split(" dB")[0])
    assert level(info.value) > level(before)


def test_augmentation_explorer_and_figures(short_example):
    from mssedu.plot import piano_roll_figure, residual_figure, stem_levels_figure
    from mssedu.widgets import augmentation_explorer

    box = augmentation_explorer([short_example], seconds=0.5)
    assert "taken from" in box.children[4].value
    fig = stem_levels_figure(short_example)
    widths = [p.get_width() - 80 for p in fig.axes[0].patches]
    ref = [10 * np.log10(np.mean(short_example.stems[k].astype(np.float64) ** 2)) for k in short_example.stems]
    np.testing.assert_allclose(widths[:4], ref, atol=1e-4)
    assert "residual" in residual_figure(short_example)._suptitle.get_text()
    import mido

    mid = mido.MidiFile()
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tr += [mido.Message("note_on", note=60, velocity=90), mido.Message("note_off", note=60, time=480)]
    fig = piano_roll_figure(mid, {0: "vocals"})
    assert len(fig.axes[0].patches) == 1


def test_example_track_is_trimmed_to_where_its_stems_sum_to_its_mixture():
    """The AAC edges (priming + the coded clicks at the excerpt's cuts) are cut off.

    Measured on stempeg's file: untrimmed, ``mixture - sum(stems)`` is -15.37 dB and the
    stems sum to a peak of 3.70 (mixture 1.02); trimmed to samples 3136-265687 it is
    -22.26 dB (the codec's noise floor, the same as inside the song: -22.25 dB over
    samples 4096-265999) and the sum peaks at 0.8453 (mixture 0.8435).
    """
    from mssedu.data import EXAMPLE_KEPT

    raw = example_track(trim=False)
    t = example_track()
    assert (EXAMPLE_KEPT.start, EXAMPLE_KEPT.stop) == (3136, 265688)
    assert raw.mixture.shape == (2, 268288) and t.mixture.shape == (2, 262552)
    np.testing.assert_array_equal(t.stems["vocals"], raw.stems["vocals"][:, 3136:265688])
    total = sum(t.stems.values())
    # within the codec's noise: 22 dB below the mixture (bound: -21 dB), peaks agree to 1 %
    assert t.residual() < -21.0
    assert t.residual() == pytest.approx(-22.26, abs=0.05)
    assert t.mixture_residual_db == pytest.approx(t.residual())
    assert np.max(np.abs(total)) == pytest.approx(np.max(np.abs(t.mixture)), rel=0.01)
    # the artefact is what was cut: untrimmed, the sum peaks at 3.6x the mixture and the
    # residual is 7 dB higher, 80 % of its energy in the cut edges
    assert raw.residual() == pytest.approx(-15.37, abs=0.05)
    raw_total = sum(raw.stems.values())
    assert np.max(np.abs(raw_total)) > 3.5 * np.max(np.abs(raw.mixture))
    r = (raw.mixture.astype(np.float64) - raw_total) ** 2
    assert 1 - r[:, EXAMPLE_KEPT].sum() / r.sum() == pytest.approx(0.80, abs=0.01)
