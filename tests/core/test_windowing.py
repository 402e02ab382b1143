"""Windowing: presets, HU ↔ [-1, 1] and 8-bit display."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liversynth.windowing import PRESETS, Window, hu_to_unit, to_uint8, unit_to_hu


def test_presets_match_the_contract() -> None:
    assert (PRESETS["abdomen"].low, PRESETS["abdomen"].high) == (-160.0, 240.0)
    assert (PRESETS["liver"].center_hu, PRESETS["liver"].width_hu) == (100.0, 150.0)
    assert (PRESETS["bone"].center_hu, PRESETS["bone"].width_hu) == (400.0, 1800.0)
    assert (PRESETS["lung"].center_hu, PRESETS["lung"].width_hu) == (-600.0, 1500.0)
    assert (PRESETS["network"].low, PRESETS["network"].high) == (-200.0, 300.0)


def test_window_is_frozen_and_validated() -> None:
    w = Window(40, 400)
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.center_hu = 0  # type: ignore[misc]
    with pytest.raises(ValueError):
        Window(0, 0)
    assert Window.from_range(-200, 300) == PRESETS["network"]


def test_hu_to_unit_clips_and_scales() -> None:
    w = PRESETS["network"]
    hu = np.array([-3000, -200, 50, 175, 300, 3000], dtype=np.int16)
    u = hu_to_unit(hu, w)
    assert u.dtype == np.float32
    np.testing.assert_allclose(u, [-1, -1, 0, 0.5, 1, 1], atol=1e-6)
    assert hu.tolist() == [-3000, -200, 50, 175, 300, 3000]  # input untouched


def test_hu_to_unit_does_not_modify_float32_input() -> None:
    hu = np.array([[1000.0, -1000.0]], dtype=np.float32)
    hu_to_unit(hu, PRESETS["abdomen"])
    assert hu.tolist() == [[1000.0, -1000.0]]


def test_round_trip_inside_window() -> None:
    w = PRESETS["liver"]
    hu = np.linspace(w.low, w.high, 101, dtype=np.float32).reshape(1, 101)
    back = unit_to_hu(hu_to_unit(hu, w), w)
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, hu, atol=1e-3)


def test_unit_to_hu_clips_out_of_range() -> None:
    w = PRESETS["network"]
    np.testing.assert_allclose(unit_to_hu(np.array([-2.0, 2.0]), w), [-200.0, 300.0])


def test_to_uint8_endpoints_and_rounding() -> None:
    w = PRESETS["abdomen"]
    out = to_uint8(np.array([-1000, -160, 40, 240, 2000]), w)
    assert out.dtype == np.uint8
    assert out.tolist() == [0, 0, 128, 255, 255]
    # 1 grey level is 400/255 HU: 0.4 of a level above the bottom still rounds to 0.
    assert to_uint8(np.array([-160 + 400 / 255 * 0.4]), w).tolist() == [0]


@settings(max_examples=60, deadline=None)
@given(
    center=st.floats(-1000, 1000),
    width=st.floats(1, 4000),
    values=st.lists(st.floats(-5000, 5000), min_size=1, max_size=20),
)
def test_properties_any_window(center: float, width: float, values: list[float]) -> None:
    w = Window(center, width)
    hu = np.array(sorted(values), dtype=np.float32)
    u = hu_to_unit(hu, w)
    assert np.all((u >= -1) & (u <= 1))
    assert np.all(np.diff(u) >= 0)  # monotonic
    g = to_uint8(hu, w)
    assert np.all(np.diff(g.astype(int)) >= 0)
    inside = (hu >= w.low) & (hu <= w.high)
    np.testing.assert_allclose(unit_to_hu(u, w)[inside], hu[inside], atol=1e-3 * max(width, 1))


def test_dragging_right_widens_and_down_raises_the_level_in_proportion() -> None:
    from liversynth.windowing import MIN_DRAG_WIDTH_HU, dragged_window

    w = Window(40.0, 400.0)
    assert dragged_window(w, 0, 0) == w
    assert dragged_window(w, 10, 0) == Window(40.0, 420.0)  # 2 HU per pixel at W400
    assert dragged_window(w, 0, 10) == Window(60.0, 400.0)
    narrow = Window(40.0, 20.0)
    assert dragged_window(narrow, 4, 0).width_hu == 22.0  # never slower than 0.5 HU/px
    assert dragged_window(narrow, -1000, 0).width_hu == MIN_DRAG_WIDTH_HU
