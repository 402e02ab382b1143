"""The status bar: cursor read-out (HU, position) on the left, messages and busy state on the right."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets


class StatusLine(QtCore.QObject):
    """Owns the labels of a QStatusBar.

    ``hover`` always shows the pixel under the cursor; ``message`` shows transient messages
    (cleared after a timeout) so they never hide the read-out, as ``showMessage`` would.
    """

    def __init__(self, bar: QtWidgets.QStatusBar) -> None:
        super().__init__(bar)
        self.hover = QtWidgets.QLabel("Move the mouse over the image for HU and position")
        self.hover.setMinimumWidth(520)
        self.message = QtWidgets.QLabel("")
        self.message.setAlignment(
            QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
        )
        self.busy = QtWidgets.QLabel("")
        self.busy.setMinimumWidth(90)
        bar.addWidget(self.hover, 1)
        bar.addPermanentWidget(self.message, 1)
        bar.addPermanentWidget(self.busy)
        self._clear = QtCore.QTimer(self)
        self._clear.setSingleShot(True)
        self._clear.timeout.connect(lambda: self.message.setText(""))

    def show(self, text: str, timeout_ms: int = 6000) -> None:
        """Show ``text``; ``timeout_ms`` 0 keeps it until the next message."""
        self.message.setText(text)
        self.message.setToolTip(text)
        if timeout_ms > 0:
            self._clear.start(timeout_ms)
        else:
            self._clear.stop()

    def set_busy(self, busy: bool, what: str = "working…") -> None:
        """Show a busy marker (a fill or a load runs in the background)."""
        self.busy.setText(f"⏳ {what}" if busy else "")
