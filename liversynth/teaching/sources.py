"""The scans a quiz is cut from, and the three ways an item gets (or lacks) its lesion.

Every scan given to the builder (those with real tumours and the healthy ones) is prepared
the same way: its liver, its real tumours inside the liver, its real lesions (3-D components,
via :func:`liversynth.lesions.bank.extract_lesions`) and the tumour-free region where a
synthetic lesion may go (:func:`liversynth.lesions.placement.allowed_region`, kept a gap away
from real tumours). Synthetic lesions go into **every** scan, including those that give the
real tumours, so the patient never tells real from synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from liversynth.errors import PlacementError
from liversynth.fillers.base import Appearance, SliceFiller
from liversynth.fillers.surroundings import auto_vessel_hu
from liversynth.lesions.bank import Lesion, extract_lesions
from liversynth.lesions.placement import AllowedRegion, allowed_region, place_in_region
from liversynth.lesions.transforms import random_transform
from liversynth.teaching.patches import PatchGeometry, sample_hu, sample_mask
from liversynth.typing import SpacingZYX
from liversynth.volume import LIVER, TUMOUR, Case

_MAX_ATTEMPTS = 8
_SHRINK = 0.75  # each failed placement tries a smaller lesion


@dataclass
class QuizScan:
    """One prepared scan.

    Attributes:
        name: case name (recorded in the key only).
        hu: int16 ``(z, y, x)``.
        spacing_mm: voxel size.
        liver: bool liver (tumours inside it included).
        tumour: bool real tumours inside the liver.
        region: where a synthetic lesion may go (``None``: no room).
        lesions: its real lesions large enough for an item.
    """

    name: str
    hu: np.ndarray
    spacing_mm: SpacingZYX
    liver: np.ndarray
    tumour: np.ndarray
    region: AllowedRegion | None
    lesions: list[Lesion] = field(default_factory=list)


def prepare_scan(
    case: Case, *, margin_mm: float, tumour_gap_mm: float, min_lesion_mm: float
) -> QuizScan:
    """Liver, real tumours, real lesions and the tumour-free region of ``case``."""
    if case.labels is None or not (case.labels == LIVER).any():
        raise PlacementError(f"{case.name}: a quiz scan needs a liver label (1)")
    hu = np.asarray(case.volume.hu)
    hu = hu if hu.dtype == np.int16 else np.clip(np.round(hu), -32768, 32767).astype(np.int16)
    liver = case.labels == LIVER
    # A mass outside the (filled) liver is not a liver tumour (3Dircadb1.7's "tumor").
    filled = np.stack([ndimage.binary_fill_holes(s) for s in liver | (case.labels == TUMOUR)])
    tumour = (case.labels == TUMOUR) & filled
    spacing = tuple(float(s) for s in case.volume.spacing_mm)
    liver = liver | tumour
    try:
        region: AllowedRegion | None = allowed_region(
            liver,
            tumour,
            margin_mm=margin_mm,
            spacing_mm=spacing,  # type: ignore[arg-type]
            avoid_hu=auto_vessel_hu(hu, liver & ~tumour),
            hu_volume=hu,
            tumour_margin_mm=tumour_gap_mm,
        )
    except PlacementError:
        region = None
    lesions = []
    if tumour.any():
        only = Case(case.name, case.volume, np.where(tumour, TUMOUR, 0).astype(np.uint8))
        lesions = extract_lesions(only, min_diameter_mm=min_lesion_mm, keep_hu=False)
    return QuizScan(case.name, hu, spacing, liver, tumour, region, lesions)  # type: ignore[arg-type]


@dataclass
class Drawn:
    """An item before it is written: its voxels, its masks and what the key says.

    Attributes:
        hu: int16 item.
        lesions: bool, every lesion in the item (real tumours and the synthetic one).
        target: bool, the lesion the question is about (``None``: no lesion).
        facts: key fields (source, filler, appearance...).
    """

    hu: np.ndarray
    lesions: np.ndarray
    target: np.ndarray | None
    facts: dict[str, Any]


def _largest_slice_centre(mask_zyx: np.ndarray, start: tuple[int, int, int]) -> np.ndarray:
    """Source index of the centroid of the lesion's largest cross-section."""
    k = int(np.argmax(mask_zyx.sum(axis=(1, 2))))
    cy, cx = ndimage.center_of_mass(mask_zyx[k])
    return np.array([start[0] + k, start[1] + cy, start[2] + cx], float)


def _geometry(
    scan: QuizScan, centre: np.ndarray, rng: np.random.Generator, spacing, shape, jitter: float
) -> PatchGeometry:
    """The item's grid, its centre moved in-plane by up to ``jitter`` of the field of view,
    so that the lesion is not always in the middle."""
    fov_mm = np.asarray(shape[1:], float) * np.asarray(spacing[1:], float)
    shift_px = rng.uniform(-jitter, jitter, 2) * fov_mm / np.asarray(scan.spacing_mm[1:])
    c = (float(centre[0]), float(centre[1] + shift_px[0]), float(centre[2] + shift_px[1]))
    return PatchGeometry(c, scan.spacing_mm, tuple(spacing), tuple(shape))


def _union_box(a: tuple[slice, ...], lo: np.ndarray, hi: np.ndarray, shape) -> tuple[slice, ...]:
    return tuple(
        slice(max(0, min(s.start, int(l0))), min(int(n), max(s.stop, int(h0))))
        for s, l0, h0, n in zip(a, lo, hi, shape, strict=True)
    )


