"""NIfTI export with labels and sidecar, read back with liversynth.io."""

from __future__ import annotations

import json

import numpy as np
import pytest

from liversynth.export.nifti import save_nifti_with_labels
from liversynth.export.provenance import ProvenanceError
from liversynth.io import load_labels, load_volume
from liversynth.phantom import make_phantom


def test_round_trip(tmp_path) -> None:
    case = make_phantom(seed=4, shape=(12, 64, 64))
    image, labels, side = save_nifti_with_labels(
        case.volume.hu,
        case.labels,
        case.volume.spacing_mm,
        tmp_path / "synth.nii.gz",
        tmp_path / "synth_labels.nii.gz",
        {"source": case.name, "filler": "procedural", "model": None, "seed": 4},
    )
    vol = load_volume(image)
    np.testing.assert_array_equal(vol.hu, case.volume.hu)
    np.testing.assert_allclose(vol.spacing_mm, case.volume.spacing_mm, rtol=1e-5)
    np.testing.assert_array_equal(load_labels(labels, vol), case.labels)
    doc = json.loads(side.read_text())
    assert side.name == "synth.json"
    assert doc["labels_file"] == "synth_labels.nii.gz" and doc["filler"] == "procedural"


def test_refuses_before_writing(tmp_path) -> None:
    hu = np.zeros((2, 4, 4), np.int16)
    with pytest.raises(ProvenanceError):
        save_nifti_with_labels(
            hu,
            hu.astype(np.uint8),
            (1, 1, 1),
            tmp_path / "a.nii",
            tmp_path / "b.nii",
            {"PatientID": "x"},
        )
    assert not list(tmp_path.iterdir())
    with pytest.raises(ValueError):
        save_nifti_with_labels(
            hu,
            np.full((2, 4, 4), 5, np.uint8),
            (1, 1, 1),
            tmp_path / "a.nii",
            tmp_path / "b.nii",
            {},
        )
