"""Small widget helpers shared by the panels."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets


def action_button(action: QtGui.QAction, *, text: str | None = None) -> QtWidgets.QToolButton:
    """A button that triggers ``action`` (same text, tooltip with shortcut, enabled state)."""
    button = QtWidgets.QToolButton()
    button.setDefaultAction(action)
    button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
    # Clicking a tool must not take the keyboard from the image (arrows step slices there).
    button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
    button.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
    # May shrink below its text on a small screen (the tooltip has the whole text), so the
    # tools column never widens past the window.
    button.setMinimumWidth(40)
    if text is not None:
        button.setText(text)
    return button


def grid_of(buttons: list[QtWidgets.QWidget], columns: int) -> QtWidgets.QGridLayout:
    """Lay widgets out row by row, ``columns`` per row."""
    grid = QtWidgets.QGridLayout()
    grid.setSpacing(4)
    for i, button in enumerate(buttons):
        grid.addWidget(button, i // columns, i % columns)
    return grid


def group(title: str, layout: QtWidgets.QLayout) -> QtWidgets.QGroupBox:
    """A titled group box holding ``layout``."""
    box = QtWidgets.QGroupBox(title)
    box.setLayout(layout)
    return box
