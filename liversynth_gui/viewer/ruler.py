"""A ruler in millimetres for any image view (axial, coronal, sagittal, trainee views).

A two-handle :class:`pyqtgraph.LineSegmentROI` with a label that shows its length in mm.
The view's data coordinates are given a scale (``mm_per_unit_yx``): pixels with the voxel
spacing for an ImageItem in pixel units, ``(1, 1)`` for a view already in millimetres (the
coronal and sagittal planes). The length itself is :func:`liversynth.measurements.distance_mm`.

Example::

    ruler = Ruler(view_box, (10, 10), (10, 60), mm_per_unit_yx=(0.7, 0.7))
    ruler.length_mm()   # 35.0
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore

from liversynth.measurements import distance_mm

#: Ruler colour (yellow-orange, visible on grey CT and on the green liver tint).
RULER_RGB = (255, 190, 40)


class Ruler(QtCore.QObject):
    """A ruler on ``view_box`` between two points given as (row, col) in view data units.

    Signals:
        changed(float): the length in mm after a handle moved.
    """

    changed = QtCore.Signal(float)

    def __init__(
        self,
        view_box: pg.ViewBox,
        start_rc: tuple[float, float],
        end_rc: tuple[float, float],
        *,
        mm_per_unit_yx: tuple[float, float] = (1.0, 1.0),
    ) -> None:
        super().__init__()
        self.view_box = view_box
        self.mm_per_unit_yx = (float(mm_per_unit_yx[0]), float(mm_per_unit_yx[1]))
        pen = pg.mkPen(RULER_RGB, width=2)
        self.roi = pg.LineSegmentROI([(start_rc[1], start_rc[0]), (end_rc[1], end_rc[0])], pen=pen)
        self.roi.setZValue(40)
        self.label = pg.TextItem("", color=RULER_RGB, anchor=(0, 1), fill=(0, 0, 0, 160))
        self.label.setZValue(41)
        view_box.addItem(self.roi)
        view_box.addItem(self.label, ignoreBounds=True)
        self.roi.sigRegionChanged.connect(lambda _roi: self._update())
        self._update()

    def endpoints_rc(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The two ends as (row, col) in view data units."""
        pts = [self.roi.mapToParent(h.pos()) for h in self.roi.getHandles()]
        return (pts[0].y(), pts[0].x()), (pts[1].y(), pts[1].x())

    def length_mm(self) -> float:
        """Length of the ruler in mm."""
        a, b = self.endpoints_rc()
        return distance_mm(a, b, self.mm_per_unit_yx)

    def _update(self) -> None:
        a, b = self.endpoints_rc()
        length = self.length_mm()
        self.label.setText(f"{length:.1f} mm")
        self.label.setPos(max(a[1], b[1]), min(a[0], b[0]))
        self.changed.emit(length)

    def remove(self) -> None:
        """Take the ruler off its view."""
        self.view_box.removeItem(self.roi)
        self.view_box.removeItem(self.label)
