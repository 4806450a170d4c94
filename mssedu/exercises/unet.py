"""Exercises of chapter 6 (notebook ``06_unet``): the size a strided convolution gives,
the bottleneck of the tiny U-Net, the parameters of one layer, and applying a mask.
Reference answers come from :mod:`mssedu.models` and torch itself.

>>> from mssedu.exercises import check
>>> check("unet.strided_conv_size", 513).ok
True
"""
from __future__ import annotations

import numbers

import numpy as np
import torch

from ..models import MiniUNet, conv_output_size
from .checking import close, exercise

__all__ = ["mask_exercise_data", "CONV_INPUT_BINS", "CONV_KERNEL", "CONV_STRIDE", "CONV_PADDING",
           "PARAM_IN", "PARAM_OUT", "MASK_SEED"]

#: the settings the notebook's questions use
CONV_INPUT_BINS = 1025                       # frequency bins of an STFT with n_fft = 2048
CONV_KERNEL, CONV_STRIDE, CONV_PADDING = 5, 2, 2
PARAM_IN, PARAM_OUT = 16, 32                 # encoder.2 of the tiny preset
MASK_SEED = 6


def _integer(answer, name):
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real) or float(answer) != int(answer):
        raise TypeError(f"{name} should be a whole number, got {answer!r}")
    return int(answer)


@exercise("unet.strided_conv_size")
def _strided_conv_size(answer):
    """Output bins of Conv2d(kernel 5, stride 2, padding 2) applied to 1025 bins."""

    value = _integer(answer, "size")
    expected = conv_output_size(CONV_INPUT_BINS, CONV_KERNEL, CONV_STRIDE, CONV_PADDING)
    if value == expected:
        return True, (f"{expected} = floor((1025 + 2*2 - 5) / 2) + 1: a stride-2 convolution with "
                      "'same' padding halves the size, rounding up.")
    if value == CONV_INPUT_BINS // 2:
        return False, "Close: you rounded down. Use floor((n + 2p - k) / s) + 1 with n=1025, p=2, k=5, s=2."
    if value == CONV_INPUT_BINS - CONV_KERNEL + 1:
        return False, "That is a stride-1 convolution without padding. Include the stride 2 and padding 2."
    return False, "Not yet. The formula is floor((n + 2p - k) / s) + 1."


@exercise("unet.bottleneck_shape")
def _bottleneck_shape(answer):
    """(channels, freq, frames) at the bottleneck of the tiny U-Net for a 256 x 128 patch."""

    model = MiniUNet.from_preset("tiny")
    rows = {r["name"]: r for r in model.layer_table(128)}
    expected = tuple(rows[f"encoder.{model.config.depth - 1}"]["output"][1:])
    got = tuple(int(v) for v in np.asarray(answer).ravel())
    if got == expected:
        return True, (f"{expected}: five halvings turn 256 x 128 into 8 x 4, and the last encoder "
                      "block has 128 channels. Each of its pixels summarises a wide patch of the spectrogram.")
    if len(got) != 3:
        return False, "Give three numbers: (channels, frequency rows, frames)."
    if got[1:] == expected[1:]:
        return False, "The sizes are right; check the channel count of the last encoder block (config.channels)."
    return False, "Halve 256 and 128 once per encoder block (there are config.depth of them)."


@exercise("unet.conv_params")
def _conv_params(answer):
    """Trainable parameters of Conv2d(16, 32, kernel_size=5) with a bias."""

    value = _integer(answer, "parameters")
    conv = torch.nn.Conv2d(PARAM_IN, PARAM_OUT, 5)
    expected = sum(p.numel() for p in conv.parameters())
    if value == expected:
        return True, (f"{expected:,} = 16 x 32 x 5 x 5 weights + 32 biases. Doubling both channel counts "
                      "would multiply it by about four: width is expensive.")
    if value == PARAM_IN * PARAM_OUT * 25:
        return False, "Almost: you counted the weights. Each output channel also has one bias."
    if value == PARAM_IN * PARAM_OUT * 25 + PARAM_IN:
        return False, "There is one bias per *output* channel, not per input channel."
    return False, "Each output channel has one 5 x 5 kernel per input channel, plus one bias."


def mask_exercise_data():
    """The arrays of the 'apply the mask' exercise: a complex mixture STFT ``X`` and a
    mask ``M`` of shape ``(2, 65, 20)`` (seeded).

    Returns
    -------
    X : numpy.ndarray
        Complex mixture STFT, ``(channels, freq, frames)`` = ``(2, 65, 20)``, complex64.
    M : numpy.ndarray
        Mask in ``[0, 1]`` of the same shape, float32.
    """
    rng = np.random.default_rng(MASK_SEED)
    X = (rng.standard_normal((2, 65, 20)) + 1j * rng.standard_normal((2, 65, 20))).astype(np.complex64)
    M = rng.uniform(0, 1, (2, 65, 20)).astype(np.float32)
    return X, M


@exercise("unet.apply_mask")
def _apply_mask(answer):
    """The vocals' STFT estimate: the mask times the complex mixture STFT."""
    X, M = mask_exercise_data()
    a = np.asarray(answer)
    if a.shape == X.shape and not np.iscomplexobj(a):
        if np.allclose(a, M * np.abs(X), rtol=1e-4, atol=1e-6):
            return False, ("That is the estimated magnitude. To listen we need a complex STFT: "
                           "multiply the mask by X itself (it keeps the mixture's phase).")
        return False, "The result must be complex: multiply the mask by the complex STFT X."
    return close(answer, M * X, "estimate", rtol=1e-4, atol=1e-6,
                 hint="Element-wise: M * X (same shape, complex).")
