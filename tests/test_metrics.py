"""mssedu.metrics against museval, mir_eval and nussl on the same arrays (short signals:
BSS Eval is slow)."""
import warnings

import numpy as np
import pytest

from mssedu import MsseduError
from mssedu.errors import UndefinedScoreWarning
from mssedu.metrics import (bss_eval, bss_eval_quick, framewise_sdr, gain_sensitivity, sdr,
                            si_sdr)

SR = 8000


@pytest.fixture(scope="module")
def pair():
    """Three stereo sources of 2 s and estimates with noise, leakage and a short filter."""
    rng = np.random.default_rng(1)
    n = 2 * SR
    R = rng.standard_normal((3, 2, n))
    E = R + 0.3 * rng.standard_normal((3, 2, n)) + 0.2 * R[[1, 2, 0]]
    E[0, 1] = np.convolve(E[0, 1], [1.0, 0.4, 0.1])[:n]
    return R, E


def test_bss_eval_equals_museval_framewise(pair):
    import museval

    R, E = pair
    df = bss_eval({"a": R[0], "b": R[1], "c": R[2]}, {"c": E[2], "a": E[0], "b": E[1]}, sr=SR,
                  framewise=True)
    ref = museval.evaluate(np.transpose(R, (0, 2, 1)), np.transpose(E, (0, 2, 1)), win=SR, hop=SR)
    for i, metric in enumerate(("SDR", "ISR", "SIR", "SAR")):
        for j, k in enumerate("abc"):   # estimates given in another order are re-paired by name
            np.testing.assert_allclose(df[df.source == k][metric].to_numpy(), ref[i][j], atol=1e-9)
    med = bss_eval(R, E, sr=SR)
    assert list(med.columns[:4]) == ["SDR", "ISR", "SIR", "SAR"]
    np.testing.assert_allclose(med["SDR"].to_numpy(), np.nanmedian(ref[0], axis=1), atol=1e-9)
    assert (med["frames"] == 2).all() and (med["note"] == "").all()


