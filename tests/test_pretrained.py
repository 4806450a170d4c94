"""Tests of mssedu.pretrained without downloaded weights.

The real HT-Demucs architecture (htdemucs config, random weights) runs end to end a couple
of times (each 7.8 s segment costs seconds on a shared CPU). Properties that need many
model calls (window stitching, cross-fades, stems summing to the mixture) use a cheap
stand-in that behaves like HT-Demucs where it matters: it works segment by segment and its
output depends on the whole segment (a per-segment gain), so a wrong cut or a missing
cross-fade shows up as a difference or a click.
"""
from __future__ import annotations

import json
import time
from fractions import Fraction

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("demucs.apply")

from mssedu import MsseduError  # noqa: E402
from mssedu import separation as P  # noqa: E402
from mssedu.chunking import chunk_weights, plan_chunks  # noqa: E402
from mssedu.network import reachable  # noqa: E402
from mssedu.audio import resample  # noqa: E402

SOURCES = ["drums", "bass", "other", "vocals"]


class SegmentGainModel(torch.nn.Module):
    """Stem k = g_k * x + c_k * r(segment) * x, with sum(g) = 1 and sum(c) = 0: the stems add
    up to the input exactly, but each depends on the segment's RMS r (like HT-Demucs'
    per-segment normalisation)."""

    def __init__(self, samplerate=8000, segment=1.0, channels=2):
        super().__init__()
        self.samplerate, self.segment, self.audio_channels = samplerate, segment, channels
        self.sources = list(SOURCES)
        self.register_buffer("g", torch.tensor([0.1, 0.2, 0.3, 0.4]))
        self.register_buffer("c", torch.tensor([1.0, -2.0, 0.5, 0.5]))

    def forward(self, x):  # (B, C, T) -> (B, S, C, T)
        r = x.pow(2).mean(dim=(1, 2), keepdim=True).sqrt()[:, None]
        return (self.g[None, :, None, None] + self.c[None, :, None, None] * r) * x[:, None]


def crescendo(sr, seconds, channels=2, f0=200.0):
    t = np.arange(int(sr * seconds)) / sr
    x = (0.05 + 0.9 * t / seconds) * np.sin(2 * np.pi * f0 * t)
    return np.repeat(x[None], channels, axis=0).astype(np.float32)


@pytest.fixture(scope="module")
def real_separator():
    return P.load_separator(P.RANDOM_MODEL, device="cpu")


