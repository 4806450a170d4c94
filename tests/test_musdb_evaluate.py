"""Judging over many songs (``evaluate_many``, its table and box plot) and the MUSDB18 commands
(``mssedu evaluate``, ``mssedu train --data musdb|ROOT``), on songs made here: a MUSDB-layout
root and the stand-in previews' server on 127.0.0.1.
"""
from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from mssedu.cli import main
from mssedu.data import MUSDB_STEMS
from mssedu.data.synth import render_song, song_spec
from mssedu.errors import ParameterError
from mssedu.metrics import bss_eval
from mssedu.plot import song_scores_figure
from mssedu.separation import (BASELINES, OracleSeparator, constant_gain, evaluate, evaluate_many,
                               load_separator)
from mssedu.models import shipped_checkpoint

from musdb_standin import TEST, TRAIN, VALID, PreviewServer, make_archive, point_at, write_root


@pytest.fixture(scope="module")
def songs():
    """Three 2-s songs made here, with their four MUSDB stems."""
    return [render_song(song_spec(seed=5, index=i, seconds=2.0), renderer="numpy") for i in range(3)]


@pytest.fixture(scope="module")
def unet():
    return load_separator(shipped_checkpoint(), device="cpu")


def test_constant_gain_is_the_least_squares_gain(songs):
    t = songs[0]
    est = constant_gain(t, ["vocals", "accompaniment"])
    for name, ref in (("vocals", t.stems["vocals"]), ("accompaniment", t.accompaniment("vocals"))):
        g, *_ = np.linalg.lstsq(t.mixture.reshape(-1, 1).astype(np.float64), ref.reshape(-1).astype(np.float64),
                                rcond=None)
        np.testing.assert_allclose(est[name], g[0] * t.mixture, rtol=1e-5, atol=1e-7)


def test_evaluate_many_is_museval_per_song_then_the_median(songs, unet):
    scores = evaluate_many(unet, songs, progress=False, jobs=1, songs="3 songs made here")
    per = scores.per_track
    assert list(dict.fromkeys(per["separator"])) == ["constant gain", unet.name, "oracle IRM"]
    assert set(per["source"]) == {"vocals", "accompaniment"} and per["track"].nunique() == 3
    for t in songs:   # each song's row is museval v4 of that song alone (evaluate -> bss_eval)
        ref = evaluate(unet, t, two_stems="vocals", progress=False).set_index("source")
        got = per[(per["track"] == t.name) & (per["separator"] == unet.name)].set_index("source")
        np.testing.assert_allclose(got.loc[["vocals", "accompaniment"], ["SDR", "SIR", "SAR"]],
                                   ref.loc[["vocals", "accompaniment"], ["SDR", "SIR", "SAR"]], atol=1e-9)
        irm = evaluate(OracleSeparator(t, "irm"), t, two_stems="vocals", progress=False).set_index("source")
        row = per[(per["track"] == t.name) & (per["separator"] == "oracle IRM")].set_index("source")
        assert row.loc["vocals", "SDR"] == pytest.approx(irm.loc["vocals", "SDR"], abs=1e-9)
        gain = bss_eval({"vocals": t.stems["vocals"], "accompaniment": t.accompaniment("vocals")},
                        constant_gain(t, ["vocals", "accompaniment"]), t.sr)
        row = per[(per["track"] == t.name) & (per["separator"] == "constant gain")].set_index("source")
        assert row.loc["vocals", "SDR"] == pytest.approx(gain.loc["vocals", "SDR"], abs=1e-9)
    med = scores.medians().set_index(["separator", "source"])
    for (sep, src), value in med["SDR"].items():   # SiSEC 2018: the median over songs
        assert value == pytest.approx(np.median(per[(per["separator"] == sep) & (per["source"] == src)]["SDR"]))
    assert (med["songs"] == 3).all()
    shown = scores.table().data
    assert shown.loc[unet.name, "vocals"] == pytest.approx(med.loc[(unet.name, "vocals"), "SDR"])
    assert "3 songs made here" in str(scores.table())
    # the oracle is the ceiling on every song
    wide = per[per["source"] == "vocals"].pivot(index="track", columns="separator", values="SDR")
    assert (wide["oracle IRM"] > wide[unet.name]).all() and (wide["oracle IRM"] > wide["constant gain"]).all()


def test_worker_processes_give_the_same_scores(songs, unet):
    one = evaluate_many(unet, songs[:2], progress=False, jobs=1, baselines=("constant gain",))
    two = evaluate_many(unet, songs[:2], progress=False, jobs=2, baselines=("constant gain",))
    pd.testing.assert_frame_equal(one.per_track, two.per_track)


def test_four_stem_model_is_scored_on_every_stem(songs):
    model = load_separator(shipped_checkpoint("unet_tiny_4stems"), device="cpu")
    scores = evaluate_many({"4 stems": model}, songs[:1], progress=False, jobs=1, baselines=("constant gain",))
    assert set(scores.per_track["source"]) == set(MUSDB_STEMS)
    assert set(scores.per_track["separator"]) == {"constant gain", "4 stems"}


