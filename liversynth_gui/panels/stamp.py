"""Lesion stamp: choose a real lesion of the case or a procedural shape, place, flip, commit.

Moving, rotating and scaling happen on the image (the ROI); this panel picks the source, flips,
shows the pose and warns when the stamp leaves the liver.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from liversynth.authoring import Document, LesionStamp, RealLesion
from liversynth_gui.actions import AppActions
from liversynth_gui.binding import Connections
from liversynth_gui.panels.common import action_button, grid_of

#: Combo entry of the procedural shape (the real lesions follow it).
PROCEDURAL = "Procedural shape"


class StampPanel(QtWidgets.QWidget):
    """Stamp source, size, flips, commit/cancel and the outside-liver warning."""

    def __init__(self, actions: AppActions, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.actions = actions
        self.doc: Document | None = None
        self._conns = Connections()
        self._lesions: list[RealLesion] = []
        layout = QtWidgets.QFormLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.source = QtWidgets.QComboBox()
        self.source.setToolTip(
            "A real tumour of this case (largest cross-section) or a "
            "procedural lesion of the size below"
        )
        self.size_mm = QtWidgets.QDoubleSpinBox()
        self.size_mm.setRange(2.0, 120.0)
        self.size_mm.setValue(20.0)
        self.size_mm.setSuffix(" mm")
        self.size_mm.setToolTip("Mean diameter of the procedural lesion")
        self.seed = QtWidgets.QSpinBox()
        self.seed.setRange(0, 9999)
        self.seed.setToolTip("Shape variant of the procedural lesion")
        layout.addRow("Source", self.source)
        size_row = QtWidgets.QHBoxLayout()
        size_row.addWidget(self.size_mm, 1)
        size_row.addWidget(QtWidgets.QLabel("shape"))
        size_row.addWidget(self.seed)
        layout.addRow("Diameter", size_row)
        self.flip_h = QtWidgets.QPushButton("Flip ↔")
        self.flip_v = QtWidgets.QPushButton("Flip ↕")
        self.flip_h.setToolTip("Mirror the stamp left–right")
        self.flip_v.setToolTip("Mirror the stamp top–bottom")
        layout.addRow(action_button(actions.new_stamp))
        layout.addRow(
            grid_of(
                [
                    self.flip_h,
                    self.flip_v,
                    action_button(actions.commit_stamp),
                    action_button(actions.cancel_stamp),
                ],
                2,
            )
        )
        self.pose_label = QtWidgets.QLabel("No stamp. Press S to place one.")
        self.pose_label.setWordWrap(True)
        layout.addRow(self.pose_label)
        self.warning = QtWidgets.QLabel("")
        self.warning.setObjectName("warning")
        self.warning.setWordWrap(True)
        layout.addRow(self.warning)
        self.source.currentIndexChanged.connect(self._source_changed)
        self.flip_h.clicked.connect(lambda: self._flip("flip_h"))
        self.flip_v.clicked.connect(lambda: self._flip("flip_v"))
        actions.new_stamp.triggered.connect(self.place_stamp)
        actions.commit_stamp.triggered.connect(self._commit)
        actions.cancel_stamp.triggered.connect(self._cancel)
        self._show_stamp(None)

    def bind(self, doc: Document) -> None:
        """Follow ``doc``."""
        self._conns.clear()
        self.doc = doc
        self._conns.listen(doc.events.volume_changed, self._list_lesions)
        self._conns.listen(doc.events.stamp_changed, self._show_stamp)
        self._conns.listen(doc.events.mask_changed, lambda _z: self._show_stamp(doc.stamp))
        self._conns.listen(doc.events.slice_changed, lambda _z: self._show_stamp(doc.stamp))
        self._list_lesions()
        self._show_stamp(doc.stamp)

    def _list_lesions(self) -> None:
        doc = self.doc
        self._lesions = doc.real_lesions() if doc is not None and doc.has_case else []
        with QtCore.QSignalBlocker(self.source):
            self.source.clear()
            self.source.addItem(PROCEDURAL)
            for lesion in self._lesions:
                self.source.addItem(
                    f"Real lesion {lesion.index} (slice {lesion.z + 1}, {lesion.area_px} px)"
                )
        self._source_changed()

    def _source_changed(self) -> None:
        procedural = self.source.currentIndex() <= 0
        self.size_mm.setEnabled(procedural)
        self.seed.setEnabled(procedural)

    def place_stamp(self) -> None:
        """Float the chosen source over the liver of the shown slice (replacing any stamp)."""
        doc = self.doc
        if doc is None or not doc.has_case:
            return
        i = self.source.currentIndex()
        centre = doc.default_stamp_centre()
        if i <= 0 or i > len(self._lesions):
            doc.stamp_procedural(self.size_mm.value(), seed=self.seed.value(), centre_rc=centre)
        else:
            doc.stamp_real_lesion(self._lesions[i - 1], centre_rc=centre)

    def _flip(self, which: str) -> None:
        doc = self.doc
        if doc is not None and doc.stamp is not None:
            doc.update_stamp_pose(**{which: not getattr(doc.stamp.pose, which)})

    def _commit(self) -> None:
        if self.doc is not None and self.doc.stamp is not None:
            self.doc.commit_stamp()

    def _cancel(self) -> None:
        if self.doc is not None:
            self.doc.cancel_stamp()

    def _show_stamp(self, stamp: LesionStamp | None) -> None:
        has = stamp is not None
        for w in (self.flip_h, self.flip_v):
            w.setEnabled(has)
        self.actions.commit_stamp.setEnabled(has)
        self.actions.cancel_stamp.setEnabled(has)
        if stamp is None:
            self.pose_label.setText(
                "No floating stamp. Press S to place one, then drag it; "
                "corner handles scale, the round handle rotates."
            )
        else:
            p = stamp.pose
            self.pose_label.setText(
                f"{stamp.origin}\ncentre row {p.centre_rc[0]:.0f}, col {p.centre_rc[1]:.0f} · "
                f"{p.angle_deg:.0f}° · ×{p.scale_x:.2f} / ×{p.scale_y:.2f}"
                + (" · flipped ↔" if p.flip_h else "")
                + (" · flipped ↕" if p.flip_v else "")
            )
        fraction = None
        if self.doc is not None and self.doc.has_case:
            fraction = self.doc.mask_outside_liver_fraction(include_stamp=True)
        self.warning.setText(
            f"⚠ {max(fraction * 100, 1):.0f}% of the lesion is outside the liver"
            if fraction
            else ""
        )
