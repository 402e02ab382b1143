"""FillWorker: one job at a time, newest request wins, stale results dropped, errors survive."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

pytest.importorskip("PySide6")

from pytestqt.qtbot import QtBot

from liversynth.authoring import Document, FillResult
from liversynth.volume import Case, Volume
from liversynth_gui.worker import LOAD_FAILED_GENERATION, FillWorker


class SlowFiller:
    """Fills the mask with its pixel count (so each request's result is recognisable)."""

    name = "slow"
    device = "cpu"

    def __init__(self, delay_s: float = 0.0, fail_first: int = 0) -> None:
        self.delay_s = delay_s
        self.fail_first = fail_first
        self.seen_mask_sizes: list[int] = []
        self.threads: list[int] = []

    def fill(
        self,
        slice_hu: np.ndarray,
        mask: np.ndarray,
        *,
        liver_mask: np.ndarray | None = None,
        seed: int | None = None,
    ) -> np.ndarray:
        self.threads.append(threading.get_ident())
        self.seen_mask_sizes.append(int(mask.sum()))
        time.sleep(self.delay_s)
        if self.fail_first > 0:
            self.fail_first -= 1
            raise RuntimeError("CUDA out of memory (simulated)")
        out = np.array(slice_hu, dtype=np.float32)
        out[mask] = float(mask.sum())
        return out


def _doc() -> Document:
    hu = np.zeros((2, 32, 32), dtype=np.int16)
    return Document(Case("w", Volume(hu, (1.0, 1.0, 1.0))))


def _paint(doc: Document, col: float) -> None:
    doc.begin_stroke("paint", radius_px=1)
    doc.stroke_to(10, col)
    doc.end_stroke()


def test_rapid_requests_coalesce_and_only_the_newest_result_is_applied(qtbot: QtBot) -> None:
    doc = _doc()
    filler = SlowFiller(delay_s=0.2)
    worker = FillWorker(filler)
    applied: list[bool] = []
    worker.finished.connect(lambda result: applied.append(doc.apply_fill_result(result)))
    sizes = []
    for k in range(5):  # five edits in quick succession, each with its own request
        _paint(doc, 3 + 5 * k)
        sizes.append(int(doc.mask.sum()))
        worker.submit(doc.request_fill())
    assert worker.busy and worker.pending is not None
    qtbot.waitUntil(lambda: not worker.busy and worker.pending is None, timeout=5000)
    qtbot.wait(50)  # let the last queued signal arrive
    # the first request started at once; 2..4 were superseded while it ran; 5 ran next
    assert filler.seen_mask_sizes == [sizes[0], sizes[-1]]
    assert applied == [False, True]  # the first result came back stale and was dropped
    assert doc.last_fill is not None and doc.last_fill.max() == sizes[-1]
    assert threading.get_ident() not in filler.threads  # it really ran off the GUI thread
    assert worker.shutdown(1000)


def test_filler_exception_arrives_as_failed_and_the_worker_keeps_working(qtbot: QtBot) -> None:
    doc = _doc()
    worker = FillWorker(SlowFiller(fail_first=1))
    _paint(doc, 10)
    request = doc.request_fill()
    with qtbot.waitSignal(worker.failed, timeout=5000) as failed:
        worker.submit(request)
    assert failed.args == [request.generation, "RuntimeError: CUDA out of memory (simulated)"]
    with qtbot.waitSignal(worker.finished, timeout=5000) as done:
        worker.submit(doc.request_fill())
    result = done.args[0]
    assert isinstance(result, FillResult) and doc.apply_fill_result(result)
    assert not worker.busy
    worker.shutdown(1000)


def test_synchronous_mode_runs_inline(qtbot: QtBot) -> None:
    doc = _doc()
    worker = FillWorker(SlowFiller(), synchronous=True)
    results: list[FillResult] = []
    worker.finished.connect(results.append)
    _paint(doc, 10)
    worker.submit(doc.request_fill())
    assert len(results) == 1 and results[0].device == "cpu"
    assert doc.apply_fill_result(results[0])
    worker.submit(None)  # empty mask: nothing to do
    assert len(results) == 1


def test_no_filler_and_background_loading(qtbot: QtBot) -> None:
    doc = _doc()
    worker = FillWorker()
    _paint(doc, 10)
    with qtbot.waitSignal(worker.failed, timeout=1000) as failed:
        worker.submit(doc.request_fill())
    assert "no filler" in failed.args[1]

    def broken_factory() -> SlowFiller:
        raise FileNotFoundError("default.safetensors")

    with qtbot.waitSignal(worker.failed, timeout=5000) as failed:
        worker.load_filler(broken_factory)
    assert failed.args[0] == LOAD_FAILED_GENERATION and "default.safetensors" in failed.args[1]

    new = SlowFiller()
    with qtbot.waitSignal(worker.filler_loaded, timeout=5000):
        worker.load_filler(lambda: new)
    assert worker.filler is new
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.submit(doc.request_fill())
    assert new.seen_mask_sizes == [int(doc.mask.sum())]
    worker.shutdown(1000)
