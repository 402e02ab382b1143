"""RECIST axes, ROI statistics and distances on hand-made masks with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from liversynth.measurements import (
    circle_mask,
    distance_mm,
    largest_recist_axes_mm,
    recist_axes_mm,
    roi_stats,
)


def _ellipse(shape, centre, semi_mm, spacing, angle_deg=0.0):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    y = (yy - centre[0]) * spacing[0]
    x = (xx - centre[1]) * spacing[1]
    a = np.deg2rad(angle_deg)
    u = y * np.cos(a) + x * np.sin(a)
    v = -y * np.sin(a) + x * np.cos(a)
    return (u / semi_mm[0]) ** 2 + (v / semi_mm[1]) ** 2 <= 1.0


def test_axis_aligned_rectangle_runs_edge_to_edge() -> None:
    m = np.zeros((30, 60), bool)
    m[10:11, 5:45] = True  # one row, 40 px at 0.5 mm = 20 mm, 1 px at 2 mm high
    long_mm, short_mm = recist_axes_mm(m, (2.0, 0.5))
    assert long_mm == pytest.approx(20.0)
    assert short_mm == pytest.approx(2.0)


@pytest.mark.parametrize("angle", [0.0, 30.0, 90.0])
def test_ellipse_axes_on_anisotropic_pixels(angle: float) -> None:
    spacing = (0.5, 0.8)
    m = _ellipse((240, 160), (120, 80), (20.0, 8.0), spacing, angle)  # 40 x 16 mm
    long_mm, short_mm = recist_axes_mm(m, spacing)
    assert long_mm == pytest.approx(40.0, abs=1.0)
    assert short_mm == pytest.approx(16.0, abs=1.0)


def test_empty_and_single_pixel() -> None:
    assert recist_axes_mm(np.zeros((5, 5), bool), (1.0, 1.0)) == (0.0, 0.0)
    one = np.zeros((5, 5), bool)
    one[2, 2] = True
    assert recist_axes_mm(one, (0.7, 0.9)) == (0.9, 0.7)


def test_largest_axes_pick_the_widest_slice() -> None:
    vol = np.zeros((3, 50, 50), bool)
    vol[0, 10:20, 10:20] = True
    vol[2, 5:45, 20:24] = True  # 40 px long
    z, long_mm, _short = largest_recist_axes_mm(vol, (3.0, 1.0, 1.0))
    assert z == 2 and long_mm == pytest.approx(40.0, abs=0.5)
    assert largest_recist_axes_mm(np.zeros((2, 4, 4), bool), (1, 1, 1)) is None


def test_roi_stats_2d_and_3d() -> None:
    hu = np.zeros((10, 10), np.float32)
    hu[:5] = 10.0
    hu[5:] = 30.0
    mask = np.zeros((10, 10), bool)
    mask[3:7, 0:5] = True  # 10 pixels at 10 HU, 10 at 30 HU
    s = roi_stats(hu, mask, (0.5, 2.0))
    assert (s.n_voxels, s.mean_hu, s.sd_hu, s.area_mm2, s.volume_ml) == (20, 20.0, 10.0, 20.0, None)
    vol = np.stack([hu, hu])
    s3 = roi_stats(vol, np.stack([mask, mask]), (5.0, 0.5, 2.0))
    assert s3.volume_ml == pytest.approx(40 * 5.0 / 1000.0) and s3.area_mm2 is None
    assert "±" in s3.describe() and "mL" in s3.describe()
    with pytest.raises(ValueError):
        roi_stats(hu, mask, (1.0,))


def test_circle_and_distance_in_mm() -> None:
    c = circle_mask((41, 41), (20, 20), 10.0, (1.0, 2.0))
    rows = np.flatnonzero(c.any(axis=1))
    cols = np.flatnonzero(c.any(axis=0))
    assert (rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) == (21, 11)
    assert distance_mm((0, 0), (3, 4), (1.0, 1.0)) == pytest.approx(5.0)
    assert distance_mm((0, 0), (0, 10), (1.0, 0.7)) == pytest.approx(7.0)
