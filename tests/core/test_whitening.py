"""Whitening and the generator input."""

from __future__ import annotations

import numpy as np
import pytest

from liversynth.whitening import generator_input, mask_to_unit, whiten, whiten_hu
from liversynth.windowing import PRESETS, hu_to_unit


@pytest.fixture
def slice_and_mask() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    hu = rng.normal(100, 40, (16, 20)).astype(np.float32)
    mask = np.zeros((16, 20), dtype=np.uint8)
    mask[4:9, 6:12] = 1
    return hu, mask


def test_whiten_sets_mask_to_one(slice_and_mask) -> None:
    hu, mask = slice_and_mask
    u = hu_to_unit(hu, PRESETS["network"])
    w = whiten(u, mask)
    assert w.dtype == np.float32
    assert np.all(w[mask > 0] == 1.0)
    np.testing.assert_array_equal(w[mask == 0], u[mask == 0])
    assert not np.all(u[mask > 0] == 1.0)  # the input is untouched


def test_whiten_hu_uses_window_high(slice_and_mask) -> None:
    hu, mask = slice_and_mask
    w = whiten_hu(hu, mask, PRESETS["network"])
    assert np.all(w[mask > 0] == 300.0)
    np.testing.assert_array_equal(w[mask == 0], hu[mask == 0])


@pytest.mark.parametrize("mask_channel", [True, False])
def test_generator_input_channels(slice_and_mask, mask_channel: bool) -> None:
    hu, mask = slice_and_mask
    x = generator_input(hu, mask, PRESETS["network"], mask_channel=mask_channel)
    assert x.dtype == np.float32
    assert x.shape == ((2 if mask_channel else 1), 16, 20)
    np.testing.assert_array_equal(x[0], whiten(hu_to_unit(hu, PRESETS["network"]), mask))
    if mask_channel:
        np.testing.assert_array_equal(x[1], mask_to_unit(mask))
        assert set(np.unique(x[1]).tolist()) == {-1.0, 1.0}
        assert np.all(x[1][mask > 0] == 1.0)


def test_generator_input_rejects_bad_shapes(slice_and_mask) -> None:
    hu, mask = slice_and_mask
    with pytest.raises(ValueError):
        generator_input(hu, mask[:-1], PRESETS["network"], mask_channel=True)
    with pytest.raises(ValueError):
        generator_input(hu[None], mask[None], PRESETS["network"], mask_channel=True)
