"""Fill metrics are computed off the GUI thread, after the fill is on screen, and only the
numbers of the fill on screen are kept (keyed by generation and fill)."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from gui_helpers import SMALL_SHAPE, ConstantFiller, drag

import liversynth.authoring.document_fill as document_fill
import liversynth.authoring.fill as fill_module
from liversynth.authoring import CaseSource
from liversynth.authoring.fill import FillResult
from liversynth.authoring.opening import demo_slice
from liversynth.metrics import compare


def test_metrics_follow_the_fill_from_a_background_thread(
    qtbot: Any, make_window: Any, small_case: Any, monkeypatch: Any
) -> None:
    window = make_window(synchronous=False, debounce_ms=0)
    window.worker.set_filler(ConstantFiller())
    doc = window.doc
    doc.open_case(small_case, source=CaseSource(phantom_seed=0, phantom_shape=SMALL_SHAPE))
    doc.set_slice(demo_slice(small_case.labels))
    events: list[str] = []
    doc.events.fill_changed.connect(
        lambda: events.append("fill" if doc.last_fill is not None else "cleared")
    )
    doc.events.metrics_changed.connect(lambda m: events.append("metrics" if m else "no metrics"))
    measured: list[tuple[bool, list[str]]] = []

    def recording_compare(*args: Any) -> dict[str, float]:
        # Where it runs, and what the GUI had been told by then.
        measured.append((threading.current_thread() is threading.main_thread(), list(events)))
        return compare(*args)

    monkeypatch.setattr(fill_module, "compare", recording_compare, raising=False)
    monkeypatch.setattr(document_fill, "compare", recording_compare)
    drag(window.view, [(60, 50), (62, 58), (64, 66)])
    qtbot.waitUntil(lambda: doc.last_metrics is not None, timeout=5000)
    assert measured, "the metrics were not computed through the measurer"
    on_gui_thread, seen = measured[-1]
    assert not on_gui_thread
    assert seen[-1] == "fill"  # the fill was on screen before its numbers were computed
    assert events[-1] == "metrics"
    assert doc.last_metrics == compare(doc.slice_hu(), doc.last_fill, doc.last_fill_mask)
    assert window.metrics.values["ssim_lesion"].text() not in ("", "—")
    window.fill.measurer.shutdown(3000)
    window.worker.shutdown(3000)


def test_metrics_of_a_replaced_fill_are_dropped(small_case: Any) -> None:
    from liversynth.authoring import Document
    from liversynth.authoring.fill import run_metrics

    doc = Document(small_case)
    doc.deferred_metrics = True

    def show_fill(offset_hu: float) -> None:
        request = doc.request_fill()
        assert request is not None
        filled = request.slice_hu + offset_hu
        doc.apply_fill_result(
            FillResult(request.generation, request.z, filled, 1.0, "cpu", "x", request.mask)
        )

    mask = np.zeros(doc.slice_shape, bool)
    mask[60:70, 50:60] = True
    doc.set_mask(mask)
    show_fill(1.0)
    assert doc.metrics_pending and doc.last_metrics is None  # the fill shows without numbers
    first = doc.metrics_request()
    assert first is not None and first.generation == doc.generation
    late = run_metrics(first)
    show_fill(5.0)  # a newer fill replaced it before its numbers came back
    assert not doc.apply_metrics(late)
    assert doc.metrics_pending
    current = doc.metrics_request()
    assert current is not None and doc.apply_metrics(run_metrics(current))
    assert doc.last_metrics == compare(doc.slice_hu(), doc.last_fill, doc.last_fill_mask)
    assert not doc.apply_metrics(late)  # an older fill's numbers never replace them
