"""The quiz image: one item's slab with window/level, zoom, slab scrolling, clicks and a line.

Used by the trainee view and the review. It shows only what it is given: the trainee view
never passes a mask, so no overlay of the truth can appear there.

Mouse: wheel zooms about the cursor, middle-drag (or left-drag when not measuring) pans,
left click marks a lesion (*find*), left-drag draws the measuring line (*measure*).
Keys: Page Up/Down or ↑/↓ scroll through the slab.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

Qt = QtCore.Qt

#: Window presets (width, level) in HU for contrast-enhanced liver CT.
PRESETS = {"Abdomen": (400.0, 40.0), "Liver": (200.0, 100.0), "Wide": (1000.0, 0.0)}


class QuizViewBox(pg.ViewBox):
    """Zoom with the wheel; left click / left drag go to callbacks when set."""

    def __init__(self) -> None:
        super().__init__(invertY=True, lockAspect=True, enableMenu=False)
        self.on_click: Callable[[float, float], None] | None = None
        self.on_drag: Callable[[str, float, float], None] | None = None

    def _yx(self, scene_pos: QtCore.QPointF) -> tuple[float, float]:
        p = self.mapSceneToView(scene_pos)
        # Pixel (r, c) covers [c, c+1) x [r, r+1); its centre is (r + 0.5, c + 0.5).
        return p.y() - 0.5, p.x() - 0.5

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton and self.on_click is not None:
            self.on_click(*self._yx(ev.scenePos()))
        ev.accept()

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.button() == Qt.MouseButton.LeftButton and self.on_drag is not None:
            ev.accept()
            if ev.isStart():
                self.on_drag("start", *self._yx(ev.buttonDownScenePos(ev.button())))
            self.on_drag("finish" if ev.isFinish() else "move", *self._yx(ev.scenePos()))
            return
        if ev.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            super().mouseDragEvent(ev, axis)
        else:
            ev.ignore()


class ImagePane(QtWidgets.QWidget):
    """An item's image with its slab slider and the trainee's marks.

    Signals:
        sliceChanged(int): the slab slice shown.
    """

    sliceChanged = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.box = QuizViewBox()
        self.graphics.addItem(self.box)
        self.image = pg.ImageItem()
        self.box.addItem(self.image)
        self.truth = pg.ImageItem()  # review only: the revealed lesion outline
        self.truth.setZValue(5)
        self.box.addItem(self.truth)
        self.clicks = pg.ScatterPlotItem(
            size=16, pen=pg.mkPen("#ffd400", width=2), brush=None, symbol="o"
        )
        self.clicks.setZValue(10)
        self.box.addItem(self.clicks)
        self.line = pg.PlotDataItem(pen=pg.mkPen("#00e0ff", width=2), symbol="+", symbolSize=9)
        self.line.setZValue(10)
        self.box.addItem(self.line)
        self.true_line = pg.PlotDataItem(
            pen=pg.mkPen("#ff5050", width=2, style=Qt.PenStyle.DashLine)
        )
        self.true_line.setZValue(9)
        self.box.addItem(self.true_line)
        self.line_text = pg.TextItem(color="#00e0ff", anchor=(0, 1))
        self.line_text.setZValue(11)
        self.box.addItem(self.line_text)
        self.slider = QtWidgets.QSlider(Qt.Orientation.Horizontal)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slice_label = QtWidgets.QLabel()
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Slice"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.slice_label)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.graphics, 1)
        lay.addLayout(row)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.volume = np.zeros((1, 1, 1), np.int16)
        self.truth_volume: np.ndarray | None = None
        self.z = 0
        self.window = PRESETS["Abdomen"]
        self._clicks: list[Sequence[float]] = []
        self._line: tuple[int, Sequence[float], Sequence[float]] | None = None
        self._true_line: tuple[int, Sequence[float], Sequence[float]] | None = None
        self.slider.valueChanged.connect(self.set_slice)

    # -- content ---------------------------------------------------------------------------
    def set_volume(self, hu_zyx: np.ndarray, *, truth_zyx: np.ndarray | None = None) -> None:
        """Show a new item (from its middle slice), fitted to the view."""
        self.volume = np.asarray(hu_zyx)
        self.truth_volume = truth_zyx
        self.slider.blockSignals(True)
        self.slider.setRange(0, self.volume.shape[0] - 1)
        self.slider.blockSignals(False)
        self._clicks, self._line, self._true_line = [], None, None
        self.set_slice(self.volume.shape[0] // 2, force=True)
        self.box.autoRange(padding=0.0)

    def set_slice(self, z: int, *, force: bool = False) -> None:
        """Show slab slice ``z`` (clamped)."""
        z = int(np.clip(z, 0, self.volume.shape[0] - 1))
        if z == self.z and not force:
            return
        self.z = z
        self.slider.blockSignals(True)
        self.slider.setValue(z)
        self.slider.blockSignals(False)
        self.slice_label.setText(f"{z + 1} / {self.volume.shape[0]}")
        self.image.setImage(self.volume[z], autoLevels=False, levels=self._levels())
        if self.truth_volume is not None:
            self.truth.setImage(_outline_rgba(self.truth_volume[z]), autoLevels=False)
            self.truth.setVisible(True)
        else:
            self.truth.clear()
            self.truth.setVisible(False)
        self._draw_marks()
        self.sliceChanged.emit(z)

    def _levels(self) -> tuple[float, float]:
        width, level = self.window
        return level - width / 2.0, level + width / 2.0

    def set_window(self, width: float, level: float) -> None:
        """Window/level in HU."""
        self.window = (max(1.0, float(width)), float(level))
        self.image.setLevels(self._levels())

    def set_marks(
        self,
        clicks_zyx: Sequence[Sequence[float]] = (),
        line: tuple[int, Sequence[float], Sequence[float]] | None = None,
        true_line: tuple[int, Sequence[float], Sequence[float]] | None = None,
        line_text: str = "",
    ) -> None:
        """The trainee's clicks and line (and, in the review, the true long axis)."""
        self._clicks = [list(c) for c in clicks_zyx]
        self._line, self._true_line = line, true_line
        self.line_text.setText(line_text)
        self._draw_marks()

    def _draw_marks(self) -> None:
        here = [c for c in self._clicks if round(c[0]) == self.z]
        self.clicks.setData(x=[c[2] + 0.5 for c in here], y=[c[1] + 0.5 for c in here])
        for item, line in ((self.line, self._line), (self.true_line, self._true_line)):
            if line is not None and line[0] == self.z:
                (y0, x0), (y1, x1) = line[1], line[2]
                item.setData([x0 + 0.5, x1 + 0.5], [y0 + 0.5, y1 + 0.5])
            else:
                item.setData([], [])
        if self._line is not None and self._line[0] == self.z:
            y1, x1 = self._line[2]
            self.line_text.setPos(x1 + 1.5, y1 + 0.5)
            self.line_text.setVisible(True)
        else:
            self.line_text.setVisible(False)

    # -- keys ------------------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:
        step = {
            Qt.Key.Key_PageUp: 1,
            Qt.Key.Key_Up: 1,
            Qt.Key.Key_PageDown: -1,
            Qt.Key.Key_Down: -1,
        }.get(Qt.Key(event.key()))
        if step is None:
            super().keyPressEvent(event)
            return
        self.set_slice(self.z + step)


def _outline_rgba(mask: np.ndarray) -> np.ndarray:
    """The outline of a key mask as RGBA (2 = the item's lesion in red, 1 = others in yellow)."""
    from scipy import ndimage

    out = np.zeros((*mask.shape, 4), np.uint8)
    for value, colour in ((1, (255, 212, 0, 255)), (2, (255, 60, 60, 255))):
        m = mask >= value if value == 1 else mask == value
        edge = m & ~ndimage.binary_erosion(m)
        out[edge] = colour
    return out
