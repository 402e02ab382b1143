"""Lesion extraction (connected components, sizes in mm) and the one-file bank."""

from __future__ import annotations

import json

import numpy as np
import pytest

from liversynth.errors import LoadError
from liversynth.lesions.bank import LesionBank, extract_lesions
from liversynth.volume import Case, Volume


def _case(spacing=(2.0, 0.5, 1.0)) -> Case:
    """Liver 100 HU with two tumours (60 and 40 HU); one is diagonal-connected in 3-D."""
    hu = np.full((12, 40, 40), -100, np.int16)
    labels = np.zeros(hu.shape, np.uint8)
    labels[1:11, 2:38, 2:38] = 1
    hu[labels == 1] = 100
    labels[3:7, 5:13, 5:9] = 2  # 4 x 8 x 4 voxels = 8 x 4 x 4 mm
    hu[3:7, 5:13, 5:9] = 60
    labels[4, 20:24, 20:24] = 2
    labels[5, 24:28, 24:28] = 2  # touches the block above only at a corner: same lesion
    hu[labels == 2] = np.where(hu[labels == 2] == 60, 60, 40)
    return Case("toy", Volume(hu, spacing), labels)


def test_extract_components_sizes_and_stats():
    lesions = extract_lesions(_case())
    assert [les.component for les in lesions] == [1, 2]
    box = lesions[0]
    assert box.lesion_id == "toy#1"
    assert box.mask.shape == (4, 8, 4) and box.mask.all()
    assert box.bbox_start == (3, 5, 5) and box.slice_range == (3, 7)
    assert box.extent_mm == pytest.approx((8.0, 4.0, 4.0))
    assert box.volume_mm3 == pytest.approx(128 * 1.0)
    assert box.equivalent_diameter_mm == pytest.approx((6 * 128 / np.pi) ** (1 / 3))
    assert box.hu_stats["mean"] == pytest.approx(60) and box.hu_stats["std"] == pytest.approx(0)
    assert box.liver_mean_hu == pytest.approx(100)
    assert box.hu_patch.shape == box.mask.shape
    diag = lesions[1]
    assert diag.mask.shape == (2, 8, 8) and diag.mask.sum() == 32
    assert len(diag.slice_masks) == 2 and diag.slice_masks[0].sum() == 16


def test_small_components_are_skipped_and_hu_optional():
    lesions = extract_lesions(_case(), min_diameter_mm=5.5, keep_hu=False)
    assert [les.component for les in lesions] == [1]
    assert lesions[0].hu_patch is None and np.isnan(lesions[0].liver_mean_hu)


def test_case_without_labels_is_refused():
    case = _case()
    with pytest.raises(LoadError, match="no labels"):
        extract_lesions(Case("x", case.volume, None))


def test_bank_round_trip_without_pickle(tmp_path):
    bank = LesionBank(extract_lesions(_case()))
    path = bank.save(tmp_path / "bank.npz")
    with np.load(path, allow_pickle=False) as npz:  # must not need pickle
        header = json.loads(str(npz["index_json"][()]))
    assert header["lesions"][0]["lesion_id"] == "toy#1"
    again = LesionBank.load(path)
    assert len(again) == 2
    for a, b in zip(bank, again, strict=True):
        assert a.lesion_id == b.lesion_id and a.bbox_start == b.bbox_start
        np.testing.assert_array_equal(a.mask, b.mask)
        np.testing.assert_array_equal(a.hu_patch, b.hu_patch)
        assert a.hu_stats == b.hu_stats and a.spacing_mm == b.spacing_mm


def test_bank_refuses_other_files(tmp_path):
    np.savez(tmp_path / "other.npz", index_json=np.array(json.dumps({"format": "x"})))
    with pytest.raises(LoadError, match="not a lesion bank"):
        LesionBank.load(tmp_path / "other.npz")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(LoadError):
        LesionBank.load(tmp_path / "obj.npy")
    with pytest.raises(LoadError):
        LesionBank.load(tmp_path / "missing.npz")


@pytest.mark.slow
@pytest.mark.realdata
def test_bank_from_ircad11(ircad11, tmp_path):
    bank = LesionBank.from_cases([ircad11])
    assert len(bank) == 7  # the seven livertumor masks
    sizes = [les.equivalent_diameter_mm for les in bank]
    assert max(sizes) > 40 and min(sizes) > 5
    for les in bank:
        assert les.spacing_mm[1] == pytest.approx(0.57, abs=0.01)
        assert 40 < les.hu_stats["mean"] < 140 and 90 < les.liver_mean_hu < 140
    again = LesionBank.load(bank.save(tmp_path / "b.npz"))
    assert [les.lesion_id for les in again] == [les.lesion_id for les in bank]
