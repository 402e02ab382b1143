"""Live fill: edits are debounced into fills, the newest result is shown, metrics follow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from gui_helpers import ConstantFiller, drag

from liversynth_gui.panels.metrics import EMPTY_NOTE, HEALTHY_NOTE


def test_whitening_the_real_tumour_fills_and_updates_views_and_metrics(
    window: Any, qtbot: Any
) -> None:
    doc = window.doc
    assert window.metrics.values["psnr_slice"].text() == "—"
    window.actions.whiten_tumour.trigger()
    qtbot.waitUntil(lambda: doc.last_fill is not None, timeout=3000)
    assert doc.fill_up_to_date
    tumour = doc.tumour_mask()
    assert np.array_equal(doc.mask, tumour)
    # Synthetic pane = the fill; difference pane = synthetic − truth.
    synthetic = window.side.images["synthetic"].image
    assert np.allclose(synthetic[tumour], 70.0)
    diff = window.side.images["difference"].image
    assert np.allclose(diff[~tumour], 0.0) and np.abs(diff[tumour]).max() > 0
    # Whitened input: the truth with the mask drawn white and outlined above it.
    assert np.array_equal(window.side.images["input"].image, doc.slice_hu())
    assert np.array_equal(window.side.whitened.image > 0, tumour)
    # Metrics labels show the document's numbers; the truth here is a real tumour.
    psnr = doc.last_metrics["psnr_lesion"]
    assert window.metrics.values["psnr_lesion"].text() == f"{psnr:.1f} dB"
    assert window.metrics.values["mae_lesion_hu"].text().endswith("HU")
    assert doc.ground_truth_is_healthy is False
    assert window.metrics.note.text() != HEALTHY_NOTE
    assert "ms" in window.filler.time_label.text()


def test_painting_healthy_liver_says_the_numbers_measure_change(window: Any, qtbot: Any) -> None:
    doc = window.doc
    from scipy import ndimage

    # The liver pixel farthest from any tumour and from the liver's edge.
    healthy = doc.liver_mask() & ~doc.tumour_mask()
    depth = ndimage.distance_transform_edt(healthy)
    r, c = np.unravel_index(int(np.argmax(depth)), depth.shape)
    assert depth[r, c] > 3
    doc.brush_radius_px = 2
    drag(window.view, [(r, c), (r, c + 1)])
    qtbot.waitUntil(lambda: doc.last_metrics is not None, timeout=3000)
    assert doc.ground_truth_is_healthy is True
    assert window.metrics.note.text() == HEALTHY_NOTE
    window.actions.clear_mask.trigger()
    qtbot.waitUntil(lambda: doc.last_metrics is None, timeout=3000)
    assert window.metrics.note.text() == EMPTY_NOTE
    assert window.metrics.values["psnr_slice"].text() == "—"
    assert window.side.images["synthetic"].image is None


def test_each_edit_is_debounced_into_one_request(
    make_window: Any, small_case: Any, qtbot: Any
) -> None:
    from liversynth.authoring import CaseSource

    window = make_window(debounce_ms=80)
    calls: list[int] = []

    class Counting(ConstantFiller):
        def fill(self, slice_hu: np.ndarray, mask: np.ndarray, **kw: Any) -> np.ndarray:
            calls.append(int(mask.sum()))
            return super().fill(slice_hu, mask, **kw)

    window.worker.set_filler(Counting())
    window.doc.open_case(small_case, source=CaseSource(phantom_seed=0))
    doc = window.doc
    doc.brush_radius_px = 3
    drag(window.view, [(60, 40), (60, 45), (60, 50), (60, 55), (60, 60)])
    # Moves during the stroke request nothing; its end requests the fill at once, once.
    assert calls == [int(doc.mask.sum())]
    qtbot.wait(200)
    assert len(calls) == 1


def test_filler_combo_lists_registry_and_a_bad_model_file_keeps_the_current_one(
    window: Any, dialog_log: Any, tmp_path: Path, qtbot: Any
) -> None:
    window.fill.choose_filler("mean")  # real registry, synchronous worker
    assert window.doc.filler_name == "mean"
    names = [window.filler.combo.itemText(i) for i in range(window.filler.combo.count())]
    assert {"mean", "biharmonic"} <= set(names)
    assert window.filler.combo.currentText() == "mean"
    assert window.filler.device_label.text() == "CPU"
    filler_before = window.worker.filler
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"not a model")
    dialog_log.model_file = str(bad)
    window.actions.choose_model.trigger()
    assert dialog_log.errors and "broken.safetensors" in dialog_log.errors[-1][1]
    assert window.worker.filler is filler_before and window.doc.filler_name == "mean"
    # Choosing "gan" in the combo with that broken file selected also fails and reverts.
    window.doc.model_path = str(bad)
    window.filler.combo.setCurrentIndex(names.index("gan"))
    window.filler.combo.activated.emit(names.index("gan"))
    assert window.filler.combo.currentText() == "mean" and len(dialog_log.errors) == 2
    window.filler.combo.setCurrentIndex(names.index("biharmonic"))
    window.filler.combo.activated.emit(names.index("biharmonic"))
    assert window.doc.filler_name == "biharmonic"


def test_v_shows_the_synthetic_slice_in_the_main_view(window: Any, qtbot: Any) -> None:
    from PySide6 import QtCore

    doc = window.doc
    window.actions.whiten_tumour.trigger()
    qtbot.waitUntil(lambda: doc.last_fill is not None, timeout=3000)
    assert np.array_equal(window.view.image.image, doc.slice_hu())
    qtbot.keyClick(window.view, QtCore.Qt.Key.Key_V)
    assert np.array_equal(window.view.image.image, doc.last_fill)
    assert "SYNTHETIC" in window.view.info.text()
    qtbot.keyClick(window.view, QtCore.Qt.Key.Key_V)
    assert np.array_equal(window.view.image.image, doc.slice_hu())


def test_a_new_window_relevels_the_panes_and_keeps_the_input_whitened(
    window: Any, qtbot: Any
) -> None:
    doc = window.doc
    window.actions.whiten_tumour.trigger()
    qtbot.waitUntil(lambda: doc.last_fill is not None, timeout=3000)
    tumour = doc.tumour_mask()
    diff_before = window.side.images["difference"].image.copy()
    doc.set_window("liver")
    levels = (doc.window.low, doc.window.high)
    # The whitened layer does not depend on the window; every grey pane uses the new levels.
    assert np.array_equal(window.side.whitened.image > 0, tumour)
    for key in ("input", "truth", "synthetic"):
        assert np.allclose(window.side.images[key].getLevels(), levels)
    assert np.allclose(window.view.image.getLevels(), levels)
    # Truth, fill and difference do not depend on the window.
    assert np.allclose(window.side.images["truth"].image, doc.slice_hu())
    assert np.allclose(window.side.images["synthetic"].image, doc.last_fill)
    assert np.array_equal(window.side.images["difference"].image, diff_before)
