"""Healthy-liver pairs: lesion-like regions whitened in tumour-free liver (issue 17, item 2).

Any case with a liver label gives unlimited pix2pix pairs: whiten a lesion-shaped region of
healthy parenchyma and ask the generator to restore it. The pairs teach the scan's texture
(vessels, grain, noise level) before the generator is fine-tuned on the few real tumours.

A region ("blob") is an ellipse of random radius and ellipticity with a lobulated outline
(two to four low-order harmonics of the radius), turned by a random angle. Placement rules:

* the blob lies inside the liver, with ``margin_mm`` of liver around it (the generator sees
  liver context on every side, as around most real lesions);
* every blob pixel is at least ``gap_mm`` (3-D, in mm) from every tumour voxel of the case,
  so partial-volume tumour edges and the tumour's neighbouring slices never become targets;
* blobs of one slice do not touch (``margin_mm`` apart).

Slices: every slice whose liver holds at least one blob (with ``tumour_slices`` also the clean
liver of tumour slices), or ``max_slices`` of them spread evenly over the liver's extent. Each blob
is a component (ids 1..k) of the record's ``lesion`` array, so healthy records are stored and
cropped exactly like tumour records (:mod:`model_training.records`), with ``kind="healthy"``.

Everything is drawn from ``numpy.random.default_rng([seed, crc32(case name), z])``: the same
seed gives the same regions, whatever the order or the number of cases.

Example:
    >>> import numpy as np
    >>> blob = blob_mask(10.0, 0.7, 0.3, [0.1, 0.05], [0.0, 1.0])
    >>> blob.shape[0] == blob.shape[1] and bool(blob[blob.shape[0] // 2, blob.shape[1] // 2])
    True
"""

from __future__ import annotations

import math
import zlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import ndimage, signal

from liversynth.volume import LIVER, TUMOUR, Case
from model_training.records import SliceRecord, stored_slice_hu

#: Harmonics 2..4 of the outline; amplitude of each at most this share of the radius.
MAX_LOBE = 0.12
#: Placement attempts per blob (each at a smaller radius when the liver is too small).
TRIES = 3


