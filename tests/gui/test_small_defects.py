"""The smaller defects of hands-on use: labels and read-outs that lied or were unreadable,
a stamp that started outside the liver, tiny handles, tracebacks for handled errors, file
dialogs in the working directory, an always-empty MAE cell, panes without HU on hover."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtCore


def test_read_outs_stamp_and_status_line(window: Any, qtbot: Any) -> None:
    doc = window.doc
    # No lesion yet: a busy worker (loading a filler) is not "computing" a fill.
    window.worker.busy_changed.emit(True)
    assert window.filler.time_label.text() != "computing…"
    window.worker.busy_changed.emit(False)
    assert "⏳" not in window.status.busy.text()
    # The default stamp starts inside the liver, with handles a hand can hit.
    window.actions.new_stamp.trigger()
    assert doc.stamp is not None and doc.mask_outside_liver_fraction(include_stamp=True) == 0.0
    assert all(h["item"].radius >= 9 for h in window.view.stamp_roi.handles)
    window.actions.cancel_stamp.trigger()
    # The whole-slice MAE cell has a value once there is a fill.
    window.actions.whiten_tumour.trigger()
    qtbot.waitUntil(lambda: doc.last_metrics is not None, timeout=3000)
    assert window.metrics.values["mae_slice_hu"].text().endswith("HU")
    # The comparison panes read out HU on hover (truth, synthetic, difference).
    window.side.hovered.emit(50, 70)
    text = window.status.hover.text()
    assert "truth HU" in text and "synthetic HU" in text and "difference" in text
    # Long status messages keep their beginning (shortened at the end, whole in the tooltip).
    message = "Session saved to " + "/very/long/folder" * 30 + "/work.lsession"
    window.status.show(message)
    shown = window.status.message.text()
    assert shown.startswith("Session saved to") and shown.endswith("…")
    assert window.status.message.toolTip() == message
    # Corner text and orientation letters have a shadow.
    assert window.view.info.graphicsEffect() is not None
    assert all(label.graphicsEffect() is not None for label in window.view.orientation.values())


def test_a_bad_model_is_reported_without_a_traceback(
    window: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture, dialog_log: Any
) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"this is not a model")
    window.fill._startup = False  # a deliberate choice: the error goes to a dialog
    with caplog.at_level(logging.INFO):
        window.fill.choose_filler("gan", bad)
    assert dialog_log.errors and "bad.safetensors" in dialog_log.errors[-1][1]
    assert not [r for r in caplog.records if r.exc_info], "a handled error logged a traceback"


def test_file_dialogs_open_in_the_last_folder_or_the_cases(tmp_path: Path) -> None:
    from liversynth_gui import dialogs

    settings = QtCore.QSettings(str(tmp_path / "s.ini"), QtCore.QSettings.Format.IniFormat)
    case = tmp_path / "cases" / "ct.nii.gz"
    case.parent.mkdir()
    case.write_bytes(b"")
    assert dialogs.start_folder(None, settings) == str(Path.home())
    assert dialogs.start_folder(str(case), settings) == str(case.parent)
    used = tmp_path / "exports"
    used.mkdir()
    dialogs.remember_folder(str(used / "out.nii.gz"), settings)
    assert dialogs.start_folder(str(case), settings) == str(used)
