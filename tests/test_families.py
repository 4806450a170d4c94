"""Open-Unmix and BS-RoFormer: the random stand-ins separate, the architectures equal their
reference implementations (where installed), the weights download through a stand-in server
on 127.0.0.1 only, and hostile files are refused."""
from __future__ import annotations

import hashlib
import importlib.util
import io
import sys
import threading
import time
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mssedu import cli  # noqa: E402
from mssedu import separation as P  # noqa: E402
from mssedu.errors import DataError, ModelLoadingError, NetworkError, ParameterError  # noqa: E402
from mssedu.separation import families as FAM  # noqa: E402
from mssedu.separation.openunmix import (UMX_MODELS, OpenUnmixNet, max_bin,  # noqa: E402
                                         umx_architecture)
from mssedu.separation.roformer import SMALL_CONFIG, BSRoFormer, roformer_kwargs  # noqa: E402

SR = 44100
TOY_UMX = 16                       # hidden size of the stand-in Open-Unmix files
TOY_ROFORMER = {**SMALL_CONFIG, "model": {**SMALL_CONFIG["model"], "dim": 8, "dim_head": 8, "heads": 1}}


def music(seconds=1.0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(SR * seconds)) / SR
    x = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal((2, t.size))
    return x.astype(np.float32)


# -- the random stand-ins separate --------------------------------------------------------------

@pytest.mark.parametrize("name", ["umxhq-random", "bs-roformer-random", "mel-roformer-random"])
def test_random_stand_ins_separate_with_input_shape(name):
    sep = P.load_separator(name, device="cpu")
    x = music(1.0)
    stems = P.separate(sep, x, SR, progress=False)
    assert list(stems) == ["vocals", "drums", "bass", "other"] if name.startswith("umx") else \
        ["drums", "bass", "other", "vocals"]
    for s in stems.values():
        assert s.shape == x.shape and s.dtype == np.float32 and np.isfinite(s).all()
    assert "random weights" in sep.name


def test_open_unmix_stems_sum_to_the_mixture():
    """The Wiener filter gives each time-frequency point the mixture shared out: the stems add
    up to the mixture (up to float32 STFT round trips)."""
    sep = P.load_separator("umxhq-random", device="cpu")
    x = music(1.0, seed=1)
    stems = sep.separate(x)
    np.testing.assert_allclose(np.sum(list(stems.values()), axis=0), x, atol=2e-5)
    raw = sep.nets["vocals"]
    assert sum(p.numel() for p in raw.parameters()) == 8_893_348      # ~8.9 M a source, as published
    assert raw.fc1.in_features == 2 * max_bin() == 2 * 1487           # 16 kHz crop of both channels


def test_one_stem_roformer_gives_target_and_rest_summing_to_the_mixture():
    config = {**SMALL_CONFIG, "model": {**SMALL_CONFIG["model"], "num_stems": 1},
              "training": {"instruments": ["vocals", "other"], "target_instrument": "vocals"}}
    torch.manual_seed(0)
    sep = P.RoFormerSeparator(BSRoFormer(**roformer_kwargs(config["model"])), config, device="cpu")
    x = music(2.5)                       # longer than a chunk: cut and cross-faded
    stems = sep.separate(x)
    assert list(stems) == ["vocals", "other"]
    np.testing.assert_allclose(stems["vocals"] + stems["other"], x, atol=1e-6)


def test_roformer_chunks_equal_one_pass_where_they_overlap_fully():
    """A signal shorter than the chunk is one pass of the model; the separator adds nothing."""
    sep = P.load_separator("bs-roformer-random", device="cpu")
    x = music(1.0)
    with torch.no_grad():
        direct = sep.model(torch.from_numpy(x)[None])[0].numpy()
    stems = sep.separate(x)
    np.testing.assert_allclose(np.stack(list(stems.values())), direct, atol=1e-6)


def test_unknown_option_is_refused():
    with pytest.raises(ParameterError, match="does not take shifts"):
        P.load_separator("umxhq-random", shifts=2)


