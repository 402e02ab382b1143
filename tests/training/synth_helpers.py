"""Shared helpers of the synthesize tests: tiny phantom cases on disk and output checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy import ndimage

from liversynth.io import save_nifti
from liversynth.lesions.bank import LesionBank
from liversynth.lesions.shapes import make_shape
from liversynth.lesions.transforms import apply_transform
from liversynth.phantom import make_phantom
from model_training.__main__ import main

SHAPE = (20, 112, 112)


def write_case(folder: Path, seed: int, *, healthy: bool) -> Path:
    """A phantom as a LiTS pair ``volume-0.nii.gz`` + ``segmentation-0.nii.gz``."""
    case = make_phantom(seed=seed, shape=SHAPE)
    labels = case.labels.copy()
    if healthy:
        labels[labels == 2] = 1
    folder.mkdir(parents=True, exist_ok=True)
    # The phantom's own position (centred on the origin) and a non-RAS voxel order, so that
    # outputs must keep both.
    where = {"affine_lps": case.volume.affine_lps, "voxel_order": "LPS"}
    save_nifti(case.volume.hu, case.volume.spacing_mm, folder / "volume-0.nii.gz", **where)
    save_nifti(
        labels, case.volume.spacing_mm, folder / "segmentation-0.nii.gz", labels=True, **where
    )
    return folder


def synth(out: Path, *args: str) -> dict:
    """Run the CLI; returns the manifest."""
    assert main(["synthesize", "--out", str(out), *args]) == 0
    return json.loads((out / "manifest.json").read_text())


def placed_mask(record: dict, shape: tuple[int, ...], bank: LesionBank | None) -> np.ndarray:
    """Rebuild the lesion of a manifest record from its lesion id + transform + placement."""
    lesion = record["lesion"]
    if lesion["kind"] == "bank":
        mask = apply_transform(bank[lesion["bank_index"]].mask, record["transform"])
    else:
        mask = make_shape(lesion["shape"], tuple(record["transform"]["spacing_mm"]))
    out = np.zeros(shape, bool)
    z, y, x = record["placement"]["offset_zyx"]
    out[z : z + mask.shape[0], y : y + mask.shape[1], x : x + mask.shape[2]] = mask
    return out


def check_item(hu_out, labels_out, hu_healthy, liver_healthy, placed, band_px=3) -> None:
    """Tumour label == placed lesion, inside the liver; only lesion + band pixels changed."""
    tumour = labels_out == 2
    np.testing.assert_array_equal(tumour, placed)
    assert tumour.any() and liver_healthy[tumour].all()
    np.testing.assert_array_equal(labels_out[~tumour] == 1, liver_healthy[~tumour])
    near = np.stack([ndimage.distance_transform_edt(~t) <= band_px for t in tumour])
    changed = hu_out != hu_healthy
    assert not (changed & ~near).any()
    assert changed[tumour].mean() > 0.9


def same_files(a: Path, b: Path, names: list[str]) -> None:
    """Byte-identical files; provenance sidecars may differ only in their creation time."""
    for name in names:
        x, y = (a / name).read_bytes(), (b / name).read_bytes()
        if name.endswith(".json"):
            dx, dy = json.loads(x), json.loads(y)
            for key in ("created_utc", "run_id"):  # differ between runs by design
                dx.pop(key, None), dy.pop(key, None)
            assert dx == dy, name
        else:
            assert x == y, name
