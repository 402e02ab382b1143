"""``synthesize --contrast-hu LO:HI --heterogeneity LO:HI``: drawn per item, honoured, recorded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage
from synth_helpers import synth, write_case

from liversynth.io import load_volume
from model_training.__main__ import main


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_case(tmp_path_factory.mktemp("cases") / "healthy", seed=1, healthy=True)


def test_appearance_ranges_are_sampled_per_item_honoured_and_recorded(
    healthy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "o"
    manifest = synth(
        out,
        "--healthy",
        str(healthy),
        "--count",
        "3",
        "--filler",
        "mean",
        "--format",
        "nifti",
        "--contrast-hu",
        "-80:-10",
        "--heterogeneity",
        "0:0.6",
    )
    contrasts = set()
    for record in manifest["items"]:
        app = record["appearance"]
        assert -80 <= app["contrast_hu"] <= -10 and 0 <= app["heterogeneity"] <= 0.6
        contrasts.add(app["contrast_hu"])
        side = json.loads(next(out.glob(f"*{record['index']:05d}*.json")).read_text())
        assert side["appearance"] == app
        image = next(
            p for p in out.glob(f"*{record['index']:05d}*.nii.gz") if "label" not in p.name
        )
        labels = next(p for p in out.glob(f"*{record['index']:05d}*.nii.gz") if "label" in p.name)
        hu = load_volume(image).hu.astype(np.float64)
        lab = np.asarray(load_volume(labels).hu)
        lesion, liver = lab == 2, lab >= 1
        z = int(np.argmax(lesion.sum(axis=(1, 2))))
        dist = ndimage.distance_transform_edt(~lesion[z])
        ring = (dist >= 3) & (dist <= 15) & liver[z] & ~lesion[z]
        measured = hu[z][lesion[z]].mean() - np.median(hu[z][ring])
        assert abs(measured - app["contrast_hu"]) <= 10.0, (measured, app)
    assert len(contrasts) == 3  # drawn per item


def test_bad_ranges_are_refused(healthy: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(
            [
                "synthesize",
                "--out",
                str(tmp_path / "x"),
                "--healthy",
                str(healthy),
                "--heterogeneity",
                "0:2",
            ]
        )
