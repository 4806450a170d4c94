# Hidden tests of notebook 03 (format: README.md here). Each reruns the student's cell or calls
# the student's function on inputs other than the visible check's.

# EXERCISE phase.spectral_convergence
@test_case(points=2, hidden=True)
def hidden_other_reconstruction(env):
    """The student's cell again, with another target magnitude and another reconstruction."""
    import mssedu.exercises.ch03_phase as ch03
    from mssedu.phase import spectral_convergence
    rng = np.random.default_rng(31)
    A = rng.random((65, 12)).astype(np.float32) ** 2
    X = (A * np.exp(2j * np.pi * rng.random(A.shape)) + 0.3 * rng.standard_normal(A.shape)).astype(np.complex64)
    keep = ch03.sc_problem
    ch03.sc_problem = lambda: (A.copy(), X.copy())
    try:
        got = float(rerun(env, "phase.spectral_convergence", "my_sc"))
    finally:
        ch03.sc_problem = keep
    assert abs(got - spectral_convergence(A, X)) <= 1e-4 * spectral_convergence(A, X)

# EXERCISE phase.my_griffin_lim_step
@test_case(points=2, hidden=True)
def hidden_other_sizes(my_gl_step):
    """Another signal, other n_fft and hops (one not dividing the length), another magnitude."""
    from mssedu.spectral import istft, stft
    rng = np.random.default_rng(32)
    x = (0.3 * rng.standard_normal(1500)).astype(np.float32)
    target = np.sin(2 * np.pi * 330 * np.arange(1500) / 8000).astype(np.float32)
    for n_fft, hop in ((256, 64), (128, 48)):
        A = np.abs(stft(target, n_fft, hop))
        X = stft(x, n_fft, hop)
        expected = istft(A * np.exp(1j * np.angle(X)), hop, length=len(x), n_fft=n_fft)
        got = np.asarray(my_gl_step(A.copy(), x.copy(), n_fft, hop))
        assert got.shape == expected.shape and np.allclose(got, expected, rtol=1e-3, atol=1e-4)

# EXERCISE phase.misi_step
@test_case(points=2, hidden=True)
def hidden_four_sources(env):
    """The student's cell again with four sources (J = 4) of another length."""
    import mssedu.exercises.ch03_phase as ch03
    rng = np.random.default_rng(33)
    est = rng.standard_normal((4, 1200)).astype(np.float32)
    mix = (est.sum(axis=0) + 0.5 * rng.standard_normal(1200)).astype(np.float32)
    keep = ch03.misi_problem
    ch03.misi_problem = lambda: (est.copy(), mix.copy())
    try:
        got = np.asarray(rerun(env, "phase.misi_step", "corrected"), dtype=np.float64)
    finally:
        ch03.misi_problem = keep
    expected = est + (mix - est.sum(axis=0)) / 4
    assert got.shape == expected.shape and np.allclose(got, expected, rtol=1e-4, atol=1e-5)
