# Hidden tests of notebook 07 (format: README.md here). The two counting questions ask for a
# number from the text: their hidden tests ask for the exact count as a whole number. The
# karaoke exercise reruns the student's cell on other stems.

# EXERCISE pretrained.n_segments
@test_case(points=1, hidden=True)
def hidden_whole_number(n_segments):
    from mssedu.exercises.ch07_pretrained import n_segments as count
    assert isinstance(n_segments, (int, np.integer)), "a number of segments is an integer"
    assert n_segments == count()

# EXERCISE pretrained.karaoke
@test_case(points=2, hidden=True)
def hidden_other_stems(env):
    """The student's cell again on another set of stems (other values and length)."""
    rng = np.random.default_rng(71)
    other = {k: (g * rng.standard_normal((2, 3000))).astype(np.float32)
             for k, g in (("drums", 0.7), ("bass", 0.4), ("other", 1.3), ("vocals", 2.0))}
    got = rerun(env, "pretrained.karaoke", "accompaniment",
                ht_stems={k: v.copy() for k, v in other.items()})
    expected = other["drums"].astype(np.float64) + other["bass"] + other["other"]
    got = np.asarray(got, dtype=np.float64)
    assert got.shape == expected.shape and np.allclose(got, expected, rtol=1e-4, atol=1e-5)

# EXERCISE pretrained.shift_cost
@test_case(points=1, hidden=True)
def hidden_whole_number(n_calls):
    from mssedu.exercises.ch07_pretrained import n_segments
    assert isinstance(n_calls, (int, np.integer)), "a number of model calls is an integer"
    assert n_calls == 4 * 2 * n_segments()
