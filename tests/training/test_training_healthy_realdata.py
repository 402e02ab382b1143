"""Healthy-liver pairs from a label map outside the known layouts (TotalSegmentator, liver = 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model_training.__main__ import main


@pytest.mark.slow
@pytest.mark.realdata
def test_totalsegmentator_pair_gives_healthy_pairs_and_an_unmapped_one_is_refused_by_name(
    totalseg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image, seg = totalseg / "example_ct_dicom", totalseg / "example_seg_dicom.nii.gz"
    args = ["prepare", "--pair", str(image), str(seg), "--healthy-slices", "4", "--quiet"]
    assert main([*args, "--label-map", "5=1", "--out", str(tmp_path / "ok")]) == 0
    manifest = json.loads((tmp_path / "ok" / "manifest.json").read_text())
    assert manifest["slices"] == [] and manifest["label_map"] == {"5": 1}
    assert len(manifest["healthy"]) == 4 == manifest["healthy_counts"]["train"]  # one patient
    assert manifest["healthy_regions"]["train"] >= 4
    assert "healthy-liver pairs: 4 slices" in capsys.readouterr().out

    # Without the mapping the labels hold ids 0..117: the case is refused, naming the file.
    assert main([*args, "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "example_seg_dicom.nii.gz" in err and "SKIPPED" in err
