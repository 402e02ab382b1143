"""Slice navigation under the image: a slider and a slice-number spin box (1-based for users)."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from liversynth.authoring import Document
from liversynth_gui.binding import Connections


class SliceNavigator(QtWidgets.QWidget):
    """Slider + spin box bound to ``doc.slice_index`` (shown 1-based, stored 0-based).

    Signals:
        typingDone(): a slice number was entered (Enter or leaving the box); the window hands
            the keyboard back to the image so that digits are window presets again.
    """

    typingDone = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self._conns = Connections()
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.spin = QtWidgets.QSpinBox()
        self.total = QtWidgets.QLabel("/ 0")
        tip = "Slice (feet → head): wheel, ↑/↓, PageUp/PageDown (±10)"
        for w in (self.slider, self.spin):
            w.setToolTip(tip)
            w.valueChanged.connect(self._changed)
        self.spin.setKeyboardTracking(False)
        # Digits typed after a slice number must not pile up in the box (they are presets).
        self.spin.editingFinished.connect(self._typed)
        self.info = QtWidgets.QLabel("")
        # On a narrow window the read-out gives way (cut), the slider keeps a usable length.
        self.info.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred
        )
        self.info.setMinimumWidth(60)
        self.slider.setMinimumWidth(120)
        row.addWidget(QtWidgets.QLabel("Slice"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.spin)
        row.addWidget(self.total)
        row.addWidget(self.info)

    def bind(self, doc: Document) -> None:
        """Follow ``doc``."""
        self._conns.clear()
        self.doc = doc
        self._conns.listen(doc.events.volume_changed, self._refresh)
        self._conns.listen(doc.events.slice_changed, lambda _z: self._refresh())
        self._conns.listen(doc.events.mask_changed, lambda _z: self._refresh())
        self._refresh()

    def _typed(self) -> None:
        if self.spin.hasFocus():  # Enter in the box; a click elsewhere keeps that focus
            self.typingDone.emit()

    def _changed(self, value: int) -> None:
        if self.doc is not None and self.doc.has_case:
            self.doc.set_slice(value - 1)

    def _refresh(self) -> None:
        doc = self.doc
        if doc is None or not doc.has_case:
            return
        n = doc.n_slices
        for w in (self.slider, self.spin):
            with QtCore.QSignalBlocker(w):
                w.setRange(1, max(n, 1))
                w.setValue(doc.slice_index + 1)
        self.total.setText(f"/ {n}")
        assert doc.case is not None
        rows, cols = doc.slice_shape
        z_mm = doc.case.volume.index_to_lps_mm(doc.slice_index, (rows - 1) / 2, (cols - 1) / 2)[2]
        tumour = doc.tumour_mask()
        marks = []
        if tumour is not None and tumour.any():
            marks.append("tumour")
        if doc.mask.any():
            marks.append("lesion")
        self.info.setText(f"z = {z_mm:.1f} mm (LPS)" + (f" · {', '.join(marks)}" if marks else ""))
