"""Paint tools: pan / brush / eraser, brush size, fill holes, clear, undo/redo, whiten tumour.

The buttons are the app's actions (shortcuts and menus share them); the brush size is a thin
two-way binding to ``doc.brush_radius_px`` (widget → document; ``brush_changed`` → widget
under a signal blocker).
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from liversynth.authoring import BRUSH_MAX_PX, BRUSH_MIN_PX, Document
from liversynth_gui.actions import AppActions
from liversynth_gui.binding import Connections
from liversynth_gui.panels.common import action_button, grid_of


class ToolsPanel(QtWidgets.QWidget):
    """Tool buttons and the brush-size control."""

    def __init__(self, actions: AppActions, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self._conns = Connections()
        a = actions
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(
            grid_of([action_button(x) for x in (a.tool_pan, a.tool_brush, a.tool_eraser)], 3)
        )
        size_row = QtWidgets.QHBoxLayout()
        size_label = QtWidgets.QLabel("Brush radius")
        self.size_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.size_spin = QtWidgets.QSpinBox()
        for w in (self.size_slider, self.size_spin):
            w.setRange(BRUSH_MIN_PX, BRUSH_MAX_PX)
            w.setToolTip("Brush radius in pixels ([ and ] keys, or Shift+wheel over the image)")
        self.size_spin.setSuffix(" px")
        self.size_mm = QtWidgets.QLabel("")
        self.size_mm.setMinimumWidth(64)
        size_row.addWidget(size_label)
        size_row.addWidget(self.size_slider, 1)
        size_row.addWidget(self.size_spin)
        size_row.addWidget(self.size_mm)
        layout.addLayout(size_row)
        layout.addLayout(
            grid_of([action_button(x) for x in (a.undo, a.redo, a.fill_holes, a.clear_mask)], 2)
        )
        whiten = action_button(a.whiten_tumour)
        whiten.setObjectName("whitenButton")
        layout.addWidget(whiten)
        self.size_slider.valueChanged.connect(self._set_radius)
        self.size_spin.valueChanged.connect(self._set_radius)

    def bind(self, doc: Document) -> None:
        """Follow ``doc``."""
        self._conns.clear()
        self.doc = doc
        self._conns.listen(doc.events.brush_changed, self._show_radius)
        self._conns.listen(
            doc.events.volume_changed, lambda: self._show_radius(doc.brush_radius_px)
        )
        self._show_radius(doc.brush_radius_px)

    def _set_radius(self, radius_px: int) -> None:
        if self.doc is not None:
            self.doc.brush_radius_px = radius_px
            self._show_radius(self.doc.brush_radius_px)

    def _show_radius(self, radius_px: int) -> None:
        for w in (self.size_slider, self.size_spin):
            with QtCore.QSignalBlocker(w):
                w.setValue(int(radius_px))
        doc = self.doc
        if doc is not None and doc.has_case:
            assert doc.case is not None
            mm = radius_px * doc.case.volume.spacing_mm[2]
            self.size_mm.setText(f"≈{mm:.1f} mm")
