"""Separation by query: the FiLM layer, the conditioned U-Net, its training hook, its
checkpoint and chapter 8's exercise."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from mssedu.errors import ModelLoadingError, ParameterError
from mssedu.exercises import check
from mssedu.exercises.beyond import QUERY_STEMS as EX_STEMS
from mssedu.models import (MODEL_KINDS, ConditionedUNet, ConditionedUNetConfig, MiniUNet, QUERY_STEMS, film,
                           load_checkpoint, query_batch, read_checkpoint, save_checkpoint, separate_by_query,
                           shipped_checkpoint, training_step)

SMALL = dict(sr=8000, n_fft=256, hop_length=64, n_bins=64, channels=(4, 8), patch_frames=16)


def _randomised(seed=0, **cfg):
    """A small conditioned U-Net whose control network is random (not the identity start)."""
    torch.manual_seed(seed)
    model = ConditionedUNet(ConditionedUNetConfig(**{**SMALL, **cfg}))
    with torch.no_grad():
        for p in model.control.parameters():
            p.normal_(0, 0.5)
    return model.eval()


def test_film_is_gamma_x_plus_beta_by_hand():
    rng = np.random.default_rng(0)
    x, gamma, beta = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    expected = np.empty_like(x)
    for n in range(2):
        for c in range(3):
            expected[n, c] = gamma[n, c] * x[n, c] + beta[n, c]
    np.testing.assert_allclose(film(x, gamma, beta), expected, rtol=1e-12)
    got = film(torch.from_numpy(x), torch.from_numpy(gamma), torch.from_numpy(beta))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    with pytest.raises(ParameterError, match="gamma and beta must be"):
        film(x, gamma[:, :2], beta)


def test_the_model_modulates_each_encoder_block_with_its_query_gamma_beta():
    model = _randomised()
    mag = torch.rand(2, 2, 129, 20)
    seen = {}
    model.body.encoder[0].register_forward_hook(lambda m, i, o: seen.update(inp=i[0], out=o))
    model(mag, query=["bass", "vocals"])
    block = model.body.encoder[0].block
    q = torch.nn.functional.one_hot(torch.tensor([2, 0]), 4).float()     # bass, vocals
    params = model.control(q)
    gamma, beta = params[:, :4], params[:, sum(SMALL["channels"]):sum(SMALL["channels"]) + 4]
    h = block.norm(block.conv(seen["inp"]))
    by_hand = block.act(gamma[:, :, None, None] * h + beta[:, :, None, None])
    torch.testing.assert_close(seen["out"], by_hand)


def test_different_queries_give_different_outputs_and_none_gives_them_all():
    model = _randomised()
    mag = torch.rand(1, 2, 129, 20)
    with torch.no_grad():
        outs = {q: model(mag, query=q) for q in QUERY_STEMS}
        every = model(mag)
    assert every.shape == (1, 4, 2, 129, 20) and outs["bass"].shape == (1, 1, 2, 129, 20)
    for j, q in enumerate(QUERY_STEMS):
        torch.testing.assert_close(every[:, j:j + 1], outs[q])
    for a in QUERY_STEMS:
        for b in QUERY_STEMS:
            if a < b:   # every pair differs clearly, not by rounding
                assert (outs[a] - outs[b]).abs().max() > 1e-3, (a, b)
    # an untrained model starts as the plain U-Net: gamma = 1, beta = 0 whatever the query
    fresh = ConditionedUNet(ConditionedUNetConfig(**SMALL)).eval()
    with torch.no_grad():
        torch.testing.assert_close(fresh(mag, query="bass"), fresh(mag, query="drums"))


def test_unknown_queries_are_refused_by_name():
    model = _randomised()
    mag = torch.rand(2, 2, 129, 20)
    with pytest.raises(ParameterError, match=r"Unknown query 'piano'.*'vocals', 'drums', 'bass', 'other'"):
        model(mag, query="piano")
    with pytest.raises(ParameterError, match="Unknown query 4"):
        model(mag, query=4)
    with pytest.raises(ParameterError, match="3 queries for a batch of 2"):
        model(mag, query=["bass"] * 3)
    with pytest.raises(ParameterError, match="distinct"):
        ConditionedUNetConfig(**SMALL, targets=("bass", "bass"))
    assert model.query_vector("bass").tolist() == [0.0, 0.0, 1.0, 0.0]
    with pytest.raises(ParameterError, match="takes a torch tensor"):
        model(np.zeros((1, 2, 129, 20)))


def test_query_batch_draws_the_stem_each_example_learns():
    torch.manual_seed(3)
    stems = {name: torch.full((6, 2, 10), float(k)) for k, name in enumerate(QUERY_STEMS)}
    qb, query = query_batch({"mixture": torch.zeros(6, 2, 10), **stems}, QUERY_STEMS)
    assert sorted(qb) == ["mixture", "query"] and len(set(query.tolist())) > 1
    assert torch.equal(qb["query"][:, 0, 0], query.float())
    with pytest.raises(ParameterError, match=r"no \['other'\]"):
        query_batch({"mixture": torch.zeros(6, 2, 10), **{k: stems[k] for k in QUERY_STEMS[:3]}}, QUERY_STEMS)


def test_a_training_step_learns_the_queried_stem():
    model = _randomised().train()
    rng = np.random.default_rng(0)
    batch = {k: torch.from_numpy(rng.standard_normal((4, 2, 64 * 15)).astype(np.float32)) for k in QUERY_STEMS}
    batch["mixture"] = sum(batch.values())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    before = [p.detach().clone() for p in model.control.parameters()]
    loss = training_step(model, batch, "l1", opt)
    assert loss > 0
    assert all(not torch.equal(a, b) for a, b in zip(before, model.control.parameters()))


def test_train_runs_the_course_loop_with_model_kind_conditioned():
    from mssedu.data import Track
    from mssedu.models import train
    rng = np.random.default_rng(1)
    stems = {k: rng.standard_normal((2, 8000 * 2)).astype(np.float32) / 8 for k in QUERY_STEMS}
    song = Track("noise", 8000, sum(stems.values()), stems)
    res = train(song, valid=song, model_kind="conditioned", targets=QUERY_STEMS, model=SMALL, steps=2,
                batch_size=2, progress=False, device="cpu", augment=None)
    assert isinstance(res.model, ConditionedUNet) and res.steps == 2
    assert np.isfinite(res.best_sdr)     # validated through the course's separator: every stem


def test_checkpoint_round_trips_in_a_fresh_process(tmp_path):
    model = _randomised(seed=5)
    path = save_checkpoint(tmp_path / "query.pt", model)
    mag = torch.rand(1, 2, 129, 20, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        here = model(mag, query="drums").double().sum().item()
    code = ("import torch, json; from mssedu.models import load_checkpoint\n"
            f"m, c = load_checkpoint({str(path)!r})\n"
            "mag = torch.rand(1, 2, 129, 20, generator=torch.Generator().manual_seed(0))\n"
            "with torch.no_grad(): s = m(mag, query='drums').double().sum().item()\n"
            "print(json.dumps([type(m).__name__, list(c.targets), s]))")
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    name, targets, there = json.loads(out.stdout.strip().splitlines()[-1])
    assert name == "ConditionedUNet" and targets == list(QUERY_STEMS)
    assert there == pytest.approx(here, rel=1e-6)


def test_a_huge_conditioned_config_is_refused_before_allocation(tmp_path):
    assert MODEL_KINDS["conditioned"].model is ConditionedUNet
    path = save_checkpoint(tmp_path / "q.pt", _randomised())
    state = read_checkpoint(path)
    state["config"]["film_hidden"] = 10**9          # the control network alone: ~10^11 parameters
    torch.save(state, tmp_path / "huge.pt")
    with pytest.raises(ModelLoadingError, match="parameters, more than"):
        load_checkpoint(tmp_path / "huge.pt")


def test_the_shipped_checkpoint_separates_by_query_on_a_held_out_song():
    from mssedu.metrics import sdr
    from mssedu.models import default_validation_tracks
    path = shipped_checkpoint("conditioned_tiny_4stems")
    assert os.path.getsize(path) < 3 * 2**20
    model, config = load_checkpoint(path)
    assert isinstance(model, ConditionedUNet) and config.targets == QUERY_STEMS
    song = default_validation_tracks(n_songs=1, progress=False)[0].excerpt(7.0, 6.0)   # never trained on
    gains = {}
    for stem in ("bass", "drums"):
        est = separate_by_query(model, song.mixture, stem)
        gains[stem] = sdr(song.stems[stem], est) - sdr(song.stems[stem], song.mixture)
    assert gains["bass"] > 3.0 and gains["drums"] > 3.0, gains    # dB over the mixture as estimate
    with pytest.raises(ParameterError, match="Unknown query 'piano'"):
        separate_by_query(model, song.mixture, "piano")
    with pytest.raises(ParameterError, match="needs a ConditionedUNet"):
        separate_by_query(MiniUNet.from_preset("tiny"), song.mixture, "bass")


def _good_film(x, query, W, b):
    q = np.eye(len(EX_STEMS))[EX_STEMS.index(query)]
    gamma, beta = np.split(W @ q + b, 2)
    return gamma[:, None, None] * x + beta[:, None, None]


@pytest.mark.parametrize("wrong, says", [
    (lambda x, q, W, b: _swap(x, q, W, b), "swapped"),
    (lambda x, q, W, b: _good_film(x, q, W, 0 * b), "has a bias"),
    (lambda x, q, W, b: _good_film(x, "bass", W, b), "right for 'bass' only"),
    (lambda x, q, W, b: np.split(W @ np.eye(4)[EX_STEMS.index(q)] + b, 2)[0][:, None, None] * x, "did not add beta"),
    (lambda x, q, W, b: x, "different values"),
    (lambda x, q, W, b: x[0], "expected (4, 6, 5)"),
    (np.zeros((4, 6, 5)), "function itself"),
])
def test_the_film_exercise_accepts_the_right_answer_and_refuses_typical_wrong_ones(wrong, says):
    assert check("beyond.my_film", _good_film).ok
    result = check("beyond.my_film", wrong)
    assert not result.ok and says in result.message, result.message


def _swap(x, query, W, b):
    gamma, beta = np.split(W @ np.eye(4)[EX_STEMS.index(query)] + b, 2)
    return beta[:, None, None] * x + gamma[:, None, None]
