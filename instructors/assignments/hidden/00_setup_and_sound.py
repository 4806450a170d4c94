# Hidden tests of notebook 00, merged into its instructor source by `mssedu assign bootstrap 0`.
# Each block: the Otter test cases of one exercise (`env` is the notebook's namespace).
# `_other_track(env)` (defined in the first block, so in every test file that needs it) is a
# second song: the example's stems re-weighted and shifted, with a mixture that has its own
# residual, so a number copied from the visible check no longer fits.

# EXERCISE sound.mixture_from_stems
def _other_track(env):
    from mssedu.data import Track
    track = env["track"]
    gains = {"drums": 0.3, "bass": 0.5, "other": 2.0, "vocals": 1.5}
    stems = {k: np.roll(gains.get(k, 1.0) * v, 4410, axis=-1).astype(np.float32) for k, v in track.stems.items()}
    rng = np.random.default_rng(7)
    mixture = (sum(stems.values()) + 0.01 * rng.standard_normal(track.mixture.shape)).astype(np.float32)
    return Track("hidden", track.sr, mixture, stems)


@test_case(points=2, hidden=True)
def hidden_other_song(env):
    other = _other_track(env)
    got = rerun(env, "sound.mixture_from_stems", "my_mixture", track=other)
    assert np.allclose(np.asarray(got), sum(other.stems.values()), atol=1e-5)

# EXERCISE sound.residual_db
def _other_track(env):
    from mssedu.data import Track
    track = env["track"]
    rng = np.random.default_rng(7)
    mixture = (sum(track.stems.values()) + 0.01 * rng.standard_normal(track.mixture.shape)).astype(np.float32)
    return Track("hidden", track.sr, mixture, dict(track.stems))


@test_case(points=2, hidden=True)
def hidden_other_song(env):
    other = _other_track(env)
    got = float(rerun(env, "sound.residual_db", "rho", track=other))
    assert abs(got - other.residual()) < 0.05, "wrong residual on another song"

# EXERCISE sound.loudest_stem
@test_case(points=2, hidden=True)
def hidden_other_song(env):
    from mssedu.data import Track
    track = env["track"]
    stems = dict(track.stems)
    stems["vocals"] = 4.0 * stems["vocals"]          # now the vocals are the loudest
    other = Track("hidden", track.sr, sum(stems.values()), stems)
    assert rerun(env, "sound.loudest_stem", "loudest", track=other) == "vocals"

# EXERCISE sound.my_mix
@test_case(points=2, hidden=True)
def hidden_other_gains(my_mix):
    """Other stems (three, other names) and other gains than the public check's."""
    rng = np.random.default_rng(11)
    stems = {k: rng.standard_normal((2, 500)).astype(np.float32) for k in ("piano", "choir", "synth")}
    gains = {"piano": -6.0, "choir": 0.0, "synth": 9.5}
    expected = sum(10 ** (gains[k] / 20) * stems[k].astype(np.float64) for k in stems)
    got = my_mix({k: v.copy() for k, v in stems.items()}, dict(gains))
    assert np.allclose(np.asarray(got), expected, rtol=1e-4, atol=1e-5)
