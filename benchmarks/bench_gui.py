"""The desktop app: launch to a usable window, and brush release to the fill on screen.

* **Launch**: ``python -m liversynth_gui --print-startup-time --quit-after-startup
  --no-recovery`` under ``QT_QPA_PLATFORM=offscreen`` (the app's own clock: process start →
  first paint of the demo case). One untimed launch first fills a private demo-phantom cache
  (``XDG_CACHE_HOME`` in the scratch folder), as any second launch of a user finds it; that
  cold launch is reported separately.
* **Brush release → fill on screen**: a real :class:`~liversynth_gui.main_window.MainWindow`
  in this process with its real background worker and the default ``gan`` model, showing
  3Dircadb1.1 (the phantom when absent). Each trial paints a short stroke in the liver of a
  tumour slice and times from ``Document.end_stroke()`` (what a mouse release calls) to the
  first paint of the "Synthetic" pane after the fill result arrived. Once with the app's
  debounce (the pause it waits for after the last edit) and once with no debounce.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from benchmarks.context import ROOT, BenchContext
from benchmarks.stats import scaled, summarize

_STARTUP = re.compile(r"startup: case painted ([0-9.]+) s after process start \(CPU time ([0-9.]+)")
#: Give up on one fill after this long (s).
TRIAL_TIMEOUT_S = 30.0


def _launch(env: dict[str, str]) -> dict[str, float]:
    cmd = [
        sys.executable,
        "-m",
        "liversynth_gui",
        "--print-startup-time",
        "--quit-after-startup",
        "--no-recovery",
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    total = time.perf_counter() - t0
    match = _STARTUP.search(proc.stdout)
    if proc.returncode != 0 or match is None:
        raise RuntimeError(f"GUI launch failed ({proc.returncode}): {proc.stderr[-1500:]}")
    return {
        "first_paint_s": float(match.group(1)),
        "cpu_s": float(match.group(2)),
        "process_total_s": total,
    }


def launch(ctx: BenchContext) -> dict[str, Any]:
    """Start-up time of the app (see the module docstring)."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CACHE_HOME=str(ctx.scratch / "xdg_cache"),
        LIVERSYNTH_AUTOSAVE_DIR=str(ctx.scratch / "autosave"),
    )
    cold = _launch(env)
    runs = [cold] if ctx.quick else [_launch(env) for _ in range(3)]
    return {
        "command": "QT_QPA_PLATFORM=offscreen python -m liversynth_gui --print-startup-time",
        "first_paint_s": summarize([r["first_paint_s"] for r in runs], "s"),
        "first_paint_cpu_s": summarize([r["cpu_s"] for r in runs], "s"),
        "process_start_to_exit_s": summarize([r["process_total_s"] for r in runs], "s"),
        "cold_cache_first_launch": cold,
        "note": "demo phantom cache warm (one untimed launch first); offscreen platform",
    }


class _PaintProbe:
    """Records when a widget paints after :meth:`arm` (a Qt event filter)."""

    def __init__(self, widget: Any) -> None:
        from PySide6 import QtCore

        class Filter(QtCore.QObject):
            def eventFilter(inner, obj: Any, event: Any) -> bool:
                if event.type() == QtCore.QEvent.Type.Paint and self.armed:
                    self.painted_at = time.perf_counter()
                    self.armed = False
                return False

        self.armed = False
        self.painted_at: float | None = None
        self._filter = Filter()
        widget.installEventFilter(self._filter)

    def arm(self) -> None:
        self.armed, self.painted_at = True, None

    def reset(self) -> None:
        self.armed, self.painted_at = False, None


