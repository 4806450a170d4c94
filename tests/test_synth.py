"""mssedu.data.synth: synthetic multitracks rendered with FluidSynth, or with the numpy
synthesizer where FluidSynth is missing (mssedu.data.numpy_synth, mssedu.data.soundfont).

References: the MIDI we wrote (a sung A4 must come out at 440 Hz, in the vocals stem only;
each numpy timbre's note at its equal-tempered frequency), music21's own parse of the chorale,
the identity mixture == sum of stems (1e-4), and the ``musdb`` package reading the generated
folder.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from mssedu import DataError, ParameterError
from mssedu.data import load_multitrack, make_dataset, musdb_tracks
from mssedu.data import drums, numpy_synth, soundfont, synth

needs_fluidsynth = pytest.mark.skipif(shutil.which("fluidsynth") is None, reason="fluidsynth is not installed")
SR = 22050


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    folders = make_dataset(out, n_songs=2, seconds=3.0, seed=11, sr=SR, progress=False)
    return out, folders


@needs_fluidsynth
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


@needs_fluidsynth
def test_manifest_describes_every_song(dataset):
    out, folders = dataset
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["songs"]) == [f.name for f in folders]
    song = manifest["songs"][folders[0].name]
    assert song["seed"] == 11 and song["index"] == 0 and song["score"].startswith("bach/")
    assert {p["stem"] for p in song["parts"]} == {"vocals", "bass", "drums", "other"}
    vocal = [p for p in song["parts"] if p["stem"] == "vocals"]
    assert all(p["program"] in synth.VOICE_PROGRAMS for p in vocal)
    assert song == json.loads(json.dumps(dict(synth.song_spec(11, 0, 3.0), subset="train", sr=SR,
                                              render_version=synth.RENDER_VERSION, renderer="fluidsynth")))


@needs_fluidsynth
def test_existing_songs_are_skipped(dataset, monkeypatch):
    out, folders = dataset
    stamp = {f: (f / "mixture.wav").stat().st_mtime_ns for f in folders}

    def must_not_render(*a, **k):
        raise AssertionError("an existing song was rendered again")

    monkeypatch.setattr(synth, "render_song", must_not_render)
    again = make_dataset(out, n_songs=2, seconds=3.0, seed=11, sr=SR, progress=False)
    assert again == folders
    assert all((f / "mixture.wav").stat().st_mtime_ns == stamp[f] for f in folders)


@needs_fluidsynth
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


@needs_fluidsynth
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


@needs_fluidsynth
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
    monkeypatch.setenv("PATH", str(tmp_path))   # no fluidsynth there
    with pytest.raises(DataError, match="fluidsynth program was not found.*apt-get install fluidsynth"):
        make_dataset(tmp_path, n_songs=1, renderer="fluidsynth")
    with pytest.raises(ParameterError, match="renderer must be one of"):
        make_dataset(tmp_path, n_songs=1, renderer="timidity")


# --- the numpy renderer: no program needed ---------------------------------------------------

def _one_note_per_channel(notes, seconds=1.5, drums=True):
    """A MIDI file with one held note per channel: ``notes`` = [(program, pitch)], plus a kick."""
    import mido

    mid = mido.MidiFile(ticks_per_beat=480)
    tr = mido.MidiTrack()
    mid.tracks.append(tr)
    tr.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(60)))
    for ch, (program, pitch) in zip(CHANNELS, notes):
        tr.append(mido.Message("program_change", channel=ch, program=program))
        tr.append(mido.Message("note_on", channel=ch, note=pitch, velocity=100))
    if drums:
        tr.append(mido.Message("note_on", channel=9, note=36, velocity=110))
        tr.append(mido.Message("note_on", channel=9, note=42, velocity=80, time=240))
    tr.append(mido.Message("note_off", channel=0, note=notes[0][1], time=int(seconds * 480) - (240 if drums else 0)))
    for ch, (_, pitch) in zip(CHANNELS[1:], notes[1:]):
        tr.append(mido.Message("note_off", channel=ch, note=pitch))
    return mid


CHANNELS = [c for c in range(16) if c != 9]
#: One program of each timbre family, at a pitch in its range: (program, MIDI pitch, name).
TIMBRE_NOTES = [(53, 69, "voice"), (33, 33, "bass"), (0, 72, "piano"), (19, 64, "organ"), (48, 55, "strings"),
                (73, 81, "flute"), (25, 60, "guitar"), (71, 62, "clarinet"), (61, 58, "brass"), (89, 67, "pad"),
                (38, 40, "synth bass"), (11, 76, "vibraphone")]


def test_numpy_renderer_plays_each_note_at_its_pitch():
    notes = [(p, m) for p, m, _ in TIMBRE_NOTES]
    mid = _one_note_per_channel(notes)
    stems = synth.render_midi_stems(mid, sr=SR, seconds=2.0, renderer="numpy",
                                    stems={**{ch: name for ch, (_, _, name) in zip(CHANNELS, TIMBRE_NOTES)}, 9: "drums"})
    assert sorted(stems) == sorted([n for _, _, n in TIMBRE_NOTES] + ["drums"])
    for name, v in stems.items():
        assert v.shape == (2, 2 * SR) and v.dtype == np.float32, name
        assert np.all(np.isfinite(v)), name
        rms_db = 10 * np.log10(np.mean(v.astype(np.float64) ** 2))
        assert -60 < rms_db < 0, (name, rms_db)
    for program, pitch, name in TIMBRE_NOTES:
        seg = stems[name].mean(axis=0)[int(0.3 * SR): int(1.3 * SR)]     # 1 s: 1-Hz bins
        spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), n=8 * len(seg)))
        f0 = np.argmax(spec) * SR / (8 * len(seg))
        want = 440.0 * 2 ** ((pitch - 69) / 12)
        assert abs(f0 - want) < max(1.0, 0.005 * want), (name, f0, want)   # the fundamental is the peak
    # the drums are below 200 Hz at the kick, and nothing of the drums is in the other stems
    kick = stems["drums"].mean(axis=0)[: int(0.2 * SR)]
    spec = np.abs(np.fft.rfft(kick, n=SR))
    assert np.argmax(spec) < 200


def test_numpy_renderer_is_deterministic_for_a_seed():
    mid = _one_note_per_channel([(0, 60), (33, 36)])
    groups = {"other": [0], "bass": [1], "drums": [9]}
    a = numpy_synth.render_midi(mid, groups, sr=SR, seconds=1.0, reverb=numpy_synth.DEFAULT_REVERB, seed=3)
    b = numpy_synth.render_midi(mid, groups, sr=SR, seconds=1.0, reverb=numpy_synth.DEFAULT_REVERB, seed=3)
    c = numpy_synth.render_midi(mid, groups, sr=SR, seconds=1.0, reverb=numpy_synth.DEFAULT_REVERB, seed=4)
    assert all(np.array_equal(a[k], b[k]) for k in groups)
    assert np.array_equal(a["bass"], c["bass"]) and not np.array_equal(a["drums"], c["drums"])  # seed: drums only
    assert np.max(np.abs(numpy_synth.render_midi(mid, groups, sr=SR, seconds=1.0)["other"] - a["other"])) > 1e-4


@pytest.mark.parametrize("style", ["classic", "studio"])
def test_numpy_song_is_exact_and_seeded(style):
    spec = synth.song_spec(5, 2, 3.0, style=style)
    with warnings.catch_warnings():
        warnings.simplefilter("error", synth.FallbackRendererWarning)   # asked for: no warning
        t = synth.render_song(spec, sr=SR, renderer="numpy")
    assert t.renderer == "numpy" and list(t.stems) == ["vocals", "bass", "drums", "other"]
    assert t.mixture.shape == (2, 3 * SR) and t.mixture.dtype == np.float32
    assert np.max(np.abs(t.mixture - sum(t.stems.values()))) < 1e-6
    for name, s in t.stems.items():
        rms_db = 10 * np.log10(np.mean(s.astype(np.float64) ** 2))
        assert -45 < rms_db < -5, (name, rms_db)
    assert np.max(np.abs(t.mixture)) <= 0.9 + 1e-6
    again = synth.render_song(spec, sr=SR, renderer="numpy")
    assert all(np.array_equal(t.stems[k], again.stems[k]) for k in t.stems)


def test_make_dataset_without_fluidsynth_warns_and_works(tmp_path):
    """fluidsynth hidden (an empty PATH): "auto" falls back to numpy and says so in one
    warning per process that names fluidsynth and how to install it, even over two datasets
    and a change of the warning filters (as Jupyter makes between cells); the manifest
    records the renderer. In a fresh process, so that nothing warned before."""
    empty = tmp_path / "bin"
    empty.mkdir()
    code = f"""
