"""The lesion stamp: place, move/rotate/scale through the ROI, flip, commit (Enter) / cancel."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6 import QtCore

Qt = QtCore.Qt


def _inside_roi(roi: Any, mask: np.ndarray, tolerance_px: float = 1.0) -> float:
    """Fraction of mask pixels whose centre lies inside the ROI rectangle (local coordinates)."""
    rows, cols = np.nonzero(mask)
    w, h = roi.size()
    inside = 0
    for r, c in zip(rows, cols, strict=True):
        p = roi.mapFromParent(QtCore.QPointF(c + 0.5, r + 0.5))
        if (
            -tolerance_px <= p.x() <= w + tolerance_px
            and -tolerance_px <= p.y() <= h + tolerance_px
        ):
            inside += 1
    return inside / max(len(rows), 1)


def test_place_stamp_shows_roi_and_preview_and_switches_to_stamp_tool(
    window: Any, qtbot: Any
) -> None:
    doc = window.doc
    doc.clear_mask()
    window.stamp.size_mm.setValue(15.0)
    qtbot.keyClick(window.view, Qt.Key.Key_S)
    assert doc.stamp is not None
    assert window.view.stamp_roi is not None and window.view.tool.value == "stamp"
    preview = window.view.stamp_preview.image
    rendered = doc.stamp.render(doc.slice_shape)
    # Outline only by default (the live fill shows through); the View toggle tints it all.
    assert preview is not None and 0 < (preview > 0).sum() < rendered.sum()
    assert not ((preview > 0) & ~rendered).any()
    window.actions3d.filled_stamp_preview.setChecked(True)
    assert (window.view.stamp_preview.image > 0).sum() == rendered.sum()
    window.actions3d.filled_stamp_preview.setChecked(False)
    assert window.actions.commit_stamp.isEnabled() and window.actions.cancel_stamp.isEnabled()


def test_moving_rotating_and_scaling_the_roi_poses_the_stamp_then_enter_commits(
    window: Any, qtbot: Any
) -> None:
    doc = window.doc
    doc.clear_mask()
    window.stamp.size_mm.setValue(18.0)
    window.actions.new_stamp.trigger()
    roi = window.view.stamp_roi
    (r0, c0), (h0, w0), _ = roi.pose()
    # Move: drag the body by (+5 rows, −4 cols) as the ROI does (setPos on its origin).
    roi.setPos(roi.pos() + QtCore.QPointF(-4, 5))
    assert doc.stamp.pose.centre_rc == pytest.approx((r0 + 5, c0 - 4), abs=1e-6)
    # Rotate about the centre by 30° clockwise on screen → the document's angle is −30°.
    roi.rotate(30, center=(0.5, 0.5))
    assert doc.stamp.pose.angle_deg == pytest.approx(-30.0, abs=1e-6)
    assert doc.stamp.pose.centre_rc == pytest.approx((r0 + 5, c0 - 4), abs=1e-6)
    # Scale ×1.5 about the centre (what the corner handle does).
    roi.scale(1.5, center=(0.5, 0.5))
    assert doc.stamp.pose.scale_x == pytest.approx(1.5, rel=1e-6)
    assert doc.stamp.pose.scale_y == pytest.approx(1.5, rel=1e-6)
    rendered = doc.stamp.render(doc.slice_shape)
    # The rendered lesion sits inside the drawn rectangle: same centre, angle sign and scale.
    assert _inside_roi(roi, rendered) > 0.99
    rows, cols = np.nonzero(rendered)
    assert rows.mean() == pytest.approx(r0 + 5, abs=1.5)
    assert cols.mean() == pytest.approx(c0 - 4, abs=1.5)
    qtbot.keyClick(window.view, Qt.Key.Key_Return)
    assert doc.stamp is None and window.view.stamp_roi is None
    assert np.array_equal(doc.mask, rendered)
    assert doc.history.undo_label == "stamp"
    assert window.view.tool.value == "brush"  # back to the tool used before the stamp
    window.actions.undo.trigger()
    assert not doc.mask.any()


def test_a_rotated_elongated_stamp_turns_the_same_way_as_its_roi(window: Any) -> None:
    from liversynth.authoring import LesionStamp, StampPose

    doc = window.doc
    doc.clear_mask()
    bar = np.zeros((7, 31), dtype=bool)
    bar[2:5, 2:29] = True  # a horizontal bar
    doc.set_stamp(LesionStamp(bar, StampPose(centre_rc=(64.0, 64.0)), "bar"))
    roi = window.view.stamp_roi
    roi.rotate(45, center=(0.5, 0.5))  # clockwise on screen: the right end goes down
    rendered = doc.stamp.render(doc.slice_shape)
    assert rendered[64 + 8, 64 + 8] and not rendered[64 - 8, 64 + 8]
    assert _inside_roi(roi, rendered) > 0.99


def test_flip_buttons_and_escape_cancel(window: Any, qtbot: Any) -> None:
    doc = window.doc
    window.actions.new_stamp.trigger()
    window.stamp.flip_h.click()
    assert doc.stamp.pose.flip_h
    window.stamp.flip_v.click()
    assert doc.stamp.pose.flip_v
    before = doc.mask.copy()
    qtbot.keyClick(window.view, Qt.Key.Key_Escape)
    assert doc.stamp is None and window.view.stamp_roi is None
    assert np.array_equal(doc.mask, before)


def test_real_lesion_source_and_outside_liver_warning(window: Any) -> None:
    doc = window.doc
    doc.clear_mask()
    assert window.stamp.source.count() == 1 + len(doc.real_lesions()) > 1
    window.stamp.source.setCurrentIndex(1)
    window.actions.new_stamp.trigger()
    assert doc.stamp is not None and doc.stamp.origin.startswith("real lesion")
    lesion = doc.real_lesions()[0]
    assert lesion.z == doc.slice_index  # the demo slice holds the largest tumour
    # Put it back where it really is: entirely inside the liver, no warning.
    doc.update_stamp_pose(centre_rc=lesion.centre_rc)
    roi = window.view.stamp_roi
    assert roi.pose()[0] == pytest.approx(lesion.centre_rc, abs=1e-6)  # the ROI followed
    assert doc.mask_outside_liver_fraction(include_stamp=True) == 0.0
    assert window.view.banner.isHidden() and window.stamp.warning.text() == ""
    roi.setPos(QtCore.QPointF(2, 2))  # drag it to the top-left corner: air, outside the liver
    assert not window.view.banner.isHidden()
    assert "outside the liver" in window.view.banner.text()
    assert "outside the liver" in window.stamp.warning.text()


def test_dragging_the_roi_body_with_the_mouse_moves_the_stamp(window: Any) -> None:
    from gui_helpers import drag

    doc = window.doc
    doc.clear_mask()
    window.stamp.size_mm.setValue(30.0)
    window.actions.new_stamp.trigger()
    (r0, c0), _, _ = window.view.stamp_roi.pose()
    before = doc.mask.copy()
    drag(window.view, [(r0, c0), (r0 + 4, c0 + 2), (r0 + 10, c0 + 5)])
    r1, c1 = doc.stamp.pose.centre_rc
    assert r1 == pytest.approx(r0 + 10, abs=1.0) and c1 == pytest.approx(c0 + 5, abs=1.0)
    assert np.array_equal(doc.mask, before)  # in stamp mode a drag never paints


def test_the_floating_stamp_is_filled_live_while_it_moves(window: Any, qtbot: Any) -> None:
    doc = window.doc
    doc.clear_mask()
    window.stamp.size_mm.setValue(15.0)
    window.actions.new_stamp.trigger()
    qtbot.waitUntil(
        lambda: doc.last_fill_mask is not None and doc.last_fill_mask.any(), timeout=3000
    )
    assert np.array_equal(doc.last_fill_mask, doc.stamp.render(doc.slice_shape))
    assert not doc.mask.any()  # nothing committed yet
    roi = window.view.stamp_roi
    roi.setPos(roi.pos() + QtCore.QPointF(6, 0))  # drag 6 px to the right
    qtbot.waitUntil(
        lambda: np.array_equal(doc.last_fill_mask, doc.stamp.render(doc.slice_shape)),
        timeout=3000,
    )
    assert np.allclose(window.side.images["synthetic"].image[doc.last_fill_mask], 70.0)