def test_bss_eval_whole_signal_equals_mir_eval_images(pair):
    import mir_eval

    R, E = pair
    R, E = R[:2, :, :SR], E[:2, :, :SR]
    df = bss_eval(R, E, sr=SR, window=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = mir_eval.separation.bss_eval_images(np.transpose(R, (0, 2, 1)),
                                                  np.transpose(E, (0, 2, 1)),
                                                  compute_permutation=False)
    for i, metric in enumerate(("SDR", "ISR", "SIR", "SAR")):
        np.testing.assert_allclose(df[metric].to_numpy(), ref[i], atol=1e-6)


def test_quick_bss_eval_equals_museval_with_one_tap_filters(pair):
    import museval

    R, E = pair
    df = bss_eval_quick(R, E)
    n = R.shape[-1]
    ref = museval.metrics.bss_eval(np.transpose(R, (0, 2, 1)), np.transpose(E, (0, 2, 1)),
                                   window=n, hop=n, filters_len=1)
    for i, metric in enumerate(("SDR", "ISR", "SIR", "SAR")):
        np.testing.assert_allclose(df[metric].to_numpy(), ref[i][:, 0], atol=1e-7)
    np.testing.assert_allclose(df["SDR"].to_numpy(), sdr(R, E), atol=1e-9)


def test_sdr_and_si_sdr_closed_forms(pair):
    R, E = pair
    r, e = R[0], E[0]
    expected = 10 * np.log10(np.sum(r ** 2) / np.sum((r - e) ** 2))
    assert sdr(r, e) == pytest.approx(expected, abs=1e-9)
    assert sdr(r, 0.5 * r) == pytest.approx(20 * np.log10(2), abs=1e-9)
    rc, ec = r - r.mean(-1, keepdims=True), e - e.mean(-1, keepdims=True)
    a = np.sum(ec * rc) / np.sum(rc ** 2)
    ref = 10 * np.log10(np.sum((a * rc) ** 2) / np.sum((a * rc - ec) ** 2))
    assert si_sdr(r, e) == pytest.approx(ref, abs=1e-9)
    assert si_sdr(r, 3.0 * e) == pytest.approx(ref, abs=1e-9)
    assert np.asarray(si_sdr(R, E)).shape == (3,)
    assert np.asarray(si_sdr(R, E, per_channel=True)).shape == (3, 2)
    assert isinstance(sdr(r[0], e[0]), float)


def test_gain_sensitivity_moves_sdr_not_si_sdr(pair):
    R, E = pair
    df = gain_sensitivity(R[0], E[0], gains_db=[-12, -6, 0, 6, 12])
    assert np.ptp(df["SI-SDR"]) < 1e-9
    assert np.ptp(df["SDR"]) > 10
    assert df["SDR"].idxmax() in (1, 2)   # best near the right level
    with pytest.raises(MsseduError, match="gains_db"):
        gain_sensitivity(R[0], E[0], gains_db=[])


def test_framewise_sdr_marks_silent_frames(pair):
    R, E = pair
    r = R[0].copy()
    r[:, :SR] = 0
    starts, vals = framewise_sdr(r, E[0], SR, window=0.5)
    np.testing.assert_allclose(starts, [0, 0.5, 1.0, 1.5])
    assert np.isnan(vals[:2]).all() and np.isfinite(vals[2:]).all()
    assert vals[2] == pytest.approx(sdr(r[:, SR:SR + SR // 2], E[0][:, SR:SR + SR // 2]))


def test_silent_reference_is_reported_not_a_crash(pair):
    R, E = pair
    R = R[:, :, :SR].copy()
    E = E[:, :, :SR].copy()
    R[1] = 0
    with pytest.warns(UserWarning, match="reference is silent"):
        df = bss_eval({"a": R[0], "b": R[1], "c": R[2]}, {"a": E[0], "b": E[1], "c": E[2]}, sr=SR)
    assert np.isnan(df.loc["b", "SDR"]) and "silent" in df.loc["b", "note"]
    assert np.isfinite(df.loc["a", "SDR"]) and df.loc["a", "note"] == ""
    # a silent stretch of a reference: those frames are NaN, skipped by the median, and said so
    R2, E2 = pair[0][:2].copy(), pair[1][:2].copy()
    R2[0, :, :SR] = 0
    df2 = bss_eval(R2, E2, sr=SR)
    assert df2.iloc[0]["frames"] == 1 and "1 of 2 frames skipped" in df2.iloc[0]["note"]


def test_mismatched_inputs_raise(pair):
    R, E = pair
    with pytest.raises(MsseduError, match="samples"):
        bss_eval(R, E[:, :, :-10], sr=SR)
    with pytest.raises(MsseduError, match="channel"):
        bss_eval(R, E[:, :1], sr=SR)
    with pytest.raises(MsseduError, match="3 reference"):
        bss_eval(R, E[:2], sr=SR)
    with pytest.raises(MsseduError, match="same names"):
        bss_eval({"a": R[0]}, {"b": E[0]}, sr=SR)
    with pytest.raises(MsseduError, match="lengths differ"):
        sdr(R[0], E[0][:, :-1])
    with pytest.raises(MsseduError, match="channels differ"):
        si_sdr(R[0], E[0][:1])
    # NaN in an estimate: the score is undefined -> NaN with a warning (metrics' module rule)
    with pytest.warns(UndefinedScoreWarning, match="NaN/inf"):
        assert np.isnan(sdr(R[0], np.full_like(E[0], np.nan)))
    with pytest.raises(MsseduError, match="sr"):
        bss_eval(R, E, sr=0)


@pytest.fixture(scope="module")
def nussl_signals(pair):
    from mssedu.compat.nussl import import_nussl, nussl_unavailable_reason, to_audio_signal

    nussl = import_nussl(warn=False)
    if nussl is None:
        pytest.skip(f"nussl cross-check skipped: {nussl_unavailable_reason()}")
    R, E = pair
    return nussl, [to_audio_signal(r, SR) for r in R[:2]], [to_audio_signal(e, SR) for e in E[:2]]


def test_bss_eval_matches_nussl_bssevalv4(pair, nussl_signals):
    nussl, refs, ests = nussl_signals
    R, E = pair
    out = nussl.evaluation.BSSEvalV4(refs, ests, source_labels=["a", "b"], window=SR, hop=SR).evaluate()
    df = bss_eval({"a": R[0], "b": R[1]}, {"a": E[0], "b": E[1]}, sr=SR, framewise=True)
    for k in "ab":
        for metric in ("SDR", "SIR", "SAR", "ISR"):
            np.testing.assert_allclose(df[df.source == k][metric].to_numpy(), out[k][metric], atol=1e-6)


def test_si_sdr_matches_nussl_bssevalscale(pair, nussl_signals):
    """nussl computes SI-SDR per channel (zero-mean): our per_channel=True."""
    nussl, refs, ests = nussl_signals
    R, E = pair
    out = nussl.evaluation.BSSEvalScale(refs, ests, source_labels=["a", "b"]).evaluate()
    ours = si_sdr(R[:2], E[:2], per_channel=True)
    for j, k in enumerate("ab"):
        np.testing.assert_allclose(ours[j], out[k]["SI-SDR"], atol=1e-6)
