"""``python -m model_training synthesize`` on tiny phantoms (no ../shared needed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from synth_helpers import check_item, placed_mask, same_files, synth, write_case

from liversynth.export.png import read_png16
from liversynth.export.pseudonym import Pseudonymizer
from liversynth.io import load_volume
from liversynth.io.cases import load_case
from liversynth.lesions.bank import LesionBank
from model_training.__main__ import main


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cases")
    return {
        "healthy": write_case(root / "healthy", 1, healthy=True),
        "donor": write_case(root / "donor", 2, healthy=False),
    }


def _png_item(out: Path, k: int):
    from PIL import Image

    hu = read_png16(out / f"item_{k:05d}.png")
    labels = np.asarray(Image.open(out / f"item_{k:05d}_label.png"))
    return hu, labels


@pytest.mark.parametrize("filler", ["procedural", "copy_paste", "mean"])
def test_png_items_are_labelled_exactly(cases, tmp_path, filler):
    healthy = load_case(cases["healthy"])
    bank_file = tmp_path / "bank.npz"
    args = ["--healthy", str(cases["healthy"]), "--count", "4", "--seed", "3", "--filler", filler]
    args += ["--workers", "1", "--lesions", str(cases["donor"]), "--save-bank", str(bank_file)]
    manifest = synth(tmp_path / "out", *args)
    bank = LesionBank.load(bank_file)
    assert [r["index"] for r in manifest["items"]] == [0, 1, 2, 3]
    for record in manifest["items"]:
        k, z = record["index"], record["slice"]
        hu, labels = _png_item(tmp_path / "out", k)
        placed = placed_mask(record, healthy.labels.shape, bank)[z]
        check_item(
            hu[None],
            labels[None],
            healthy.volume.hu[z][None],
            healthy.labels[z][None] >= 1,
            placed[None],
        )
        assert record["filler"]["filler"] == filler and record["lesion"]["kind"] == "bank"
        side = json.loads((tmp_path / "out" / f"item_{k:05d}.json").read_text())
        assert side["synthetic"] and side["seed"] == record["seed"] and side["filler"] == filler
        # The case name may be a patient's: a stable pseudonym stands in for it.
        assert side["source"] == Pseudonymizer().name(healthy.name) != healthy.name


def test_procedural_shapes_without_a_bank_and_volume_output(cases, tmp_path):
    healthy = load_case(cases["healthy"])
    manifest = synth(
        tmp_path / "o",
        "--healthy",
        str(cases["healthy"]),
        "--count",
        "2",
        "--format",
        "nifti",
        "--workers",
        "1",
    )
    for record in manifest["items"]:
        assert record["lesion"]["kind"] == "procedural" and record["slice"] is None
        stem = tmp_path / "o" / f"item_{record['index']:05d}"
        hu = load_volume(f"{stem}.nii.gz").hu
        labels = load_case(f"{stem}.nii.gz", labels=f"{stem}_label.nii.gz").labels
        placed = placed_mask(record, hu.shape, None)
        check_item(hu, labels, healthy.volume.hu, healthy.labels >= 1, placed)


@pytest.mark.slow
def test_same_seed_same_bytes_any_worker_count_and_only_item(cases, tmp_path):
    common = ["--healthy", str(cases["healthy"]), "--lesions", str(cases["donor"]), "--count", "4"]
    common += ["--seed", "11", "--filler", "procedural"]
    a = synth(tmp_path / "a", *common, "--workers", "1")
    b = synth(tmp_path / "b", *common, "--workers", "2")
    c = synth(tmp_path / "c", *common, "--workers", "1", "--only-item", "2")
    assert a["items"] == b["items"]
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    same_files(tmp_path / "a", tmp_path / "b", names)
    assert c["items"] == [a["items"][2]]
    same_files(tmp_path / "a", tmp_path / "c", [n for n in names if n.startswith("item_00002")])
    d = synth(tmp_path / "d", *common[:-4], "--seed", "12", "--workers", "1", "--only-item", "2")
    assert d["items"][0]["seed"] != c["items"][0]["seed"]


def test_nifti_gz_is_byte_identical(cases, tmp_path):
    common = [
        "--healthy",
        str(cases["healthy"]),
        "--count",
        "1",
        "--format",
        "nnunet",
        "--workers",
        "1",
    ]
    synth(tmp_path / "a" / "Dataset501_LiverSynth", *common)
    synth(tmp_path / "b" / "Dataset501_LiverSynth", *common)
    for sub in ("imagesTr/synth_00000_0000.nii.gz", "labelsTr/synth_00000.nii.gz", "dataset.json"):
        a, b = (tmp_path / x / "Dataset501_LiverSynth" / sub for x in "ab")
        assert a.read_bytes() == b.read_bytes()


def test_dicom_output(cases, tmp_path):
    manifest = synth(
        tmp_path / "o",
        "--healthy",
        str(cases["healthy"]),
        "--count",
        "1",
        "--format",
        "dicom",
        "--workers",
        "1",
    )
    folder = tmp_path / "o" / "item_00000"
    vol = load_volume(folder)
    label_volume = load_volume(tmp_path / "o" / "item_00000_label.nii.gz")
    labels = label_volume.hu
    assert (
        vol.hu.shape == labels.shape
        and (labels == 2).sum() == manifest["items"][0]["lesion_voxels"]
    )
    # Series, labels and source share one place in the patient (not 200 mm apart).
    source = load_volume(cases["healthy"] / "volume-0.nii.gz")
    np.testing.assert_allclose(vol.affine_lps, source.affine_lps, atol=1e-4)
    np.testing.assert_allclose(label_volume.affine_lps, source.affine_lps, atol=1e-4)
    assert (tmp_path / "o" / "item_00000_seg.dcm").is_file()
    assert "item_00000_seg.dcm" in manifest["items"][0]["files"]
    side = json.loads((tmp_path / "o" / "item_00000.json").read_text())
    assert side["synthetic"] and side["filler"] == "procedural"


def test_gan_with_a_tiny_random_checkpoint(cases, tmp_path):
    import hashlib

    import torch

    from liversynth.checkpoint import save_model
    from liversynth.networks import build_generator
    from liversynth.networks.config import ModelConfig

    torch.manual_seed(0)
    cfg = ModelConfig(crop_px=32, ngf=4, num_downs=5, n_layers=2)
    model = save_model(tmp_path / "tiny.safetensors", build_generator(cfg), cfg)
    manifest = synth(
        tmp_path / "o",
        "--healthy",
        str(cases["healthy"]),
        "--count",
        "2",
        "--filler",
        "gan",
        "--model",
        str(model),
        "--device",
        "cpu",
    )
    sha = hashlib.sha256(model.read_bytes()).hexdigest()
    assert manifest["model"] == {"file": "tiny.safetensors", "sha256": sha}
    side = json.loads((tmp_path / "o" / "item_00001.json").read_text())
    assert side["model"] == "tiny.safetensors" and side["model_sha256"] == sha


def test_user_errors_are_one_line(cases, tmp_path, capsys):
    assert (
        main(
            [
                "synthesize",
                "--healthy",
                str(cases["healthy"]),
                "--filler",
                "copy_paste",
                "--out",
                str(tmp_path / "x"),
            ]
        )
        == 2
    )
    assert "needs real lesions" in capsys.readouterr().err
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    assert (
        main(["synthesize", "--healthy", str(cases["healthy"]), "--out", str(tmp_path / "full")])
        == 2
    )
    assert "not empty" in capsys.readouterr().err
    assert (
        main(
            [
                "synthesize",
                "--healthy",
                str(cases["healthy"]),
                "--count",
                "3",
                "--only-item",
                "5",
                "--out",
                str(tmp_path / "y"),
            ]
        )
        == 2
    )
