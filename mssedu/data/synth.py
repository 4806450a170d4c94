r"""Synthetic multitracks: MIDI rendered stem by stem with a General-MIDI SoundFont.

Real multitracks are scarce (MUSDB18 has 150 songs) and cannot ship with a course. Slakh2100
(Manilow et al., 2019) showed another way: render MIDI files with sampled instruments, one
instrument at a time, so that every stem is *exact* and the mixture is exactly their sum,

.. math::  x[n] = \sum_{j=1}^{J} s_j[n] .

This module does that at course scale, offline:

* **scores**: the four-part Bach chorales bundled with ``music21`` (soprano, alto, tenor,
  bass; :mod:`mssedu.data.chorales`), plus generated parts: drum patterns on the General-MIDI percussion channel (10)
  and bass lines that follow the chorale's bass;
* **stems named like MUSDB18** (``layout="musdb"``): ``vocals`` (the melody on a voice
  patch, Choir Aahs / Voice Oohs / Synth Voice, with vibrato, scoops and breaths, sometimes
  an octave lower, sometimes with a backing harmony), ``bass``, ``drums`` and ``other``
  (chords, arpeggios and countermelodies on pianos, guitars, organs, strings, pads...);
  or **one stem per instrument** like Bach10 (Duan & Pardo, 2010; ``layout="bach10"``:
  violin, clarinet, saxophone, bassoon);
* **seeded randomness**: chorale and start bar, tempo, transposition, instruments, playing
  patterns, per-stem gain, stereo pan, reverb send and room: song ``i`` of a dataset made
  with ``seed`` depends only on ``(seed, i)``;
* **renderer** (``renderer=`` of :func:`make_dataset`, :func:`render_song`,
  :func:`render_midi_stems`): ``"fluidsynth"``, the ``fluidsynth`` command line with a
  General-MIDI SoundFont (:mod:`mssedu.data.soundfont`: where to find both on Linux, macOS and
  Windows). Each stem is rendered by its own FluidSynth process (reverb included, so the wet
  signal belongs to the stem), in parallel. ``"numpy"``: :mod:`mssedu.data.numpy_synth`,
  additive-synthesis instruments and synthesised drums that need no program at all (simpler
  timbres, same notes, same exact stems). ``"auto"`` (the default) takes FluidSynth when it
  and a SoundFont are installed, else numpy with one :class:`FallbackRendererWarning` that
  says what is missing and how to install it.

**Styles** (:data:`STYLES`, ``style=`` of :func:`song_spec` / :func:`make_dataset`): the songs
above are the ``"classic"`` style. The ``"studio"`` style keeps the same scores and parts but
makes them sound produced: the vocals are *sung with words* (:mod:`mssedu.data.voice`:
espeak-ng speech re-sung on the melody by the WORLD vocoder), the drums are *recorded* kits
with velocity layers (:mod:`mssedu.data.drums`), bass and other instruments come from two
sample sets (FluidR3_GM and MuseScore_General), and every stem goes through its own *mixing
chain* (:mod:`mssedu.data.mixing`); ``"sung"`` and ``"sampled"`` are the steps in between.
FluidSynth renders its stems in its own processes while Python sings and drums. Every effect
is applied per stem, so the mixture is still exactly the sum of the stems.

:func:`make_dataset` writes a MUSDB18-HQ-layout folder (``<out>/<subset>/<song>/mixture.wav,
vocals.wav, ...`` plus the song's ``song.mid``) and a ``manifest.json`` describing every song.
:func:`render_midi_stems` renders any MIDI file into stems grouped by instrument family.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import mido
import numpy as np
import soundfile as sf
from tqdm.auto import tqdm

from ..audio import save
from ..checks import check_rate
from ..errors import DataError, ParameterError
from . import drums, mixing, numpy_synth, voice
from .chorales import chorale_ids, load_chorale
from .renderers import RENDERERS, FallbackRendererWarning, choose_renderer, warn_fallback
from .scores import song_midi
from .songs import BACH10_PROGRAMS, STYLES, VOICE_PROGRAMS, song_spec, style_settings
from .soundfont import find_soundfont, fluidsynth_path, instrument_soundfonts, start_renders, wait_renders
from .track import Track

# The song's parts (songs, scores, renderers) are re-exported: ``synth`` is the one module a
# notebook imports to make synthetic data.
__all__ = ["make_dataset", "render_song", "render_midi_stems", "song_spec", "song_midi", "chorale_ids",
           "load_chorale", "find_soundfont", "fluidsynth_path", "VOICE_PROGRAMS", "BACH10_PROGRAMS",
           "STYLES", "style_settings", "instrument_soundfonts", "RENDERERS", "FallbackRendererWarning",
           "choose_renderer", "RENDER_VERSION"]

#: Version of the rendered sound: make_dataset re-renders cached songs of another version.
RENDER_VERSION = 2   # raise it with any change to the audio (2: pedalboard mixing chain)


# ----------------------------------------------------------------------------------------
# Rendering
# ----------------------------------------------------------------------------------------
#: General-MIDI program families -> MUSDB stem, for :func:`render_midi_stems`.
def _musdb_stem_of(program: int, channel: int) -> str:
    if channel == 9:
        return "drums"
    if 32 <= program <= 39:
        return "bass"
    if program in VOICE_PROGRAMS or program == 85:  # 85: Lead 6 (voice)
        return "vocals"
    return "other"


def _read_midi(path):
    path = Path(path)
    if not path.is_file():
        raise DataError(f"No such MIDI file: {path}.")
    try:
        return mido.MidiFile(str(path))
    except Exception as err:
        raise DataError(f"{path} is not a readable MIDI file ({type(err).__name__}: {err}). "
                        "Check that it is a Standard MIDI File (.mid) and not truncated.") from err


def _split_midi(mid, channels):
    """A copy of ``mid`` keeping meta messages and only the channel messages of ``channels``."""
    out = mido.MidiFile(type=mid.type, ticks_per_beat=mid.ticks_per_beat)
    for track in mid.tracks:
        new = mido.MidiTrack()
        carry = 0
        for msg in track:
            if hasattr(msg, "channel") and msg.channel not in channels:
                carry += msg.time
                continue
            new.append(msg.copy(time=msg.time + carry))
            carry = 0
        out.tracks.append(new)
    return out


def _fit_length(out: dict, n) -> dict:
    if n is None:
        n = max(v.shape[-1] for v in out.values())
    for name, v in out.items():
        if v.shape[-1] >= n:
            out[name] = np.ascontiguousarray(v[:, :n])
        else:
            out[name] = np.pad(v, ((0, 0), (0, n - v.shape[-1])))
    return out


def _channel_notes(mid, channels) -> list:
    """``[(onset_s, duration_s, pitch, velocity)]`` of the notes on ``channels``, sorted."""
    t, open_notes, notes = 0.0, {}, []
    for msg in mid:
        t += msg.time
        if msg.type not in ("note_on", "note_off") or msg.channel not in channels:
            continue
        key = (msg.channel, msg.note)
        if msg.type == "note_on" and msg.velocity > 0:
            open_notes[key] = (t, msg.velocity)
        elif key in open_notes:
            on, vel = open_notes.pop(key)
            notes.append((on, t - on, msg.note, vel))
    return sorted(notes)


def _render_parts(mid, groups: dict, sr: int, n, renderer: str, fonts, settings: dict, reverb, seed: int) -> dict:
    """Stems of the channel ``groups`` (stem -> channels) with either renderer. FluidSynth:
    one process per stem, font ``fonts[stem]`` (or ``fonts[None]``), ``settings``; numpy:
    the room ``reverb`` (None: dry)."""
    if renderer == "numpy":
        return numpy_synth.render_midi(mid, groups, sr, None if n is None else n / sr, reverb, seed)
    out = {}
    with tempfile.TemporaryDirectory(prefix="mssedu_render_") as tmp:
        jobs = []
        for name, chans in groups.items():
            mpath = Path(tmp) / f"{name}.mid"
            _split_midi(mid, chans).save(str(mpath))
            font = fonts.get(name) or fonts[None]
            jobs.append((mpath, Path(tmp) / f"{name}.wav", font if os.path.isfile(font) else fonts[None]))
        wait_renders(start_renders(jobs, sr, settings))
        for name, (_, wav, _) in zip(groups, jobs):
            data, _ = sf.read(str(wav), dtype="float32", always_2d=True)
            out[name] = np.ascontiguousarray(data.T)
    return out


def _reverb_settings(reverb) -> dict:
    """FluidSynth's settings for a spec's reverb (None: its defaults), chorus on."""
    settings = {"synth.chorus.active": 1, "synth.reverb.active": 1}
    if reverb:
        settings.update({"synth.reverb.room-size": reverb["room_size"], "synth.reverb.level": reverb["level"],
                         "synth.reverb.damp": reverb["damp"], "synth.reverb.width": reverb["width"]})
    return settings


def render_midi_stems(midi, soundfont=None, sr: int = 44100, seconds: float | None = None,
                      stems=None, reverb: dict | None = None, renderer: str = "auto"):
    """Render a MIDI file (or :class:`mido.MidiFile`) into stems, one FluidSynth run (or one
    numpy rendering) per stem.

    Parameters
    ----------
    midi : path or mido.MidiFile
    soundfont : path or None
        See :func:`find_soundfont`.
    sr : int
    seconds : float or None
        Cut/zero-pad every stem to this length (default: the MIDI file's length).
    stems : dict channel -> stem name, or None
        Which stem each MIDI channel (0-based; 9 is percussion) goes to. ``None`` groups by
        General-MIDI family like MUSDB: channel 10 -> drums, programs 33-40 -> bass, voice
        patches -> vocals, everything else -> other.
    reverb : dict or None
        Reverb settings (``room_size, level, damp, width``); None: FluidSynth's defaults.
    renderer : {"auto", "fluidsynth", "numpy"}
        See :func:`choose_renderer`.

    Returns
    -------
    dict stem -> float32 ``(2, samples)``
        Sum them for the mixture (exact by construction).

    Raises
    ------
    DataError
        Unreadable MIDI, no notes, or ``renderer="fluidsynth"`` and fluidsynth or the
        SoundFont missing.
    """
    sr = check_rate(sr)
    mid = midi if isinstance(midi, mido.MidiFile) else _read_midi(midi)
    renderer, font = choose_renderer(renderer, soundfont)
    if stems is None:
        programs, stems = {}, {}
        for track in mid.tracks:
            for msg in track:
                if msg.type == "program_change":
                    programs.setdefault(msg.channel, msg.program)
                if msg.type == "note_on":
                    stems.setdefault(msg.channel, None)
        stems = {ch: _musdb_stem_of(programs.get(ch, 0), ch) for ch in stems}
    if not stems:
        raise DataError("The MIDI file has no notes to render.")
    groups = {}
    for ch, name in stems.items():
        groups.setdefault(name, set()).add(int(ch))
    n = None if seconds is None else int(round(seconds * sr))
    out = _render_parts(mid, groups, sr, n, renderer, {None: font}, _reverb_settings(reverb),
                        reverb or numpy_synth.DEFAULT_REVERB, 0)
    return _fit_length(out, n)


def render_song(spec: dict, sr: int = 44100, soundfont=None, renderer: str = "auto"):
    """Render the song ``spec`` (see :func:`song_spec`) into a :class:`~mssedu.data.Track`.

    Stems are rendered separately, then each is scaled to a loudness (RMS) of about
    -20 dBFS plus the spec's per-stem gain (a mixing chain levels its stem itself, see
    :func:`mixing.apply_chain`), faded out over the last 50 ms, and the whole song is scaled so the mixture peaks below 0.9. All of these are linear, per stem, so
    the mixture stays exactly the sum of the stems.

    Parameters
    ----------
    spec : dict
        From :func:`song_spec`.
    sr : int
        Sample rate in Hz.
    soundfont : str, Path or None
        See :func:`find_soundfont`.
    renderer : {"auto", "fluidsynth", "numpy"}
        See :func:`choose_renderer`.

    Returns
    -------
    Track
        Mixture and stems ``(2, samples)``, float32; the mixture is exactly their sum.
        ``track.renderer`` says which renderer played the MIDI parts.

    Examples
    --------
    >>> import numpy as np
    >>> spec = song_spec(seed=0, index=0, seconds=2.0)
    >>> track = render_song(spec, sr=22050, renderer="numpy")   # no program needed
    >>> sorted(track.stems), track.mixture.shape
    (['bass', 'drums', 'other', 'vocals'], (2, 44100))
    >>> bool(np.allclose(track.mixture, sum(track.stems.values()), atol=1e-6))
    True
    """
    sr = check_rate(sr)
    renderer, font = choose_renderer(renderer, soundfont)
    mid, channel_stems = song_midi(spec)
    if "style" in spec:
        stems = _render_styled(spec, mid, channel_stems, sr, font, renderer)
    else:
        groups = {}
        for ch, name in channel_stems.items():
            groups.setdefault(name, set()).add(int(ch))
        n = int(round(spec["seconds"] * sr))
        stems = _fit_length(_render_parts(mid, groups, sr, n, renderer, {None: font}, _reverb_settings(spec["reverb"]),
                                          spec["reverb"], _song_seed(spec)), n)
    order = list(BACH10_PROGRAMS) if spec["layout"] == "bach10" else ["vocals", "bass", "drums", "other"]
    stems = {k: stems[k] for k in order if k in stems}
    n = stems[order[0]].shape[-1]
    fade = np.ones(n, dtype=np.float32)
    m = min(n, int(0.05 * sr))
    fade[n - m:] = np.linspace(1, 0, m, dtype=np.float32)
    for k, v in stems.items():
        rms = float(np.sqrt(np.mean(v.astype(np.float64) ** 2)))
        g = 10 ** ((-20 + spec["gains_db"].get(k, 0.0)) / 20) / rms if rms > 1e-7 else 1.0
        if "loudness_db" in spec.get("mix", {}).get(k, {}):   # levelled by its mixing chain already
            g = 1.0
        stems[k] = (v * np.float32(g) * fade).astype(np.float32)
    mixture = np.sum(list(stems.values()), axis=0, dtype=np.float32)
    peak = float(np.max(np.abs(mixture)))
    if peak > 0.9:
        stems = {k: (v * np.float32(0.9 / peak)).astype(np.float32) for k, v in stems.items()}
    mixture = np.sum(list(stems.values()), axis=0, dtype=np.float32)
    track = Track(spec["name"], sr, mixture, stems)
    track.spec = spec
    track.midi = mid
    track.renderer = renderer
    return track


def _song_seed(spec: dict) -> list:
    """The seed of a song's own random draws at render time (drum humanisation)."""
    return [spec["seed"], spec["index"], 17]