@pytest.fixture
def no_weights(tmp_path, monkeypatch):
    """Empty caches everywhere and no network."""
    monkeypatch.setenv("MSSEDU_CACHE", str(tmp_path / "mssedu"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("MSSEDU_OFFLINE", "1")
    return tmp_path


# -- the real architecture ---------------------------------------------------------------------

def test_random_htdemucs_is_the_released_architecture(real_separator):
    m = real_separator.model
    assert type(m).__name__ == "HTDemucs"
    assert sum(p.numel() for p in m.parameters()) == 41_984_456  # htdemucs (955717e8)
    assert real_separator.sources == SOURCES
    assert real_separator.sr == 44100 and real_separator.channels == 2
    assert m.segment == Fraction(39, 5)  # 7.8 s
    assert "random" in real_separator.name
    assert real_separator.half is False and real_separator.device.type == "cpu"


def test_front_end_equals_apply_model_on_real_architecture(real_separator):
    from demucs.apply import apply_model

    x = crescendo(44100, 3.0)
    stems = P.separate(real_separator, x, 44100, progress=False)
    ref = apply_model(real_separator.model, torch.from_numpy(x)[None], shifts=0, split=True,
                      overlap=0.25)[0].numpy()
    assert list(stems) == SOURCES
    for i, name in enumerate(SOURCES):
        assert stems[name].shape == x.shape and stems[name].dtype == np.float32
        np.testing.assert_array_equal(stems[name], ref[i])  # the wrapper adds nothing
        assert np.isfinite(stems[name]).all() and np.abs(stems[name]).max() > 0


# -- chunking, windows, clicks ----------------------------------------------------------------

def test_windowed_separation_equals_single_pass():
    model = SegmentGainModel()
    x = crescendo(8000, 12.0) + 0.05 * np.random.default_rng(0).standard_normal((2, 96000)).astype(np.float32)
    single = P.DemucsSeparator(model, device="cpu").separate(x, progress=False)
    sep = P.DemucsSeparator(model, device="cpu", window_seconds=4.0)
    plan = plan_chunks(x.shape[-1], 32000, fade=6000, margin=8000, align=6000)
    assert len(plan) > 2  # the windows really cut the input
    windowed = sep.separate(x, progress=False)
    for k in SOURCES:
        np.testing.assert_allclose(windowed[k], single[k], atol=1e-6, rtol=0)


def test_plan_chunks_cover_the_signal_and_overlap_by_the_fade():
    plan = plan_chunks(100_000, 30_000, fade=3_000, margin=5_000, align=3_000)
    assert plan[0].keep_start == 0 and plan[-1].keep_stop == 100_000
    for c, c2 in zip(plan, plan[1:]):
        assert c.keep_stop - c2.keep_start == 3_000  # kept parts overlap by exactly one fade
        assert c2.keep_start - c2.start >= 5_000 and c.stop - c.keep_stop >= 5_000 - 3_000  # margins
        assert c2.start % 3_000 == 0  # window starts on the segment grid
    total = np.zeros(100_000)
    for c in plan:
        total[c.keep_start:c.keep_stop] += chunk_weights(c, 3_000)
    np.testing.assert_allclose(total, 1.0, atol=1e-6)  # the cross-fade weights sum to one
    with pytest.raises(MsseduError, match="too short"):
        plan_chunks(100_000, 12_000, fade=3_000, margin=5_000, align=3_000)


def test_stems_sum_to_mixture_across_chunks_and_windows():
    model = SegmentGainModel()
    x = crescendo(8000, 9.0)
    stems = P.DemucsSeparator(model, device="cpu", window_seconds=4.0).separate(x, progress=False)
    np.testing.assert_allclose(sum(stems.values()), x, atol=1e-5)


def test_chunk_boundaries_have_no_clicks():
    """Chunked (1 s segments) vs unchunked (one segment for the whole input) on a smooth
    50 Hz crescendo. A click is a spike of the second difference: its peak over its 99th
    percentile ("spikiness") is ~1.1 for a smooth signal. With the 25 % cross-fade the
    chunked output is as smooth as the unchunked one; with hard cuts (overlap 0) the
    per-segment gain jumps show up (spikiness > 3): the test can fail."""
    sr, seconds = 8000, 4.0
    x = crescendo(sr, seconds, f0=50.0)

    def spikiness(y):
        d2 = np.abs(np.diff(y[0], 2))
        return float(d2.max() / np.quantile(d2, 0.99))

    def run(segment, overlap):
        sep = P.DemucsSeparator(SegmentGainModel(sr, segment), device="cpu", overlap=overlap)
        return sep.separate(x, progress=False)

    whole, faded, hard = run(seconds, 0.25), run(1.0, 0.25), run(1.0, 0.0)
    for k in SOURCES:
        assert spikiness(faded[k]) <= 1.05 * spikiness(whole[k]) < 1.3, k
    assert min(spikiness(hard[k]) for k in ("drums", "bass")) > 3.0


# -- the generic separate() -------------------------------------------------------------------

def test_separate_resamples_mono_and_returns_input_shape():
    sep = P.DemucsSeparator(SegmentGainModel(8000, 1.0), device="cpu")
    x = crescendo(16000, 2.5, channels=1)
    stems = P.separate(sep, x, 16000, progress=False)
    assert all(v.shape == (1, x.shape[-1]) for v in stems.values())
    expected = resample(resample(x, 16000, 8000), 8000, 16000)[..., :x.shape[-1]]
    np.testing.assert_allclose(sum(stems.values()), expected, atol=1e-5)
    one_d = P.separate(sep, x[0], 16000, progress=False)
    assert one_d["vocals"].shape == (x.shape[-1],)


def test_two_stems_gives_target_and_accompaniment():
    sep = P.DemucsSeparator(SegmentGainModel(8000, 1.0), device="cpu")
    x = crescendo(8000, 2.0)
    full = P.separate(sep, x, 8000, progress=False)
    karaoke = P.separate(sep, x, 8000, two_stems="vocals", progress=False)
    assert list(karaoke) == ["vocals", "accompaniment"]
    np.testing.assert_allclose(karaoke["accompaniment"], full["drums"] + full["bass"] + full["other"], atol=1e-6)
    np.testing.assert_allclose(karaoke["vocals"] + karaoke["accompaniment"], x, atol=1e-5)
    with pytest.raises(MsseduError, match="two_stems='piano'.*choose one of"):
        P.separate(sep, x, 8000, two_stems="piano")


@pytest.mark.parametrize("signal, sr, match", [
    (np.full((2, 8000), np.nan, np.float32), 8000, "NaN"),
    (np.zeros((3, 8000), np.float32), 8000, "2-channel audio; got 3 channels"),
    (np.zeros((8000, 2), np.float32), 8000, r"pass signal\.T"),
    (np.zeros((2, 100), np.float32), 8000, "at least 0.05 s"),
    (np.zeros((2, 8000), np.float32), -1, "positive whole number"),
    (np.zeros((1, 2, 8000), np.float32), 8000, r"\(channels, samples\)"),
])
def test_separate_rejects_bad_input(signal, sr, match):
    sep = P.DemucsSeparator(SegmentGainModel(8000, 1.0), device="cpu")
    with pytest.raises(MsseduError, match=match):
        P.separate(sep, signal, sr)


def test_separate_rejects_non_separator():
    with pytest.raises(MsseduError, match="is not a separator"):
        P.separate(object(), np.zeros((2, 8000), np.float32), 8000)


def test_separator_options_are_checked():
    m = SegmentGainModel()
    with pytest.raises(MsseduError, match="overlap"):
        P.DemucsSeparator(m, device="cpu", overlap=1.0)
    with pytest.raises(MsseduError, match="segment must be in"):
        P.DemucsSeparator(m, device="cpu", segment=5.0)


# -- device and precision ---------------------------------------------------------------------

def test_device_fallback_to_cpu():
    from mssedu.config import torch_device

    sep = P.DemucsSeparator(SegmentGainModel(), device="auto")
    expected = "cuda" if torch.cuda.is_available() else (
        "mps" if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available() else "cpu")
    assert sep.device.type == expected
    if not torch.cuda.is_available():
        with pytest.raises(MsseduError, match="no CUDA GPU"):
            torch_device("cuda")


def test_half_precision_switch_logic():
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    assert P.choose_precision(cuda, "auto", lambda: -60.0) is True
    assert P.choose_precision(cuda, "auto", lambda: -25.0) is False  # too inaccurate
    assert P.choose_precision(cuda, "auto", lambda: 1 / 0) is False  # a kernel failed
    assert P.choose_precision(cuda, False, lambda: -60.0) is False
    assert P.choose_precision(cuda, True) is True
    called = []
    assert P.choose_precision(cpu, "auto", lambda: called.append(1) or -60.0) is False
    assert not called  # CPUs never even try
    with pytest.raises(MsseduError, match="half=True needs a CUDA GPU"):
        P.choose_precision(cpu, True)
    with pytest.raises(MsseduError, match="half must be"):
        P.choose_precision(cuda, "sometimes")


def test_half_precision_error_is_measured():
    """The measurement behind the switch, run for real on CPU in bfloat16 autocast."""
    tiny = P.random_htdemucs(channels=8, t_layers=1, bottom_channels=0, segment=Fraction(1, 4))
    err = P.half_precision_error_db(tiny, "cpu", torch.bfloat16)
    assert np.isfinite(err) and -80 < err < -10  # bf16 has ~3 significant digits


# -- weights: offline failure, local repos, caches, safe loading --------------------------------

def test_offline_without_weights_fails_fast_and_says_how_to_fix(no_weights):
    t0 = time.perf_counter()
    with pytest.raises(MsseduError) as info:
        P.load_separator("htdemucs")
    elapsed = time.perf_counter() - t0
    msg = str(info.value)
    assert elapsed < 3.0, f"took {elapsed:.1f} s"
    assert "'htdemucs'" in msg and str(no_weights / "mssedu" / "models") in msg
    assert "mssedu download htdemucs" in msg and "repo=DIR" in msg


def test_reachable_is_bounded_in_time(monkeypatch):
    import socket

    assert reachable("no-such-host.invalid", timeout=0.5) is False  # never resolves

    def hang(*args, **kwargs):  # a name lookup or connect that never answers
        time.sleep(5)

    monkeypatch.setattr(socket, "create_connection", hang)
    t0 = time.perf_counter()
    assert reachable("huggingface.co", timeout=0.3) is False
    assert time.perf_counter() - t0 < 1.5


def test_unknown_model_name(no_weights):
    with pytest.raises(MsseduError, match="Unknown model 'not_a_model'"):
        P.load_separator("not_a_model")


def _tiny_package():
    from demucs.htdemucs import HTDemucs

    kwargs = dict(sources=SOURCES, audio_channels=2, samplerate=44100, segment=Fraction(1),
                  channels=8, t_layers=1, bottom_channels=0)
    torch.manual_seed(0)
    model = HTDemucs(**kwargs)
    return model, {"klass": HTDemucs, "args": (), "kwargs": kwargs,
                   "state": model.state_dict(), "training_args": {"lr": 3e-4}}


def _write_th(folder, sig, package):
    import hashlib
    import io

    buf = io.BytesIO()
    torch.save(package, buf)
    sha = hashlib.sha256(buf.getvalue()).hexdigest()[:8]
    path = folder / f"{sig}-{sha}.th"
    path.write_bytes(buf.getvalue())
    return path


def test_local_repo_th_with_checksum(tmp_path):
    model, package = _tiny_package()
    path = _write_th(tmp_path, "abcd1234", package)
    (tmp_path / "mymodel.yaml").write_text("models: ['abcd1234']\n")
    sep = P.load_separator("mymodel", repo=tmp_path, device="cpu")
    loaded = sep.model.models[0]
    for (k, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), k
    assert sep.sources == SOURCES and loaded.segment == Fraction(1)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(MsseduError, match="corrupt or was changed"):
        P.load_separator("mymodel", repo=tmp_path, device="cpu")


class NotAModel:  # a global a malicious checkpoint could name
    pass


def test_checkpoint_with_foreign_objects_is_refused(tmp_path):
    _, package = _tiny_package()
    package["training_args"] = NotAModel()
    _write_th(tmp_path, "abcd1234", package)
    (tmp_path / "mymodel.yaml").write_text("models: ['abcd1234']\n")
    with pytest.raises(MsseduError, match="weights_only=True"):
        P.load_separator("mymodel", repo=tmp_path, device="cpu")


def _write_safetensors(path, model, kwargs, klass="demucs.htdemucs.HTDemucs"):
    from safetensors.torch import save_file

    enc = {k: ({"_type": "fraction", "numerator": v.numerator, "denominator": v.denominator}
               if isinstance(v, Fraction) else v) for k, v in kwargs.items()}
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path),
              metadata={"klass": klass, "args": "[]", "kwargs": json.dumps(enc)})


