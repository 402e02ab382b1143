"""Sessions travel with their case folder: relative paths first, the absolute one as a
fallback, a look next to the session, "Locate…" when the CT is nowhere; the view comes back."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from liversynth.io import save_nifti


def test_session_and_case_folder_moved_together_reopen_with_view_and_locate(
    make_window: Any,
    small_case: Any,
    dialog_log: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from liversynth_gui import dialogs

    teacher = tmp_path / "teacher"
    case_dir = teacher / "case1"
    case_dir.mkdir(parents=True)
    save_nifti(small_case.volume.hu, small_case.volume.spacing_mm, case_dir / "ct.nii.gz")
    save_nifti(
        small_case.labels, small_case.volume.spacing_mm, case_dir / "seg.nii.gz", labels=True
    )
    window = make_window()
    window.files.open_case_files(str(case_dir / "ct.nii.gz"), str(case_dir / "seg.nii.gz"))
    doc = window.doc
    assert doc.whiten_real_tumour()
    mask, z = doc.mask.copy(), doc.slice_index
    window.view.view.setRange(xRange=(30, 70), yRange=(40, 80), padding=0)
    zoomed = window.view.view.viewRange()
    window.actions.toggle_liver.setChecked(False)
    window.overlays.sliders["lesion"].setValue(80)
    window.files.save_to(teacher / "work.lsession")
    with zipfile.ZipFile(teacher / "work.lsession") as zf:
        meta = json.loads(zf.read("session.json"))
    assert meta["relative_paths"] == {
        "volume_path": "case1/ct.nii.gz",
        "labels_path": "case1/seg.nii.gz",
    }

    # The trainee gets the session and the case folder somewhere else; the teacher's copy is gone.
    trainee = tmp_path / "trainee" / "inbox"
    shutil.copytree(teacher, trainee)
    shutil.rmtree(teacher)
    window.actions.toggle_liver.setChecked(True)
    window.actions.reset_zoom.trigger()
    window.files.open_session(str(trainee / "work.lsession"))
    assert not dialog_log.errors
    new = window.doc
    assert new.source.volume_path == str(trainee / "case1" / "ct.nii.gz")
    assert np.array_equal(new.mask_for(z), mask) and new.case.labels is not None
    assert np.allclose(window.view.view.viewRange(), zoomed, atol=1.0)
    assert (
        not window.actions.toggle_liver.isChecked() and not window.view.layers["liver"].isVisible()
    )
    assert abs(window.view.layers["lesion"].opacity() - 0.8) < 1e-6

    # Only the session travels: "Locate…" is offered, and the labels are found beside the CT.
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(trainee / "work.lsession", alone)
    elsewhere = tmp_path / "usb" / "case1"
    shutil.copytree(trainee / "case1", elsewhere)
    shutil.rmtree(trainee / "case1")
    asked: list[str] = []

    def locate(_parent: Any, missing: str) -> str:
        asked.append(missing)
        return str(elsewhere / "ct.nii.gz")

    monkeypatch.setattr(dialogs, "locate_missing_case", locate)
    window.files.open_session(str(alone / "work.lsession"))
    assert asked and asked[0].endswith("ct.nii.gz") and not dialog_log.errors
    assert window.doc.source.labels_path == str(elsewhere / "seg.nii.gz")
    assert np.array_equal(window.doc.mask_for(z), mask)
