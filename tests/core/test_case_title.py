"""A case opened from a DICOM series folder is named after its case, not "PATIENT_DICOM"."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from liversynth.authoring.opening import case_title
from liversynth.volume import Case, Volume


def _case(meta: dict) -> Case:
    volume = Volume(np.zeros((2, 4, 4), np.int16), (1.0, 1.0, 1.0))
    volume.metadata.update(meta)
    return Case("x", volume)


def test_generic_series_folders_are_named_by_their_case(tmp_path: Path) -> None:
    series = tmp_path / "3Dircadb1.1" / "PATIENT_DICOM"
    assert case_title(series, _case({"format": "dicom"})) == "3Dircadb1.1"
    described = _case({"format": "dicom", "series_description": "Portal venous 1.6 mm"})
    assert case_title(series, described) == "3Dircadb1.1 · Portal venous 1.6 mm"
    assert case_title(tmp_path / "liver_ct", _case({"format": "dicom"})) == "liver_ct"
    assert case_title(tmp_path / "ct.nii.gz", _case({"format": "nifti"})) == "ct.nii.gz"
