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


def test_six_stems_named_and_two_stems_folded():
    sep = load_separator("htdemucs_6s-random", device="cpu", segment=1.0)
    assert sep.sources == ["drums", "bass", "other", "vocals", "guitar", "piano"]
    x = (0.1 * np.random.default_rng(0).standard_normal((2, 44100))).astype(np.float32)
    out = separate(sep, x, 44100, progress=False)
    assert list(out) == sep.sources and all(v.shape == (2, 44100) for v in out.values())
    two = separate(sep, x, 44100, two_stems="guitar", progress=False)
    assert list(two) == ["guitar", "accompaniment"]
    np.testing.assert_allclose(two["accompaniment"], sum(out[s] for s in sep.sources if s != "guitar"),
                               atol=1e-5)


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
