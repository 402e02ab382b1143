"""Small widgets of the quiz views: answer buttons per item kind and window/level."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtWidgets

from liversynth_gui.teaching.image_pane import PRESETS


def choice_row(
    labels: list[str], on_choice: Callable[[str], None], *, keys: list[str] | None = None
) -> tuple[QtWidgets.QHBoxLayout, dict[str, QtWidgets.QPushButton]]:
    """Exclusive checkable buttons; ``on_choice(label_key)`` when one is clicked."""
    row = QtWidgets.QHBoxLayout()
    group = QtWidgets.QButtonGroup(row)
    group.setExclusive(True)
    buttons = {}
    for i, text in enumerate(labels):
        key = (keys or labels)[i]
        b = QtWidgets.QPushButton(text)
        b.setCheckable(True)
        b.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        b.clicked.connect(lambda _=False, k=key: on_choice(k))
        group.addButton(b)
        row.addWidget(b)
        buttons[key] = b
    return row, buttons


def set_checked(buttons: dict[str, QtWidgets.QPushButton], key: str | None) -> None:
    """Check the button ``key`` (none when ``None``) without emitting clicks."""
    for k, b in buttons.items():
        group = b.group()
        if group is not None:
            group.setExclusive(False)
        b.setChecked(k == key)
        if group is not None:
            group.setExclusive(True)


class WindowLevel(QtWidgets.QWidget):
    """Width/level spin boxes and presets. Signal ``changed(width, level)``."""

    changed = QtCore.Signal(float, float)

    def __init__(self, width: float = 400.0, level: float = 40.0) -> None:
        super().__init__()
        self.width_box = QtWidgets.QSpinBox()
        self.level_box = QtWidgets.QSpinBox()
        self.width_box.setRange(1, 4000)
        self.level_box.setRange(-1000, 3000)
        self.width_box.setSuffix(" HU")
        self.level_box.setSuffix(" HU")
        form = QtWidgets.QFormLayout()
        form.addRow("Width", self.width_box)
        form.addRow("Level", self.level_box)
        presets = QtWidgets.QHBoxLayout()
        for name, (w, lv) in PRESETS.items():
            b = QtWidgets.QPushButton(name)
            b.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            b.setToolTip(f"W{w:.0f} / L{lv:.0f}")
            b.clicked.connect(lambda _=False, w=w, lv=lv: self.set_values(w, lv))
            presets.addWidget(b)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(form)
        lay.addLayout(presets)
        self.set_values(width, level)
        self.width_box.valueChanged.connect(self._emit)
        self.level_box.valueChanged.connect(self._emit)

    def set_values(self, width: float, level: float) -> None:
        for box, v in ((self.width_box, width), (self.level_box, level)):
            box.blockSignals(True)
            box.setValue(int(round(v)))
            box.blockSignals(False)
        self._emit()

    def _emit(self) -> None:
        self.changed.emit(float(self.width_box.value()), float(self.level_box.value()))
