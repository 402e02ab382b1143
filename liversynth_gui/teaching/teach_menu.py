"""The Teach menu of the main window, and File → Open quiz…

- *Build quiz…*: a dialog for :func:`liversynth.teaching.build.build_quiz` (run in the
  background);
- *Add this slice as an item…*: the slice on screen with its current mask (and the current
  fill, if the lesion is synthetic) into a quiz folder;
- *Review quiz answers…*: the review of a folder with the key and collected answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6 import QtGui, QtWidgets

from liversynth_gui import dialogs

if TYPE_CHECKING:
    from liversynth_gui.main_window import MainWindow

# The teaching modules (nibabel, scipy.spatial, the builder) are imported when a Teach command
# runs, not when the main window starts.


def ask_slice_item(parent: QtWidgets.QWidget, can_be_synthetic: bool) -> tuple[str, str] | None:
    """Ask the kind and what the lesion on screen is (``real``/``synthetic``/``none``)."""
    from liversynth.teaching.quiz import KINDS

    dlg = QtWidgets.QDialog(parent)
    dlg.setWindowTitle("Add this slice as an item")
    kind = QtWidgets.QComboBox()
    kind.addItems(list(KINDS))
    truth = QtWidgets.QComboBox()
    truth.addItems(["real", "synthetic", "none"] if can_be_synthetic else ["real", "none"])
    form = QtWidgets.QFormLayout(dlg)
    form.addRow("Item kind", kind)
    form.addRow("The lesion in the mask is", truth)
    buttons = QtWidgets.QDialogButtonBox(
        QtWidgets.QDialogButtonBox.StandardButton.Ok
        | QtWidgets.QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(dlg.accept)
    buttons.rejected.connect(dlg.reject)
    form.addRow(buttons)
    if dlg.exec() != QtWidgets.QDialog.DialogCode.Accepted:
        return None
    return kind.currentText(), truth.currentText()


class TeachMenu:
    """Adds the Teach menu and File → Open quiz… to ``window`` and keeps the quiz windows."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.windows: list[QtWidgets.QMainWindow] = []
        self.quiz_folder: Path | None = None
        w = window
        self.open_quiz = QtGui.QAction("Open &quiz…", w)
        self.open_quiz.setStatusTip("Take a quiz (a folder with quiz.json)")
        self.build = QtGui.QAction("&Build quiz…", w)
        self.add_slice = QtGui.QAction("&Add this slice as an item…", w)
        self.add_slice.setStatusTip("The slice on screen with its mask (and fill) into a quiz")
        self.review = QtGui.QAction("&Review quiz answers…", w)
        self.open_quiz.triggered.connect(self.on_open_quiz)
        self.build.triggered.connect(self.on_build)
        self.add_slice.triggered.connect(self.on_add_slice)
        self.review.triggered.connect(self.on_review)
        bar = w.menuBar()
        file_menu = bar.actions()[0].menu() if bar.actions() else None
        if isinstance(file_menu, QtWidgets.QMenu):
            seps = [a for a in file_menu.actions() if a.isSeparator()]
            file_menu.insertAction(seps[0] if seps else None, self.open_quiz)
        help_action = bar.actions()[-1] if bar.actions() else None
        teach = QtWidgets.QMenu("&Teach", bar)
        for act in (self.build, self.add_slice, None, self.review):
            teach.addSeparator() if act is None else teach.addAction(act)
        bar.insertMenu(help_action, teach)
        self.menu = teach

    def _show(self, window: QtWidgets.QMainWindow | None) -> None:
        if window is not None:
            self.windows = [x for x in self.windows if x.isVisible()] + [window]
            window.show()

    def on_open_quiz(self) -> None:
        from liversynth_gui.teaching.launch import open_quiz_window

        folder = dialogs.choose_folder(self.window, "Open a quiz folder")
        if folder:
            self._show(open_quiz_window(folder, parent=self.window))

    def on_review(self) -> None:
        from liversynth_gui.teaching.launch import open_quiz_window

        folder = dialogs.choose_folder(self.window, "Quiz folder with the key and answers")
        if folder:
            self._show(open_quiz_window(folder, review=True, parent=self.window))

    def on_build(self) -> None:
        from liversynth_gui.teaching.build_dialog import BuildQuizDialog

        dlg = BuildQuizDialog(self.window)
        if dlg.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        job = dlg.job()
        self.window.show_status("building the quiz…", 0)

        def _done(result: Any) -> None:
            self.quiz_folder = job.out
            dialogs.show_info(self.window, "Quiz built", f"{len(result.items)} items in {job.out}")

        self.window.loader.run(job.run, _done)

    def on_add_slice(self) -> None:
        doc = self.window.doc
        if not doc.has_case:
            dialogs.show_error(self.window, "Add this slice", "Open a case first.")
            return
        choice = ask_slice_item(self.window, doc.fill_up_to_date())
        if choice is None:
            return
        folder = self.quiz_folder or (
            Path(p)
            if (p := dialogs.choose_folder(self.window, "Quiz folder (new or existing)"))
            else None
        )
        if folder is None:
            return
        try:
            item_id = self.add_current_slice(folder, *choice)
        except Exception as err:  # shown, never fatal
            dialogs.show_error(self.window, "Add this slice", err)
            return
        self.window.show_status(f"added {item_id} to {folder}")

    def add_current_slice(self, folder: str | Path, kind: str, truth: str) -> str:
        """Add the document's slice, mask and (synthetic) fill to the quiz in ``folder``."""
        from liversynth.teaching.authoring import add_slice_item

        doc = self.window.doc
        case = doc.case
        z = doc.slice_index
        hu = np.asarray(case.volume.hu)
        lesion = None
        if truth != "none":
            lesion = np.zeros(hu.shape, bool)
            lesion[z] = doc.mask
            if truth == "real" and not lesion[z].any() and case.labels is not None:
                lesion = case.labels == 2
        fill = {}
        if truth == "synthetic":
            hu = hu.astype(np.float32)
            hu[z] = doc.last_fill
            fill = {"filler": doc.filler_name}
        self.quiz_folder = Path(folder)
        return add_slice_item(
            folder,
            hu_zyx=hu,
            spacing_mm=tuple(case.volume.spacing_mm),  # type: ignore[arg-type]
            z=z,
            kind=kind,
            lesion_zyx=lesion,
            synthetic=truth == "synthetic",
            source={"case": case.name, "slice": z},
            **fill,
        )