def _paste_into_box(mask: np.ndarray, start, box: tuple[slice, ...]) -> np.ndarray:
    """``mask`` (whose first voxel is at source index ``start``) on the grid of ``box``;
    the part outside the box is cut off."""
    out = np.zeros(tuple(b.stop - b.start for b in box), bool)
    src, dst = [], []
    for n, st, b in zip(mask.shape, start, box, strict=True):
        lo, hi = max(int(st), b.start), min(int(st) + n, b.stop)
        if hi <= lo:
            return out
        src.append(slice(lo - st, hi - st))
        dst.append(slice(lo - b.start, hi - b.start))
    out[tuple(dst)] = mask[tuple(src)]
    return out


def real_item(
    scan: QuizScan, lesion: Lesion, rng: np.random.Generator, spacing, shape, jitter: float
) -> Drawn:
    """An item around one of the scan's real lesions."""
    geo = _geometry(
        scan, _largest_slice_centre(lesion.mask, lesion.bbox_start), rng, spacing, shape, jitter
    )
    box = geo.source_box(scan.hu.shape)
    off = tuple(s.start for s in box)
    target = _paste_into_box(lesion.mask, lesion.bbox_start, box)
    facts = {
        "source": {
            "case": scan.name,
            "lesion": lesion.lesion_id,
            "centre_zyx": [round(c, 2) for c in geo.centre_zyx],
        }
    }
    return Drawn(
        sample_hu(scan.hu[box], geo, offset=off),
        sample_mask(scan.tumour[box], geo, offset=off),
        sample_mask(target, geo, offset=off),
        facts,
    )


def synthetic_item(
    scan: QuizScan,
    bank: list[Lesion],
    filler: SliceFiller,
    appearance: Appearance,
    rng: np.random.Generator,
    spacing,
    shape,
    jitter: float,
) -> Drawn:
    """A lesion shape from ``bank`` (transformed), placed in the scan's tumour-free liver and
    painted by ``filler.fill_volume`` with ``appearance``."""
    if scan.region is None:
        raise PlacementError(f"{scan.name}: no room for a synthetic lesion")
    errors = []
    for attempt in range(_MAX_ATTEMPTS):
        i = int(rng.integers(len(bank)))
        s = _SHRINK**attempt
        mask, params = random_transform(
            bank[i].mask,
            rng,
            bank[i].spacing_mm,
            target_spacing_mm=scan.spacing_mm,
            scale_range=(0.8 * s, 1.25 * s),
        )
        try:
            placement = place_in_region(scan.region, mask, rng)
            break
        except PlacementError as err:
            errors.append(str(err))
    else:
        raise PlacementError(
            f"{scan.name}: no lesion fits after {_MAX_ATTEMPTS} tries: {errors[-1]}"
        )
    geo = _geometry(
        scan, _largest_slice_centre(mask, placement.offset), rng, spacing, shape, jitter
    )
    pad = np.array([1, 8, 8])
    lo = np.asarray(placement.offset) - pad
    hi = np.asarray(placement.offset) + np.asarray(mask.shape) + pad
    box = _union_box(geo.source_box(scan.hu.shape), lo, hi, scan.hu.shape)
    off = tuple(s.start for s in box)
    lesion = placement.paste(mask, scan.hu.shape)[box]
    filler_seed = int(rng.integers(0, 2**31 - 1))
    filled = filler.fill_volume(
        np.asarray(scan.hu[box], np.float32),
        lesion,
        liver_zyx=scan.liver[box],
        seed=filler_seed,
        spacing_mm=scan.spacing_mm,
        appearance=appearance,
    )
    facts = {
        "source": {
            "case": scan.name,
            "lesion_shape": bank[i].lesion_id,
            "transform": params,
            "placement": placement.to_json(),
            "centre_zyx": [round(c, 2) for c in geo.centre_zyx],
        },
        "filler": filler.name,
        "appearance": appearance.to_dict(),
        "seed": filler_seed,
    }
    return Drawn(
        sample_hu(filled, geo, offset=off),
        sample_mask(lesion | scan.tumour[box], geo, offset=off),
        sample_mask(lesion, geo, offset=off),
        facts,
    )


def normal_item(
    scan: QuizScan, rng: np.random.Generator, spacing, shape, *, tries: int = 30
) -> Drawn:
    """A tumour-free part of the liver (the item holds no tumour voxel)."""
    if scan.region is None:
        raise PlacementError(f"{scan.name}: no tumour-free liver")
    allowed = np.argwhere(scan.region.mask)
    for _ in range(tries):
        c = allowed[int(rng.integers(len(allowed)))] + np.asarray(scan.region.offset)
        geo = PatchGeometry(
            (float(c[0]), float(c[1]), float(c[2])), scan.spacing_mm, tuple(spacing), tuple(shape)
        )
        box = geo.source_box(scan.hu.shape)
        off = tuple(s.start for s in box)
        lesions = sample_mask(scan.tumour[box], geo, offset=off)
        if not lesions.any():
            facts = {
                "source": {"case": scan.name, "centre_zyx": [round(v, 2) for v in geo.centre_zyx]}
            }
            return Drawn(sample_hu(scan.hu[box], geo, offset=off), lesions, None, facts)
    raise PlacementError(f"{scan.name}: no tumour-free crop found in {tries} tries")
