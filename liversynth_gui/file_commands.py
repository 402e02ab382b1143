"""File menu: open volumes, labels, DICOM folders, the demo and sessions; save sessions;
autosave and crash recovery; the unsaved-work question.

Slow loads run in a :class:`BackgroundRunner`; errors (``LoadError`` naming the file) are
shown in a dialog and the app keeps its current case.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol

from PySide6 import QtCore, QtWidgets

from liversynth.authoring import Document
from liversynth.authoring.autosave import Autosaver, find_recoverable, remove_autosave
from liversynth.authoring.opening import (
    LoadedCase,
    demo_case,
    files_case,
    labels_case,
    recovered_document,
    session_document,
    split_dropped,
)
from liversynth.authoring.session import SESSION_SUFFIX, CaseFilesMissingError, save_session
from liversynth.errors import LiverSynthError
from liversynth_gui import dialogs
from liversynth_gui.actions import AppActions
from liversynth_gui.background import BackgroundRunner
from liversynth_gui.label_memory import LabelMappingMemory, mapping_guard
from liversynth_gui.recent import RecentFiles

#: Autosave timer period, ms (the Autosaver itself decides whether anything needs writing).
AUTOSAVE_PERIOD_MS = 30_000


class DocumentHost(Protocol):
    """What the file commands need from the main window."""

    doc: Document

    def set_document(self, doc: Document, title: str = "") -> None: ...

    def show_status(self, text: str, timeout_ms: int = 6000) -> None: ...

    def capture_view_state(self) -> dict[str, object]: ...

    def restore_view_state(self, state: dict[str, object]) -> None: ...


class FileCommands(QtCore.QObject):
    """Opening, saving, autosave and recovery for one window.

    Args:
        host: the main window.
        actions: the app's actions.
        runner: background runner for loads.
        autosave_dir: autosave folder (``None``: the default one).
        cache_dir: demo phantom cache (``None``: no cache).
    """

    def __init__(
        self,
        host: DocumentHost,
        actions: AppActions,
        runner: BackgroundRunner,
        *,
        autosave_dir: Path | None = None,
        cache_dir: Path | None = None,
        settings: QtCore.QSettings | None = None,
    ) -> None:
        super().__init__()
        self.host = host
        self.runner = runner
        self.parent_widget = host if isinstance(host, QtWidgets.QWidget) else None
        self.cache_dir = cache_dir
        self.recent = RecentFiles(self.open_path, settings)
        self.label_mappings = LabelMappingMemory(settings)
        self.autosaver = Autosaver(host.doc, autosave_dir)
        self.autosave_dir = self.autosaver.directory
        self.autosave_timer = QtCore.QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_PERIOD_MS)
        self.autosave_timer.timeout.connect(self.autosave_tick)
        self.autosave_timer.start()
        runner.failed.connect(self._load_failed)
        a = actions
        a.open_volume.triggered.connect(self.ask_open_volume)
        a.open_dicom_folder.triggered.connect(self.ask_open_dicom_folder)
        a.open_labels.triggered.connect(self.ask_open_labels)
        a.open_demo.triggered.connect(lambda: self.open_demo())
        a.open_session.triggered.connect(self.ask_open_session)
        a.save_session.triggered.connect(self.save)
        a.save_session_as.triggered.connect(self.save_as)

    # -- unsaved work --------------------------------------------------------------------------
    def confirm_discard(self, action: str) -> bool:
        """``True`` when it is fine to replace the current work (saved, discarded or clean)."""
        doc = self.host.doc
        if not doc.dirty:
            return True
        answer = dialogs.ask_unsaved(self.parent_widget, action)
        if answer == "save":
            return self.save()
        return answer == "discard"

    # -- opening -------------------------------------------------------------------------------
    def ask_open_volume(self) -> None:
        path = dialogs.choose_open_file(
            self.parent_widget,
            "Open a CT volume or case",
            dialogs.VOLUME_FILTER,
            near=self.host.doc.source.volume_path,
        )
        if path:
            self.open_path(path)

    def ask_open_dicom_folder(self) -> None:
        path = dialogs.choose_folder(
            self.parent_widget, "Open a DICOM series folder", near=self.host.doc.source.volume_path
        )
        if path:
            self.open_path(path)

    def ask_open_labels(self) -> None:
        if not self.host.doc.has_case:
            return
        path = dialogs.choose_open_file(
            self.parent_widget,
            "Open labels for this volume",
            dialogs.LABELS_FILTER,
            near=self.host.doc.source.volume_path,
        )
        if path:
            self.open_labels(path)

    def ask_open_session(self) -> None:
        path = dialogs.choose_open_file(
            self.parent_widget,
            "Open a session",
            dialogs.SESSION_FILTER,
            near=self.host.doc.source.volume_path,
        )
        if path:
            self.open_session(path)

    def open_paths(self, paths: list[str]) -> None:
        """Open dropped files: a session, a volume/case, or a volume and its labels."""
        if not paths:
            return
        if len(paths) == 1:
            self.open_path(paths[0])
            return
        volume, labels = split_dropped(paths)
        self.open_case_files(volume, labels)

    def open_path(self, path: str) -> None:
        """Open a session (``.lsession``) or a volume / case folder."""
        if str(path).endswith(SESSION_SUFFIX):
            self.open_session(path)
        else:
            self.open_case_files(path, None)

    def open_case_files(
        self, volume: str, labels: str | None, mapping: dict[int, int] | None = None
    ) -> None:
        """Load a case in the background; on success it replaces the current one.

        Label files with values other than 0/1/2 (TotalSegmentator...) get the mapping the user
        chose for them before, or the mapping dialog (``mapping`` given: the dialog's answer,
        the unsaved-work question was asked already).
        """
        if mapping is None:
            if not self.confirm_discard("open another case"):
                return
            mapping = None if labels is None else self.label_mappings.get(labels)
        self.host.show_status(f"Opening {Path(volume).name}…", 0)
        self.runner.run(
            mapping_guard(lambda: files_case(volume, labels, mapping)),
            self.label_mappings.asking(
                self.parent_widget,
                lambda m: self.open_case_files(volume, labels, m),
                self._case_loaded,
            ),
        )

    def open_demo(self, seed: int = 0, shape: tuple[int, int, int] | None = None) -> None:
        """Open the built-in phantom (from the cache when it was built before)."""
        if not self.confirm_discard("open the demo"):
            return
        kwargs = {} if shape is None else {"shape": shape}
        self.host.show_status("Preparing the demo phantom…", 0)
        self.runner.run(
            lambda: demo_case(seed, cache_dir=self.cache_dir, **kwargs), self._case_loaded
        )

    def open_labels(self, path: str, mapping: dict[int, int] | None = None) -> None:
        """Put labels from ``path`` on the open volume (same grid required).

        Values other than 0/1/2 are mapped as the user chose for this file before, or as the
        mapping dialog says.
        """
        doc = self.host.doc
        if doc.case is None:
            return
        if mapping is None:
            if not self.confirm_discard("replace the labels"):
                return
            mapping = self.label_mappings.get(path)
        # Read the document here, in the GUI thread: the background job gets plain values
        # (the Document is only ever touched from the thread that owns it).
        volume, source, name = doc.case.volume, doc.source, doc.case.name
        self.runner.run(
            mapping_guard(lambda: labels_case(volume, source, name, path, mapping)),
            self.label_mappings.asking(
                self.parent_widget, lambda m: self.open_labels(path, m), self._case_loaded
            ),
        )

    def open_session(self, path: str, volume_path: str | None = None) -> None:
        """Reopen saved work (the case is reloaded from where it came from).

        When the CT is neither where the session says nor next to it, the user is offered
        "Locate…" (``volume_path``: the answer; the unsaved-work question was asked already).
        """
        if volume_path is None and not self.confirm_discard("open a session"):
            return
        self.host.show_status(f"Opening session {Path(path).name}…", 0)

        def work() -> object:
            try:
                return session_document(path, self.cache_dir, volume_path)
            except CaseFilesMissingError as err:
                return err

        def done(result: object) -> None:
            if not isinstance(result, CaseFilesMissingError):
                self._session_loaded(result)
                return
            located = dialogs.locate_missing_case(self.parent_widget, result.missing)
            if located is None:
                self.host.show_status("Session not opened: its CT was not found", 8000)
            else:
                self.open_session(path, located)

        self.runner.run(work, done)

    def _case_loaded(self, result: object) -> None:
        assert isinstance(result, LoadedCase)
        doc = self.host.doc
        doc.open_case(result.case, source=result.source)
        if result.initial_slice is not None:
            doc.set_slice(result.initial_slice)
        self.host.set_document(doc, result.title)
        self.host.show_status(f"Opened {result.title}")
        if result.source.volume_path:
            self.recent.add(result.source.volume_path)

    def _session_loaded(self, result: object, *, recovered: bool = False) -> None:
        assert isinstance(result, Document)
        self.autosaver.doc = result
        name = Path(result.session_path).name if result.session_path else "unsaved session"
        self.host.set_document(result, f"{name} (recovered)" if recovered else name)
        self.host.restore_view_state(result.view_state)
        if recovered:
            self.host.show_status("Recovered the unsaved work of the last run", 10000)
        else:
            self.host.show_status(f"Session {result.session_path} reopened")
            if result.session_path:
                self.recent.add(result.session_path)

    def _load_failed(self, message: str) -> None:
        self.host.show_status("Could not open the file", 8000)
        dialogs.show_error(self.parent_widget, "Could not open", message)

    # -- saving --------------------------------------------------------------------------------
    def save(self) -> bool:
        """Save to the session's file (asks for a name the first time)."""
        doc = self.host.doc
        if doc.session_path:
            return self.save_to(doc.session_path)
        return self.save_as()

    def save_as(self) -> bool:
        doc = self.host.doc
        if not doc.has_case:
            return False
        assert doc.case is not None
        suggested = f"{doc.case.name}{SESSION_SUFFIX}"
        path = dialogs.choose_save_file(
            self.parent_widget,
            "Save session",
            dialogs.SESSION_FILTER,
            suggested,
            near=self.host.doc.source.volume_path,
        )
        if not path:
            return False
        if not path.endswith(SESSION_SUFFIX):
            path += SESSION_SUFFIX
        return self.save_to(path)

    def save_to(self, path: str | Path) -> bool:
        """Write the session to ``path``; ``False`` (and a dialog) on failure."""
        self.host.doc.view_state = self.host.capture_view_state()
        try:
            save_session(self.host.doc, path)
        except (LiverSynthError, OSError) as err:
            dialogs.show_error(self.parent_widget, "Could not save the session", err)
            return False
        self.recent.add(path)
        # The work is safe in the user's file: an older autosave must not be offered after a
        # crash. The lock stays, so later unsaved work is still protected.
        self.autosaver.path.unlink(missing_ok=True)
        self.host.show_status(f"Session saved to {path}")
        return True

    # -- autosave and recovery -----------------------------------------------------------------
    def autosave_tick(self) -> bool:
        """Called by the timer: write an autosave if there is new unsaved work."""
        self.host.doc.view_state = self.host.capture_view_state()
        return self.autosaver.tick(time.monotonic())

    def offer_recovery(self) -> bool:
        """On start: offer the newest autosave left by a crashed run. ``True`` if recovering."""
        found = [p for p in find_recoverable(self.autosave_dir) if p != self.autosaver.path]
        if not found:
            return False
        newest = found[0]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(newest.stat().st_mtime))
        if not dialogs.ask_recover(self.parent_widget, newest, when):
            for path in found:
                remove_autosave(path)
            return False

        def recovered(result: object) -> None:
            self._session_loaded(result, recovered=True)
            # Write this run's own autosave first, then drop the crashed run's files.
            if self.autosaver.save_now():
                for path in found:
                    remove_autosave(path)

        self.runner.run(lambda: recovered_document(newest, self.cache_dir), recovered)
        return True

    def shutdown(self) -> None:
        """Clean exit: stop autosaving and remove this run's autosave and lock."""
        self.autosave_timer.stop()
        self.autosaver.discard()
