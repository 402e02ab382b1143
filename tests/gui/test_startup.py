"""Start-up: command line, the filler fallback, the how-to panel, and a real launch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtCore

from liversynth_gui.__main__ import parse_args, seconds_since_process_start

ROOT = Path(__file__).resolve().parents[2]


def test_command_line_options() -> None:
    default = parse_args([])
    assert default.volume is None and default.model is None and not default.no_recovery
    c = parse_args(
        ["ct.nii.gz", "--labels", "seg.nii.gz", "--model", "m.safetensors", "--print-startup-time"]
    )
    assert c.volume == Path("ct.nii.gz") and c.labels == Path("seg.nii.gz")
    assert c.model == Path("m.safetensors") and c.print_startup_time
    shot = parse_args(["--screenshot", "out.png"])
    assert shot.screenshot == Path("out.png") and shot.no_recovery  # scripted: never asks


def test_process_clock_counts_from_process_start() -> None:
    t = seconds_since_process_start()
    assert 0.0 < t < 24 * 3600


def test_a_missing_model_at_start_falls_back_to_biharmonic_with_a_note(
    window: Any, dialog_log: Any, tmp_path: Path
) -> None:
    window.fill.choose_filler("gan", str(tmp_path / "missing.safetensors"))
    assert window.doc.filler_name == "biharmonic"
    assert "biharmonic" in window.filler.note_label.text()
    assert not dialog_log.errors  # a start-up fallback is a note, not a dialog
    assert window.worker.filler is not None and window.worker.filler.name == "biharmonic"


def test_f1_toggles_the_how_to_panel(window: Any, qtbot: Any) -> None:
    shown = window.help_dock.isVisible()  # hidden at start on a small screen
    qtbot.keyClick(window.view, QtCore.Qt.Key.Key_F1)
    assert window.help_dock.isVisible() is not shown
    qtbot.keyClick(window.view, QtCore.Qt.Key.Key_F1)
    assert window.help_dock.isVisible() is shown
    assert "Whiten the real tumour" in window.help.toPlainText()


@pytest.mark.slow
def test_the_app_launches_shows_the_demo_and_reports_its_start_up_time(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        LIVERSYNTH_AUTOSAVE_DIR=str(tmp_path / "autosave"),
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "liversynth_gui",
            "--print-startup-time",
            "--quit-after-startup",
            "--no-recovery",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "startup: case painted" in out.stdout
    # The demo phantom was cached for the next start.
    assert list((tmp_path / "cache" / "liversynth").glob("phantom-0-*.npz"))
