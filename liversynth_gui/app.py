"""QApplication set-up: pyqtgraph configuration and the dark radiology theme.

Called once by :mod:`liversynth_gui.__main__` and by the test fixtures, before any widget exists.
"""

from __future__ import annotations

import sys

import pyqtgraph as pg
from PySide6 import QtGui, QtWidgets

#: Application identity (QSettings keys: recent files, window geometry).
ORGANIZATION = "LiverSynth"
APPLICATION = "LiverSynth"

#: Colours of the theme: a dark neutral grey so CT grey levels read true (no tinted chrome).
BACKGROUND = "#1e1f22"
PANEL = "#2a2c30"
TEXT = "#e6e6e6"
ACCENT = "#3d8fd1"
WARNING = "#f0a030"

_STYLE_SHEET = f"""
QWidget {{ font-size: 10.5pt; }}
QMainWindow, QDockWidget {{ background: {BACKGROUND}; }}
QDockWidget::title {{ background: {PANEL}; padding: 4px 6px; font-weight: bold; }}
QGroupBox {{ border: 1px solid #45474c; border-radius: 4px; margin-top: 1.1em; padding-top: 4px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; color: #9fc7ea;
    font-weight: bold; }}
QPushButton, QToolButton {{ padding: 4px 8px; }}
QPushButton:checked, QToolButton:checked {{ background: {ACCENT}; color: white; }}
QLabel#warning {{ color: {WARNING}; font-weight: bold; }}
QLabel#metricValue {{ font-family: monospace; font-size: 11pt; }}
QLabel#viewTitle {{ color: #cfd8e3; font-weight: bold; }}
QStatusBar {{ font-family: monospace; }}
"""


#: PySide6 releases known to break the app (6.12.0: ``Signal.emit`` drops a reference to
#: ``True``; on Python < 3.12 the interpreter aborts after a few thousand emits).
BROKEN_PYSIDE6 = frozenset({"6.12.0"})


def binding_warning() -> str | None:
    """A message when the installed PySide6 is a release known to crash the app, else None."""
    import PySide6

    version = str(getattr(PySide6, "__version__", ""))
    if version in BROKEN_PYSIDE6 and sys.version_info < (3, 12):
        return (
            f"PySide6 {version} has a reference-count bug that crashes LiverSynth after a "
            "while; install another release, e.g. pip install 'PySide6-Essentials==6.11.3'"
        )
    return None


def configure_pyqtgraph() -> None:
    """Set pyqtgraph's global options once: arrays are (row, col) like the core's slices."""
    pg.setConfigOptions(
        imageAxisOrder="row-major", background=BACKGROUND, foreground=TEXT, antialias=True
    )


def dark_palette() -> QtGui.QPalette:
    """A neutral dark palette (Fusion style) for reading CT in a dim room."""
    pal = QtGui.QPalette()
    role = QtGui.QPalette.ColorRole
    colours = {
        role.Window: BACKGROUND,
        role.WindowText: TEXT,
        role.Base: "#17181a",
        role.AlternateBase: PANEL,
        role.ToolTipBase: "#fdfdfd",
        role.ToolTipText: "#111111",
        role.Text: TEXT,
        role.Button: PANEL,
        role.ButtonText: TEXT,
        role.BrightText: "#ff5555",
        role.Highlight: ACCENT,
        role.HighlightedText: "#ffffff",
        role.Link: "#7fb8ee",
        role.PlaceholderText: "#8a8a8a",
    }
    for r, c in colours.items():
        pal.setColor(r, QtGui.QColor(c))
    disabled = QtGui.QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(disabled, r, QtGui.QColor("#6c6c6c"))
    return pal


def make_app(argv: list[str] | None = None) -> QtWidgets.QApplication:
    """Return the QApplication (creating it if needed), themed and with pyqtgraph configured.

    Args:
        argv: command-line arguments for Qt (defaults to ``[APPLICATION]``).
    """
    warning = binding_warning()
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    configure_pyqtgraph()
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(argv or [APPLICATION])
    assert isinstance(app, QtWidgets.QApplication)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    apply_theme(app)
    return app


def apply_theme(app: QtWidgets.QApplication) -> None:
    """Apply the Fusion style, the dark palette and the style sheet to ``app``."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    app.setStyleSheet(_STYLE_SHEET)
