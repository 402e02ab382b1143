"""Slice navigation (keys, wheel, slider, spin box), window presets and right-drag W/L,
overlay toggles, zoom, and the status-bar read-out."""

from __future__ import annotations

from typing import Any

import pytest
from gui_helpers import drag, wheel, widget_point
from PySide6 import QtCore

from liversynth.windowing import PRESETS

Qt = QtCore.Qt


def test_arrow_and_page_keys_step_slices(window: Any, qtbot: Any) -> None:
    doc = window.doc
    doc.set_slice(5)
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Up)
    assert doc.slice_index == 6
    qtbot.keyClick(window.view, Qt.Key.Key_Down)
    qtbot.keyClick(window.view, Qt.Key.Key_Down)
    assert doc.slice_index == 4
    qtbot.keyClick(window.view, Qt.Key.Key_PageUp)
    assert doc.slice_index == 14
    qtbot.keyClick(window.view, Qt.Key.Key_PageUp)
    assert doc.slice_index == doc.n_slices - 1  # clamped
    qtbot.keyClick(window.view, Qt.Key.Key_PageDown)
    assert doc.slice_index == doc.n_slices - 11
    # The slider and spin box follow (1-based) and drive the document.
    assert window.slice_nav.spin.value() == doc.slice_index + 1
    window.slice_nav.slider.setValue(3)
    assert doc.slice_index == 2
    # The view shows the document's slice.
    assert (window.view.image.image == doc.slice_hu()).all()


def test_wheel_steps_slices_and_ctrl_wheel_zooms(window: Any) -> None:
    doc = window.doc
    doc.set_slice(5)
    wheel(window.view, 64, 64, 120)
    assert doc.slice_index == 6
    wheel(window.view, 64, 64, -240)
    assert doc.slice_index == 4
    width_before = window.view.view.viewRange()[0][1] - window.view.view.viewRange()[0][0]
    wheel(window.view, 64, 64, 120, Qt.KeyboardModifier.ControlModifier)
    width_after = window.view.view.viewRange()[0][1] - window.view.view.viewRange()[0][0]
    assert doc.slice_index == 4 and width_after < width_before
    window.actions.reset_zoom.trigger()
    x0, x1 = window.view.view.viewRange()[0]
    assert x0 <= 0.0 and x1 >= doc.slice_shape[1]


def test_window_presets_by_key_and_right_drag_window_level(window: Any, qtbot: Any) -> None:
    doc = window.doc
    qtbot.keyClick(window.view, Qt.Key.Key_2)
    liver = doc.preset_window("liver")  # centred on the phantom's own liver
    assert doc.window == liver and liver.width_hu == 150
    assert window.view.image.levels.tolist() == [liver.low, liver.high]
    assert window.actions.preset_liver.isChecked()
    qtbot.keyClick(window.view, Qt.Key.Key_3)
    assert doc.window == PRESETS["bone"]
    qtbot.keyClick(window.view, Qt.Key.Key_1)
    assert doc.window == PRESETS["abdomen"] and window.window_level.width.value() == 400
    before = doc.window
    mask_before = doc.mask.copy()
    drag(window.view, [(64, 40), (64, 60), (80, 60)], Qt.MouseButton.RightButton)
    assert doc.window.width_hu > before.width_hu  # dragged right: wider
    assert doc.window.center_hu > before.center_hu  # dragged down: higher level
    assert (doc.mask == mask_before).all()  # right-drag never paints
    assert not window.actions.preset_abdomen.isChecked()
    window.window_level.level.setValue(55)
    assert doc.window.center_hu == 55


def test_overlay_keys_toggle_layers_and_sliders_set_opacity(window: Any, qtbot: Any) -> None:
    layers = window.view.layers
    for key, name in ((Qt.Key.Key_L, "liver"), (Qt.Key.Key_T, "tumour"), (Qt.Key.Key_M, "lesion")):
        assert layers[name].isVisible()
        qtbot.keyClick(window.view, key)
        assert not layers[name].isVisible() and not window.overlays.checks[name].isChecked()
        qtbot.keyClick(window.view, key)
        assert layers[name].isVisible()
    window.overlays.sliders["liver"].setValue(70)
    assert abs(layers["liver"].opacity() - 0.7) < 1e-6
    # The liver layer shows the labels of the shown slice.
    assert ((layers["liver"].image > 0) == window.doc.liver_mask()).all()


def test_status_bar_reads_hu_and_position_under_the_cursor(window: Any, qtbot: Any) -> None:
    doc = window.doc
    # Move from elsewhere first: Qt sends no move event when the cursor is already there.
    qtbot.mouseMove(window.view.viewport(), widget_point(window.view, 10, 10))
    qtbot.wait(30)  # beyond pyqtgraph's mouse-move rate limit
    qtbot.mouseMove(window.view.viewport(), widget_point(window.view, 50, 70))
    text = window.status.hover.text()
    hu = int(round(float(doc.case.volume.hu[doc.slice_index, 50, 70])))
    assert f"HU {hu:6.0f}".replace("  ", " ").split()[1] in text
    assert "row  50" in text and "col  70" in text
    assert f"slice {doc.slice_index + 1}/{doc.n_slices}" in text and "mm" in text
    x, y, z = doc.case.volume.index_to_lps_mm(doc.slice_index, 50, 70)
    assert f"LPS ({x:6.1f}, {y:6.1f}, {z:6.1f}) mm" in text  # patient coordinates


def test_the_four_comparison_panes_zoom_and_pan_together(window: Any) -> None:
    boxes = window.side.boxes
    boxes["difference"].scaleBy((0.5, 0.5))  # what Ctrl+wheel over that pane does
    boxes["truth"].translateBy(x=7, y=-3)  # what a drag over that pane does
    ranges = {k: b.viewRange() for k, b in boxes.items()}
    for key in ("synthetic", "truth", "difference"):
        for axis in (0, 1):
            # Same centre; extents agree up to the aspect lock's pixel rounding.
            lo, hi = ranges[key][axis]
            lo0, hi0 = ranges["input"][axis]
            assert (lo + hi) / 2 == pytest.approx((lo0 + hi0) / 2, abs=0.5)
            assert hi - lo == pytest.approx(hi0 - lo0, rel=0.02)
    # The panes stop following the lesion once the user has zoomed them by hand...
    boxes["truth"].sigRangeChangedManually.emit([True, True])
    before = boxes["input"].viewRange()
    window.actions.whiten_tumour.trigger()
    assert boxes["input"].viewRange() == before
    # ...and "Fit" makes them follow it again.
    window.actions.reset_zoom.trigger()
    rows = window.doc.mask.any(axis=1).nonzero()[0]
    y0, y1 = boxes["input"].viewRange()[1]
    assert y0 <= rows[0] and y1 >= rows[-1] + 1 and (y1 - y0) < window.doc.slice_shape[0]
