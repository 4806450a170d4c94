# Hidden tests of notebook 08 (format: README.md here). Each reruns the student's cell or calls
# the student's function on inputs other than the visible check's; the pan-law question asks
# for a number from the text, its hidden test for it to 1e-4 dB (computed, not rounded).

# EXERCISE beyond.pan_law_ild
@test_case(points=1, hidden=True)
def hidden_computed(my_ild_db):
    from mssedu.spatial import pan_law_ild
    assert abs(float(my_ild_db) - pan_law_ild(-0.5)) < 1e-4, "compute it; do not round"

# EXERCISE beyond.ild
@test_case(points=2, hidden=True)
def hidden_other_stft(env):
    """The student's cell again on another stereo STFT (other tones, pans and size)."""
    import mssedu.exercises.ch08_beyond as ch08
    from mssedu.spatial import pan
    from mssedu.spectral import stft
    sr = 8000
    t = np.arange(3000) / sr
    rng = np.random.default_rng(81)
    x = (pan(np.sin(2 * np.pi * 300 * t), 0.7) + pan(0.7 * np.sin(2 * np.pi * 2000 * t), -0.3)
         + 0.01 * rng.standard_normal((2, len(t))))
    X = stft(x.astype(np.float32), 256, 64)
    keep = ch08.ild_problem
    ch08.ild_problem = lambda: X.copy()
    try:
        got = np.asarray(rerun(env, "beyond.ild", "my_ild"), dtype=np.float64)
    finally:
        ch08.ild_problem = keep
    assert got.shape == X.shape[1:]
    L, R = np.abs(X[0]).astype(np.float64), np.abs(X[1]).astype(np.float64)
    loud = np.minimum(L, R) > 1e-3 * max(L.max(), R.max())
    assert np.allclose(got[loud], 20 * np.log10(L[loud] / R[loud]), atol=0.05)

# EXERCISE beyond.my_band_split
@test_case(points=2, hidden=True)
def hidden_other_bands(my_band_split):
    """Other spectrogram, band edges and feature size (8) than the visible check's."""
    rng = np.random.default_rng(82)
    S = rng.random((65, 23)).astype(np.float32)
    edges = np.array([0, 3, 7, 15, 30, 65])
    weights = [rng.standard_normal((8, b - a)).astype(np.float32) for a, b in zip(edges[:-1], edges[1:])]
    expected = np.stack([W.astype(np.float64) @ S[a:b] for W, a, b in zip(weights, edges[:-1], edges[1:])])
    got = np.asarray(my_band_split(S.copy(), edges.copy(), [W.copy() for W in weights]))
    assert got.shape == (5, 8, 23) and np.allclose(got, expected, rtol=1e-4, atol=1e-5)
