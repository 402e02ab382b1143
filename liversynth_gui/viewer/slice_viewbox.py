"""A ViewBox with a clinician's mouse mapping.

* wheel = next/previous slice, Ctrl+wheel = zoom about the cursor, Shift+wheel = brush size;
* left-drag = the current tool (paint/erase stroke, or pan in pan mode);
* middle-drag = pan (always);
* right-drag = window/level (horizontal = width, vertical = level), never pyqtgraph's zoom or
  context menu.

The ViewBox converts positions to array indices (row, col) and forwards them to a listener that
implements :class:`ViewListener`; it holds no state of the document.
"""

from __future__ import annotations

import math
from typing import Protocol

import pyqtgraph as pg
from PySide6 import QtCore

from liversynth_gui.viewer.tool import Tool

Qt = QtCore.Qt


class ViewListener(Protocol):
    """What a SliceViewBox calls; implemented by :class:`~liversynth_gui.viewer.slice_view.SliceView`."""

    def current_tool(self) -> Tool: ...

    def on_stroke(self, phase: str, row: int, col: int) -> None: ...

    def on_slice_step(self, steps: int) -> None: ...

    def on_brush_step(self, steps: int) -> None: ...

    def on_window_drag(self, dx_px: float, dy_px: float) -> None: ...


def wheel_steps(delta: float) -> int:
    """Whole wheel notches (120 units each) in ``delta``; at least one step for touchpads."""
    if delta == 0:
        return 0
    steps = int(delta / 120)
    return steps if steps != 0 else int(math.copysign(1, delta))


class SliceViewBox(pg.ViewBox):
    """The ViewBox of the authoring and side-by-side views.

    Args:
        listener: receives slice steps, strokes and window drags; ``None`` for a passive view
            (side-by-side panes keep only zoom/pan and slice stepping through their own listener).
    """

    def __init__(self, listener: ViewListener | None = None) -> None:
        super().__init__(invertY=True, lockAspect=True, enableMenu=False)
        self.listener = listener
        self._stroking = False

    # -- index mapping ----------------------------------------------------------------------
    def scene_to_index(self, scene_pos: QtCore.QPointF) -> tuple[int, int]:
        """Array (row, col) of the pixel under a scene position (may be outside the image)."""
        p = self.mapSceneToView(scene_pos)
        return int(math.floor(p.y())), int(math.floor(p.x()))

    # -- wheel ------------------------------------------------------------------------------
    def wheelEvent(self, ev, axis=None) -> None:
        mods = ev.modifiers()
        if mods & Qt.KeyboardModifier.ControlModifier or self.listener is None:
            super().wheelEvent(ev, axis)
            return
        steps = wheel_steps(ev.delta())
        if mods & Qt.KeyboardModifier.ShiftModifier:
            self.listener.on_brush_step(steps)
        else:
            self.listener.on_slice_step(steps)
        ev.accept()

    # -- clicks and drags -------------------------------------------------------------------
    def mouseClickEvent(self, ev) -> None:
        # A single left click with a paint tool is a one-dab stroke; right click does nothing
        # (no pyqtgraph context menu over a medical image).
        if (
            self.listener is not None
            and ev.button() == Qt.MouseButton.LeftButton
            and self.listener.current_tool().paints
        ):
            row, col = self.scene_to_index(ev.scenePos())
            self.listener.on_stroke("start", row, col)
            self.listener.on_stroke("finish", row, col)
        ev.accept()

    def mouseDragEvent(self, ev, axis=None) -> None:
        button = ev.button()
        if self.listener is None:
            if button in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
                super().mouseDragEvent(ev, axis)
            else:
                ev.ignore()
            return
        if button == Qt.MouseButton.RightButton:
            ev.accept()
            d = ev.screenPos() - ev.lastScreenPos()
            self.listener.on_window_drag(float(d.x()), float(d.y()))
            return
        if button == Qt.MouseButton.MiddleButton:
            super().mouseDragEvent(ev, axis)
            return
        if button != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        tool = self.listener.current_tool()
        if tool == Tool.PAN:
            super().mouseDragEvent(ev, axis)
            return
        if not tool.paints:
            ev.ignore()  # stamp mode: the ROI item above handles its own drags
            return
        ev.accept()
        row, col = self.scene_to_index(ev.scenePos())
        if ev.isStart():
            r0, c0 = self.scene_to_index(ev.buttonDownScenePos(button))
            self._stroking = True
            self.listener.on_stroke("start", r0, c0)
            self.listener.on_stroke("move", row, col)
        elif self._stroking:
            self.listener.on_stroke("move", row, col)
        if ev.isFinish() and self._stroking:
            # The release point was stroked just above (pyqtgraph may have dropped the last
            # move under its rate limit, the release itself always arrives).
            self._stroking = False
            self.listener.on_stroke("finish", row, col)
