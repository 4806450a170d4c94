"""mssedu.data.dataset: random augmented excerpts for training.

References: the stems the excerpt was cut from (each augmentation is checked against the
slice it came from), librosa's RMS for the activity detector, librosa's pitch shift for the
precomputed shifts, and the identity mixture == sum of the stems.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from mssedu import ParameterError
from mssedu.data import Augment, ExcerptDataset, Track, active_frames, example_track, make_loader
from mssedu.data.dataset import precompute_shifts

SR = 8000
STEMS = ("drums", "bass", "other", "vocals")


def make_track(name, seconds=4.0, seed=0, silent_vocals=None, sr=SR):
    """Four noise stems of different levels; vocals silent over ``silent_vocals`` seconds."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    stems = {k: (rng.standard_normal((2, n)) * 0.05 * (i + 1)).astype(np.float32) for i, k in enumerate(STEMS)}
    if silent_vocals is not None:
        a, b = (int(t * sr) for t in silent_vocals)
        stems["vocals"][:, a:b] = 0
    return Track(name, sr, sum(stems.values()), stems)


@pytest.fixture
def tracks():
    return [make_track(f"song{i}", seed=i) for i in range(3)]


def original(ds, item, name):
    """The un-augmented slice a stem of ``item`` (from ``ds.excerpt``) was cut from."""
    track_name, start_s = item["sources"][name]
    block = ds._stems[ds.track_names.index(track_name)]
    a = int(round(start_s * ds.sr))
    return block[ds.stem_names.index(name), :, a:a + ds.n_samples]


def test_items_shapes_and_mixture_is_sum_of_augmented_stems(tracks):
    ds = ExcerptDataset(tracks, seconds=1.0, targets=STEMS, augment=Augment(), length=20, seed=3)
    for i in range(len(ds)):
        item = ds.excerpt(i)
        assert item["mixture"].shape == (2, SR) and item["mixture"].dtype == np.float32
        np.testing.assert_allclose(item["mixture"], sum(item[k] for k in STEMS), atol=1e-6)
    t = ds[0]
    assert set(t) == {"mixture", *STEMS} and all(isinstance(v, torch.Tensor) for v in t.values())
    assert t["mixture"].dtype == torch.float32 and tuple(t["mixture"].shape) == (2, SR)


def test_each_augmentation_against_its_source_slice(tracks):
    ds = ExcerptDataset(tracks, seconds=0.5, targets=STEMS, length=30, seed=1,
                        augment=Augment(remix=False, gain_db=None, channel_swap=1.0, polarity=1.0))
    item = ds.excerpt(0)
    for k in STEMS:
        np.testing.assert_array_equal(item[k], -original(ds, item, k)[::-1])  # swapped and negated
    assert len({item["sources"][k] for k in STEMS}) == 1  # no remix: one track, one offset

    ds = ExcerptDataset(tracks, seconds=0.5, targets=STEMS, length=30, seed=1,
                        augment=Augment(remix=False, gain_db=(-6, 6), channel_swap=0, polarity=0))
    gains = []
    for i in range(30):
        item = ds.excerpt(i)
        for k in STEMS:
            ref = original(ds, item, k)
            g = float(np.sum(item[k] * ref) / np.sum(ref * ref))
            np.testing.assert_allclose(item[k], g * ref, rtol=1e-5, atol=1e-7)
            gains.append(20 * np.log10(g))
    assert -6 - 1e-4 <= min(gains) < -4 and 4 < max(gains) <= 6 + 1e-4  # spread over the range


def test_remix_draws_stems_from_different_songs(tracks):
    ds = ExcerptDataset(tracks, seconds=1.0, targets=STEMS, length=40, seed=0, augment=Augment(remix=True))
    mixed = sum(len({ds.excerpt(i)["sources"][k][0] for k in STEMS}) > 1 for i in range(len(ds)))
    assert mixed > 20  # 3 songs, 4 stems: most excerpts combine songs
    plain = ExcerptDataset(tracks, seconds=1.0, targets=STEMS, length=40, seed=0, augment=None)
    assert all(len({plain.excerpt(i)["sources"][k] for k in STEMS}) == 1 for i in range(len(plain)))
    item = plain.excerpt(5)
    for k in STEMS:
        np.testing.assert_array_equal(item[k], original(plain, item, k))


def test_activity_detection_keeps_only_excerpts_with_vocals():
    # vocals silent for the first 3 of 5 seconds in both songs
    songs = [make_track(f"s{i}", seconds=5.0, seed=i, silent_vocals=(0.0, 3.0)) for i in range(2)]
    ds = ExcerptDataset(songs, seconds=1.0, length=50, seed=0, augment=Augment(),
                        activity_target="vocals", activity_threshold_db=-40, min_active=1.0)
    for i in range(len(ds)):
        item = ds.excerpt(i)
        assert item["sources"]["vocals"][1] >= 3.0 - 1e-9
        assert active_frames(item["vocals"], SR).all()
    free = ExcerptDataset(songs, seconds=1.0, length=50, seed=0, augment=None, activity_target=None)
    silent = [i for i in range(50) if not active_frames(free.excerpt(i)["vocals"], SR).any()]
    assert len(silent) > 10  # without the check many excerpts would teach nothing
    with pytest.raises(ParameterError, match="No excerpt of 3 s has 'vocals' active"):
        ExcerptDataset(songs, seconds=3.0, length=5, min_active=1.0)


