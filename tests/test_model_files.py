"""A model file is untrusted input: every kind (mssedu checkpoint, demucs ``.th``, demucs
``.safetensors``) is refused with a ModelLoadingError -- before anything is allocated -- when
it describes a model larger than MAX_PARAMETERS, holds NaN weights, holds the weights of
another architecture, or a quantised state (demucs would call ``sys.exit`` for it). The
memory bombs run in a child process under an address-space limit: they pass by refusing,
not by surviving."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
import torch

from mssedu.errors import ModelLoadingError
from mssedu.models import (MAX_PARAMETERS, BandSplitModel, MiniUNet, UNetConfig, check_model_size,
                           load_checkpoint, read_checkpoint, save_checkpoint)
from mssedu.separation import HTDEMUCS_CONFIG, load_demucs_model, load_separator

#: The child's address-space limit: a refused bomb allocates next to nothing, an accepted one
#: (a 4096-channel U-Net, an 8192-channel HT-Demucs) would need far more than this.
LIMIT_BYTES = 3 * 2**30
TOY = dict(channels=8, t_layers=1, depth=2, bottom_channels=0)


def _in_child_with_memory_limit(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter whose address space is capped at LIMIT_BYTES."""
    prelude = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, ({LIMIT_BYTES}, {LIMIT_BYTES}))
    """)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=300)


def _tiny_unet_file(tmp_path, **config_changes):
    path = tmp_path / "model.pt"
    save_checkpoint(path, MiniUNet.from_preset("tiny"))
    state = read_checkpoint(path)
    state["config"] = {**state["config"], **config_changes}
    torch.save(state, path)
    return path


def test_the_limit_fits_the_largest_real_models_by_a_margin():
    # the full U-Net and the real HT-Demucs load; both far below the limit
    assert check_model_size(lambda: MiniUNet.from_preset("full"), "full") < MAX_PARAMETERS / 50
    assert check_model_size(lambda: BandSplitModel.from_preset("full"), "full") < MAX_PARAMETERS / 50
    from demucs.htdemucs import HTDemucs

    assert check_model_size(lambda: HTDemucs(**HTDEMUCS_CONFIG), "htdemucs") == 41_984_456


def test_a_checkpoint_describing_a_huge_unet_is_refused_before_allocating(tmp_path):
    path = _tiny_unet_file(tmp_path, channels=[4096, 8192, 16384, 32768, 65536])
    with pytest.raises(ModelLoadingError, match="parameters, more than the"):
        load_checkpoint(path)
    child = _in_child_with_memory_limit(f"""
        from mssedu.errors import ModelLoadingError
        from mssedu.separation import load_separator
        try:
            load_separator({str(path)!r}, device="cpu")
        except ModelLoadingError as err:
            print("REFUSED", err)
    """)
    assert "REFUSED" in child.stdout and "parameters" in child.stdout, child.stderr[-2000:]


def test_nan_weights_are_refused(tmp_path):
    model = MiniUNet.from_preset("tiny")
    with torch.no_grad():
        next(model.parameters()).fill_(float("nan"))
    path = save_checkpoint(tmp_path / "nan.pt", model)
    with pytest.raises(ModelLoadingError, match="NaN or infinite"):
        load_separator(str(path), device="cpu")


def test_weights_of_another_architecture_are_refused_with_a_message(tmp_path):
    path = save_checkpoint(tmp_path / "a.pt", MiniUNet.from_preset("tiny"))
    state = read_checkpoint(path)
    state["model"] = BandSplitModel.from_preset("tiny").state_dict()   # the U-Net's config
    torch.save(state, path)
    with pytest.raises(ModelLoadingError, match="do not fit its config"):
        load_checkpoint(path)


def test_an_impossible_config_is_refused(tmp_path):
    path = _tiny_unet_file(tmp_path, n_bins=10**9)
    with pytest.raises(ModelLoadingError, match="not a unet config"):
        load_checkpoint(path)


# -- demucs files -----------------------------------------------------------------------

def _demucs_repo(tmp_path, name, kwargs, state=None, suffix=".th"):
    """A local repository holding model ``name``: its yaml and one package."""
    from demucs.htdemucs import HTDemucs

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / f"{name}.yaml").write_text(f"models: [{name}]\n")
    if state is None:
        state = HTDemucs(**{**HTDEMUCS_CONFIG, **TOY}).state_dict()
    if suffix == ".th":
        torch.save({"klass": HTDemucs, "args": [], "kwargs": kwargs, "state": state},
                   repo / f"{name}.th")
    else:
        from safetensors.torch import save_file

        args = json.dumps({k: ({"_type": "fraction", "numerator": v.numerator,
                                "denominator": v.denominator} if hasattr(v, "numerator")
                               and not isinstance(v, int) else v) for k, v in kwargs.items()})
        save_file(dict(state), str(repo / f"{name}.safetensors"),
                  metadata={"klass": "demucs.htdemucs.HTDemucs", "args": "[]", "kwargs": args})
    return repo


@pytest.mark.parametrize("suffix", [".th", ".safetensors"])
def test_a_demucs_package_describing_a_huge_model_is_refused_under_a_memory_limit(tmp_path, suffix):
    repo = _demucs_repo(tmp_path, "bomb", {**HTDEMUCS_CONFIG, "channels": 8192}, state={},
                        suffix=suffix)
    child = _in_child_with_memory_limit(f"""
        from mssedu.errors import ModelLoadingError
        from mssedu.separation import load_demucs_model
        try:
            load_demucs_model("bomb", repo={str(repo)!r})
        except ModelLoadingError as err:
            print("REFUSED", err)
    """)
    assert "REFUSED" in child.stdout and "parameters, more than the" in child.stdout, \
        child.stdout[-1000:] + child.stderr[-2000:]


def test_demucs_nan_weights_are_refused(tmp_path):
    from demucs.htdemucs import HTDemucs

    state = HTDemucs(**{**HTDEMUCS_CONFIG, **TOY}).state_dict()
    state = {k: v.fill_(float("nan")) if v.is_floating_point() else v for k, v in state.items()}
    repo = _demucs_repo(tmp_path, "nan", {**HTDEMUCS_CONFIG, **TOY}, state=state)
    with pytest.raises(ModelLoadingError, match="NaN or infinite"):
        load_demucs_model("nan", repo=repo)


def test_a_quantised_package_is_refused_and_never_exits_the_process(tmp_path):
    # demucs' own loader calls sys.exit(1) for this state when diffq is not installed
    repo = _demucs_repo(tmp_path, "q", {**HTDEMUCS_CONFIG, **TOY}, state={"__quantized": True})
    with pytest.raises(ModelLoadingError, match="quantised"):
        load_demucs_model("q", repo=repo)


def test_a_demucs_state_of_another_architecture_is_refused(tmp_path):
    repo = _demucs_repo(tmp_path, "other", {**HTDEMUCS_CONFIG, **TOY},
                        state=MiniUNet(UNetConfig()).state_dict())
    with pytest.raises(ModelLoadingError, match="do not fit the HTDemucs"):
        load_demucs_model("other", repo=repo)


def test_demucs_arguments_it_cannot_build_are_a_message(tmp_path):
    repo = _demucs_repo(tmp_path, "bad", {**HTDEMUCS_CONFIG, **TOY, "depth": -3}, state={})
    with pytest.raises(ModelLoadingError, match="cannot be built|cannot build"):
        load_demucs_model("bad", repo=repo)
