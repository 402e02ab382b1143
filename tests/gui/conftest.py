"""Fixtures for the desktop-app tests: a small phantom, an isolated window, mouse helpers.

Every window runs with synchronous workers (fills and loads finish inside the call), a
temporary autosave folder and its own QSettings file, and with modal dialogs replaced by
recorders so that nothing blocks under ``QT_QPA_PLATFORM=offscreen``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from gui_helpers import SMALL_SHAPE, ConstantFiller
from PySide6 import QtCore, QtWidgets

from liversynth.volume import Case


@dataclass
class DialogLog:
    """What the patched dialogs were asked, and the answers they give."""

    errors: list[tuple[str, str]] = field(default_factory=list)
    infos: list[tuple[str, str]] = field(default_factory=list)
    unsaved_answer: str = "discard"
    unsaved_asked: list[str] = field(default_factory=list)
    recover_answer: bool = True
    recover_asked: list[Path] = field(default_factory=list)
    open_file: str | None = None
    save_file: str | None = None
    folder: str | None = None
    model_file: str | None = None


@pytest.fixture(scope="session")
def small_case() -> Case:
    """The phantom at (16, 128, 128): liver and tumours, built once."""
    from liversynth.phantom import make_phantom

    return make_phantom(seed=0, shape=SMALL_SHAPE)


@pytest.fixture
def small_case_files(small_case: Case, tmp_path: Path) -> tuple[Path, Path]:
    """``small_case`` written as ``ct.nii.gz`` + ``seg.nii.gz`` in ``tmp_path``, for tests that
    open (and reopen) a case the way a user does, through the file loaders."""
    from liversynth.io import save_nifti

    spacing = small_case.volume.spacing_mm
    ct = save_nifti(small_case.volume.hu, spacing, tmp_path / "ct.nii.gz")
    assert small_case.labels is not None
    seg = save_nifti(small_case.labels, spacing, tmp_path / "seg.nii.gz", labels=True)
    return ct, seg


@pytest.fixture
def dialog_log(monkeypatch: pytest.MonkeyPatch) -> DialogLog:
    """Replace every modal dialog of :mod:`liversynth_gui.dialogs` by a recorder."""
    from liversynth_gui import dialogs

    log = DialogLog()

    def show_error(_parent: Any, title: str, error: Any) -> None:
        log.errors.append((title, str(error)))

    def show_info(_parent: Any, title: str, text: str) -> None:
        log.infos.append((title, text))

    def ask_unsaved(_parent: Any, action: str) -> str:
        log.unsaved_asked.append(action)
        return log.unsaved_answer

    def ask_recover(_parent: Any, path: Path, _when: str) -> bool:
        log.recover_asked.append(Path(path))
        return log.recover_answer

    monkeypatch.setattr(dialogs, "show_error", show_error)
    monkeypatch.setattr(dialogs, "show_info", show_info)
    monkeypatch.setattr(dialogs, "ask_unsaved", ask_unsaved)
    monkeypatch.setattr(dialogs, "ask_recover", ask_recover)
    monkeypatch.setattr(dialogs, "choose_open_file", lambda *_a, **_k: log.open_file)
    monkeypatch.setattr(dialogs, "choose_save_file", lambda *_a, **_k: log.save_file)
    monkeypatch.setattr(dialogs, "choose_folder", lambda *_a, **_k: log.folder)
    monkeypatch.setattr(dialogs, "choose_model_file", lambda *_a, **_k: log.model_file)

    # Belt and braces: a QMessageBox that slipped through must not block the test run.
    for name in ("critical", "information", "warning", "question"):
        monkeypatch.setattr(
            QtWidgets.QMessageBox,
            name,
            staticmethod(lambda *_a, **_k: pytest.fail("unpatched dialog")),
        )
    return log


@pytest.fixture
def make_window(
    qtbot: Any, tmp_path: Path, dialog_log: DialogLog, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """Factory: a synchronous MainWindow (no case open yet)."""
    from liversynth_gui.app import make_app
    from liversynth_gui.main_window import MainWindow, WindowOptions

    make_app()
    monkeypatch.setenv("LIVERSYNTH_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    windows: list[MainWindow] = []

    def make(**overrides: Any) -> MainWindow:
        settings = QtCore.QSettings(
            str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat
        )
        opts = dict(
            synchronous=True,
            debounce_ms=0,
            autosave_dir=tmp_path / "autosave",
            cache_dir=None,
            settings=settings,
        )
        opts.update(overrides)
        window = MainWindow(WindowOptions(**opts))
        qtbot.addWidget(window)
        window.resize(1200, 800)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.doc.mark_clean()  # no unsaved-work question at teardown
        window.close()
        window.deleteLater()
    QtWidgets.QApplication.processEvents()
    # Collect Qt wrappers while the QApplication is alive, not at interpreter exit.
    gc.collect()


@pytest.fixture
def window(make_window: Any, small_case: Case) -> Any:
    """A window with the small phantom open on a slice with a tumour, and a fast filler."""
    from liversynth.authoring import CaseSource
    from liversynth.authoring.opening import demo_slice

    w = make_window()
    w.worker.set_filler(ConstantFiller())
    w.doc.open_case(small_case, source=CaseSource(phantom_seed=0, phantom_shape=SMALL_SHAPE))
    z = demo_slice(small_case.labels)
    assert z is not None
    w.doc.set_slice(z)
    QtWidgets.QApplication.processEvents()
    return w
