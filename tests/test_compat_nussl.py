"""mssedu.compat.nussl: nussl imports on numpy 2 / scipy >= 1.13, its pieces run, and its
absence is handled politely."""
import sys
import warnings

import numpy as np
import pytest

from mssedu.compat import nussl as compat


@pytest.fixture(scope="module")
def nussl():
    mod = compat.import_nussl(warn=False)
    if mod is None:
        pytest.skip(f"nussl not usable here: {compat.nussl_unavailable_reason()}")
    return mod


def test_import_restores_only_missing_names_and_leaves_no_placeholders(nussl):
    import scipy.signal
    import scipy.signal.windows

    assert compat.nussl_available() and compat.nussl_unavailable_reason() is None
    assert scipy.signal.hamming is scipy.signal.windows.hamming
    assert nussl.core.constants.WINDOW_HAMMING == "hamming"
    for name in ("sox", "soxbindings", "gpytorch", "ignite", "tensorboard"):
        mod = sys.modules.get(name)   # a stand-in placeholder has no file
        assert mod is None or getattr(mod, "__file__", None) is not None
    assert compat.import_nussl() is nussl   # cached


def test_audio_signal_round_trip_and_stft(nussl):
    x = np.random.default_rng(0).standard_normal((2, 8000)).astype(np.float32)
    sig = compat.to_audio_signal(x, 8000, n_fft=512, hop_length=128)
    np.testing.assert_allclose(compat.from_audio_signal(sig), x, atol=1e-6)
    assert sig.stft().shape[0] == 257
    # the old positional librosa call inside AudioSignal works again
    assert np.all(np.isfinite(sig.rms(win_len=512)))


def test_hpss_and_repet_run(nussl):
    from mssedu.data import example_track

    t = example_track().excerpt(0, 4.0)
    mix = compat.to_audio_signal(t.mixture, t.sr, 2048, 512)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for sep in (nussl.separation.primitive.HPSS(mix), nussl.separation.primitive.Repet(mix, min_period=0.5, max_period=1.5)):
            est = sep()
            assert len(est) == 2
            total = sum(compat.from_audio_signal(e, t.mixture.shape[-1]) for e in est)
            # the two soft-masked parts add back up to the mixture (within the masks' eps)
            err = np.sum((total - t.mixture) ** 2) / np.sum(t.mixture ** 2)
            assert err < 1e-3


def test_missing_nussl_gives_none_and_one_warning(monkeypatch):
    from mssedu.errors import DataError

    try:
        with monkeypatch.context() as m:
            m.setitem(sys.modules, "nussl", None)     # find_spec("nussl") is None: "not installed"
            with pytest.warns(UserWarning, match="not installed"):
                assert compat.import_nussl(retry=True) is None
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                assert compat.import_nussl() is None      # warned once only
                assert compat.nussl_available() is False
            assert "pip install --no-deps nussl" in compat.nussl_unavailable_reason()
            with pytest.raises(DataError, match="needs nussl"):
                compat.to_audio_signal(np.zeros((1, 100)), 8000)
    finally:
        compat.import_nussl(warn=False, retry=True)   # the real state again
