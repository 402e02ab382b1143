"""Overlay layers (liver, tumour, lesion mask): on/off (L, T, M) and opacity sliders.

Visibility and opacity are view state, not document state: they bind to the view's layers.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from liversynth_gui.actions import AppActions
from liversynth_gui.viewer.slice_view import SliceView


class OverlaysPanel(QtWidgets.QWidget):
    """One row per layer: a checkable colour chip with the shortcut, and an opacity slider."""

    def __init__(
        self, actions: AppActions, view: SliceView, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.toggles: dict[str, QtGui.QAction] = {
            "liver": actions.toggle_liver,
            "tumour": actions.toggle_tumour,
            "lesion": actions.toggle_lesion,
        }
        titles = {"liver": "Liver (L)", "tumour": "Tumour (T)", "lesion": "Lesion mask (M)"}
        self.sliders: dict[str, QtWidgets.QSlider] = {}
        self.checks: dict[str, QtWidgets.QCheckBox] = {}
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        for row, (name, action) in enumerate(self.toggles.items()):
            layer = view.layers[name]
            check = QtWidgets.QCheckBox(titles[name])
            r, g, b = layer.rgb
            check.setStyleSheet(f"QCheckBox {{ color: rgb({r},{g},{b}); font-weight: bold; }}")
            check.setChecked(action.isChecked())
            check.setToolTip(action.toolTip())
            slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
            slider.setRange(0, 100)
            slider.setValue(round(layer.opacity() * 100))
            slider.setToolTip(f"Opacity of the {name} overlay")
            grid.addWidget(check, row, 0)
            grid.addWidget(slider, row, 1)
            self.checks[name], self.sliders[name] = check, slider
            check.toggled.connect(action.setChecked)
            action.toggled.connect(lambda on, n=name: self._set_visible(n, on))
            slider.valueChanged.connect(lambda v, n=name: self.view.layers[n].setOpacity(v / 100))
        grid.setColumnStretch(1, 1)

    def _set_visible(self, name: str, visible: bool) -> None:
        self.view.layers[name].setVisible(visible)
        with QtCore.QSignalBlocker(self.checks[name]):
            self.checks[name].setChecked(visible)