def _part_channels(spec: dict) -> dict:
    """Role -> MIDI channels, assigned as :func:`song_midi` does."""
    free = [c for c in range(16) if c != 9]
    out = {}
    for part in spec["parts"]:
        ch = 9 if part["role"] == "drums" else free.pop(0)
        out.setdefault(part["role"], []).append(ch)
    return out


def _can_sing() -> bool:
    """Whether pyworld and espeak-ng are here for the sung vocals (else one warning, and voice patches)."""
    try:
        voice.check_singing()
    except DataError as err:
        warn_fallback(f"Synthetic songs: the vocals are played by a voice patch instead of sung with "
                   f"words, because {err}")
        return False
    return True


def _render_styled(spec: dict, mid, channel_stems: dict, sr: int, font, renderer: str) -> dict:
    """Stems of a song with a non-classic style: the MIDI stems (FluidSynth started first, in
    its own processes; or numpy), sung vocals and sampled drums in Python meanwhile, then each
    stem's mixing chain."""
    style = spec["style"]
    n = int(round(spec["seconds"] * sr))
    fluid = dict(channel_stems)
    roles = _part_channels(spec)
    sung = style["vocals"] == "sung" and _can_sing()
    if sung:
        fluid = {c: st for c, st in fluid.items() if st != "vocals"}
    if style["drums"] == "samples":
        fluid = {c: st for c, st in fluid.items() if st != "drums"}
    settings, reverb = _reverb_settings(spec["reverb"]), spec["reverb"]
    if style["mixing"] == "chain":   # the chain adds the room; the instruments are rendered dry
        settings, reverb = {"synth.chorus.active": 0, "synth.reverb.active": 0}, None
    groups = {}
    for ch, name in fluid.items():
        groups.setdefault(name, set()).add(int(ch))
    out = {}
    with ThreadPoolExecutor(max_workers=1) as pool:   # FluidSynth waits in a thread, numpy renders in one
        parts = pool.submit(_render_parts, mid, groups, sr, n, renderer, {None: font, **spec.get("soundfonts", {})},
                            settings, reverb, _song_seed(spec))
        if sung:
            lead = _channel_notes(mid, set(roles.get("lead_voice", [])[:1]))
            backing = _channel_notes(mid, set(roles.get("backing_voice", [])))
            singer = spec["singer"]
            out["vocals"] = voice.sing([(on, d, p) for on, d, p, _ in lead], spec["seconds"], sr,
                                       np.random.default_rng(singer["seed"]), singer["type"],
                                       harmony=[(on, d, p) for on, d, p, _ in backing] or None,
                                       doubles=singer["doubles"])
        if style["drums"] == "samples":
            hits = [(on, p, v) for on, _, p, v in _channel_notes(mid, {9})]
            kit = (drums.synthetic_kit(sr) if spec["drum_kit"] == "synthetic"
                   else drums.load_kit(spec["drum_kit"], sr))
            out["drums"] = drums.render_drums(hits, spec["seconds"], sr, kit, np.random.default_rng(_song_seed(spec)))
        out.update(parts.result())
    out = _fit_length(out, n)
    if style["mixing"] == "chain":
        with ThreadPoolExecutor(max_workers=2) as pool:   # scipy's filters and FFTs release the GIL
            done = {k: pool.submit(mixing.apply_chain, v, sr, spec["mix"][k]) for k, v in out.items()}
            out = {k: f.result() for k, f in done.items()}
    return out


