"""Measurements: the lesion's volume, HU statistics and RECIST axes, rulers and a circle ROI.

The numbers come from :mod:`liversynth.measurements`; this panel only shows them and puts
rulers / circles on the axial view. Slice numbers are 1-based, as everywhere a user reads them.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from liversynth.authoring import Document
from liversynth.measurements import circle_mask, largest_recist_axes_mm, roi_stats
from liversynth_gui.actions_3d import Actions3D
from liversynth_gui.binding import Connections
from liversynth_gui.viewer.ortho_views import PlaneView
from liversynth_gui.viewer.ruler import Ruler
from liversynth_gui.viewer.slice_view import SliceView

NO_LESION = "No lesion yet."
#: The read-out waits this long after the last edit (it measures every slice of the lesion;
#: keeping it off the stroke's release path keeps the fill's debounce honest).
REFRESH_DELAY_MS = 250


def describe_lesion_measures(doc: Document) -> str:
    """Multi-line read-out of the lesion (all slices): volume, HU, RECIST long × short axes."""
    if not doc.has_case:
        return NO_LESION
    slab = doc.lesion_volume(include_stamp=False)
    if slab is None:
        return NO_LESION
    assert doc.case is not None
    z0, mask = slab
    vol = doc.case.volume
    hu = np.asarray(vol.hu[z0 : z0 + mask.shape[0]], np.float32)
    stats = roi_stats(hu, mask, vol.spacing_mm)
    axes = largest_recist_axes_mm(mask, vol.spacing_mm)
    lines = [
        f"Lesion: {stats.volume_ml or 0.0:.2f} mL on slices {z0 + 1}–{z0 + mask.shape[0]}",
        f"Original HU inside: {stats.mean_hu:.0f} ± {stats.sd_hu:.0f}",
    ]
    if axes is not None:
        z, long_mm, short_mm = axes
        lines.append(
            f"RECIST: long {long_mm:.1f} mm × short {short_mm:.1f} mm (slice {z0 + z + 1})"
        )
    shown = doc.mask
    if shown.any():
        s2 = roi_stats(doc.slice_hu(), shown, vol.spacing_mm[1:])
        lines.append(f"This slice: {s2.describe()}")
    return "\n".join(lines)


class MeasurePanel(QtWidgets.QWidget):
    """Lesion read-out, circle-ROI read-out and the rulers on the axial view."""

    def __init__(
        self, actions: Actions3D, view: SliceView, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.doc: Document | None = None
        self._conns = Connections()
        self.rulers: list[Ruler] = []
        #: Views in millimetres (coronal, sagittal) that can hold a ruler too.
        self.planes: list[PlaneView] = []
        self.circle: pg.CircleROI | None = None
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        self.lesion = QtWidgets.QLabel(NO_LESION)
        self.lesion.setWordWrap(True)
        self.lesion.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.circle_text = QtWidgets.QLabel("")
        self.ruler_text = QtWidgets.QLabel("")
        for w in (self.lesion, self.circle_text, self.ruler_text):
            box.addWidget(w)
        self._refresh_timer = QtCore.QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        actions.add_ruler.triggered.connect(lambda: self.add_ruler())
        actions.add_circle.triggered.connect(self.add_circle)
        actions.clear_measurements.triggered.connect(self.clear)

    def bind(self, doc: Document) -> None:
        self._conns.clear()
        self.doc = doc
        self._conns.listen(doc.events.history_changed, self._refresh_timer.start)
        self._conns.listen(doc.events.slice_changed, lambda _z: self._refresh_timer.start())
        self._conns.listen(doc.events.volume_changed, self.clear)
        self.refresh()

    def refresh(self) -> None:
        if self.doc is None:
            return
        self.lesion.setText(describe_lesion_measures(self.doc))
        self._circle_changed()

    def _spacing_yx(self) -> tuple[float, float]:
        assert self.doc is not None and self.doc.case is not None
        _sz, sy, sx = self.doc.case.volume.spacing_mm
        return sy, sx

    def _centre(self) -> tuple[float, float]:
        r = self.view.view.viewRect()
        return r.center().y(), r.center().x()

    def _view_under_cursor(self) -> tuple[pg.ViewBox, tuple[float, float]]:
        """The view box the mouse is over (a plane view's data are in mm), default: axial."""
        widget = QtWidgets.QApplication.widgetAt(QtGui.QCursor.pos())
        while widget is not None:
            for plane in self.planes:
                if widget is plane:
                    return plane.box, (1.0, 1.0)
            widget = widget.parentWidget()
        return self.view.view, self._spacing_yx()

    def add_ruler(self, view_box: pg.ViewBox | None = None) -> Ruler | None:
        """A 30-mm ruler across the middle of a view (drag its ends).

        Args:
            view_box: where; default the view under the mouse (axial, coronal or sagittal).
        """
        if self.doc is None or not self.doc.has_case:
            return None
        if view_box is None:
            view_box, (sy, sx) = self._view_under_cursor()
        else:
            sy, sx = (1.0, 1.0) if view_box is not self.view.view else self._spacing_yx()
        centre = view_box.viewRect().center()
        row, col = centre.y(), centre.x()
        ruler = Ruler(
            view_box,
            (row, col - 15.0 / sx),
            (row, col + 15.0 / sx),
            mm_per_unit_yx=(sy, sx),
        )
        ruler.changed.connect(lambda mm: self.ruler_text.setText(f"Ruler: {mm:.1f} mm"))
        self.rulers.append(ruler)
        self.ruler_text.setText(f"Ruler: {ruler.length_mm():.1f} mm")
        return ruler

    def add_circle(self) -> None:
        """A circle ROI of 10 mm radius in the middle of the axial view."""
        if self.doc is None or not self.doc.has_case:
            return
        if self.circle is not None:
            self.view.view.removeItem(self.circle)
        sy, sx = self._spacing_yx()
        row, col = self._centre()
        r_px = 10.0 / sx
        self.circle = pg.CircleROI(
            (col - r_px, row - r_px), (2 * r_px, 2 * r_px), pen=(255, 120, 200)
        )
        self.circle.setZValue(40)
        self.circle.sigRegionChanged.connect(lambda _roi: self._circle_changed())
        self.view.view.addItem(self.circle)
        self._circle_changed()

    def _circle_changed(self) -> None:
        doc, circle = self.doc, self.circle
        if doc is None or circle is None or not doc.has_case:
            self.circle_text.setText("")
            return
        sy, sx = self._spacing_yx()
        pos, size = circle.pos(), circle.size()
        centre = (pos.y() + size.y() / 2.0, pos.x() + size.x() / 2.0)
        mask = circle_mask(doc.slice_shape, centre, size.x() / 2.0 * sx, (sy, sx))
        stats = roi_stats(doc.slice_hu(), mask, (sy, sx))
        self.circle_text.setText(f"Circle: {stats.describe()}")

    def clear(self) -> None:
        """Remove the rulers and the circle."""
        for ruler in self.rulers:
            ruler.remove()
        self.rulers.clear()
        if self.circle is not None:
            self.view.view.removeItem(self.circle)
            self.circle = None
        self.ruler_text.setText("")
        self.refresh()