def test_active_frames_matches_librosa_rms(rng):
    import librosa

    x = (rng.standard_normal((2, SR)) * np.linspace(0, 1, SR) ** 4).astype(np.float32)
    frame = 800
    rms = librosa.feature.rms(y=x, frame_length=frame, hop_length=frame, center=False)  # (2, 1, frames)
    power = (rms[:, 0] ** 2).mean(axis=0)
    ref = 10 * np.log10(power) > -30
    np.testing.assert_array_equal(active_frames(x, SR, threshold_db=-30, frame_seconds=0.1), ref)
    assert 0 < ref.sum() < len(ref)


def test_determinism_and_epochs(tracks):
    kw = dict(seconds=0.5, targets=("vocals", "accompaniment"), length=8, augment=Augment())
    a, b = ExcerptDataset(tracks, seed=7, **kw), ExcerptDataset(tracks, seed=7, **kw)
    for i in range(8):
        for k in ("mixture", "vocals", "accompaniment"):
            assert torch.equal(a[i][k], b[i][k])
    c = ExcerptDataset(tracks, seed=8, **kw)
    assert not torch.equal(a[0]["mixture"], c[0]["mixture"])
    first = a[0]["mixture"].clone()
    a.set_epoch(1)
    assert not torch.equal(first, a[0]["mixture"])
    item = b.excerpt(3)
    np.testing.assert_allclose(item["accompaniment"], item["mixture"] - item["vocals"], atol=1e-6)


def test_loader_batches_do_not_depend_on_workers(tracks):
    ds = ExcerptDataset(tracks, seconds=0.5, length=8, augment=Augment(), seed=2)
    one = [b for b in make_loader(ds, batch_size=4, workers=0, seed=5)]
    two = [b for b in make_loader(ds, batch_size=4, workers=2, seed=5)]
    assert len(one) == len(two) == 2
    for x, y in zip(one, two):
        assert tuple(x["mixture"].shape) == (4, 2, SR // 2) and tuple(x["vocals"].shape) == (4, 2, SR // 2)
        assert torch.equal(x["mixture"], y["mixture"]) and torch.equal(x["vocals"], y["vocals"])


def test_precomputed_pitch_and_tempo_shifts():
    import librosa

    t = make_track("short", seconds=1.0)
    shifted = precompute_shifts(t, pitch_semitones=(2,), tempo=(1.25,))
    assert [s.name for s in shifted] == ["short (+2 st)", "short (x1.25 tempo)"]
    np.testing.assert_allclose(shifted[0].stems["bass"],
                               librosa.effects.pitch_shift(t.stems["bass"], sr=SR, n_steps=2), atol=1e-6)
    assert abs(shifted[1].mixture.shape[-1] - SR / 1.25) <= 2
    for s in shifted:
        np.testing.assert_allclose(s.mixture, sum(s.stems.values()), atol=1e-6)
    ds = ExcerptDataset([t], seconds=0.5, length=30, seed=0, augment=Augment(pitch_semitones=(2,), tempo=(1.25,)))
    assert len(ds.track_names) == 3
    used = {ds.excerpt(i)["sources"]["vocals"][0] for i in range(30)}
    assert used == set(ds.track_names)


def test_real_example_track_and_mono_resampled_tracks():
    ex = example_track().excerpt(0, 3.0)
    ds = ExcerptDataset(ex, seconds=1.0, length=4, augment=Augment())
    assert tuple(ds[0]["vocals"].shape) == (2, 44100)
    mono = make_track("mono", seconds=2.0, sr=16000)
    mono = Track("mono", 16000, mono.mixture[:1], {k: v[:1] for k, v in mono.stems.items()})
    ds = ExcerptDataset([mono, make_track("st", seconds=2.0)], seconds=0.5, sr=SR, length=4)
    assert tuple(ds[0]["mixture"].shape) == (2, SR // 2)


def test_bad_inputs(tracks):
    with pytest.raises(ParameterError, match="at least one Track"):
        ExcerptDataset([])
    other = Track("x", SR, tracks[0].mixture, {"piano": tracks[0].mixture})
    with pytest.raises(ParameterError, match="same stems.*'x' has \\['piano'\\]"):
        ExcerptDataset([tracks[0], other])
    with pytest.raises(ParameterError, match="Target 'guitar' is not a stem"):
        ExcerptDataset(tracks, targets=("guitar",))
    with pytest.raises(ParameterError, match="activity_target 'voice'"):
        ExcerptDataset(tracks, activity_target="voice")
    with pytest.raises(ParameterError, match="different sample rates"):
        ExcerptDataset([tracks[0], make_track("b", sr=16000)])
    with pytest.raises(ParameterError, match="seconds must be > 0"):
        ExcerptDataset(tracks, seconds=0)
    with pytest.raises(ParameterError, match="channel_swap is a probability"):
        Augment(channel_swap=2)
    with pytest.raises(ParameterError, match="gain_db must be"):
        Augment(gain_db=(6, -6))
    with pytest.raises(ParameterError, match="tempo factors must be > 0"):
        Augment(tempo=(0.0,))
    with pytest.raises(ParameterError, match="augment must be an Augment"):
        ExcerptDataset(tracks, augment={"remix": True})
    with pytest.raises(ParameterError, match="batch_size must be >= 1"):
        make_loader(ExcerptDataset(tracks, seconds=0.5, length=2), batch_size=0)
    with pytest.raises(IndexError):
        ExcerptDataset(tracks, seconds=0.5, length=2)[2]
