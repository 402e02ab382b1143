"""Issue 14 defect 4, searched for at random: after any mix of opening, reopening with
Discard, loading labels, whitening, slice changes, strokes (real mouse events on the real view,
some released outside it, some interrupted by Ctrl+Z), undo and redo, with a real asynchronous
worker and loader, the main view's lesion overlay - its data and the image it last rendered -
shows the document's mask of the shown slice.

Seeded: a failing seed replays the same sequence (``LIVERSYNTH_STRESS_SEEDS=7`` runs seed 7).
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gui_helpers import send_mouse, stale_pixels, widget_point
from PySide6 import QtCore, QtGui, QtTest, QtWidgets

from liversynth.fillers.base import SliceWiseVolumeMixin

Qt = QtCore.Qt


class _SlowGan(SliceWiseVolumeMixin):
    """Stands for the GAN in the worker thread: 20-250 ms per fill (a preview runs first)."""

    name = "gan"
    device = "cpu"

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def fill(self, slice_hu: np.ndarray, mask: np.ndarray, **_kw: Any) -> np.ndarray:
        time.sleep(self.rng.uniform(0.02, 0.25))
        out = np.array(slice_hu, dtype=np.float32, copy=True)
        out[mask] = 60.0
        return out


def rendered_overlay(window: Any) -> np.ndarray | None:
    """The lesion layer as last drawn on screen (its QImage), as a bool (rows, cols) array."""
    layer = window.view.layers["lesion"]
    if layer.image is None:
        return None
    window.view.viewport().repaint()  # paint now: render() runs only inside paint()
    if layer.qimage is None:
        return None
    import pyqtgraph.functions as fn

    argb = layer.qimage.convertToFormat(QtGui.QImage.Format.Format_ARGB32)
    pixels = fn.ndarray_from_qimage(argb)  # a view of argb's memory: copy before it goes
    return np.array(pixels[..., 3] > 0)


def check_overlay(qtbot: Any, window: Any, where: str) -> None:
    """Overlay data, its rendering and the screen agree with the document's shown mask."""
    doc = window.doc
    if not doc.has_case:
        return
    layer = window.view.layers["lesion"]
    if not layer.isVisible():  # hidden (M): the layer is checked once it shows again
        return
    data = np.zeros(doc.slice_shape, bool) if layer.image is None else layer.image > 0
    assert np.array_equal(data, doc.mask), f"overlay data differ from the mask after {where}"
    shown = rendered_overlay(window)
    if shown is not None:
        assert np.array_equal(shown, doc.mask), f"rendered overlay is stale after {where}"
    # The screen: once no fill, metrics or load is due, a full repaint must change nothing.
    fill = window.fill
    qtbot.waitUntil(
        lambda: (
            not (
                window.worker.busy
                or fill.measurer.busy
                or window.loader.busy
                or fill.timer.isActive()
            )
        ),
        timeout=10_000,
    )
    assert stale_pixels(qtbot, window.view) == 0, f"stale pixels on screen after {where}"


def _settle(qtbot: Any, window: Any, ms: int) -> None:
    qtbot.wait(ms)
    qtbot.waitUntil(lambda: not window.loader.busy, timeout=10_000)
    QtWidgets.QApplication.processEvents()


def _stroke(window: Any, rng: random.Random, *, outside: bool, undo_mid: bool) -> None:
    """Press, 3-6 moves, release: a real drag on the view (Ctrl+Z meanwhile when asked)."""
    view, doc = window.view, window.doc
    rows, cols = doc.slice_shape
    r, c = rng.uniform(0.2, 0.8) * rows, rng.uniform(0.2, 0.8) * cols
    vp = view.viewport()
    none, left = Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton
    send_mouse(vp, QtCore.QEvent.Type.MouseButtonPress, widget_point(view, r, c), left, left)
    for k in range(rng.randint(3, 6)):
        r += rng.uniform(-6, 6)
        c += rng.uniform(2, 8)
        QtTest.QTest.qWait(12)
        send_mouse(vp, QtCore.QEvent.Type.MouseMove, widget_point(view, r, c), none, left)
        if undo_mid and k == 1:
            QtTest.QTest.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    end = widget_point(view, r, c)
    if outside:  # released beyond the view's edge (the implicit grab still delivers it)
        end = QtCore.QPoint(vp.width() + 40, end.y())
        send_mouse(vp, QtCore.QEvent.Type.MouseMove, end, none, left)
    send_mouse(vp, QtCore.QEvent.Type.MouseButtonRelease, end, left, none)


def run_sequence(qtbot: Any, window: Any, ct: str, seg: str, seed: int, steps: int) -> list[str]:
    """Random user actions; the overlay is checked after each one settles. Returns the log."""
    rng = random.Random(seed)
    log: list[str] = []
    files = window.files
    for i in range(steps):
        doc = window.doc
        if not doc.has_case:
            action = "open"
        else:
            action = rng.choices(
                ["open", "labels", "whiten", "slice", "stroke", "undo", "redo", "wait", "view"],
                weights=[1, 1, 2, 3, 8, 5, 2, 1, 2],
            )[0]
        log.append(action)
        if action == "open":
            files.open_case_files(ct, seg if rng.random() < 0.5 else None)
        elif action == "labels":
            files.open_labels(seg)
        elif action == "whiten":
            window.actions.whiten_tumour.trigger()
        elif action == "slice":
            key = rng.choice([Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp])
            QtTest.QTest.keyClick(window.view, key)
        elif action == "stroke":
            window.doc.brush_radius_px = rng.randint(1, 6)
            _stroke(window, rng, outside=rng.random() < 0.2, undo_mid=rng.random() < 0.1)
        elif action == "view":  # M (lesion layer), V (synthetic), a window preset
            a = window.actions
            rng.choice(
                [a.toggle_lesion, a.show_synthetic, a.preset_liver, a.preset_abdomen]
            ).trigger()
        elif action in ("undo", "redo"):
            key = Qt.Key.Key_Z if action == "undo" else Qt.Key.Key_Y
            for _ in range(rng.randint(1, 3)):
                QtTest.QTest.keyClick(window.view, key, Qt.KeyboardModifier.ControlModifier)
                qtbot.wait(rng.choice([0, 5, 60]))
        _settle(qtbot, window, rng.choice([0, 10, 80, 300]))
        check_overlay(qtbot, window, f"step {i} ({', '.join(log[-4:])}), seed {seed}")
    return log


def _seeds() -> list[int]:
    env = os.environ.get("LIVERSYNTH_STRESS_SEEDS")
    return [int(s) for s in env.split(",")] if env else [0]


@pytest.mark.slow
@pytest.mark.parametrize("seed", _seeds())
def test_random_editing_keeps_the_overlay_on_the_document(
    qtbot: Any,
    make_window: Any,
    small_case_files: tuple[Path, Path],
    dialog_log: Any,
    seed: int,
) -> None:
    ct, seg = small_case_files
    window = make_window(synchronous=False, debounce_ms=150)
    window.worker.set_filler(_SlowGan(seed))
    dialog_log.unsaved_answer = "discard"
    log = run_sequence(qtbot, window, str(ct), str(seg), seed, steps=45)
    assert log.count("stroke") > 3 and log.count("undo") > 1  # the sequence exercised undo
    window.worker.shutdown(3000)
