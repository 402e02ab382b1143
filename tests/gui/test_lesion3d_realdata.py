"""A 3-D stamp on the real healthy liver of 3D-IRCADb 1.7, end to end in a real window:
the mask spans the slices its size in mm says, every slice is filled, one undo removes it,
and the exported NIfTI label marks exactly those voxels."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gui_helpers import ConstantFiller
from PySide6 import QtCore, QtWidgets

from liversynth.volume import LIVER, TUMOUR, Case, Volume

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

#: Slices of the sub-volume kept around the liver's largest cross-section (load stays quick).
HALF_SLAB = 20


@pytest.fixture(scope="module")
def ircad17_slab(ircad17: Path) -> Case:
    """3Dircadb1.7 cut to 40 slices around its largest liver section (real spacing kept)."""
    from liversynth.io import load_case

    case = load_case(ircad17)
    assert case.labels is not None
    liver = case.labels == LIVER
    zc = int(np.argmax(liver.sum(axis=(1, 2))))
    z0, z1 = max(zc - HALF_SLAB, 0), zc + HALF_SLAB
    labels = np.where(liver[z0:z1], LIVER, 0).astype(np.uint8)  # its "tumour" lies outside
    vol = Volume(np.ascontiguousarray(case.volume.hu[z0:z1]), case.volume.spacing_mm, "ircad17")
    return Case("3Dircadb1.7-slab", vol, labels)


def test_3d_stamp_on_a_real_liver(
    make_window: Any,
    ircad17_slab: Case,
    dialog_log: Any,
    tmp_path: Path,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from liversynth.io import load_labels, load_volume
    from liversynth_gui import export_commands

    window = make_window()
    window.worker.set_filler(ConstantFiller())
    doc = window.doc
    doc.open_case(ircad17_slab)
    doc.set_slice(HALF_SLAB)
    for box in window.lesion3d.diameters:
        box.setValue(30.0)
    window.actions3d.place_stamp3d.trigger()
    assert doc.stamp is not None and doc.stamp.is_3d
    sz = doc.case.volume.spacing_mm[0]
    expected = 30.0 / sz  # 18.75 slices of 1.6 mm
    spanned = sorted(doc.stamp_slices())
    assert abs(len(spanned) - expected) <= 1.0 and HALF_SLAB in spanned
    assert spanned == list(range(spanned[0], spanned[-1] + 1))
    window.actions.commit_stamp.trigger()
    qtbot.waitUntil(lambda: doc.volume_fill is not None, timeout=10000)
    QtWidgets.QApplication.processEvents()
    assert doc.painted_slices() == spanned
    # In-plane diameter on the centre slice: 30 mm at 0.78 mm pixels.
    cols = np.flatnonzero(doc.mask_for(HALF_SLAB).any(axis=0))
    assert (cols[-1] - cols[0] + 1) * doc.case.volume.spacing_mm[2] == pytest.approx(30.0, abs=1.6)
    for z in spanned:
        filled = doc.volume_fill_slice(z)
        assert filled is not None, f"slice {z + 1} not filled"
        assert np.all(filled[doc.mask_for(z)] == 70.0)
    outside, outside_mm3, total = doc.lesion_outside_liver()
    assert total == int(sum(doc.mask_for(z).sum() for z in spanned))
    assert outside_mm3 == pytest.approx(outside * float(np.prod(doc.case.volume.spacing_mm)))
    assert (f"{outside} voxels" in window.view.banner.text()) == (outside > 0)
    # The 3-D volume is about an ellipsoid's (pi/6 d^3 = 14.1 mL).
    qtbot.waitUntil(lambda: "RECIST: long 3" in window.measure.lesion.text(), timeout=3000)
    window.actions.undo.trigger()
    assert doc.painted_slices() == []
    window.actions.redo.trigger()
    assert doc.painted_slices() == spanned
    monkeypatch.setattr(export_commands, "build_filler", lambda *_a: ConstantFiller())
    dialog_log.save_file = str(tmp_path / "synthetic.nii.gz")
    window.actions.export_nifti.trigger()
    qtbot.waitUntil(lambda: (tmp_path / "synthetic_labels.nii.gz").exists(), timeout=30000)
    assert not dialog_log.errors
    volume = load_volume(tmp_path / "synthetic.nii.gz")
    labels = load_labels(tmp_path / "synthetic_labels.nii.gz", like=volume)
    lesion = labels == TUMOUR
    assert sorted(np.flatnonzero(lesion.any(axis=(1, 2)))) == spanned
    for z in spanned:
        assert np.array_equal(lesion[z], doc.mask_for(z))
        assert np.all(volume.hu[z][lesion[z]] == 70)
    assert math.isclose(float(lesion.sum()), float(sum(doc.mask_for(z).sum() for z in spanned)))
    QtCore.QCoreApplication.processEvents()
