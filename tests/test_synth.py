"""mssedu.data.synth: synthetic multitracks rendered with FluidSynth.

References: the MIDI we wrote (a sung A4 must come out at 440 Hz, in the vocals stem only),
music21's own parse of the chorale, the identity mixture == sum of stems (1e-4), and the
``musdb`` package reading the generated folder.
"""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from mssedu import DataError, ParameterError
from mssedu.data import load_multitrack, make_dataset, musdb_tracks
from mssedu.data import synth

pytestmark = pytest.mark.skipif(shutil.which("fluidsynth") is None, reason="fluidsynth is not installed")
SR = 22050


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    folders = make_dataset(out, n_songs=2, seconds=3.0, seed=11, sr=SR, progress=False)
    return out, folders


def test_make_dataset_stems_sum_to_mixture(dataset):
    out, folders = dataset
    assert [f.name for f in folders] == ["synth_0011_00000", "synth_0011_00001"]
    for f in folders:
        assert sorted(p.name for p in f.iterdir()) == ["bass.wav", "drums.wav", "mixture.wav", "other.wav",
                                                       "song.mid", "vocals.wav"]
        t = load_multitrack(f, stems=("vocals", "bass", "drums", "other"))
        assert t.sr == SR and t.mixture.shape == (2, 3 * SR)
        assert np.max(np.abs(t.mixture - sum(t.stems.values()))) < 1e-4
        for name, s in t.stems.items():  # every stem sounds, none clips
            rms_db = 10 * np.log10(np.mean(s.astype(np.float64) ** 2))
            assert -45 < rms_db < -5, (name, rms_db)
        assert np.max(np.abs(t.mixture)) <= 0.9 + 1e-6


def test_manifest_describes_every_song(dataset):
    out, folders = dataset
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["songs"]) == [f.name for f in folders]
    song = manifest["songs"][folders[0].name]
    assert song["seed"] == 11 and song["index"] == 0 and song["score"].startswith("bach/")
    assert {p["stem"] for p in song["parts"]} == {"vocals", "bass", "drums", "other"}
    vocal = [p for p in song["parts"] if p["stem"] == "vocals"]
    assert all(p["program"] in synth.VOICE_PROGRAMS for p in vocal)
    assert song == json.loads(json.dumps(dict(synth.song_spec(11, 0, 3.0), subset="train", sr=SR)))


def test_existing_songs_are_skipped(dataset, monkeypatch):
    out, folders = dataset
    stamp = {f: (f / "mixture.wav").stat().st_mtime_ns for f in folders}

    def must_not_render(*a, **k):
        raise AssertionError("an existing song was rendered again")

    monkeypatch.setattr(synth, "render_song", must_not_render)
    again = make_dataset(out, n_songs=2, seconds=3.0, seed=11, sr=SR, progress=False)
    assert again == folders
    assert all((f / "mixture.wav").stat().st_mtime_ns == stamp[f] for f in folders)


def test_generated_folder_reads_with_musdb(dataset):
    out, folders = dataset
    tracks = musdb_tracks(out, subset="train", is_wav=True)
    assert tracks.names == [f.name for f in folders]
    t = tracks[1]
    assert np.max(np.abs(t.mixture - sum(t.stems.values()))) < 1e-4


def test_song_spec_is_seeded():
    a, b = synth.song_spec(3, 5, 10.0), synth.song_spec(3, 5, 10.0)
    assert a == b
    specs = [synth.song_spec(3, i, 10.0) for i in range(6)]
    assert len({json.dumps(s, sort_keys=True) for s in specs}) == 6
    assert len({s["score"] for s in specs}) > 1 and len({s["tempo_bpm"] for s in specs}) > 1


def test_render_midi_stems_pitch_and_grouping(tmp_path):
    import mido

    mid = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tr.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(60)))
    tr.append(mido.Message("program_change", channel=0, program=53))  # Voice Oohs
    tr.append(mido.Message("program_change", channel=1, program=33))  # Electric Bass
    tr.append(mido.Message("note_on", channel=0, note=69, velocity=100))  # A4
    tr.append(mido.Message("note_on", channel=1, note=33, velocity=100))  # A1
    tr.append(mido.Message("note_on", channel=9, note=36, velocity=100))  # kick
    tr.append(mido.Message("note_off", channel=0, note=69, time=960))
    tr.append(mido.Message("note_off", channel=1, note=33))
    tr.append(mido.Message("note_off", channel=9, note=36))
    path = tmp_path / "t.mid"
    mid.save(str(path))
    stems = synth.render_midi_stems(path, sr=SR, seconds=2.0)
    assert sorted(stems) == ["bass", "drums", "vocals"]
    assert all(v.shape == (2, 2 * SR) and v.dtype == np.float32 for v in stems.values())
    seg = stems["vocals"].mean(axis=0)[int(0.3 * SR): int(1.5 * SR)]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    f0 = np.argmax(spec) * SR / len(seg)
    assert abs(f0 - 440.0) < 3.0  # the fundamental of a sung A4 (harmonics weaker)
    import librosa

    f0_bass = librosa.yin(stems["bass"].mean(axis=0)[int(0.2 * SR): int(1.2 * SR)], fmin=40, fmax=200,
                          sr=SR, frame_length=4096)
    assert abs(np.median(f0_bass) - 55.0) < 2.0  # A1


def test_bach10_layout(tmp_path):
    folders = make_dataset(tmp_path, n_songs=1, seconds=2.0, seed=0, layout="bach10", sr=SR, progress=False)
    t = load_multitrack(folders[0])
    assert sorted(t.stems) == ["bassoon", "clarinet", "saxophone", "violin"]
    assert np.max(np.abs(t.mixture - sum(t.stems.values()))) < 1e-4


def test_load_chorale_matches_music21():
    from music21 import corpus

    c = synth.load_chorale("bach/bwv66.6.mxl")
    assert c["bar"] == 4.0 and c["start"] == 1.0
    ref = [(float(n.offset), float(n.quarterLength), n.pitch.midi)
           for n in corpus.parse("bach/bwv66.6.mxl").parts[0].flatten().stripTies().notes]
    assert [tuple(n) for n in c["voices"]["soprano"]] == ref
    assert len(synth.chorale_ids()) > 300


def test_bad_inputs(tmp_path, monkeypatch):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"this is not midi")
    with pytest.raises(DataError, match="not a readable MIDI file"):
        synth.render_midi_stems(bad)
    with pytest.raises(DataError, match="No such MIDI file"):
        synth.render_midi_stems(tmp_path / "none.mid")
    with pytest.raises(ParameterError, match="not a four-part"):
        synth.load_chorale("bach/bwv846.mxl")  # the C major prelude: piano
    with pytest.raises(DataError, match="SoundFont .* does not exist.*apt-get install"):
        synth.find_soundfont(tmp_path / "none.sf2")
    with pytest.raises(ParameterError, match="layout must be"):
        synth.song_spec(0, 0, layout="slakh")
    with pytest.raises(ParameterError, match="n_songs must be >= 1"):
        make_dataset(tmp_path, n_songs=0)
    monkeypatch.setattr(synth.shutil, "which", lambda name: None)
    with pytest.raises(DataError, match="fluidsynth program was not found.*apt-get install fluidsynth"):
        make_dataset(tmp_path, n_songs=1)
