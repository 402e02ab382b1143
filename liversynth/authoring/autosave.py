"""Autosave and crash recovery for authoring sessions.

While the app runs, an :class:`Autosaver` owns two files in the autosave folder:
``<id>.lock`` (written at start: pid, host, start time — "this session is running") and
``<id>.lsession`` (the latest autosave). A clean exit calls :meth:`Autosaver.discard`, which
removes both. After a crash both remain and the lock's process is gone, so on the next start
:func:`find_recoverable` offers the session. The caller drives saving with
:meth:`Autosaver.tick` (from a QTimer in the GUI, with explicit times in tests).

Folder: ``$LIVERSYNTH_AUTOSAVE_DIR`` if set, else ``$XDG_DATA_HOME/liversynth/autosave``
(``~/.local/share/liversynth/autosave``), or any folder passed in.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from liversynth.atomic import atomic_write_stream
from liversynth.authoring.document import Document
from liversynth.authoring.session import (
    SESSION_SUFFIX,
    load_session,
    read_session,
    save_session,
)
from liversynth.errors import LiverSynthError, LoadError
from liversynth.io.safe_files import ScanBudget, is_regular_file, read_json_file
from liversynth.volume import Case

AUTOSAVE_ENV = "LIVERSYNTH_AUTOSAVE_DIR"
LOCK_SUFFIX = ".lock"
DEFAULT_INTERVAL_S = 30.0

log = logging.getLogger(__name__)


def default_autosave_dir() -> Path:
    """``$LIVERSYNTH_AUTOSAVE_DIR`` or ``$XDG_DATA_HOME/liversynth/autosave`` (not created)."""
    env = os.environ.get(AUTOSAVE_ENV)
    if env:
        return Path(env).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "liversynth" / "autosave"


def pid_alive(pid: int, host: str) -> bool:
    """Whether process ``pid`` still runs on ``host`` (another host: assumed alive, be safe)."""
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


class Autosaver:
    """Periodically writes a document to the autosave folder; see the module docstring.

    Args:
        doc: the document to protect.
        directory: autosave folder (default :func:`default_autosave_dir`); created if missing.
        interval_s: minimum seconds between two autosaves.
        session_id: file stem; default a random id (several app instances never collide).
    """

    def __init__(
        self,
        doc: Document,
        directory: str | Path | None = None,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        session_id: str | None = None,
    ) -> None:
        self._doc = doc
        self.directory = Path(directory) if directory is not None else default_autosave_dir()
        self.interval_s = float(interval_s)
        stem = session_id or uuid.uuid4().hex[:12]
        self.path = self.directory / f"{stem}{SESSION_SUFFIX}"
        self.lock_path = self.directory / f"{stem}{LOCK_SUFFIX}"
        self.last_save_time: float | None = None
        self.last_error: str | None = None
        self._saved_revision: int | None = None
        self.directory.mkdir(parents=True, exist_ok=True)
        lock = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
        atomic_write_stream(self.lock_path, lambda f: f.write(json.dumps(lock).encode("utf-8")))

    @property
    def doc(self) -> Document:
        """The protected document; assign a new one after opening/recovering a session."""
        return self._doc

    @doc.setter
    def doc(self, doc: Document) -> None:
        self._doc = doc
        self._saved_revision = None  # revisions of different documents are not comparable
        self.last_save_time = None

    def tick(self, now: float) -> bool:
        """Autosave if the document has unsaved, changed work and ``interval_s`` has passed.

        Args:
            now: the current time in seconds (``time.monotonic()``; any monotonic clock).

        Returns:
            ``True`` when a file was written. Errors are logged and kept in ``last_error``,
            never raised: autosave must not break the app.
        """
        doc = self.doc
        if not doc.dirty or not doc.has_case or doc.revision == self._saved_revision:
            return False
        if self.last_save_time is not None and now - self.last_save_time < self.interval_s:
            return False
        return self.save_now(now)

    def save_now(self, now: float | None = None) -> bool:
        """Write the autosave immediately (``False`` and ``last_error`` set on failure)."""
        revision = self.doc.revision
        try:
            save_session(self.doc, self.path, mark_clean=False)
        except (LiverSynthError, OSError) as err:
            self.last_error = str(err)
            log.warning("autosave to %s failed: %s", self.path, err)
            return False
        self.last_error = None
        self._saved_revision = revision
        self.last_save_time = time.monotonic() if now is None else now
        return True

    def discard(self) -> None:
        """Clean exit (or work saved elsewhere): remove the autosave, then the lock."""
        remove_autosave(self.path)


def remove_autosave(path: str | Path) -> None:
    """Delete an autosave session and its lock (after recovering or declining it)."""
    path = Path(path)
    path.unlink(missing_ok=True)
    # The lock goes last: a crash in between leaves a lock without a session, which is ignored.
    path.with_suffix(LOCK_SUFFIX).unlink(missing_ok=True)


def recover(path: str | Path, *, case: Case | None = None) -> Document:
    """Reopen an autosaved session as unsaved work.

    The document is marked dirty and its ``session_path`` is the file the user last saved to
    (``None`` if never), so "Save" does not write into the autosave folder. Remove the autosave
    with :func:`remove_autosave` once the new run's own autosave has been written.

    Raises:
        LoadError: see :func:`liversynth.authoring.session.load_session`.
    """
    meta, _, _ = read_session(path)
    doc = load_session(path, case=case)
    doc.session_path = meta.get("session_path")
    doc.mark_dirty()
    return doc


def find_recoverable(
    directory: str | Path | None = None,
    *,
    is_alive: Callable[[int, str], bool] = pid_alive,
) -> list[Path]:
    """Autosaved sessions left by a crashed run, newest first.

    A session is offered when its lock file exists (no clean exit) and the process that wrote
    it is no longer running (so another open instance's autosave is not offered).

    Args:
        directory: autosave folder (default :func:`default_autosave_dir`).
        is_alive: ``(pid, host) -> bool``; injectable for tests.
    """
    folder = Path(directory) if directory is not None else default_autosave_dir()
    if not folder.is_dir():
        return []
    found = []
    budget = ScanBudget(folder, max_entries=10_000, max_seconds=10.0)
    for lock in folder.glob(f"*{LOCK_SUFFIX}"):
        try:
            budget.tick()
        except LoadError as err:  # a flooded folder: offer what was found, never fail start-up
            log.warning("autosave scan stopped: %s", err)
            break
        session = lock.with_suffix(SESSION_SUFFIX)
        # Regular files only (stat, never open): a FIFO named like a lock would block forever.
        if not is_regular_file(session) or not is_regular_file(lock):
            continue
        try:
            info = read_json_file(lock, max_bytes=4096)
            alive = is_alive(int(info["pid"]), str(info["host"]))
        except (LoadError, OSError, ValueError, KeyError, TypeError, OverflowError):
            alive = False  # an unreadable lock cannot belong to a healthy running instance
        if not alive:
            found.append(session)
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)