# -- against the reference implementations ------------------------------------------------------

def test_open_unmix_equals_the_openunmix_package(monkeypatch):
    """Our network == sigsep's ``openunmix.model.OpenUnmix`` for the same state dict (1e-5).
    openunmix imports torchaudio at the top, for its I/O only: a stub stands in for it."""
    if importlib.util.find_spec("openunmix") is None:
        pytest.skip("the openunmix package is not installed (it requires torchaudio)")
    if importlib.util.find_spec("torchaudio") is None:
        monkeypatch.setitem(sys.modules, "torchaudio", types.ModuleType("torchaudio"))
    from openunmix.model import OpenUnmix

    torch.manual_seed(0)
    ref = OpenUnmix(nb_bins=2049, nb_channels=2, hidden_size=64, max_bin=1487).eval()
    with torch.no_grad():                 # non-trivial statistics, as in a trained file
        for p in ref.parameters():
            p.add_(0.1 * torch.randn_like(p))
        ref.bn1.running_mean.uniform_(-0.5, 0.5)
        ref.bn3.running_var.uniform_(0.5, 2.0)
    ours = OpenUnmixNet(**{**umx_architecture(64)}).eval()
    ours.load_state_dict(ref.state_dict())                       # the same names, strictly
    mag = torch.rand(2, 2, 2049, 30)
    with torch.no_grad():
        np.testing.assert_allclose(ours(mag).numpy(), ref(mag).numpy(), rtol=1e-5, atol=1e-5)


def test_bs_roformer_equals_lucidrains_package():
    """Our BS-RoFormer == lucidrains' ``bs_roformer.BSRoformer`` 0.3.x (the layout of the
    published checkpoints) for the same state dict, loaded strictly both ways (1e-4)."""
    ref_module = pytest.importorskip("bs_roformer")
    cfg = dict(dim=16, depth=2, stereo=True, num_stems=2, time_transformer_depth=1,
               freq_transformer_depth=1, dim_head=8, heads=2, stft_hop_length=441)
    torch.manual_seed(0)
    ref = ref_module.BSRoformer(**cfg, flash_attn=False).eval()
    ours = BSRoFormer(**cfg).eval()
    state = ref.state_dict()
    assert set(state) == set(ours.state_dict())
    ours.load_state_dict(state)
    x = 0.1 * torch.randn(1, 2, 441 * 40)                         # a whole number of hops
    with torch.no_grad():
        want = ref(x)
        got = ours(x)[..., :want.shape[-1]]
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("stereo", [True, False])
def test_mel_roformer_equals_lucidrains_package(stereo):
    """Our Mel-RoFormer (overlapping mel bands, averaged masks) == lucidrains'
    ``bs_roformer.MelBandRoformer`` 0.3.x for the same state dict (1e-4)."""
    ref_module = pytest.importorskip("bs_roformer")
    from mssedu.separation.roformer import MelRoFormer

    cfg = dict(dim=16, depth=2, stereo=stereo, num_stems=2, time_transformer_depth=1,
               freq_transformer_depth=1, dim_head=8, heads=2, stft_hop_length=441, num_bands=60)
    torch.manual_seed(0)
    ref = ref_module.MelBandRoformer(**cfg, flash_attn=False).eval()
    ours = MelRoFormer(**cfg).eval()
    assert set(ref.state_dict()) == set(ours.state_dict())
    ours.load_state_dict(ref.state_dict())
    x = 0.1 * torch.randn(1, 2 if stereo else 1, 441 * 40)
    with torch.no_grad():
        want = ref(x)
        got = ours(x)[..., :want.shape[-1]]
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-5)


def test_mel_bands_overlap_and_cover_every_bin():
    from mssedu.separation.roformer import mel_bands

    bands = mel_bands()
    per_bin = bands.sum(0)
    assert bool((per_bin >= 1).all()) and int(per_bin.max()) == 2      # neighbours overlap, no more
    assert bool(bands[0, 0]) and bool(bands[-1, -1])                   # DC and Nyquist covered


