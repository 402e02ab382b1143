"""Modal questions and messages: errors, crash recovery, unsaved changes.

Each is a small function so tests can patch it (``monkeypatch.setattr(dialogs, "show_error",
...)``) and the window never blocks under pytest.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

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
        parent, "Load a generator model", start_folder(), "LiverSynth model (*.safetensors)"
    )
    remember_folder(path)
    return path or None


#: File-dialog filters for what the core reads.
VOLUME_FILTER = (
    "CT volumes (*.nii *.nii.gz *.dcm *.zip *.npy *.npz);;Session (*.lsession);;All files (*)"
)
LABELS_FILTER = "Labels (*.nii *.nii.gz *.zip *.npy *.npz);;All files (*)"
SESSION_FILTER = "LiverSynth session (*.lsession)"


#: QSettings key of the folder the last file dialog ended in.
LAST_FOLDER_KEY = "dialogs/last_folder"


def start_folder(near: str | None = None, settings: QtCore.QSettings | None = None) -> str:
    """Where a file dialog opens: the last folder used, else the folder of ``near`` (a file
    or folder of the open case), else the home folder — never the working directory."""
    last = str((settings or QtCore.QSettings()).value(LAST_FOLDER_KEY, "") or "")
    if last and Path(last).is_dir():
        return last
    if near:
        p = Path(near)
        folder = p.parent if not p.is_dir() else p.parent if p.name else p
        if folder.is_dir():
            return str(folder)
    return str(Path.home())


def remember_folder(path: str | None, settings: QtCore.QSettings | None = None) -> None:
    """Record the folder of a chosen file (or the chosen folder) for :func:`start_folder`."""
    if path:
        p = Path(path)
        (settings or QtCore.QSettings()).setValue(
            LAST_FOLDER_KEY, str(p if p.is_dir() else p.parent)
        )


def choose_open_file(
    parent: QtWidgets.QWidget | None, title: str, filters: str, near: str | None = None
) -> str | None:
    """An existing file, or ``None`` when cancelled (opens in :func:`start_folder`)."""
    path, _ = QtWidgets.QFileDialog.getOpenFileName(parent, title, start_folder(near), filters)
    remember_folder(path)
    return path or None


def choose_folder(
    parent: QtWidgets.QWidget | None, title: str, near: str | None = None
) -> str | None:
    """An existing folder, or ``None`` when cancelled (opens in :func:`start_folder`)."""
    path = QtWidgets.QFileDialog.getExistingDirectory(parent, title, start_folder(near))
    remember_folder(path)
    return path or None


def choose_save_file(
    parent: QtWidgets.QWidget | None,
    title: str,
    filters: str,
    suggested: str = "",
    near: str | None = None,
) -> str | None:
    """A file name to write, or ``None`` when cancelled (opens in :func:`start_folder`)."""
    start = str(Path(start_folder(near)) / suggested) if suggested else start_folder(near)
    path, _ = QtWidgets.QFileDialog.getSaveFileName(parent, title, start, filters)
    remember_folder(path)
    return path or None


def _parse_ids(text: str) -> list[int]:
    return [int(t) for t in text.replace(";", ",").replace(" ", ",").split(",") if t.strip()]


def ask_label_mapping(
    parent: QtWidgets.QWidget | None, path: Path, ids: list[int]
) -> dict[int, int] | None:
    """Ask which stored label values are liver and which tumour (e.g. TotalSegmentator's 5).

    Args:
        parent: the window.
        path: the label file (named in the question).
        ids: label values found that are not 0/1/2 (offered as the choices).

    Returns:
        ``{stored id: 1 (liver) or 2 (tumour)}``, or ``None`` when cancelled.
    """
    dialog = QtWidgets.QDialog(parent)
    dialog.setWindowTitle("Which label is the liver?")
    form = QtWidgets.QFormLayout(dialog)
    intro = QtWidgets.QLabel(
        f"{Path(path).name} uses label values {', '.join(map(str, ids))}"
        f"{' …' if len(ids) >= 10 else ''} besides 0/1/2.\n"
        "Type the values that mean liver and tumour (several: 5, 6); other values are ignored."
    )
    intro.setWordWrap(True)
    form.addRow(intro)
    liver = QtWidgets.QLineEdit("5" if 5 in ids else str(ids[0]) if ids else "1")
    tumour = QtWidgets.QLineEdit("")
    tumour.setPlaceholderText("none (e.g. a healthy liver)")
    form.addRow("Liver value(s):", liver)
    form.addRow("Tumour value(s):", tumour)
    box = QtWidgets.QDialogButtonBox.StandardButton
    buttons = QtWidgets.QDialogButtonBox(box.Ok | box.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    while dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
        try:
            mapping = dict.fromkeys(_parse_ids(liver.text()), 1)
            mapping.update(dict.fromkeys(_parse_ids(tumour.text()), 2))
        except ValueError:
            intro.setText("Label values are whole numbers, separated by commas.")
            continue
        if mapping:
            return mapping
    return None


def locate_missing_case(parent: QtWidgets.QWidget | None, missing: str) -> str | None:
    """The session's CT is missing: let the user point at it (a file or a DICOM folder).

    Returns:
        the chosen file or folder, or ``None`` when cancelled.
    """
    box = QtWidgets.QMessageBox(parent)
    box.setIcon(QtWidgets.QMessageBox.Icon.Warning)
    box.setWindowTitle("Where is the CT?")
    box.setText(
        f"The session's CT was not found:\n{missing}\n\n"
        "It was looked for next to the session too. Locate it (a file, or a DICOM folder)?"
    )
    file_button = box.addButton("Locate file…", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
    folder_button = box.addButton("Locate folder…", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QtWidgets.QMessageBox.StandardButton.Cancel)
    box.exec()
    name = Path(missing.replace("\\", "/")).name
    if box.clickedButton() is file_button:
        return choose_open_file(parent, f"Locate {name}", VOLUME_FILTER)
    if box.clickedButton() is folder_button:
        return choose_folder(parent, f"Locate the folder {name}")
    return None
