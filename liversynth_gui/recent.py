"""Recently opened files and folders, remembered in QSettings and offered in File ▸ Recent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6 import QtCore, QtWidgets

#: QSettings key and list length.
RECENT_KEY = "recent_files"
MAX_RECENT = 8


class RecentFiles(QtCore.QObject):
    """A most-recent-first list of paths, persisted, shown as a menu.

    Args:
        open_path: called with the chosen path.
        settings: where to persist (default ``QSettings()`` of the application).
    """

    def __init__(
        self,
        open_path: Callable[[str], None],
        settings: QtCore.QSettings | None = None,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings or QtCore.QSettings()
        self.open_path = open_path
        self.menu = QtWidgets.QMenu("Open &recent")
        self.menu.aboutToShow.connect(self._fill_menu)
        self._fill_menu()

    def paths(self) -> list[str]:
        """Remembered paths, most recent first."""
        value = self.settings.value(RECENT_KEY, [])
        if isinstance(value, str):  # QSettings returns a lone string for one-element lists
            value = [value]
        return [str(v) for v in (value or [])]

    def add(self, path: str | Path) -> None:
        """Put ``path`` first (removing older copies), keeping :data:`MAX_RECENT`."""
        text = str(Path(path))
        items = [text] + [p for p in self.paths() if p != text]
        self.settings.setValue(RECENT_KEY, items[:MAX_RECENT])
        self._fill_menu()

    def _fill_menu(self) -> None:
        self.menu.clear()
        paths = self.paths()
        for i, path in enumerate(paths, start=1):
            action = self.menu.addAction(f"&{i}  {Path(path).name}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_path(p))
        if not paths:
            self.menu.addAction("(none yet)").setEnabled(False)
        else:
            self.menu.addSeparator()
            self.menu.addAction("Clear list", self._clear)

    def _clear(self) -> None:
        self.settings.setValue(RECENT_KEY, [])
        self._fill_menu()
