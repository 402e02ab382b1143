"""Sessions (save, reopen exactly), unsaved-work question, autosave and crash recovery,
opening files (formats, drag and drop, recent files) and load errors shown in a dialog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gui_helpers import SMALL_SHAPE, drag
from PySide6 import QtCore, QtGui


def test_save_and_reopen_a_session_restores_the_work_exactly(
    window: Any, dialog_log: Any, tmp_path: Path
) -> None:
    doc = window.doc
    doc.brush_radius_px = 4
    drag(window.view, [(40, 40), (45, 50)])
    z_painted, mask = doc.slice_index, doc.mask.copy()
    doc.set_slice(z_painted - 2)
    doc.set_window("liver")
    window.actions.new_stamp.trigger()
    window.view.stamp_roi.setPos(window.view.stamp_roi.pos() + QtCore.QPointF(3, 3))
    pose = doc.stamp.pose
    assert doc.dirty and window.isWindowModified()
    dialog_log.save_file = str(tmp_path / "work")  # the suffix is added
    window.actions.save_session.trigger()
    saved = tmp_path / "work.lsession"
    assert saved.is_file() and not doc.dirty and not window.isWindowModified()

    doc.set_slice(z_painted)  # work on (the stamp floats, so edit through the menu)...
    window.actions.clear_mask.trigger()
    assert doc.dirty  # ...then reopen the saved file
    dialog_log.open_file = str(saved)
    dialog_log.unsaved_answer = "discard"
    window.actions.open_session.trigger()
    assert dialog_log.unsaved_asked == ["open a session"]
    new = window.doc
    assert new is not doc and not dialog_log.errors
    assert np.array_equal(new.mask_for(z_painted), mask)
    assert new.slice_index == z_painted - 2 and new.window == new.preset_window("liver")
    assert new.stamp is not None and new.stamp.pose == pose
    # Every panel follows the new document: the ROI is shown, painting edits the new one.
    assert window.view.stamp_roi is not None and window.window_level.width.value() == 150
    window.actions.cancel_stamp.trigger()
    drag(window.view, [(70, 70)])
    assert new.mask[70, 70] and not doc.mask[70, 70]
    assert window.files.autosaver.doc is new
    assert str(saved) in window.files.recent.paths()


def test_quitting_with_unsaved_work_asks_and_cancel_keeps_the_window(
    window: Any, dialog_log: Any
) -> None:
    drag(window.view, [(60, 60)])
    dialog_log.unsaved_answer = "cancel"
    assert not window.close()
    assert window.isVisible() and dialog_log.unsaved_asked == ["quit"]
    dialog_log.unsaved_answer = "discard"
    assert window.close()


def test_autosave_then_recovery_of_a_crashed_session(
    make_window: Any, small_case: Any, dialog_log: Any, tmp_path: Path
) -> None:
    from liversynth.authoring import CaseSource

    crashed = make_window()
    crashed.doc.open_case(small_case, source=CaseSource(phantom_seed=0, phantom_shape=SMALL_SHAPE))
    crashed.doc.brush_radius_px = 5
    drag(crashed.view, [(64, 40), (64, 50)])
    mask, z = crashed.doc.mask.copy(), crashed.doc.slice_index
    assert crashed.files.autosave_tick()  # dirty work is written
    assert not crashed.files.autosave_tick()  # nothing new since: no rewrite
    autosave = crashed.files.autosaver.path
    lock = autosave.with_suffix(".lock")
    # Simulate the crash: the lock now names a process that no longer exists.
    info = json.loads(lock.read_text())
    info["pid"] = 2**22 + 12345
    lock.write_text(json.dumps(info))

    fresh = make_window()
    assert fresh.files.offer_recovery()
    assert dialog_log.recover_asked == [autosave]
    doc = fresh.doc
    assert np.array_equal(doc.mask_for(z), mask) and doc.dirty
    assert doc.session_path is None
    assert fresh.files.autosaver.path.is_file()  # this run protects it at once...
    assert not autosave.exists()  # ...then the crashed run's autosave is removed
    assert "recovered" in fresh.windowTitle()


def test_saving_removes_the_autosave_but_keeps_protecting_new_work(
    window: Any, dialog_log: Any, tmp_path: Path
) -> None:
    files = window.files
    drag(window.view, [(60, 60)])
    assert files.autosave_tick() and files.autosaver.path.is_file()
    assert files.save_to(tmp_path / "mine.lsession")
    assert not files.autosaver.path.exists()  # saved work is never offered as "recovered"
    assert files.autosaver.lock_path.is_file()
    drag(window.view, [(80, 80)])
    files.autosaver.last_save_time = None  # skip the 30 s spacing
    assert files.autosave_tick() and files.autosaver.path.is_file()


def test_a_corrupt_file_shows_an_error_and_the_app_keeps_its_case(
    window: Any, dialog_log: Any, tmp_path: Path
) -> None:
    case_before = window.doc.case
    bad = tmp_path / "broken.nii.gz"
    bad.write_bytes(b"\x1f\x8b this is not a NIfTI file")
    dialog_log.open_file = str(bad)
    window.actions.open_volume.trigger()
    assert len(dialog_log.errors) == 1
    title, message = dialog_log.errors[0]
    assert "broken.nii.gz" in message and "Traceback" not in message
    assert window.doc.case is case_before and window.isVisible()
    assert str(bad) not in window.files.recent.paths()
    # The app still works afterwards.
    drag(window.view, [(60, 60)])
    assert window.doc.mask[60, 60]


def test_open_volume_and_labels_files_by_drop_and_recent_menu(
    window: Any, dialog_log: Any, tmp_path: Path
) -> None:
    from liversynth.io import save_nifti

    case = window.doc.case
    vol = save_nifti(case.volume.hu, case.volume.spacing_mm, tmp_path / "ct.nii.gz")
    seg = save_nifti(case.labels, case.volume.spacing_mm, tmp_path / "ct_seg.nii.gz", labels=True)
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(seg)), QtCore.QUrl.fromLocalFile(str(vol))])
    drop = QtGui.QDropEvent(
        QtCore.QPointF(50, 50),
        QtCore.Qt.DropAction.CopyAction,
        mime,
        QtCore.Qt.MouseButton.NoButton,
        QtCore.Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(drop)
    assert not dialog_log.errors
    doc = window.doc
    assert doc.source.volume_path == str(vol) and doc.source.labels_path == str(seg)
    assert np.array_equal(doc.case.volume.hu, case.volume.hu)
    assert np.array_equal(doc.case.labels, case.labels)
    assert window.view.layers["liver"].image is not None
    assert window.windowTitle().startswith("LiverSynth — ct.nii.gz")
    assert window.files.recent.paths()[0] == str(vol)
    # The recent menu reopens it.
    actions = [a for a in window.files.recent.menu.actions() if a.text().startswith("&1")]
    assert actions and "ct.nii.gz" in actions[0].text()


def test_open_labels_for_the_open_volume_and_a_grid_mismatch_error(
    window: Any, dialog_log: Any, tmp_path: Path
) -> None:
    from liversynth.io import save_nifti

    case = window.doc.case
    vol = save_nifti(case.volume.hu, case.volume.spacing_mm, tmp_path / "ct.nii.gz")
    window.files.open_path(str(vol))
    assert window.doc.case.labels is None and window.view.layers["liver"].image is None
    wrong = save_nifti(
        np.zeros((4, 8, 8), np.uint8), (1.0, 1.0, 1.0), tmp_path / "w.nii.gz", labels=True
    )
    dialog_log.open_file = str(wrong)
    window.actions.open_labels.trigger()
    assert dialog_log.errors and "w.nii.gz" in dialog_log.errors[-1][1]
    good = save_nifti(case.labels, case.volume.spacing_mm, tmp_path / "seg.nii.gz", labels=True)
    dialog_log.open_file = str(good)
    window.actions.open_labels.trigger()
    assert np.array_equal(window.doc.case.labels, case.labels)


@pytest.mark.parametrize("answer", ["discard", "cancel"])
def test_opening_another_case_over_unsaved_work_asks_first(
    window: Any, dialog_log: Any, tmp_path: Path, answer: str
) -> None:
    drag(window.view, [(60, 60)])
    dialog_log.unsaved_answer = answer
    before = window.doc.case
    window.actions.open_demo.trigger()  # small phantom in tests: the demo is fine to build
    assert dialog_log.unsaved_asked == ["open the demo"]
    assert (window.doc.case is before) == (answer == "cancel")
