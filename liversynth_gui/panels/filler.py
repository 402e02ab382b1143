"""Filler choice (any engine of the registry), model file, device and last fill time.

The combo lists :func:`~liversynth.fillers.registry.filler_infos`; each entry's tooltip is
the engine's registry description, and the model row applies to engines that use a model.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from liversynth.authoring import Document
from liversynth.fillers.base import CONTRAST_RANGE_HU, Appearance
from liversynth.fillers.registry import available_fillers, filler_info
from liversynth_gui import dialogs
from liversynth_gui.actions import AppActions
from liversynth_gui.binding import Connections
from liversynth_gui.fill_controller import FillController
from liversynth_gui.panels.common import action_button


def device_name(device: str) -> str:
    """``"cuda:0"`` → ``"CUDA:0 (GPU)"``, ``"cpu"`` → ``"CPU"``."""
    return f"{device.upper()} (GPU)" if device.startswith("cuda") else device.upper()


def _uses_model(name: str) -> bool:
    """``True`` for a registered engine that takes a model file (``gan``)."""
    return name in available_fillers() and filler_info(name).uses_model


class FillerPanel(QtWidgets.QWidget):
    """Combo of ``available_fillers()``, model file button, and fill status."""

    def __init__(
        self,
        actions: AppActions,
        controller: FillController,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.doc: Document | None = None
        self._conns = Connections()
        layout = QtWidgets.QFormLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.combo = QtWidgets.QComboBox()
        self.combo.setToolTip("The engine that fills the whitened lesion")
        self.combo.addItem("loading…")
        self.combo.setEnabled(False)
        layout.addRow("Filler", self.combo)
        self.model_label = QtWidgets.QLabel("—")
        self.model_label.setWordWrap(True)
        layout.addRow("Model", self.model_label)
        model_row = QtWidgets.QHBoxLayout()
        model_row.addWidget(action_button(actions.choose_model, text="Load model…"))
        model_row.addWidget(action_button(actions.fill_now))
        layout.addRow(model_row)
        self.device_label = QtWidgets.QLabel("—")
        layout.addRow("Device", self.device_label)
        self.time_label = QtWidgets.QLabel("—")
        layout.addRow("Last fill", self.time_label)
        # Appearance: the lowest value of each box means "auto" (the engine decides).
        self.contrast_box = QtWidgets.QSpinBox()
        self.contrast_box.setRange(int(CONTRAST_RANGE_HU[0]) - 1, int(CONTRAST_RANGE_HU[1]))
        self.contrast_box.setSpecialValueText("auto")
        self.contrast_box.setSuffix(" HU")
        self.contrast_box.setValue(self.contrast_box.minimum())
        self.contrast_box.setToolTip("Lesion mean minus surrounding liver mean (auto: the model)")
        layout.addRow("Contrast", self.contrast_box)
        self.hetero_box = QtWidgets.QSpinBox()
        self.hetero_box.setRange(-1, 100)
        self.hetero_box.setSpecialValueText("auto")
        self.hetero_box.setSuffix(" %")
        self.hetero_box.setValue(-1)
        self.hetero_box.setToolTip("0 = uniform lesion … 100 = strongly mottled / necrotic")
        layout.addRow("Heterogeneity", self.hetero_box)
        self.contrast_box.valueChanged.connect(self._appearance_edited)
        self.hetero_box.valueChanged.connect(self._appearance_edited)
        self.note_label = QtWidgets.QLabel("")
        self.note_label.setObjectName("warning")
        self.note_label.setWordWrap(True)
        layout.addRow(self.note_label)
        self.combo.activated.connect(self._chosen)
        actions.choose_model.triggered.connect(self.choose_model)
        controller.fillersListed.connect(self._list)
        controller.fillerReady.connect(self._ready)
        controller.note.connect(self.note_label.setText)
        controller.error.connect(self._revert)
        controller.worker.busy_changed.connect(self._busy)

    def bind(self, doc: Document) -> None:
        """Follow ``doc``."""
        self._conns.clear()
        self.doc = doc
        self._conns.listen(doc.events.filler_changed, self._show_filler)
        self._conns.listen(doc.events.fill_changed, self._show_fill)
        self._show_filler(doc.filler_name, doc.model_path)
        self._show_fill()

    def _list(self, names: list[str]) -> None:
        with QtCore.QSignalBlocker(self.combo):
            self.combo.clear()
            for i, name in enumerate(names):
                self.combo.addItem(name)
                hint = filler_info(name).description if name in available_fillers() else name
                self.combo.setItemData(i, hint, QtCore.Qt.ItemDataRole.ToolTipRole)
            self.combo.setEnabled(True)
        if self.doc is not None:
            self._show_filler(self.doc.filler_name, self.doc.model_path)

    def _chosen(self, index: int) -> None:
        name = self.combo.itemText(index)
        if self.doc is None or name == self.doc.filler_name:
            return
        path = self.doc.model_path if _uses_model(name) else None
        self.controller.choose_filler(name, path)

    def appearance(self) -> Appearance:
        """The appearance the two boxes ask for."""
        c, h = self.contrast_box.value(), self.hetero_box.value()
        return Appearance(
            contrast_hu=None if c == self.contrast_box.minimum() else float(c),
            heterogeneity=None if h < 0 else h / 100.0,
        )

    def _appearance_edited(self, _value: int) -> None:
        if self.doc is not None:
            self.doc.set_fill_appearance(self.appearance())
            self.controller.schedule()

    def _revert(self, *_args: object) -> None:
        """A filler could not be built: show the one still in use."""
        if self.doc is not None:
            self._show_filler(self.doc.filler_name, self.doc.model_path)

    def choose_model(self) -> None:
        """Ask for a ``*.safetensors`` generator and load it (the old one stays on failure)."""
        path = dialogs.choose_model_file(self)
        if path:
            self.controller.choose_filler("gan", path)

    def _ready(self, name: str, device: str) -> None:
        self.device_label.setText(device_name(device))

    def _show_filler(self, name: str, model_path: str | None) -> None:
        i = self.combo.findText(name)
        if i >= 0:
            with QtCore.QSignalBlocker(self.combo):
                self.combo.setCurrentIndex(i)
        try:
            honoured = filler_info(name).appearance
        except ValueError:
            honoured = ()
        self.contrast_box.setEnabled("contrast_hu" in honoured)
        self.hetero_box.setEnabled("heterogeneity" in honoured)
        if not _uses_model(name):
            self.model_label.setText("— (not used by this filler)")
        else:
            self.model_label.setText(Path(model_path).name if model_path else "bundled default")
            self.model_label.setToolTip(model_path or "resources/models/default.safetensors")

    def _show_fill(self) -> None:
        doc = self.doc
        if doc is None or doc.last_fill_ms is None:
            self.time_label.setText("—")
        elif doc.last_fill_preview:
            self.time_label.setText("quick preview; computing the fill…")
        else:
            self.time_label.setText(
                f"{doc.last_fill_ms:.0f} ms on {device_name(doc.last_fill_device or 'cpu')}"
            )

    def _busy(self, busy: bool) -> None:
        doc = self.doc
        lesion = doc is not None and doc.has_case and (doc.mask.any() or doc.stamp is not None)
        if busy and lesion:  # the worker is also busy loading a filler, with no lesion yet
            self.time_label.setText("computing…")
        else:
            self._show_fill()
