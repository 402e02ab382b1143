"""Coronal and sagittal views, the crosshair lines, and the layout that holds all three views.

Each :class:`PlaneView` shows one reformatted plane of the case in millimetres (the image's
rectangle is its physical size, so thick slices look thick and the aspect is right whatever
the spacing), superior at the top, with the same coloured layers as the axial view and a
crosshair. It only displays and reports clicks as array indices; :mod:`.ortho_binding`
feeds it from the document.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from liversynth_gui.viewer.overlay import MaskLayer
from liversynth_gui.viewer.slice_view import LAYER_STYLES

Qt = QtCore.Qt

#: Crosshair colour (ITK-SNAP-like light blue), drawn 1 px whatever the zoom.
CROSSHAIR_RGB = (90, 200, 255)


def crosshair_line(angle: float) -> pg.InfiniteLine:
    """A thin, non-movable crosshair line (0 = horizontal... pyqtgraph angle in degrees)."""
    pen = pg.mkPen(CROSSHAIR_RGB, width=1, style=Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    line = pg.InfiniteLine(angle=angle, movable=False, pen=pen)
    line.setZValue(30)
    return line


class _PlaneBox(pg.ViewBox):
    """Zoom with Ctrl+wheel, pan with a middle drag; left click/drag reports the position."""

    def __init__(self, owner: PlaneView) -> None:
        super().__init__(invertY=True, lockAspect=True, enableMenu=False)
        self.owner = owner

    def wheelEvent(self, ev, axis=None) -> None:
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            super().wheelEvent(ev, axis)
        else:
            self.owner.stepRequested.emit(1 if ev.delta() > 0 else -1)
            ev.accept()

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            self.owner.report(self.mapSceneToView(ev.scenePos()))
        ev.accept()

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.owner.report(self.mapSceneToView(ev.scenePos()))
        else:
            super().mouseDragEvent(ev, axis)


class PlaneView(pg.GraphicsView):
    """One reformatted plane (``"coronal"``: z × columns, ``"sagittal"``: z × rows).

    Signals:
        clicked(z, u): a left click/drag at slice ``z`` and in-plane index ``u`` (the column
            for coronal, the row for sagittal).
        stepRequested(steps): the wheel (moves the plane through the volume).
    """

    clicked = QtCore.Signal(int, int)
    stepRequested = QtCore.Signal(int)

    def __init__(self, plane: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        if plane not in ("coronal", "sagittal"):
            raise ValueError(f"plane must be 'coronal' or 'sagittal', got {plane!r}")
        self.plane = plane
        self.box = _PlaneBox(self)
        self.setCentralItem(self.box)
        self.image = pg.ImageItem()
        self.box.addItem(self.image)
        self.layers: dict[str, MaskLayer] = {}
        for z, (name, (rgb, opacity)) in enumerate(LAYER_STYLES.items(), start=1):
            self.layers[name] = MaskLayer(rgb, opacity, z_value=z)
            self.box.addItem(self.layers[name])
        self.stamp_layer = MaskLayer((0, 220, 255), 0.45, z_value=10)
        self.box.addItem(self.stamp_layer)
        self.v_line, self.h_line = crosshair_line(90), crosshair_line(0)
        self.box.addItem(self.v_line, ignoreBounds=True)
        self.box.addItem(self.h_line, ignoreBounds=True)
        self.title = QtWidgets.QLabel(plane.capitalize(), self)
        self.title.setStyleSheet("color: #e8d27a; font-weight: bold; background: transparent;")
        self.title.move(6, 4)
        self._geometry: tuple[int, int, float, float] | None = None  # (nz, nu, sz, su)

    # -- geometry ---------------------------------------------------------------------------
    def _rect(self) -> QtCore.QRectF:
        assert self._geometry is not None
        nz, nu, sz, su = self._geometry
        return QtCore.QRectF(0.0, 0.0, nu * su, nz * sz)

    def set_geometry(self, nz: int, nu: int, sz_mm: float, su_mm: float) -> None:
        """Plane size in voxels and mm per voxel; refits the view when it changes."""
        geometry = (int(nz), int(nu), float(sz_mm), float(su_mm))
        if geometry != self._geometry:
            self._geometry = geometry
            self.box.setRange(rect=self._rect(), padding=0.02)

    def _placed(self, item: pg.ImageItem, plane_zu: np.ndarray | None, **kw: object) -> None:
        if plane_zu is None:
            item.clear()
            return
        # Row 0 of the displayed array is the top: the most superior slice.
        item.setImage(np.ascontiguousarray(plane_zu[::-1]), **kw)
        item.setRect(self._rect())

    def set_plane(self, plane_zu: np.ndarray, levels_hu: tuple[float, float]) -> None:
        """The HU plane, indexed ``(z, u)`` (z inferior → superior)."""
        self._placed(self.image, plane_zu, levels=levels_hu, autoLevels=False)

    def set_levels(self, levels_hu: tuple[float, float]) -> None:
        self.image.setLevels(levels_hu)

    def set_layer(self, name: str, plane_zu: np.ndarray | None) -> None:
        """A bool overlay ``(z, u)`` (``name``: liver / tumour / lesion / stamp)."""
        layer = self.stamp_layer if name == "stamp" else self.layers[name]
        if plane_zu is None or not plane_zu.any():
            layer.clear()
            return
        self._placed(layer, plane_zu.astype(np.uint8), levels=(0, 1), autoLevels=False)

    def set_crosshair(self, z: int, u: int) -> None:
        """Lines through voxel centre ``(z, u)``."""
        if self._geometry is None:
            return
        nz, _nu, sz, su = self._geometry
        self.v_line.setValue((u + 0.5) * su)
        self.h_line.setValue((nz - 1 - z + 0.5) * sz)

    def report(self, p: QtCore.QPointF) -> None:
        """Turn a view position (mm) into ``clicked(z, u)`` indices (clamped to the plane)."""
        if self._geometry is None:
            return
        nz, nu, sz, su = self._geometry
        z = nz - 1 - int(math.floor(p.y() / sz))
        u = int(math.floor(p.x() / su))
        self.clicked.emit(min(max(z, 0), nz - 1), min(max(u, 0), nu - 1))

    def view_range_mm(self) -> QtCore.QRectF:
        return self.box.viewRect()


class OrthoLayout(QtWidgets.QWidget):
    """Axial (large) + coronal + sagittal; ``set_grid(True)`` gives a 2×2 grid instead.

    Large layout: the axial view on the left, coronal over sagittal in a column on its right.
    2×2: axial | coronal / sagittal | ``extra`` (e.g. the measurement read-out).
    """

    def __init__(
        self,
        axial: QtWidgets.QWidget,
        coronal: PlaneView,
        sagittal: PlaneView,
        extra: QtWidgets.QWidget | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.axial, self.coronal, self.sagittal = axial, coronal, sagittal
        self.extra = extra or QtWidgets.QWidget()
        self.grid = QtWidgets.QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(3)
        self.is_grid = False
        self.set_grid(False)

    def set_grid(self, on: bool) -> None:
        """Switch between one large view (with two small ones) and the 2×2 grid."""
        for w in (self.axial, self.coronal, self.sagittal, self.extra):
            self.grid.removeWidget(w)
        for i in range(3):
            self.grid.setRowStretch(i, 0)
            self.grid.setColumnStretch(i, 0)
        self.is_grid = bool(on)
        if self.is_grid:
            self.grid.addWidget(self.axial, 0, 0)
            self.grid.addWidget(self.coronal, 0, 1)
            self.grid.addWidget(self.sagittal, 1, 0)
            self.grid.addWidget(self.extra, 1, 1)
            self.extra.show()
            for i in (0, 1):
                self.grid.setRowStretch(i, 1)
                self.grid.setColumnStretch(i, 1)
        else:
            self.grid.addWidget(self.axial, 0, 0, 2, 1)
            self.grid.addWidget(self.coronal, 0, 1)
            self.grid.addWidget(self.sagittal, 1, 1)
            self.extra.hide()
            self.grid.setColumnStretch(0, 3)
            self.grid.setColumnStretch(1, 1)
            self.grid.setRowStretch(0, 1)
            self.grid.setRowStretch(1, 1)

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(900, 700)