def test_box_plot_has_one_panel_per_source_and_one_box_per_separator(songs, unet):
    matplotlib.use("Agg")
    scores = evaluate_many(unet, songs[:2], progress=False, jobs=1)
    fig = song_scores_figure(scores)
    assert [ax.get_title() for ax in fig.axes] == ["vocals", "accompaniment"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["constant gain", unet.name, "oracle IRM"]
    with pytest.raises(ParameterError, match="metric 'XYZ'"):
        song_scores_figure(scores, metric="XYZ")


def test_evaluate_many_refuses(songs, unet):
    with pytest.raises(ParameterError, match="Unknown baseline"):
        evaluate_many(unet, songs[:1], baselines=("median filter",), progress=False)
    with pytest.raises(ParameterError, match="tracks is empty"):
        evaluate_many(unet, [], progress=False, jobs=1)
    with pytest.raises(ParameterError, match="jobs must be"):
        evaluate_many(unet, songs[:1], jobs=0, progress=False)
    other = load_separator(shipped_checkpoint(), device="cpu")
    with pytest.raises(ParameterError, match="Two separators share a name"):
        evaluate_many([unet, other], songs[:1], progress=False)
    other.sources = ["drums", "accompaniment"]
    with pytest.raises(ParameterError, match="different single targets"):
        evaluate_many({"a": unet, "b": other}, songs[:1], progress=False)
    with pytest.raises(ParameterError, match="metric must be one of"):
        evaluate_many(unet, songs[:1], progress=False, jobs=1, baselines=()).table("PESQ")


# -- the commands ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hq_root(tmp_path_factory):
    """A MUSDB18-HQ-layout root made here (wav folders): 2 train, 1 valid, 2 test songs of 2 s."""
    return write_root(tmp_path_factory.mktemp("hq") / "musdb18hq", seconds=2.0, train=TRAIN[:2] + VALID[:1],
                      test=TEST[:2], wav=True)


def test_cli_evaluate_on_a_root(hq_root, tmp_path, capsys):
    out = tmp_path / "scores"
    assert main(["evaluate", "unet_tiny_vocals", "--data", str(hq_root), "--out", str(out), "-q"]) == 0
    text = capsys.readouterr().out
    assert "median SDR over 2 songs" in text and "constant gain" in text and "oracle IRM" in text
    per = pd.read_csv(out / "scores.csv")
    assert sorted(per["track"].unique()) == sorted(TEST[:2])      # the test subset only
    assert (out / "sdr_boxplot.png").stat().st_size > 1000
    assert main(["evaluate", "unet_tiny_vocals", "--data", str(hq_root), "--out", str(out), "-q"]) == 1
    assert "exists; pass --force" in capsys.readouterr().err


def test_cli_train_on_a_root_uses_musdbs_split(hq_root, tmp_path, capsys, monkeypatch):
    import mssedu.models as cli   # cmd_train imports train from here when it runs

    seen = {}
    real = cli.train

    def spy(data, valid=None, **kw):
        seen["train"], seen["valid"] = [t.name for t in data], [t.name for t in valid]
        return real(data, valid=valid, **kw)

    monkeypatch.setattr(cli, "train", spy)
    ckpt = tmp_path / "u.pt"
    assert main(["train", "-c", str(ckpt), "--data", str(hq_root), "--steps", "2", "--val-every", "1",
                 "--batch-size", "2", "--seconds", "0", "-q"]) == 0
    assert sorted(seen["train"]) == sorted(TRAIN[:2]) and seen["valid"] == VALID[:1]   # test/ never read
    assert ckpt.is_file() and "best validation SDR" in capsys.readouterr().out
    assert main(["train", "-c", str(tmp_path / "v.pt"), "--data", str(hq_root), "--subset", "test"]) == 1
    assert "test/ stays held out" in capsys.readouterr().err


def test_cli_train_and_evaluate_with_the_previews_server(tmp_path, monkeypatch, capsys):
    payload, checksum = make_archive(tmp_path / "MUSDB18-7-STEMS.zip", seconds=2.0,
                                     train=TRAIN[:1] + VALID[:1], test=TEST[:1])
    with PreviewServer(payload) as server:
        point_at(monkeypatch, server.url, checksum, tmp_path / "cache")
        assert main(["train", "-c", str(tmp_path / "p.pt"), "--data", "musdb", "--steps", "1",
                     "--val-every", "1", "--batch-size", "2", "--seconds", "0", "-q"]) == 0
        assert main(["evaluate", "unet_tiny_vocals", "-q", "--no-baselines"]) == 0   # --data musdb by default
        assert server.requests == 1                                                    # downloaded once
    assert "median SDR over 1 songs (1 test songs of MUSDB18 previews)" in capsys.readouterr().out
