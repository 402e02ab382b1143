"""Helpers for the GUI tests: a fast filler and mouse events with explicit button state.

A plain module (not ``conftest``) so tests import it by a unique name.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6 import QtCore, QtGui, QtTest, QtWidgets

from liversynth.fillers.base import SliceWiseVolumeMixin

#: Small enough for fast tests, large enough for recognisable anatomy and tumours.
SMALL_SHAPE = (16, 128, 128)


class ConstantFiller(SliceWiseVolumeMixin):
    """A fast, deterministic filler: the mask becomes 70 HU (the rest is unchanged).

    ``fill_volume`` is the shared slice-wise one, as for every 2-D engine.
    """

    name = "mean"
    device = "cpu"

    def fill(
        self, slice_hu: np.ndarray, mask: np.ndarray, *, liver_mask: Any = None, seed: Any = None
    ) -> np.ndarray:
        out = np.array(slice_hu, dtype=np.float32, copy=True)
        out[mask] = 70.0
        return out


def widget_point(view: Any, row: float, col: float) -> QtCore.QPoint:
    """Viewport position (widget pixels) of the centre of array pixel (row, col)."""
    scene = view.view.mapViewToScene(QtCore.QPointF(col + 0.5, row + 0.5))
    return view.mapFromScene(scene)


def send_mouse(
    widget: QtWidgets.QWidget,
    kind: QtCore.QEvent.Type,
    pos: QtCore.QPoint,
    button: QtCore.Qt.MouseButton,
    buttons: QtCore.Qt.MouseButton,
    modifiers: QtCore.Qt.KeyboardModifier = QtCore.Qt.KeyboardModifier.NoModifier,
) -> None:
    """Deliver one mouse event with explicit button state (QTest.mouseMove has none)."""
    local = QtCore.QPointF(pos)
    event = QtGui.QMouseEvent(
        kind, local, QtCore.QPointF(widget.mapToGlobal(pos)), button, buttons, modifiers
    )
    QtWidgets.QApplication.sendEvent(widget, event)


def drag(
    view: Any,
    points_rc: list[tuple[float, float]],
    button: QtCore.Qt.MouseButton = QtCore.Qt.MouseButton.LeftButton,
) -> None:
    """Press at the first (row, col), move through the others, release at the last.

    Moves are spaced beyond pyqtgraph's mouse rate limit (100 events/s), as a hand would be.
    """
    vp = view.viewport()
    none = QtCore.Qt.MouseButton.NoButton
    pts = [widget_point(view, r, c) for r, c in points_rc]
    send_mouse(vp, QtCore.QEvent.Type.MouseButtonPress, pts[0], button, button)
    for p in pts[1:]:
        QtTest.QTest.qWait(12)
        send_mouse(vp, QtCore.QEvent.Type.MouseMove, p, none, button)
    send_mouse(vp, QtCore.QEvent.Type.MouseButtonRelease, pts[-1], button, none)
    QtWidgets.QApplication.processEvents()


def wheel(
    view: Any,
    row: float,
    col: float,
    delta: int,
    modifiers: QtCore.Qt.KeyboardModifier = QtCore.Qt.KeyboardModifier.NoModifier,
) -> None:
    """One wheel event over pixel (row, col); ``delta`` 120 = one notch away from the user."""
    vp = view.viewport()
    pos = QtCore.QPointF(widget_point(view, row, col))
    event = QtGui.QWheelEvent(
        pos,
        QtCore.QPointF(vp.mapToGlobal(pos.toPoint())),
        QtCore.QPoint(0, 0),
        QtCore.QPoint(0, delta),
        QtCore.Qt.MouseButton.NoButton,
        modifiers,
        QtCore.Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QtWidgets.QApplication.sendEvent(vp, event)
    QtWidgets.QApplication.processEvents()


def on_screen(view: Any) -> np.ndarray:
    """The view's pixels as last flushed to the screen, (h, w, 4) uint8."""
    vp = view.viewport()
    origin = vp.mapToGlobal(QtCore.QPoint(0, 0))
    screen = QtGui.QGuiApplication.primaryScreen()
    image = screen.grabWindow(0, origin.x(), origin.y(), vp.width(), vp.height()).toImage()
    image = image.convertToFormat(QtGui.QImage.Format.Format_ARGB32)
    ptr = image.constBits()
    return (
        np.frombuffer(ptr, np.uint8)
        .reshape(image.height(), image.bytesPerLine())[:, : 4 * image.width()]
        .reshape(image.height(), image.width(), 4)
        .copy()
    )


def stale_pixels(qtbot: Any, view: Any) -> int:
    """Pixels of ``view`` that change when it is repainted from scratch (0: nothing stale).

    The platform's copy of the window (``QScreen.grabWindow``; offscreen too) is compared
    before and after a forced full repaint. Nothing else may change meanwhile (no fill due).
    """
    qtbot.wait(80)  # let pending paints reach the screen
    shown = on_screen(view)
    view.viewport().repaint()
    qtbot.wait(80)
    fresh = on_screen(view)
    return int((np.abs(shown.astype(int) - fresh.astype(int)).max(axis=-1) > 8).sum())
