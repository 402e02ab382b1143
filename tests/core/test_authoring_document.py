"""Document mask editing: strokes, eraser, undo/redo (one stroke = one step), slices, events."""

from __future__ import annotations

import numpy as np
import pytest
from authoring_cases import SHAPE, TUMOUR_Z, disc, small_case

from liversynth.authoring import BRUSH_MAX_PX, BRUSH_MIN_PX, Document


@pytest.fixture
def doc() -> Document:
    d = Document(small_case())
    d.set_slice(1)
    return d


def test_opening_a_case_shows_the_largest_liver_slice_and_is_clean() -> None:
    case = small_case()
    case.labels[3, 0:4, 0:4] = 1  # slice 3 now has the most liver
    d = Document(case)
    assert d.slice_index == 3
    assert not d.dirty and not d.can_undo
    assert d.mask.shape == SHAPE[1:] and not d.mask.any()


def test_single_click_paints_a_disc_of_the_brush_radius(doc: Document) -> None:
    doc.begin_stroke("paint", radius_px=4)
    doc.stroke_to(20, 22)
    assert doc.end_stroke()
    np.testing.assert_array_equal(doc.mask, disc(SHAPE[1:], (20, 22), 4))


def test_fast_stroke_leaves_no_gaps(doc: Document) -> None:
    doc.begin_stroke("paint", radius_px=2)
    doc.stroke_to(10, 5)
    doc.stroke_to(10, 40)  # one big jump, as a fast mouse move reports it
    doc.end_stroke()
    assert doc.mask[10, 5:41].all()
    assert doc.mask[8:13, 20].all() and not doc.mask[7, 20] and not doc.mask[13, 20]


def test_one_stroke_is_one_undo_step_and_undo_redo_restore_exactly(doc: Document) -> None:
    doc.begin_stroke("paint", radius_px=3)
    doc.stroke_to(10, 10)
    doc.end_stroke()
    after_first = doc.mask.copy()
    doc.begin_stroke("paint", radius_px=3)
    for col in range(10, 40, 3):
        doc.stroke_to(30, col)
    doc.end_stroke()
    after_second = doc.mask.copy()
    assert len(doc.history) == 2
    assert doc.undo()
    np.testing.assert_array_equal(doc.mask, after_first)
    assert doc.undo()
    assert not doc.mask.any() and not doc.can_undo
    assert doc.redo() and doc.redo()
    np.testing.assert_array_equal(doc.mask, after_second)
    assert not doc.can_redo
    # a new edit after an undo discards the redo branch
    doc.undo()
    doc.clear_mask()
    assert not doc.can_redo


def test_eraser_clears_pixels_and_is_undoable(doc: Document) -> None:
    doc.set_mask(np.ones(SHAPE[1:], dtype=bool))
    doc.begin_stroke("erase", radius_px=5)
    doc.stroke_to(24, 24)
    doc.end_stroke()
    np.testing.assert_array_equal(doc.mask, ~disc(SHAPE[1:], (24, 24), 5))
    doc.undo()
    assert doc.mask.all()


def test_stroke_that_changes_nothing_adds_no_step(doc: Document) -> None:
    doc.begin_stroke("erase")
    doc.stroke_to(5, 5)
    assert not doc.end_stroke()
    doc.begin_stroke("paint")
    doc.stroke_to(-50, -50)  # entirely outside the image
    assert not doc.end_stroke()
    assert not doc.can_undo and not doc.dirty


def test_cancel_stroke_restores_the_mask(doc: Document) -> None:
    doc.begin_stroke("paint", radius_px=3)
    doc.stroke_to(20, 20)
    assert doc.mask.any()
    doc.cancel_stroke()
    assert not doc.mask.any() and not doc.can_undo


def test_fill_holes_is_one_step(doc: Document) -> None:
    ring = disc(SHAPE[1:], (24, 24), 8) & ~disc(SHAPE[1:], (24, 24), 4)
    doc.set_mask(ring)
    assert doc.fill_holes()
    np.testing.assert_array_equal(doc.mask, disc(SHAPE[1:], (24, 24), 8))
    assert not doc.fill_holes()  # nothing left to fill: no extra step
    doc.undo()
    np.testing.assert_array_equal(doc.mask, ring)


