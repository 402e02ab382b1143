"""File ▸ Export: ask where, snapshot the document, write in the background, report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from liversynth.authoring.exporting import (
    ExportSnapshot,
    export_dicom,
    export_mask,
    export_nifti,
    export_png,
)
from liversynth.fillers.base import SliceFiller
from liversynth_gui import dialogs
from liversynth_gui.actions import AppActions
from liversynth_gui.background import BackgroundRunner
from liversynth_gui.file_commands import DocumentHost
from liversynth_gui.fill_controller import build_filler

NIFTI_FILTER = "NIfTI (*.nii.gz *.nii)"


class ExportCommands(QtCore.QObject):
    """Connects the export actions; each export runs in ``runner``.

    Signals:
        exported(list): the written paths (after a successful export).
    """

    exported = QtCore.Signal(list)

    def __init__(self, host: DocumentHost, actions: AppActions, runner: BackgroundRunner) -> None:
        super().__init__()
        self.host = host
        self.runner = runner
        self.parent_widget = host if isinstance(host, QtWidgets.QWidget) else None
        actions.export_nifti.triggered.connect(self.ask_export_nifti)
        actions.export_png.triggered.connect(self.ask_export_png)
        actions.export_mask.triggered.connect(self.ask_export_mask)
        actions.export_dicom.triggered.connect(self.ask_export_dicom)
        runner.failed.connect(
            lambda msg: dialogs.show_error(self.parent_widget, "Export failed", msg)
        )

    def _snapshot(self) -> ExportSnapshot | None:
        doc = self.host.doc
        if not doc.has_case:
            return None
        if not doc.painted_slices():
            dialogs.show_info(
                self.parent_widget,
                "Nothing to export",
                "There is no lesion yet: paint, stamp or whiten one first.",
            )
            return None
        return ExportSnapshot.of(doc)

    def _run(self, what: str, work: Callable[[], list[Path]]) -> None:
        self.host.show_status(f"Exporting {what}…", 0)

        def done(paths: object) -> None:
            assert isinstance(paths, list)
            self.host.show_status(
                f"Exported {what}: {', '.join(Path(p).name for p in paths)}", 10000
            )
            self.exported.emit(paths)

        self.runner.run(work, done)

    def _run_filled(
        self,
        what: str,
        export: Callable[[ExportSnapshot, SliceFiller, Path], list[Path]],
        snap: ExportSnapshot,
        dest: Path,
    ) -> None:
        """Like :meth:`_run`, with the snapshot's filler built in the background first."""
        self._run(what, lambda: export(snap, build_filler(snap.filler_name, snap.model_path), dest))

    def ask_export_nifti(self) -> None:
        snap = self._snapshot()
        if snap is None:
            return
        path = dialogs.choose_save_file(
            self.parent_widget,
            "Export synthetic volume + labels",
            NIFTI_FILTER,
            f"{snap.name}_synthetic.nii.gz",
            near=self.host.doc.source.volume_path,
        )
        if path:
            self.export_nifti(snap, Path(path))

    def export_nifti(self, snap: ExportSnapshot, path: Path) -> None:
        self._run_filled("NIfTI", export_nifti, snap, path)

    def ask_export_png(self) -> None:
        snap = self._snapshot()
        if snap is None:
            return
        folder = dialogs.choose_folder(
            self.parent_widget, "Folder for the PNG slices", near=self.host.doc.source.volume_path
        )
        if folder:
            self.export_png(snap, Path(folder))

    def export_png(self, snap: ExportSnapshot, folder: Path) -> None:
        self._run_filled("PNG", export_png, snap, folder)

    def ask_export_mask(self) -> None:
        snap = self._snapshot()
        if snap is None:
            return
        path = dialogs.choose_save_file(
            self.parent_widget,
            "Export the lesion mask",
            NIFTI_FILTER,
            f"{snap.name}_lesion_mask.nii.gz",
            near=self.host.doc.source.volume_path,
        )
        if path:
            self.export_mask(snap, Path(path))

    def export_mask(self, snap: ExportSnapshot, path: Path) -> None:
        self._run("mask", lambda: export_mask(snap, path))

    def ask_export_dicom(self) -> None:
        snap = self._snapshot()
        if snap is None:
            return
        folder = dialogs.choose_folder(
            self.parent_widget,
            "Empty folder for the DICOM series",
            near=self.host.doc.source.volume_path,
        )
        if folder:
            self.export_dicom(snap, Path(folder))

    def export_dicom(self, snap: ExportSnapshot, folder: Path) -> None:
        self._run_filled("DICOM", export_dicom, snap, folder)