import json, os, warnings
from mssedu.data import make_dataset           # stempeg looks for ffmpeg at import
os.environ["PATH"] = {str(empty)!r}
import shutil; assert shutil.which("fluidsynth") is None
a = make_dataset({str(tmp_path / "a")!r}, n_songs=2, seconds=2.0, seed=7, sr={SR}, progress=False)
warnings.simplefilter("default", DeprecationWarning)
b = make_dataset({str(tmp_path / "b")!r}, n_songs=1, seconds=2.0, seed=8, sr={SR}, progress=False)
print(json.dumps([str(f) for f in a + b]))
"""
    import mssedu
    env = {k: v for k, v in os.environ.items() if k != "MSSEDU_SOUNDFONT"}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(mssedu.__file__).resolve().parents[1]),
                                         *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    said = [line for line in out.stderr.splitlines() if "FallbackRendererWarning" in line]
    assert len(said) == 1, out.stderr
    assert "fluidsynth program" in said[0] and "renderer='numpy'" in said[0]
    # the install line of this system only
    assert ("brew install fluid-synth" in said[0]) == (sys.platform == "darwin")
    assert ("apt-get install fluidsynth" in said[0]) == sys.platform.startswith("linux")
    for f in json.loads(out.stdout.strip().splitlines()[-1]):
        t = load_multitrack(f, stems=("vocals", "bass", "drums", "other"))
        assert t.mixture.shape == (2, 2 * SR)
        assert np.max(np.abs(t.mixture - sum(t.stems.values()))) < 1e-4
    for d in ("a", "b"):
        manifest = json.loads((tmp_path / d / "manifest.json").read_text())
        assert {s["renderer"] for s in manifest["songs"].values()} == {"numpy"}


def test_choose_renderer():
    assert synth.choose_renderer("numpy") == ("numpy", None)
    if shutil.which("fluidsynth"):
        name, font = synth.choose_renderer("auto")
        assert name == "fluidsynth" and os.path.isfile(font)
    with pytest.raises(ParameterError, match="renderer must be one of"):
        synth.choose_renderer("fluid")


# --- where SoundFonts and drum kits are found, on every system ------------------------------

def test_soundfont_env_override_and_folders(tmp_path, monkeypatch):
    font = tmp_path / "mine.sf2"
    font.write_bytes(b"RIFF")
    monkeypatch.setenv("MSSEDU_SOUNDFONT", str(font))
    assert soundfont.find_soundfont() == str(font)
    monkeypatch.setenv("MSSEDU_SOUNDFONT", str(tmp_path / "gone.sf2"))
    with pytest.raises(DataError, match="MSSEDU_SOUNDFONT"):
        soundfont.find_soundfont()
    monkeypatch.delenv("MSSEDU_SOUNDFONT")
    # conda's share/soundfonts (any system), found before the system's folders
    prefix = tmp_path / "env"
    (prefix / "share" / "soundfonts").mkdir(parents=True)
    (prefix / "share" / "soundfonts" / "FluidR3_GM.sf2").write_bytes(b"RIFF")
    monkeypatch.setenv("CONDA_PREFIX", str(prefix))
    assert soundfont.find_soundfont() == str(prefix / "share" / "soundfonts" / "FluidR3_GM.sf2")
    monkeypatch.setattr(sys, "platform", "darwin")
    mac = [str(f) for f in soundfont.soundfont_folders()]
    assert "/opt/homebrew/share/soundfonts" in mac and "/opt/local/share/sounds/sf2" in mac
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("ProgramData", str(tmp_path / "ProgramData"))
    win = soundfont.soundfont_folders()
    assert tmp_path / "ProgramData" / "soundfonts" in win and prefix / "Library" / "share" / "soundfonts" in win
    assert not [f for f in win if str(f).startswith("/usr/")]


def test_synthetic_drum_kit(tmp_path, monkeypatch):
    kit = drums.synthetic_kit(SR)
    assert set(kit["roles"]) == set(drums.GM_DRUM_ROLES.values())
    for role, layers in kit["roles"].items():
        assert [lo for lo, *_ in layers] == [0.0, 0.4, 0.75]
        for _, _, gain, x in layers:
            assert x.shape[0] == 2 and np.all(np.isfinite(x)) and 0 < np.max(np.abs(x)) * gain <= 1.0

    def centroid(x):
        spec = np.abs(np.fft.rfft(x[0])) ** 2   # power-weighted: where the energy is
        return float(np.sum(spec * np.fft.rfftfreq(x.shape[-1], 1 / SR)) / np.sum(spec))

    hard = {r: layers[-1][3] for r, layers in kit["roles"].items()}
    assert centroid(hard["kick"]) < 1000 < 5000 < centroid(hard["hat"])
    assert centroid(kit["roles"]["snare"][0][3]) < centroid(hard["snare"])   # soft hits are darker
    out = drums.render_drums([(0.1, 36, 100), (0.5, 38, 90)], 1.0, SR, kit, np.random.default_rng(0))
    assert out.shape == (2, SR) and np.max(np.abs(out)) > 0.1
    # kits from $MSSEDU_DRUMKITS are found first
    monkeypatch.setenv("MSSEDU_DRUMKITS", str(tmp_path))
    assert drums.find_kits() == sorted(drums.find_kits(), key=lambda p: p.name)


def test_midi_parts_read_the_song_as_mido_plays_it():
    """midi_parts reads notes and times through the tempo map itself (fast); the reference is
    mido's own merged playback of the same file."""
    spec = synth.song_spec(1, 2, 6.0)
    mid, channel_stems = synth.song_midi(spec)
    t, open_notes, ref = 0.0, {}, {}
    for msg in mid:
        t += msg.time
        if msg.type == "note_on" and msg.velocity > 0:   # a re-struck note: first on, first off
            open_notes.setdefault((msg.channel, msg.note), []).append((t, msg.velocity))
        elif msg.type in ("note_on", "note_off") and open_notes.get((msg.channel, msg.note)):
            on, vel = open_notes[(msg.channel, msg.note)].pop(0)
            ref.setdefault(msg.channel, []).append((on, t - on, msg.note, vel))
    parts = numpy_synth.midi_parts(mid)
    assert sorted(parts) == sorted(ref) == sorted(channel_stems)
    for ch, notes in ref.items():
        mine = [n[:4] for n in parts[ch]["notes"]]
        assert len(mine) == len(notes)
        np.testing.assert_allclose(np.array(mine), np.array(sorted(notes)), atol=1e-9)
    voice = next(c for c, st in channel_stems.items() if st == "vocals")
    assert parts[voice]["bend"] is not None and np.max(np.abs(parts[voice]["bend"][1])) > 5   # vibrato, cents


def test_make_dataset_reuses_only_songs_made_the_same_way(tmp_path, monkeypatch):
    """A cached song is reused when spec, rate and RENDER_VERSION match; a cache made by older
    rendering code (another RENDER_VERSION) is rendered again, not silently reused."""
    kw = dict(n_songs=1, seconds=1.0, seed=3, sr=SR, progress=False, renderer="numpy")
    folder, = make_dataset(tmp_path, **kw)
    first = (folder / "vocals.wav").stat().st_mtime_ns
    make_dataset(tmp_path, **kw)
    assert (folder / "vocals.wav").stat().st_mtime_ns == first          # reused
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["songs"][folder.name]["render_version"] == synth.RENDER_VERSION
    monkeypatch.setattr(synth, "RENDER_VERSION", synth.RENDER_VERSION + 1)
    make_dataset(tmp_path, **kw)
    assert (folder / "vocals.wav").stat().st_mtime_ns != first          # rendered again
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["songs"][folder.name]["render_version"] == synth.RENDER_VERSION