def _liver_points(case: Any, z: int, count: int) -> list[tuple[int, int]]:
    """Points deep inside the liver of slice ``z`` (far from its edge and from the tumour)."""
    from scipy import ndimage

    liver = case.labels[z] == 1
    depth = ndimage.distance_transform_edt(liver)
    rows, cols = np.nonzero(depth >= min(8.0, 0.5 * depth.max()) if depth.max() > 0 else liver)
    if rows.size == 0:  # no liver on this slice: the slice centre
        rows, cols = np.array([liver.shape[0] // 2]), np.array([liver.shape[1] // 2])
    rng = np.random.default_rng(0)
    picks = rng.choice(rows.size, size=count, replace=rows.size < count)
    return [(int(rows[i]), int(cols[i])) for i in picks]


def _trials(window: Any, app: Any, points: list[tuple[int, int]], debounce_ms: int) -> dict:
    doc = window.doc
    window.fill.timer.setInterval(debounce_ms)
    pane = window.side.images["synthetic"].getViewWidget().viewport()
    probe = _PaintProbe(pane)
    arrived: dict[str, float | None] = {"t": None}

    def on_fill() -> None:
        if doc.last_fill is not None and arrived["t"] is None:
            arrived["t"] = time.perf_counter()
            probe.arm()

    doc.events.fill_changed.connect(on_fill)
    to_paint, to_result = [], []
    for row, col in points:
        doc.clear_mask()
        _pump(app, 0.3 + debounce_ms / 1e3)  # let the clear settle (no fill for an empty mask)
        arrived["t"] = None
        probe.reset()
        doc.begin_stroke("paint", radius_px=6)
        for d in range(0, 13, 3):
            doc.stroke_to(row + d * 0.5, col + d)
        t0 = time.perf_counter()
        doc.end_stroke()
        deadline = t0 + TRIAL_TIMEOUT_S
        while probe.painted_at is None and time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.0005)
        if probe.painted_at is None or arrived["t"] is None:
            raise RuntimeError("no fill was displayed within the time limit")
        to_result.append(arrived["t"] - t0)
        to_paint.append(probe.painted_at - t0)
    doc.events.fill_changed.disconnect(on_fill)
    return {
        "debounce_ms": debounce_ms,
        "release_to_fill_on_screen_ms": scaled(summarize(to_paint), 1e3, "ms"),
        "release_to_fill_result_ms": scaled(summarize(to_result), 1e3, "ms"),
    }


def _pump(app: Any, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)


@contextlib.contextmanager
def case_window(ctx: BenchContext, name: str) -> Iterator[tuple[Any, Any]]:
    """A real, shown :class:`~liversynth_gui.main_window.MainWindow` (background worker,
    1600x1000, offscreen) on the tumour case's demo slice with filler ``name`` (``"gan"`` = the
    bundled model); yields ``(window, app)`` and closes it without leaving autosaves."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore

    from liversynth.authoring import CaseSource
    from liversynth.authoring.opening import demo_slice
    from liversynth.fillers.gan import default_model_path
    from liversynth_gui.app import make_app
    from liversynth_gui.fill_controller import build_filler
    from liversynth_gui.main_window import MainWindow, WindowOptions

    case, _source = ctx.tumour_case
    app = make_app([sys.argv[0]])
    settings = QtCore.QSettings(str(ctx.scratch / "gui.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(
        WindowOptions(
            synchronous=False,
            autosave_dir=ctx.scratch / "autosave",
            cache_dir=None,
            settings=settings,
        )
    )
    window.resize(1600, 1000)
    window.show()
    try:
        model = str(default_model_path()) if name == "gan" else None
        window.worker.set_filler(build_filler(name, model))
        window.doc.open_case(case, source=CaseSource())
        window.doc.set_filler(name, model)
        z = demo_slice(case.labels)
        window.doc.set_slice(int(z if z is not None else case.volume.shape[0] // 2))
        _pump(app, 0.5)
        yield window, app
    finally:
        window.doc.mark_clean()
        window.files.autosaver.discard()
        window.close()
        window.worker.shutdown()
        window.deleteLater()
        app.processEvents()


def brush(ctx: BenchContext) -> dict[str, Any]:
    """Brush release → updated fill on screen (see the module docstring)."""
    from liversynth.fillers.gan import default_model_path
    from liversynth_gui.fill_controller import DEBOUNCE_MS

    case, source = ctx.tumour_case
    name = "gan" if default_model_path().is_file() and not ctx.quick else "mean"
    with case_window(ctx, name) as (window, app):
        n = 2 if ctx.quick else 20
        points = _liver_points(case, window.doc.slice_index, n)
        results = {
            f"debounce {DEBOUNCE_MS} ms (as shipped)": _trials(window, app, points, DEBOUNCE_MS),
            "no debounce": _trials(window, app, points, 0),
        }
    return {
        "case": source,
        "filler": name,
        "worker": "real background worker (QThreadPool), window 1600x1000, offscreen",
        "stroke": "one stroke of 5 points, brush radius 6 px, in the liver of the demo slice",
        **results,
    }


def run(ctx: BenchContext) -> dict[str, Any]:
    """GUI section: launch time and brush-release latency."""
    out: dict[str, Any] = {}
    for key, fn in (("launch", launch), ("brush_release", brush)):
        try:
            out[key] = fn(ctx)
        except Exception as err:  # the GUI is optional: report what could be measured
            out[key] = {"error": f"{type(err).__name__}: {err}"}
    return out
