"""The copy-paste filler: a real lesion moved, shifted to the target liver, seeded."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from liversynth.errors import LiverSynthError
from liversynth.fillers.base import FillHints, SliceFiller
from liversynth.fillers.copy_paste import CopyPasteFiller
from liversynth.fillers.registry import make_filler
from liversynth.lesions.bank import LesionBank, extract_lesions
from liversynth.lesions.transforms import apply_transform_with_hu, random_transform
from liversynth.volume import Case, Volume


def _donor_case() -> Case:
    """Liver at 150 HU with a 90 HU lesion whose left half is 20 HU darker."""
    rng = np.random.default_rng(0)
    z, y, x = np.indices((8, 60, 60))
    labels = np.ones((8, 60, 60), np.uint8)
    lesion = ((z - 4) * 2) ** 2 + (y - 30) ** 2 + (x - 30) ** 2 < 10**2
    labels[lesion] = 2
    hu = np.full(labels.shape, 150.0) + rng.normal(0, 5, labels.shape)
    hu[lesion] = 90.0
    hu[lesion & (x < 30)] = 70.0
    return Case("donor", Volume(hu.astype(np.float32), (2.0, 1.0, 1.0)), labels)


def _target():
    rng = np.random.default_rng(1)
    yy, xx = np.indices((96, 96))
    liver = np.ones((96, 96), bool)
    hu = (100.0 + rng.normal(0, 5, (96, 96))).astype(np.float32)
    mask = ((yy - 48) / 9) ** 2 + ((xx - 40) / 12) ** 2 < 1
    return hu, mask, liver


def test_needs_lesions():
    f = CopyPasteFiller()
    assert isinstance(f, SliceFiller) and f.name == "copy_paste"
    hu, mask, liver = _target()
    with pytest.raises(LiverSynthError, match="needs real lesions"):
        f.fill(hu, mask, liver_mask=liver, seed=0)
    no_hu = LesionBank(extract_lesions(_donor_case(), keep_hu=False))
    with pytest.raises(LiverSynthError, match="no lesion with HU"):
        CopyPasteFiller(no_hu).fill(hu, mask, seed=0)


def test_intensity_is_matched_to_the_target_liver(tmp_path):
    bank = LesionBank(extract_lesions(_donor_case()))
    path = bank.save(tmp_path / "bank.npz")
    f = make_filler("copy_paste", bank=path)  # loaded lazily from the file
    hu, mask, liver = _target()
    out = f.fill(hu, mask, liver_mask=liver, seed=0, spacing_mm=(1.0, 1.0))
    # Donor: lesion 70/90 HU in a 150 HU liver -> target liver 100 HU: lesion 20/40 HU.
    inner = ndimage.binary_erosion(mask, iterations=2)
    assert float(out[inner].mean()) == pytest.approx(30.0, abs=5)
    left = inner & (np.indices(mask.shape)[1] < 36)
    right = inner & (np.indices(mask.shape)[1] > 44)
    assert np.median(out[right]) - np.median(out[left]) == pytest.approx(20.0, abs=6)
    far = ndimage.distance_transform_edt(~mask) > 3
    np.testing.assert_array_equal(out[far], hu[far])
    np.testing.assert_array_equal(
        out, f.fill(hu, mask, liver_mask=liver, seed=0, spacing_mm=(1.0, 1.0))
    )


def test_donor_transform_moves_the_pixels_with_the_outline():
    case = _donor_case()
    bank = LesionBank(extract_lesions(case))
    les = bank[0]
    rng = np.random.default_rng(3)
    new_mask, params = random_transform(les.mask, rng, les.spacing_mm)
    vol = np.full((new_mask.shape[0] + 4, 90, 90), 150.0, np.float32)
    offset = (2, 20, 25)
    target = np.zeros(vol.shape, bool)
    target[2 : 2 + new_mask.shape[0], 20 : 20 + new_mask.shape[1], 25 : 25 + new_mask.shape[2]] = (
        new_mask
    )
    f = CopyPasteFiller(bank, band_px=0)
    out = f.fill_volume(
        vol,
        target,
        liver_zyx=np.ones(vol.shape, bool),
        seed=0,
        spacing_mm=les.spacing_mm,
        hints=FillHints(donor=0, donor_transform=params, donor_offset_zyx=offset),
    )
    _, expected = apply_transform_with_hu(les.mask, les.hu_patch, params)
    shift = 150.0 - les.liver_mean_hu
    got = out[target]
    want = expected[new_mask] + shift
    assert np.median(np.abs(got - want)) < 3.0  # same texture where the outline is
    assert not (out[~target] != vol[~target]).any()
