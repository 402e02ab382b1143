"""Keeps the coronal and sagittal views and the crosshair in step with the document.

The crosshair is a view state (like zoom): ``(row, col)`` on the axial slice, with the
document's slice index as its third coordinate. It follows a click in any view, the start
of a brush stroke, and the cursor over the axial view while Shift is held (ITK-SNAP's habit).
A click in the coronal or sagittal view moves the axial slice there, so the comparison
panes (which show the axial slice) follow the lesion in 3-D.

The planes show what the axial view shows: the original, or with "show synthetic" (V) the
last 3-D fill wherever it covers the plane, plus liver / tumour layers, and the lesion and the
floating stamp's full 3-D extent as outlines (so the synthetic tissue inside shows).
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets
from scipy import ndimage

from liversynth.authoring import Document
from liversynth.volume import LIVER, TUMOUR
from liversynth_gui.binding import Connections
from liversynth_gui.viewer.ortho_views import PlaneView, crosshair_line
from liversynth_gui.viewer.slice_view import SliceView

Qt = QtCore.Qt

#: Delay before the planes redraw the lesion after an edit, ms (edits come in bursts).
LESION_REDRAW_MS = 120


class OrthoBinding(QtCore.QObject):
    """Coronal + sagittal + axial crosshair, bound to a document.

    Signals:
        crosshairMoved(z, row, col): the crosshair's voxel.
    """

    crosshairMoved = QtCore.Signal(int, int, int)

    def __init__(
        self,
        axial: SliceView,
        coronal: PlaneView,
        sagittal: PlaneView,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.axial, self.coronal, self.sagittal = axial, coronal, sagittal
        self.doc: Document | None = None
        self._conns = Connections()
        self.row = self.col = 0
        self.show_synthetic = False
        # A 3-D edit announces every slice it touched: redraw the planes once per burst, and
        # after the fill's debounce has had its turn (the release of a stroke stays light).
        self._lesion_timer = QtCore.QTimer(self)
        self._lesion_timer.setSingleShot(True)
        self._lesion_timer.setInterval(LESION_REDRAW_MS)
        self._lesion_timer.timeout.connect(self.redraw_lesion)
        self.axial_v, self.axial_h = crosshair_line(90), crosshair_line(0)
        for line in (self.axial_v, self.axial_h):
            axial.view.addItem(line, ignoreBounds=True)
        coronal.clicked.connect(lambda z, col: self._clicked(z, self.row, col))
        sagittal.clicked.connect(lambda z, row: self._clicked(z, row, self.col))
        coronal.stepRequested.connect(lambda s: self.set_crosshair(self.row - s, self.col))
        sagittal.stepRequested.connect(lambda s: self.set_crosshair(self.row, self.col + s))
        axial.strokeEvent.connect(self._on_stroke)
        axial.hovered.connect(self._on_hover)

    # -- document ---------------------------------------------------------------------------
    def bind(self, doc: Document) -> None:
        self._conns.clear()
        self.doc = doc
        ev = doc.events
        self._conns.listen(ev.volume_changed, self._volume_changed)
        self._conns.listen(ev.slice_changed, lambda _z: self._moved())
        self._conns.listen(ev.window_changed, lambda _w: self._levels())
        self._conns.listen(ev.mask_changed, self._mask_changed)
        self._conns.listen(ev.history_changed, self._lesion_timer.start)
        self._conns.listen(ev.stamp_changed, lambda _s: self._lesion_timer.start())
        self._conns.listen(ev.fill_changed, self._fill_changed)
        self._volume_changed()

    def _mask_changed(self, _z: int) -> None:
        doc = self.doc
        if doc is not None and not doc.stroke_active:  # a stroke is redrawn when it ends
            self._lesion_timer.start()

    def _volume_changed(self) -> None:
        doc = self.doc
        if doc is None or doc.case is None:
            return
        nz, rows, cols = doc.case.volume.shape
        sz, sy, sx = doc.case.volume.spacing_mm
        self.coronal.set_geometry(nz, cols, sz, sx)
        self.sagittal.set_geometry(nz, rows, sz, sy)
        # Non-square in-plane pixels: one column is sx/sy times as wide as one row is high.
        self.axial.view.setAspectLocked(True, ratio=sx / sy)
        centre = doc.default_stamp_centre()
        self.row, self.col = int(centre[0]), int(centre[1])
        self.redraw()

    def set_show_synthetic(self, on: bool) -> None:
        self.show_synthetic = bool(on)
        self.redraw()

    def _fill_changed(self) -> None:
        if self.show_synthetic:
            self.redraw_images()

    # -- crosshair --------------------------------------------------------------------------
    def set_crosshair(self, row: int, col: int, z: int | None = None) -> None:
        """Move the crosshair to ``(row, col)`` (and slice ``z`` when given)."""
        doc = self.doc
        if doc is None or doc.case is None:
            return
        rows, cols = doc.slice_shape
        self.row = min(max(int(row), 0), rows - 1)
        self.col = min(max(int(col), 0), cols - 1)
        if z is not None and z != doc.slice_index:
            doc.set_slice(z)  # redraws through slice_changed
            return
        self._moved()

    def _clicked(self, z: int, row: int, col: int) -> None:
        self.set_crosshair(row, col, z)

    def _on_stroke(self, phase: str, row: int, col: int) -> None:
        if phase == "start":
            self.set_crosshair(row, col)

    def _on_hover(self, row: int, col: int) -> None:
        mods = QtWidgets.QApplication.keyboardModifiers()
        if mods & Qt.KeyboardModifier.ShiftModifier:
            self.set_crosshair(row, col)

    def _moved(self) -> None:
        self.redraw()
        doc = self.doc
        if doc is not None and doc.has_case:
            self.crosshairMoved.emit(doc.slice_index, self.row, self.col)

    # -- drawing ----------------------------------------------------------------------------
    def _levels(self) -> None:
        doc = self.doc
        if doc is None or not doc.has_case:
            return
        levels = (doc.window.low, doc.window.high)
        self.coronal.set_levels(levels)
        self.sagittal.set_levels(levels)

    def redraw(self) -> None:
        """Everything: planes, layers and crosshair lines."""
        self.redraw_images()
        self.redraw_lesion()
        self._draw_crosshair()

    def _planes(self, volume: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return volume[:, self.row, :], volume[:, :, self.col]

    def redraw_images(self) -> None:
        doc = self.doc
        if doc is None or doc.case is None:
            return
        hu = doc.case.volume.hu
        cor = np.asarray(hu[:, self.row, :], np.float32)
        sag = np.asarray(hu[:, :, self.col], np.float32)
        fill = doc.volume_fill
        if self.show_synthetic and fill is not None:
            z0, z1 = fill.z0, fill.z0 + fill.filled_zyx.shape[0]
            cor[z0:z1] = fill.filled_zyx[:, self.row, :]
            sag[z0:z1] = fill.filled_zyx[:, :, self.col]
        levels = (doc.window.low, doc.window.high)
        self.coronal.set_plane(cor, levels)
        self.sagittal.set_plane(sag, levels)
        labels = doc.case.labels
        for name, values in (("liver", (LIVER, TUMOUR)), ("tumour", (TUMOUR,))):
            if labels is None:
                self.coronal.set_layer(name, None)
                self.sagittal.set_layer(name, None)
                continue
            cor_lab, sag_lab = self._planes(labels)
            self.coronal.set_layer(name, np.isin(cor_lab, values))
            self.sagittal.set_layer(name, np.isin(sag_lab, values))

    def redraw_lesion(self) -> None:
        """The lesion mask and the floating stamp in both planes (cheap: slices with lesion)."""
        doc = self.doc
        if doc is None or doc.case is None:
            return
        nz, rows, cols = doc.case.volume.shape
        for name, masks in (
            ("lesion", {z: doc.mask_for(z) for z in doc.painted_slices()}),
            ("stamp", doc.stamp_slices()),
        ):
            cor = np.zeros((nz, cols), bool)
            sag = np.zeros((nz, rows), bool)
            for z, m in masks.items():
                cor[z] = m[self.row, :]
                sag[z] = m[:, self.col]
            # Outlines: the (synthetic) tissue inside stays visible in the reformatted planes.
            self.coronal.set_layer(name, outline(cor))
            self.sagittal.set_layer(name, outline(sag))

    def _draw_crosshair(self) -> None:
        doc = self.doc
        if doc is None or not doc.has_case:
            return
        z = doc.slice_index
        before = (self.axial_v.value(), self.axial_h.value())
        self.coronal.set_crosshair(z, self.col)
        self.sagittal.set_crosshair(z, self.row)
        self.axial_v.setValue(self.col + 0.5)
        self.axial_h.setValue(self.row + 0.5)
        if (self.axial_v.value(), self.axial_h.value()) != before:
            # Qt's minimal viewport update does not always erase an InfiniteLine's old
            # position (its rectangle follows the view range): after reloading a case a
            # ghost crosshair stayed in the main view (tests/gui/test_stale_paint.py).
            # A moved crosshair repaints the views whole (clicks, stroke starts, Shift+hover).
            for view in (self.axial, self.coronal, self.sagittal):
                view.viewport().update()

    def set_layer_visible(self, name: str, on: bool) -> None:
        """Mirror the axial view's overlay toggles (L / T / M)."""
        for view in (self.coronal, self.sagittal):
            view.layers[name].setVisible(on)


def outline(mask: np.ndarray) -> np.ndarray:
    """The one-pixel border of a bool mask (its pixels with a neighbour outside)."""
    return mask & ~ndimage.binary_erosion(mask)