def test_local_repo_safetensors_and_class_allowlist(tmp_path):
    pytest.importorskip("safetensors")
    model, package = _tiny_package()
    _write_safetensors(tmp_path / "abcd1234.safetensors", model, package["kwargs"])
    (tmp_path / "mymodel.yaml").write_text("models: ['abcd1234']\n")
    sep = P.load_separator("mymodel", repo=tmp_path, device="cpu")
    assert torch.equal(sep.model.models[0].state_dict()["freq_emb.embedding.weight"],
                       model.state_dict()["freq_emb.embedding.weight"])
    _write_safetensors(tmp_path / "abcd1234.safetensors", model, package["kwargs"], klass="os.system")
    with pytest.raises(MsseduError, match="only .* are accepted"):
        P.load_separator("mymodel", repo=tmp_path, device="cpu")


def test_bad_repo_folders(tmp_path):
    with pytest.raises(MsseduError, match="is not a folder"):
        P.load_separator("htdemucs", repo=tmp_path / "nope")
    with pytest.raises(MsseduError, match="holds no htdemucs.yaml"):
        P.load_separator("htdemucs", repo=tmp_path)
    (tmp_path / "htdemucs.yaml").write_text("models: ['955717e8']\n")
    with pytest.raises(MsseduError, match="lacks the weights of"):
        P.load_separator("htdemucs", repo=tmp_path)


