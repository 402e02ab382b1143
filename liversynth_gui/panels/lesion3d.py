"""3-D lesion panel: 3-D stamp source (ellipsoid, lobulated, bank lesions of any case),
diameters in mm, the 3-D brush, fill between slices, and the 3-D fill's progress.

Bank entries read "volume mL · x×y×z mm · case slices a–b" (1-based slice numbers).
"""

from __future__ import annotations

from PySide6 import QtWidgets

from liversynth.authoring import Document
from liversynth.authoring.stamp3d import describe_lesion
from liversynth_gui.actions_3d import Actions3D
from liversynth_gui.binding import Connections
from liversynth_gui.panels.common import action_button

SHAPES = ("Ellipsoid", "Lobulated")


class Lesion3DPanel(QtWidgets.QWidget):
    """Binds the 3-D authoring controls to a document.

    Attributes:
        brush3d: "3-D brush" check box; :attr:`sphere_radius_mm` reads its radius.
    """

    def __init__(self, actions: Actions3D, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.actions = actions
        self.doc: Document | None = None
        self._conns = Connections()
        form = QtWidgets.QFormLayout(self)
        form.setContentsMargins(4, 4, 4, 4)
        self.source = QtWidgets.QComboBox()
        self.source.setToolTip("A procedural shape with the diameters below, or a bank lesion")
        self.source.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        form.addRow("Source", self.source)
        self.diameters: list[QtWidgets.QDoubleSpinBox] = []
        row = QtWidgets.QHBoxLayout()
        for axis in ("x", "y", "z"):
            box = QtWidgets.QDoubleSpinBox()
            box.setRange(2.0, 150.0)
            box.setValue(30.0)
            box.setDecimals(0)
            box.setSuffix(" mm")
            box.setToolTip(f"Diameter along {axis} (z = head–feet)")
            row.addWidget(box)
            self.diameters.append(box)
        form.addRow("Ø x·y·z", row)
        form.addRow(action_button(actions.place_stamp3d))
        form.addRow(action_button(actions.load_bank_folder))
        brush_row = QtWidgets.QHBoxLayout()
        self.brush3d = QtWidgets.QCheckBox("3-D brush")
        self.brush3d.setToolTip("Brush/eraser clicks paint a sphere (one undo step per click)")
        self.radius_mm = QtWidgets.QDoubleSpinBox()
        self.radius_mm.setRange(1.0, 60.0)
        self.radius_mm.setValue(8.0)
        self.radius_mm.setSuffix(" mm")
        brush_row.addWidget(self.brush3d)
        brush_row.addWidget(self.radius_mm)
        form.addRow(brush_row)
        form.addRow(action_button(actions.fill_between))
        fill_row = QtWidgets.QHBoxLayout()
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("3-D fill: idle")
        fill_row.addWidget(self.progress, 1)
        fill_row.addWidget(action_button(actions.cancel_fill))
        form.addRow(fill_row)
        self.info = QtWidgets.QLabel("")
        self.info.setWordWrap(True)
        form.addRow(self.info)
        actions.place_stamp3d.triggered.connect(self.place_stamp)
        actions.fill_between.triggered.connect(self._fill_between)
        self._list_sources()

    @property
    def sphere_radius_mm(self) -> float | None:
        """Radius of the 3-D brush, ``None`` when the 2-D brush is in use."""
        return float(self.radius_mm.value()) if self.brush3d.isChecked() else None

    def bind(self, doc: Document) -> None:
        self._conns.clear()
        self.doc = doc
        self._conns.listen(doc.events.bank_changed, self._list_sources)
        self._conns.listen(doc.events.fill_progress, self._progress)
        self._list_sources()

    def _list_sources(self) -> None:
        self.source.clear()
        for name in SHAPES:
            self.source.addItem(name)
        bank = None if self.doc is None else self.doc.lesion_bank
        for i, lesion in enumerate(bank or []):
            self.source.addItem(describe_lesion(lesion), i)
            self.source.setItemData(self.source.count() - 1, lesion.lesion_id, 3)  # tooltip

    def place_stamp(self) -> None:
        """Float the chosen 3-D stamp on the shown slice (over the liver's centre)."""
        doc = self.doc
        if doc is None or not doc.has_case:
            return
        index = self.source.currentIndex()
        if index >= len(SHAPES):
            doc.stamp_bank_lesion(int(self.source.currentData()))
        else:
            dx, dy, dz = (b.value() for b in self.diameters)
            doc.stamp_ellipsoid((dz, dy, dx), lobulated=index == 1)
        z = sorted(doc.stamp_slices())
        if z:
            self.info.setText(f"Stamp spans slices {z[0] + 1}–{z[-1] + 1} ({len(z)} slices)")

    def _fill_between(self) -> None:
        doc = self.doc
        if doc is None or not doc.has_case:
            return
        if not doc.fill_between_slices():
            self.info.setText("Paint the lesion on two or more slices with gaps between them.")
            return
        painted = doc.painted_slices()
        self.info.setText(f"Lesion now on slices {painted[0] + 1}–{painted[-1] + 1}")

    def _progress(self, done: int, total: int) -> None:
        self.progress.setFormat("3-D fill %v/%m slices" if total else "3-D fill: idle")
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.actions.cancel_fill.setEnabled(0 < done < total)
