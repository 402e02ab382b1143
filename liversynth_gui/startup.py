"""What happens after the window shows: open the case, then load the filler, time the first
paint, offer recovery, and (``--screenshot``) run the demo and save a picture of the window.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from liversynth_gui.launch import LaunchConfig

if TYPE_CHECKING:
    from liversynth_gui.main_window import MainWindow

#: Give up waiting for the screenshot's fill after this long, ms.
SCREENSHOT_TIMEOUT_MS = 120_000


class Startup(QtCore.QObject):
    """Drives start-up for :func:`liversynth_gui.__main__.main`.

    Args:
        window: the main window (already built, maybe not shown yet).
        config: the command line.
        clock: seconds since process start.
    """

    def __init__(
        self, window: MainWindow, config: LaunchConfig, clock: Callable[[], float]
    ) -> None:
        super().__init__(window)
        self.window, self.config, self.clock = window, config, clock
        self.first_paint_s: float | None = None
        self.first_paint_cpu_s: float | None = None
        self.exit_code: int | None = None
        self._shot_started = False
        window.view.viewport().installEventFilter(self)

    def begin(self) -> None:
        """Start loading the case (in the background); the rest follows from events."""
        c, files = self.config, self.window.files
        if c.volume is None:
            files.open_demo()
        elif str(c.volume).endswith(".lsession"):
            files.open_session(str(c.volume))
        else:
            files.open_case_files(str(c.volume), None if c.labels is None else str(c.labels))

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.Paint and self.window.doc.has_case:
            if self.first_paint_s is None:
                self.first_paint_s = self.clock()
                # CPU seconds of this process so far: the wall time an idle machine would show.
                self.first_paint_cpu_s = time.process_time()
                QtCore.QTimer.singleShot(0, self._after_first_paint)
        return False

    def _after_first_paint(self) -> None:
        self.window.view.viewport().removeEventFilter(self)
        if self.config.print_startup_time:
            print(
                f"startup: case painted {self.first_paint_s:.2f} s after process start "
                f"(CPU time {self.first_paint_cpu_s:.2f} s)",
                flush=True,
            )
        if self.config.quit_after_startup:
            self.exit_code = 0
            self.window.close()  # the clean-exit path: removes this run's autosave lock
            QtWidgets.QApplication.quit()
            return
        model = None if self.config.model is None else str(self.config.model)
        self.window.fill.choose_filler("gan", model)
        if not self.config.no_recovery:
            self.window.files.offer_recovery()
        if self.config.screenshot is not None or self.config.smoke_test:
            self.window.fill.fillerReady.connect(self._screenshot_step)
            QtCore.QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, self._screenshot_timeout)

    # -- --screenshot --------------------------------------------------------------------------
    def _screenshot_step(self) -> None:
        if self._shot_started:
            return
        self._shot_started = True
        doc = self.window.doc
        doc.events.fill_changed.connect(self._fill_arrived)
        if not doc.whiten_real_tumour():
            print("screenshot: no real tumour on the demo slice", file=sys.stderr)
            self._grab_later()

    def _fill_arrived(self) -> None:
        doc = self.window.doc
        if doc.last_fill is not None and not doc.last_fill_preview:
            self._grab_later()

    def _grab_later(self) -> None:
        # Let the views repaint with the new fill before grabbing.
        QtCore.QTimer.singleShot(400, self._grab)

    def _grab(self) -> None:
        if self.exit_code is not None:
            return
        ok = True
        path = self.config.screenshot
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            ok = self.window.grab().save(str(path))
            print(f"screenshot: {'saved' if ok else 'FAILED to save'} {path}", flush=True)
        if self.config.smoke_test:
            ok = ok and self._report_smoke_test()
        self.exit_code = 0 if ok else 1
        self.window.files.autosaver.discard()
        self.window.doc.mark_clean()  # a scripted run leaves nothing to save
        self.window.close()
        QtWidgets.QApplication.quit()

    def _report_smoke_test(self) -> bool:
        fill = self.window.doc.last_fill
        if fill is None:
            print("smoke-test: FAILED, no fill arrived", file=sys.stderr, flush=True)
            return False
        doc = self.window.doc
        lesion_px = int(doc.mask.sum())
        print(
            f"smoke-test: OK, filler {doc.filler_name!r} on {doc.last_fill_device} filled "
            f"{lesion_px} lesion px on slice {doc.slice_index} in {doc.last_fill_ms:.0f} ms",
            flush=True,
        )
        return True

    def _screenshot_timeout(self) -> None:
        if self.exit_code is None:
            print("screenshot: timed out waiting for the fill; grabbing anyway", file=sys.stderr)
            self._grab()
            self.exit_code = 1