def test_hugging_face_cache_is_found_offline(no_weights):
    model, package = _tiny_package()
    snap = no_weights / "hf" / "models--adefossez--HTDemucs" / "snapshots" / "0123abcd"
    snap.mkdir(parents=True)
    (no_weights / "hf" / "models--adefossez--HTDemucs" / "refs").mkdir()
    (no_weights / "hf" / "models--adefossez--HTDemucs" / "refs" / "main").write_text("0123abcd")
    (snap / "htdemucs.yaml").write_text("models: ['955717e8']\n")
    _write_safetensors(snap / "955717e8.safetensors", model, package["kwargs"])
    found = P.find_weights("htdemucs")
    assert found is not None and "Hugging Face" in found["where"]
    sep = P.load_separator("htdemucs", device="cpu")
    assert sep.name == "HT-Demucs" and sep.sources == SOURCES


def test_download_offline_fails_fast(no_weights):
    t0 = time.perf_counter()
    with pytest.raises(MsseduError, match="neither huggingface.co nor dl.fbaipublicfiles.com"):
        P.download("htdemucs", to=no_weights / "weights")
    assert time.perf_counter() - t0 < 3.0


# -- other separators and evaluation ----------------------------------------------------------

@pytest.fixture(scope="module")
def short_track():
    from mssedu.data import example_track

    return example_track().excerpt(0.0, 2.0)


