"""nnU-Net v2 raw output of ``synthesize`` and the structural checker."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from synth_helpers import write_case

from liversynth.export.nnunet import (
    check_nnunet_dataset,
    write_dataset_json,
    write_nnunet_case,
)
from liversynth.io import save_nifti
from model_training.__main__ import main


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("nn")
    healthy = write_case(root / "healthy", 1, healthy=True)
    raw = root / "nnUNet_raw"
    assert (
        main(
            ["synthesize", "--out", str(raw), "--healthy", str(healthy), "--count", "2"]
            + ["--format", "nnunet", "--workers", "1", "--dataset-id", "502"]
            + ["--dataset-name", "LiverSynthTest", "--quiet"]
        )
        == 0
    )
    assert [p.name for p in raw.iterdir()] == ["Dataset502_LiverSynthTest"]
    return raw / "Dataset502_LiverSynthTest"


def test_default_dataset_folder_and_refusals(tmp_path: Path, dataset: Path) -> None:
    healthy = dataset.parent.parent / "healthy"
    args = ["--healthy", str(healthy), "--count", "1", "--format", "nnunet", "--workers", "1"]
    assert main(["synthesize", "--out", str(tmp_path / "raw"), *args, "--quiet"]) == 0
    assert (tmp_path / "raw" / "Dataset501_LiverSynth" / "manifest.json").is_file()
    # Another dataset with id 501 in the same nnUNet_raw: nnU-Net would refuse it.
    bad = ["synthesize", "--out", str(tmp_path / "raw"), *args, "--dataset-name", "Other"]
    assert main(bad) == 2
    assert not (tmp_path / "raw" / "Dataset501_Other").exists()
    assert main(["synthesize", "--out", str(tmp_path / "x"), *args, "--dataset-id", "1000"]) == 2
    assert not (tmp_path / "x").exists()


def test_nnunet_v2_accepts_the_dataset(dataset: Path) -> None:
    pytest.importorskip(
        "nnunetv2", reason="nnU-Net v2 is not installed (optional extra: pip install .[nnunet])"
    )
    from nnunetv2.experiment_planning.verify_dataset_integrity import verify_dataset_integrity

    verify_dataset_integrity(str(dataset), num_processes=1)  # raises on any problem


def test_synthesized_dataset_passes(dataset):
    assert check_nnunet_dataset(dataset) == []
    meta = json.loads((dataset / "dataset.json").read_text())
    assert meta["channel_names"] == {"0": "CT"}
    assert meta["labels"] == {"background": 0, "liver": 1, "tumour": 2}
    assert meta["numTraining"] == 2 and meta["file_ending"] == ".nii.gz"
    assert sorted(p.name for p in (dataset / "imagesTr").iterdir()) == [
        "synth_00000_0000.nii.gz",
        "synth_00001_0000.nii.gz",
    ]
    assert sorted(p.name for p in (dataset / "provenance").iterdir()) == [
        "synth_00000.json",
        "synth_00001.json",
    ]
    lab = np.asarray(nib.load(dataset / "labelsTr" / "synth_00000.nii.gz").dataobj)
    assert set(np.unique(lab).tolist()) == {0, 1, 2}


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_checker_catches_broken_datasets(dataset, tmp_path):
    d = _copy(dataset, tmp_path / "a")
    (d / "labelsTr" / "synth_00001.nii.gz").unlink()
    problems = check_nnunet_dataset(d)
    assert any("without a label" in p for p in problems)
    assert any("numTraining 2 but 1" in p for p in problems)

    d = _copy(dataset, tmp_path / "b")
    meta = json.loads((d / "dataset.json").read_text())
    meta["labels"] = {"background": 0, "tumor": 1}
    del meta["file_ending"]
    (d / "dataset.json").write_text(json.dumps(meta))
    problems = check_nnunet_dataset(d)
    assert any("labels" in p for p in problems) and any("file_ending" in p for p in problems)

    d = _copy(dataset, tmp_path / "c")
    lab_path = d / "labelsTr" / "synth_00000.nii.gz"
    img = nib.load(lab_path)
    bad = np.asarray(img.dataobj).copy()
    bad[0, 0, 0] = 7
    nib.save(nib.Nifti1Image(bad, img.affine), lab_path)
    assert any("outside {0, 1, 2}" in p for p in check_nnunet_dataset(d))

    d = _copy(dataset, tmp_path / "d")
    save_nifti(
        np.zeros((3, 4, 5), np.uint8), (1, 1, 1), d / "labelsTr" / "synth_00000.nii.gz", labels=True
    )
    assert any("differs from label shape" in p for p in check_nnunet_dataset(d))

    d = _copy(dataset, tmp_path / "e")
    (d / "imagesTr" / "notes.txt").write_text("x")
    (d / "imagesTr" / "synth_00000_0000.nii.gz").rename(d / "imagesTr" / "synth_00000.nii.gz")
    problems = check_nnunet_dataset(d)
    assert any("unexpected file" in p for p in problems)
    assert any("label without an image" in p for p in problems)

    assert any("missing" in p for p in check_nnunet_dataset(tmp_path / "nothing"))


def test_writer_refuses_bad_cases(tmp_path):
    hu = np.zeros((2, 3, 4), np.int16)
    with pytest.raises(ValueError, match="case id"):
        write_nnunet_case(tmp_path, "bad id", hu, np.zeros_like(hu, np.uint8), (1, 1, 1))
    with pytest.raises(ValueError, match="outside"):
        write_nnunet_case(tmp_path, "ok", hu, np.full(hu.shape, 3, np.uint8), (1, 1, 1))
    with pytest.raises(ValueError, match="shape"):
        write_nnunet_case(tmp_path, "ok", hu, np.zeros((2, 3, 5), np.uint8), (1, 1, 1))
    write_nnunet_case(tmp_path, "ok", hu, np.ones_like(hu, np.uint8), (2.0, 1.0, 1.0))
    write_dataset_json(tmp_path, 1)
    assert check_nnunet_dataset(tmp_path) == []
