# Hidden tests of notebook 04, merged into its instructor source by `mssedu assign bootstrap 4`.
# Each block: the Otter test cases of one exercise (`env` is the notebook's namespace).

# EXERCISE eval.sdr
@test_case(points=2, hidden=True)
def hidden_other_stem(env):
    """The student's cell, run again on the accompaniment: a hard-coded number fails."""
    from mssedu.metrics import sdr
    accomp, est_accomp = env["accomp"], env["est_accomp"]
    got = rerun(env, "eval.sdr", "my_sdr", vocals=accomp, est_vocals=est_accomp)
    assert abs(float(got) - sdr(accomp, est_accomp)) < 0.01, "wrong SDR on another stem"

# EXERCISE eval.si_sdr
@test_case(points=2, hidden=True)
def hidden_other_stem_scaled(env):
    """Run again on the accompaniment with a gain and an offset on the estimate."""
    from mssedu.metrics import si_sdr
    ref, est = env["accomp"], 0.4 * env["est_accomp"] + 0.01
    got = rerun(env, "eval.si_sdr", "my_si_sdr", vocals=ref, est_vocals=est)
    assert abs(float(got) - si_sdr(ref, est)) < 0.01, "wrong SI-SDR on another stem"

# EXERCISE eval.my_si_sdr
@test_case(points=2, hidden=True)
def hidden_other_signals(my_si_sdr):
    """Other signals than the public check's: three channels, offsets, noise, a sign flip."""
    from mssedu.metrics import si_sdr
    rng = np.random.default_rng(2024)
    s = rng.standard_normal((3, 3000)) + np.array([[0.5], [-0.2], [0.0]])
    for est in (1.7 * s + 0.3 * rng.standard_normal(s.shape) + 2.0,
                -0.2 * s + 0.05 * rng.standard_normal(s.shape)):
        assert abs(float(my_si_sdr(s.copy(), est.copy())) - si_sdr(s, est)) < 1e-3