def test_mel_roformer_checkpoint_and_yaml_load(tmp_path):
    from mssedu.separation.roformer import SMALL_MEL_CONFIG, MelRoFormer, roformer_class

    model_section = {**SMALL_MEL_CONFIG["model"], "dim": 8, "heads": 1, "dim_head": 8}
    assert roformer_class(model_section) is MelRoFormer
    torch.manual_seed(2)
    model = MelRoFormer(**roformer_kwargs(model_section))
    torch.save(model.state_dict(), tmp_path / "mel.ckpt")
    lines = "\n".join(f"  {k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in model_section.items())
    (tmp_path / "mel.yaml").write_text(f"audio:\n  chunk_size: 88200\n  sample_rate: 44100\nmodel:\n{lines}\n"
                                       "training:\n  instruments: [vocals, other]\n  target_instrument: null\n")
    with pytest.raises(ModelLoadingError, match="names 2 stems"):       # 4 masks, 2 names: refused
        P.load_separator(tmp_path / "mel.ckpt", config=tmp_path / "mel.yaml", device="cpu")
    text = (tmp_path / "mel.yaml").read_text().replace("[vocals, other]", "[drums, bass, other, vocals]")
    (tmp_path / "mel.yaml").write_text(text)
    sep = P.load_separator(tmp_path / "mel.ckpt", config=tmp_path / "mel.yaml", device="cpu")
    assert isinstance(sep.model, MelRoFormer)
    assert torch.equal(sep.model.layers[0][0].norm.gamma, model.layers[0][0].norm.gamma)


# -- downloads through a stand-in server on 127.0.0.1 -----------------------------------------

def _state_bytes(model) -> bytes:
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getvalue()


class _Files(BaseHTTPRequestHandler):
    def do_GET(self):   # noqa: N802 (http.server's name)
        body = self.server.files.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A file server on 127.0.0.1 with toy Open-Unmix files (hidden size 16) under /umx/ and a
    toy BS-RoFormer under /rof/, registered in place of the real ones; empty caches."""
    torch.manual_seed(0)
    nets = {s: OpenUnmixNet(**umx_architecture(TOY_UMX)) for s in ("vocals", "drums", "bass", "other")}
    blobs = {s: _state_bytes(n) for s, n in nets.items()}
    names = {s: f"{s}-{hashlib.sha256(b).hexdigest()[:8]}.pth" for s, b in blobs.items()}
    rof = BSRoFormer(**roformer_kwargs(TOY_ROFORMER["model"]))
    rof_blob = _state_bytes(rof)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    httpd.files = {f"/umx/{names[s]}": b for s, b in blobs.items()} | {"/rof/toy.ckpt": rof_blob}
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    port = httpd.server_address[1]
    monkeypatch.setitem(UMX_MODELS, "umxhq", {**UMX_MODELS["umxhq"], "hidden_size": TOY_UMX, "files": names})
    monkeypatch.setitem(FAM.ROFORMER_MODELS, "bs-roformer-musdb", {
        **FAM.ROFORMER_MODELS["bs-roformer-musdb"], "checkpoint": "toy.ckpt", "config": TOY_ROFORMER})
    monkeypatch.setenv("MSSEDU_UMX_URL", f"http://127.0.0.1:{port}/umx/")
    monkeypatch.setenv("MSSEDU_ROFORMER_URL", f"http://127.0.0.1:{port}/rof")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("MSSEDU_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    for var in ("MSSEDU_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    httpd.nets, httpd.names, httpd.rof, httpd.rof_blob = nets, names, rof, rof_blob
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_open_unmix_downloads_checked_then_loads_offline(server, monkeypatch):
    sep = P.load_separator("umxhq", device="cpu")          # nowhere on disk: downloaded
    folder = P.models_folder() / "umxhq"
    assert sorted(p.name for p in folder.iterdir()) == sorted(server.names.values())
    for s, net in server.nets.items():
        assert torch.equal(sep.nets[s].fc3.weight, net.fc3.weight)
    assert sep.name == "Open-Unmix (UMX-HQ)"
    stems = P.separate(sep, music(0.5), SR, progress=False)
    assert all(np.isfinite(v).all() for v in stems.values())
    monkeypatch.setenv("MSSEDU_OFFLINE", "1")               # from now on: the cache only
    again = P.load_separator("umxhq", device="cpu")
    assert torch.equal(again.nets["vocals"].fc1.weight, server.nets["vocals"].fc1.weight)


def test_corrupt_download_is_refused_and_nothing_is_kept(server):
    bad = f"/umx/{server.names['bass']}"
    server.files[bad] = server.files[bad][:-5] + b"xxxxx"
    with pytest.raises(DataError, match="arrived corrupt"):
        P.download("umxhq", progress=False)
    folder = P.models_folder() / "umxhq"
    assert not folder.exists() or list(folder.iterdir()) == []
    assert P.find_family_weights("umxhq") is None


def test_offline_message_says_what_to_do(server, monkeypatch):
    monkeypatch.setenv("MSSEDU_OFFLINE", "1")
    t0 = time.perf_counter()
    with pytest.raises(NetworkError) as info:
        P.load_separator("umxhq")
    assert time.perf_counter() - t0 < 3
    msg = str(info.value)
    assert "'umxhq'" in msg and "mssedu download umxhq" in msg and "repo=DIR" in msg
    assert str(P.models_folder() / "umxhq") in msg


def test_unreachable_server_fails_fast_with_the_same_advice(server, monkeypatch):
    import socket

    with socket.socket() as s:                              # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    monkeypatch.setenv("MSSEDU_UMX_URL", f"http://127.0.0.1:{dead}/umx/")
    with pytest.raises(NetworkError, match="cannot be reached.*mssedu download umxhq"):
        P.load_separator("umxhq")


def test_roformer_without_published_checksum_needs_one(server, tmp_path):
    with pytest.raises(ModelLoadingError, match="No checksum is published"):
        P.download("bs-roformer-musdb", to=tmp_path / "w", progress=False)
    with pytest.raises(DataError, match="arrived corrupt"):
        P.download("bs-roformer-musdb", to=tmp_path / "w", progress=False, sha256="0" * 64)
    assert not (tmp_path / "w" / "toy.ckpt").exists()
    sha = hashlib.sha256(server.rof_blob).hexdigest()
    folder = P.download("bs-roformer-musdb", to=tmp_path / "w", progress=False, sha256=sha)
    assert (folder / "config_bs_roformer_384_8_2_485100.yaml").is_file()     # the architecture, written
    sep = P.load_separator("bs-roformer-musdb", repo=folder, device="cpu")
    assert torch.equal(sep.model.final_norm.gamma, server.rof.final_norm.gamma)
    assert sep.sources == ["drums", "bass", "other", "vocals"]


def test_roformer_checkpoint_and_yaml_by_path_and_cli(tmp_path, capsys):
    from mssedu import audio

    torch.manual_seed(1)
    model = BSRoFormer(**roformer_kwargs(TOY_ROFORMER["model"]))
    torch.save(model.state_dict(), tmp_path / "mine.ckpt")
    (tmp_path / "mine.yaml").write_text(_published_style_yaml())
    sep = P.load_separator(tmp_path / "mine.ckpt", config=tmp_path / "mine.yaml", device="cpu")
    assert torch.equal(sep.model.band_split.to_features[0][1].weight, model.band_split.to_features[0][1].weight)
    song = tmp_path / "song.wav"
    audio.save(song, music(0.5), SR)
    code = cli.main(["separate", str(song), "--model", str(tmp_path / "mine.ckpt"), "--config",
                     str(tmp_path / "mine.yaml"), "--out", str(tmp_path / "out"), "-q", "--device", "cpu"])
    assert code == 0, capsys.readouterr()
    assert sorted(p.name for p in (tmp_path / "out" / "mine" / "song").iterdir()) == \
        ["bass.wav", "drums.wav", "other.wav", "vocals.wav"]


def test_cli_separates_with_a_family_name(tmp_path, capsys):
    from mssedu import audio

    song = tmp_path / "song.wav"
    audio.save(song, music(0.5), SR)
    code = cli.main(["separate", str(song), "--model", "bs-roformer-random", "--two-stems", "vocals",
                     "--out", str(tmp_path / "out"), "-q", "--device", "cpu"])
    assert code == 0, capsys.readouterr()
    written = tmp_path / "out" / "bs-roformer-random" / "song"
    assert sorted(p.name for p in written.iterdir()) == ["accompaniment.wav", "vocals.wav"]
    stems = [audio.load(written / f"{k}.wav")[0] for k in ("vocals", "accompaniment")]
    assert stems[0].shape == (2, SR // 2)


def _published_style_yaml(extra: str = "") -> str:
    """A config as ZFTurbo publishes them: tuples tagged !!python/tuple, training settings."""
    bands = "\n".join(f"    - {b}" for b in SMALL_CONFIG["model"]["freqs_per_bands"])
    return (f"audio:\n  chunk_size: 88200\n  num_channels: 2\n  sample_rate: 44100\nmodel:\n  dim: 8\n"
            f"  depth: 1\n  stereo: true\n  num_stems: 4\n  time_transformer_depth: 1\n"
            f"  freq_transformer_depth: 1\n  linear_transformer_depth: 0\n"
            f"  freqs_per_bands: !!python/tuple\n{bands}\n  dim_head: 8\n  heads: 1\n  attn_dropout: 0.1\n"
            f"  flash_attn: true\n  stft_n_fft: 2048\n  stft_hop_length: 441\n  stft_win_length: 2048\n"
            f"  mask_estimator_depth: 2\n  mlp_expansion_factor: 2\n"
            f"  multi_stft_resolutions_window_sizes: !!python/tuple\n  - 4096\n  - 2048\n{extra}"
            f"training:\n  instruments: ['drums', 'bass', 'other', 'vocals']\n  target_instrument: null\n"
            f"inference:\n  num_overlap: 2\n")


# -- hostile files ------------------------------------------------------------------------------

class Payload:
    """Anything a pickle could name: unpickling it could run code."""

    def __reduce__(self):
        return (print, ("pwned",))


def test_pickled_code_is_refused(tmp_path):
    state = OpenUnmixNet(**umx_architecture(TOY_UMX)).state_dict()
    torch.save({**state, "extra": Payload()}, tmp_path / "x.pth")
    with pytest.raises(ModelLoadingError, match="weights_only=True"):
        FAM.load_state_dict_file(tmp_path / "x.pth")


def test_oversize_file_is_refused_before_reading(tmp_path, monkeypatch):
    model = BSRoFormer(**roformer_kwargs(TOY_ROFORMER["model"]))
    state = {**model.state_dict(), "padding": torch.zeros(5 << 20)}      # 20 MiB beyond the model
    torch.save(state, tmp_path / "big.ckpt")
    (tmp_path / "c.yaml").write_text(_published_style_yaml())
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("read before the size check"))
    with pytest.raises(ModelLoadingError, match="more than the .* its architecture needs"):
        P.load_separator(tmp_path / "big.ckpt", config=tmp_path / "c.yaml", device="cpu")


def test_config_describing_a_huge_model_is_refused_on_meta(tmp_path):
    (tmp_path / "c.yaml").write_text(_published_style_yaml().replace("  dim: 8\n", "  dim: 200000\n"))
    torch.save({}, tmp_path / "m.ckpt")
    with pytest.raises(ModelLoadingError, match="parameters, more than the"):
        P.load_separator(tmp_path / "m.ckpt", config=tmp_path / "c.yaml", device="cpu")


def test_python_object_tags_in_a_config_are_refused(tmp_path):
    (tmp_path / "c.yaml").write_text("model: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ModelLoadingError, match="not a readable YAML"):
        FAM.read_roformer_config(tmp_path / "c.yaml")
    (tmp_path / "d.yaml").write_text(_published_style_yaml("  skip_connection: true\n"))
    torch.save({}, tmp_path / "m.ckpt")
    with pytest.raises(ModelLoadingError, match="skip connections"):
        P.load_separator(tmp_path / "m.ckpt", config=tmp_path / "d.yaml")


def test_weights_of_another_model_or_nan_are_refused(tmp_path):
    wider = BSRoFormer(**roformer_kwargs({**TOY_ROFORMER["model"], "dim": 16}))
    torch.save(wider.state_dict(), tmp_path / "wider.ckpt")
    with pytest.raises(ModelLoadingError, match="do not fit"):
        P.load_separator(tmp_path / "wider.ckpt", config=_yaml_file(tmp_path))
    state = OpenUnmixNet(**umx_architecture(TOY_UMX)).state_dict()
    state["fc1.weight"][0, 0] = float("nan")
    torch.save(state, tmp_path / "nan.pth")
    with pytest.raises(ModelLoadingError, match="NaN or infinite"):
        FAM.load_state_dict_file(tmp_path / "nan.pth")


def _yaml_file(tmp_path):
    path = tmp_path / "toy.yaml"
    path.write_text(_published_style_yaml())
    return path


def test_a_file_not_matching_its_hash_name_is_refused(tmp_path):
    torch.save(OpenUnmixNet(**umx_architecture(TOY_UMX)).state_dict(), tmp_path / "vocals-00000000.pth")
    with pytest.raises(ModelLoadingError, match="corrupt or was changed"):
        FAM.load_state_dict_file(tmp_path / "vocals-00000000.pth")


# -- one model per family of the survey's table -----------------------------------------------

def test_family_rows_time_stand_ins_and_report_sizes(tmp_path, monkeypatch):
    monkeypatch.setenv("MSSEDU_CACHE", str(tmp_path / "cache"))       # no weights anywhere
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    families = [f for f in P.SURVEY_FAMILIES if f["model"] in ("unet-full", "umxhq")]
    rows, trained = P.family_rows(music(0.5), SR, families=families)
    assert trained == {}
    by = {r["family"]: r for r in rows}
    assert by["Open-Unmix"]["parameters (M)"] == pytest.approx(35.573392)      # 4 x 8,893,348
    assert by["Open-Unmix"]["model"] == "umxhq (timed: -random)" and by["Open-Unmix"]["trained weights"] == "not here"
    from mssedu.models import MiniUNet, count_parameters
    assert by["Spleeter-style U-Net"]["parameters (M)"] * 1e6 == count_parameters(MiniUNet.from_preset("full"))
    assert all(np.isfinite(r["seconds per second of music"]) and r["seconds per second of music"] > 0 for r in rows)
    quick, _ = P.family_rows(music(0.5), SR, families=families, time_models=False)
    assert all(np.isnan(r["seconds per second of music"]) for r in quick)
    with pytest.raises(ParameterError, match="at least 0.5 s"):
        P.family_rows(music(0.1), SR)


def test_family_rows_score_trained_weights_when_present(server):
    P.download("umxhq", progress=False)
    rows, trained = P.family_rows(music(0.5), SR, families=[f for f in P.SURVEY_FAMILIES if f["model"] == "umxhq"])
    assert rows[0]["trained weights"] == "here" and rows[0]["model"] == "umxhq"
    assert list(trained) == ["Open-Unmix: Open-Unmix (UMX-HQ)"]


def test_family_rows_name_the_extra_a_family_needs(monkeypatch):
    import mssedu.separation.survey as survey
    monkeypatch.setattr(survey, "installed", lambda extra: False)     # as if demucs were absent
    families = [f for f in P.SURVEY_FAMILIES if f["model"] == "htdemucs"]
    rows, trained = P.family_rows(music(0.5), SR, families=families)
    assert trained == {} and rows[0]["trained weights"] == "needs mssedu[pretrained]"
    assert np.isnan(rows[0]["parameters (M)"]) and 'pip install "demucs==4.1.0"' in rows[0]["note"]
