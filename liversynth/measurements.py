"""Lesion measurements on a slice, as a radiologist reads them (RECIST long and short axes).

RECIST 1.1 measures a lesion by its longest diameter in the axial plane and, for lymph nodes
and many reports, the longest diameter perpendicular to it. Distances are between pixel
centres, in mm, with the slice's own pixel spacing (pixels need not be square).

Example:
    >>> import numpy as np
    >>> yy, xx = np.mgrid[:41, :41]
    >>> m = ((yy - 20) / 10) ** 2 + ((xx - 20) / 20) ** 2 <= 1   # 20 x 40 px ellipse
    >>> axes = recist_axes_mm(m, (0.5, 0.5))
    >>> round(axes.long_mm, 1), round(axes.short_mm, 1)
    (20.0, 10.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial.distance import pdist, squareform

from liversynth.typing import SpacingYX

Point = tuple[float, float]


@dataclass(frozen=True)
class RecistAxes:
    """Long and short axes of a 2-D lesion.

    Attributes:
        long_mm: longest diameter (mm), between pixel centres.
        short_mm: longest diameter perpendicular to the long axis (mm).
        long_yx: the long axis' end points as ``((y0, x0), (y1, x1))`` pixel indices.
        short_yx: the short axis' end points (pixel coordinates, may be fractional).
    """

    long_mm: float
    short_mm: float
    long_yx: tuple[Point, Point]
    short_yx: tuple[Point, Point]


def recist_axes_mm(mask_yx: np.ndarray, spacing_yx_mm: SpacingYX) -> RecistAxes | None:
    """The RECIST long and short axes of the lesion ``mask_yx`` (all its pixels together).

    Args:
        mask_yx: 2-D mask of the lesion (non-zero = lesion).
        spacing_yx_mm: pixel size ``(row, column)`` in mm.

    Returns:
        The axes, or ``None`` for an empty mask. A single pixel has both axes 0 mm.
    """
    mask = np.asarray(mask_yx, bool)
    if mask.ndim != 2:
        raise ValueError(f"recist_axes_mm needs a 2-D mask, got shape {mask.shape}")
    if not mask.any():
        return None
    sp = np.asarray(spacing_yx_mm, float)
    # The longest chord joins two boundary pixels; only they need the O(n^2) search.
    edge = mask & ~ndimage.binary_erosion(mask)
    pts = np.argwhere(edge).astype(float)
    if len(pts) == 1:
        p = (float(pts[0, 0]), float(pts[0, 1]))
        return RecistAxes(0.0, 0.0, (p, p), (p, p))
    dist = squareform(pdist(pts * sp))
    i, j = np.unravel_index(int(np.argmax(dist)), dist.shape)
    a, b = pts[i], pts[j]
    long_mm = float(dist[i, j])
    short_mm, short_yx = _short_axis(mask, sp, a, b)
    return RecistAxes(
        long_mm,
        short_mm,
        ((float(a[0]), float(a[1])), (float(b[0]), float(b[1]))),
        short_yx,
    )


def _short_axis(
    mask: np.ndarray, sp: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[float, tuple[Point, Point]]:
    """Longest extent of the lesion perpendicular to the long axis ``a``–``b``."""
    pts = np.argwhere(mask).astype(float)
    mm = pts * sp
    u = (b - a) * sp
    u = u / np.linalg.norm(u)
    v = np.array([-u[1], u[0]])
    along = (mm - a * sp) @ u
    across = (mm - a * sp) @ v
    # Pixels whose centres lie within half a pixel of one perpendicular line share a bin.
    bins = np.round(along / float(sp.min())).astype(int)
    best, best_pair = 0.0, (0, 0)
    for k in np.unique(bins):
        idx = np.flatnonzero(bins == k)
        lo, hi = idx[np.argmin(across[idx])], idx[np.argmax(across[idx])]
        extent = float(across[hi] - across[lo])
        if extent > best:
            best, best_pair = extent, (int(lo), int(hi))
    p, q = pts[best_pair[0]], pts[best_pair[1]]
    return best, ((float(p[0]), float(p[1])), (float(q[0]), float(q[1])))