def test_oracle_separator_is_oracle_separate(short_track):
    masks = pytest.importorskip("mssedu.masks")
    sep = P.load_separator("oracle-wiener", track=short_track)
    assert sep.sources == SOURCES and sep.sr == short_track.sr and sep.name == "oracle WIENER"
    stems = P.separate(sep, short_track.mixture, short_track.sr, progress=False)
    expected = masks.oracle_separate(short_track, "wiener")
    for k in SOURCES:
        np.testing.assert_allclose(stems[k], expected[k], atol=1e-7)
    with pytest.raises(MsseduError, match="only separate the mixture of its own track"):
        sep.separate(np.zeros_like(short_track.mixture))
    with pytest.raises(MsseduError, match="needs the true stems"):
        P.load_separator("oracle-irm")


def test_compare_table_oracle_beats_mixture(short_track):
    pytest.importorskip("mssedu.metrics")
    mixture_as_estimate = {k: short_track.mixture for k in short_track.stems}
    table = P.compare({"oracle IRM": P.OracleSeparator(short_track, "irm"),
                       "mixture": mixture_as_estimate}, short_track, progress=False)
    assert list(table.columns) == ["separator", "source", "SDR", "SIR", "SAR"]
    vocals = table[table.source == "vocals"].set_index("separator")["SDR"]
    assert vocals["oracle IRM"] > 5.0 and vocals["mixture"] < 0.0
    assert vocals["oracle IRM"] > vocals["mixture"] + 8


def test_unet_checkpoint_is_a_separator(tmp_path):
    from mssedu import models

    model = models.MiniUNet.from_preset("tiny")
    path = models.save_checkpoint(tmp_path / "mine.pt", model)
    sep = P.load_separator(str(path), device="cpu")
    assert isinstance(sep, models.UNetSeparator)
    x = crescendo(22050, 1.0, channels=1)
    stems = P.separate(sep, x, 22050, two_stems="vocals", progress=False)
    assert list(stems) == ["vocals", "accompaniment"]
    assert stems["vocals"].shape == x.shape
    with pytest.raises(MsseduError, match="No model file"):
        P.load_separator(str(tmp_path / "missing.pt"))
    # recognised by content, not suffix: a checkpoint named MODEL.PT or without a suffix
    for name in ("MODEL.PT", "model"):
        (tmp_path / name).write_bytes(path.read_bytes())
        assert isinstance(P.load_separator(str(tmp_path / name), device="cpu"), models.UNetSeparator)
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(MsseduError, match="not a model checkpoint"):
        P.load_separator(str(tmp_path / "notes.txt"))
    # options a U-Net does not take are refused, not silently ignored
    with pytest.raises(MsseduError, match="does not take shifts"):
        P.load_separator(str(path), device="cpu", shifts=2)


def test_two_stems_accompaniment_is_refused_not_mislabelled():
    stems = {"vocals": np.ones(4), "drums": 2 * np.ones(4), "bass": 3 * np.ones(4)}
    folded = P.fold_two_stems(stems, "vocals")
    np.testing.assert_allclose(folded["accompaniment"], 5.0)
    with pytest.raises(MsseduError, match="would name both outputs the same"):
        P.fold_two_stems(stems, "accompaniment")


# -- the chapter's widgets (logic only, no browser) -------------------------------------------

def test_song_separator_checks_uploads_and_writes_stems(tmp_path):
    pytest.importorskip("ipywidgets")
    import io

    import soundfile as sf

    from mssedu.widgets.pretrained import karaoke_mixer, song_separator

    sep = P.DemucsSeparator(SegmentGainModel(8000, 1.0), name="stand-in", device="cpu")
    box = song_separator(sep, out_dir=tmp_path / "stems", max_mb=1.0)
    with pytest.raises(MsseduError, match="not an audio file"):
        box.process_file("notes.txt", b"hello")
    with pytest.raises(MsseduError, match="the limit here is 1 MiB"):
        box.process_file("big.wav", b"0" * (2 * 1024 * 1024))
    buf = io.BytesIO()
    x = crescendo(8000, 1.0)
    sf.write(buf, x.T, 8000, format="WAV")
    stems, sr, paths = box.process_file("my song.wav", buf.getvalue())
    assert sr == 8000 and sorted(p.name for p in paths) == sorted(f"{s}.wav" for s in SOURCES)
    np.testing.assert_allclose(sum(stems.values()), x, atol=1e-4)
    _, _, again = box.process_file("my song.wav", buf.getvalue())  # never overwrites
    assert again[0].parent != paths[0].parent
    mixer = karaoke_mixer(stems, sr, mixture=x)
    mixer.sliders["vocals"].value = 0.0  # runs the update without a browser
    assert "dB" in mixer.children[2].value


