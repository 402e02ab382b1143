"""The status bar: cursor read-out (HU, position) on the left, messages and busy state on the right."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets


class ElidedLabel(QtWidgets.QLabel):
    """A one-line label that shortens its text at the end ("…") to fit, never at the start;
    the whole text stays in the tooltip."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.full_text = ""
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred
        )
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        width = max(self.contentsRect().width(), 0)
        super().setText(
            metrics.elidedText(self.full_text, QtCore.Qt.TextElideMode.ElideRight, width)
        )


class StatusLine(QtCore.QObject):
    """Owns the labels of a QStatusBar.

    ``hover`` always shows the pixel under the cursor; ``message`` shows transient messages
    (cleared after a timeout) so they never hide the read-out, as ``showMessage`` would.
    """

    def __init__(self, bar: QtWidgets.QStatusBar) -> None:
        super().__init__(bar)
        self.hover = QtWidgets.QLabel("Move the mouse over the image for HU and position")
        self.hover.setMinimumWidth(520)
        self.message = ElidedLabel("")
        self.message.setAlignment(
            QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter
        )
        self.busy = QtWidgets.QLabel("")
        self.busy.setMinimumWidth(90)
        bar.addWidget(self.hover, 1)
        bar.addPermanentWidget(self.message, 1)
        bar.addPermanentWidget(self.busy)
        self._clear = QtCore.QTimer(self)
        self._clear.setSingleShot(True)
        self._clear.timeout.connect(lambda: self.message.set_full_text(""))

    def show(self, text: str, timeout_ms: int = 6000) -> None:
        """Show ``text``; ``timeout_ms`` 0 keeps it until the next message."""
        self.message.set_full_text(text)
        if timeout_ms > 0:
            self._clear.start(timeout_ms)
        else:
            self._clear.stop()

    def set_busy(self, busy: bool, what: str = "working…") -> None:
        """Show a busy marker (a fill or a load runs in the background)."""
        # Plain text: "⏳" is an empty box in common Linux fonts.
        self.busy.setText(f"● {what}" if busy else "")
