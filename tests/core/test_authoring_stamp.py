"""The lesion stamp: sources (real, procedural), pose (move/rotate/scale/flip), commit/cancel."""

from __future__ import annotations

import numpy as np
import pytest
from authoring_cases import SHAPE, TUMOUR_R, TUMOUR_RC, TUMOUR_Z, small_case

from liversynth.authoring import Document, LesionStamp, StampPose
from liversynth.authoring.stamp import label_lesions, list_real_lesions, procedural_mask

# An L-shaped, asymmetric source so flips and rotations are distinguishable.
L_SHAPE = np.zeros((9, 7), dtype=bool)
L_SHAPE[1:8, 1:3] = True
L_SHAPE[6:8, 1:6] = True


def _centroid(mask: np.ndarray) -> np.ndarray:
    return np.argwhere(mask).mean(axis=0)


def test_identity_pose_reproduces_the_source_at_the_centre() -> None:
    stamp = LesionStamp(L_SHAPE, StampPose(centre_rc=(20.0, 30.0)))
    out = stamp.render((48, 48))
    # source centre (4, 3) lands on (20, 30): the source sits at rows 16..24, cols 27..33
    np.testing.assert_array_equal(out[16:25, 27:34], L_SHAPE)
    assert out.sum() == L_SHAPE.sum()


def test_move_translates_the_rendering() -> None:
    stamp = LesionStamp(L_SHAPE, StampPose(centre_rc=(20.0, 20.0)))
    moved = stamp.with_pose(centre_rc=(25.0, 12.0))
    a, b = stamp.render((48, 48)), moved.render((48, 48))
    np.testing.assert_array_equal(np.roll(a, (5, -8), axis=(0, 1)), b)


def test_rotation_by_90_degrees_is_counter_clockwise_on_screen() -> None:
    stamp = LesionStamp(L_SHAPE, StampPose(centre_rc=(24.0, 24.0)))
    rotated = stamp.with_pose(angle_deg=90).render((48, 48))
    src = stamp.render((48, 48))
    # np.rot90 rotates counter-clockwise as displayed (row 0 at the top).
    expected = np.rot90(src[20:29, 21:28])
    rows, cols = np.nonzero(rotated)
    np.testing.assert_array_equal(
        rotated[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1], expected[1:-1, 1:-1]
    )


def test_flips_mirror_the_shape() -> None:
    stamp = LesionStamp(L_SHAPE, StampPose(centre_rc=(24.0, 24.0)))
    src = stamp.render((48, 48))
    h = stamp.with_pose(flip_h=True).render((48, 48))
    v = stamp.with_pose(flip_v=True).render((48, 48))
    # mirrored about the stamp centre (24, 24): column c ↔ 48 - c, row r ↔ 48 - r
    np.testing.assert_array_equal(h[:, 1:], src[:, 1:][:, ::-1])
    np.testing.assert_array_equal(v[1:, :], src[1:, :][::-1, :])


def test_scale_stretches_area_and_extent() -> None:
    square = np.zeros((12, 12), dtype=bool)
    square[2:10, 2:10] = True
    # even-sized source: its centre is a pixel corner, so put it on one (x.5) for exact numbers
    stamp = LesionStamp(square, StampPose(centre_rc=(24.5, 24.5)))
    np.testing.assert_array_equal(stamp.render((48, 48))[21:29, 21:29], True)
    wide = stamp.with_pose(scale_x=2.0).render((48, 48))
    rows, cols = np.nonzero(wide)
    assert rows.max() - rows.min() + 1 == 8
    assert cols.max() - cols.min() + 1 == 16
    assert wide.sum() == 2 * 64
    np.testing.assert_allclose(_centroid(wide), (24.5, 24.5))
    tall = stamp.with_pose(scale_y=0.5).render((48, 48))
    assert tall.sum() == 64 // 2
    with pytest.raises(ValueError):
        stamp.with_pose(scale_y=0.0)


def test_stamp_outside_the_image_renders_nothing() -> None:
    stamp = LesionStamp(L_SHAPE, StampPose(centre_rc=(-100.0, 500.0)))
    assert not stamp.render((48, 48)).any()


def test_real_lesions_are_listed_at_their_largest_section() -> None:
    case = small_case()
    (lesion,) = list_real_lesions(label_lesions(case.labels))
    assert lesion.z == TUMOUR_Z
    assert lesion.area_px == int((case.labels[TUMOUR_Z] == 2).sum())
    assert lesion.centre_rc == pytest.approx(TUMOUR_RC)


def test_real_lesion_stamp_at_its_own_place_reproduces_it() -> None:
    doc = Document(small_case())
    doc.set_slice(0)
    doc.stamp_real_lesion(doc.real_lesions()[0])
    assert doc.commit_stamp()
    np.testing.assert_array_equal(doc.mask, doc.case.labels[TUMOUR_Z] == 2)


def test_procedural_shape_is_seeded_and_sized_in_mm() -> None:
    a = procedural_mask(8.0, (2.5, 0.8, 0.8), seed=3)
    b = procedural_mask(8.0, (2.5, 0.8, 0.8), seed=3)
    c = procedural_mask(8.0, (2.5, 0.8, 0.8), seed=4)
    np.testing.assert_array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)
    # area near that of an 8 mm disc = π·(5 px)² ≈ 79 px
    assert 40 < a.sum() < 130
    assert procedural_mask(16.0, (2.5, 0.8, 0.8), seed=3).sum() > 3 * a.sum()


def test_commit_is_one_undo_step_and_cancel_leaves_the_mask() -> None:
    doc = Document(small_case())
    seen: list[object] = []
    doc.events.stamp_changed.connect(seen.append)
    doc.stamp_procedural(8.0, seed=1)
    assert doc.stamp is not None
    # It starts at the deepest healthy-liver point: for this square liver, one of the four
    # pixels around its centre (23.5, 23.5) (a tie in the distance transform).
    assert np.abs(np.asarray(doc.stamp.pose.centre_rc) - 23.5).max() == 0.5
    doc.update_stamp_pose(centre_rc=(15.0, 30.0), angle_deg=30.0, scale_x=1.5, flip_h=True)
    expected = doc.stamp.render(SHAPE[1:])
    assert doc.commit_stamp()
    np.testing.assert_array_equal(doc.mask, expected)
    assert doc.stamp is None and seen[-1] is None and len(doc.history) == 1
    doc.undo()
    assert not doc.mask.any()
    doc.stamp_procedural(8.0, seed=1)
    doc.cancel_stamp()
    assert doc.stamp is None and not doc.mask.any() and not doc.commit_stamp()
    with pytest.raises(RuntimeError):
        doc.update_stamp_pose(angle_deg=10)


def test_stamp_fraction_outside_the_liver_can_include_the_floating_stamp() -> None:
    doc = Document(small_case())
    doc.stamp_procedural(8.0, seed=1, centre_rc=(2.0, 2.0))  # corner: outside the liver
    assert doc.mask_outside_liver_fraction() == 0.0
    assert doc.mask_outside_liver_fraction(include_stamp=True) == pytest.approx(1.0)
    assert TUMOUR_R > 0
