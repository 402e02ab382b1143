"""Issue 14 defect 4: after undo the main view's lesion overlay shows the document's mask,
also after the same file was reopened (Discard) and labels loaded, with fills arriving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from gui_helpers import drag


def _overlay(window: Any) -> np.ndarray:
    image = window.view.layers["lesion"].image
    return np.zeros(window.doc.slice_shape, bool) if image is None else image > 0


def test_undo_always_shows_the_documents_mask(
    make_window: Any, small_case_files: tuple[Path, Path], dialog_log: Any
) -> None:
    from gui_helpers import ConstantFiller

    ct, seg = small_case_files
    window = make_window()
    window.worker.set_filler(ConstantFiller())
    window.files.open_case_files(str(ct), None)
    window.files.open_labels(str(seg))
    listeners = {s.name: len(s) for s in window.doc.events.all()}
    window.actions.whiten_tumour.trigger()
    dialog_log.unsaved_answer = "discard"
    window.files.open_case_files(str(ct), None)  # the same file again, work discarded
    window.files.open_labels(str(seg))
    doc = window.doc
    assert {s.name: len(s) for s in doc.events.all()} == listeners  # no stale listeners
    doc.set_slice(doc.slice_index - 2)
    doc.brush_radius_px = 2
    for row in (40, 50, 60):
        drag(window.view, [(row, 30), (row, 40), (row + 3, 50)])
        assert np.array_equal(_overlay(window), doc.mask)
    painted = [doc.mask.copy()]
    for _ in range(2):
        window.actions.undo.trigger()
        assert np.array_equal(_overlay(window), doc.mask)
        assert not np.array_equal(doc.mask, painted[-1])
        painted.append(doc.mask.copy())
    assert doc.last_fill is not None and np.array_equal(doc.last_fill_mask, doc.mask)
