"""Every demucs model selectable: random weights of each real architecture, 6-stem naming,
--two-stems on it, the quantised variants refused clearly, unknown names said to not exist."""
import numpy as np
import pytest

from mssedu.errors import ModelLoadingError, ParameterError
from mssedu.separation import DEMUCS_MODELS, MODEL_LABELS, load_demucs_model, load_separator, separate
from mssedu.separation.weights import download

#: parameters of one model of each bag (HT-Demucs 41,984,456; Hybrid Demucs 83,637,832)
EXPECTED = {"htdemucs": (1, 41_984_456, 4), "htdemucs_ft": (4, 41_984_456, 4),
            "htdemucs_6s": (1, None, 6), "hdemucs_mmi": (1, 83_637_832, 4),
            "mdx_extra": (4, None, 4)}


@pytest.mark.parametrize("name", sorted(DEMUCS_MODELS))
def test_random_weights_of_the_real_architecture(name):
    bag = load_demucs_model(f"{name}-random")
    models = getattr(bag, "models", [bag])       # "htdemucs-random" is the bare model
    n_models, params, n_sources = EXPECTED[name]
    assert len(models) == n_models and len(bag.sources) == n_sources
    if params is not None:
        assert sum(p.numel() for p in models[0].parameters()) == params
    if name == "mdx_extra":   # two with complex-as-channels, two without (3,848 fewer weights)
        counts = [sum(p.numel() for p in m.parameters()) for m in models]
        assert counts == [83_637_832, 83_637_832 - 3848, 83_637_832 - 3848, 83_637_832]
    assert MODEL_LABELS[f"{name}-random"].endswith("(random weights)")


def test_six_stems_named():
    sep = load_separator("htdemucs_6s-random", device="cpu", segment=1.0)
    assert sep.sources == ["drums", "bass", "other", "vocals", "guitar", "piano"]
    x = (0.1 * np.random.default_rng(0).standard_normal((2, 44100))).astype(np.float32)
    out = separate(sep, x, 44100, progress=False)
    assert list(out) == sep.sources and all(v.shape == (2, 44100) for v in out.values())
    # --two-stems on it: test_cli_six_stems_and_two_stems_on_htdemucs_6s (one separation fewer)


@pytest.mark.parametrize("name", ["mdx_q", "mdx_extra_q"])
def test_quantised_models_are_refused_with_the_alternative(name):
    with pytest.raises(ModelLoadingError, match="mdx_extra"):
        load_demucs_model(name)
    with pytest.raises(ModelLoadingError, match="quantised"):
        download(name)


def test_unknown_model_says_it_does_not_exist():
    with pytest.raises(ParameterError, match="does not exist|no such model"):
        load_demucs_model("htdemucs_9s")
    with pytest.raises(ParameterError, match="exists"):
        download("htdemucs_9s")


@pytest.mark.parametrize("command", ["separate", "download"])
def test_help_lists_every_model(command, capsys):
    from mssedu import cli

    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())   # argparse wraps lines
    for name in DEMUCS_MODELS:
        assert name in text, name


def test_cli_six_stems_and_two_stems_on_htdemucs_6s(tmp_path, capsys):
    from mssedu import audio, cli

    song = tmp_path / "in" / "song.wav"
    t = np.arange(22050) / 22050
    audio.save(song, np.stack([0.2 * np.sin(2 * np.pi * 330 * t)] * 2).astype(np.float32), 22050)
    sources = load_separator("htdemucs_6s-random", device="cpu").sources
    out = tmp_path / "out"
    base = ["separate", str(song), "-m", "htdemucs_6s-random", "--device", "cpu", "-q"]
    assert cli.main(base + ["--out", str(out / "two"), "--two-stems", "guitar"]) == 0, capsys.readouterr()
    folder = out / "two" / "htdemucs_6s-random" / "song"
    assert sorted(p.name for p in folder.iterdir()) == ["accompaniment.wav", "guitar.wav"]
    assert cli.main(base + ["--out", str(out / "six")]) == 0, capsys.readouterr()
    folder = out / "six" / "htdemucs_6s-random" / "song"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{s}.wav" for s in sources)
    assert len(sources) == 6 and {"guitar", "piano"} <= set(sources)
    stems = {s: audio.load(folder / f"{s}.wav")[0] for s in sources}
    two = {s: audio.load(out / "two" / "htdemucs_6s-random" / "song" / f"{s}.wav")[0]
           for s in ("guitar", "accompaniment")}
    assert all(v.shape == (2, 22050) for v in [*stems.values(), *two.values()])
    # same model, same stem; accompaniment = the five others (16-bit files: 5 x 2^-15 rounding)
    np.testing.assert_allclose(two["guitar"], stems["guitar"], atol=1e-4)
    np.testing.assert_allclose(two["accompaniment"], sum(stems[s] for s in sources if s != "guitar"),
                               atol=3e-4)
    assert np.abs(two["accompaniment"]).max() > 1e-3
