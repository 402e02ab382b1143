"""Brush release → first pixels of the fill on screen, with and without the quick preview.

A real :class:`~liversynth_gui.main_window.MainWindow` (offscreen) with its real background
worker and the default ``gan`` model shows 3Dircadb1.1 (the 512² phantom when absent). Each
trial paints a short stroke in the liver and times, from ``Document.end_stroke()`` (what a
mouse release calls):

* ``release_to_first_pixels_ms``: the first paint of the "Synthetic" pane showing a fill
  (the ``mean`` preview when previews are on);
* ``release_to_final_fill_ms``: the paint showing the GAN's own fill.

Once with the preview (as shipped) and once without (the previous behaviour). Goal: first
pixels ≤ 150 ms. Run::

    nice -n 10 python -m benchmarks.bench_preview --out benchmarks/preview.json --trials 12
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_gui import TRIAL_TIMEOUT_S, _liver_points, _pump, case_window
from benchmarks.context import DEFAULT_DATA, BenchContext
from benchmarks.stats import load_average, scaled, summarize

#: Goal for the first pixels after a release, ms (issue 14).
GOAL_FIRST_PIXELS_MS = 150.0


class _Paints:
    """Times the first paint of a widget after a fill of each kind arrived."""

    def __init__(self, widget: Any) -> None:
        from PySide6 import QtCore

        self.waiting: list[str] = []
        self.painted: dict[str, float] = {}
        self.painted_cpu: dict[str, float] = {}

        class Filter(QtCore.QObject):
            def eventFilter(inner, _obj: Any, event: Any) -> bool:
                if event.type() == QtCore.QEvent.Type.Paint and self.waiting:
                    now, cpu = time.perf_counter(), time.thread_time()
                    for kind in self.waiting:
                        self.painted.setdefault(kind, now)
                        self.painted_cpu.setdefault(kind, cpu)
                    self.waiting.clear()
                return False

        self._filter = Filter()
        widget.installEventFilter(self._filter)

    def reset(self) -> None:
        self.waiting.clear()
        self.painted.clear()
        self.painted_cpu.clear()


def _trials(window: Any, app: Any, points: list[tuple[int, int]], preview: bool) -> dict:
    doc = window.doc
    window.fill.preview = preview
    paints = _Paints(window.side.images["synthetic"].getViewWidget().viewport())

    def on_fill() -> None:
        if doc.last_fill is not None:
            paints.waiting.append("first" if "first" not in paints.painted else "later")
            if not doc.last_fill_preview:
                paints.waiting.append("final")

    doc.events.fill_changed.connect(on_fill)
    first, final, first_cpu = [], [], []
    try:
        for row, col in points:
            doc.clear_mask()
            _pump(app, 0.4)  # the clear settles (no fill for an empty mask)
            paints.reset()
            doc.begin_stroke("paint", radius_px=6)
            for d in range(0, 13, 3):
                doc.stroke_to(row + d * 0.5, col + d)
            t0, c0 = time.perf_counter(), time.thread_time()
            doc.end_stroke()
            deadline = t0 + TRIAL_TIMEOUT_S
            while "final" not in paints.painted and time.perf_counter() < deadline:
                app.processEvents()
                time.sleep(0.0005)
            if "final" not in paints.painted:
                raise RuntimeError("no fill was displayed within the time limit")
            first.append(paints.painted["first"] - t0)
            first_cpu.append(paints.painted_cpu["first"] - c0)
            final.append(paints.painted["final"] - t0)
    finally:
        doc.events.fill_changed.disconnect(on_fill)
    return {
        "preview": preview,
        "release_to_first_pixels_ms": scaled(summarize(first), 1e3, "ms"),
        # CPU time of the GUI thread in that interval: what an idle machine would take.
        "release_to_first_pixels_gui_thread_cpu_ms": scaled(summarize(first_cpu), 1e3, "ms"),
        "release_to_final_fill_ms": scaled(summarize(final), 1e3, "ms"),
    }


def run(ctx: BenchContext, trials: int = 12) -> dict[str, Any]:
    """Both variants on one window, alternating blocks so that load drift hits both."""
    case, source = ctx.tumour_case
    with case_window(ctx, "gan") as (window, app):
        points = _liver_points(case, window.doc.slice_index, trials)
        half = max(1, trials // 2)
        blocks = [
            _trials(window, app, points[:half], True),
            _trials(window, app, points[:half], False),
            _trials(window, app, points[half:] or points[:1], True),
            _trials(window, app, points[half:] or points[:1], False),
        ]
    return {
        "case": source,
        "slice_shape": list(case.volume.shape[1:]),
        "filler": "gan (bundled model), real background worker",
        "stroke": "one stroke of 5 points, brush radius 6 px, in the liver",
        "goal_first_pixels_ms": GOAL_FIRST_PIXELS_MS,
        "blocks": blocks,
    }


def main(argv: list[str] | None = None) -> int:
    """Run and write JSON (``--out``)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("benchmarks/preview.json"))
    p.add_argument("--trials", type=int, default=12)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = p.parse_args(argv)
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        ctx = BenchContext(quick=False, data=args.data, scratch=Path(scratch))
        before = load_average()
        result = run(ctx, args.trials)
        result["load_average_before"], result["load_average_after"] = before, load_average()
        result["notes"] = ctx.notes
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for block in result["blocks"]:
        print(
            f"preview={block['preview']!s:5}  first pixels p50 "
            f"{block['release_to_first_pixels_ms']['median']:.0f} ms (GUI thread CPU "
            f"{block['release_to_first_pixels_gui_thread_cpu_ms']['median']:.0f} ms)  final fill p50 "
            f"{block['release_to_final_fill_ms']['median']:.0f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
