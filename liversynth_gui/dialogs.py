"""Modal questions and messages: errors, crash recovery, unsaved changes.

Each is a small function so tests can patch it (``monkeypatch.setattr(dialogs, "show_error",
...)``) and the window never blocks under pytest.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtWidgets

Button = QtWidgets.QMessageBox.StandardButton


def show_error(parent: QtWidgets.QWidget | None, title: str, error: BaseException | str) -> None:
    """Tell the user what went wrong (``str(error)`` names the file and the problem)."""
    QtWidgets.QMessageBox.critical(parent, title, str(error))


def show_info(parent: QtWidgets.QWidget | None, title: str, text: str) -> None:
    """A short information message."""
    QtWidgets.QMessageBox.information(parent, title, text)


def ask_recover(parent: QtWidgets.QWidget | None, autosave_path: Path, when: str) -> bool:
    """Offer to reopen work that an earlier run did not save; ``True`` = recover."""
    answer = QtWidgets.QMessageBox.question(
        parent,
        "Recover unsaved work?",
        f"LiverSynth found work that was not saved ({when}).\n\n"
        f"Recover it now? (Otherwise it is discarded.)\n\n{autosave_path}",
        Button.Yes | Button.No,
        Button.Yes,
    )
    return answer == Button.Yes


def ask_unsaved(parent: QtWidgets.QWidget | None, action: str) -> str:
    """Ask before losing unsaved work; returns ``"save"``, ``"discard"`` or ``"cancel"``."""
    answer = QtWidgets.QMessageBox.question(
        parent,
        "Unsaved work",
        f"The lesion work has not been saved. Save it before you {action}?",
        Button.Save | Button.Discard | Button.Cancel,
        Button.Save,
    )
    return {Button.Save: "save", Button.Discard: "discard"}.get(answer, "cancel")


def choose_model_file(parent: QtWidgets.QWidget | None) -> str | None:
    """Ask for a generator checkpoint; only ``*.safetensors`` files are offered."""
    path, _ = QtWidgets.QFileDialog.getOpenFileName(
        parent, "Load a generator model", "", "LiverSynth model (*.safetensors)"
    )
    return path or None


#: File-dialog filters for what the core reads.
VOLUME_FILTER = (
    "CT volumes (*.nii *.nii.gz *.dcm *.zip *.npy *.npz);;Session (*.lsession);;All files (*)"
)
LABELS_FILTER = "Labels (*.nii *.nii.gz *.zip *.npy *.npz);;All files (*)"
SESSION_FILTER = "LiverSynth session (*.lsession)"


def choose_open_file(parent: QtWidgets.QWidget | None, title: str, filters: str) -> str | None:
    """An existing file, or ``None`` when cancelled."""
    path, _ = QtWidgets.QFileDialog.getOpenFileName(parent, title, "", filters)
    return path or None


def choose_folder(parent: QtWidgets.QWidget | None, title: str) -> str | None:
    """An existing folder, or ``None`` when cancelled."""
    path = QtWidgets.QFileDialog.getExistingDirectory(parent, title, "")
    return path or None


def choose_save_file(
    parent: QtWidgets.QWidget | None, title: str, filters: str, suggested: str = ""
) -> str | None:
    """A file name to write, or ``None`` when cancelled."""
    path, _ = QtWidgets.QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path or None
