"""Where a lesion may go: inside the liver, away from its edge, tumours and large vessels.

:func:`allowed_region` builds the set of voxels a lesion may cover (once per scan; it is the
costly part), :func:`place_in_region` finds a position for one lesion in it, and
:func:`place_lesion` does both. A position is valid when EVERY lesion voxel lands on an
allowed voxel, so a lesion spanning several slices is placed as one 3-D object and stays
within the liver's slice range.

Finding the position is fast and exact: a Euclidean distance transform (in mm) of the allowed
region gives, for free, every centre where the lesion's bounding sphere fits (valid for sure)
and excludes every centre where its inscribed sphere does not (invalid for sure). Candidates
are visited in a random order drawn from the generator and the first valid one is taken,
which is a uniform draw among all valid centres; candidates in between are checked voxel by
voxel. If that takes too long, an FFT correlation enumerates all valid centres at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from liversynth.errors import PlacementError
from liversynth.typing import SpacingZYX

_MAX_EXACT_CHECKS = 300


@dataclass(frozen=True)
class AllowedRegion:
    """Voxels a lesion may cover, cropped to their bounding box to save time and memory.

    Attributes:
        mask: bool crop of the allowed voxels.
        offset: index of ``mask[0, 0, 0]`` in the full volume.
        shape: full volume shape.
        spacing_mm: voxel size ``(z, y, x)``.
        depth_mm: distance (mm) of each allowed voxel to the nearest forbidden one.
        margin_mm: the liver-edge margin it was built with (for error messages).
    """

    mask: np.ndarray
    offset: tuple[int, int, int]
    shape: tuple[int, int, int]
    spacing_mm: SpacingZYX
    depth_mm: np.ndarray
    margin_mm: float


@dataclass(frozen=True)
class Placement:
    """Where a lesion was put.

    Attributes:
        offset: index in the volume of ``lesion_mask[0, 0, 0]``.
        centre: index in the volume of the lesion's anchor (its deepest voxel).
        lesion_shape: shape of the placed lesion mask.
    """

    offset: tuple[int, int, int]
    centre: tuple[int, int, int]
    lesion_shape: tuple[int, int, int]

    @property
    def bbox(self) -> tuple[int, int, int, int, int, int]:
        """``(z0, y0, x0, z1, y1, x1)`` with exclusive ends."""
        end = [o + s for o, s in zip(self.offset, self.lesion_shape, strict=True)]
        return (*self.offset, *end)  # type: ignore[return-value]

    def slices(self) -> tuple[slice, slice, slice]:
        return tuple(slice(o, o + s) for o, s in zip(self.offset, self.lesion_shape, strict=True))  # type: ignore[return-value]

    def paste(self, lesion_mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """The lesion as a bool volume of ``shape``."""
        out = np.zeros(shape, bool)
        out[self.slices()] = lesion_mask
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "centre_zyx": list(self.centre),
            "offset_zyx": list(self.offset),
            "bbox_zyx": list(self.bbox),
        }


def _dist_mm(mask: np.ndarray, spacing: SpacingZYX) -> np.ndarray:
    return ndimage.distance_transform_edt(mask, sampling=spacing).astype(np.float32)


def large_vessels(liver: np.ndarray, hu: np.ndarray, threshold_hu: float) -> np.ndarray:
    """Bright structures inside the liver, isolated bright voxels (noise) removed."""
    bright = liver & (hu > threshold_hu)
    if not bright.any():
        return bright
    # An opening with the 6-neighbour cross drops specks narrower than about two voxels.
    return ndimage.binary_opening(bright, structure=ndimage.generate_binary_structure(3, 1))


def allowed_region(
    liver_mask_3d: np.ndarray,
    tumour_mask_3d: np.ndarray | None,
    *,
    margin_mm: float,
    spacing_mm: SpacingZYX,
    avoid_hu: float | None = None,
    hu_volume: np.ndarray | None = None,
    vessel_margin_mm: float = 2.0,
    tumour_margin_mm: float | None = None,
) -> AllowedRegion:
    """Voxels a lesion may cover.

    Args:
        liver_mask_3d: bool liver ``(z, y, x)``.
        tumour_mask_3d: existing tumours (avoided with ``tumour_margin_mm``, default
            ``margin_mm``), or ``None``.
        margin_mm: minimum distance from the liver's edge.
        spacing_mm: voxel size ``(z, y, x)``.
        avoid_hu: voxels of the liver brighter than this (large vessels, with contrast) are
            avoided with ``vessel_margin_mm``; needs ``hu_volume``.
        hu_volume: the scan in HU.

    Raises:
        PlacementError: the liver is empty, or nothing is left after the margins.
    """
    liver = np.asarray(liver_mask_3d, bool)
    sz, sy, sx = spacing_mm
    spacing = (float(sz), float(sy), float(sx))
    if not liver.any():
        raise PlacementError("the liver mask is empty: nowhere to place a lesion")
    box = ndimage.find_objects(liver.astype(np.uint8))[0]
    # One voxel of padding so the liver's border counts as an edge even at the scan border.
    pad_lo = [max(0, s.start - 1) for s in box]
    pad_hi = [min(n, s.stop + 1) for s, n in zip(box, liver.shape, strict=True)]
    crop = tuple(slice(a, b) for a, b in zip(pad_lo, pad_hi, strict=True))
    liv = np.pad(liver[crop], 1)
    allowed = _dist_mm(liv, spacing) > margin_mm
    if not allowed.any():
        raise PlacementError(
            f"the liver has no voxel deeper than margin_mm={margin_mm:g} from its edge "
            "(liver too small or too thin for this margin)"
        )
    if tumour_mask_3d is not None and np.any(tumour_mask_3d):
        tm = np.pad(np.asarray(tumour_mask_3d, bool)[crop], 1)
        gap = margin_mm if tumour_margin_mm is None else tumour_margin_mm
        allowed &= _dist_mm(~tm, spacing) > gap
    if avoid_hu is not None:
        if hu_volume is None:
            raise ValueError("avoid_hu needs hu_volume")
        hu = np.pad(np.asarray(hu_volume[crop], np.float32), 1)
        vessels = large_vessels(liv, hu, avoid_hu)
        if vessels.any():
            allowed &= _dist_mm(~vessels, spacing) > vessel_margin_mm
    if not allowed.any():
        raise PlacementError(
            f"no liver voxel is left after the margins (edge {margin_mm:g} mm, existing tumours, "
            f"vessels brighter than {avoid_hu} HU)"
        )
    allowed = allowed[1:-1, 1:-1, 1:-1]
    return AllowedRegion(
        mask=allowed,
        offset=tuple(pad_lo),
        shape=tuple(liver.shape),
        spacing_mm=spacing,
        depth_mm=_dist_mm(np.pad(allowed, 1), spacing)[1:-1, 1:-1, 1:-1],
        margin_mm=float(margin_mm),
    )


def _anchor(lesion: np.ndarray, spacing) -> tuple[np.ndarray, float, float]:
    """Deepest lesion voxel, its depth (inscribed radius) and the bounding radius, in mm."""
    depth = _dist_mm(np.pad(lesion, 1), spacing)[1:-1, 1:-1, 1:-1]
    anchor = np.array(np.unravel_index(int(np.argmax(depth)), lesion.shape))
    pts = (np.argwhere(lesion) - anchor) * np.asarray(spacing)
    r_bound = float(np.sqrt((pts**2).sum(1)).max())
    return anchor, float(depth.max()), r_bound


def _fits(allowed: np.ndarray, offsets: np.ndarray, centre: np.ndarray) -> bool:
    idx = offsets + centre
    if (idx < 0).any() or (idx >= np.asarray(allowed.shape)).any():
        return False
    return bool(allowed[idx[:, 0], idx[:, 1], idx[:, 2]].all())


def _all_valid_fft(
    allowed: np.ndarray, lesion: np.ndarray, anchor: np.ndarray, candidates: np.ndarray
) -> np.ndarray:
    """Every centre (crop coordinates) where the whole lesion is on allowed voxels.

    Only the part of the region the candidate centres can reach is correlated.
    """
    pts = np.array(np.unravel_index(candidates, allowed.shape))
    lo = np.maximum(pts.min(axis=1) - anchor, 0)
    hi = np.minimum(pts.max(axis=1) - anchor + np.asarray(lesion.shape), allowed.shape)
    sub = allowed[tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))]
    # Imported here: scipy.signal pulls in scipy.stats (~1 s), which the GUI's start-up
    # (it imports this package for stamps) should not pay for.
    from scipy.signal import fftconvolve

    k = float(lesion.sum())
    hits = fftconvolve(
        sub.astype(np.float32), lesion[::-1, ::-1, ::-1].astype(np.float32), mode="full"
    )
    # full-mode index j holds the lesion with its origin at j - (shape - 1).
    origins = np.argwhere(hits > k - 0.5) - (np.asarray(lesion.shape) - 1)
    return origins + anchor + lo


def place_in_region(
    region: AllowedRegion, lesion_mask_3d: np.ndarray, rng: np.random.Generator
) -> Placement:
    """Draw a position for the lesion in ``region``, uniformly among all valid ones.

    Raises:
        PlacementError: the lesion fits nowhere (the message says why).
    """
    lesion = np.asarray(lesion_mask_3d, bool)
    if not lesion.any():
        raise PlacementError("the lesion mask is empty")
    spacing = region.spacing_mm
    anchor, r_in, r_bound = _anchor(lesion, spacing)
    deepest = float(region.depth_mm.max())
    candidates = np.flatnonzero(region.depth_mm >= r_in)
    if len(candidates) == 0:
        raise PlacementError(
            f"lesion too large for this liver: it needs {r_in:.1f} mm of clearance around its "
            f"core but the deepest allowed point is {deepest:.1f} mm from the nearest edge, "
            f"tumour or vessel (after a {region.margin_mm:g} mm margin)"
        )
    # Surface voxels first: almost every rejection happens there, at a tenth of the cost.
    surface = lesion & ~ndimage.binary_erosion(lesion)
    offsets = np.concatenate([np.argwhere(surface), np.argwhere(lesion & ~surface)]) - anchor
    n_surface = int(surface.sum())
    depth_flat = region.depth_mm.ravel()
    centre = None
    # Rejection sampling: the first accepted draw is uniform among the valid centres.
    for _ in range(_MAX_EXACT_CHECKS):
        flat = int(candidates[int(rng.integers(len(candidates)))])
        c = np.array(np.unravel_index(flat, region.mask.shape))
        if depth_flat[flat] > r_bound or (
            _fits(region.mask, offsets[:n_surface], c) and _fits(region.mask, offsets, c)
        ):
            centre = c
            break
    else:
        valid = _all_valid_fft(region.mask, lesion, anchor, candidates)
        if len(valid):
            centre = valid[int(rng.integers(len(valid)))]
    if centre is None:
        raise PlacementError(
            f"no position in the liver holds the whole lesion (extent "
            f"{[round(n * s, 1) for n, s in zip(lesion.shape, spacing, strict=True)]} mm) "
            f"without touching the edge margin, a tumour or a vessel"
        )
    full_centre = np.asarray(centre) + np.asarray(region.offset)
    return Placement(
        offset=tuple(int(v) for v in full_centre - anchor),  # type: ignore[arg-type]
        centre=tuple(int(v) for v in full_centre),  # type: ignore[arg-type]
        lesion_shape=tuple(int(v) for v in lesion.shape),  # type: ignore[arg-type]
    )


def place_lesion(
    liver_mask_3d: np.ndarray,
    tumour_mask_3d: np.ndarray | None,
    lesion_mask_3d: np.ndarray,
    rng: np.random.Generator,
    *,
    margin_mm: float,
    spacing_mm: SpacingZYX,
    avoid_hu: float | None = None,
    hu_volume: np.ndarray | None = None,
) -> Placement:
    """Put one lesion somewhere plausible in the liver (see :func:`allowed_region`).

    For many lesions in the same scan, build the region once with :func:`allowed_region`
    and call :func:`place_in_region` for each.

    Raises:
        PlacementError: no valid position, with the reason.
    """
    region = allowed_region(
        liver_mask_3d,
        tumour_mask_3d,
        margin_mm=margin_mm,
        spacing_mm=spacing_mm,
        avoid_hu=avoid_hu,
        hu_volume=hu_volume,
    )
    return place_in_region(region, lesion_mask_3d, rng)