@dataclass(frozen=True)
class HealthyParams:
    """How many healthy-liver regions to whiten, how large, and where not.

    Attributes:
        per_slice: blobs per slice (fewer when the liver has no room); 0 = no healthy pairs.
        max_slices: healthy slices per case, spread evenly over the liver (0 = every one).
        radius_mm: range of the mean blob radius (real lesions of 3D-IRCADb: ~4-20 mm).
        min_radius_px: no blob smaller than this many pixels (coarse scans).
        ellipticity: range of the short / long axis ratio.
        margin_mm: liver kept around each blob, and between blobs.
        gap_mm: least 3-D distance from any tumour voxel of the case.
        tumour_slices: also use the liver of tumour slices that is ``gap_mm`` from tumour.
    """

    per_slice: int = 3
    max_slices: int = 0
    radius_mm: tuple[float, float] = (4.0, 15.0)
    min_radius_px: float = 4.0
    ellipticity: tuple[float, float] = (0.6, 1.0)
    margin_mm: float = 3.0
    gap_mm: float = 10.0
    tumour_slices: bool = True

    def __post_init__(self) -> None:
        if self.per_slice < 0 or self.max_slices < 0:
            raise ValueError("healthy per-slice and slice counts must be >= 0")
        lo, hi = self.radius_mm
        if not 0 < lo <= hi:
            raise ValueError(f"healthy radius range must be 0 < lo <= hi, got {self.radius_mm}")
        if not 0 < self.ellipticity[0] <= self.ellipticity[1] <= 1:
            raise ValueError(f"ellipticity must be within (0, 1], got {self.ellipticity}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able (for the manifest)."""
        return asdict(self)


def blob_mask(
    radius_px: float,
    ellipticity: float,
    angle_rad: float,
    lobes: list[float],
    phases: list[float],
) -> np.ndarray:
    """A lobulated ellipse as a square bool array, centred (odd side).

    Args:
        radius_px: mean radius (the ellipse's axes are ``r / sqrt(e)`` and ``r * sqrt(e)``).
        ellipticity: short / long axis ratio in (0, 1].
        angle_rad: turn of the long axis.
        lobes, phases: amplitude (share of the radius) and phase of harmonics 2, 3, ...
    """
    a = radius_px / math.sqrt(ellipticity)
    b = radius_px * math.sqrt(ellipticity)
    reach = a * (1.0 + sum(abs(x) for x in lobes))
    half = int(math.ceil(reach)) + 1
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    u = xx * math.cos(angle_rad) + yy * math.sin(angle_rad)
    v = -xx * math.sin(angle_rad) + yy * math.cos(angle_rad)
    theta = np.arctan2(v, u)
    # Radius of the ellipse along theta, modulated by the harmonics.
    r_ellipse = a * b / np.sqrt((b * np.cos(theta)) ** 2 + (a * np.sin(theta)) ** 2)
    wobble = 1.0 + sum(
        amp * np.cos((k + 2) * theta + ph)
        for k, (amp, ph) in enumerate(zip(lobes, phases, strict=True))
    )
    return bool_array(np.hypot(u, v) <= r_ellipse * wobble)


def bool_array(a: np.ndarray) -> np.ndarray:
    """``a`` as a contiguous bool array (keeps mypy's view of the dtype simple)."""
    return np.ascontiguousarray(a, dtype=bool)


def case_rng(seed: int, case_name: str, z: int) -> np.random.Generator:
    """The generator of one slice's blobs (independent of case order)."""
    return np.random.default_rng([seed, zlib.crc32(case_name.encode("utf-8")), z])


def tumour_distance_mm(
    labels: np.ndarray, spacing_mm: tuple[float, float, float]
) -> np.ndarray | None:
    """3-D distance (mm) to the nearest tumour voxel, inside the liver's bounding box (+inf
    outside it, where no blob goes); None without tumour.

    Tumour voxels carry label 2 and are part of the liver (LiTS convention), so every tumour
    voxel is inside the box and the distances there are exact (a whole-volume transform costs
    ~10 s on a 512x512x129 scan).
    """
    tumour = labels == TUMOUR
    if not tumour.any():
        return None
    zs, ys, xs = (np.flatnonzero(labels.any(axis=axes)) for axes in ((1, 2), (0, 2), (0, 1)))
    box = np.s_[zs[0] : zs[-1] + 1, ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1]
    out = np.full(labels.shape, np.inf, np.float32)
    out[box] = ndimage.distance_transform_edt(~tumour[box], sampling=spacing_mm)
    return out


def healthy_records(case: Case, params: HealthyParams, *, seed: int) -> list[SliceRecord]:
    """Healthy-liver records of one case (whole slices, not split, not saved).

    Raises:
        ValueError: the case has no labels.
    """
    if case.labels is None:
        raise ValueError(f"case {case.name} has no labels (no liver to whiten)")
    if params.per_slice == 0:
        return []
    labels = case.labels
    spacing = tuple(float(s) for s in case.volume.spacing_mm)
    sz, sy, sx = spacing
    pixel_mm = math.sqrt(sy * sx)
    dist_mm = tumour_distance_mm(labels, (sz, sy, sx))
    has_tumour = (labels == TUMOUR).any(axis=(1, 2))
    smallest = max(params.min_radius_px, params.radius_mm[0] / pixel_mm)
    margin_px = params.margin_mm / pixel_mm
    need_px = math.pi * (smallest + margin_px) ** 2
    liver_px = (labels >= LIVER).sum(axis=(1, 2))
    candidates = [
        int(z)
        for z in np.flatnonzero(liver_px > need_px)
        if params.tumour_slices or not has_tumour[z]
    ]
    patient = str(case.patient_id or case.name)
    records = []
    for z in candidates:
        liver = labels[z] >= LIVER
        allowed = liver & (labels[z] != TUMOUR)
        if dist_mm is not None:
            allowed &= dist_mm[z] >= params.gap_mm
        # Work inside the liver's bounding box (blobs never leave the liver): ~10x faster. The
        # box keeps a border of background so that distances to the liver's edge stay exact.
        ys, xs = np.nonzero(liver)
        pad = int(math.ceil(margin_px)) + 2
        h, w = liver.shape
        box = np.s_[
            max(0, ys.min() - pad) : min(h, ys.max() + 1 + pad),
            max(0, xs.min() - pad) : min(w, xs.max() + 1 + pad),
        ]
        blobs = np.zeros(liver.shape, np.uint8)
        blobs[box] = place_blobs(
            allowed[box], liver[box], params, pixel_mm, case_rng(seed, case.name, z)
        )
        if not blobs.any():
            continue
        hu = stored_slice_hu(case, int(z))
        ids = sorted(int(i) for i in np.unique(blobs) if i)
        records.append(
            SliceRecord(
                case=case.name,
                patient=patient,
                z=z,
                spacing_mm=(sz, sy, sx),
                full_shape=(int(hu.shape[0]), int(hu.shape[1])),
                components=ids,
                eval_components=list(ids),
                lesion_px=int((blobs > 0).sum()),
                liver_px=int(liver.sum()),
                kind="healthy",
                hu=hu,
                lesion=blobs,
                liver=liver.astype(np.uint8),
            )
        )
    if params.max_slices and len(records) > params.max_slices:
        # Spread over the liver's extent (each slice's regions do not depend on the choice).
        picks = np.linspace(0, len(records) - 1, params.max_slices).round().astype(int)
        records = [records[i] for i in sorted(set(picks.tolist()))]
    return records


def place_blobs(
    allowed: np.ndarray,
    liver: np.ndarray,
    params: HealthyParams,
    pixel_mm: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Up to ``params.per_slice`` blobs inside ``allowed`` (uint8 ids 1..k, 0 elsewhere).

    Args:
        allowed: where blob pixels may be (liver, far enough from tumour).
        liver: the liver (``margin_mm`` of it must surround every blob).
        params: sizes and counts; pixel_mm: in-plane pixel size; rng: the only randomness.
    """
    margin_px = params.margin_mm / pixel_mm
    # A blob pixel needs `margin` of liver around it and must itself be allowed.
    # Padded: beyond the image counts as outside the liver.
    inner = np.asarray(ndimage.distance_transform_edt(np.pad(liver, 1)), np.float32)[1:-1, 1:-1]
    room = allowed & (inner > margin_px)
    out = np.zeros(allowed.shape, np.uint8)
    taken = np.zeros(allowed.shape, bool)
    for k in range(1, params.per_slice + 1):
        radius_px = max(params.min_radius_px, rng.uniform(*params.radius_mm) / pixel_mm)
        ellipticity = rng.uniform(*params.ellipticity)
        angle = rng.uniform(0.0, math.pi)
        lobes = list(rng.uniform(0.0, MAX_LOBE, size=int(rng.integers(1, 4))))
        phases = list(rng.uniform(0.0, 2 * math.pi, size=len(lobes)))
        for _ in range(TRIES):
            shape = blob_mask(radius_px, ellipticity, angle, lobes, phases)
            free = room & ~taken
            ys, xs = np.nonzero(_fitting_centres(free, shape))
            if len(ys):
                i = int(rng.integers(len(ys)))
                _stamp(out, taken, shape, int(ys[i]), int(xs[i]), k, margin_px)
                break
            radius_px = max(params.min_radius_px, radius_px * 0.7)
    return out


def _fitting_centres(free: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Centres where every pixel of ``shape`` (odd square, centred) lands on ``free``.

    A correlation of the forbidden pixels with the footprint, by FFT (a binary erosion with a
    50 px structure would cost ~1000x more); outside the image counts as forbidden.
    """
    half = shape.shape[0] // 2
    blocked = np.pad(~free, half, constant_values=True).astype(np.float32)
    hits = signal.fftconvolve(blocked, shape[::-1, ::-1].astype(np.float32), mode="valid")
    return bool_array((hits < 0.5) & free)


def _stamp(
    out: np.ndarray, taken: np.ndarray, shape: np.ndarray, cy: int, cx: int, k: int, gap: float
) -> None:
    """Write blob ``k`` centred at (cy, cx) and reserve it plus ``gap`` px around it."""
    half = shape.shape[0] // 2
    ys, xs = np.nonzero(shape)
    out[ys + cy - half, xs + cx - half] = k
    blob = out == k
    taken |= np.asarray(ndimage.distance_transform_edt(~blob), np.float32) <= gap + 1.0
