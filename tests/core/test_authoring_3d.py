"""3-D authoring: 3-D stamps in mm, sphere brush, fill between slices, multi-slice undo,
volume fills (shown slice first, cancellable) and outside-liver counts."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from liversynth.authoring import Document
from liversynth.authoring.stamp3d import (
    bank_lesion_volume,
    describe_lesion,
    ellipsoid_volume,
    procedural_stamp3d,
    render_slices,
)
from liversynth.authoring.volume_edits import interpolate_between_slices, sphere_slices
from liversynth.authoring.volume_fill import VolumeFillRequest, run_volume_fill
from liversynth.fillers.classical import MeanFiller
from liversynth.lesions.bank import Lesion
from liversynth.volume import LIVER, Case, Volume


def _tall_case() -> Case:
    """40 slices of 2 mm, 64 x 64 px of 1 mm: a 60 HU liver block in the middle."""
    hu = np.full((40, 64, 64), -1000, np.int16)
    labels = np.zeros(hu.shape, np.uint8)
    hu[:, 8:56, 8:56] = 60 + np.random.default_rng(0).integers(-20, 20, (40, 48, 48))
    labels[:, 8:56, 8:56] = LIVER
    return Case("tall", Volume(hu, (2.0, 1.0, 1.0)), labels)


def test_ellipsoid_has_its_diameters_in_mm_on_anisotropic_voxels() -> None:
    vol = ellipsoid_volume((20.0, 30.0, 40.0), (2.5, 0.5, 1.0))
    nz, ny, nx = (
        int(np.ptp(np.flatnonzero(vol.any(axis=a)))) + 1 for a in ((1, 2), (0, 2), (0, 1))
    )
    assert abs(nz * 2.5 - 20.0) <= 2.5 and abs(ny * 0.5 - 30.0) <= 1.0 and abs(nx - 40.0) <= 1.0


def test_3d_stamp_spans_the_slices_of_its_size_and_follows_scaling() -> None:
    stamp = procedural_stamp3d((30.0, 30.0, 30.0), (2.0, 1.0, 1.0), centre_rc=(32, 32), centre_z=20)
    zs = sorted(render_slices(stamp, (40, 64, 64)))
    assert zs == list(range(zs[0], zs[-1] + 1))
    assert abs(len(zs) - 30.0 / 2.0) <= 1 and zs[0] <= 20 <= zs[-1]
    bigger = sorted(render_slices(stamp.with_pose(scale_x=1.2, scale_y=1.2), (40, 64, 64)))
    assert abs(len(bigger) - 36.0 / 2.0) <= 1


def test_bank_lesion_is_resampled_to_the_case_spacing() -> None:
    mask = np.ones((4, 10, 10), bool)  # 20 x 10 x 10 mm at (5, 1, 1)
    lesion = Lesion("other", 1, mask, (30, 0, 0), (5.0, 1.0, 1.0))
    out = bank_lesion_volume(lesion, (2.0, 0.5, 0.5))
    extent = [int(np.ptp(np.flatnonzero(out.any(axis=a)))) + 1 for a in ((1, 2), (0, 2), (0, 1))]
    assert abs(extent[0] * 2.0 - 20.0) <= 2.0 and abs(extent[1] * 0.5 - 10.0) <= 0.5
    assert "other slices 31–34" in describe_lesion(lesion) and describe_lesion(lesion).startswith(
        "2.00 mL · 10×10×20 mm"
    )


def test_sphere_brush_and_its_single_undo() -> None:
    doc = Document(_tall_case())
    doc.set_slice(20)
    assert doc.paint_sphere(32, 32, radius_mm=5.0)
    assert doc.painted_slices() == [18, 19, 20, 21, 22]  # 5 mm / 2 mm slices: z ± 2
    assert doc.mask_for(20).sum() > doc.mask_for(22).sum() > 0
    ball = sphere_slices((20, 32, 32), 5.0, (2.0, 1.0, 1.0), (40, 64, 64))
    assert all(np.array_equal(doc.mask_for(z), m) for z, m in ball.items())
    doc.set_slice(5)
    assert doc.undo() and doc.painted_slices() == [] and doc.slice_index == 20
    assert doc.redo() and len(doc.painted_slices()) == 5


def test_fill_between_slices_interpolates_shapes_in_one_step() -> None:
    doc = Document(_tall_case())
    yy, xx = np.mgrid[:64, :64]
    small = (yy - 32) ** 2 + (xx - 32) ** 2 <= 4**2
    large = (yy - 32) ** 2 + (xx - 32) ** 2 <= 12**2
    doc.set_mask(small, z=10)
    doc.set_mask(large, z=20)
    assert doc.fill_between_slices()
    assert doc.painted_slices() == list(range(10, 21))
    areas = [int(doc.mask_for(z).sum()) for z in range(10, 21)]
    assert areas == sorted(areas) and areas[5] == pytest.approx(math.pi * 8**2, rel=0.15)
    assert doc.history.undo_label == "fill between slices"
    doc.undo()
    assert doc.painted_slices() == [10, 20]
    assert interpolate_between_slices({3: small}) == {}


def test_3d_stamp_commit_is_one_step_and_counts_outside_voxels() -> None:
    doc = Document(_tall_case())
    doc.set_slice(20)
    doc.stamp_ellipsoid((20.0, 20.0, 20.0), centre_rc=(32, 32))
    expected = sorted(doc.stamp_slices())
    assert len(expected) >= 9 and doc.lesion_outside_liver()[:2] == (0, 0.0)
    assert doc.commit_stamp() and doc.painted_slices() == expected
    assert doc.history.undo_label == "3-D stamp" and doc.lesion_is_3d()
    doc.undo()
    assert doc.painted_slices() == []
    doc.stamp_ellipsoid((20.0, 20.0, 20.0), centre_rc=(8, 8))  # a corner of the liver block
    outside = doc.lesion_outside_liver()
    assert outside is not None and 0 < outside[0] < outside[2]
    assert outside[1] == pytest.approx(outside[0] * 2.0)


def test_volume_fill_shows_the_focus_slice_first_and_every_slice_after() -> None:
    doc = Document(_tall_case())
    doc.set_slice(20)
    doc.stamp_ellipsoid((16.0, 16.0, 16.0), centre_rc=(32, 32))
    doc.commit_stamp()
    doc.set_filler("mean")
    req = doc.request_volume_fill()
    assert req is not None and req.focus_z == 20 and req.lesion_slices == doc.painted_slices()
    order: list[object] = []
    result = run_volume_fill(
        MeanFiller(),
        req,
        on_first=lambda r: order.append(("first", r.z, doc.apply_fill_result(r))),
        on_progress=lambda done, total: order.append((done, total)),
    )
    assert order[0] == ("first", 20, True) and order[-1] == (len(req.lesion_slices),) * 2
    assert result is not None and doc.apply_volume_fill_result(result)
    for z in doc.painted_slices():
        filled = doc.volume_fill_slice(z)
        assert filled is not None and not np.array_equal(filled, doc.slice_hu(z))
    assert doc.volume_fill_is_current()
    doc.set_slice(doc.painted_slices()[0])  # scrolling shows the cached fill at once
    assert doc.fill_up_to_date


def test_volume_fill_is_cancelled_between_chunks() -> None:
    hu = np.zeros((20, 16, 16), np.float32)
    mask = np.zeros(hu.shape, bool)
    mask[:, 4:8, 4:8] = True
    req = VolumeFillRequest(1, 0, 0, hu, mask, None, (1.0, 1.0, 1.0), "mean")
    seen: list[int] = []
    out = run_volume_fill(
        MeanFiller(), req, on_progress=lambda d, t: seen.append(d), is_cancelled=lambda: True
    )
    assert out is None and seen == [1]


def test_a_session_keeps_every_slice_of_a_3d_lesion(tmp_path: Path) -> None:
    from liversynth.authoring.session import load_session, save_session

    case = _tall_case()
    doc = Document(case)
    doc.set_slice(20)
    doc.stamp_ellipsoid((14.0, 20.0, 20.0), lobulated=True, seed=4, centre_rc=(32, 32))
    doc.commit_stamp()
    path = save_session(doc, tmp_path / "work.lsession")
    again = load_session(path, case=case)
    assert again.painted_slices() == doc.painted_slices() and len(doc.painted_slices()) >= 6
    assert all(np.array_equal(again.mask_for(z), doc.mask_for(z)) for z in doc.painted_slices())
