"""The lesion-stamp handle: a rectangle with a scale handle and a rotate handle.

Poses are exchanged in array terms — centre (row, col) as continuous indices (pixel centres at
integers), size (rows, cols) in pixels and angle in degrees as pyqtgraph draws it on the
row-down image (positive = clockwise on screen) — so the binding can hand them to the document.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

#: Handle radius in device-independent pixels at 96 dpi (pyqtgraph's 5 px is hard to hit).
HANDLE_RADIUS_PX = 9


def handle_radius_px() -> int:
    """:data:`HANDLE_RADIUS_PX` scaled by the screen's logical dpi (high-dpi laptops)."""
    screen = QtGui.QGuiApplication.primaryScreen()
    dpi = 96.0 if screen is None else float(screen.logicalDotsPerInch())
    return max(HANDLE_RADIUS_PX, round(HANDLE_RADIUS_PX * dpi / 96.0))


class StampRoi(pg.ROI):
    """A rotatable, scalable rectangle around the stamp; dragging its body moves it."""

    def __init__(self) -> None:
        pen = pg.mkPen((0, 220, 255), width=2, style=QtCore.Qt.PenStyle.DashLine)
        super().__init__((0, 0), (10, 10), pen=pen, movable=True, rotatable=True, resizable=True)
        self.handleSize = handle_radius_px()
        self.handlePen = pg.mkPen((255, 230, 120), width=2)
        self.hoverPen = pg.mkPen((120, 240, 255), width=2)
        # Scale about the centre (keeps the lesion where it is); rotate about the centre too.
        self.addScaleHandle([1, 1], [0.5, 0.5])
        self.addScaleHandle([0, 0], [0.5, 0.5])
        self.addRotateHandle([0.5, -0.25], [0.5, 0.5])
        self.setToolTip(
            "Drag to move · corner handles scale · round handle rotates · "
            "Enter commits · Esc cancels"
        )

    def set_pose(
        self, center_rc: tuple[float, float], size_rc: tuple[float, float], angle_deg: float
    ) -> None:
        """Place the ROI without emitting a change (the document already knows this pose)."""
        w, h = float(size_rc[1]), float(size_rc[0])
        a = math.radians(angle_deg)
        # pos is the rotated rectangle's origin corner: centre − R(angle)·(w/2, h/2).
        cx, cy = center_rc[1] + 0.5, center_rc[0] + 0.5
        ox = cx - (math.cos(a) * w / 2 - math.sin(a) * h / 2)
        oy = cy - (math.sin(a) * w / 2 + math.cos(a) * h / 2)
        self.blockSignals(True)
        try:
            self.setState({"pos": pg.Point(ox, oy), "size": pg.Point(w, h), "angle": angle_deg})
        finally:
            self.blockSignals(False)

    def pose(self) -> tuple[tuple[float, float], tuple[float, float], float]:
        """Current (centre (row, col), size (rows, cols), angle in degrees)."""
        size = self.size()
        centre = self.mapToParent(QtCore.QPointF(size[0] / 2, size[1] / 2))
        return (
            (centre.y() - 0.5, centre.x() - 0.5),
            (float(size[1]), float(size[0])),
            float(self.angle()),
        )
