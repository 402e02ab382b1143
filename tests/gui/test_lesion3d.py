"""3-D authoring in the window: 3-D stamp, sphere brush, fill between slices, orthogonal views,
measurements, lesion banks; and issue 14 defect 1 (the panes stay on a floating stamp)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gui_helpers import widget_point
from PySide6 import QtCore, QtTest, QtWidgets

Qt = QtCore.Qt


def _settle(qtbot: Any, window: Any) -> None:
    """Let the debounce timer fire and the synchronous worker answer."""
    qtbot.waitUntil(lambda: not window.fill.timer.isActive(), timeout=3000)
    QtWidgets.QApplication.processEvents()


def test_panes_stay_on_a_floating_stamp_and_its_preview_is_an_outline(
    window: Any, qtbot: Any
) -> None:
    # Issue 14 defect 1: with an empty mask the panes used to fall back to whole-slice zoom
    # while a stamp floated, so the live fill was a dot; and the preview hid the fill.
    doc = window.doc
    doc.clear_mask()
    window.stamp.size_mm.setValue(15.0)
    window.actions.new_stamp.trigger()
    doc.update_stamp_pose(centre_rc=(70.0, 50.0))
    _settle(qtbot, window)
    assert doc.last_fill is not None and doc.last_fill_z == doc.slice_index
    rect = window.side.boxes["synthetic"].viewRect()
    width = doc.slice_shape[1]
    assert min(rect.width(), rect.height()) < 0.5 * width  # zoomed in, not the whole slice
    assert rect.contains(QtCore.QPointF(50.0, 70.0))  # on the stamp (x = col, y = row)
    drawn = doc.stamp_slice_mask()
    preview = window.view.stamp_preview.image > 0
    assert preview.sum() < 0.8 * drawn.sum() and not (preview & ~drawn).any()
    # The whitened input shows the floating stamp too (the white, outlined layer).
    assert (window.side.whitened.image[drawn] > 0).all()
    # Dragging on: the panes follow it.
    doc.update_stamp_pose(centre_rc=(60.0, 80.0))
    _settle(qtbot, window)
    assert window.side.boxes["synthetic"].viewRect().contains(QtCore.QPointF(80.0, 60.0))


def test_3d_stamp_commit_fills_every_slice_and_shows_in_the_other_views(
    window: Any, qtbot: Any
) -> None:
    doc = window.doc
    doc.clear_mask()
    z = doc.slice_index
    panel = window.lesion3d
    for box, value in zip(panel.diameters, (20.0, 20.0, 15.0), strict=True):
        box.setValue(value)
    window.actions3d.place_stamp3d.trigger()
    QtWidgets.QApplication.processEvents()
    spanned = sorted(doc.stamp_slices())
    assert len(spanned) == pytest.approx(15.0 / doc.case.volume.spacing_mm[0], abs=1)
    assert z in spanned and "slices" in panel.info.text()
    qtbot.waitUntil(lambda: window.coronal.stamp_layer.image is not None, timeout=3000)
    qtbot.keyClick(window.view, Qt.Key.Key_Return)
    _settle(qtbot, window)
    assert doc.painted_slices() == spanned and doc.history.undo_label == "3-D stamp"
    assert doc.volume_fill is not None and doc.volume_fill_is_current()
    for k in spanned:
        filled = doc.volume_fill_slice(k)
        assert filled is not None and np.all(filled[doc.mask_for(k)] == 70.0)
    assert panel.progress.value() == panel.progress.maximum() == len(spanned)
    # Coronal lesion layer: one row per lesion slice (superior at the top of the image).
    qtbot.waitUntil(lambda: window.coronal.layers["lesion"].image is not None, timeout=3000)
    lesion_rows = np.flatnonzero(window.coronal.layers["lesion"].image.any(axis=1))
    assert len(lesion_rows) >= len(spanned) - 1
    qtbot.waitUntil(lambda: "RECIST" in window.measure.lesion.text(), timeout=3000)
    assert "mL" in window.measure.lesion.text()
    window.actions.undo.trigger()
    assert doc.painted_slices() == []


def test_click_in_coronal_moves_the_slice_and_crosshair(window: Any, qtbot: Any) -> None:
    doc = window.doc
    cor = window.coronal
    nz = doc.n_slices
    sz, _sy, sx = doc.case.volume.spacing_mm
    rect = cor.image.mapRectToParent(cor.image.boundingRect())
    assert rect.height() == pytest.approx(nz * sz) and rect.width() == pytest.approx(128 * sx)
    target_z, target_col = 3, 40
    scene = cor.box.mapViewToScene(
        QtCore.QPointF((target_col + 0.5) * sx, (nz - 1 - target_z + 0.5) * sz)
    )
    QtTest.QTest.mouseClick(cor.viewport(), Qt.MouseButton.LeftButton, pos=cor.mapFromScene(scene))
    QtWidgets.QApplication.processEvents()
    assert doc.slice_index == target_z and window.ortho.col == target_col
    assert window.ortho.axial_v.value() == pytest.approx(target_col + 0.5)
    window.actions3d.grid_layout.trigger()
    assert window.views.is_grid and window.views.extra.isVisible()
    window.actions3d.grid_layout.trigger()
    assert not window.views.is_grid


def test_sphere_brush_and_fill_between_slices_are_single_steps(window: Any, qtbot: Any) -> None:
    doc = window.doc
    doc.clear_mask()
    z = doc.slice_index
    window.lesion3d.brush3d.setChecked(True)
    window.lesion3d.radius_mm.setValue(6.0)
    pt = widget_point(window.view, 60, 60)
    QtTest.QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=pt)
    QtWidgets.QApplication.processEvents()
    assert doc.painted_slices() == [z - 2, z - 1, z, z + 1, z + 2]  # 6 mm at 2.5 mm slices
    assert doc.history.undo_label == "3-D brush"
    window.actions.undo.trigger()
    window.lesion3d.brush3d.setChecked(False)
    yy, xx = np.mgrid[:128, :128]
    doc.set_mask((yy - 60) ** 2 + (xx - 60) ** 2 <= 25, z=z - 3)
    doc.set_mask((yy - 64) ** 2 + (xx - 64) ** 2 <= 81, z=z + 3)
    window.actions3d.fill_between.trigger()
    assert doc.painted_slices() == list(range(z - 3, z + 4))
    window.actions.undo.trigger()
    assert doc.painted_slices() == [z - 3, z + 3]


def test_ruler_circle_and_a_bank_from_another_case(window: Any, qtbot: Any, tmp_path: Path) -> None:
    from liversynth.lesions.bank import LesionBank
    from liversynth.phantom import make_phantom

    ruler = window.measure.add_ruler()
    sy, sx = window.doc.case.volume.spacing_mm[1:]
    assert ruler is not None and ruler.length_mm() == pytest.approx(30.0, abs=0.01)
    assert "30.0 mm" in window.measure.ruler_text.text()
    on_coronal = window.measure.add_ruler(window.coronal.box)  # a plane view is in mm
    assert on_coronal is not None and on_coronal.length_mm() == pytest.approx(30.0, abs=0.01)
    window.actions3d.add_circle.trigger()
    assert "HU" in window.measure.circle_text.text() and "cm²" in window.measure.circle_text.text()
    window.actions3d.clear_measurements.trigger()
    assert not window.measure.rulers and window.measure.circle is None
    # Another case's lesions, through a saved bank file.
    other = make_phantom(seed=3, shape=(16, 128, 128))
    bank_path = LesionBank.from_case_objects([other]).save(tmp_path / "bank.npz")
    window.three_d.load(bank_path)
    combo = window.lesion3d.source
    entries = [combo.itemText(i) for i in range(combo.count())]
    assert len(entries) > 2 and all("mL" in e and "phantom-3 slices" in e for e in entries[2:])
    combo.setCurrentIndex(2)
    window.actions3d.place_stamp3d.trigger()
    assert window.doc.stamp is not None and window.doc.stamp.is_3d
    assert "phantom-3" in window.doc.stamp.origin
