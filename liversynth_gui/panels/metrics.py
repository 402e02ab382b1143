"""Synthetic vs ground truth: whole-slice and inside-lesion PSNR / SSIM / MAE (DESIGN.md).

Updated on every fill. When no real tumour lies under the mask the "ground truth" is healthy
tissue, and a note says that the numbers measure change, not fidelity.
"""

from __future__ import annotations

import math

from PySide6 import QtCore, QtWidgets

from liversynth.authoring import Document
from liversynth_gui.binding import Connections

HEALTHY_NOTE = "No real tumour here: numbers measure change, not fidelity."
NO_LABELS_NOTE = "No labels: the ground truth is the original slice."
EMPTY_NOTE = "Paint, stamp or whiten a lesion to see metrics."
#: While the shown fill's metrics are computed in the background (a fraction of a second).
MEASURING_NOTE = "Measuring the fill…"

#: (key, row title, column title, format).
CELLS: tuple[tuple[str, int, int, str], ...] = (
    ("psnr_slice", 0, 0, "{:.1f} dB"),
    ("ssim_slice", 0, 1, "{:.3f}"),
    ("mae_slice_hu", 0, 2, "{:.2f} HU"),
    ("psnr_lesion", 1, 0, "{:.1f} dB"),
    ("ssim_lesion", 1, 1, "{:.3f}"),
    ("mae_lesion_hu", 1, 2, "{:.1f} HU"),
)
TIPS = {
    "psnr_slice": "PSNR of the whole slice, W400/L40, 8-bit (paper-comparable; inflated ~20 dB "
    "for a small lesion)",
    "ssim_slice": "SSIM of the whole slice (Gaussian σ 1.5), W400/L40, 8-bit",
    "mae_slice_hu": "Mean absolute error in HU over the whole slice (small: only the lesion changes)",
    "psnr_lesion": "PSNR over lesion pixels only, W400/L40 scaled to [0, 1]",
    "ssim_lesion": "SSIM map averaged over lesion pixels",
    "mae_lesion_hu": "Mean absolute error in HU over lesion pixels",
}


def format_metric(value: float | None, fmt: str) -> str:
    """``fmt`` applied to ``value``; ∞ for identical images, — for missing or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "∞"
    return fmt.format(value)


class MetricsPanel(QtWidgets.QWidget):
    """A 2 × 3 grid of values (whole slice / inside lesion × PSNR, SSIM, MAE) and a note."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self._conns = Connections()
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setHorizontalSpacing(14)
        for col, title in enumerate(("", "PSNR", "SSIM", "MAE")):
            header = QtWidgets.QLabel(f"<b>{title}</b>")
            header.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
            grid.addWidget(header, 0, col)
        grid.addWidget(QtWidgets.QLabel("Whole slice"), 1, 0)
        grid.addWidget(QtWidgets.QLabel("Inside lesion"), 2, 0)
        self.values: dict[str, QtWidgets.QLabel] = {}
        for key, row, col, _fmt in CELLS:
            label = QtWidgets.QLabel("—")
            label.setObjectName("metricValue")
            label.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
            label.setToolTip(TIPS[key])
            label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(label, row + 1, col + 1)
            self.values[key] = label
        self.note = QtWidgets.QLabel(EMPTY_NOTE)
        self.note.setWordWrap(True)
        grid.addWidget(self.note, 3, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        grid.setColumnStretch(3, 1)

    def bind(self, doc: Document) -> None:
        """Follow ``doc``."""
        self._conns.clear()
        self.doc = doc
        self._conns.listen(doc.events.metrics_changed, self.show_metrics)
        self.show_metrics(doc.last_metrics)

    def show_metrics(self, metrics: dict | None) -> None:
        """Show ``metrics`` (``None`` clears the grid)."""
        for key, _row, _col, fmt in CELLS:
            value = None if metrics is None else metrics.get(key)
            self.values[key].setText(format_metric(value, fmt))
        doc = self.doc
        healthy = None if doc is None else doc.ground_truth_is_healthy
        if metrics is None:
            pending = doc is not None and doc.metrics_pending
            self.note.setText(MEASURING_NOTE if pending else EMPTY_NOTE)
            self.note.setObjectName("")
        elif healthy:
            self.note.setText(HEALTHY_NOTE)
            self.note.setObjectName("warning")
        elif healthy is None:
            self.note.setText(NO_LABELS_NOTE)
            self.note.setObjectName("")
        else:
            self.note.setText("Ground truth: the real tumour under the mask.")
            self.note.setObjectName("")
        self.note.style().unpolish(self.note)
        self.note.style().polish(self.note)