def _fork():
    """Process start method for parallel rendering: fork where available (cheap), else spawn."""
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


def _render_to_folder(spec: dict, folder: Path, sr: int, font, renderer: str) -> None:
    """Render one song and write its stems, mixture and MIDI into ``folder`` (whole files,
    the mixture last, so a half-written song is rendered again next time)."""
    track = render_song(spec, sr=sr, soundfont=font, renderer=renderer)
    folder.mkdir(parents=True, exist_ok=True)
    track.midi.save(str(folder / "song.mid"))
    for k, v in {**track.stems, "mixture": track.mixture}.items():
        save(folder / f"{k}.wav", v, sr, overwrite=True)


def _song_complete(folder: Path, stems) -> bool:
    return all((folder / f"{s}.wav").is_file() for s in ["mixture", *stems])


def make_dataset(out_dir, n_songs: int = 10, seconds: float = 30.0, seed: int = 0, layout: str = "musdb",
                 subset: str = "train", sr: int = 44100, soundfont=None, progress: bool = True,
                 style="classic", workers: int = 1, renderer: str = "auto") -> list:
    """Render ``n_songs`` synthetic multitracks into a MUSDB18-HQ-layout folder.

    Writes ``out_dir/<subset>/<name>/{mixture,vocals,bass,drums,other}.wav`` (float32 wav;
    for ``layout="bach10"``: violin, clarinet, saxophone, bassoon), each song's ``song.mid``,
    and ``out_dir/manifest.json`` with every song's spec (seed, score id, instruments, tempo,
    transposition, gains...). Songs already there, made with the same spec, sample rate and
    :data:`RENDER_VERSION`, are skipped, so a bigger dataset with the same seed extends a
    smaller one; a song made by other settings or older code is rendered again. The folder reads back with :func:`mssedu.data.load_multitrack`
    per song, or with :func:`mssedu.data.musdb_tracks` (``root=out_dir, is_wav=True``).

    Parameters
    ----------
    out_dir : path
    n_songs : int
    seconds : float
        Length of each song.
    seed : int
        Song ``i`` depends only on ``(seed, i)``.
    layout : "musdb" or "bach10"
    subset : str
        Sub-folder (MUSDB18 uses ``train`` and ``test``; use another seed for ``test``).
    sr : int
    soundfont : path or None
        See :func:`find_soundfont`.
    progress : bool
        Show a tqdm progress bar.
    style : str or dict
        The data style (:data:`STYLES`, :func:`style_settings`): ``"classic"`` (choir patches,
        SoundFont drums) up to ``"studio"`` (sung vocals, recorded drums, two SoundFonts, a
        mixing chain per stem). Use one output folder per style.
    workers : int
        Songs rendered at the same time, each in its own process (the result does not
        depend on it).
    renderer : {"auto", "fluidsynth", "numpy"}
        Who plays the MIDI parts (:func:`choose_renderer`): FluidSynth with a SoundFont, or
        the numpy synthesizer that needs no program. ``"auto"`` takes FluidSynth where it is
        installed, else numpy with one warning. The manifest records it per song.

    Returns
    -------
    list of Path
        The song folders, in order.

    Examples
    --------
    >>> folders = make_dataset("/tmp/synth", n_songs=2, seconds=4.0)   # doctest: +SKIP
    >>> from mssedu.data import load_multitrack
    >>> tracks = [load_multitrack(f) for f in folders]                  # doctest: +SKIP
    """
    if int(n_songs) < 1:
        raise ParameterError(f"n_songs must be >= 1, got {n_songs!r}.")
    if seconds is None or float(seconds) <= 0:
        raise ParameterError(f"seconds must be > 0, got {seconds!r}.")
    renderer, font = choose_renderer(renderer, soundfont)
    if style_settings(style)["vocals"] == "sung":
        _can_sing()      # a missing pyworld is said here, once: forked workers inherit that
    sr = check_rate(sr)
    out = Path(out_dir).expanduser()
    (out / subset).mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    manifest = {"generator": "mssedu.data.synth", "songs": {}}
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text())
        except ValueError:
            pass
    manifest.setdefault("songs", {})
    stems = list(BACH10_PROGRAMS) if layout == "bach10" else ["vocals", "bass", "drums", "other"]
    if int(workers) < 1:
        raise ParameterError(f"workers must be >= 1, got {workers!r}.")
    folders, todo = [], []
    for i in range(int(n_songs)):
        spec = song_spec(seed, i, seconds, layout, font, style=style)
        folder = out / subset / spec["name"]
        folders.append(folder)
        old = manifest["songs"].get(spec["name"], {})
        entry = json.loads(json.dumps(dict(spec, subset=subset, sr=sr, render_version=RENDER_VERSION)))
        unchanged = {k: v for k, v in old.items() if k != "renderer"} == entry
        if not (unchanged and _song_complete(folder, stems)):
            todo.append((spec, folder))     # new, incomplete, or made by other settings or code
            entry["renderer"] = renderer
        elif "renderer" in old:
            entry["renderer"] = old["renderer"]
        manifest["songs"][spec["name"]] = entry
    pool = ProcessPoolExecutor(int(workers), mp_context=_fork()) if int(workers) > 1 and len(todo) > 1 else None
    try:
        jobs = ([pool.submit(_render_to_folder, spec, folder, sr, font, renderer) for spec, folder in todo] if pool
                else ((_render_to_folder(spec, folder, sr, font, renderer)) for spec, folder in todo))
        for job in tqdm(jobs, total=len(todo), desc="rendering songs", disable=not progress):
            if pool:
                job.result()
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    text = json.dumps(manifest, indent=1)
    if not manifest_path.is_file() or manifest_path.read_text() != text:
        tmp = manifest_path.with_suffix(f".json.{os.getpid()}.tmp")   # one per process: ranks may race
        tmp.write_text(text)
        os.replace(tmp, manifest_path)
    return folders
