"""Placement: inside the eroded liver, away from tumours and vessels, exact and seeded."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from liversynth.errors import PlacementError
from liversynth.lesions.placement import (
    _all_valid_fft,
    _anchor,
    allowed_region,
    place_in_region,
    place_lesion,
)
from liversynth.lesions.shapes import procedural_lesion

SPACING = (2.5, 1.0, 1.0)


def _liver(shape=(24, 90, 90)) -> np.ndarray:
    z, y, x = np.indices(shape)
    return ((z - 12) * 2.5 / 28) ** 2 + ((y - 45) / 38) ** 2 + ((x - 45) / 36) ** 2 < 1


def test_every_placement_is_inside_the_margin_and_the_slice_range():
    liver = _liver()
    depth = ndimage.distance_transform_edt(np.pad(liver, 1), sampling=SPACING)[1:-1, 1:-1, 1:-1]
    region = allowed_region(liver, None, margin_mm=4.0, spacing_mm=SPACING)
    rng = np.random.default_rng(0)
    zs = np.flatnonzero(liver.any(axis=(1, 2)))
    for _ in range(15):
        mask, _ = procedural_lesion(rng, SPACING, max_diameter_mm=25)
        p = place_in_region(region, mask, rng)
        full = p.paste(mask, liver.shape)
        assert full.sum() == mask.sum()
        assert depth[full].min() > 4.0
        assert zs[0] <= p.bbox[0] and p.bbox[3] <= zs[-1] + 1
        assert liver[p.slices()][mask].all()


def test_existing_tumours_and_bright_vessels_are_avoided():
    liver = _liver()
    tumour = np.zeros_like(liver)
    tumour[8:16, 20:45, 20:70] = True
    hu = np.where(liver, 100.0, -100.0)
    hu[:, 60:64, 20:70] = 250.0  # a large bright vessel across the liver
    hu[12, 50, 50] = 400.0  # one noisy bright voxel: not a vessel
    region = allowed_region(
        liver, tumour, margin_mm=2.0, spacing_mm=SPACING, avoid_hu=180.0, hu_volume=hu
    )
    full = np.zeros(liver.shape, bool)
    o = region.offset
    full[
        o[0] : o[0] + region.mask.shape[0],
        o[1] : o[1] + region.mask.shape[1],
        o[2] : o[2] + region.mask.shape[2],
    ] = region.mask
    assert not (full & tumour).any() and not full[:, 60:64, 20:70].any()
    assert full[12, 50, 50]  # the single bright voxel does not block anything
    gap = ndimage.distance_transform_edt(~tumour, sampling=SPACING)
    assert gap[full].min() > 2.0
    rng = np.random.default_rng(1)
    for _ in range(10):
        mask, _ = procedural_lesion(rng, SPACING, max_diameter_mm=15)
        p = place_in_region(region, mask, rng)
        placed = p.paste(mask, liver.shape)
        assert not (placed & tumour).any() and not placed[:, 60:64, 20:70].any()


def test_same_seed_same_place():
    liver = _liver()
    mask, _ = procedural_lesion(np.random.default_rng(5), SPACING, max_diameter_mm=20)
    a = place_lesion(liver, None, mask, np.random.default_rng(9), margin_mm=3, spacing_mm=SPACING)
    b = place_lesion(liver, None, mask, np.random.default_rng(9), margin_mm=3, spacing_mm=SPACING)
    c = place_lesion(liver, None, mask, np.random.default_rng(10), margin_mm=3, spacing_mm=SPACING)
    assert a == b and a.centre != c.centre
    assert a.to_json()["bbox_zyx"] == list(a.bbox)


def test_clear_errors_when_nothing_fits():
    liver = _liver()
    huge = np.ones((30, 100, 100), bool)
    with pytest.raises(PlacementError, match="too large"):
        place_lesion(liver, None, huge, np.random.default_rng(0), margin_mm=3, spacing_mm=SPACING)
    thin = np.zeros((10, 40, 40), bool)
    thin[3:7, 10:30, 10:30] = True
    with pytest.raises(PlacementError, match="margin"):
        place_lesion(
            thin,
            None,
            np.ones((1, 2, 2), bool),
            np.random.default_rng(0),
            margin_mm=8,
            spacing_mm=SPACING,
        )
    with pytest.raises(PlacementError, match="empty"):
        place_lesion(
            np.zeros((5, 5, 5), bool),
            None,
            np.ones((1, 1, 1), bool),
            np.random.default_rng(0),
            margin_mm=1,
            spacing_mm=SPACING,
        )


def test_long_lesion_in_an_l_shaped_liver_matches_brute_force():
    # A bar fits only along one arm of an L: the inscribed-sphere shortcut cannot decide,
    # the exact check (and the FFT enumeration) must.
    liver = np.zeros((5, 40, 40), bool)
    liver[:, 2:8, 2:38] = True
    liver[:, 2:38, 2:8] = True
    region = allowed_region(liver, None, margin_mm=0.5, spacing_mm=(1.0, 1.0, 1.0))
    bar = np.ones((1, 2, 20), bool)
    anchor, r_in, _ = _anchor(bar, (1.0, 1.0, 1.0))
    cands = np.flatnonzero(region.depth_mm >= r_in)
    fft = {tuple(c) for c in _all_valid_fft(region.mask, bar, anchor, cands)}
    brute = set()
    for c in np.argwhere(region.mask):
        o = c - anchor
        if (o >= 0).all() and (o + bar.shape <= region.mask.shape).all():
            if region.mask[o[0] : o[0] + 1, o[1] : o[1] + 2, o[2] : o[2] + 20].all():
                brute.add(tuple(c))
    assert fft == brute and len(brute) > 0
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = place_in_region(region, bar, rng)
        assert liver[p.slices()].all()
