"""The stamp's read-out follows its ROI when a scale or rotate handle is dragged with the
mouse (issue 14, defect 10: "centre read-out not updated after scaling")."""

from __future__ import annotations

from typing import Any

import pytest
from gui_helpers import send_mouse
from PySide6 import QtCore, QtTest, QtWidgets

Qt = QtCore.Qt


def _handle_point(window: Any, index: int) -> QtCore.QPoint:
    """Viewport position of ROI handle ``index`` (its centre on screen)."""
    handle = window.view.stamp_roi.handles[index]["item"]
    return window.view.mapFromScene(handle.scenePos())


def _drag_px(window: Any, start: QtCore.QPoint, offset: tuple[int, int]) -> None:
    vp = window.view.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    send_mouse(vp, QtCore.QEvent.Type.MouseMove, start, none, none)
    send_mouse(vp, QtCore.QEvent.Type.MouseButtonPress, start, left, left)
    end = start
    for k in range(1, 6):
        QtTest.QTest.qWait(15)
        end = start + QtCore.QPoint(offset[0] * k // 5, offset[1] * k // 5)
        send_mouse(vp, QtCore.QEvent.Type.MouseMove, end, none, left)
    send_mouse(vp, QtCore.QEvent.Type.MouseButtonRelease, end, left, none)
    QtWidgets.QApplication.processEvents()


def _read_out(window: Any) -> str:
    return window.stamp.pose_label.text()


@pytest.mark.parametrize("handle", [0, 1])
def test_scaling_with_a_corner_handle_updates_the_read_out(window: Any, handle: int) -> None:
    doc = window.doc
    doc.clear_mask()
    window.stamp.size_mm.setValue(20.0)
    window.actions.new_stamp.trigger()
    roi = window.view.stamp_roi
    before = doc.stamp.pose
    _drag_px(window, _handle_point(window, handle), (30, 18) if handle == 0 else (-30, -18))
    pose = doc.stamp.pose
    assert pose.scale_x > before.scale_x * 1.1  # the handle was hit and scaled the stamp
    (row, col), (rows, cols), angle = roi.pose()
    # The document, the drawn ROI and the read-out agree on the centre after the drag.
    assert pose.centre_rc == pytest.approx((row, col), abs=0.01)
    text = _read_out(window)
    assert f"centre row {row:.0f}, col {col:.0f}" in text, text
    assert f"×{pose.scale_x:.2f} / ×{pose.scale_y:.2f}" in text, text


def test_rotating_then_scaling_with_the_handles_updates_the_read_out(window: Any) -> None:
    doc = window.doc
    doc.clear_mask()
    window.stamp.size_mm.setValue(20.0)
    window.actions.new_stamp.trigger()
    roi = window.view.stamp_roi
    _drag_px(window, _handle_point(window, 2), (40, 10))  # the round rotate handle
    assert abs(doc.stamp.pose.angle_deg) > 5
    before = doc.stamp.pose
    _drag_px(window, _handle_point(window, 0), (25, 25))
    pose = doc.stamp.pose
    assert pose.scale_x != pytest.approx(before.scale_x, abs=0.05)
    (row, col), _, angle = roi.pose()
    assert pose.centre_rc == pytest.approx((row, col), abs=0.01)
    assert pose.angle_deg == pytest.approx(-angle, abs=0.01)
    text = _read_out(window)
    assert f"centre row {row:.0f}, col {col:.0f}" in text, text
    assert f"{pose.angle_deg:.0f}°" in text, text
