"""Four small linked views: whitened input | synthetic | ground truth | difference.

All four share zoom and pan (``ViewBox.setXLink`` / ``setYLink``) and always show the same slice.
The difference uses a diverging colour map fixed at ±:data:`DIFF_RANGE_HU` (zero is black, so
unchanged tissue disappears and the fill stands out). Like the authoring view, the panes only
display; their wheel steps slices and right-drag changes the window through signals.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from liversynth_gui.viewer.overlay import WhitenedLayer
from liversynth_gui.viewer.slice_viewbox import SliceViewBox
from liversynth_gui.viewer.tool import Tool

#: The panes never shrink below this, px: a lesion must stay readable (small screens scroll).
MIN_PANE_PX = 250
#: Symmetric range of the difference view, HU.
DIFF_RANGE_HU = 100.0
#: Diverging colour map with a dark centre (CET-D4: blue–black–red), bundled with pyqtgraph.
DIFF_COLORMAP = "CET-D4"

PANES: tuple[tuple[str, str], ...] = (
    ("input", "Whitened input"),
    ("synthetic", "Synthetic"),
    ("truth", "Ground truth"),
    ("difference", "Difference (synth. − truth)"),
)


class _PaneListener:
    """Makes a small pane behave like the big one: wheel = slice, drag = pan, right-drag = W/L."""

    def __init__(self, owner: SideBySideView) -> None:
        self.owner = owner

    def current_tool(self) -> Tool:
        return Tool.PAN

    def on_stroke(self, phase: str, row: int, col: int) -> None:  # panes never paint
        return None

    def on_slice_step(self, steps: int) -> None:
        self.owner.sliceStepRequested.emit(steps)

    def on_brush_step(self, steps: int) -> None:
        return None

    def on_window_drag(self, dx_px: float, dy_px: float) -> None:
        self.owner.windowDragged.emit(dx_px, dy_px)


class SideBySideView(QtWidgets.QWidget):
    """A 2×2 grid of linked panes (equal sizes) and the difference colour bar.

    Signals:
        sliceStepRequested(steps): wheel over any pane.
        windowDragged(dx_px, dy_px): right-drag over any pane.
        hovered(row, col): the pixel under the cursor in any pane (they show the same grid).
    """

    sliceStepRequested = QtCore.Signal(int)
    windowDragged = QtCore.Signal(float, float)
    hovered = QtCore.Signal(int, int)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        self._listener = _PaneListener(self)
        self.boxes: dict[str, SliceViewBox] = {}
        self.images: dict[str, pg.ImageItem] = {}
        self.titles: dict[str, QtWidgets.QLabel] = {}
        for i, (key, title) in enumerate(PANES):
            row, col = divmod(i, 2)
            label = QtWidgets.QLabel(title)
            label.setObjectName("viewTitle")
            label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            # Titles must not widen their column: all four panes keep the same size.
            label.setSizePolicy(
                QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred
            )
            view = pg.GraphicsView()
            view.setSizePolicy(
                QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Ignored
            )
            view.setMinimumSize(MIN_PANE_PX, MIN_PANE_PX)
            box = SliceViewBox(self._listener)
            view.setCentralItem(box)
            view.setToolTip(
                "Wheel: slice · Ctrl+wheel: zoom (all four) · drag: pan · right-drag: window/level"
            )
            image = pg.ImageItem()
            box.addItem(image)
            view.scene().sigMouseMoved.connect(
                lambda pos, b=box: self.hovered.emit(*b.scene_to_index(pos))
            )
            grid.addWidget(label, 2 * row, col)
            grid.addWidget(view, 2 * row + 1, col)
            grid.setRowStretch(2 * row + 1, 1)
            self.boxes[key], self.images[key], self.titles[key] = box, image, label
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.whitened = WhitenedLayer()
        self.boxes["input"].addItem(self.whitened)
        first = self.boxes["input"]
        for key, box in self.boxes.items():
            if key != "input":
                box.setXLink(first)
                box.setYLink(first)
        cmap = pg.colormap.get(DIFF_COLORMAP)
        self.images["difference"].setColorMap(cmap)
        self.colorbar = pg.ColorBarItem(
            values=(-DIFF_RANGE_HU, DIFF_RANGE_HU),
            colorMap=cmap,
            interactive=False,
            width=12,
            label="difference, HU",
        )
        self.colorbar.setImageItem(self.images["difference"])
        bar_view = pg.GraphicsLayoutWidget()
        bar_view.addItem(self.colorbar)
        bar_view.setFixedWidth(74)
        bar_view.setToolTip(
            f"Difference colours: blue = darker, red = brighter than the truth "
            f"(±{DIFF_RANGE_HU:.0f} HU)"
        )
        grid.addWidget(bar_view, 0, 2, 4, 1)
        self._shape: tuple[int, int] | None = None

    def set_slices(
        self,
        *,
        input_mask: np.ndarray,
        truth_hu: np.ndarray,
        synthetic_hu: np.ndarray | None,
        levels_hu: tuple[float, float],
    ) -> None:
        """Show one slice in all panes; without a fill the synthetic and difference are blank.

        Args:
            input_mask: the lesion mask, drawn whitened (with an outline) over the input pane.
            truth_hu: the original slice.
            synthetic_hu: the last fill for this slice, or ``None``.
            levels_hu: display window (low, high) in HU for the three grey panes.
        """
        self.images["input"].setImage(truth_hu, levels=levels_hu, autoLevels=False)
        self.whitened.set_mask(input_mask)
        self.images["truth"].setImage(truth_hu, levels=levels_hu, autoLevels=False)
        if synthetic_hu is None:
            self.images["synthetic"].clear()
            self.images["difference"].clear()
        else:
            self.images["synthetic"].setImage(synthetic_hu, levels=levels_hu, autoLevels=False)
            diff = synthetic_hu.astype(np.float32) - truth_hu.astype(np.float32)
            self.images["difference"].setImage(
                diff, levels=(-DIFF_RANGE_HU, DIFF_RANGE_HU), autoLevels=False
            )
        if self._shape != truth_hu.shape:
            self._shape = (int(truth_hu.shape[0]), int(truth_hu.shape[1]))
            self.reset_zoom()

    def set_levels(self, levels_hu: tuple[float, float]) -> None:
        """Change the display window of the grey panes."""
        for key in ("input", "truth", "synthetic"):
            if self.images[key].image is not None:
                self.images[key].setLevels(levels_hu)

    def reset_zoom(self) -> None:
        """Fit the slice (the other panes follow through the links)."""
        if self._shape is not None:
            self.boxes["input"].setRange(
                xRange=(0, self._shape[1]), yRange=(0, self._shape[0]), padding=0.01
            )

    def zoom_to(self, center_rc: tuple[float, float], half_size_px: float) -> None:
        """Zoom all panes onto a square around ``center_rc`` (row, col), e.g. the lesion."""
        r, c = center_rc
        self.boxes["input"].setRange(
            xRange=(c - half_size_px, c + half_size_px),
            yRange=(r - half_size_px, r + half_size_px),
            padding=0,
        )
