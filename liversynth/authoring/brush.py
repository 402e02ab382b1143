"""Brush geometry: discs and gap-free segments painted into a 2-D bool mask.

A mouse drag reports points far apart when the hand moves fast. Instead of stamping a disc at
each reported point (which leaves gaps), each segment between two consecutive points is painted
as a capsule: every pixel whose centre lies within ``radius_px`` of the segment. A single point
is the degenerate segment, i.e. a disc ``dy² + dx² <= r²``.
"""

from __future__ import annotations

import numpy as np

#: Brush radius limits in pixels (a 1-px brush is still a 3×3 plus sign; 100 px covers a liver).
BRUSH_MIN_PX = 1
BRUSH_MAX_PX = 100

#: ``(row0, row1, col0, col1)`` half-open box in pixels.
BBox = tuple[int, int, int, int]


def clamp_radius(radius_px: float) -> int:
    """Round and clamp a brush radius to ``[BRUSH_MIN_PX, BRUSH_MAX_PX]``."""
    return int(min(max(round(float(radius_px)), BRUSH_MIN_PX), BRUSH_MAX_PX))


def segment_bbox(
    p0: tuple[float, float], p1: tuple[float, float], radius_px: float, shape: tuple[int, int]
) -> BBox | None:
    """Box (clipped to ``shape``) that contains the capsule around segment ``p0``–``p1``.

    Returns:
        ``(row0, row1, col0, col1)`` or ``None`` when the capsule lies outside the image.
    """
    r = float(radius_px)
    row0 = max(int(np.floor(min(p0[0], p1[0]) - r)), 0)
    row1 = min(int(np.ceil(max(p0[0], p1[0]) + r)) + 1, shape[0])
    col0 = max(int(np.floor(min(p0[1], p1[1]) - r)), 0)
    col1 = min(int(np.ceil(max(p0[1], p1[1]) + r)) + 1, shape[1])
    if row0 >= row1 or col0 >= col1:
        return None
    return row0, row1, col0, col1


def paint_segment(
    mask: np.ndarray,
    p0: tuple[float, float],
    p1: tuple[float, float],
    radius_px: float,
    value: bool = True,
) -> BBox | None:
    """Set every pixel within ``radius_px`` of segment ``p0``–``p1`` to ``value``, in place.

    Args:
        mask: 2-D bool array, modified in place.
        p0: start point ``(row, col)`` in pixels (floats allowed, pixel centres are integers).
        p1: end point ``(row, col)``; equal to ``p0`` for a single disc.
        radius_px: brush radius in pixels.
        value: ``True`` to paint, ``False`` to erase.

    Returns:
        The touched box ``(row0, row1, col0, col1)`` or ``None`` if nothing was inside the image.
    """
    box = segment_bbox(p0, p1, radius_px, mask.shape)
    if box is None:
        return None
    row0, row1, col0, col1 = box
    rows = np.arange(row0, row1, dtype=np.float64)[:, None]
    cols = np.arange(col0, col1, dtype=np.float64)[None, :]
    d_row, d_col = p1[0] - p0[0], p1[1] - p0[1]
    length2 = d_row * d_row + d_col * d_col
    if length2 == 0.0:
        t = np.zeros((1, 1))
    else:
        # Projection of each pixel centre on the segment, clamped to its ends.
        t = np.clip(((rows - p0[0]) * d_row + (cols - p0[1]) * d_col) / length2, 0.0, 1.0)
    dist2 = (rows - (p0[0] + t * d_row)) ** 2 + (cols - (p0[1] + t * d_col)) ** 2
    inside = dist2 <= float(radius_px) ** 2 + 1e-9
    region = mask[row0:row1, col0:col1]
    region[inside] = value
    return box


def union_bbox(a: BBox | None, b: BBox | None) -> BBox | None:
    """Smallest box containing both (``None`` is the empty box)."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])


def changed_bbox(before: np.ndarray, after: np.ndarray) -> BBox | None:
    """Box around the pixels that differ between two same-shaped masks (``None``: identical)."""
    diff = before != after
    rows = np.flatnonzero(diff.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(diff.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
