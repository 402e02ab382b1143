"""What the main view put on screen equals what a fresh paint of its scene gives.

Found by the undo stress test under a real X server (issue 14, defect 4): after Ctrl+L or
reopening a case, the axial view kept a ghost of the old crosshair line next to the new one.
pyqtgraph's ``InfiniteLine`` caches a bounding rectangle computed from the view range; when the
range (aspect lock) and the line move in one event-loop turn, Qt's minimal viewport update
erases the old line with the wrong rectangle. The screen is compared here, not the scene: the
window's pixels as the platform holds them (``QScreen.grabWindow``) before and after a forced
full repaint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gui_helpers import ConstantFiller, drag, stale_pixels
from PySide6 import QtCore


@pytest.mark.parametrize("reopen", ["labels", "case"])
def test_reloading_leaves_no_ghost_in_the_main_view(
    qtbot: Any,
    make_window: Any,
    small_case_files: tuple[Path, Path],
    dialog_log: Any,
    reopen: str,
) -> None:
    ct, seg = small_case_files
    window = make_window(synchronous=False)  # loads finish in a later event-loop turn
    window.worker.set_filler(ConstantFiller())

    def loaded() -> None:
        qtbot.waitUntil(lambda: not window.loader.busy and window.doc.has_case, timeout=10_000)

    window.files.open_case_files(str(ct), str(seg))
    loaded()
    assert stale_pixels(qtbot, window.view) == 0
    drag(window.view, [(30, 90), (34, 96), (38, 100)])  # also moves the crosshair there
    assert stale_pixels(qtbot, window.view) == 0
    dialog_log.unsaved_answer = "discard"
    if reopen == "labels":
        window.files.open_labels(str(seg))  # Ctrl+L
    else:
        window.files.open_case_files(str(ct), str(seg))  # the same case again, Discard
    loaded()
    assert stale_pixels(qtbot, window.view) == 0


class _PaintRects(QtCore.QObject):
    """Records the rectangle of every paint event a widget receives."""

    def __init__(self) -> None:
        super().__init__()
        self.rects: list[QtCore.QRect] = []

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.Paint:
            self.rects.append(event.rect())  # type: ignore[attr-defined]
        return False


def test_undo_repaints_the_main_view_whole(
    qtbot: Any, make_window: Any, small_case: Any, tmp_path: Path
) -> None:
    """Defect 4's symptom was on screen only (data and panes right): after every history step
    the whole view is painted again from the scene, not only the region Qt's minimal update
    thinks changed, so no ghost of the undone stroke can survive on screen."""
    window = make_window()
    window.worker.set_filler(ConstantFiller())
    window.doc.open_case(small_case)
    window.view.view.scaleBy((3.0, 3.0))  # zoomed out: the image covers part of the viewport
    drag(window.view, [(60, 60), (62, 64), (64, 70)])
    qtbot.wait(100)
    recorder = _PaintRects()
    viewport = window.view.viewport()
    viewport.installEventFilter(recorder)
    try:
        window.actions.undo.trigger()
        qtbot.waitUntil(lambda: bool(recorder.rects), timeout=2000)
        qtbot.wait(50)
    finally:
        viewport.removeEventFilter(recorder)
    assert not window.doc.mask.any()
    assert any(r.contains(viewport.rect()) for r in recorder.rects), recorder.rects
    assert stale_pixels(qtbot, window.view) == 0
