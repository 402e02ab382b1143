"""The true long axis of an item's lesion: its RECIST length and where to draw it.

The length is :func:`liversynth.measurements.recist_axes_mm` (outer pixel edge to outer pixel
edge, as a reader draws it across a lesion), taken on the slab slice where it is longest; the
end points (for the review's dashed line) are the two farthest boundary pixels, moved outwards
by half a pixel so the drawn line has that length.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage

from liversynth.measurements import recist_axes_mm
from liversynth.typing import SpacingZYX


def long_axis_endpoints(mask_yx: np.ndarray, spacing_yx_mm) -> list[list[float]]:
    """``[[y0, x0], [y1, x1]]`` (pixel coordinates) of the lesion's longest diameter."""
    mask = np.asarray(mask_yx, bool)
    pts = np.argwhere(mask & ~ndimage.binary_erosion(mask)).astype(float)
    sp = np.asarray(spacing_yx_mm, float)
    mm = pts * sp
    d = np.linalg.norm(mm[:, None, :] - mm[None, :, :], axis=-1)
    i, j = np.unravel_index(int(np.argmax(d)), d.shape)
    a, b = pts[i], pts[j]
    if d[i, j] == 0:
        return [list(a), list(b)]
    u = (mm[j] - mm[i]) / d[i, j]  # unit direction in mm
    half_mm = 0.5 * float(abs(u[0]) * sp[0] + abs(u[1]) * sp[1])
    step_px = u * half_mm / sp
    return [[float(v) for v in a - step_px], [float(v) for v in b + step_px]]


def true_long_axis(target_zyx: np.ndarray, spacing_mm: SpacingZYX) -> tuple[float, dict[str, Any]]:
    """``(length in mm, {"z": slice, "yx": end points})`` of the longest axial diameter."""
    best: tuple[float, dict[str, Any]] = (0.0, {})
    for k in np.flatnonzero(np.asarray(target_zyx, bool).any(axis=(1, 2))):
        long_mm, _ = recist_axes_mm(target_zyx[k], (spacing_mm[1], spacing_mm[2]))
        if long_mm > best[0]:
            best = (
                long_mm,
                {"z": int(k), "yx": long_axis_endpoints(target_zyx[k], spacing_mm[1:])},
            )
    return best
