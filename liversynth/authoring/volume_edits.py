"""3-D mask edits as pure functions: the sphere brush and "fill between slices".

Both return new per-slice masks (``{z: bool (rows, cols)}``) that the document writes as one
undo step (:meth:`MaskEditor.replace_many`).

"Fill between slices" is shape-based interpolation (Raya & Udupa 1990; what 3D Slicer's
"Fill between slices" does): each painted key slice becomes a signed distance map (positive
inside), the maps of two neighbouring key slices are blended linearly by the position of the
gap slice between them, and the zero level is the interpolated outline. A circle on slice 0
and a larger one on slice 10 give circles of growing radius in between; two shapes that do
not overlap fade one into the other.

Example:
    >>> import numpy as np
    >>> a = np.zeros((32, 32), bool); a[10:14, 10:14] = True
    >>> b = np.zeros((32, 32), bool); b[8:20, 8:20] = True
    >>> out = interpolate_between_slices({0: a, 4: b})
    >>> sorted(out), int(a.sum()) < int(out[2].sum()) < int(b.sum())
    ([1, 2, 3], True)
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def sphere_slices(
    centre_zrc: tuple[float, float, float],
    radius_mm: float,
    spacing_mm: tuple[float, float, float],
    shape_zyx: tuple[int, int, int],
) -> dict[int, np.ndarray]:
    """A ball of ``radius_mm`` around voxel ``centre_zrc``, as 2-D discs on every slice it cuts.

    A voxel belongs to the ball when its centre lies within ``radius_mm`` (physical distance,
    so thick slices get fewer, correctly sized discs). The centre voxel is always included.
    """
    if radius_mm <= 0:
        raise ValueError(f"sphere radius must be > 0 mm, got {radius_mm}")
    cz, cr, cc = (float(v) for v in centre_zrc)
    sz, sy, sx = (float(s) for s in spacing_mm)
    out: dict[int, np.ndarray] = {}
    nz, rows, cols = (int(n) for n in shape_zyx)
    z_lo = max(int(np.ceil(cz - radius_mm / sz)), 0)
    z_hi = min(int(np.floor(cz + radius_mm / sz)), nz - 1)
    rr, cc_grid = np.ogrid[:rows, :cols]
    for z in range(z_lo, z_hi + 1):
        left = radius_mm**2 - ((z - cz) * sz) ** 2
        if left < 0:
            continue
        disc = ((rr - cr) * sy) ** 2 + ((cc_grid - cc) * sx) ** 2 <= left
        if z == round(cz) and 0 <= round(cr) < rows and 0 <= round(cc) < cols:
            disc[round(cr), round(cc)] = True
        if disc.any():
            out[z] = disc
    return out


def _signed_distance(mask: np.ndarray, spacing_yx: tuple[float, float]) -> np.ndarray:
    """Distance to the outline in mm: positive inside, negative outside."""
    inside = ndimage.distance_transform_edt(mask, sampling=spacing_yx)
    outside = ndimage.distance_transform_edt(~mask, sampling=spacing_yx)
    return np.asarray(inside - outside, np.float32)


def interpolate_between_slices(
    masks: dict[int, np.ndarray], spacing_yx_mm: tuple[float, float] = (1.0, 1.0)
) -> dict[int, np.ndarray]:
    """Masks for the empty slices between painted ones (shape-based interpolation).

    Args:
        masks: bool ``(rows, cols)`` by slice; the non-empty ones are the key slices.
        spacing_yx_mm: in-plane pixel size, so distances (and outlines) are physical.

    Returns:
        New masks for every empty slice strictly between two key slices (key slices and
        slices outside the first..last key are never changed); ``{}`` with fewer than two keys.
    """
    keys = sorted(int(z) for z, m in masks.items() if np.asarray(m).any())
    out: dict[int, np.ndarray] = {}
    for z0, z1 in zip(keys, keys[1:], strict=False):
        if z1 - z0 < 2:
            continue
        a = np.asarray(masks[z0], bool)
        b = np.asarray(masks[z1], bool)
        # Only the box around both shapes matters; the rest stays empty (and fast).
        rows = np.flatnonzero((a | b).any(axis=1))
        cols = np.flatnonzero((a | b).any(axis=0))
        pad = 2
        r0, r1 = max(rows[0] - pad, 0), min(rows[-1] + pad + 1, a.shape[0])
        c0, c1 = max(cols[0] - pad, 0), min(cols[-1] + pad + 1, a.shape[1])
        da = _signed_distance(a[r0:r1, c0:c1], spacing_yx_mm)
        db = _signed_distance(b[r0:r1, c0:c1], spacing_yx_mm)
        for z in range(z0 + 1, z1):
            t = (z - z0) / (z1 - z0)
            blended = (1.0 - t) * da + t * db
            new = np.zeros(a.shape, bool)
            new[r0:r1, c0:c1] = blended > 0.0
            if new.any():
                out[z] = new
    return out
