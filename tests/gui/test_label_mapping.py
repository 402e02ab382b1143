"""Label files with other values (TotalSegmentator's liver = 5): the app asks which value is
liver and which tumour, remembers the answer per file, and sessions reopen with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from liversynth.io import save_nifti
from liversynth.volume import LIVER, TUMOUR


def test_label_mapping_dialog_is_offered_remembered_and_kept_in_sessions(
    make_window: Any,
    small_case: Any,
    dialog_log: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from liversynth_gui import dialogs

    ct = save_nifti(small_case.volume.hu, small_case.volume.spacing_mm, tmp_path / "ct.nii.gz")
    stored = np.zeros(small_case.labels.shape, np.uint8)
    stored[small_case.labels == LIVER] = 5  # TotalSegmentator's liver
    stored[small_case.labels == TUMOUR] = 9
    seg = save_nifti(stored, small_case.volume.spacing_mm, tmp_path / "seg.nii.gz", labels=True)
    asked: list[list[int]] = []

    def answer(_parent: Any, _path: Path, ids: list[int]) -> dict[int, int]:
        asked.append(ids)
        return {5: 1, 9: 2}

    monkeypatch.setattr(dialogs, "ask_label_mapping", answer)
    window = make_window()
    window.files.open_case_files(str(ct), str(seg))
    assert asked == [[5, 9]] and not dialog_log.errors
    doc = window.doc
    assert np.array_equal(doc.case.labels, small_case.labels)
    assert window.windowTitle().startswith("LiverSynth — ct.nii.gz")
    # Ctrl+L with the same file: the remembered mapping, no second question; the title stays.
    dialog_log.open_file = str(seg)
    window.actions.open_labels.trigger()
    assert len(asked) == 1 and not dialog_log.errors
    assert np.array_equal(window.doc.case.labels, small_case.labels)
    assert "seg.nii.gz" not in window.windowTitle()
    # A session reopens the case with its mapping.
    dialog_log.save_file = str(tmp_path / "work.lsession")
    window.actions.save_session_as.trigger()
    window.files.open_session(str(tmp_path / "work.lsession"))
    assert not dialog_log.errors and len(asked) == 1
    assert np.array_equal(window.doc.case.labels, small_case.labels)
