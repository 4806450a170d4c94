# Hidden tests of notebook 06 (format: README.md here). The three questions ask for a number
# from the text (nothing to rerun): their hidden tests ask for the exact value as whole numbers,
# computed with mssedu/torch here. The mask exercise reruns the student's cell on other data.

# EXERCISE unet.strided_conv_size
@test_case(points=1, hidden=True)
def hidden_whole_number(n_out):
    from mssedu.unet import conv_output_size
    assert isinstance(n_out, (int, np.integer)), "a number of rows is an integer"
    assert n_out == conv_output_size(1025, 5, 2, 2)

# EXERCISE unet.conv_params
@test_case(points=1, hidden=True)
def hidden_whole_number(n_params):
    import torch
    assert isinstance(n_params, (int, np.integer)), "a count of parameters is an integer"
    assert n_params == sum(p.numel() for p in torch.nn.Conv2d(16, 32, 5).parameters())

# EXERCISE unet.bottleneck_shape
@test_case(points=1, hidden=True)
def hidden_whole_numbers(bottleneck):
    from mssedu.unet import MiniUNet
    model = MiniUNet.from_preset("tiny")
    rows = {r["name"]: r for r in model.layer_table(128)}
    expected = tuple(rows[f"encoder.{model.config.depth - 1}"]["output"][1:])
    got = tuple(np.asarray(bottleneck).ravel().tolist())
    assert got == expected and all(isinstance(v, int) for v in got), "three whole numbers"

# EXERCISE unet.apply_mask
@test_case(points=2, hidden=True)
def hidden_other_shape(env):
    """The student's cell again with a mono STFT of another shape and another mask."""
    import mssedu.exercises.ch06_unet as ch06
    rng = np.random.default_rng(61)
    X = (rng.standard_normal((1, 33, 7)) + 1j * rng.standard_normal((1, 33, 7))).astype(np.complex64)
    M = rng.uniform(0, 1, X.shape).astype(np.float32)
    keep = ch06.mask_exercise_data
    ch06.mask_exercise_data = lambda: (X.copy(), M.copy())
    try:
        got = np.asarray(rerun(env, "unet.apply_mask", "vocals_stft"))
    finally:
        ch06.mask_exercise_data = keep
    assert got.shape == X.shape and np.iscomplexobj(got) and np.allclose(got, M * X, rtol=1e-4, atol=1e-6)
