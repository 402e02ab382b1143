"""File ▸ Export: synthetic NIfTI + labels, PNG slices, the mask alone, DICOM; all marked
synthetic with a provenance sidecar and no patient identifiers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gui_helpers import ConstantFiller

from liversynth.volume import TUMOUR


@pytest.fixture
def painted(window: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The window with the real tumour whitened and exports using the fast test filler."""
    from liversynth_gui import export_commands

    monkeypatch.setattr(export_commands, "build_filler", lambda *_a: ConstantFiller())
    window.actions.whiten_tumour.trigger()
    assert window.doc.mask.any()
    return window


def test_export_nifti_writes_the_synthetic_volume_and_labels(
    painted: Any, dialog_log: Any, tmp_path: Path
) -> None:
    from liversynth.io import load_labels, load_volume

    doc = painted.doc
    dialog_log.save_file = str(tmp_path / "out.nii.gz")
    painted.actions.export_nifti.trigger()
    assert not dialog_log.errors
    volume = load_volume(tmp_path / "out.nii.gz")
    labels = load_labels(tmp_path / "out_labels.nii.gz", like=volume)
    z, mask = doc.slice_index, doc.mask
    assert np.all(volume.hu[z][mask] == 70)  # the filled lesion
    untouched = np.ones(volume.shape[0], bool)
    untouched[z] = False
    assert np.array_equal(volume.hu[untouched], doc.case.volume.hu[untouched])
    assert np.all(labels[z][mask] == TUMOUR)
    sidecar = json.loads((tmp_path / "out.json").read_text())
    assert sidecar["synthetic"] is True and sidecar["lesion_slices"] == [z]
    assert sidecar["filler"] == doc.filler_name


def test_export_png_and_mask(painted: Any, dialog_log: Any, tmp_path: Path) -> None:
    from liversynth.export.png import read_mask_png, read_png16
    from liversynth.io import load_labels, load_volume

    doc = painted.doc
    dialog_log.folder = str(tmp_path / "png")
    painted.actions.export_png.trigger()
    files = sorted(p.name for p in (tmp_path / "png").iterdir())
    stem = f"{doc.case.name}_z{doc.slice_index:04d}"
    assert f"{stem}_synthetic_hu16.png" in files and f"{stem}_mask.png" in files
    synthetic = read_png16(tmp_path / "png" / f"{stem}_synthetic_hu16.png")
    assert np.all(synthetic[doc.mask] == 70)
    assert np.array_equal(read_mask_png(tmp_path / "png" / f"{stem}_mask.png") > 0, doc.mask)

    dialog_log.save_file = str(tmp_path / "mask.nii.gz")
    painted.actions.export_mask.trigger()
    assert not dialog_log.errors
    mask3d = load_labels(tmp_path / "mask.nii.gz", like=load_volume(tmp_path / "mask.nii.gz"))
    assert np.array_equal(mask3d[doc.slice_index] > 0, doc.mask)
    assert mask3d.sum() == doc.mask.sum()


def test_export_dicom_is_deidentified_and_synthetic(
    painted: Any, dialog_log: Any, tmp_path: Path
) -> None:
    pydicom = pytest.importorskip("pydicom")
    dialog_log.folder = str(tmp_path / "dicom")
    painted.actions.export_dicom.trigger()
    assert not dialog_log.errors
    files = sorted((tmp_path / "dicom").glob("*.dcm"))
    assert len(files) == painted.doc.n_slices
    ds = pydicom.dcmread(files[0])
    assert "SYNTHETIC" in str(ds.get("SeriesDescription", "")).upper()
    assert str(ds.get("PatientName", "")) in ("", "ANONYMOUS", "SYNTHETIC")


def test_export_without_a_lesion_says_so(window: Any, dialog_log: Any) -> None:
    window.doc.clear_mask()
    assert not window.doc.painted_slices()
    window.actions.export_nifti.trigger()
    assert dialog_log.infos and dialog_log.infos[0][0] == "Nothing to export"


def test_exported_nifti_header_says_synthetic_and_sidecar_names_the_bundled_model(
    painted: Any, dialog_log: Any, tmp_path: Path
) -> None:
    import hashlib

    import nibabel as nib

    from liversynth.fillers.gan import default_model_path

    assert painted.doc.filler_name == "gan" and painted.doc.model_path is None  # bundled
    dialog_log.save_file = str(tmp_path / "out.nii.gz")
    painted.actions.export_nifti.trigger()
    assert not dialog_log.errors
    for name in ("out.nii.gz", "out_labels.nii.gz"):
        descrip = nib.load(tmp_path / name).header["descrip"].item().decode()
        assert descrip.startswith("SYNTHETIC") and "LiverSynth gan" in descrip, descrip
    sidecar = json.loads((tmp_path / "out.json").read_text())
    model = default_model_path()
    assert sidecar["model"] == model.name
    assert sidecar["model_sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