def test_song_separator_refuses_hours_hidden_in_a_small_file(tmp_path, monkeypatch):
    """A 30-minute file of silence compresses to a few hundred kB: judged by its header's
    length before anything is decoded, refused with the user's file name, and the widget
    stays usable (its status shows the error; it is not stuck at 'Separating ...')."""
    import datetime
    import io

    import soundfile as sf

    from mssedu import audio
    from mssedu.widgets.pretrained import song_separator

    buf = io.BytesIO()
    sf.write(buf, np.zeros((8000 * 60 * 30, 1), np.float32), 8000, format="FLAC")
    data = buf.getvalue()
    assert len(data) < 1024 * 1024
    decoded = []
    real_load = audio.load
    monkeypatch.setattr(audio, "load", lambda *a, **k: decoded.append(a) or real_load(*a, **k))
    sep = P.DemucsSeparator(SegmentGainModel(8000, 1.0), name="stand-in", device="cpu")
    monkeypatch.delenv("MSSEDU_FAST", raising=False)   # fast mode decodes only 10 s anyway
    box = song_separator(sep, out_dir=tmp_path / "stems", max_minutes=10)
    with pytest.raises(MsseduError, match=r"'silence.flac' is 30.0 minutes long.*max_minutes"):
        box.process_file("silence.flac", data)
    assert decoded == []                               # refused from the header alone
    upload, status = box.children[0], box.children[1]
    upload.value = ({"name": "silence.flac", "content": memoryview(data), "size": len(data),
                     "type": "audio/flac", "last_modified": datetime.datetime(2026, 1, 1)},)
    assert "Cannot use this file" in status.value and "30.0 minutes" in status.value
    assert upload.value == ()                          # ready for the next file
    upload.value = ({"name": "garbage.flac", "content": memoryview(b"\x00garbage" * 100),
                     "size": 800, "type": "audio/flac", "last_modified": datetime.datetime(2026, 1, 1)},)
    assert "Cannot use this file" in status.value and "garbage.flac" in status.value
    assert "upload.flac" not in status.value           # the user's name, not our temp copy


def test_song_separator_gives_the_written_paths(tmp_path):
    """An upload through the widget: ``last_paths`` and ``on_done`` get the files written (the
    workshop app turns them into its own download links); an on_done error is shown."""
    pytest.importorskip("ipywidgets")
    import datetime
    import io

    import soundfile as sf

    from mssedu.widgets.pretrained import song_separator

    sep = P.DemucsSeparator(SegmentGainModel(8000, 1.0), name="stand-in", device="cpu")
    done = []
    box = song_separator(sep, out_dir=tmp_path / "stems", on_done=lambda *a: done.append(a), file_links=False)
    assert box.last_paths == []
    buf = io.BytesIO()
    sf.write(buf, crescendo(8000, 1.0).T, 8000, format="WAV")
    data = buf.getvalue()
    upload, status = box.children[0], box.children[1]
    item = {"name": "my song.wav", "content": memoryview(data), "size": len(data), "type": "audio/wav",
            "last_modified": datetime.datetime(2026, 1, 1)}
    upload.value = (item,)
    assert status.value.startswith("Done:"), status.value
    assert len(done) == 1 and sorted(done[0][0]) == sorted(SOURCES) and done[0][1] == 8000
    assert done[0][2] == box.last_paths
    assert sorted(p.name for p in box.last_paths) == sorted(f"{s}.wav" for s in SOURCES)
    assert all(p.is_file() and p.parent.parent == tmp_path / "stems" for p in box.last_paths)

    def broken(*a):
        raise OSError("disk full")

    box = song_separator(sep, out_dir=tmp_path / "stems", on_done=broken, file_links=False)
    box.children[0].value = (item,)
    assert "Done:" in box.children[1].value and "OSError: disk full" in box.children[1].value
