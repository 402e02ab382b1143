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

from liversynth.io import save_nifti


@pytest.mark.parametrize("reopen", ["labels", "case"])
def test_reloading_leaves_no_ghost_in_the_main_view(
    qtbot: Any, make_window: Any, small_case: Any, dialog_log: Any, tmp_path: Path, reopen: str
) -> None:
    ct = save_nifti(small_case.volume.hu, small_case.volume.spacing_mm, tmp_path / "ct.nii.gz")
    seg = save_nifti(
        small_case.labels, small_case.volume.spacing_mm, tmp_path / "seg.nii.gz", labels=True
    )
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