def test_masks_are_kept_per_slice_and_undo_jumps_to_the_edited_slice(doc: Document) -> None:
    doc.begin_stroke("paint", radius_px=3)
    doc.stroke_to(20, 20)
    doc.end_stroke()
    on_one = doc.mask.copy()
    doc.set_slice(3)
    assert not doc.mask.any()
    doc.set_slice(1)
    np.testing.assert_array_equal(doc.mask, on_one)
    doc.set_slice(3)
    assert doc.undo()
    assert doc.slice_index == 1 and not doc.mask.any()


def test_changing_slice_mid_stroke_ends_the_stroke(doc: Document) -> None:
    doc.begin_stroke("paint", radius_px=2)
    doc.stroke_to(20, 20)
    doc.set_slice(0)
    assert not doc.stroke_active and doc.can_undo and doc.painted_slices() == [1]


def test_history_is_bounded() -> None:
    d = Document(small_case(), history_steps=3)
    for k in range(5):
        d.begin_stroke("paint", radius_px=1)
        d.stroke_to(5, 5 + 5 * k)
        d.end_stroke()
    undone = 0
    while d.undo():
        undone += 1
    assert undone == 3
    assert d.mask.sum() == 2 * 5  # the two oldest strokes (5-pixel discs) stay


def test_history_stores_diffs_not_full_copies(doc: Document) -> None:
    doc.begin_stroke("paint", radius_px=2)
    doc.stroke_to(10, 10)
    doc.end_stroke()
    edit = doc.history._undo[-1]
    assert edit.before.shape == edit.after.shape == (5, 5)


def test_brush_radius_is_clamped_and_announced(doc: Document) -> None:
    seen: list[int] = []
    doc.events.brush_changed.connect(seen.append)
    doc.brush_radius_px = 1000
    doc.brush_radius_px = 0
    doc.brush_radius_px = 7.4
    assert seen == [BRUSH_MAX_PX, BRUSH_MIN_PX, 7]


def test_mask_view_is_read_only(doc: Document) -> None:
    with pytest.raises(ValueError):
        doc.mask[0, 0] = True


def test_whiten_real_tumour_uses_the_ground_truth() -> None:
    d = Document(small_case())
    d.set_slice(0)
    assert not d.whiten_real_tumour()  # no tumour on this slice
    d.set_slice(TUMOUR_Z)
    assert d.whiten_real_tumour()
    np.testing.assert_array_equal(d.mask, d.case.labels[TUMOUR_Z] == 2)
    d.undo()
    assert not d.mask.any()
    assert not Document(small_case(with_labels=False)).whiten_real_tumour()


def test_mask_outside_liver_fraction(doc: Document) -> None:
    assert doc.mask_outside_liver_fraction() == 0.0
    mask = np.zeros(SHAPE[1:], dtype=bool)
    mask[0:4, 10:20] = True  # rows 0..3 lie above the liver (rows 8..39)
    mask[10:14, 10:20] = True
    doc.set_mask(mask)
    assert doc.mask_outside_liver_fraction() == pytest.approx(0.5)
    assert Document(small_case(with_labels=False)).mask_outside_liver_fraction() is None


def test_events_and_dirty_flag(doc: Document) -> None:
    log: list[tuple[str, object]] = []
    for name in ("mask_changed", "history_changed", "dirty_changed", "slice_changed"):
        getattr(doc.events, name).connect(lambda *a, n=name: log.append((n, a)))
    doc.begin_stroke("paint", radius_px=2)
    doc.stroke_to(10, 10)
    doc.stroke_to(10, 14)
    doc.end_stroke()
    names = [n for n, _ in log]
    assert names.count("mask_changed") == 2  # live feedback per segment
    assert names.count("history_changed") == 1
    assert ("dirty_changed", (True,)) in log and doc.dirty
    doc.mark_clean()
    assert ("dirty_changed", (False,)) in log and not doc.dirty
    doc.set_slice(2)
    assert log[-1] == ("slice_changed", (2,))


def test_window_by_preset_and_validation(doc: Document) -> None:
    seen = []
    doc.events.window_changed.connect(seen.append)
    doc.set_window("liver")
    assert doc.window.width_hu == 150.0 and seen == [doc.window]
    with pytest.raises(ValueError, match="unknown window preset"):
        doc.set_window("nope")
    assert not doc.dirty  # viewing is not unsaved work
