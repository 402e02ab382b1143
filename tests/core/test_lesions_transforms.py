"""Recorded lesion transforms: exact replay, geometry in mm, HU following the mask."""

from __future__ import annotations

import json

import numpy as np
import pytest

from liversynth.lesions.shapes import procedural_lesion
from liversynth.lesions.transforms import (
    apply_transform,
    apply_transform_with_hu,
    elastic,
    flip,
    random_transform,
    rotate,
    scale,
)


def _box(shape=(4, 10, 6)) -> np.ndarray:
    return np.ones(shape, bool)


@pytest.mark.parametrize("seed", range(6))
def test_replay_from_json_record_is_exact(seed):
    rng = np.random.default_rng(seed)
    mask, _ = procedural_lesion(rng, (2.0, 0.8, 0.8), max_diameter_mm=25)
    new, params = random_transform(mask, rng, (2.0, 0.8, 0.8), target_spacing_mm=(2.5, 0.7, 0.7))
    record = json.loads(json.dumps(params))  # JSON-able, and survives the round trip
    np.testing.assert_array_equal(apply_transform(mask, record), new)
    kinds = [op["op"] for op in record["ops"]]
    assert kinds[:4] == ["resample", "flip", "rotate", "scale"]


def test_flip_is_a_mirror_and_rotation_keeps_the_area():
    mask = np.zeros((3, 9, 7), bool)
    mask[:, 1:8, 1:3] = True
    mask[1, 1:3, 1:6] = True
    spec = {"spacing_mm": [1.0, 1.0, 1.0], "ops": [{"op": "flip", "axes": [1, 2]}]}
    np.testing.assert_array_equal(apply_transform(mask, spec), mask[:, ::-1, ::-1][:, 1:-1, 1:-1])
    rot = {"spacing_mm": [1.0, 1.0, 1.0], "ops": [{"op": "rotate", "angle_deg": 90}]}
    out = apply_transform(mask, rot)
    assert out.sum() == mask.sum() and out.shape == (3, 5, 7)


def test_rotation_is_done_in_mm_on_non_square_pixels():
    # 20 mm (y) x 4 mm (x) bar on 0.5 x 1.0 mm pixels, turned 90 degrees: 4 mm (y) x 20 mm (x).
    mask = np.ones((1, 40, 4), bool)
    spec = {"spacing_mm": [1.0, 0.5, 1.0], "ops": [{"op": "rotate", "angle_deg": 90}]}
    out = apply_transform(mask, spec)
    assert out.shape[1] * 0.5 == pytest.approx(4.0, abs=1.0)
    assert out.shape[2] * 1.0 == pytest.approx(20.0, abs=1.0)


def test_scale_and_resample_keep_physical_size():
    mask, _ = procedural_lesion(
        np.random.default_rng(1), (1.0, 1.0, 1.0), min_diameter_mm=20, max_diameter_mm=20
    )
    vol = mask.sum()
    iso = apply_transform(
        mask, {"spacing_mm": [1, 1, 1], "ops": [{"op": "scale", "factors": [1.5] * 3}]}
    )
    assert iso.sum() == pytest.approx(vol * 1.5**3, rel=0.08)
    aniso = apply_transform(
        mask, {"spacing_mm": [1, 1, 1], "ops": [{"op": "scale", "factors": [1.0, 2.0, 1.0]}]}
    )
    assert aniso.shape[1] == pytest.approx(2 * mask.shape[1], abs=2)
    moved = apply_transform(
        mask,
        {
            "spacing_mm": [1, 1, 1],
            "ops": [
                {"op": "resample", "from_spacing_mm": [1, 1, 1], "to_spacing_mm": [2.5, 0.5, 0.5]}
            ],
        },
    )
    assert moved.sum() * 2.5 * 0.25 == pytest.approx(vol, rel=0.08)


def test_tiny_lesion_never_vanishes():
    mask = np.ones((1, 1, 1), bool)
    rng = np.random.default_rng(0)
    for _ in range(10):
        new, params = random_transform(
            mask, rng, (5.0, 0.8, 0.8), target_spacing_mm=(5.0, 2.0, 2.0)
        )
        assert new.any()
        np.testing.assert_array_equal(apply_transform(mask, params), new)


def test_hu_patch_follows_the_mask():
    rng = np.random.default_rng(2)
    mask, _ = procedural_lesion(rng, (2.0, 1.0, 1.0), min_diameter_mm=15, max_diameter_mm=15)
    hu = np.where(mask, 50.0, 120.0).astype(np.float32)
    hu[:, : mask.shape[1] // 2] += 10.0  # an anterior/posterior gradient inside the lesion
    new, params = random_transform(mask, rng, (2.0, 1.0, 1.0))
    m2, h2 = apply_transform_with_hu(mask, hu, params)
    np.testing.assert_array_equal(m2, new)
    assert h2.shape == m2.shape
    inner = m2 & ~np.pad(~np.pad(m2, 1)[1:-1, 1:-1, 1:-1], 0)  # mask voxels
    assert 45 <= np.median(h2[inner]) <= 65


def test_unknown_op_and_bad_patch():
    with pytest.raises(ValueError, match="unknown"):
        apply_transform(_box(), {"spacing_mm": [1, 1, 1], "ops": [{"op": "shear"}]})
    with pytest.raises(ValueError, match="differs"):
        apply_transform_with_hu(_box(), np.zeros((2, 2, 2)), {"spacing_mm": [1, 1, 1], "ops": []})


def test_single_operations_return_their_record():
    mask, _ = procedural_lesion(np.random.default_rng(4), (2.0, 1.0, 1.0), max_diameter_mm=15)
    for fn, arg in ((flip, [0, 2]), (rotate, 30.0), (scale, 1.3), (scale, (1.0, 1.2, 0.8))):
        new, record = fn(mask, (2.0, 1.0, 1.0), arg)
        assert json.loads(json.dumps(record)) == record
        np.testing.assert_array_equal(apply_transform(mask, record), new)
    warped, record = elastic(mask, (2.0, 1.0, 1.0), 1.0, 4.0, seed=5)
    assert record["ops"][0]["seed"] == 5 and warped.sum() == pytest.approx(mask.sum(), rel=0.2)
    np.testing.assert_array_equal(apply_transform(mask, record), warped)
