"""Provenance sidecars: content, naming, and refusal of patient identifiers."""

from __future__ import annotations

import json
import math

import pytest

from liversynth.export.provenance import (
    ProvenanceError,
    check_provenance,
    sidecar_path,
    write_sidecar,
)


def test_sidecar_content(tmp_path) -> None:
    side = write_sidecar(
        tmp_path / "case_synth.nii.gz",
        {
            "source": "/data/patients/3Dircadb1.7",
            "filler": "gan",
            "model": "default.safetensors",
            "seed": 7,
            "metrics": {"psnr_slice": math.inf},
        },
    )
    assert side == tmp_path / "case_synth.json"
    doc = json.loads(side.read_text())
    assert doc["source"] == "3Dircadb1.7"  # folders stripped
    assert doc["filler"] == "gan" and doc["seed"] == 7 and doc["synthetic"] is True
    assert doc["version"] and doc["metrics"]["psnr_slice"] is None


def test_sidecar_paths(tmp_path) -> None:
    assert sidecar_path(tmp_path / "a.png") == tmp_path / "a.json"
    assert sidecar_path(tmp_path / "series") == tmp_path / "series.json"
    assert sidecar_path(tmp_path / "x.nii") == tmp_path / "x.json"


@pytest.mark.parametrize(
    "record",
    [
        {"PatientName": "Doe^John"},
        {"patient_id": "123"},
        {"extra": {"Patient Birth Date": "19700101"}},
        {"lesions": [{"InstitutionName": "IRCAD"}]},
        {"study_date": "20090527"},
    ],
)
def test_identifiers_refused(tmp_path, record) -> None:
    with pytest.raises(ProvenanceError):
        check_provenance(record)
    with pytest.raises(ProvenanceError):
        write_sidecar(tmp_path / "y.png", {"source": "a", **record})
    assert not (tmp_path / "y.json").exists()
