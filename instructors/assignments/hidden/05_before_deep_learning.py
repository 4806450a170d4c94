# Hidden tests of notebook 05, merged into its instructor source by `mssedu assign bootstrap 5`.
# Each block: the Otter test cases of one exercise (`env` is the notebook's namespace).
# The problem functions the cells call are swapped for other inputs while the student's cell
# runs again, so an answer copied from the visible check does not pass.

# EXERCISE classical.karaoke
@test_case(points=2, hidden=True)
def hidden_other_signal(env):
    import mssedu.exercises.ch05_classical as ch05
    rng = np.random.default_rng(5)
    other = rng.standard_normal((2, 4000)).astype(np.float32)
    keep = ch05.karaoke_problem
    ch05.karaoke_problem = lambda: other.copy()
    try:
        got = np.asarray(rerun(env, "classical.karaoke", "my_karaoke"), dtype=np.float64)
    finally:
        ch05.karaoke_problem = keep
    if got.ndim == 2:
        got = got[0]
    side = other[0].astype(np.float64) - other[1]
    assert got.shape == side.shape
    assert any(np.allclose(got, c * side, atol=1e-5) for c in (1, -1, 0.5, -0.5))

# EXERCISE classical.repet_period
@test_case(points=2, hidden=True)
def hidden_other_beat(env):
    import mssedu.exercises.ch05_classical as ch05
    from mssedu.classical import repeating_period
    beat, sr, hop, min_s, max_s = ch05.period_problem()
    fps = sr / hop
    lags = np.arange(len(beat))
    target = int(np.ceil(min_s * fps)) + 7          # a period other than the example's
    other = 0.5 * np.exp(-lags / 40.0) + np.exp(-0.5 * ((lags - target) / 1.5) ** 2)
    other[0] = 1.0
    keep = ch05.period_problem
    ch05.period_problem = lambda: (other.copy(), sr, hop, min_s, max_s)
    try:
        got = float(rerun(env, "classical.repet_period", "my_period"))
    finally:
        ch05.period_problem = keep
    lo, hi = int(np.ceil(min_s * fps)), int(np.ceil(max_s * fps))
    assert abs(got - repeating_period(other, lo, hi) / fps) <= 0.6 / fps

# EXERCISE classical.my_beat_spectrum
@test_case(points=2, hidden=True)
def hidden_other_spectrogram(my_beat_spectrum):
    from mssedu.classical import beat_spectrum
    rng = np.random.default_rng(8)
    P = rng.random((17, 45)) ** 2
    P[:, ::9] += 3.0                                  # a period of 9 frames
    got = np.asarray(my_beat_spectrum(P.copy()))
    assert got.shape == beat_spectrum(P).shape and np.allclose(got, beat_spectrum(P), rtol=1e-4, atol=1e-6)
