"""The large authoring view: CT slice, coloured mask layers, brush cursor and the stamp ROI.

The view only displays and converts mouse positions to array indices; it emits Qt signals that
:mod:`liversynth_gui.viewer.slice_binding` forwards to the document. ``ImageItem`` arrays are never painted into.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from liversynth_gui.viewer.overlay import MaskLayer
from liversynth_gui.viewer.slice_viewbox import SliceViewBox
from liversynth_gui.viewer.stamp_roi import StampRoi
from liversynth_gui.viewer.tool import Tool

Qt = QtCore.Qt

#: Layer colours (RGB) and default opacities: liver green, tumour red, lesion mask yellow.
LAYER_STYLES: dict[str, tuple[tuple[int, int, int], float]] = {
    "liver": ((60, 200, 90), 0.25),
    "tumour": ((235, 60, 60), 0.40),
    "lesion": ((255, 215, 0), 0.45),
}

#: Keys that step through slices when the view has focus: key → slices (+ = towards the head).
_SLICE_KEYS: dict[int, int] = {
    Qt.Key.Key_Up: 1,
    Qt.Key.Key_Down: -1,
    Qt.Key.Key_Right: 1,
    Qt.Key.Key_Left: -1,
    Qt.Key.Key_PageUp: 10,
    Qt.Key.Key_PageDown: -10,
}


class SliceView(pg.GraphicsView):
    """One CT slice with overlays; the centre of the main window.

    Signals:
        strokeEvent(phase, row, col): ``phase`` is ``"start"``, ``"move"`` or ``"finish"``.
        sliceStepRequested(steps): wheel / arrow keys / PageUp / PageDown.
        brushStepRequested(steps): Shift+wheel.
        windowDragged(dx_px, dy_px): right-drag, in screen pixels.
        hovered(row, col): the pixel under the cursor (may lie outside the image).
        stampPoseChanged(): the stamp ROI moved, rotated or scaled.
        toolChanged(tool): :meth:`set_tool` switched the left-drag tool.
    """

    strokeEvent = QtCore.Signal(str, int, int)
    sliceStepRequested = QtCore.Signal(int)
    brushStepRequested = QtCore.Signal(int)
    windowDragged = QtCore.Signal(float, float)
    hovered = QtCore.Signal(int, int)
    stampPoseChanged = QtCore.Signal()
    toolChanged = QtCore.Signal(object)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.tool = Tool.BRUSH
        self.view = SliceViewBox(self)
        self.setCentralItem(self.view)
        self.image = pg.ImageItem()
        self.image.setZValue(0)
        self.view.addItem(self.image)
        self.layers: dict[str, MaskLayer] = {}
        for z, (name, (rgb, opacity)) in enumerate(LAYER_STYLES.items(), start=1):
            layer = MaskLayer(rgb, opacity, z_value=z)
            self.layers[name] = layer
            self.view.addItem(layer)
        # The rendered stamp (what will be committed) drawn above everything but the ROI outline.
        self.stamp_preview = MaskLayer((0, 220, 255), 0.55, z_value=10)
        self.view.addItem(self.stamp_preview)
        self.stamp_roi: StampRoi | None = None
        self._brush_radius_px = 5.0
        self.cursor_item = QtWidgets.QGraphicsEllipseItem()
        pen = QtGui.QPen(QtGui.QColor(255, 255, 255, 220))
        pen.setCosmetic(True)
        pen.setWidthF(1.5)
        self.cursor_item.setPen(pen)
        self.cursor_item.setZValue(20)
        self.cursor_item.setVisible(False)
        self.view.addItem(self.cursor_item)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._shape: tuple[int, int] | None = None
        # A banner over the image (e.g. "stamp leaves the liver"): a widget, so it never zooms.
        self.banner = QtWidgets.QLabel(self)
        self.banner.setObjectName("banner")
        self.banner.setStyleSheet(
            "QLabel#banner { background: rgba(40, 30, 0, 200); color: #ffb347; font-weight: bold;"
            " padding: 4px 8px; border: 1px solid #ffb347; border-radius: 3px; }"
        )
        self.banner.move(8, 30)  # below the "A" orientation letter
        self.banner.hide()
        # Orientation letters (radiological convention: the patient's right on the image's
        # left, anterior at the top) and a PACS-style corner read-out of slice and window.
        self.orientation = {k: self._overlay_label(k) for k in ("A", "P", "R", "L")}
        self.info = self._overlay_label("")

    def _overlay_label(self, text: str) -> QtWidgets.QLabel:
        label = QtWidgets.QLabel(text, self)
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        label.setStyleSheet("color: #e8d27a; font-weight: bold; background: transparent;")
        # A dark halo keeps the letters readable over bright bone or contrast.
        shadow = QtWidgets.QGraphicsDropShadowEffect(label)
        shadow.setBlurRadius(4)
        shadow.setOffset(1, 1)
        shadow.setColor(QtGui.QColor(0, 0, 0, 230))
        label.setGraphicsEffect(shadow)
        return label

    def set_info(self, text: str) -> None:
        """The bottom-left read-out (slice, position, window)."""
        self.info.setText(text)
        self.info.adjustSize()
        self._place_overlays()

    def _place_overlays(self) -> None:
        w, h = self.width(), self.height()
        for key, label in self.orientation.items():
            label.adjustSize()
            lw, lh = label.width(), label.height()
            x = {"R": 6, "L": w - lw - 6}.get(key, (w - lw) // 2)
            y = {"A": 6, "P": h - lh - 6}.get(key, (h - lh) // 2)
            label.move(x, y)
        self.info.move(8, h - self.info.height() - 6)

    def resizeEvent(self, ev: QtGui.QResizeEvent | None) -> None:
        super().resizeEvent(ev)
        if hasattr(self, "info"):  # pyqtgraph resizes once before __init__ has finished
            self._place_overlays()

    # -- listener interface used by SliceViewBox ---------------------------------------------
    def current_tool(self) -> Tool:
        return self.tool

    def on_stroke(self, phase: str, row: int, col: int) -> None:
        self.strokeEvent.emit(phase, row, col)

    def on_slice_step(self, steps: int) -> None:
        self.sliceStepRequested.emit(steps)

    def on_brush_step(self, steps: int) -> None:
        self.brushStepRequested.emit(steps)

    def on_window_drag(self, dx_px: float, dy_px: float) -> None:
        self.windowDragged.emit(dx_px, dy_px)

    # -- display ------------------------------------------------------------------------------
    def set_image(self, slice_hu: np.ndarray, levels_hu: tuple[float, float]) -> None:
        """Show a (row, col) slice in HU with display levels (low, high) in HU."""
        first = self._shape != slice_hu.shape
        self.image.setImage(slice_hu, levels=levels_hu, autoLevels=False)
        self._shape = (int(slice_hu.shape[0]), int(slice_hu.shape[1]))
        if first:
            self.reset_zoom()

    def set_levels(self, levels_hu: tuple[float, float]) -> None:
        """Change the display window (low, high) in HU without touching the data."""
        self.image.setLevels(levels_hu)

    def reset_zoom(self) -> None:
        """Fit the whole slice in the view."""
        if self._shape is not None:
            self.view.setRange(xRange=(0, self._shape[1]), yRange=(0, self._shape[0]), padding=0.01)

    def set_tool(self, tool: Tool) -> None:
        """Switch the left-drag tool; the brush circle shows only for paint tools."""
        changed = tool != self.tool
        self.tool = tool
        self.cursor_item.setVisible(False)
        cursor = Qt.CursorShape.OpenHandCursor if tool == Tool.PAN else Qt.CursorShape.CrossCursor
        self.viewport().setCursor(cursor)
        if changed:
            self.toolChanged.emit(tool)

    def set_banner(self, text: str) -> None:
        """Show a warning banner over the image's top-left corner (empty text hides it)."""
        self.banner.setText(text)
        self.banner.adjustSize()
        self.banner.setVisible(bool(text))

    def set_brush_radius(self, radius_px: float) -> None:
        """Radius of the brush circle, in array pixels."""
        self._brush_radius_px = float(radius_px)

    def place_cursor(self, row: int, col: int) -> None:
        """Centre the brush circle on pixel (row, col)."""
        r = self._brush_radius_px
        self.cursor_item.setRect(QtCore.QRectF(col + 0.5 - r, row + 0.5 - r, 2 * r, 2 * r))
        self.cursor_item.setVisible(self.tool.paints)

    # -- stamp ROI ----------------------------------------------------------------------------
    def show_stamp_roi(
        self, center_rc: tuple[float, float], size_rc: tuple[float, float], angle_deg: float
    ) -> StampRoi:
        """Show (or move) the stamp ROI: centre (row, col), size (rows, cols) in px, angle."""
        if self.stamp_roi is None:
            self.stamp_roi = StampRoi()
            self.stamp_roi.setZValue(15)
            self.stamp_roi.sigRegionChanged.connect(lambda _roi: self.stampPoseChanged.emit())
            self.view.addItem(self.stamp_roi)
        self.stamp_roi.set_pose(center_rc, size_rc, angle_deg)
        return self.stamp_roi

    def hide_stamp_roi(self) -> None:
        """Remove the stamp ROI and its preview."""
        if self.stamp_roi is not None:
            self.view.removeItem(self.stamp_roi)
            self.stamp_roi = None
        self.stamp_preview.set_mask(None)

    # -- events -------------------------------------------------------------------------------
    def _on_mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        row, col = self.view.scene_to_index(scene_pos)
        self.place_cursor(row, col)
        self.hovered.emit(row, col)

    def enterEvent(self, ev: QtGui.QEnterEvent) -> None:
        # Pointing at the image gives it the keyboard: arrows and PageUp/Down step slices.
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().enterEvent(ev)

    def leaveEvent(self, ev: QtCore.QEvent) -> None:
        self.cursor_item.setVisible(False)
        super().leaveEvent(ev)

    def keyPressEvent(self, ev: QtGui.QKeyEvent) -> None:
        steps = _SLICE_KEYS.get(ev.key())
        if steps is not None and not ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.sliceStepRequested.emit(steps)
            ev.accept()
            return
        super().keyPressEvent(ev)
