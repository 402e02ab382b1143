"""The procedural filler: relative to the liver, soft-edged, local, seeded, coherent in 3-D."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from liversynth.fillers.base import SliceFiller
from liversynth.fillers.procedural import ProceduralFiller
from liversynth.fillers.registry import available_fillers, make_filler


def _slice(seed=0, liver_hu=110.0):
    rng = np.random.default_rng(seed)
    yy, xx = np.indices((96, 96))
    liver = ((yy - 48) / 40) ** 2 + ((xx - 48) / 40) ** 2 < 1
    hu = np.where(liver, liver_hu, -80.0) + rng.normal(0, 12, (96, 96))
    mask = ((yy - 50) / 10) ** 2 + ((xx - 46) / 8) ** 2 < 1
    return hu.astype(np.float32), mask, liver


def _band(mask, px):
    return ndimage.distance_transform_edt(~mask) <= px


def test_protocol_and_registry():
    f = ProceduralFiller()
    assert isinstance(f, SliceFiller) and f.name == "procedural" and f.device == "cpu"
    assert "procedural" in available_fillers()
    assert make_filler("procedural", mode="hyper").mode == "hyper"
    with pytest.raises(ValueError):
        ProceduralFiller(mode="purple")


def test_only_lesion_and_band_change_and_lesion_is_darker_than_liver():
    hu, mask, liver = _slice()
    f = ProceduralFiller(band_px=2)
    for seed in range(5):
        out = f.fill(hu, mask, liver_mask=liver, seed=seed)
        assert out.dtype == np.float32 and out.shape == hu.shape
        changed = out != hu
        assert not (changed & ~_band(mask, 3)).any()
        assert changed[mask].mean() > 0.95
        ring = _band(mask, 10) & ~_band(mask, 4) & liver
        params = f.params(seed)
        delta = float(np.median(out[mask]) - np.median(hu[ring]))
        assert -85 < delta < -10
        # Deep inside, the lesion sits at delta_hu (plus up to core_delta_hu) below the liver.
        inner = ndimage.binary_erosion(mask, iterations=3)
        deep = float(np.median(out[inner]) - np.median(hu[ring]))
        lo = params.delta_hu + params.core_delta_hu - 12
        assert lo < deep < params.delta_hu * 0.7 + 12


def test_follows_the_liver_level_and_hyper_mode():
    hu, mask, liver = _slice(liver_hu=60.0)
    out = ProceduralFiller().fill(hu, mask, liver_mask=liver, seed=1)
    assert np.median(out[mask]) < 55  # relative to a 60 HU liver, not an absolute level
    bright = ProceduralFiller(mode="hyper").fill(hu, mask, liver_mask=liver, seed=1)
    assert np.median(bright[mask]) > 70


def test_seeded_and_edge_is_soft():
    hu, mask, liver = _slice()
    f = ProceduralFiller(band_px=2)
    a = f.fill(hu, mask, liver_mask=liver, seed=3)
    np.testing.assert_array_equal(a, f.fill(hu, mask, liver_mask=liver, seed=3))
    assert not np.array_equal(a, f.fill(hu, mask, liver_mask=liver, seed=4))
    just_outside = _band(mask, 1) & ~mask
    assert (a[just_outside] != hu[just_outside]).mean() > 0.9  # blended, not a hard cut


def test_empty_mask_returns_a_copy_and_bad_shapes_fail():
    hu, mask, liver = _slice()
    out = ProceduralFiller().fill(hu, np.zeros_like(mask), seed=0)
    np.testing.assert_array_equal(out, hu)
    with pytest.raises(ValueError):
        ProceduralFiller().fill(hu, mask[:10])


def test_volume_fill_is_coherent_between_slices():
    rng = np.random.default_rng(0)
    z, y, x = np.indices((9, 64, 64))
    liver = np.ones((9, 64, 64), bool)
    hu = (100 + rng.normal(0, 10, liver.shape)).astype(np.float32)
    ball = ((z - 4) * 2.0) ** 2 + ((y - 32) * 0.8) ** 2 + ((x - 32) * 0.8) ** 2 < 12**2
    f = ProceduralFiller()
    new = f.fill_slices(hu, ball, liver, seed=5, spacing_mm=(2.0, 0.8, 0.8))
    assert sorted(new) == [z for z in range(9) if ball[z].any()]
    vol = f.fill_volume(hu, ball, liver_zyx=liver, seed=5, spacing_mm=(2.0, 0.8, 0.8))
    for zz, sl in new.items():
        np.testing.assert_array_equal(vol[zz], sl)
    # One 3-D texture field: neighbouring slices' lesion texture is correlated.
    common = ball[3] & ball[4]
    a = vol[3][common] - hu[3][common]
    b = vol[4][common] - hu[4][common]
    a, b = a - a.mean(), b - b.mean()
    assert float((a * b).mean() / (a.std() * b.std())) > 0.2
