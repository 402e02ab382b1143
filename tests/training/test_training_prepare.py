"""``prepare``: tumour slices to npz + manifest, split by patient or lesion, bad cases reported."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model_training.prepare import prepare_dataset
from model_training.records import SliceRecord


def test_phantom_dataset_is_split_by_patient(phantom_dataset: Path) -> None:
    manifest = json.loads((phantom_dataset / "manifest.json").read_text())
    assert manifest["split_unit"] == "patient"
    assert set(manifest["split_patients"].values()) == {"train", "val", "test"}
    split_of: dict[str, str] = {}
    for meta in manifest["slices"]:
        assert split_of.setdefault(meta["patient"], meta["split"]) == meta["split"]
        record = SliceRecord.from_meta(meta).load_arrays(phantom_dataset)
        assert record.hu.dtype == np.int16 and record.liver.dtype == np.uint8
        assert record.lesion_mask().sum() == meta["lesion_px"] > 0
        # Every tumour pixel lies in the stored liver mask (LiTS labels: liver includes tumour).
        assert record.liver[record.lesion_mask()].all()
        if meta["split"] != "train":  # held-out slices stay whole for the evaluation
            assert tuple(meta["shape"]) == tuple(meta["full_shape"])
    assert manifest["skipped"] == []


def test_bad_case_is_skipped_and_reported(
    lits_phantoms: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "mixed"
    root.mkdir()
    for name in ("volume-0.nii.gz", "segmentation-0.nii.gz"):
        (root / name).write_bytes((lits_phantoms / name).read_bytes())
    (root / "volume-9.nii.gz").write_bytes(b"not a nifti at all")
    (root / "segmentation-9.nii.gz").write_bytes(b"nor this")
    manifest = prepare_dataset([root], tmp_path / "out", progress=False)
    assert [Path(s["source"]).name for s in manifest["skipped"]] == ["volume-9.nii.gz"]
    assert "SKIPPED" in capsys.readouterr().err
    saved = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert saved["skipped"] == manifest["skipped"]
    # One patient left: the split falls back to lesions, loudly.
    assert saved["split_unit"] == "lesion" and "LESION" in saved["warnings"][0]


def test_paper_slices_are_exported_on_request(lits_phantoms: Path, tmp_path: Path) -> None:
    one = tmp_path / "one"
    one.mkdir()
    for name in ("volume-1.nii.gz", "segmentation-1.nii.gz"):
        (one / name).write_bytes((lits_phantoms / name).read_bytes())
    manifest = prepare_dataset([one], tmp_path / "out", paper_slices=True, progress=False)
    folder = tmp_path / "out" / "paper_slices" / manifest["cases"][0]["name"]
    assert (folder / "slices.json").is_file()
    assert len(list(folder.glob("mask_*.png"))) == len(manifest["slices"])


def test_existing_dataset_is_not_overwritten(phantom_dataset: Path) -> None:
    with pytest.raises(FileExistsError):
        prepare_dataset([phantom_dataset], phantom_dataset, progress=False)


@pytest.mark.slow
@pytest.mark.realdata
def test_ircad11_has_74_tumour_slices_split_by_lesion(ircad11: Path, tmp_path: Path) -> None:
    manifest = prepare_dataset([ircad11], tmp_path / "ircad11", progress=False)
    assert len(manifest["slices"]) == 74
    assert manifest["split_unit"] == "lesion"
    assert manifest["counts"]["train"] > 0 and manifest["counts"]["test"] > 0
    assert manifest["counts"]["val"] > 0
    held = {k for k, v in manifest["split_lesions"].items() if v != "train"}
    for meta in manifest["slices"]:
        keys = {f"{meta['patient']}/{meta['case']}:{c}" for c in meta["components"]}
        if meta["split"] == "train":
            assert not keys & held
    sizes = sum(f.stat().st_size for f in (tmp_path / "ircad11").rglob("*.npz"))
    assert sizes < 30e6  # cropped and compressed
