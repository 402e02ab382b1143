"""Procedural lesion shapes: physical size on anisotropic grids, determinism, solidity."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from liversynth.lesions.shapes import make_shape, procedural_lesion, random_shape_params


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (5.0, 0.7, 0.7), (2.5, 1.5, 0.8)])
def test_size_in_mm_whatever_the_spacing(spacing):
    params = {**random_shape_params(np.random.default_rng(3)), "diameter_mm": 20.0}
    params["bumpiness"], params["elastic_alpha"] = 0.0, 0.0
    params["axis_ratios"] = [1.0, 1.0, 1.0]
    mask = make_shape(params, spacing)
    volume = mask.sum() * np.prod(spacing)
    assert volume == pytest.approx(np.pi / 6 * 20.0**3, rel=0.15)
    extent = np.array(mask.shape) * np.array(spacing)
    assert np.all(np.abs(extent - 20.0) <= np.array(spacing) + 1.0)


def test_random_sizes_stay_in_range_and_are_solid():
    rng = np.random.default_rng(0)
    diameters = []
    for _ in range(15):
        mask, params = procedural_lesion(rng, (2.5, 1.0, 1.0))
        assert 5.0 <= params["diameter_mm"] <= 60.0
        d = (6 * mask.sum() * 2.5 / np.pi) ** (1 / 3)
        diameters.append(d)
        assert ndimage.label(mask, np.ones((3, 3, 3)))[1] == 1
        assert np.array_equal(ndimage.binary_fill_holes(mask), mask)
        assert mask[0].any() and mask[-1].any()  # cropped tight
    assert min(diameters) < 15 and max(diameters) > 25


def test_same_params_same_mask_and_seeded():
    a, pa = procedural_lesion(np.random.default_rng(7), (2.5, 1.0, 1.0), max_diameter_mm=30)
    b, pb = procedural_lesion(np.random.default_rng(7), (2.5, 1.0, 1.0), max_diameter_mm=30)
    assert pa == pb and np.array_equal(a, b)
    np.testing.assert_array_equal(make_shape(pa, (2.5, 1.0, 1.0)), a)
    c, _ = procedural_lesion(np.random.default_rng(8), (2.5, 1.0, 1.0), max_diameter_mm=30)
    assert c.shape != a.shape or not np.array_equal(c, a)


def test_bad_range_is_refused():
    with pytest.raises(ValueError):
        random_shape_params(np.random.default_rng(0), min_diameter_mm=10, max_diameter_mm=5)
