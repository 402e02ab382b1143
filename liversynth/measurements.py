"""Measurements a radiologist reads off a lesion: RECIST axes, ROI statistics, circles.

Everything is in physical units from the voxel spacing, so a measurement agrees with a
ruler on screen whatever the pixel aspect. Qt-free, used by the GUI's metrics panel.

Conventions:
    * The RECIST long axis is the largest diameter of the lesion on one axial slice; the
      short axis is the largest diameter perpendicular to it (RECIST 1.1). Pixels are
      squares of ``spacing_yx_mm``; a diameter runs from the outer edge of one pixel to the
      outer edge of the other (pixel-centre distance plus the pixel's footprint along it),
      so a 20-pixel run at 1 mm measures 20 mm, not 19.

Example:
    >>> import numpy as np
    >>> m = np.zeros((9, 20), bool); m[4, 3:14] = True        # 1 row x 11 columns
    >>> recist_axes_mm(m, (0.7, 0.5))
    (5.5, 0.7)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull, QhullError


def _footprint_mm(direction: np.ndarray, spacing_yx_mm: tuple[float, float]) -> float:
    """Length of one pixel (a ``sy`` x ``sx`` rectangle) along the unit ``direction``."""
    return float(abs(direction[0]) * spacing_yx_mm[0] + abs(direction[1]) * spacing_yx_mm[1])


def recist_axes_mm(mask_yx: np.ndarray, spacing_yx_mm: tuple[float, float]) -> tuple[float, float]:
    """Long and short axis of a 2-D lesion mask in mm (RECIST 1.1, one axial slice).

    Args:
        mask_yx: bool ``(rows, cols)``; all of its pixels are one lesion.
        spacing_yx_mm: pixel size ``(row, col)`` in mm.

    Returns:
        ``(long_mm, short_mm)``; ``(0.0, 0.0)`` for an empty mask.
    """
    sy, sx = float(spacing_yx_mm[0]), float(spacing_yx_mm[1])
    rows, cols = np.nonzero(np.asarray(mask_yx, bool))
    if rows.size == 0:
        return 0.0, 0.0
    pts = np.stack([rows * sy, cols * sx], axis=1).astype(np.float64)
    if rows.size == 1:
        return max(sy, sx), min(sy, sx)
    try:
        cand = pts[ConvexHull(pts).vertices]
    except QhullError:  # collinear pixels: the extremes are among all points
        cand = pts
    d = np.linalg.norm(cand[:, None, :] - cand[None, :, :], axis=-1)
    i, j = np.unravel_index(int(np.argmax(d)), d.shape)
    u = (cand[j] - cand[i]) / d[i, j]
    long_mm = float(d[i, j]) + _footprint_mm(u, (sy, sx))
    v = np.array([-u[1], u[0]])
    # Chords perpendicular to the long axis: group pixels in strips one pixel wide along u.
    s = pts @ u
    t = pts @ v
    strip = _footprint_mm(u, (sy, sx))
    keys = np.floor((s - s.min()) / strip + 0.5).astype(np.int64)
    order = np.argsort(keys, kind="stable")
    keys, t = keys[order], t[order]
    bounds = np.flatnonzero(np.diff(keys)) + 1
    t_max = np.maximum.reduceat(t, np.r_[0, bounds])
    t_min = np.minimum.reduceat(t, np.r_[0, bounds])
    short_mm = float((t_max - t_min).max()) + _footprint_mm(v, (sy, sx))
    return long_mm, min(short_mm, long_mm)


def largest_recist_axes_mm(
    mask_zyx: np.ndarray, spacing_zyx_mm: tuple[float, float, float]
) -> tuple[int, float, float] | None:
    """RECIST axes of a 3-D lesion: measured on the axial slice where the long axis is largest.

    Returns:
        ``(z, long_mm, short_mm)`` (0-based slice index), or ``None`` for an empty mask.
    """
    best: tuple[int, float, float] | None = None
    spacing_yx = (float(spacing_zyx_mm[1]), float(spacing_zyx_mm[2]))
    for z in np.flatnonzero(np.asarray(mask_zyx, bool).any(axis=(1, 2))):
        long_mm, short_mm = recist_axes_mm(mask_zyx[z], spacing_yx)
        if best is None or long_mm > best[1]:
            best = (int(z), long_mm, short_mm)
    return best


@dataclass(frozen=True)
class RoiStats:
    """HU statistics of a region.

    Attributes:
        n_voxels: pixels (2-D) or voxels (3-D) in the region.
        mean_hu: mean HU (NaN when empty).
        sd_hu: standard deviation of HU, population (NaN when empty).
        area_mm2: area for a 2-D region (``None`` for 3-D).
        volume_ml: volume for a 3-D region in millilitres (``None`` for 2-D).
    """

    n_voxels: int
    mean_hu: float
    sd_hu: float
    area_mm2: float | None
    volume_ml: float | None

    def describe(self) -> str:
        """One line for a read-out, e.g. ``"42 ± 12 HU · 3.1 cm² (310 px)"``."""
        if self.n_voxels == 0:
            return "empty"
        size = (
            f"{self.area_mm2 / 100.0:.2f} cm²"
            if self.area_mm2 is not None
            else f"{(self.volume_ml or 0.0):.2f} mL"
        )
        return f"{self.mean_hu:.0f} ± {self.sd_hu:.0f} HU · {size} ({self.n_voxels} vox)"


def roi_stats(hu: np.ndarray, mask: np.ndarray, spacing_mm: tuple[float, ...]) -> RoiStats:
    """Mean ± SD HU and area (2-D) or volume (3-D) of ``mask`` over ``hu``.

    Args:
        hu: HU image, 2-D ``(rows, cols)`` or 3-D ``(z, y, x)``.
        mask: bool, same shape.
        spacing_mm: voxel size with one entry per axis of ``hu`` (mm).
    """
    hu = np.asarray(hu)
    mask = np.asarray(mask, bool)
    if hu.shape != mask.shape or hu.ndim not in (2, 3) or len(spacing_mm) != hu.ndim:
        raise ValueError(
            f"roi_stats needs a 2-D or 3-D image, a mask of the same shape and one spacing per "
            f"axis; got {hu.shape}, {mask.shape}, {tuple(spacing_mm)}"
        )
    n = int(mask.sum())
    values = hu[mask].astype(np.float64)
    mean = float(values.mean()) if n else float("nan")
    sd = float(values.std()) if n else float("nan")
    unit = float(np.prod(spacing_mm))
    if hu.ndim == 2:
        return RoiStats(n, mean, sd, area_mm2=n * unit, volume_ml=None)
    return RoiStats(n, mean, sd, area_mm2=None, volume_ml=n * unit / 1000.0)


def circle_mask(
    shape: tuple[int, int],
    centre_rc: tuple[float, float],
    radius_mm: float,
    spacing_yx_mm: tuple[float, float],
) -> np.ndarray:
    """Pixels whose centres lie within ``radius_mm`` of ``centre_rc`` (an ellipse in pixels
    when the pixels are not square)."""
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    dy = (rows - centre_rc[0]) * spacing_yx_mm[0]
    dx = (cols - centre_rc[1]) * spacing_yx_mm[1]
    return np.asarray(dy**2 + dx**2 <= radius_mm**2)


def distance_mm(
    a_rc: tuple[float, float], b_rc: tuple[float, float], spacing_yx_mm: tuple[float, float]
) -> float:
    """Length of the segment between two points given in (fractional) pixels, in mm."""
    dy = (b_rc[0] - a_rc[0]) * spacing_yx_mm[0]
    dx = (b_rc[1] - a_rc[1]) * spacing_yx_mm[1]
    return float(np.hypot(dy, dx))
