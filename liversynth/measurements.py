"""Measurements a radiologist reads off a lesion: the RECIST axes of a 2-D mask, in mm.

Conventions (the same as the GUI's ruler and metrics panel):
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
