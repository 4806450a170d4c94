# Hidden tests of notebook 02, merged into its instructor source by `mssedu assign bootstrap 2`.
# Each block: the Otter test cases of one exercise (`env` is the notebook's namespace).
# The student's cell runs again with the drums as the target and everything else as the
# interference, so an array or number computed for the vocals does not pass.

# EXERCISE masks.ibm
@test_case(points=2, hidden=True)
def hidden_drums(env):
    S = env["S"]
    T, I = S["drums"], sum(v for k, v in S.items() if k != "drums")
    got = rerun(env, "masks.ibm", "my_ibm", V=T, A=I)
    expected = env["masks"].ideal_binary_mask(T, I)
    assert np.shape(got) == expected.shape and np.mean(np.asarray(got) == expected) > 0.999

# EXERCISE masks.wiener
@test_case(points=2, hidden=True)
def hidden_drums(env):
    S = env["S"]
    T, I = S["drums"], sum(v for k, v in S.items() if k != "drums")
    got = np.asarray(rerun(env, "masks.wiener", "my_wiener", V=T, A=I))
    expected = env["masks"].ideal_ratio_mask(T, I, alpha=2)
    live = (np.abs(T) ** 2 + np.abs(I) ** 2) > 0
    assert got.shape == expected.shape and np.allclose(got[live], expected[live], atol=1e-4)

# EXERCISE masks.my_ratio_mask
@test_case(points=2, hidden=True)
def hidden_other_inputs(my_ratio_mask, masks):
    rng = np.random.default_rng(4)
    S = rng.standard_normal((33, 20)) + 1j * rng.standard_normal((33, 20))
    N = 0.5 * (rng.standard_normal((33, 20)) + 1j * rng.standard_normal((33, 20)))
    for alpha in (0.5, 1.0, 3.0):
        got = np.asarray(my_ratio_mask(S.copy(), N.copy(), alpha))
        assert np.allclose(got, masks.ideal_ratio_mask(S, N, alpha=alpha), atol=1e-5)

# EXERCISE masks.psr
@test_case(points=2, hidden=True)
def hidden_drums(env):
    S = env["S"]
    T, I = S["drums"], sum(v for k, v in S.items() if k != "drums")
    got = float(rerun(env, "masks.psr", "my_psr", V=T, A=I))
    assert abs(got - env["masks"].w_disjoint_orthogonality(T, I)["psr"]) < 1e-3
