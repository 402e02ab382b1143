"""Window/level: presets (abdomen, liver, bone) and free centre/width, bound to ``doc.window``."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from liversynth.authoring import Document
from liversynth.windowing import Window
from liversynth_gui.actions import AppActions
from liversynth_gui.binding import Connections
from liversynth_gui.panels.common import action_button, grid_of


class WindowLevelPanel(QtWidgets.QWidget):
    """Preset buttons and two spin boxes (level and width, HU)."""

    def __init__(self, actions: AppActions, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self._conns = Connections()
        self.presets: dict[str, QtGui.QAction] = {
            "abdomen": actions.preset_abdomen,
            "liver": actions.preset_liver,
            "bone": actions.preset_bone,
        }
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(grid_of([action_button(act) for act in self.presets.values()], 3))
        row = QtWidgets.QHBoxLayout()
        self.level = QtWidgets.QDoubleSpinBox()
        self.width = QtWidgets.QDoubleSpinBox()
        self.level.setRange(-2000.0, 4000.0)
        self.width.setRange(1.0, 6000.0)
        for w, tip in (
            (self.level, "Window level (centre), HU — or right-drag ↑↓ on the image"),
            (self.width, "Window width, HU — or right-drag ←→ on the image"),
        ):
            w.setDecimals(0)
            w.setSingleStep(10)
            w.setSuffix(" HU")
            w.setToolTip(tip)
            w.setKeyboardTracking(False)
            w.valueChanged.connect(self._spun)
        row.addWidget(QtWidgets.QLabel("L"))
        row.addWidget(self.level, 1)
        row.addWidget(QtWidgets.QLabel("W"))
        row.addWidget(self.width, 1)
        layout.addLayout(row)
        for name, act in self.presets.items():
            act.triggered.connect(lambda _checked=False, n=name: self._preset(n))

    def bind(self, doc: Document) -> None:
        """Follow ``doc``."""
        self._conns.clear()
        self.doc = doc
        self._conns.listen(doc.events.window_changed, self._show)
        self._show(doc.window)

    def _preset(self, name: str) -> None:
        if self.doc is not None:
            self.doc.set_window(name)
            self._show(self.doc.window)

    def _spun(self) -> None:
        if self.doc is not None:
            self.doc.set_window(Window(self.level.value(), self.width.value()))

    def _show(self, window: Window) -> None:
        for w, value in ((self.level, window.center_hu), (self.width, window.width_hu)):
            with QtCore.QSignalBlocker(w):
                w.setValue(value)
        for name, act in self.presets.items():
            act.setChecked(self.doc is not None and self.doc.preset_window(name) == window)
