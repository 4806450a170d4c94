# Hidden tests of notebook 01, merged into its instructor source by `mssedu assign bootstrap 1`.
# Each block: the Otter test cases of one exercise (`env` is the notebook's namespace).
# The first three answers follow from numbers in the question, so their hidden tests ask for
# more precision and the right type than the visible check; the two STFTs are run on other
# signals and sizes.

# EXERCISE stft.freq_resolution
@test_case(points=1, hidden=True)
def hidden_exact(delta_f):
    assert abs(float(delta_f) - 44100 / 4096) < 1e-6, "not exactly sr / n_fft"

# EXERCISE stft.n_frames
@test_case(points=1, hidden=True)
def hidden_whole_number(n_frames):
    assert float(n_frames) == 130 and float(n_frames).is_integer()
    assert isinstance(n_frames, (int, np.integer)), "a count of frames is an integer"

# EXERCISE stft.cola_hop
@test_case(points=1, hidden=True)
def hidden_whole_number(largest_cola_hop):
    assert isinstance(largest_cola_hop, (int, np.integer)) and largest_cola_hop == 512

# EXERCISE stft.my_stft
@test_case(points=2, hidden=True)
def hidden_other_signal(env):
    """The student's cell again, with another signal in place of short_signal()."""
    import mssedu.exercises.ch01_stft as ch01
    rng = np.random.default_rng(3)
    other = rng.standard_normal(1500).astype(np.float32)
    keep = ch01.short_signal
    ch01.short_signal = lambda: other.copy()
    try:
        got = rerun(env, "stft.my_stft", "my_X")
    finally:
        ch01.short_signal = keep
    n_fft, hop = 256, 64
    w = np.asarray(env["spectral"].get_window("hann", n_fft))
    count = 1 + (len(other) - n_fft) // hop
    expected = np.stack([np.fft.rfft(w * other[m * hop:m * hop + n_fft]) for m in range(count)], axis=1)
    assert np.shape(got) == expected.shape and np.allclose(got, expected, rtol=1e-4, atol=1e-4)

# EXERCISE stft.my_centred_stft
@test_case(points=2, hidden=True)
def hidden_other_sizes(my_stft, spectral):
    """Other signal, n_fft and hop than the public check's (hop not dividing the length)."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal(1001).astype(np.float32)
    for n_fft, hop in ((128, 48), (64, 16)):
        expected = spectral.stft(x[None], n_fft, hop)[0]
        got = np.asarray(my_stft(x.copy(), n_fft, hop))
        assert got.shape == expected.shape and np.allclose(got, expected, rtol=1e-4, atol=1e-4)
