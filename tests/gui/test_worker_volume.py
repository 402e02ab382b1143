"""FillWorker with volume fills: on-screen slice first, progress, cancel, newest request wins
(in its real background thread)."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("PySide6")

from pytestqt.qtbot import QtBot

from liversynth.authoring.fill import FillResult
from liversynth.authoring.volume_fill import VolumeFillRequest, VolumeFillResult
from liversynth.fillers.base import SliceWiseVolumeMixin
from liversynth_gui.worker import FillWorker


class SlowSliceFiller(SliceWiseVolumeMixin):
    """A slice-wise engine that takes ``delay_s`` per slice and writes the slice's mask size."""

    name = "slow"
    device = "cpu"

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.calls = 0

    def fill(self, slice_hu: np.ndarray, mask: np.ndarray, **_kw: object) -> np.ndarray:
        self.calls += 1
        time.sleep(self.delay_s)
        out = np.array(slice_hu, dtype=np.float32)
        out[mask] = float(mask.sum())
        return out


def _request(generation: int, n: int = 12) -> VolumeFillRequest:
    hu = np.zeros((n, 16, 16), np.float32)
    mask = np.zeros(hu.shape, bool)
    mask[:, 4:8, 4 : 4 + generation] = True
    return VolumeFillRequest(generation, 30, 35, hu, mask, None, (2.0, 1.0, 1.0), "slow")


def test_volume_fill_reports_first_slice_progress_then_the_volume(qtbot: QtBot) -> None:
    worker = FillWorker(SlowSliceFiller(0.0))
    firsts: list[FillResult] = []
    progress: list[tuple[int, int, int]] = []
    done: list[VolumeFillResult] = []
    worker.finished.connect(firsts.append)
    worker.progress.connect(lambda g, d, t: progress.append((g, d, t)))
    worker.volume_finished.connect(done.append)
    worker.submit(_request(1))
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    assert [r.z for r in firsts] == [35] and progress[0] == (1, 1, 12)
    assert progress[-1] == (1, 12, 12) and done[0].generation == 1
    assert np.all(done[0].filled_zyx[done[0].mask_zyx] == 4.0)
    worker.shutdown()


def test_a_newer_request_cancels_the_running_volume_fill(qtbot: QtBot) -> None:
    filler = SlowSliceFiller(0.05)
    worker = FillWorker(filler)
    done: list[VolumeFillResult] = []
    worker.volume_finished.connect(done.append)
    worker.submit(_request(1, n=40))  # 40 slices x 50 ms = 2 s if it ran to the end
    qtbot.waitUntil(lambda: filler.calls >= 2, timeout=5000)
    worker.submit(_request(2, n=4))
    qtbot.waitUntil(lambda: bool(done) and not worker.busy, timeout=10000)
    assert [r.generation for r in done] == [2]
    assert filler.calls < 40 + 4  # the first fill stopped early
    worker.cancel()
    worker.submit(_request(3, n=40))
    qtbot.waitUntil(lambda: filler.calls > 44 + 1, timeout=5000)
    worker.cancel()
    qtbot.waitUntil(lambda: not worker.busy, timeout=5000)
    assert [r.generation for r in done] == [2]
    worker.shutdown()
