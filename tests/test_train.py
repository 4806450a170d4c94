"""mssedu.models's training: the loop optimises, is reproducible, checkpoints round-trip and fail safely."""
import pickle
import warnings

import numpy as np
import pytest
import torch

from mssedu import MsseduError
from mssedu.data import Track
from mssedu.losses import l1_loss
from mssedu.metrics import sdr as plain_sdr
from mssedu.models import (MiniUNet, TrainConfig, UNetConfig, load_checkpoint, save_checkpoint,
                         seed_everything, spectrogram_batch, train)

SR = 8000
MODEL = dict(sr=SR, n_fft=256, hop_length=64, n_bins=64, channels=(4, 8, 16), patch_frames=16)
QUICK = dict(model=MODEL, batch_size=2, steps=4, val_every=2, songs_per_epoch=8, max_seconds=None)


def toy_track(seed, seconds=2.0, name=None):
    """A 'song': a harmonic 'voice' over noise 'accompaniment' (stereo, 8 kHz)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    f0 = rng.uniform(150, 400)
    voice = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6)) * 0.1
    voice = np.stack([voice, 0.8 * voice]).astype(np.float32)
    acc = (0.05 * rng.standard_normal((2, t.size))).astype(np.float32)
    return Track(name or f"toy{seed}", SR, voice + acc, {"vocals": voice, "accompaniment": acc})


@pytest.fixture(scope="module")
def toy_tracks():
    return [toy_track(i) for i in range(3)]


def test_validation_sdr_hand_value():
    """Validation uses metrics.sdr, the plain whole-signal SDR."""
    s = np.array([1.0, 0.0, -1.0, 0.0])
    # error energy 0.02 vs signal energy 2 -> 20 dB
    assert plain_sdr(s, s + np.array([0.1, 0.0, 0.1, 0.0])) == pytest.approx(20.0)
    with pytest.raises(MsseduError, match="lengths differ"):
        plain_sdr(s, s[:3])


def test_a_few_steps_reduce_the_loss_on_a_fixed_batch(toy_tracks):
    seed_everything(0)
    model = MiniUNet(UNetConfig(**MODEL))
    batch = {"mixture": torch.from_numpy(np.stack([t.mixture[:, :4000] for t in toy_tracks])),
             "vocals": torch.from_numpy(np.stack([t.stems["vocals"][:, :4000] for t in toy_tracks]))}
    X, S = spectrogram_batch(batch, ("vocals",), 256, 64, "cpu")
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(25):
        loss = l1_loss(S, model(X.abs()))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def test_deterministic_with_a_seed(toy_tracks):
    a = train(toy_tracks, valid=toy_tracks[0], seed=3, progress=False, **QUICK)
    b = train(toy_tracks, valid=toy_tracks[0], seed=3, progress=False, **QUICK)
    c = train(toy_tracks, valid=toy_tracks[0], seed=4, progress=False, **QUICK)
    assert a.history["loss"] == b.history["loss"]
    assert a.history["val_sdr"] == b.history["val_sdr"]
    for (k, va), vb in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert torch.equal(va, vb), k
    assert a.history["loss"] != c.history["loss"]
    assert a.steps == 4 and len(a.history["val_sdr"]) == 2 and a.stopped == "steps"


def test_checkpoint_round_trip_is_bit_exact(tmp_path, toy_tracks):
    res = train(toy_tracks, valid=toy_tracks[0], progress=False, checkpoint=tmp_path / "u.pt", **QUICK)
    model, config = load_checkpoint(tmp_path / "u.pt")
    assert config == res.config
    for (k, va), vb in zip(res.model.state_dict().items(), model.state_dict().values()):
        assert torch.equal(va, vb), k
    mag = torch.rand(1, 2, 129, 20)
    with torch.no_grad():
        assert torch.equal(res.model.eval()(mag), model(mag))
    # the file is plain: torch's safe loader reads it
    state = torch.load(tmp_path / "u.pt", weights_only=True)
    assert state["step"] == 4 and "optimizer" in state


def test_save_checkpoint_refuses_to_overwrite(tmp_path):
    model = MiniUNet(UNetConfig(**MODEL))
    path = save_checkpoint(tmp_path / "m.pt", model)
    with pytest.raises(MsseduError, match="overwrite=True"):
        save_checkpoint(path, model)
    save_checkpoint(path, model, overwrite=True)
    loaded, _ = load_checkpoint(path, which="last")
    for va, vb in zip(model.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(va, vb)


class _Evil:
    def __reduce__(self):
        return (print, ("this would run on load",))


def test_unsafe_and_broken_checkpoints_are_refused(tmp_path):
    evil = tmp_path / "evil.pt"
    torch.save({"format": "mssedu.unet.v1", "config": {}, "model": {}, "x": _Evil()}, evil)
    with pytest.raises(MsseduError, match="weights_only=True"):
        load_checkpoint(evil)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(MsseduError, match="not a readable torch checkpoint"):
        load_checkpoint(junk)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(MsseduError, match="not an mssedu model checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(MsseduError, match="No checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")
    bad_weights = tmp_path / "bad.pt"
    torch.save({"format": "mssedu.unet.v1", "config": UNetConfig(**MODEL).to_dict(),
                "model": {"input_scale": torch.zeros(3)}}, bad_weights)
    with pytest.raises(MsseduError, match="do not fit"):
        load_checkpoint(bad_weights)


def test_resume_continues_the_run(tmp_path, toy_tracks):
    ck = tmp_path / "r.pt"
    first = train(toy_tracks, valid=toy_tracks[0], progress=False, checkpoint=ck, **QUICK)
    with pytest.raises(MsseduError, match="resume=True"):
        train(toy_tracks, valid=toy_tracks[0], progress=False, checkpoint=ck, **QUICK)
    more = {**QUICK, "steps": 6}
    second = train(toy_tracks, valid=toy_tracks[0], progress=False, checkpoint=ck, resume=True, **more)
    assert second.steps == 6
    assert second.history["loss"][:4] == first.history["loss"]
    assert second.history["val_step"] == [2, 4, 6]
    with pytest.raises(MsseduError, match="Cannot resume"):
        train(toy_tracks, valid=toy_tracks[0], progress=False, checkpoint=ck, resume=True,
              **{**more, "model": {**MODEL, "channels": (4, 8)}})


def test_waveform_loss_callbacks_and_early_stopping(toy_tracks):
    seen = []
    res = train(toy_tracks, valid=toy_tracks[0], progress=False, callbacks=[lambda h: seen.append(len(h["loss"]))],
                **{**QUICK, "loss": "si_sdr", "steps": 40, "val_every": 1, "patience": 1, "min_delta": 100.0})
    assert res.stopped == "early stopping" and res.steps == 2
    assert seen == [1, 2]
    assert np.isfinite(res.history["loss"]).all()


def test_max_seconds_stops_the_run(toy_tracks):
    res = train(toy_tracks, valid=None, progress=False, **{**QUICK, "steps": 10_000, "max_seconds": 0.5})
    assert res.stopped == "max_seconds" and res.steps < 10_000


def test_training_on_the_example_track_warns():
    from mssedu.data import example_track

    track = example_track().excerpt(0, 1.0)
    with pytest.warns(UserWarning, match="test song"):
        train(track, valid=None, progress=False,
              **{**QUICK, "model": {**MODEL, "sr": 44100}, "steps": 1, "augment": None})


def test_train_input_errors(toy_tracks):
    with pytest.raises(MsseduError, match="unknown settings"):
        train(toy_tracks, progress=False, stpes=3)
    with pytest.raises(MsseduError, match="Unknown loss"):
        TrainConfig(loss="l3")
    with pytest.raises(MsseduError, match="batch_size"):
        TrainConfig(batch_size=0)
    with pytest.raises(MsseduError, match="no such file"):
        train("/nonexistent/songs", progress=False, **QUICK)
    with pytest.raises(MsseduError, match="drums"):
        train(toy_tracks, valid=toy_tracks[0], progress=False, **{**QUICK, "targets": ("drums",)})


def test_shipped_checkpoint_loads_safely_and_separates():
    from pathlib import Path

    from mssedu.data import example_track
    from mssedu.models import UNetSeparator, shipped_checkpoint

    path = shipped_checkpoint()
    assert Path(path).stat().st_size < 5e6
    state = torch.load(path, weights_only=True)
    assert state["format"] == "mssedu.unet.v1" and "optimizer" not in state
    sep = UNetSeparator.from_checkpoint(path, device="cpu")
    assert sep.config.n_fft == 2048 and sep.model.num_parameters() < 1_000_000
    track = example_track()
    out = sep.separate(track.mixture, progress=False)
    vocals = track.stems["vocals"]
    sdr = plain_sdr(vocals, out["vocals"])
    # measured (studio-data checkpoint, 2026-12-02): +2.01 dB, mixture -7.06 dB, best constant gain g * mixture +0.79 dB
    assert sdr > plain_sdr(vocals, track.mixture) + 6.0
    g = float(np.sum(vocals * track.mixture) / np.sum(track.mixture ** 2))
    assert sdr > plain_sdr(vocals, g * track.mixture) + 0.1
    with pytest.raises(MsseduError, match="No shipped checkpoint"):
        shipped_checkpoint("nope")


def test_shipped_four_stem_checkpoint_separates_every_stem():
    from pathlib import Path

    from mssedu.data import example_track
    from mssedu.models import UNetSeparator, shipped_checkpoint

    path = shipped_checkpoint("unet_tiny_4stems")
    assert Path(path).stat().st_size < 10e6
    state = torch.load(path, weights_only=True)
    assert "optimizer" not in state
    sep = UNetSeparator.from_checkpoint(path, device="cpu")
    assert sep.config.targets == ("vocals", "drums", "bass", "other")
    track = example_track()
    out = sep.separate(track.mixture, progress=False)
    assert set(out) == {"vocals", "drums", "bass", "other"}
    # measured (2026-12-02, plain SDR): vocals +1.84, drums +4.52, bass +2.61, other +1.62 dB;
    # mixture as estimate -7.12/-4.10/-2.99/-5.50, best constant gain +0.78/+1.41/+1.77/+1.09 dB
    for name, stem in track.stems.items():
        est = plain_sdr(stem, out[name])
        g = float(np.sum(stem * track.mixture) / np.sum(track.mixture ** 2))
        assert est > plain_sdr(stem, track.mixture) + 4.0, name
        assert est > plain_sdr(stem, g * track.mixture) + 0.3, name


def test_mssedu_train_command_writes_refuses_and_resumes(tmp_path, toy_tracks, capsys):
    """`mssedu train` calls the same train(): a checkpoint after 2 steps, refusal to overwrite
    it without --force (exit 1, message says what to do), --resume continues to step 3."""
    from mssedu.cli import main
    from mssedu.data import save_multitrack
    from mssedu.models import read_checkpoint

    for t in toy_tracks:
        save_multitrack(t, tmp_path / "songs" / "train" / t.name)   # a MUSDB-like root
    ckpt = tmp_path / "cli.pt"
    args = ["train", "--data", str(tmp_path / "songs"), "--valid", "none", "--seconds", "0",
            "--batch-size", "2", "--checkpoint", str(ckpt), "--quiet"]
    assert main(args + ["--steps", "2"]) == 0
    assert read_checkpoint(ckpt)["step"] == 2
    assert "trained 2 steps" in capsys.readouterr().out
    assert main(args + ["--steps", "2"]) == 1
    assert "resume" in capsys.readouterr().err
    assert main(args + ["--steps", "3", "--resume"]) == 0
    assert read_checkpoint(ckpt)["step"] == 3


def test_validation_scores_every_target(toy_tracks):
    """With two targets the validation SDR is the mean of both targets' plain SDR over the
    validation songs (not the first target's alone), and the separator, the checkpointed
    model and the checkpoint all carry both."""
    from mssedu.models import UNetSeparator
    valid = [toy_track(7), toy_track(8)]
    res = train(toy_tracks, valid=valid, targets=("vocals", "accompaniment"), seed=1, progress=False,
                **{**QUICK, "steps": 2})
    assert res.config.targets == ("vocals", "accompaniment")
    sep = UNetSeparator(res.model)
    scores = []
    for t in valid:
        est = sep.separate(t.mixture, progress=False)
        assert set(est) == {"vocals", "accompaniment"}
        scores += [plain_sdr(t.stems[n], est[n]) for n in ("vocals", "accompaniment")]
    assert res.best_sdr == pytest.approx(np.mean(scores), abs=1e-4)
    first_only = np.mean([plain_sdr(t.stems["vocals"], sep.separate(t.mixture, progress=False)["vocals"])
                          for t in valid])
    assert abs(res.best_sdr - first_only) > 1e-3
    vocals_only = Track("v", SR, valid[0].mixture, {"vocals": valid[0].stems["vocals"]})
    with pytest.raises(MsseduError, match="no 'accompaniment' stem"):
        train(toy_tracks, valid=vocals_only, targets=("vocals", "accompaniment"), progress=False, **QUICK)
